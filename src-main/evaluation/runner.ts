import { fork, type ChildProcess } from 'node:child_process';
import { AppError, ERROR_CODES, type ErrorCode } from '../../src-shared/errors';
import { childEntry, type ChildEntry } from '../child-entry';
import type { Workbench } from '../context';
import { cancelledError, throwIfCancelled } from './cancel';
import { computeEval, type EvalJob, type EvalOutput } from './compute';
import type { WorkerMessage, WorkerRequest } from './worker';

/** In the electron-vite build the worker is its own bundle next to main's (input name `eval-worker`). */
function workerEntry(): ChildEntry | null {
  return childEntry(new URL('./worker.ts', import.meta.url), new URL('./eval-worker.js', import.meta.url));
}

const children = new WeakMap<Workbench, Set<ChildProcess>>();

/**
 * Runs an evaluation job in a child process (tfjs inference blocks its thread for seconds to minutes,
 * which must not freeze the process serving the UI). FER_EVAL_INPROCESS=1, or a build with neither worker
 * file next to this one, runs it in this process instead.
 */
export function runEvalJob(wb: Workbench, job: EvalJob, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<EvalOutput> {
  throwIfCancelled(signal);
  const entry = process.env.FER_EVAL_INPROCESS === '1' ? null : workerEntry();
  if (!entry) {
    // In this process predictProbs stops between batches when the signal fires.
    return computeEval(wb, job, onProgress, signal);
  }
  return new Promise((resolve, reject) => {
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env },
    });
    let set = children.get(wb);
    if (!set) {
      set = new Set();
      children.set(wb, set);
      const mine = set;
      wb.onClose(() => {
        for (const c of mine) c.kill();
      });
    }
    set.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      set!.delete(child);
      fn();
    };
    child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') onProgress(msg.done, msg.total);
      else if (msg.type === 'result') finish(() => resolve({ ids: msg.ids, labels: msg.labels, probs: msg.probs, tta: msg.tta, backend: msg.backend, seconds: msg.seconds }));
      else if (msg.type === 'error') {
        const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(msg.code) ? (msg.code as ErrorCode) : 'INTERNAL';
        finish(() => reject(new AppError(code, msg.message)));
      }
    });
    child.on('error', (err) => finish(() => reject(new AppError('INTERNAL', `The evaluation process failed to start: ${err.message}`))));
    child.on('exit', (code, signal) => {
      finish(() =>
        reject(
          new AppError(
            signal ? 'CANCELLED' : 'INTERNAL',
            signal ? `The evaluation process was stopped (${signal}).` : `The evaluation process exited with code ${code} before answering. ${lastLines(stderr)}`.trim(),
          ),
        ),
      );
    });
    // Cancelling kills the worker: it stores nothing (the parent does the storing), so there is nothing to undo.
    const onAbort = () => {
      finish(() => reject(cancelledError()));
      child.kill('SIGTERM');
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('exit', () => signal?.removeEventListener('abort', onAbort));
    const req: WorkerRequest = { type: 'job', home: wb.home.root, job };
    child.send(req);
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join('\n');
}
