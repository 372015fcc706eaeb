import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import type { LabelledPixels } from '../../../src-main/engine/evaluate';
import type { InputSpec } from '../../../src-main/engine/models/registry';
import { sha256 } from '../../../src-main/engine/feature-store-file';
import { readState, train, type BatchProgress } from '../../../src-main/engine/train';
import { PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { trainConfigSchema, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

// A tiny frozen base (one seeded conv + a pool) under a one-layer head: the store's bookkeeping, not a network's
// cost, is what these tests measure, so each run takes well under a second. Sample ids as loadSplit gives them.
const { train: bare, held: bareHeld } = synthSplits(3, 21);
const withIds = (d: LabelledPixels, first: number): LabelledPixels => ({ ...d, ids: Int32Array.from({ length: d.n }, (_, i) => first + 3 * i) });
const trainSet = withIds(bare, 100);
const held = withIds(bareHeld, 5000);
const DATASET = 7;
const base: TrainConfigInput = { dataset: 'x', model: 'vgg16', inputSize: 48, freeze: 3, cacheFeatures: true, augment: null, epochs: 2, batch: 5, seed: 3, optimizer: 'adam', lr: 1e-2 };

function tinyModel(size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), name: 'conv', trainable: false });
  const pool = tf.layers.globalAveragePooling2d({ name: 'pool' });
  const head = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }), name: 'head_out' });
  return tf.model({ inputs: input, outputs: head.apply(pool.apply(conv.apply(input))) as tf.SymbolicTensor, name: 'tiny' });
}

/**
 * A base cut inside: conv1 frozen, conv2 training, and a pool tapped off conv1 beside conv2's (as faceres' multilevel
 * features are). freeze 2 caches conv1's map (conv2 reads it) and its pool (weightless, reading frozen outputs only).
 */
function tinyCutModel(size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), name: 'conv1' }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), name: 'conv2' }).apply(c1) as tf.SymbolicTensor;
  const p2 = tf.layers.globalAveragePooling2d({ name: 'pool2' }).apply(c2) as tf.SymbolicTensor;
  const p1 = tf.layers.globalAveragePooling2d({ name: 'pool1' }).apply(c1) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([p1, p2]) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }), name: 'head_out' });
  const model = tf.model({ inputs: input, outputs: head.apply(joined) as tf.SymbolicTensor, name: 'tinycut' });
  model.layers.forEach((l, i) => (l.trainable = i >= 2));
  return model;
}

/** Keeps the first `n` rows of a split, ids included (what limitTrain or a fold leaves a run). */
function firstRows(d: LabelledPixels, n: number): LabelledPixels {
  return { pixels: d.pixels.slice(0, n * PIXELS_PER_IMAGE), labels: d.labels.slice(0, n), n, ids: d.ids!.slice(0, n) };
}

interface RunOpts {
  root: string | null;
  over?: Partial<TrainConfigInput>;
  data?: LabelledPixels;
  dir?: string | null;
  shouldStop?: () => boolean;
  build?: (size: number) => tf.LayersModel;
}

async function run(o: RunOpts) {
  const config = trainConfigSchema.parse({ ...base, ...o.over });
  const spec: InputSpec = { size: config.inputSize, channels: 3, normalize: 'unit' };
  const model = (o.build ?? tinyModel)(config.inputSize);
  const notes: { message: string; level: string }[] = [];
  const progress: BatchProgress[] = [];
  const outcome = await train({
    config,
    model,
    spec,
    train: o.data ?? trainSet,
    val: held,
    classWeights: null,
    dir: o.dir ?? null,
    progressEveryMs: 0,
    featureStore: o.root === null ? null : { root: o.root, datasetId: DATASET },
    hooks: { onNote: (message, level) => notes.push({ message, level }), onProgress: (p) => progress.push(p), ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}) },
  });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return { outcome, notes, progress, weights, store: outcome.featureCache.store };
}

/** The one key folder's files (tests that make one key). */
function keyDir(root: string): string {
  const keys = readdirSync(root);
  expect(keys).toHaveLength(1);
  return join(root, keys[0]!);
}

