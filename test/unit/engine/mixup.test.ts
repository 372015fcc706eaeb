import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { getModel } from '../../../src-main/engine/models/index';
import { mixBatch, mixDraw, smoothLabels } from '../../../src-main/engine/mixup';
import { train, type TrainOutcome } from '../../../src-main/engine/train';
import { trainConfigSchema, type EpochMetrics, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

describe('mixup draws', () => {
  it('are a pure function of the seed: λ in [0.5, 1], the partners a permutation of the batch', () => {
    const a = mixDraw(9, 0.4, 77);
    const b = mixDraw(9, 0.4, 77);
    expect(a.lambda).toBe(b.lambda);
    expect(Array.from(a.partner)).toEqual(Array.from(b.partner));
    expect(a.lambda).toBeGreaterThanOrEqual(0.5);
    expect(a.lambda).toBeLessThanOrEqual(1);
    expect(Array.from(a.partner).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const lambdas = new Set(Array.from({ length: 20 }, (_, s) => mixDraw(9, 0.4, s).lambda));
    expect(lambdas.size).toBeGreaterThan(15);
  });

  it('follow α: a small α rarely mixes much, a large one mixes near half and half', () => {
    const mean = (alpha: number) => Array.from({ length: 400 }, (_, s) => mixDraw(4, alpha, s).lambda).reduce((x, y) => x + y) / 400;
    // E[max(λ, 1 − λ)] for λ ~ Beta(α, α): → 1 as α → 0, 0.75 at α = 1 (uniform), → 0.5 as α grows.
    expect(mean(0.05)).toBeGreaterThan(0.93);
    expect(Math.abs(mean(1) - 0.75)).toBeLessThan(0.03);
    expect(mean(200)).toBeLessThan(0.53);
  });
});

describe('mixing a batch', () => {
  it('mixes every input of a face and its target with the same λ and partner', () => {
    const draw = { lambda: 0.7, partner: Int32Array.from([2, 0, 1]) };
    const x1 = tf.tensor2d([[1, 0], [0, 1], [2, 2]]);
    const x2 = tf.tensor4d([10, 20, 30], [3, 1, 1, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 6], 'int32'), 7).toFloat() as tf.Tensor2D;
    const [xs, ys] = mixBatch([x1, x2], y, draw);
    const [m1, m2] = xs as tf.Tensor[];
    const close = (t: tf.Tensor, want: number[]) => Array.from(t.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    close(m1!, [0.7 + 0.6, 0.6, 0.3, 0.7, 1.4 + 0, 1.4 + 0.3]);
    close(m2!, [7 + 9, 14 + 3, 21 + 6]);
    const rows = ys.arraySync();
    expect(rows[0]![0]).toBeCloseTo(0.7, 6);
    expect(rows[0]![6]).toBeCloseTo(0.3, 6);
    rows.forEach((r) => expect(r.reduce((s, v) => s + v)).toBeCloseTo(1, 6));
    tf.dispose([x1, x2, y, m1!, m2!, ys]);
  });

  it('smooths labels to (1 − ε)·y + ε/7', () => {
    const y = tf.oneHot(tf.tensor1d([3], 'int32'), 7).toFloat() as tf.Tensor2D;
    const s = smoothLabels(y, 0.1).dataSync();
    expect(s[3]).toBeCloseTo(0.9 + 0.1 / 7, 6);
    expect(s[0]).toBeCloseTo(0.1 / 7, 6);
    tf.dispose(y);
  });
});

// 42 synthetic faces, 3 batches an epoch: what matters is that the draws reach the step and replay exactly.
const { train: trainSet, held } = synthSplits(6, 21);

async function runBaseline(over: Partial<TrainConfigInput>, dir: string | null, stopAt?: { epoch: number; batch: number }, resume = false) {
  const config = trainConfigSchema.parse({ dataset: 'x', epochs: 2, batch: 14, augment: null, seed: 4, ...over });
  const def = getModel('baseline');
  const model = await def.build(config, { weightsFile: null });
  const epochs: EpochMetrics[] = [];
  let last = { epoch: 0, batch: 0 };
  const outcome: TrainOutcome = await train({
    config,
    model,
    spec: def.inputSpec(config),
    train: trainSet,
    val: held,
    classWeights: null,
    dir,
    resume,
    progressEveryMs: 0,
    hooks: {
      onProgress: (p) => (last = { epoch: p.epoch, batch: p.batch }),
      onEpoch: (m) => epochs.push(m),
      shouldStop: () => Boolean(stopAt && last.epoch === stopAt.epoch && last.batch === stopAt.batch),
    },
  });
  const hash = createHash('sha256');
  for (const w of model.getWeights()) hash.update(Buffer.from((w.dataSync() as Float32Array).buffer));
  model.dispose();
  return { outcome, epochs, weights: hash.digest('hex') };
}

describe('training with mixup and label smoothing', () => {
  const tmp = tempDir('fer-mixup-');
  let mixed: Awaited<ReturnType<typeof runBaseline>>;
  beforeAll(async () => {
    await activateBackend('wasm');
    mixed = await runBaseline({ mixup: 0.4, labelSmoothing: 0.1 }, null);
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('changes what trains, and the same seed gives the same weights', async () => {
    const plain = await runBaseline({}, null);
    expect(plain.weights).not.toBe(mixed.weights);
    expect(mixed.epochs[0]!.loss).not.toBe(plain.epochs[0]!.loss);
    const again = await runBaseline({ mixup: 0.4, labelSmoothing: 0.1 }, null);
    expect(again.weights).toBe(mixed.weights);
    // Each regulariser alone differs from both together: both reach the step.
    expect((await runBaseline({ mixup: 0.4 }, null)).weights).not.toBe(mixed.weights);
    expect((await runBaseline({ labelSmoothing: 0.1 }, null)).weights).not.toBe(mixed.weights);
  }, 60_000);

  it('a stop mid-epoch and a resume replay the same draws', async () => {
    const dir = join(tmp.dir, 'stop');
    const stopped = await runBaseline({ mixup: 0.4, labelSmoothing: 0.1 }, dir, { epoch: 1, batch: 1 });
    expect(stopped.outcome.status).toBe('stopped');
    const resumed = await runBaseline({ mixup: 0.4, labelSmoothing: 0.1 }, dir, undefined, true);
    expect(resumed.outcome.status).toBe('completed');
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // The draws are functions of (seed, epoch, batch), so the resumed batches mix as the uninterrupted run's did:
    // equal up to Adam's rebuilt beta^t rounding (as train.test.ts compares a plain resume).
    resumed.epochs.forEach((m, i) => {
      expect(m.loss).toBeCloseTo(mixed.epochs[i]!.loss, 3);
      expect(m.valLoss!).toBeCloseTo(mixed.epochs[i]!.valLoss!, 3);
    });
  }, 60_000);

  it('label smoothing lifts the training loss floor: ε spreads target mass the network cannot all match', async () => {
    // Cross-entropy against a smoothed target is at least the target's own entropy (≈ 0.45 nats for ε 0.1 over 7 classes).
    const smoothed = await runBaseline({ labelSmoothing: 0.1 }, null);
    const entropy = -(0.9 + 0.1 / 7) * Math.log(0.9 + 0.1 / 7) - 6 * (0.1 / 7) * Math.log(0.1 / 7);
    smoothed.epochs.forEach((e) => expect(e.loss).toBeGreaterThan(entropy));
  }, 60_000);
});

describe('mixup on cached features', () => {
  it('mixes what the cache gives the head, reproducibly', async () => {
    const run = async (mixup: number) => {
      const config = trainConfigSchema.parse({ dataset: 'x', model: 'vgg16', inputSize: 48, freeze: 19, cacheFeatures: true, augment: null, epochs: 1, batch: 7, seed: 3, lr: 1e-4, mixup });
      const def = getModel('vgg16');
      const model = await def.build(config, { weightsFile: null });
      const outcome = await train({ config, model, spec: def.inputSpec(config), train: trainSet, val: held, classWeights: null, dir: null, progressEveryMs: 0 });
      const hash = createHash('sha256');
      for (const w of model.getWeights()) hash.update(Buffer.from((w.dataSync() as Float32Array).buffer));
      const head = hash.digest('hex');
      model.dispose();
      return { outcome, head };
    };
    const a = await run(0.4);
    expect(a.outcome.featureCache.applies).toBe(true);
    const b = await run(0.4);
    const plain = await run(0);
    expect(b.head).toBe(a.head);
    expect(plain.head).not.toBe(a.head);
  }, 120_000);
});
