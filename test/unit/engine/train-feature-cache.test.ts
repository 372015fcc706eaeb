import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { loadModelDir } from '../../../src-main/engine/checkpoint';
import { evaluateSplit } from '../../../src-main/engine/evaluate';
import { splitAtHead } from '../../../src-main/engine/feature-cache';
import { prepareBatch } from '../../../src-main/engine/input';
import { getModel } from '../../../src-main/engine/models/index';
import { readState, train, type BatchProgress, type TrainHooks } from '../../../src-main/engine/train';
import { trainConfigSchema, type EpochMetrics, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

// A few dozen synthetic faces (a quarter held out), VGG16 at its 48 px minimum (a 1×1×512 feature map): small on purpose.
const { train: trainSet, held } = synthSplits(4, 13);
const base: TrainConfigInput = { dataset: 'x', model: 'vgg16', inputSize: 48, freeze: 19, augment: null, epochs: 2, batch: 7, seed: 3, optimizer: 'adam', lr: 1e-4 };

async function runVgg(over: Partial<TrainConfigInput>, dir: string | null, hooks: TrainHooks = {}) {
  const config = trainConfigSchema.parse({ ...base, ...over });
  const def = getModel('vgg16');
  const spec = def.inputSpec(config);
  const model = await def.build(config, { weightsFile: null });
  const before = { conv: model.getLayer('conv5_3').getWeights()[0]!.dataSync().slice(), head: model.getLayer('head_fc1024').getWeights()[0]!.dataSync().slice() };
  const fullSteps = vi.spyOn(model, 'trainOnBatch');
  const epochs: EpochMetrics[] = [];
  const outcome = await train({ config, model, spec, train: trainSet, val: held, test: held, classWeights: null, dir, hooks: { onEpoch: (m) => epochs.push(m), ...hooks }, progressEveryMs: 0 });
  return { config, spec, model, before, fullStepCount: fullSteps.mock.calls.length, epochs, outcome };
}

describe('training a frozen-base model on cached features', () => {
  const tmp = tempDir('fer-cache-train-');
  let cached: Awaited<ReturnType<typeof runVgg>>;
  const progress: BatchProgress[] = [];
  beforeAll(async () => {
    await activateBackend('wasm');
    cached = await runVgg({ cacheFeatures: true }, tmp.dir, { onProgress: (p) => progress.push(p) });
  }, 120_000);
  afterAll(() => {
    cached?.model.dispose();
    tmp.cleanup();
  });

  it('uses the cache, trains only the head, and records why', () => {
    expect(cached.outcome.featureCache).toMatchObject({ applies: true, featureSize: 512 });
    expect(cached.outcome.featureCache.reason).toMatch(/512 features per image/);
    // The full network never ran a training step: the head trained on the cached features.
    expect(cached.fullStepCount).toBe(0);
    expect(cached.epochs).toHaveLength(2);
    const m = cached.model;
    expect(Array.from(m.getLayer('conv5_3').getWeights()[0]!.dataSync())).toEqual(Array.from(cached.before.conv));
    expect(m.getLayer('head_fc1024').getWeights()[0]!.dataSync().some((v, i) => v !== cached.before.head[i])).toBe(true);
  });

  it('its saved checkpoint is the whole model, predicting exactly what base + head predict', async () => {
    const saved = await loadModelDir(join(tmp.dir, 'best'));
    const x = prepareBatch(held.pixels, held.n, cached.spec);
    const { base: b, head: h } = splitAtHead(cached.model);
    const [fromSaved, fromParts] = tf.tidy(() => [saved.predict(x) as tf.Tensor, h.predict(b.predict(x) as tf.Tensor) as tf.Tensor]);
    expect(saved.inputs[0]!.shape).toEqual([null, 48, 48, 3]);
    expect(tf.tidy(() => fromSaved!.sub(fromParts!).abs().max().dataSync()[0]!)).toBeLessThan(1e-5);
    // The validation loss recorded from cached features is the one evaluation measures on the loaded model.
    const best = cached.outcome.state.best!;
    const bestEpoch = cached.epochs.find((e) => e.epoch === best.epoch)!;
    expect((await evaluateSplit(saved, held, cached.spec)).loss).toBeCloseTo(bestEpoch.valLoss!, 4);
    expect(cached.outcome.test!.loss).toBeCloseTo(bestEpoch.valLoss!, 4);
    tf.dispose([x, fromSaved!, fromParts!]);
    saved.dispose();
  });

  it('follows the same trajectory as training the whole network each step', async () => {
    const full = await runVgg({ cacheFeatures: false }, null);
    expect(full.outcome.featureCache.applies).toBe(false);
    expect(full.fullStepCount).toBe(2 * Math.ceil(trainSet.n / 7));
    full.epochs.forEach((e, i) => {
      const c = cached.epochs[i]!;
      expect(Math.abs(e.loss - c.loss) / e.loss).toBeLessThan(1e-3);
      expect(Math.abs(e.valLoss! - c.valLoss!) / e.valLoss!).toBeLessThan(1e-3);
      expect(e.valAcc).toBe(c.valAcc);
    });
    full.model.dispose();
  }, 120_000);

  it('reports the feature computation as its own progress phase before the first batch', () => {
    const total = trainSet.n + held.n;
    const firstBatch = progress.findIndex((p) => p.phase === undefined);
    const features = progress.slice(0, firstBatch);
    expect(features.length).toBeGreaterThan(1);
    expect(features.every((p) => p.phase === 'features' && p.batches === total && p.epoch === 0)).toBe(true);
    // Counts grow to every face of both splits, with a rate and a time left.
    expect(features.map((p) => p.batch)).toEqual([...features.map((p) => p.batch)].sort((a, b) => a - b));
    expect(features.at(-1)!.batch).toBe(total);
    expect(features.at(-1)!.etaSec).toBe(0);
    expect(features[0]!.imgPerSec).toBeGreaterThan(0);
    expect(progress.slice(firstBatch).some((p) => p.phase === 'features')).toBe(false);
  });

  it('a stop requested while the features are computed stops before training, with a checkpoint to resume from', async () => {
    const stopTmp = tempDir('fer-cache-stop-');
    let chunks = 0;
    const stopped = await runVgg({ cacheFeatures: true }, stopTmp.dir, { onProgress: (p) => void (p.phase === 'features' && chunks++), shouldStop: () => chunks > 0 });
    expect(stopped.outcome.status).toBe('stopped');
    expect(stopped.epochs).toHaveLength(0);
    expect(stopped.outcome.state.epochsDone).toBe(0);
    expect(readState(join(stopTmp.dir, 'last')).epochsDone).toBe(0);
    expect(Array.from(stopped.model.getLayer('head_fc1024').getWeights()[0]!.dataSync())).toEqual(Array.from(stopped.before.head));
    stopped.model.dispose();
    stopTmp.cleanup();
  }, 60_000);
});
