import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { argmaxRows } from '../../../src-main/analysis/metrics';
import type { Workbench } from '../../../src-main/context';
import { loadSplit } from '../../../src-main/data/packed-store';
import { checkpointDir, saveModelDir } from '../../../src-main/engine/checkpoint';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { activateBackend } from '../../../src-main/engine/backend';
import { prepareBatch } from '../../../src-main/engine/input';
import { saliencyMaps } from '../../../src-main/engine/saliency';

const SPEC = { size: 48, channels: 1, normalize: 'unit' } as const;
let model: tf.LayersModel;
let test: { ids: Int32Array; pixels: Uint8Array; labels: Uint8Array; n: number };
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let ds: number;

/** Inside the synthetic face's outline: the generator's mean ellipse (centre 24, 25; radii 15 × 19). */
const insideFace = (x: number, y: number) => ((x + 0.5 - 24) / 15) ** 2 + ((y + 0.5 - 25) / 19) ** 2 <= 1;

beforeAll(async () => {
  // wasm (XNNPACK and the workbench's conv kernels): training this CNN on tfjs's JavaScript backend takes minutes.
  await activateBackend('wasm');
  t = tempWorkbench();
  wb = t.wb;
  ds = (await createSyntheticDataset(wb, { perClass: 40, seed: 11, balanced: true, occlusionRate: 0 })).id;
  const train = loadSplit(wb, ds, 'Training');
  test = loadSplit(wb, ds, 'PrivateTest');
  // A small CNN: two conv blocks (the second is what Grad-CAM reads), pooled, then a linear softmax.
  const input = tf.input({ shape: [48, 48, 1] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 2 }), name: 'conv2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  model = tf.model({ inputs: input, outputs: out });
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  const xs = prepareBatch(train.pixels, train.n, SPEC);
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from(train.labels), 'int32'), NUM_CLASSES);
  await model.fit(xs, ys, { epochs: 12, batchSize: 32, shuffle: true, verbose: 0 });
  tf.dispose([xs, ys]);
}, 120_000);
afterAll(async () => {
  model.dispose();
  await t.cleanup();
});

