import { CliUsageError, stringOpt, type Command } from '../command';
import { COMPARE_OPTIONS, compareArgs } from './compare';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a comparison table as CSV, Markdown or LaTeX (booktabs, best value bold)',
  usage: 'fer export RUN... --format csv|md|latex [--out PATH] [--group-by FIELD] [--split S] [--columns ...] [--ensembles ID,...] [--json]\n  Without --out the table goes to stdout.',
  options: { ...COMPARE_OPTIONS, format: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const format = stringOpt(values, 'format');
    if (format !== 'csv' && format !== 'md' && format !== 'latex') throw new CliUsageError(`--format must be csv, md or latex${format ? `, got "${format}"` : ''}.`);
    const out = stringOpt(values, 'out');
    const res = await ctx.call('compare.export', { ...compareArgs(positionals, values), format, ...(out ? { path: out } : {}) });
    if (res.path) ctx.note(`wrote ${res.path}`);
    else if (!ctx.json) process.stdout.write(res.text);
    return res;
  },
};
