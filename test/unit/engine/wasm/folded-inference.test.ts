import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPeerBaseline } from '../../../../bench/baseline-model';
import { activateBackend } from '../../../../src-main/engine/backend';
import { buildBaseline } from '../../../../src-main/engine/models/baseline';
import { CONV_MAXPOOL } from '../../../../src-main/engine/wasm/conv2d';
import { foldedPredict } from '../../../../src-main/engine/wasm/folded-inference';
import { expectClose } from './compare';

/**
 * foldedPredict (conv → BN → ReLU folded into one fused conv) against the layers' own model.predict on the same
 * backend. Tolerance: |folded − predict| ≤ 1e-4 · (1 + |predict|) (float32, a different order of the per-channel
 * multiply and the conv's sums).
 */

/** Moves every BN's moving statistics and affine parameters off their defaults, so folding has work to do. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    // gamma, beta, moving mean, moving variance (variance must stay positive).
    layer.setWeights(
      ws.map((w, i) =>
        tf.tidy(() => {
          const r = tf.randomUniform(w.shape, 0.2, 2, 'float32', seed + i);
          return i === 1 || i === 2 ? tf.sub(r, 1) : r;
        }),
      ),
    );
    seed += 10;
  }
}

beforeAll(async () => {
  await activateBackend('wasm');
});

describe('foldedPredict', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`matches model.predict for the peer net (Sequential, logits) on ${backend}`, async () => {
      await tf.setBackend(backend);
      const model = buildPeerBaseline(3);
      randomiseBatchNorms(model, 7);
      const x = tf.randomUniform([5, 48, 48, 1], 0, 1, 'float32', 11);
      const want = model.predict(x) as tf.Tensor;
      const got = foldedPredict(model, x);
      expect(got).not.toBeNull();
      expect(got!.shape).toEqual(want.shape);
      expectClose(got!.dataSync() as Float32Array, want.dataSync() as Float32Array, `peer net on ${backend}`);
      tf.dispose([x, want, got!]);
      model.dispose();
      await tf.setBackend('wasm');
    });
  }

  it('matches model.predict for the functional baseline (softmax head), runs no BN or ReLU kernel, leaks nothing', async () => {
    const model = buildBaseline({ size: 32, channels: 1, normalize: 'unit' }, 5);
    randomiseBatchNorms(model, 1);
    const x = tf.randomUniform([4, 32, 32, 1], 0, 1, 'float32', 2);
    const want = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const got = foldedPredict(model, x)!;
    expect(tf.memory().numTensors).toBe(before + 1);
    expectClose(got.dataSync() as Float32Array, want.dataSync() as Float32Array, 'functional baseline');
    // A real fold: the BN and ReLU layers left no kernels of their own behind.
    const kernels = (await tf.profile(() => foldedPredict(model, x)!)).kernels.map((k) => k.name);
    expect(kernels).toContain('FusedConv2D');
    expect(kernels.filter((k) => k === 'FusedBatchNorm' || k === 'Relu')).toEqual([]);
    // And it reads the weights each call: the result moves when a BN's statistics move.: the result moves when a BN's statistics move.
    randomiseBatchNorms(model, 50);
    const moved = foldedPredict(model, x)!;
    expectClose(moved.dataSync() as Float32Array, (model.predict(x) as tf.Tensor).dataSync() as Float32Array, 'after new BN stats');
    expect(Math.max(...Array.from(tf.sub(moved, got).abs().dataSync()))).toBeGreaterThan(1e-3);
    tf.dispose([x, want, got, moved]);
    model.dispose();
  });

  it('on wasm, fuses each 2×2 max pool into the conv before it (the full-size activation is never stored)', async () => {
    await tf.setBackend('wasm');
    const model = buildPeerBaseline(4);
    randomiseBatchNorms(model, 3);
    const x = tf.randomUniform([3, 48, 48, 1], 0, 1, 'float32', 5);
    const kernels = (await tf.profile(() => foldedPredict(model, x)!)).kernels.map((k) => k.name);
    expect(kernels.filter((k) => k === CONV_MAXPOOL)).toHaveLength(2);
    expect(kernels).not.toContain('MaxPool');
    tf.dispose(x);
    model.dispose();
  });

  it('the fused conv + max pool kernel equals conv then max pool, and falls back where Winograd does not apply', async () => {
    await tf.setBackend('wasm');
    for (const [shape, co, pad] of [
      [[2, 10, 6, 8], 12, 'same'],
      [[1, 14, 10, 16], 8, 'valid'],
      [[2, 9, 9, 8], 8, 'valid'], // 7×7 output: odd, so the fallback path
      [[2, 8, 8, 3], 8, 'same'], // 3 input channels: the fallback path
    ] as const) {
      tf.tidy(() => {
        const x = tf.randomNormal([...shape], 0, 1, 'float32', 1) as tf.Tensor4D;
        const filter = tf.randomNormal([3, 3, shape[3], co], 0, 1, 'float32', 2) as tf.Tensor4D;
        const bias = tf.randomNormal([co], 0, 1, 'float32', 3) as tf.Tensor1D;
        const want = tf.maxPool(tf.fused.conv2d({ x, filter, bias, strides: 1, pad, activation: 'relu' }), 2, 2, 'valid');
        const got = tf.engine().runKernel(CONV_MAXPOOL, { x, filter, bias }, { strides: 1, pad, dataFormat: 'NHWC', dilations: 1, activation: 'relu' }) as tf.Tensor;
        expect(got.shape, `${shape} ${pad}`).toEqual(want.shape);
        expectClose(got.dataSync() as Float32Array, want.dataSync() as Float32Array, `${shape} ${pad}`, 0);
      });
    }
  });

  it('returns null for a model that is not a chain (a residual add)', () => {
    const input = tf.input({ shape: [8, 8, 2] });
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization().apply(c) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([b, input]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sum });
    const x = tf.ones([1, 8, 8, 2]);
    expect(foldedPredict(model, x)).toBeNull();
    x.dispose();
    model.dispose();
  });
});
