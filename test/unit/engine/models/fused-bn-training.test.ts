import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { setFusedBatchNormEnabled, setFusedReluEnabled } from '../../../../src-main/engine/patches/fused-bn-training';
import { kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';
import { expectCloseNormwise } from '../wasm/compare';

/**
 * The fused training-mode batch norm against tfjs-layers' own (tf.moments + tf.batchNorm, autodiffed), both on
 * wasm: the output, the gradients for x, gamma and beta, and the moving averages after one training call.
 * Tolerance normwise 1e-5 · max|reference| (the sums run in float64 per 256-pixel chunk; the reference's are float32).
 */

interface Outcome {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  inference: Float32Array;
}

function trainStep(xs: Float32Array, shape: [number, number, number, number], fused: boolean): Outcome {
  setFusedBatchNormEnabled(fused);
  const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
  layer.build(shape);
  // Non-trivial gamma/beta so that their gradients and dx's scaling are exercised.
  const c = shape[3];
  layer.setWeights([
    tf.linspace(0.5, 2, c),
    tf.linspace(-1, 1, c),
    tf.zeros([c]),
    tf.ones([c]),
  ]);
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, shape);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 9);
    const [gamma, beta] = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const f = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar;
    const y = layer.apply(x, { training: true }) as tf.Tensor; // a second call: moving averages move twice
    const { grads } = tf.variableGrads(f, [gamma!, beta!]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, w)))(x);
    const [, , mm, mv] = layer.getWeights();
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dgamma: grads[gamma!.name]!.dataSync() as Float32Array,
      dbeta: grads[beta!.name]!.dataSync() as Float32Array,
      movingMean: mm!.dataSync() as Float32Array,
      movingVariance: mv!.dataSync() as Float32Array,
      inference: inference.dataSync() as Float32Array,
    };
  });
}

beforeAll(async () => {
  await activateBackend('wasm');
});
afterAll(() => setFusedBatchNormEnabled(true));

describe('fused training-mode batch norm', () => {
  for (const [label, shape, offset] of [
    ['odd spatial sizes, 8 channels', [3, 5, 7, 8], 0],
    ['a 48×48×32 layer at batch 4', [4, 48, 48, 32], 0],
  ] as const) {
    it(`matches tfjs-layers' batch norm: ${label}`, () => {
      const s = [...shape] as [number, number, number, number];
      const xs = tf.tidy(() => tf.randomNormal(s, offset, 1.5, 'float32', 3).dataSync() as Float32Array);
      const rt = kernelRuntime(tf.backend() as BackendWasm);
      const before = rt.calls.batchNorm;
      const got = trainStep(xs, s, true);
      expect(rt.calls.batchNorm - before, 'the fused kernels ran').toBeGreaterThanOrEqual(3);
      const ref = trainStep(xs, s, false);
      expect(rt.calls.batchNorm - before, 'the reference did not use them').toBeGreaterThanOrEqual(3);
      for (const key of Object.keys(ref) as (keyof Outcome)[]) expectCloseNormwise(got[key], ref[key], key, 1e-5);
    });
  }

  it('stays exact for activations with |mean| ≫ std, where float32 moments lose digits', () => {
    const shape: [number, number, number, number] = [2, 9, 9, 12];
    const xs = tf.tidy(() => tf.randomNormal(shape, 1000, 1.5, 'float32', 3).dataSync() as Float32Array);
    const c = shape[3];
    const n = xs.length / c;
    // float64 reference for y with the test's gamma = linspace(0.5, 2), beta = linspace(-1, 1)
    const y64 = new Float64Array(xs.length);
    for (let j = 0; j < c; j++) {
      let m = 0;
      for (let p = 0; p < n; p++) m += xs[p * c + j]!;
      m /= n;
      let v = 0;
      for (let p = 0; p < n; p++) v += (xs[p * c + j]! - m) ** 2;
      v /= n;
      const gamma = 0.5 + (1.5 * j) / (c - 1);
      const beta = -1 + (2 * j) / (c - 1);
      for (let p = 0; p < n; p++) y64[p * c + j] = ((xs[p * c + j]! - m) / Math.sqrt(v + 1e-5)) * gamma + beta;
    }
    const worst = (y: Float32Array) => y.reduce((w, v, i) => Math.max(w, Math.abs(v - y64[i]!)), 0);
    const fused = worst(trainStep(xs, shape, true).y);
    const stock = worst(trainStep(xs, shape, false).y);
    expect(fused).toBeLessThanOrEqual(1e-4);
    expect(fused).toBeLessThanOrEqual(stock);
  });

  it('leaves channel counts that are not a multiple of 4 to tfjs-layers', () => {
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    const before = rt.calls.batchNorm;
    const xs = tf.tidy(() => tf.randomNormal([2, 4, 4, 6], 0, 1, 'float32', 3).dataSync() as Float32Array);
    trainStep(xs, [2, 4, 4, 6], true);
    expect(rt.calls.batchNorm).toBe(before);
  });
});

