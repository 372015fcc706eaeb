import { KERNEL_FNS } from './kernel-signatures';

/**
 * Control block shared by KernelRuntime and its workers (Int32 slots): a generation counter the caller bumps to
 * post a job, a failure flag, the function index, one acknowledgement slot per thread (the generation that thread
 * last finished), then one row per thread: [argc, ...args] (argc 0: nothing for this thread).
 *
 * Acknowledging by generation rather than counting finished workers: a count cannot tell which job a worker
 * finished, so one extra count (a worker running a job twice) made the caller take the next job as done before the
 * worker had started it.
 */
export const CTL = { generation: 0, failed: 1, fn: 2, acks: 8, rows: 16, rowSize: 24, maxThreads: 8 } as const;
export const CTL_SLOTS = CTL.rows + CTL.rowSize * CTL.maxThreads;

/**
 * The worker's whole program, run with `new Worker(src, { eval: true })` so that it needs no file next to the
 * bundle (tsx, electron-vite and the bridge all load this module differently). Each worker instantiates the
 * kernels on the shared heap, then sleeps in Atomics.wait (after spinning for `spinMs`, if given) until the
 * generation counter moves, runs its row of the posted job, and acknowledges that generation. The caller cuts the work into rows; the worker only calls.
 */
export const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl, index, stack, spinMs } = workerData;
const CTL = ${JSON.stringify(CTL)};
const FNS = ${JSON.stringify(KERNEL_FNS)};
// A worker that cannot start still answers every job (as failed), so the caller never waits on it.
let k = null, startError = null;
try {
  k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  k.__stack_pointer.value = stack;
} catch (e) {
  startError = e;
}
const c = new Int32Array(ctl);
const row = CTL.rows + index * CTL.rowSize;
// From 0, not the current value: a job posted while this worker was still starting must not be missed.
let seen = 0;
for (;;) {
  if (spinMs > 0) {
    const until = performance.now() + spinMs;
    while (Atomics.load(c, CTL.generation) === seen && performance.now() < until);
  }
  // Wake-ups without a new job go back to sleep. The caller bumps the generation, then notifies; when it is preempted
  // between the two (a loaded machine), this worker can see the new generation, run the job and be asleep again
  // before the notify arrives. Taking that late notify as a new job ran the old row a second time, alongside the
  // caller's next kernels, and acknowledged a job it had not run.
  while (Atomics.load(c, CTL.generation) === seen) Atomics.wait(c, CTL.generation, seen);
  seen = Atomics.load(c, CTL.generation);
  try {
    if (!k) throw startError;
    const argc = c[row];
    if (argc > 0) k[FNS[c[CTL.fn]]](...c.subarray(row + 1, row + 1 + argc));
  } catch (e) {
    Atomics.store(c, CTL.failed, 1);
  }
  Atomics.store(c, CTL.acks + index, seen);
  Atomics.notify(c, CTL.acks + index);
}
`;
