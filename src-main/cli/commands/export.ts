import { CliUsageError, stringOpt, type Command } from '../command';
import { COMPARE_OPTIONS, SETTING_USAGE, compareArgs, prepareCompare } from './compare';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a comparison table as CSV, Markdown or LaTeX (booktabs, best value bold)',
  usage: `fer export RUN... --format csv|md|latex [--out PATH] [--group-by FIELD] [--split S] [--tta K] [--flip | --no-flip] [--checkpoint best|last] [--evaluate-missing] [--columns ...] [--ensembles ID,...] [--json]\n  Without --out the table goes to stdout. The file says which evaluation setting its rows share.\n${SETTING_USAGE}`,
  options: { ...COMPARE_OPTIONS, format: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const format = stringOpt(values, 'format');
    if (format !== 'csv' && format !== 'md' && format !== 'latex') throw new CliUsageError(`--format must be csv, md or latex${format ? `, got "${format}"` : ''}.`);
    const out = stringOpt(values, 'out');
    const args = compareArgs(positionals, values);
    await prepareCompare(ctx, args, values);
    const res = await ctx.call('compare.export', { ...args, format, ...(out ? { path: out } : {}) });
    if (res.path) ctx.note(`wrote ${res.path}`);
    else if (!ctx.json) process.stdout.write(res.text);
    return res;
  },
};