describe('batch norm with the following ReLU fused in', () => {
  function model(relu: 'ReLU' | 'Activation'): tf.Sequential {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [9, 7, 4], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
    m.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    m.add(relu === 'ReLU' ? tf.layers.reLU() : tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
    return m;
  }

  /** Loss and every variable's gradient for one training-mode pass, and the kernels it ran. */
  async function step(m: tf.Sequential, x: tf.Tensor, fusedBn: boolean, fusedRelu: boolean) {
    setFusedBatchNormEnabled(fusedBn);
    setFusedReluEnabled(fusedRelu);
    const f = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
      return [value.dataSync()[0]!, ...m.trainableWeights.map((w) => grads[(w as unknown as { val: tf.Variable }).val.name]!.dataSync() as Float32Array)] as const;
    });
    const kernels = (await tf.profile(() => void f())).kernels.map((k) => k.name);
    return { out: f(), kernels };
  }

  afterAll(() => setFusedReluEnabled(true));

  for (const relu of ['ReLU', 'Activation'] as const) {
    it(`gives the unfused gradients and runs no ReLU kernels (a ${relu} layer)`, async () => {
      const m = model(relu);
      const x = tf.randomNormal([5, 9, 7, 4], 0, 1, 'float32', 4);
      const fused = await step(m, x, true, true);
      const bnOnly = await step(m, x, true, false);
      const stock = await step(m, x, false, false);
      expect(fused.kernels).not.toContain('Relu');
      expect(fused.kernels).not.toContain('FerReluGrad');
      expect(bnOnly.kernels).toContain('Relu');
      for (const ref of [bnOnly, stock]) {
        expect(fused.out[0]).toBeCloseTo(ref.out[0], 5);
        for (let i = 1; i < ref.out.length; i++) {
          const [a, b] = [fused.out[i] as Float32Array, ref.out[i] as Float32Array];
          // The conv bias feeds a batch norm, so its gradient is 0 up to rounding on every path: compare absolutely.
          if (i === 2) expect(Math.max(...a.map(Math.abs), ...b.map(Math.abs)), 'conv bias gradient').toBeLessThan(1e-5);
          else expectCloseNormwise(a, b, `gradient ${i}`, 1e-5);
        }
      }
      tf.dispose(x);
      m.dispose();
    });
  }

  it('does not fuse when the batch norm output has another consumer', async () => {
    setFusedBatchNormEnabled(true);
    setFusedReluEnabled(true);
    const input = tf.input({ shape: [6, 6, 4] });
    const bn = tf.layers.batchNormalization().apply(input) as tf.SymbolicTensor;
    const r = tf.layers.reLU().apply(bn) as tf.SymbolicTensor;
    const both = tf.layers.add().apply([r, bn]) as tf.SymbolicTensor; // bn's raw output is used too
    const m = tf.model({ inputs: input, outputs: both });
    const x = tf.randomNormal([3, 6, 6, 4], 0, 1, 'float32', 5);
    const got = tf.tidy(() => (m.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    setFusedBatchNormEnabled(false);
    const want = tf.tidy(() => (m.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    expectCloseNormwise(got, want, 'residual use of the batch norm output', 1e-5);
    expect(Math.min(...got)).toBeLessThan(0); // negative raw BN values survive: nothing was rectified early
    tf.dispose(x);
    m.dispose();
  });
});
