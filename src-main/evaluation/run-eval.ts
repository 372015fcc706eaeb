import type { EvaluationSummary, InvokeParsedArgs } from '../../src-shared/contract';
import type { FoldConfig, TrainConfig } from '../../src-shared/contract/runs';
import { AppError, fieldError } from '../../src-shared/errors';
import type { Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { heldOutIds } from '../data/folds';
import { ensureTrainCopies } from '../data/train-copies';
import { validateTta } from '../engine/tta';
import { throwIfCancelled, trackCancellable } from './cancel';
import { ttaFromArgs, type EvalJob, type EvalOutput } from './compute';
import { runEvalJob } from './runner';
import { getSummary, insertEvaluation } from '../store/evaluations';
import { requireStoredRun, storedRun } from '../store/runs';
import { splitSize } from '../store/samples';

/** The fold a run held out, for eval.run's heldOut: only a k-fold run has one, and only on its training split. */
function heldOutFold(wb: Workbench, runId: number, split: Split): FoldConfig {
  const row = storedRun(wb.db, runId)!;
  const cfg = row.model === 'external' ? null : (JSON.parse(row.config_json) as Partial<TrainConfig>);
  if (!cfg?.fold) {
    throw fieldError('INVALID_INPUT', 'heldOut', `run ${runId} is not a k-fold run (its config has no fold), so it held no faces out; queue fold runs with \`fer train --folds K\`.`);
  }
  const trainSplit = cfg.trainSplit ?? 'Training';
  if (split !== trainSplit) {
    throw fieldError('INVALID_INPUT', 'heldOut', `run ${runId} held out fold ${cfg.fold.index} of ${cfg.fold.k} of ${trainSplit}, not of ${split}: evaluate it on ${trainSplit}, or on ${split} without heldOut.`);
  }
  return cfg.fold;
}

/**
 * eval.run: checks everything that can be checked cheaply first (run, split, TTA range), then predicts
 * in a child process and stores the result in one transaction, so a failure leaves no evaluation behind.
 * eval.cancel (or `parent`, a batch's signal) stops it before the store; once stored, it is whole.
 */
export async function evaluateRun(wb: Workbench, args: InvokeParsedArgs<'eval.run'>, parent?: AbortSignal): Promise<EvaluationSummary> {
  const run = requireStoredRun(wb.db, args.runId);
  const fold = args.heldOut === true ? heldOutFold(wb, run.id, args.split) : null;
  const count = fold
    ? heldOutIds(wb.db, run.dataset_id, args.split, fold.k, fold.index).size
    : splitSize(wb.db, run.dataset_id, args.split);
  if (!count) throw new AppError('INVALID_INPUT', `Run ${args.runId}'s dataset (id ${run.dataset_id}) has no ${args.split} samples to evaluate on${fold ? ` in its held-out fold` : ''}.`);
  const tta = ttaFromArgs(args.tta, args.ttaFlip, args.ttaSeed);
  if (tta) {
    try {
      validateTta(tta);
    } catch (err) {
      throw new AppError('INVALID_INPUT', (err as Error).message);
    }
  }
  // Index the dataset's copies of Training faces now (once per dataset), so the stored evaluation's summary
  // carries its de-duplicated scores from the start.
  if (args.split !== 'Training') ensureTrainCopies(wb, run.dataset_id);
  const job: EvalJob = { runId: run.id, datasetId: run.dataset_id, split: args.split, checkpoint: args.checkpoint, tta, batch: args.batch ?? null, fold };
  wb.events.emit('eval.progress', { runId: run.id, done: 0, total: count * (tta ? 1 + (tta.flip ? 1 : 0) + tta.augmented : 1), phase: 'loading' });
  const cancel = trackCancellable(wb, [run.id], parent);
  let out: EvalOutput;
  try {
    out = await runEvalJob(wb, job, (done, total) => wb.events.emit('eval.progress', { runId: run.id, done, total, phase: 'predicting' }), cancel.signal);
    // A cancel that arrived with the result still wins: the caller was told it stopped, so nothing is stored.
    throwIfCancelled(cancel.signal);
  } catch (err) {
    if (err instanceof AppError && err.code === 'CANCELLED') wb.events.emit('eval.progress', { runId: run.id, done: 0, total: 0, phase: 'cancelled' });
    throw err;
  } finally {
    cancel.done();
  }
  wb.events.emit('eval.progress', { runId: run.id, done: out.ids.length, total: out.ids.length, phase: 'storing' });
  const { id } = insertEvaluation(wb.db, {
    runId: run.id,
    ensembleId: null,
    datasetId: run.dataset_id,
    split: args.split,
    checkpoint: args.checkpoint,
    tta: out.tta,
    sampleIds: out.ids,
    labels: out.labels,
    probs: out.probs,
  });
  wb.events.emit('eval.progress', { runId: run.id, done: out.ids.length, total: out.ids.length, phase: 'done' });
  return getSummary(wb.db, id);
}
