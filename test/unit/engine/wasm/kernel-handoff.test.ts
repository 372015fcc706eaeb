import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelModule } from '../../../../src-main/engine/wasm/kernel-module';
import { KERNEL_FNS } from '../../../../src-main/engine/wasm/kernel-signatures';
import { CTL, CTL_SLOTS, WORKER_SOURCE } from '../../../../src-main/engine/wasm/winograd-worker';

/**
 * The caller/worker hand-off of the kernel runtime, driven by hand so that a test can make the interleaving that a
 * loaded machine makes by chance: the caller bumps the generation, is preempted before its notify, the worker runs
 * the job and falls asleep, and only then does the notify arrive. On real FER2013 under load this made the worker
 * run a job twice and acknowledge one it had not run (a batch norm's output half unwritten when the next kernel read
 * it; training results that changed from run to run, and once a collapse to chance).
 *
 * The job is chan_sums, which adds into its accumulators: running it twice shows as doubled sums.
 */
const PIXELS = 64;
const C = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('kernel worker hand-off', () => {
  let worker: Worker | null = null;
  afterEach(async () => {
    await worker?.terminate();
    worker = null;
  });

  it.each([0, 2])('runs each posted job once, whatever wake-ups arrive late (worker spin %i ms)', async (spinMs) => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536, shared: true });
    const heap = memory.buffer;
    // Layout: x [PIXELS, C] floats of 1 at 1024, the float32 scratch at 4096, the float64 sums at 8192, a stack below 65536.
    const x = 1024;
    const part = 4096;
    const acc = 8192;
    new Float32Array(heap, x, PIXELS * C).fill(1);
    const sums = new Float64Array(heap, acc, C);
    const ctl = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
    worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module: kernelModule(true), memory, ctl: ctl.buffer, index: 1, stack: 65536, spinMs } });

    // Post one job for worker 1 as the runtime does, but hold the notify back.
    const row = CTL.rows + CTL.rowSize;
    ctl[CTL.fn] = KERNEL_FNS.indexOf('chan_sums');
    [6, x, C, 0, PIXELS, part, acc].forEach((v, i) => (ctl[row + i] = v));
    Atomics.add(ctl, CTL.generation, 1);
    // The worker (spinning, or just starting) sees the new generation by itself and runs the job.
    await until(() => sums[0] === PIXELS, 'the job to run');
    // Long past its spin: the worker sleeps on the generation again. Now the held-back notify arrives.
    await sleep(100);
    Atomics.notify(ctl, CTL.generation);
    await sleep(200);
    expect(Array.from(sums)).toEqual([PIXELS, PIXELS, PIXELS, PIXELS]);

    // A real next job still runs, once.
    Atomics.add(ctl, CTL.generation, 1);
    Atomics.notify(ctl, CTL.generation);
    await until(() => sums[0] === 2 * PIXELS, 'the second job to run');
    await sleep(200);
    expect(Array.from(sums)).toEqual([2 * PIXELS, 2 * PIXELS, 2 * PIXELS, 2 * PIXELS]);
  });
});
