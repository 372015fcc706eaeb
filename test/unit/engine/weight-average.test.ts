import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { loadModelDir } from '../../../src-main/engine/checkpoint';
import { getModel } from '../../../src-main/engine/models/index';
import { train, type TrainOutcome } from '../../../src-main/engine/train';
import { AVERAGE_FILE, WeightAverage } from '../../../src-main/engine/weight-average';
import { trainConfigSchema, type EpochMetrics, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

/** The decay after n updates, as the average applies it (TensorFlow's num_updates form). */
const decayAt = (decay: number, n: number) => Math.min(decay, (1 + n) / (10 + n));

function maxDiff(a: Float32Array | number[], b: Float32Array | number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('WeightAverage', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  function tinyNet(): tf.LayersModel {
    const input = tf.input({ shape: [3] });
    const frozen = tf.layers.dense({ units: 4, name: 'frozen_dense' });
    frozen.trainable = false;
    const bn = tf.layers.batchNormalization({ name: 'bn' });
    const out = tf.layers.dense({ units: 2, name: 'out_dense' }).apply(bn.apply(frozen.apply(input))) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  }

  it('follows avg ← d·avg + (1 − d)·w with the warm-up decay, over the trainable layers only', async () => {
    const net = tinyNet();
    const frozenBefore = net.getLayer('frozen_dense').getWeights().map((w) => Array.from(w.dataSync()));
    const avg = WeightAverage.start(net, 0.9);
    // The layers that train: bn (gamma, beta, moving mean, moving variance) and out_dense (kernel, bias).
    const { state } = await avg.encode();
    expect(state.weights.length).toBe(6);
    const trained = () => [...net.getLayer('bn').weights, ...net.getLayer('out_dense').weights];
    let expected = trained().map((v) => Array.from(v.read().dataSync()));
    for (let n = 0; n < 5; n++) {
      // Stand in for an optimizer step: every averaged weight moves to a new value.
      trained().forEach((v, k) => v.write(tf.fill(v.shape as number[], n + k + 1)));
      avg.update();
      const d = decayAt(0.9, n);
      expected = expected.map((e, k) => e.map((x) => d * x + (1 - d) * (n + k + 1)));
    }
    const seen = await avg.withAverage(async () => trained().map((v) => Array.from(v.read().dataSync())));
    seen.forEach((s, k) => expect(maxDiff(s, expected[k]!)).toBeLessThan(1e-5));
    // Back to the trained weights afterwards, the frozen layer never touched.
    trained().forEach((v, k) => expect(Array.from(v.read().dataSync())).toEqual(new Array(v.read().size).fill(4 + k + 1)));
    net.getLayer('frozen_dense').getWeights().forEach((w, k) => expect(Array.from(w.dataSync())).toEqual(frozenBefore[k]));
    avg.dispose();
    net.dispose();
  });

  it('puts the trained weights back when the work done with the average throws', async () => {
    const net = tinyNet();
    const avg = WeightAverage.start(net, 0.5);
    const kernel = net.getLayer('out_dense').weights[0]!;
    kernel.write(tf.fill(kernel.shape as number[], 3));
    avg.update();
    await expect(avg.withAverage(async () => Promise.reject(new Error('evaluation failed')))).rejects.toThrow('evaluation failed');
    expect(Array.from(kernel.read().dataSync()).every((x) => x === 3)).toBe(true);
    avg.dispose();
    net.dispose();
  });

  it('restores what it encoded, and refuses an encoding of another model naming the weight', async () => {
    const net = tinyNet();
    const avg = WeightAverage.start(net, 0.99);
    const kernel = net.getLayer('out_dense').weights[0]!;
    kernel.write(tf.fill(kernel.shape as number[], 2));
    avg.update();
    const saved = await avg.encode();
    const again = WeightAverage.restore(net, 0.99, saved.state, saved.data, 'avg.bin');
    expect((await again.encode()).data).toEqual(saved.data);
    expect((await again.encode()).state.updates).toBe(1);
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 5 })] });
    expect(() => WeightAverage.restore(other, 0.99, saved.state, saved.data, 'avg.bin')).toThrow(/avg\.bin do not fit this model/);
    [avg, again].forEach((a) => a.dispose());
    net.dispose();
    other.dispose();
  });
});

// 42 synthetic faces, 3 batches an epoch.
const { train: trainSet, held } = synthSplits(6, 21);

interface Trace {
  outcome: TrainOutcome;
  epochs: EpochMetrics[];
  final: Float32Array[];
  /** ema 0 runs: the weights after each epoch's last batch, averaged by hand after every batch as the run goes. */
  handAverage: Float32Array[][];
}

