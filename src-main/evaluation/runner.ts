import { AppError, ERROR_CODES, type ErrorCode } from '../../src-shared/errors';
import { childEntry, type ChildEntry } from '../child-entry';
import { launchChild, type ChildHandle } from '../child-launcher';
import type { Workbench } from '../context';
import type { SaliencyMaps } from '../engine/saliency';
import { cancelledError, throwIfCancelled } from './cancel';
import { computeEval, type EvalJob, type EvalOutput } from './compute';
import { computeSaliency, type SaliencyJob } from './saliency-compute';
import { workerMessageSchema, type TimingJob, type WorkerMessage, type WorkerRequest } from './worker-protocol';
import { timeTrainingSteps, type StepTiming } from '../engine/step-timer';

/** In the electron-vite build the worker is its own bundle next to main's (input name `eval-worker`). */
function workerEntry(): ChildEntry | null {
  return childEntry(new URL('./worker.ts', import.meta.url), new URL('./eval-worker.js', import.meta.url));
}

const children = new WeakMap<Workbench, Set<ChildHandle<WorkerRequest, WorkerMessage>>>();

/**
 * Runs an evaluation job in a child process (tfjs inference blocks its thread for seconds to minutes,
 * which must not freeze the process serving the UI). FER_EVAL_INPROCESS=1, or a build with neither worker
 * file next to this one, runs it in this process instead.
 */
export async function runEvalJob(wb: Workbench, job: EvalJob, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<EvalOutput> {
  throwIfCancelled(signal);
  const entry = process.env.FER_EVAL_INPROCESS === '1' ? null : workerEntry();
  // In this process predictProbs stops between batches when the signal fires.
  if (!entry) return computeEval(wb, job, onProgress, signal);
  const msg = await inWorker(wb, entry, { type: 'job', home: wb.home.root, job }, onProgress, signal);
  if (msg.type !== 'result') throw new AppError('INTERNAL', `The evaluation process answered ${msg.type} to an evaluation.`);
  return { ids: msg.ids, labels: msg.labels, probs: msg.probs, tta: msg.tta, backend: msg.backend, seconds: msg.seconds };
}

/** Saliency maps of some faces, computed in the evaluation process like an evaluation (in process under FER_EVAL_INPROCESS=1). */
export async function runSaliencyJob(wb: Workbench, job: SaliencyJob): Promise<SaliencyMaps> {
  const entry = process.env.FER_EVAL_INPROCESS === '1' ? null : workerEntry();
  if (!entry) return computeSaliency(wb, job);
  const msg = await inWorker(wb, entry, { type: 'saliency', home: wb.home.root, job }, () => {});
  if (msg.type !== 'saliency') throw new AppError('INTERNAL', `The evaluation process answered ${msg.type} to a saliency request.`);
  return msg.maps;
}

/** A few timed training batches per config, in the evaluation process (in process under FER_EVAL_INPROCESS=1). */
export async function runTimingJob(wb: Workbench, jobs: TimingJob[]): Promise<StepTiming[]> {
  const entry = process.env.FER_EVAL_INPROCESS === '1' ? null : workerEntry();
  if (!entry) {
    const out: StepTiming[] = [];
    for (const j of jobs) out.push(await timeTrainingSteps(j.config, j.weightsFile));
    return out;
  }
  const msg = await inWorker(wb, entry, { type: 'time', home: wb.home.root, jobs }, () => {});
  if (msg.type !== 'timing') throw new AppError('INTERNAL', `The evaluation process answered ${msg.type} to a timing request.`);
  return msg.timings;
}

type Answer = Extract<WorkerMessage, { type: 'result' } | { type: 'saliency' } | { type: 'timing' }>;

/** Starts the evaluation worker for one request and settles with its answer, its error, or its exit. */
function inWorker(wb: Workbench, entry: ChildEntry, req: WorkerRequest, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child: ChildHandle<WorkerRequest, WorkerMessage> = launchChild({ label: 'the evaluation process', serviceName: 'FER Workbench evaluation', entry, messages: workerMessageSchema });
    let set = children.get(wb);
    if (!set) {
      set = new Set();
      children.set(wb, set);
      const mine = set;
      wb.onClose(() => {
        for (const c of mine) c.kill('SIGTERM');
      });
    }
    set.add(child);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      set!.delete(child);
      fn();
    };
    child.onMessage((msg) => {
      if (msg.type === 'progress') onProgress(msg.done, msg.total);
      else if (msg.type === 'error') {
        const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(msg.code) ? (msg.code as ErrorCode) : 'INTERNAL';
        finish(() => reject(new AppError(code, msg.message)));
      } else finish(() => resolve(msg));
    });
    // Cancelling kills the worker: it stores nothing (the parent does the storing), so there is nothing to undo.
    const onAbort = () => {
      finish(() => reject(cancelledError()));
      child.kill('SIGTERM');
    };
    // Its end before an answer: a crash (with its last output), a signal, or a protocol error (child-launcher.ts).
    child.onExit((exit) => {
      signal?.removeEventListener('abort', onAbort);
      finish(() => reject(exit.error));
    });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.send(req);
  });
}
