import { AppError } from '../../src-shared/errors';
import type { Workbench } from '../context';

/** A running evaluation (or a batch of them) that eval.cancel can stop: the runs it covers and its controller. */
interface Cancellable {
  runIds: readonly number[];
  controller: AbortController;
}

const active = new WeakMap<Workbench, Set<Cancellable>>();

/**
 * Registers a cancellable piece of evaluation work. The returned signal also fires when `parent` does (a batch
 * passes its own, so cancelling the batch stops the evaluation in flight); call `done` when the work ends.
 */
export function trackCancellable(wb: Workbench, runIds: readonly number[], parent?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const entry: Cancellable = { runIds, controller };
  const set = active.get(wb) ?? new Set<Cancellable>();
  active.set(wb, set);
  set.add(entry);
  const onParent = () => controller.abort(cancelledError());
  if (parent?.aborted) controller.abort(cancelledError());
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      set.delete(entry);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** eval.cancel: aborts the running evaluations of a run, or all of them (a batch and the evaluation in flight in it count once). Returns how many it stopped. */
export function cancelEvaluations(wb: Workbench, runId?: number): number {
  let n = 0;
  for (const e of active.get(wb) ?? []) {
    if (e.controller.signal.aborted) continue;
    if (runId !== undefined && !e.runIds.includes(runId)) continue;
    // The reason is what predictProbs throws when it sees the signal between batches (in-process evaluation).
    e.controller.abort(cancelledError());
    n++;
  }
  return n;
}

export function cancelledError(): AppError {
  return new AppError('CANCELLED', 'The evaluation was cancelled: nothing was stored.');
}

/** Throws CANCELLED when the signal has fired: called at every point after which work would be stored. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
