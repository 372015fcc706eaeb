/**
 * Child-process entry for eval.run, eval.saliency and the studies' step timing: started by runner.ts through
 * child-launcher.ts, it opens the same workbench home read-only, does the tfjs work and sends back progress and
 * the probability table (or the maps, or the timings). Storing stays in the parent, so the database has a single
 * writer for evaluations.
 */
import { toErrorInfo } from '../../src-shared/errors';
import { parentPort } from '../child-port';
import { openReadableWorkbench } from '../context';
import { computeEval } from './compute';
import { computeSaliency } from './saliency-compute';
import { timeTrainingSteps, type StepTiming } from '../engine/step-timer';
import { workerRequestSchema, type WorkerMessage, type WorkerRequest } from './worker-protocol';

let answered = false;
// Orphaned (the parent died: `kill -9` of `fer eval`, a crashed app): nobody would store the result, and the job
// would run to completion under PID 1, so stop at once (child-port.ts). predictProbs yields between batches, so
// it is seen mid-job.
const parent = parentPort<WorkerRequest, WorkerMessage>({ requests: workerRequestSchema });

parent.onRequest(async (req) => {
  // One request per process: the parent starts a fresh worker for each.
  if (answered) return;
  answered = true;
  const wb = openReadableWorkbench(req.home);
  let lastSent = 0;
  try {
    if (req.type === 'saliency') {
      await parent.send({ type: 'saliency', maps: await computeSaliency(wb, req.job) });
      return;
    }
    if (req.type === 'time') {
      const timings: StepTiming[] = [];
      for (const j of req.jobs) timings.push(await timeTrainingSteps(j.config, j.weightsFile));
      await parent.send({ type: 'timing', timings });
      return;
    }
    const out = await computeEval(wb, req.job, (done, total) => {
      const now = Date.now();
      // A message per batch would flood the parent on fast backends; a few per second is plenty for a bar.
      if (now - lastSent > 200 || done === total) {
        lastSent = now;
        void parent.send({ type: 'progress', done, total });
      }
    });
    await parent.send({ type: 'result', ...out });
  } catch (err) {
    const info = toErrorInfo(err);
    await parent.send({ type: 'error', code: info.code, message: info.message });
  } finally {
    wb.close();
    // Every send was awaited, so nothing is lost; exit rather than wait on handles a backend may keep open.
    process.exit(0);
  }
});
