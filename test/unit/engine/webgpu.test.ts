import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend, adapterNote, probeBackends } from '../../../src-main/engine/backend';
import { buildBaseline } from '../../../src-main/engine/models/baseline';
import { prepareBatch } from '../../../src-main/engine/input';
import { getModel } from '../../../src-main/engine/models/index';
import { predictProbs } from '../../../src-main/engine/predict';
import { DEFAULT_TTA, ttaViews } from '../../../src-main/engine/tta';
import { train } from '../../../src-main/engine/train';
import { describeAdapter, installedAdapter, isSoftwareAdapter } from '../../../src-main/engine/webgpu';
import { PATCHES, patchStates } from '../../../src-main/engine/patches';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { synthSplits } from './train-helpers';
import { on, scaledError, values, webgpuSuite } from './webgpu-helpers';

/**
 * The webgpu backend against the cpu backend, on whatever adapter Dawn offers: in CI that is Mesa's llvmpipe through
 * Dawn's OpenGL backend (libegl-mesa0 + libgl1-mesa-dri, EGL_PLATFORM=surfaceless, which webgpu.ts sets on a
 * headless machine). Shapes stay tiny: llvmpipe runs every shader on the CPU. Where Dawn has no adapter (the Mesa
 * packages or the optional npm packages missing) the suite is skipped, and its title says why.
 */
const { found, why, title } = await webgpuSuite();