async function runBaseline(over: Partial<TrainConfigInput>, dir: string | null, opts: { stopAt?: { epoch: number; batch: number }; resume?: boolean; handDecay?: number } = {}): Promise<Trace> {
  const config = trainConfigSchema.parse({ dataset: 'x', epochs: 3, batch: 14, augment: null, seed: 5, ...over });
  const def = getModel('baseline');
  const model = await def.build(config, { weightsFile: null });
  const epochs: EpochMetrics[] = [];
  const handAverage: Float32Array[][] = [];
  // The average starts at the weights the network starts with.
  let avg = model.getWeights().map((w) => Float64Array.from(w.dataSync()));
  let updates = 0;
  let last = { epoch: 0, batch: 0 };
  const outcome = await train({
    config,
    model,
    spec: def.inputSpec(config),
    train: trainSet,
    val: held,
    classWeights: null,
    dir,
    resume: opts.resume,
    progressEveryMs: 0,
    hooks: {
      // progressEveryMs 0: called after every batch, once the step is done.
      onProgress: (p) => {
        last = { epoch: p.epoch, batch: p.batch };
        if (opts.handDecay === undefined) return;
        const now = model.getWeights().map((w) => w.dataSync() as Float32Array);
        const d = decayAt(opts.handDecay, updates++);
        avg = avg.map((a, k) => a.map((x, i) => d * x + (1 - d) * now[k]![i]!));
        if (p.batch === p.batches) handAverage.push(avg.map((a) => Float32Array.from(a)));
      },
      onEpoch: (m) => epochs.push(m),
      shouldStop: () => Boolean(opts.stopAt && last.epoch === opts.stopAt.epoch && last.batch === opts.stopAt.batch),
    },
  });
  const final = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  model.dispose();
  return { outcome, epochs, final, handAverage };
}

describe('training with weight averaging (ema)', () => {
  const tmp = tempDir('fer-ema-');
  let plain: Trace;
  let averaged: Trace;
  beforeAll(async () => {
    await activateBackend('wasm');
    plain = await runBaseline({}, null, { handDecay: 0.7 });
    averaged = await runBaseline({ ema: 0.7 }, join(tmp.dir, 'avg'));
  }, 90_000);
  afterAll(() => tmp.cleanup());

  it('trains the same weights, validates and finishes with their average', () => {
    // The steps are untouched: the same training losses epoch by epoch.
    averaged.epochs.forEach((m, i) => expect(m.loss).toBeCloseTo(plain.epochs[i]!.loss, 5));
    // Validation scores the average, not the trained weights.
    expect(averaged.epochs.some((m, i) => Math.abs(m.valLoss! - plain.epochs[i]!.valLoss!) > 1e-4)).toBe(true);
    // The finished model is the average at the best epoch.
    const best = averaged.outcome.state.best!.epoch;
    const hand = plain.handAverage[best - 1]!;
    averaged.final.forEach((w, k) => expect(maxDiff(w, hand[k]!)).toBeLessThan(1e-4));
    expect(maxDiff(averaged.final[0]!, plain.final[0]!)).toBeGreaterThan(1e-4);
  });

  it('keeps the average beside the last checkpoint and the averaged weights in the best one', async () => {
    const dir = join(tmp.dir, 'avg');
    expect(existsSync(join(dir, 'last', AVERAGE_FILE))).toBe(true);
    const best = await loadModelDir(join(dir, 'best'));
    best.getWeights().forEach((w, k) => expect(maxDiff(w.dataSync() as Float32Array, averaged.final[k]!)).toBe(0));
    best.dispose();
  });

  it('a stop mid-epoch and a resume continue the same average', async () => {
    const dir = join(tmp.dir, 'stop');
    const stopped = await runBaseline({ ema: 0.7 }, dir, { stopAt: { epoch: 2, batch: 1 } });
    expect(stopped.outcome.status).toBe('stopped');
    const resumed = await runBaseline({ ema: 0.7 }, dir, { resume: true });
    expect(resumed.outcome.status).toBe('completed');
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    // Equal to the uninterrupted run up to Adam's rebuilt beta^t rounding (as train.test.ts compares a plain resume);
    // an average restarted at the resume would be off by the whole first epoch's share.
    resumed.epochs.forEach((m, i) => expect(m.valLoss!).toBeCloseTo(averaged.epochs[i + 1]!.valLoss!, 3));
    resumed.final.forEach((w, k) => expect(maxDiff(w, averaged.final[k]!)).toBeLessThan(1e-3));
  }, 60_000);
});

describe('weight averaging on cached features', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('averages the head that trains on the cache and leaves the frozen base as it was', async () => {
    const run = async (ema: number) => {
      const config = trainConfigSchema.parse({ dataset: 'x', model: 'vgg16', inputSize: 48, freeze: 19, cacheFeatures: true, augment: null, epochs: 1, batch: 7, seed: 3, lr: 1e-4, ema });
      const def = getModel('vgg16');
      const model = await def.build(config, { weightsFile: null });
      const before = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const outcome = await train({ config, model, spec: def.inputSpec(config), train: trainSet, val: held, classWeights: null, dir: null, progressEveryMs: 0 });
      const after = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const trainable = new Set(model.trainableWeights.map((w) => w.name));
      const frozen = model.weights.map((w, k) => (trainable.has(w.name) ? -1 : k)).filter((k) => k >= 0);
      model.dispose();
      return { outcome, before, after, frozen };
    };
    const plain = await run(0);
    const avg = await run(0.9);
    expect(avg.outcome.featureCache.applies).toBe(true);
    expect(avg.frozen.length).toBeGreaterThan(0);
    for (const k of avg.frozen) expect(maxDiff(avg.after[k]!, avg.before[k]!)).toBe(0);
    // Same steps, but the finished head is the average (no checkpoint folder: the last epoch's).
    avg.outcome.state.history.forEach((m, i) => expect(m.loss).toBeCloseTo(plain.outcome.state.history[i]!.loss, 5));
    const trained = avg.after.map((_, k) => k).filter((k) => !avg.frozen.includes(k));
    expect(Math.max(...trained.map((k) => maxDiff(avg.after[k]!, plain.after[k]!)))).toBeGreaterThan(1e-6);
  }, 120_000);
});
