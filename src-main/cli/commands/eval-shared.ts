import type { InvokeArgs, InvokeResult } from '../../../src-shared/contract';
import type { EvaluationDetail, EvaluationSummary } from '../../../src-shared/contract/evaluation';
import { DEDUP_LEVELS, type DedupLevel } from '../../../src-shared/dedup';
import { EMOTIONS, SPLITS, type Split } from '../../../src-shared/labels';
import { CliUsageError, stringOpt, type CliContext, type OptionSpec, type OptionValues } from '../command';

/** Helpers shared by the evaluation commands (eval, ensemble, cell, compare, export, calibration, diff). */

export function parseId(text: string | undefined, what: string): number {
  if (text === undefined) throw new CliUsageError(`Missing ${what}.`);
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new CliUsageError(`${what} must be a positive integer id, got "${text}".`);
  return n;
}

export function parseIds(list: string[], what: string): number[] {
  return list.flatMap((s) => s.split(',')).filter(Boolean).map((s) => parseId(s, what));
}

export function parseSplit(values: OptionValues, required: true): Split;
export function parseSplit(values: OptionValues, required: false): Split | null;
export function parseSplit(values: OptionValues, required: boolean): Split | null {
  const s = stringOpt(values, 'split');
  if (s === undefined) {
    if (required) throw new CliUsageError(`--split is required: one of ${SPLITS.join(', ')}.`);
    return null;
  }
  const hit = SPLITS.find((x) => x.toLowerCase() === s.toLowerCase());
  if (!hit) throw new CliUsageError(`Unknown split "${s}": use ${SPLITS.join(', ')}.`);
  return hit;
}

export function parseCheckpoint(values: OptionValues): 'best' | 'last' {
  const checkpoint = stringOpt(values, 'checkpoint') ?? 'best';
  if (checkpoint !== 'best' && checkpoint !== 'last') throw new CliUsageError(`--checkpoint must be best or last, got "${checkpoint}".`);
  return checkpoint;
}

/**
 * The mirrored view of a TTA setting: --flip adds it (with --tta 0 too: original + mirror, the usual flip TTA),
 * --no-flip leaves it out; neither keeps the contract's default (on when --tta K > 0).
 */
export function parseMirror(values: OptionValues): { ttaFlip?: boolean } {
  if (values.flip && values['no-flip']) throw new CliUsageError('--flip and --no-flip contradict each other: give one.');
  if (values.flip) return { ttaFlip: true };
  return values['no-flip'] ? { ttaFlip: false } : {};
}

/** The --flip / --no-flip pair every command with an evaluation setting takes. */
export const MIRROR_OPTIONS: OptionSpec = { flip: { type: 'boolean', default: false }, 'no-flip': { type: 'boolean', default: false } };

