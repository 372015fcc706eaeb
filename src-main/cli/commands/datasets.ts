import { CliUsageError, type Command } from '../command';

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'List imported datasets with their split sizes; `fer datasets delete NAME|ID` removes one',
  usage: 'fer datasets [--json]\nfer datasets delete NAME|ID [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    const [action, ref, ...extra] = positionals;
    if (action !== undefined) {
      if (action !== 'delete' || !ref || extra.length) throw new CliUsageError('fer datasets takes no arguments, or `delete NAME|ID`.');
      // The data layer refuses a dataset that runs or evaluations use, and removes its store and rows together.
      const result = await ctx.call('datasets.delete', { dataset: ref });
      ctx.print(`deleted dataset ${ref}`);
      return result;
    }
    const list = await ctx.call('datasets.list', {});
    if (!list.length) ctx.print('No datasets yet: fer import PATH --name NAME (or fer synth --out DIR first).');
    for (const d of list) {
      ctx.print(`${String(d.id).padStart(4)}  ${d.name.padEnd(24)} ${d.format.padEnd(8)} ${String(d.sampleCount).padStart(7)} images  ${d.splits.map((s) => `${s.split} ${s.total}`).join(', ')}`);
    }
    return list;
  },
};
