/**
 * The training process. Started by launcher.ts, it waits for one 'start' message, trains that run and exits.
 * It reads the workbench DB read-only and reports everything to the parent, which records it.
 */
import { openReadableWorkbench, type ReadableWorkbench } from '../context';
import { activateBackend, adapterNote, chooseBackend, determinismNote } from '../engine/backend';
import { patchNote } from '../engine/patches';
import { runDir } from '../engine/checkpoint';
import { planFeatureCache } from '../engine/feature-cache';
import { initFromRun } from '../engine/init-from';
import { getModel, xnnpackPoolFor } from '../engine/models/index';
import { train } from '../engine/train';
import { toErrorInfo } from '../../src-shared/errors';
import { loadRunData, resolveWeightsFile } from './data';
import { parentPort } from '../child-port';
import { parentMessageSchema, type ChildMessage, type ParentMessage } from './protocol';

let stopRequested = false;
let started = false;
let finished = false;

// Orphaned mid-run (the queue's process died): nobody would record this run's progress, so stop at once.
// Before the start, or once finished (it closes the channel itself), the loss of the parent changes nothing.
const parent = parentPort<ParentMessage, ChildMessage>({ requests: parentMessageSchema, exitWhenOrphaned: () => started && !finished });

function send(msg: ChildMessage): Promise<void> {
  return parent.send(msg);
}

/**
 * The run's backend line (RunSummary.backendReason, shown on the run page) also says whether the frozen-base
 * feature cache is in use and why, when the config asked for it: the cache changes what an epoch costs.
 */
function withCacheNote(backendReason: string, asked: boolean, cacheReason: string): string {
  return asked ? `${backendReason} ${cacheReason}` : backendReason;
}

async function run(msg: Extract<ParentMessage, { type: 'start' }>): Promise<number> {
  const { runId, config } = msg;
  let wb: (ReadableWorkbench & { close(): void }) | null = null;
  try {
    wb = openReadableWorkbench(msg.home);
    const choice = await chooseBackend(config.backend);
    const def = getModel(config.model);
    await activateBackend(choice.name, { xnnpack: xnnpackPoolFor(config) });
    const data = loadRunData(wb, config);
    const spec = def.inputSpec(config);
    const model = await def.build(config, { weightsFile: resolveWeightsFile(wb, config.weights) });
    // A warm start replaces every weight the build made; a resume loads its own `last` checkpoint in train() instead.
    const warm = !msg.resume && config.initFrom !== null ? await initFromRun(wb, model, config.initFrom) : null;
    const dir = runDir(wb.home.runs, runId);
    const featureCache = planFeatureCache(config, model, data.train.n + (data.val?.n ?? 0), data.train.n);
    await send({ type: 'started', runId, backend: choice.name, backendReason: withCacheNote([choice.reason, adapterNote(choice.name), determinismNote(choice.name), patchNote(choice.name)].filter(Boolean).join(' '), config.cacheFeatures, featureCache.reason), trainSamples: data.train.n, valSamples: data.val?.n ?? 0 });
    // After 'started', whose backend line the note is appended to.
    if (warm) await send({ type: 'note', runId, level: 'info', message: `Started from run ${config.initFrom}'s best weights (epoch ${warm.epoch}).` });
    const outcome = await train({
      config,
      model,
      spec,
      train: data.train,
      val: data.val,
      test: data.test,
      classWeights: data.classWeights,
      dir,
      resume: msg.resume,
      featureCache,
      featureStore: { root: wb.home.featureStore, datasetId: data.datasetId },
      hooks: {
        onNote: (message, level) => void send({ type: 'note', runId, level, message }),
        onResumed(state) {
          void send({ type: 'history', runId, epochs: state.history });
        },
        onProgress: (progress) => void send({ type: 'progress', runId, progress }),
        onEpoch: (metrics, confusion, isBest) => void send({ type: 'epoch', runId, metrics, confusion: confusion ? Array.from(confusion) : null, isBest }),
        onCheckpoint: (which, epoch, path) => void send({ type: 'checkpoint', runId, which, epoch, path }),
        shouldStop: () => stopRequested,
      },
    });
    model.dispose();
    const test = outcome.test && config.testSplit ? { split: config.testSplit, loss: outcome.test.loss, acc: outcome.test.acc, confusion: Array.from(outcome.test.confusion) } : null;
    await send({ type: 'done', runId, status: outcome.status, earlyStopped: outcome.earlyStopped, epochsDone: outcome.state.epochsDone, best: outcome.state.best, test });
    return 0;
  } catch (err) {
    if (process.env.FER_TRAINER_STDERR) console.error(err);
    await send({ type: 'failed', runId, error: toErrorInfo(err) });
    return 1;
  } finally {
    wb?.close();
  }
}

parent.onRequest((m) => {
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (started) return;
  started = true;
  void run(m).then((code) => {
    finished = true;
    process.exitCode = code;
    parent.close();
    // The wasm backend keeps no handles, but a stray timer must not keep a finished trainer alive.
    setTimeout(() => process.exit(code), 200).unref();
  });
});
// `fer stop` from another process (the queue owner is elsewhere) signals the trainer directly.
process.on('SIGTERM', () => {
  stopRequested = true;
});
void send({ type: 'ready' });
