import type { Command } from '../command';

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'List imported datasets with their split sizes',
  usage: 'fer datasets [--json]',
  async run(ctx) {
    const list = await ctx.call('datasets.list', {});
    if (!list.length) ctx.print('No datasets yet: fer import PATH --name NAME (or fer synth --out DIR first).');
    for (const d of list) {
      ctx.print(`${String(d.id).padStart(4)}  ${d.name.padEnd(24)} ${d.format.padEnd(8)} ${String(d.sampleCount).padStart(7)} images  ${d.splits.map((s) => `${s.split} ${s.total}`).join(', ')}`);
    }
    return list;
  },
};
