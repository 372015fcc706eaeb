import { CliUsageError, numberOpt, type CliContext, type Command, type OptionValues } from '../command';
import { cancellableOnCtrlC, evalWithProgress, MIRROR_OPTIONS, parseCheckpoint, parseDedup, parseId, parseMirror, parseSplit, printDetail } from './eval-shared';

/** fer eval RUN --out-of-fold: eval.outOfFold over RUN's fold group; prints the combined evaluation. */
async function outOfFold(ctx: CliContext, runId: number, values: OptionValues): Promise<unknown> {
  for (const flag of ['split', 'tta', 'tta-seed', 'batch', 'dedup'] as const) {
    if (values[flag] !== undefined) throw new CliUsageError(`--out-of-fold evaluates each fold run plainly on its training split: leave out --${flag}.`);
  }
  if (values['held-out'] || values.flip || values['no-flip']) throw new CliUsageError('--out-of-fold takes neither --held-out (it evaluates the held-out faces itself) nor --flip/--no-flip.');
  // One progress bar per fold run, as each is evaluated on its held-out faces; Ctrl-C cancels through eval.cancel.
  const { ProgressBar } = await import('../progress');
  // Written by the event callback: a holder, so the finally below is not narrowed to its initial null.
  const shown: { bar: InstanceType<typeof ProgressBar> | null; runId: number | null } = { bar: null, runId: null };
  const stop = ctx.workbench().events.subscribe((event, payload) => {
    const p = payload as { runId: number | null; done: number; total: number; phase: string };
    if (event !== 'eval.progress' || p.phase !== 'predicting' || p.runId === null) return;
    if (p.runId !== shown.runId || !shown.bar) {
      shown.bar?.done();
      shown.runId = p.runId;
      shown.bar = new ProgressBar(`out-of-fold: run ${p.runId} on its held-out faces`);
    }
    shown.bar.update(p.done, p.total, 'images');
  });
  let ens;
  try {
    ens = await cancellableOnCtrlC(ctx, () => ctx.call('eval.outOfFold', { runId, checkpoint: parseCheckpoint(values) }));
  } finally {
    shown.bar?.done();
    stop();
  }
  printDetail(ctx, await ctx.call('eval.get', { evaluationId: ens.id }));
  const members = ens.ensemble.members.map((m) => `run ${m.runId} → evaluation ${m.evaluationId}`).join(', ');
  ctx.print(`\nout-of-fold evaluation ${ens.id} of ${ens.split} (${ens.ensemble.outOfFold} folds: ${members}); rank its likely label errors with fer label-issues ${ens.id}`);
  return ens;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a run on a split (optionally with test-time augmentation) and store every prediction',
  usage: 'fer eval RUN --split Training|PublicTest|PrivateTest [--tta K] [--flip | --no-flip] [--tta-seed N] [--checkpoint best|last] [--batch N] [--dedup none|exact|near] [--held-out | --out-of-fold] [--json]\n  --tta K averages K augmented views, the original and its mirror; --flip adds the mirror with --tta 0 too (2 views), --no-flip leaves it out.\n  Prints accuracy with and without test faces that are copies of Training faces; --dedup picks which faces the per-class table and confusion count.\n  --held-out: only the faces a k-fold run (fer train --folds K) held out of its training split: out-of-sample probabilities for fer label-issues.\n  --out-of-fold: every run of RUN\'s k-fold cross-validation on its held-out faces, combined into one evaluation of its training split (each face from the run that held it out): what fer label-issues should read.',
  options: { split: { type: 'string' }, tta: { type: 'string' }, ...MIRROR_OPTIONS, 'tta-seed': { type: 'string' }, checkpoint: { type: 'string' }, batch: { type: 'string' }, dedup: { type: 'string' }, 'held-out': { type: 'boolean', default: false }, 'out-of-fold': { type: 'boolean', default: false } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer eval takes exactly one RUN id.');
    const runId = parseId(positionals[0], 'RUN');
    if (values['out-of-fold']) return outOfFold(ctx, runId, values);
    const split = parseSplit(values, true);
    const dedup = parseDedup(values);
    if (dedup !== 'none' && split === 'Training') throw new CliUsageError('--dedup leaves out test faces that are copies of Training faces: use it with --split PublicTest or PrivateTest.');
    const checkpoint = parseCheckpoint(values);
    const tta = numberOpt(values, 'tta') ?? 0;
    const ttaSeed = numberOpt(values, 'tta-seed');
    const batch = numberOpt(values, 'batch');
    const ev = await evalWithProgress(ctx, {
      runId,
      split,
      checkpoint,
      tta,
      ...parseMirror(values),
      ...(ttaSeed === undefined ? {} : { ttaSeed }),
      ...(batch === undefined ? {} : { batch }),
      ...(values['held-out'] ? { heldOut: true } : {}),
    });
    const detail = await ctx.call('eval.get', { evaluationId: ev.id, dedup });
    printDetail(ctx, detail);
    if (ev.tta) ctx.print(`\nTTA views averaged: ${ev.tta.viewSpecs.map((v) => v.name).join(', ')} (seed ${ev.tta.seed})`);
    return detail;
  },
};
