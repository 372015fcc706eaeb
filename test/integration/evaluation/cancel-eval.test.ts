import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../../src-main/context';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { expectWholeEvaluations, insertRun, saveStandInCheckpoint } from '../../helpers/evaluations';
import { spawnFer } from '../../helpers/fer-cli';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * Cancelling a running evaluation, with the real evaluation worker (a child process) on a tiny stand-in model:
 * through the contract, through a comparison's "evaluate the missing ones", and by Ctrl-C on `fer eval`.
 * Each must leave no evaluation row and no prediction behind, and no worker running.
 */
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let runA: number;
let runB: number;
/** Slow on purpose (34 views of every Training face, one face per batch: many seconds), so a cancel lands mid-job. */
const SLOW = { split: 'Training', tta: 32, batch: 1 } as const;

const count = (table: string) => (wb.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const stored = () => ({ evaluations: count('evaluations'), predictions: count('predictions'), class_metrics: count('class_metrics'), confusions: count('confusions') });

/** Child processes of `pid` (Linux /proc), to see that a cancelled worker is gone. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : []) {
    const file = `/proc/${pid}/task/${task}/children`;
    if (existsSync(file)) out.push(...readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}
const running = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** Resolves at the first 'predicting' progress of `runId`: the worker is then inside the job. */
function predicting(runId: number): Promise<void> {
  return new Promise((resolve) => {
    const off = wb.events.subscribe((name, payload) => {
      const p = payload as { runId: number | null; phase: string };
      if (name === 'eval.progress' && p.runId === runId && p.phase === 'predicting') {
        off();
        resolve();
      }
    });
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  t = tempWorkbench();
  wb = t.wb;
  const ds = await createSyntheticDataset(wb, { perClass: 40, seed: 9 });
  runA = insertRun(wb, ds.id, 1, false, 'cancel-a');
  runB = insertRun(wb, ds.id, 2, false, 'cancel-b');
  await saveStandInCheckpoint(wb, runA);
  await saveStandInCheckpoint(wb, runB);
}, 60_000);
afterAll(() => t.cleanup());

describe('cancelling an evaluation', () => {
  it('eval.cancel stops the worker mid-job and nothing is stored', async () => {
    const before = stored();
    const mine = childrenOf(process.pid);
    // How far the worker got: a cancel that only skipped the store would let it predict every view to the end.
    let last = { done: 0, total: 1 };
    const off = wb.events.subscribe((name, payload) => {
      const p = payload as { runId: number | null; phase: string; done: number; total: number };
      if (name === 'eval.progress' && p.phase === 'predicting') last = p;
    });
    const started = predicting(runA);
    const job = call(handlers, wb, 'eval.run', { runId: runA, ...SLOW });
    await Promise.race([started, job]);
    const workers = childrenOf(process.pid).filter((p) => !mine.includes(p));
    expect(workers).toHaveLength(1);
    expect(await call(handlers, wb, 'eval.cancel', { runId: runB })).toEqual({ cancelled: 0 });
    expect(await call(handlers, wb, 'eval.cancel', { runId: runA })).toEqual({ cancelled: 1 });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/nothing was stored/) });
    off();
    expect(last.done, 'the worker ran on to the end of the job after the cancel').toBeLessThan(last.total / 2);
    expect(stored()).toEqual(before);
    const deadline = Date.now() + 3000;
    while (running(workers[0]!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running(workers[0]!), 'the cancelled worker is still running').toBe(false);
    expect(await call(handlers, wb, 'eval.cancel', {})).toEqual({ cancelled: 0 });
  }, 60_000);

  it('in this process (FER_EVAL_INPROCESS=1) the cancel stops prediction between batches', async () => {
    const before = stored();
    let last = { done: 0, total: 1 };
    const off = wb.events.subscribe((name, payload) => {
      const p = payload as { phase: string; done: number; total: number };
      if (name === 'eval.progress' && p.phase === 'predicting') last = p;
    });
    process.env.FER_EVAL_INPROCESS = '1';
    try {
      const started = predicting(runB);
      const job = call(handlers, wb, 'eval.run', { runId: runB, ...SLOW });
      await Promise.race([started, job]);
      expect(await call(handlers, wb, 'eval.cancel', { runId: runB })).toEqual({ cancelled: 1 });
      await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      delete process.env.FER_EVAL_INPROCESS;
      off();
      await tf.setBackend('cpu');
    }
    expect(last.done).toBeLessThan(last.total / 2);
    expect(stored()).toEqual(before);
  }, 60_000);

  it('after a cancel, a comparison evaluates its missing runs through the worker; a cancel of the batch stores nothing', async () => {
    const table = await call(handlers, wb, 'compare.table', { runIds: [runA, runB], split: 'PublicTest' });
    expect(table.missing.map((m) => m.runId)).toEqual([runA, runB]);
    const done = await call(handlers, wb, 'compare.evaluateMissing', { runIds: [runA, runB], split: 'PublicTest', batch: 256 });
    expect(done.evaluated.map((e) => [e.runId, e.split, e.tta, e.checkpoint])).toEqual([
      [runA, 'PublicTest', null, 'best'],
      [runB, 'PublicTest', null, 'best'],
    ]);
    expect(expectWholeEvaluations(wb)).toEqual(done.evaluated.map((e) => e.id));
    expect(done).toMatchObject({ failed: [], cancelled: false });
    expect((await call(handlers, wb, 'compare.table', { runIds: [runA, runB], split: 'PublicTest' })).missing).toEqual([]);

    // Both lack the slow setting; cancelling everything at the first one's first batch stops the batch.
    const before = stored();
    const started = predicting(runA);
    const batch = call(handlers, wb, 'compare.evaluateMissing', { runIds: [runA, runB], ...SLOW });
    await Promise.race([started, batch]);
    // The batch and the evaluation in flight stop together: one cancel.
    expect(await call(handlers, wb, 'eval.cancel', {})).toEqual({ cancelled: 1 });
    expect(await batch).toEqual({ evaluated: [], failed: [], cancelled: true });
    expect(stored()).toEqual(before);
    expectWholeEvaluations(wb);
  }, 60_000);

  it('Ctrl-C on `fer eval` cancels through the contract: it says so, stores nothing and leaves no worker', async () => {
    const before = stored();
    const fer = spawnFer(['eval', String(runB), '--split', SLOW.split, '--tta', String(SLOW.tta), '--batch', '1', '--home', t.dir]);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => fer.on('exit', (code) => resolve(code)));
    // The progress bar's first line: the worker is predicting.
    await new Promise<void>((resolve, reject) => {
      fer.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/evaluating run \d+ on Training .*\d+\/\d+/.test(stderr)) resolve();
      });
      void exited.then(() => reject(new Error(`fer eval ended before it predicted: ${stderr}`)));
    });
    const workers = childrenOf(fer.pid!);
    expect(workers.length).toBeGreaterThan(0);
    fer.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toMatch(/error \[CANCELLED\]: The evaluation was cancelled: nothing was stored\./);
    expect(stored()).toEqual(before);
    for (const w of workers) expect(running(w), `worker ${w} outlived fer eval`).toBe(false);
  }, 60_000);
});
