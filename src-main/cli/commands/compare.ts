import type { OptionSpec, OptionValues } from '../command';
import { CliUsageError, numberOpt, stringOpt, type CliContext, type Command } from '../command';
import { evalMissingWithProgress, MIRROR_OPTIONS, parseCheckpoint, parseIds, parseMirror, parseSplit } from './eval-shared';

/** The options compare and export share: what to tabulate, and which evaluation setting every row must have. */
export const COMPARE_OPTIONS: OptionSpec = {
  'group-by': { type: 'string' },
  split: { type: 'string' },
  columns: { type: 'string' },
  ensembles: { type: 'string' },
  tta: { type: 'string' },
  ...MIRROR_OPTIONS,
  checkpoint: { type: 'string' },
  'evaluate-missing': { type: 'boolean', default: false },
};

export const SETTING_USAGE =
  '  Rows use each run\'s newest evaluation of exactly this setting: --split, --tta K (K augmented views, the mirror too\n' +
  '  unless --no-flip; --flip: the mirror, with --tta 0 too; default 0: plain), --checkpoint best|last (default best). A run without one is shown as missing;\n' +
  '  --evaluate-missing evaluates those first (needs --split).';

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
    tta: numberOpt(values, 'tta') ?? 0,
    ...parseMirror(values),
    checkpoint: parseCheckpoint(values),
  };
}

/** With --evaluate-missing, evaluates the selected runs that lack the setting; otherwise says which lack it. */
export async function prepareCompare(ctx: CliContext, args: ReturnType<typeof compareArgs>, values: OptionValues): Promise<void> {
  if (values['evaluate-missing']) {
    if (!args.split) throw new CliUsageError('--evaluate-missing needs --split: the split to evaluate the missing runs on.');
    await evalMissingWithProgress(ctx, args);
    return;
  }
  const table = await ctx.call('compare.table', args);
  if (table.missing.length) {
    ctx.note(`no evaluation of this setting: ${table.missing.map((m) => m.label).join(', ')} (shown as missing; --evaluate-missing${args.split ? '' : ' --split S'} evaluates them)`);
  }
}

export async function printCompare(ctx: CliContext, args: ReturnType<typeof compareArgs>) {
  const out = await ctx.call('compare.export', { ...args, format: 'md' });
  ctx.print(out.text.trimEnd());
  return ctx.call('compare.table', args);
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Compare runs and ensembles side by side; --group-by a config field gives mean ± std over seeds',
  usage: `fer compare RUN... [--group-by FIELD[,FIELD]] [--split S] [--tta K] [--flip | --no-flip] [--checkpoint best|last] [--evaluate-missing] [--columns accuracy,loss,macroF1,recall.sad,...] [--ensembles ID,...] [--json]\n${SETTING_USAGE}`,
  options: COMPARE_OPTIONS,
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const args = compareArgs(positionals, values);
    await prepareCompare(ctx, args, values);
    return printCompare(ctx, args);
  },
};
