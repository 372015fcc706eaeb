import type { OptionSpec, OptionValues } from '../command';
import { CliUsageError, stringOpt, type CliContext, type Command } from '../command';
import { parseIds, parseSplit } from './eval-shared';

export const COMPARE_OPTIONS: OptionSpec = {
  'group-by': { type: 'string' },
  split: { type: 'string' },
  columns: { type: 'string' },
  ensembles: { type: 'string' },
};

export function compareArgs(positionals: string[], values: OptionValues) {
  const runIds = parseIds(positionals, 'RUN');
  const e = stringOpt(values, 'ensembles');
  const ensembleIds = e ? parseIds([e], 'ENSEMBLE') : [];
  if (!runIds.length && !ensembleIds.length) throw new CliUsageError('Give at least one RUN id (or --ensembles ID,...).');
  const cols = stringOpt(values, 'columns');
  return {
    runIds,
    ensembleIds,
    groupBy: stringOpt(values, 'group-by') ?? null,
    split: parseSplit(values, false),
    ...(cols ? { columns: cols.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  };
}

export async function printCompare(ctx: CliContext, args: ReturnType<typeof compareArgs>) {
  const out = await ctx.call('compare.export', { ...args, format: 'md' });
  ctx.print(out.text.trimEnd());
  return ctx.call('compare.table', args);
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Compare runs and ensembles side by side; --group-by a config field gives mean ± std over seeds',
  usage: 'fer compare RUN... [--group-by FIELD[,FIELD]] [--split S] [--columns accuracy,loss,macroF1,recall.sad,...] [--ensembles ID,...] [--json]',
  options: COMPARE_OPTIONS,
  allowPositionals: true,
  async run(ctx, positionals, values) {
    return printCompare(ctx, compareArgs(positionals, values));
  },
};