/** An emotion by name (sad) or index (4). */
export function parseEmotion(text: string | undefined, flag: string): number {
  if (text === undefined) throw new CliUsageError(`--${flag} is required: an emotion name (${EMOTIONS.join(', ')}) or 0–6.`);
  const byName = EMOTIONS.indexOf(text.toLowerCase() as (typeof EMOTIONS)[number]);
  if (byName >= 0) return byName;
  const n = Number(text);
  if (Number.isInteger(n) && n >= 0 && n < EMOTIONS.length) return n;
  throw new CliUsageError(`--${flag} "${text}" is not an emotion: use ${EMOTIONS.join(', ')} or 0–6.`);
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

export function describeEval(e: EvaluationSummary): string {
  const tta = e.tta ? `, TTA ${e.tta.totalViews} views` : '';
  const line = `evaluation ${e.id} — ${e.name} on ${e.split} (${e.samples} faces, ${e.checkpoint}${tta}): accuracy ${pct(e.accuracy)}, CE loss ${e.loss.toFixed(4)}, macro-F1 ${pct(e.macroF1)}`;
  const extra = [dedupLine(e), ferPlusLine(e)].filter((x): x is string => x !== null);
  return [line, ...extra].join('\n  ');
}

/** The score against the FER+ crowd's majority label, and what it leaves out (null without FER+ votes). */
export function ferPlusLine(e: EvaluationSummary): string | null {
  const f = e.ferplus;
  if (!f) return null;
  return (
    `against the FER+ majority label (7 classes): accuracy ${pct(f.accuracy)}, macro-F1 ${pct(f.macroF1)} on ${f.samples} faces; ` +
    `left out ${f.leftOut.contempt} contempt, ${f.leftOut.unknown} unknown or no majority, ${f.leftOut.nonFace} not a face; ${f.disagreeing} faces where FER+ and FER2013 disagree`
  );
}

/** The de-duplicated scores beside the full ones (null on Training, where there is nothing to leave out). */
export function dedupLine(e: EvaluationSummary): string | null {
  if (!e.dedup) return null;
  const { exact, near, threshold } = e.dedup;
  return (
    `without exact copies of Training faces: accuracy ${pct(exact.accuracy)}, macro-F1 ${pct(exact.macroF1)} (${exact.samples} faces, ${exact.excluded} left out); ` +
    `without near copies too (pHash ≤ ${threshold} bits): accuracy ${pct(near.accuracy)}, macro-F1 ${pct(near.macroF1)} (${near.samples} faces, ${near.excluded} left out)`
  );
}

/** --dedup none|exact|near for commands that show one evaluation's faces or scores. */
export function parseDedup(values: OptionValues): DedupLevel {
  const s = stringOpt(values, 'dedup') ?? 'none';
  const hit = DEDUP_LEVELS.find((x) => x === s.toLowerCase());
  if (!hit) throw new CliUsageError(`--dedup must be one of ${DEDUP_LEVELS.join(', ')}, got "${s}".`);
  return hit;
}

export function confusionLines(m: number[][], signed = false, corner = 'true\\pred'): string[] {
  const w = Math.max(7, ...m.flat().map((v) => String(v).length + (signed ? 1 : 0)));
  const short = EMOTIONS.map((e) => e.slice(0, w));
  const fmt = (v: number) => (signed && v > 0 ? `+${v}` : String(v)).padStart(w);
  return [`${corner.padEnd(9)} ${short.map((s) => s.padStart(w)).join(' ')}`, ...m.map((row, t) => `${EMOTIONS[t]!.padEnd(9)} ${row.map(fmt).join(' ')}`)];
}

export function printDetail(ctx: CliContext, d: EvaluationDetail): void {
  ctx.print(describeEval(d.evaluation));
  ctx.print('');
  if (d.dedup !== 'none') {
    ctx.print(`per class and confusion below: ${d.dedup === 'exact' ? 'without exact copies of Training faces' : 'without exact or near copies of Training faces'}`);
    ctx.print('');
  }
  ctx.print(`${'class'.padEnd(9)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'F1'.padStart(9)} ${'support'.padStart(8)}`);
  for (const m of d.perClass) {
    ctx.print(`${EMOTIONS[m.label]!.padEnd(9)} ${pct(m.precision).padStart(9)} ${pct(m.recall).padStart(9)} ${pct(m.f1).padStart(9)} ${String(m.support).padStart(8)}`);
  }
  ctx.print('');
  for (const l of confusionLines(d.confusion)) ctx.print(l);
}

/**
 * While `work` runs, Ctrl-C cancels the evaluations through the contract (eval.cancel) instead of killing the
 * process, so the command can say that nothing was stored. A second Ctrl-C ends the process the default way.
 */
export async function cancellableOnCtrlC<T>(ctx: CliContext, work: () => Promise<T>): Promise<T> {
  const onSigint = () => {
    ctx.note('\ncancelling: nothing of the running evaluation will be stored (Ctrl-C again to quit at once)');
    void ctx.call('eval.cancel', {});
  };
  process.once('SIGINT', onSigint);
  try {
    return await work();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Runs eval.run with a progress bar fed by eval.progress events; Ctrl-C cancels it. */
export async function evalWithProgress(ctx: CliContext, args: { runId: number; split: Split; tta?: number; checkpoint?: 'best' | 'last'; ttaFlip?: boolean; ttaSeed?: number; batch?: number; heldOut?: boolean }): Promise<EvaluationSummary> {
  const { ProgressBar } = await import('../progress');
  const bar = new ProgressBar(`evaluating run ${args.runId} on ${args.split}`);
  const stop = ctx.workbench().events.subscribe((event, payload) => {
    if (event !== 'eval.progress') return;
    const p = payload as { runId: number | null; done: number; total: number; phase: string };
    if (p.runId === args.runId && p.phase === 'predicting') bar.update(p.done, p.total, 'images×views');
  });
  try {
    return await cancellableOnCtrlC(ctx, () => ctx.call('eval.run', args));
  } finally {
    bar.done();
    stop();
  }
}

/** compare/export --evaluate-missing: evaluates the runs lacking the table's setting, one bar per run. */
export async function evalMissingWithProgress(ctx: CliContext, args: InvokeArgs<'compare.evaluateMissing'>): Promise<InvokeResult<'compare.evaluateMissing'>> {
  const { ProgressBar } = await import('../progress');
  // Held in an object: a `let` assigned only inside the listener reads as never-assigned to the type checker.
  const live: { bar: InstanceType<typeof ProgressBar> | null; runId: number | null } = { bar: null, runId: null };
  const stop = ctx.workbench().events.subscribe((event, payload) => {
    if (event !== 'eval.progress') return;
    const p = payload as { runId: number | null; done: number; total: number; phase: string };
    if (p.runId !== live.runId) {
      live.bar?.done();
      live.runId = p.runId;
      live.bar = new ProgressBar(`evaluating run ${p.runId} on ${args.split}`);
    }
    if (p.phase === 'predicting') live.bar?.update(p.done, p.total, 'images×views');
  });
  try {
    const res = await cancellableOnCtrlC(ctx, () => ctx.call('compare.evaluateMissing', args));
    live.bar?.done();
    for (const e of res.evaluated) ctx.note(`evaluated run ${e.runId}: evaluation ${e.id}, accuracy ${pct(e.accuracy)}`);
    for (const f of res.failed) ctx.note(`run ${f.runId} failed [${f.code}]: ${f.message}`);
    if (res.cancelled) ctx.note('cancelled: the runs not evaluated are shown as missing');
    return res;
  } finally {
    stop();
  }
}
