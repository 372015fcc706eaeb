import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { loadModelDir } from '../../../../src-main/engine/checkpoint';
import { prepareBatch } from '../../../../src-main/engine/input';
import { FACERES_BASE_LAYERS } from '../../../../src-main/engine/models/faceres';
import { getModel } from '../../../../src-main/engine/models/index';
import { train } from '../../../../src-main/engine/train';
import { trainConfigSchema, type EpochMetrics, type TrainConfigInput } from '../../../../src-shared/contract/runs';
import { tempDir } from '../../../helpers/workbench';
import { synthSplits } from '../train-helpers';

// 14 synthetic faces to train on, at 64 px (faceres takes any side ≥ 32): one epoch shows it trains, not how well.
const { train: trainSet, held } = synthSplits(2, 13);
const base: TrainConfigInput = { dataset: 'x', model: 'faceres', inputSize: 64, augment: null, epochs: 1, batch: 7, seed: 3, optimizer: 'adam', lr: 1e-4 };

const snapshot = (m: tf.LayersModel, names: string[]) => Object.fromEntries(names.map((n) => [n, m.getLayer(n).getWeights()[0]!.dataSync().slice() as Float32Array]));
const changed = (m: tf.LayersModel, name: string, before: Record<string, Float32Array>) => m.getLayer(name).getWeights()[0]!.dataSync().some((v, i) => v !== before[name]![i]);

async function run(over: Partial<TrainConfigInput>, dir: string | null, watch: string[]) {
  const config = trainConfigSchema.parse({ ...base, ...over });
  const def = getModel('faceres');
  const spec = def.inputSpec(config);
  const model = await def.build(config, { weightsFile: null });
  const before = snapshot(model, watch);
  const epochs: EpochMetrics[] = [];
  const outcome = await train({ config, model, spec, train: trainSet, val: held, test: null, classWeights: null, dir, hooks: { onEpoch: (m) => epochs.push(m) } });
  return { spec, model, before, epochs, outcome };
}

describe('faceres trains on the wasm backend', () => {
  const tmp = tempDir('fer-faceres-train-');
  beforeAll(async () => {
    await activateBackend('wasm');
  });
  afterAll(() => tmp.cleanup());

  it('fine-tunes its last two blocks (depthwise and pointwise) and the head, leaving the frozen layers as loaded', async () => {
    const watch = ['conv1', 'conv_dw_11', 'conv_pw_11', 'conv_dw_12', 'conv_pw_12', 'conv_dw_13', 'conv_pw_13', 'head_fc1024'];
    const r = await run({ freeze: 47 }, tmp.dir, watch);
    const m = r.model;
    expect(r.outcome.featureCache.applies).toBe(false);
    expect(r.epochs).toHaveLength(1);
    expect(Number.isFinite(r.epochs[0]!.loss)).toBe(true);
    expect(Number.isFinite(r.epochs[0]!.valLoss)).toBe(true);
    // Layer 47 is conv_dw_12: it and everything after it train; conv_pw_11 (layer 45) and before stay frozen.
    expect(m.layers[47]!.name).toBe('conv_dw_12');
    for (const name of ['conv1', 'conv_dw_11', 'conv_pw_11']) {
      expect(m.getLayer(name).trainable, name).toBe(false);
      expect(changed(m, name, r.before), name).toBe(false);
    }
    for (const name of ['conv_dw_12', 'conv_pw_12', 'conv_dw_13', 'conv_pw_13', 'head_fc1024']) {
      expect(m.getLayer(name).trainable, name).toBe(true);
      expect(changed(m, name, r.before), name).toBe(true);
    }
    // The checkpoint is a plain layers model (DepthwiseConv2D, ReLU6 activations) that loads and predicts the same.
    const saved = await loadModelDir(join(tmp.dir, 'last'));
    const x = prepareBatch(held.pixels, held.n, r.spec);
    const diff = tf.tidy(() => (saved.predict(x) as tf.Tensor).sub(m.predict(x) as tf.Tensor).abs().max().dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x]);
    saved.dispose();
    m.dispose();
  });

  it('with the whole base frozen, caches its 1024 features and trains only the (light) head', async () => {
    const r = await run({ freeze: FACERES_BASE_LAYERS, cacheFeatures: true, hidden: 64, epochs: 2 }, null, ['conv_pw_13', 'head_fc64']);
    expect(r.outcome.featureCache).toMatchObject({ applies: true, featureSize: 1024 });
    expect(r.model.layers.slice(FACERES_BASE_LAYERS).map((l) => l.name)).toEqual(['head_fc64', 'head_dropout1', 'head_softmax']);
    expect(r.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    expect(changed(r.model, 'conv_pw_13', r.before)).toBe(false);
    expect(changed(r.model, 'head_fc64', r.before)).toBe(true);
    r.model.dispose();
  });

  it("multilevel: caches the 2,560 joined pools, and the head's batch norm learns their scale while the base stays as loaded", async () => {
    const r = await run({ features: 'multilevel', freeze: FACERES_BASE_LAYERS + 3, cacheFeatures: true, hidden: 64, epochs: 2 }, null, ['conv_pw_11', 'head_features_bn', 'head_fc64']);
    expect(r.outcome.featureCache).toMatchObject({ applies: true, featureSize: 2560 });
    expect(r.epochs.every((e) => Number.isFinite(e.loss) && Number.isFinite(e.valLoss))).toBe(true);
    expect(changed(r.model, 'conv_pw_11', r.before)).toBe(false);
    expect(changed(r.model, 'head_features_bn', r.before)).toBe(true);
    expect(changed(r.model, 'head_fc64', r.before)).toBe(true);
    r.model.dispose();
  });

  it('multilevel with a cut inside the base (freeze 49): trains conv_pw_12 on from the cached conv_dw_12 map and conv_pw_11 pool, on the same path as the whole network', async () => {
    const watch = ['conv_dw_12', 'conv_pw_12', 'conv_pw_13', 'head_fc64'];
    const over: Partial<TrainConfigInput> = { features: 'multilevel', freeze: 49, hidden: 64, epochs: 2 };
    const cached = await run({ ...over, cacheFeatures: true }, null, watch);
    const full = await run({ ...over, cacheFeatures: false }, null, watch);
    // At 64 px conv_dw_12's map is 2×2×512.
    expect(cached.outcome.featureCache).toMatchObject({ applies: true, featureSize: 2 * 2 * 512 + 512 });
    expect(full.outcome.featureCache.applies).toBe(false);
    expect(changed(cached.model, 'conv_dw_12', cached.before)).toBe(false);
    for (const name of ['conv_pw_12', 'conv_pw_13', 'head_fc64']) expect(changed(cached.model, name, cached.before), name).toBe(true);
    full.epochs.forEach((e, i) => {
      const c = cached.epochs[i]!;
      expect(Math.abs(e.loss - c.loss) / e.loss).toBeLessThan(1e-4);
      expect(Math.abs(e.valLoss! - c.valLoss!) / e.valLoss!).toBeLessThan(1e-4);
    });
    for (const name of ['conv_pw_12', 'conv_pw_13']) {
      const a = cached.model.getLayer(name).getWeights()[0]!.dataSync() as Float32Array;
      const b = full.model.getLayer(name).getWeights()[0]!.dataSync() as Float32Array;
      expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0), name).toBeLessThan(1e-5);
    }
    cached.model.dispose();
    full.model.dispose();
  });
});
