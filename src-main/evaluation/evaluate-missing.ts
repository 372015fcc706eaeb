import type { EvaluationSummary, InvokeParsedArgs, InvokeResult } from '../../src-shared/contract';
import { AppError, toErrorInfo } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { trackCancellable } from './cancel';
import { evaluateRun } from './run-eval';
import { loadRuns, matchingEvaluations, settingOf } from './selection';

/**
 * compare.evaluateMissing: the table's "evaluate the missing ones". Each selected run without an evaluation of
 * the table's setting is evaluated through eval.run with exactly that setting, one after another (evaluations
 * share the cores). A run that fails (or whose own evaluation is cancelled) is reported and the others go on;
 * cancelling everything stops the batch, and the evaluation in flight stores nothing.
 */
export async function evaluateMissing(wb: Workbench, args: InvokeParsedArgs<'compare.evaluateMissing'>): Promise<InvokeResult<'compare.evaluateMissing'>> {
  const split = args.split;
  if (!split) throw new AppError('INVALID_INPUT', 'Choose the split to evaluate on: "evaluate the missing ones" needs a split, not "any split".');
  const setting = settingOf({ ...args, split });
  const runs = loadRuns(wb.db, [...new Set(args.runIds)]);
  const have = matchingEvaluations(wb.db, runs, setting);
  const todo = runs.filter((_, i) => !have[i]).map((r) => r.id);
  // The batch answers a cancel of everything; a cancel of one run stops only that run's evaluation.
  const batch = trackCancellable(wb, []);
  const evaluated: EvaluationSummary[] = [];
  const failed: { runId: number; code: string; message: string }[] = [];
  try {
    for (const runId of todo) {
      if (batch.signal.aborted) break;
      try {
        evaluated.push(
          await evaluateRun(
            wb,
            { runId, split, checkpoint: setting.checkpoint, tta: setting.tta, ttaFlip: setting.ttaFlip, ttaSeed: args.ttaSeed, ...(args.batch ? { batch: args.batch } : {}) },
            batch.signal,
          ),
        );
      } catch (err) {
        const info = toErrorInfo(err);
        if (batch.signal.aborted) break;
        failed.push({ runId, code: info.code, message: info.message });
      }
    }
  } finally {
    batch.done();
  }
  return { evaluated, failed, cancelled: batch.signal.aborted };
}