describe('saliency on a CNN trained on synthetic faces', () => {
  it('HiResCAM and the input gradient put more of their mass inside the face than outside', async () => {
    const probs = model.predict(prepareBatch(test.pixels, test.n, SPEC)) as tf.Tensor;
    const preds = argmaxRows(probs.dataSync(), test.n, NUM_CLASSES);
    probs.dispose();
    const right = preds.filter((p, i) => p === test.labels[i]).length / test.n;
    expect(right, 'the model learned the synthetic expressions').toBeGreaterThan(0.5);

    const maps = await saliencyMaps(model, test.pixels, test.n, SPEC, test.labels);
    expect(maps.layer).toBe('relu2');
    let inCam = 0, outCam = 0, inHi = 0, outHi = 0, inGrad = 0, outGrad = 0, insidePixels = 0;
    for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) if (insideFace(x, y)) insidePixels++;
    for (let i = 0; i < test.n; i++) {
      for (let y = 0; y < 48; y++) {
        for (let x = 0; x < 48; x++) {
          const k = i * PIXELS_PER_IMAGE + y * 48 + x;
          if (insideFace(x, y)) (inCam += maps.gradcam[k]!), (inHi += maps.hirescam[k]!), (inGrad += maps.gradient[k]!);
          else (outCam += maps.gradcam[k]!), (outHi += maps.hirescam[k]!), (outGrad += maps.gradient[k]!);
        }
      }
    }
    // The face covers insidePixels / 2304 ≈ 39% of the frame, so "more inside than outside" is no accident of area.
    const share = (a: number, b: number) => `${((100 * a) / (a + b)).toFixed(1)}%`;
    // Plain Grad-CAM is reported, not asserted: with this flatten + dense head (the baseline's kind) its
    // position-averaged weights light up the background (18–50% inside in our runs); HiResCAM does not.
    console.log(`face area ${share(insidePixels, 2304 - insidePixels)}; mass inside: HiResCAM ${share(inHi, outHi)}, Grad-CAM ${share(inCam, outCam)}, gradient ${share(inGrad, outGrad)}; accuracy ${(100 * right).toFixed(0)}%`);
    expect(insidePixels / 2304).toBeLessThan(0.45);
    expect(inHi).toBeGreaterThan(outHi);
    // The raw gradient is noisier: asked only to be denser inside the face than outside.
    expect(inGrad / insidePixels).toBeGreaterThan(outGrad / (2304 - insidePixels));
    // Every face has a non-empty map scaled to 255.
    for (let i = 0; i < test.n; i++) expect(Math.max(...maps.gradient.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE))).toBe(255);
  });

  it('Grad-CAM and HiResCAM agree on a global-average-pooling head, where they are the same map', async () => {
    const input = tf.input({ shape: [48, 48, 1] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 5 }), biasInitializer: 'ones' }).apply(input) as tf.SymbolicTensor;
    const r = tf.layers.reLU().apply(c) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(r) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(gap) as tf.SymbolicTensor;
    const gapModel = tf.model({ inputs: input, outputs: out });
    const n = 6;
    const maps = await saliencyMaps(gapModel, test.pixels.subarray(0, n * PIXELS_PER_IMAGE), n, SPEC, [0, 1, 2, 3, 4, 5]);
    let differ = 0;
    for (let k = 0; k < n * PIXELS_PER_IMAGE; k++) if (Math.abs(maps.gradcam[k]! - maps.hirescam[k]!) > 1) differ++;
    expect(differ).toBe(0);
    expect(maps.gradcam.some((v) => v > 0)).toBe(true);
    gapModel.dispose();
  });

  it('eval.saliency computes the maps of the faces on screen in the evaluation process, then serves them from the cache', async () => {
    const run = insertRun(wb, ds, 1, false);
    await saveModelDir(model, checkpointDir(wb.home.runs, run, 'best'));
    const probs = model.predict(prepareBatch(test.pixels, test.n, SPEC)) as tf.Tensor;
    const evaluationId = insertEvaluation(wb.db, { runId: run, ensembleId: null, datasetId: ds, split: 'PrivateTest', checkpoint: 'best', tta: null, sampleIds: test.ids, labels: test.labels, probs: probs.dataSync() as Float32Array }).id;
    probs.dispose();
    const onScreen = Array.from(test.ids.subarray(0, 12));
    const first = await call(handlers, wb, 'eval.saliency', { evaluationId, sampleIds: onScreen, target: 'true' });
    expect(first.computed).toBe(12);
    if (first.kind !== 'model') throw new Error("a run's evaluation has one model's maps");
    expect(first.layer).toBe('relu2');
    expect(first.items.map((i) => i.targetLabel)).toEqual(Array.from(test.labels.subarray(0, 12)));
    const bytes = Buffer.from(first.hirescamBase64, 'base64');
    expect(bytes.length).toBe(12 * PIXELS_PER_IMAGE);
    // The worker's maps (its own backend) are the maps computed here, up to rounding.
    const here = await saliencyMaps(model, test.pixels.subarray(0, 12 * PIXELS_PER_IMAGE), 12, SPEC, test.labels.subarray(0, 12));
    let off = 0;
    for (let k = 0; k < bytes.length; k++) if (Math.abs(bytes[k]! - here.hirescam[k]!) > 2) off++;
    expect(off / bytes.length).toBeLessThan(0.01);

    const again = await call(handlers, wb, 'eval.saliency', { evaluationId, sampleIds: [...onScreen.slice(6), test.ids[12]!], target: 'true' });
    expect(again.computed).toBe(1);
    if (again.kind !== 'model') throw new Error("a run's evaluation has one model's maps");
    expect(Buffer.from(again.gradcamBase64, 'base64').subarray(0, 6 * PIXELS_PER_IMAGE)).toEqual(Buffer.from(first.gradcamBase64, 'base64').subarray(6 * PIXELS_PER_IMAGE));
    await expect(call(handlers, wb, 'eval.saliency', { evaluationId, sampleIds: [999999] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 60_000);

  it('refuses a model with a branch instead of drawing a wrong map', async () => {
    const input = tf.input({ shape: [48, 48, 1] });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }).apply(tf.layers.flatten().apply(sum) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const branchy = tf.model({ inputs: input, outputs: out });
    await expect(saliencyMaps(branchy, test.pixels.subarray(0, PIXELS_PER_IMAGE), 1, SPEC, [0])).rejects.toThrow(/chain of layers/);
    branchy.dispose();
  });
});