describe.skipIf(why !== null)(title, () => {
  beforeAll(async () => {
    await activateBackend('cpu');
    await activateBackend('webgpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reports its adapter: vendor, architecture, device, Dawn backend, and whether it is software', async () => {
    const a = installedAdapter()!;
    expect(a).toEqual(found.adapter);
    expect(a.dawnBackend).toMatch(/^(vulkan|opengl|metal|d3d12)$/);
    expect(a.device || a.description).not.toBe('');
    expect(a.software).toBe(isSoftwareAdapter({ ...a, isFallbackAdapter: a.fallback }));
    expect(adapterNote('webgpu')).toContain(describeAdapter(a));
    const webgpu = (await probeBackends()).find((p) => p.name === 'webgpu')!;
    expect(webgpu).toMatchObject({ usable: true, adapter: a });
    expect(Boolean(webgpu.forcedOnly)).toBe(a.software);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('runs with the generic tfjs patches only: none of the wasm ones is installed', () => {
    expect(PATCHES.filter((p) => p.installed()).map((p) => p.name)).toEqual(['frozen-batch-norm', 'fast-dropout']);
    expect(patchStates('webgpu', { live: true }).filter((p) => p.active).map((p) => p.name)).toEqual(['frozen-batch-norm', 'fast-dropout']);
  });

  it('conv2d and matMul give the cpu backend’s numbers', async () => {
    const x = values(2 * 9 * 9 * 3, 1);
    const w = values(3 * 3 * 3 * 5, 2);
    const a = values(17 * 33, 3);
    const b = values(33 * 9, 4);
    const ops = () => [
      tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), tf.tensor4d(w, [3, 3, 3, 5]), [1, 1], 'same'),
      tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), tf.tensor4d(w, [3, 3, 3, 5]), [2, 2], 'valid'),
      tf.matMul(tf.tensor2d(a, [17, 33]), tf.tensor2d(b, [33, 9])),
    ];
    const [ref, gpu] = [await on('cpu', ops), await on('webgpu', ops)];
    for (let i = 0; i < ref.length; i++) expect(scaledError(gpu[i]!, ref[i]!)).toBeLessThan(1e-5);
    // The check can fail: a wrong stride is far outside the tolerance.
    const other = await on('webgpu', () => [tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), tf.tensor4d(w, [3, 3, 3, 5]), [1, 1], 'valid')]);
    expect(other[0]!.length).not.toBe(ref[0]!.length);
  });

  it('one training step of the baseline (16×16, batch norm, dropout) gives the cpu backend’s loss and gradients', async () => {
    const spec = { size: 16, channels: 1 as const, normalize: 'unit' as const };
    const n = 4;
    const xs = values(n * 16 * 16, 5).map((v) => (v + 1) / 2);
    const labels = [0, 3, 5, 6];
    const step = () => {
      // Same seed, same initial weights on either backend (the initialisers draw in JS).
      const model = buildBaseline(spec, 7);
      const x = tf.tensor4d(xs, [n, 16, 16, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7).toFloat();
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, tf.log((model.apply(x, { training: true }) as tf.Tensor).clipByValue(1e-7, 1))) as tf.Scalar);
      const names = model.trainableWeights.map((v) => v.originalName);
      const out = [value, ...names.map((k) => grads[model.trainableWeights.find((v) => v.originalName === k)!.name]!)];
      model.dispose();
      return out;
    };
    const ref = await on('cpu', step);
    const gpu = await on('webgpu', step);
    expect(gpu).toHaveLength(ref.length);
    expect(Math.abs(gpu[0]![0]! - ref[0]![0]!)).toBeLessThan(1e-4);
    // Absolute, at 1e-4 of the largest gradient (llvmpipe: ≤ 1.1e-6): the conv biases feed batch norm, so their true gradients are 0 and
    // both backends give rounding noise (~1e-9) there, which no relative tolerance can compare.
    const largest = Math.max(...ref.slice(1).map((g) => Math.max(...g.map(Math.abs))));
    for (let i = 1; i < ref.length; i++) expect(scaledError(gpu[i]!, ref[i]!) * Math.max(...ref[i]!.map(Math.abs)), `gradient ${i}`).toBeLessThan(1e-4 * largest);
  });

  it('the training loop runs the baseline on webgpu: finite, falling loss, validation read back', async () => {
    await tf.setBackend('webgpu');
    const { train: trainSet, held } = synthSplits(1, 21);
    const config = trainConfigSchema.parse({ dataset: 'x', model: 'baseline', inputSize: 32, epochs: 2, batch: 7, augment: {}, seed: 3, lr: 0.003 });
    const def = getModel('baseline');
    const model = await def.build(config, { weightsFile: null });
    const epochs: { loss: number; valLoss: number | null }[] = [];
    const outcome = await train({
      config,
      model,
      spec: def.inputSpec(config),
      train: trainSet,
      val: held,
      classWeights: null,
      dir: null,
      resume: false,
      progressEveryMs: 0,
      hooks: { onEpoch: (m) => void epochs.push(m), onProgress: () => {}, shouldStop: () => false },
    });
    model.dispose();
    expect(outcome.status).toBe('completed');
    expect(epochs).toHaveLength(2);
    for (const e of epochs) {
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(Number.isFinite(e.valLoss!)).toBe(true);
    }
    expect(epochs[1]!.loss).toBeLessThan(epochs[0]!.loss);
  });

  it('evaluation with TTA (the evaluation worker’s path) gives the cpu backend’s probabilities', async () => {
    const { held } = synthSplits(1, 21);
    // Faces are 48×48; the model reads them at 16×16 (prepareBatch resizes), which keeps llvmpipe quick.
    const spec = { size: 16, channels: 1 as const, normalize: 'unit' as const };
    const opts = { prepare: (px: Uint8Array, m: number) => prepareBatch(px, m, spec), batch: 4, views: ttaViews({ ...DEFAULT_TTA, augmented: 1, flip: true, seed: 5 }) };
    const probs = async (backend: 'cpu' | 'webgpu') => {
      await tf.setBackend(backend);
      const model = buildBaseline(spec, 11);
      try {
        return await predictProbs(model, held.pixels, held.n, opts);
      } finally {
        model.dispose();
      }
    };
    const ref = await probs('cpu');
    const gpu = await probs('webgpu');
    expect(gpu.length).toBe(held.n * 7);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(gpu[i]! - ref[i]!)).toBeLessThan(1e-4);
  });
});