describe('the feature store', () => {
  const tmp = tempDir('fer-featstore-');
  let reference: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    await activateBackend('wasm');
    reference = await run({ root: null });
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('a second run with the same frozen base computes nothing and trains to the same bytes as a run without the store', async () => {
    const root = join(tmp.dir, 'same');
    const first = await run({ root });
    expect(first.store).toMatchObject({ reused: 0, computed: trainSet.n + held.n });
    const second = await run({ root });
    expect(second.store).toEqual({ key: first.store!.key, reused: trainSet.n + held.n, computed: 0 });
    expect(second.notes).toEqual([{ level: 'info', message: `Reused ${trainSet.n + held.n} of ${trainSet.n + held.n} faces' features from the feature store (key ${first.store!.key}); computing 0.` }]);
    // The phase is still reported once, complete, before the first batch.
    expect(second.progress[0]).toMatchObject({ phase: 'features', batch: trainSet.n + held.n, batches: trainSet.n + held.n });
    expect(second.progress.filter((p) => p.phase === 'features')).toHaveLength(1);
    expect(second.weights).toEqual(reference.weights);
    expect(first.weights).toEqual(reference.weights);
    // The readable key beside the data names what the features depend on.
    const key = JSON.parse(readFileSync(join(keyDir(root), 'key.json'), 'utf8'));
    expect(key).toMatchObject({ hash: first.store!.key, key: { format: 1, model: 'vgg16', features: 'final', inputSize: 48, channels: 3, baseLayers: 3, featureShape: [6], backend: 'wasm' } });
    expect(readdirSync(keyDir(root)).sort()).toEqual(['7-PublicTest.f32', '7-Training.f32', 'key.json']);
  }, 30_000);

  it('a cut inside the base stores the frozen layers\' outputs under its own key; a second run reuses them to the same bytes', async () => {
    const root = join(tmp.dir, 'cut');
    const cut = { root, build: tinyCutModel, over: { freeze: 2 } };
    const plain = await run({ ...cut, root: null });
    expect(plain.outcome.featureCache).toMatchObject({ applies: true, featureSize: 23 * 23 * 4 + 4 });
    const first = await run(cut);
    expect(first.store).toMatchObject({ reused: 0, computed: trainSet.n + held.n });
    const second = await run(cut);
    expect(second.store).toEqual({ key: first.store!.key, reused: trainSet.n + held.n, computed: 0 });
    expect(first.weights).toEqual(plain.weights);
    expect(second.weights).toEqual(plain.weights);
    const key = JSON.parse(readFileSync(join(keyDir(root), 'key.json'), 'utf8'));
    expect(key.key).toMatchObject({ baseLayers: 3, cut: { layers: ['conv1', 'pool1'], shapes: [[23, 23, 4], [4]] } });
    // The same layers with the whole base frozen are another key: features, not conv1's map.
    const whole = await run({ root, build: tinyCutModel, over: { freeze: 6 } });
    expect(whole.store).toMatchObject({ reused: 0, computed: trainSet.n + held.n });
    expect(readdirSync(root)).toHaveLength(2);
  }, 30_000);

  it('flip-only augmentation caches each training face mirrored too and trains as the augmenting run without a cache', async () => {
    const root = join(tmp.dir, 'mirror');
    const flip = { augment: { flip: true, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 } };
    const augmenting = await run({ root: null, over: { ...flip, cacheFeatures: false } });
    expect(augmenting.outcome.featureCache.applies).toBe(false);
    const first = await run({ root, over: flip });
    expect(first.outcome.featureCache).toMatchObject({ applies: true, mirror: true, reason: expect.stringContaining('mirrored') });
    expect(first.store).toMatchObject({ reused: 0, computed: 2 * trainSet.n + held.n });
    const second = await run({ root, over: flip });
    expect(second.store).toMatchObject({ reused: 2 * trainSet.n + held.n, computed: 0 });
    expect(second.notes[0]!.message).toMatch(/counted twice: as they are and mirrored/);
    expect(readdirSync(keyDir(root)).sort()).toEqual(['7-PublicTest.f32', '7-Training-mirrored.f32', '7-Training.f32', 'key.json']);
    expect(second.weights).toEqual(first.weights);
    // Against the run that mirrors the images themselves: the same faces mirrored in the same batches.
    const gap = first.weights.flat().reduce((m, v, i) => Math.max(m, Math.abs(v - augmenting.weights.flat()[i]!)), 0);
    expect(gap).toBeLessThan(1e-5);
    // And it is not the unaugmented run.
    expect(first.weights.flat().some((v, i) => Math.abs(v - reference.weights.flat()[i]!) > 1e-4)).toBe(true);
  }, 30_000);

  it('hashes a file in pieces as in one go (one hash update takes under 2 GiB; a training split at a cut is 2.9 GB)', () => {
    const bytes = new Uint8Array(10_000).map((_, i) => (i * 7) % 251);
    const whole = createHash('sha256').update(bytes).digest();
    for (const piece of [1, 999, 4096, 10_000, 1 << 30]) expect(sha256(bytes, piece).equals(whole), String(piece)).toBe(true);
  });

  it('a run on part of a split, then on all of it: the second computes exactly the missing faces', async () => {
    const root = join(tmp.dir, 'subset');
    const part = firstRows(trainSet, 6);
    const a = await run({ root, data: part });
    expect(a.store).toMatchObject({ reused: 0, computed: 6 + held.n });
    const b = await run({ root });
    expect(b.store).toMatchObject({ reused: 6 + held.n, computed: trainSet.n - 6 });
    // Progress starts from the faces the store gave and counts up to every face.
    const features = b.progress.filter((p) => p.phase === 'features');
    expect(features.at(-1)).toMatchObject({ batch: trainSet.n + held.n, batches: trainSet.n + held.n, etaSec: 0 });
    expect(features[0]!.batch).toBeGreaterThan(6 + held.n);
    // The union came back: a third run computes nothing, and the features are the ones a run without the store uses.
    const c = await run({ root });
    expect(c.store).toMatchObject({ reused: trainSet.n + held.n, computed: 0 });
    expect(b.weights).toEqual(reference.weights);
    expect(c.weights).toEqual(reference.weights);
  }, 30_000);

  it('a truncated or altered file is ignored with a warning, recomputed and rewritten', async () => {
    const root = join(tmp.dir, 'corrupt');
    await run({ root });
    const file = join(keyDir(root), '7-Training.f32');
    truncateSync(file, statSync(file).size - 10);
    const truncated = await run({ root });
    expect(truncated.store).toMatchObject({ reused: held.n, computed: trainSet.n });
    expect(truncated.notes.filter((n) => n.level === 'warn').map((n) => n.message)).toEqual([expect.stringMatching(/7-Training\.f32 was ignored and will be rewritten: .*truncated/)]);
    expect(truncated.weights).toEqual(reference.weights);
    // One flipped bit in the features: the checksum catches it.
    const bytes = readFileSync(file);
    bytes[bytes.length - 40]! ^= 1;
    writeFileSync(file, bytes);
    const flipped = await run({ root });
    expect(flipped.store).toMatchObject({ reused: held.n, computed: trainSet.n });
    expect(flipped.notes.find((n) => n.level === 'warn')?.message).toMatch(/checksum does not match/);
    expect(flipped.weights).toEqual(reference.weights);
    // Rewritten whole: the next run reuses every face.
    expect((await run({ root })).store).toMatchObject({ reused: trainSet.n + held.n, computed: 0 });
  }, 30_000);

  it('a face whose pixels differ from the stored one (a reused sample id) is recomputed', async () => {
    const root = join(tmp.dir, 'pixels');
    await run({ root });
    const changed = { ...trainSet, pixels: trainSet.pixels.slice() };
    changed.pixels[2 * PIXELS_PER_IMAGE + 100]! ^= 0xff;
    expect((await run({ root, data: changed })).store).toMatchObject({ reused: trainSet.n + held.n - 1, computed: 1 });
  }, 30_000);

  it('another key (a different input size) never reuses', async () => {
    const root = join(tmp.dir, 'keys');
    const a = await run({ root });
    const b = await run({ root, over: { inputSize: 40 } });
    expect(b.store!.key).not.toBe(a.store!.key);
    expect(b.store).toMatchObject({ reused: 0, computed: trainSet.n + held.n });
    expect(readdirSync(root).sort()).toEqual([a.store!.key, b.store!.key].sort());
  }, 30_000);

  it('FER_FEATURE_STORE=off neither reads nor writes it', async () => {
    const root = join(tmp.dir, 'off');
    vi.stubEnv('FER_FEATURE_STORE', 'off');
    try {
      const off = await run({ root });
      expect(existsSync(root)).toBe(false);
      expect(off.store).toBeUndefined();
      expect(off.notes).toEqual([]);
      expect(off.weights).toEqual(reference.weights);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 30_000);

  it('a stop during the computation stops and checkpoints as before, and keeps the faces already computed', async () => {
    const root = join(tmp.dir, 'stop');
    const dir = tempDir('fer-featstore-stop-');
    try {
      // The training split is one chunk; the stop lands after it, before the validation split.
      let chunks = 0;
      const stopped = await run({ root, dir: dir.dir, shouldStop: () => ++chunks > 0 });
      expect(stopped.outcome.status).toBe('stopped');
      expect(stopped.outcome.state.epochsDone).toBe(0);
      expect(readState(join(dir.dir, 'last')).epochsDone).toBe(0);
      expect(stopped.store).toMatchObject({ reused: 0, computed: trainSet.n });
      expect(readdirSync(keyDir(root)).sort()).toEqual(['7-Training.f32', 'key.json']);
      expect((await run({ root })).store).toMatchObject({ reused: trainSet.n, computed: held.n });
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});
