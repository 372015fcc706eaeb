/**
 * Child-process entry for eval.run and eval.saliency: forked with tsx registered, it opens the same workbench
 * home, does the tfjs work and sends back progress and the probability table (or the maps). Storing stays in
 * the parent, so the database has a single writer for evaluations.
 */
import { toErrorInfo } from '../../src-shared/errors';
import { openWorkbench } from '../context';
import type { SaliencyMaps } from '../engine/saliency';
import { computeEval, type EvalJob } from './compute';
import { computeSaliency, type SaliencyJob } from './saliency-compute';
import { timeTrainingSteps, type StepTiming } from '../engine/step-timer';
import type { TrainConfig } from '../../src-shared/contract/runs';

/** A config to time a few training batches of (studies.estimate), with its weights file resolved by the parent. */
export interface TimingJob {
  config: TrainConfig;
  weightsFile: string | null;
}

export type WorkerRequest =
  | { type: 'job'; home: string; job: EvalJob }
  | { type: 'saliency'; home: string; job: SaliencyJob }
  | { type: 'time'; home: string; jobs: TimingJob[] };
export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'saliency'; maps: SaliencyMaps }
  | { type: 'timing'; timings: StepTiming[] }
  | { type: 'result'; ids: Int32Array; labels: Uint8Array; probs: Float32Array; tta: import('../../src-shared/contract/evaluation').TtaSummary | null; backend: string; seconds: number }
  | { type: 'error'; code: string; message: string };

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, {}, () => resolve()));
}

// Orphaned (the parent died: `kill -9` of `fer eval`, a crashed app): nobody would store the result, and
// the job would run to completion under PID 1, so stop at once. Node's IPC fires this when the parent goes;
// predictProbs yields between batches, so it is seen mid-job. (The trainer does the same: trainer/child.ts.)
process.once('disconnect', () => process.exit(3));

process.once('message', async (req: WorkerRequest) => {
  const wb = openWorkbench({ flag: req.home });
  let lastSent = 0;
  try {
    if (req.type === 'saliency') {
      await send({ type: 'saliency', maps: await computeSaliency(wb, req.job) });
      return;
    }
    if (req.type === 'time') {
      const timings: StepTiming[] = [];
      for (const j of req.jobs) timings.push(await timeTrainingSteps(j.config, j.weightsFile));
      await send({ type: 'timing', timings });
      return;
    }
    const out = await computeEval(wb, req.job, (done, total) => {
      const now = Date.now();
      // A message per batch would flood the parent on fast backends; a few per second is plenty for a bar.
      if (now - lastSent > 200 || done === total) {
        lastSent = now;
        void send({ type: 'progress', done, total });
      }
    });
    await send({ type: 'result', ...out });
  } catch (err) {
    const info = toErrorInfo(err);
    await send({ type: 'error', code: info.code, message: info.message });
  } finally {
    await wb.close();
    // Every send was awaited, so nothing is lost; exit rather than wait on handles a backend may keep open.
    process.exit(0);
  }
});
