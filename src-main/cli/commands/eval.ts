import { CliUsageError, numberOpt, type Command } from '../command';
import { evalWithProgress, parseCheckpoint, parseDedup, parseId, parseSplit, printDetail } from './eval-shared';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a run on a split (optionally with test-time augmentation) and store every prediction',
  usage: 'fer eval RUN --split Training|PublicTest|PrivateTest [--tta K] [--no-flip] [--tta-seed N] [--checkpoint best|last] [--batch N] [--dedup none|exact|near] [--held-out] [--json]\n  Prints accuracy with and without test faces that are copies of Training faces; --dedup picks which faces the per-class table and confusion count.\n  --held-out: only the faces a k-fold run (fer train --folds K) held out of its training split: out-of-sample probabilities for fer label-issues.',
  options: { split: { type: 'string' }, tta: { type: 'string' }, 'no-flip': { type: 'boolean', default: false }, 'tta-seed': { type: 'string' }, checkpoint: { type: 'string' }, batch: { type: 'string' }, dedup: { type: 'string' }, 'held-out': { type: 'boolean', default: false } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer eval takes exactly one RUN id.');
    const runId = parseId(positionals[0], 'RUN');
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
      ...(values['no-flip'] ? { ttaFlip: false } : {}),
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
