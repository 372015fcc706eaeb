import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { expectClose } from './compare';

/**
 * The broadcast FusedBatchNorm gradient (src-main/engine/wasm/batch-norm-grad.ts) replaces upstream's for every
 * backend, so the reference here is autodiff through the same formula written with elementary ops (sub, mul,
 * rsqrt, add), whose gradients are untouched upstream ones. Mean and variance come from tf.moments as in
 * tfjs-layers' training path, so the mean/variance gradients are exercised too.
 * Tolerance: |got − ref| ≤ 1e-4 · (1 + |ref|).
 */
const EPS = 1e-3;

function lossFused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor): tf.Scalar {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.sum(tf.mul(tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, EPS), dy));
}

function lossElementary(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor): tf.Scalar {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), gamma), beta);
  return tf.sum(tf.mul(y, dy));
}

function gradsOf(loss: typeof lossFused, shape: [number, number, number, number]): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[3];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1) as tf.Tensor4D;
    const gamma = tf.randomNormal([c], 1, 0.3, 'float32', 2) as tf.Tensor1D;
    const beta = tf.randomNormal([c], 0, 1, 'float32', 3) as tf.Tensor1D;
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor1D, d as tf.Tensor1D, dy));
    return g([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
  });
}


beforeAll(async () => {
  await activateBackend('wasm');
});

describe('batch-norm gradient with broadcasts', () => {
  for (const shape of [
    [1, 3, 5, 1],
    [3, 4, 7, 3],
    [2, 6, 6, 8],
  ] as [number, number, number, number][]) {
    it(`matches elementary-op autodiff on wasm and cpu for ${shape}`, async () => {
      await tf.setBackend('cpu');
      const ref = gradsOf(lossElementary, shape);
      const cpu = gradsOf(lossFused, shape);
      await tf.setBackend('wasm');
      const wasm = gradsOf(lossFused, shape);
      ['dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        expectClose(cpu[i]!, ref[i]!, `cpu ${name}`);
        expectClose(wasm[i]!, ref[i]!, `wasm ${name}`);
      });
    });
  }

  it('does not run the Tile kernel and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    // Fixed statistics, so only FusedBatchNorm's own gradient runs (upstream's tiles rsqrt(var) to full size).
    const profile = await tf.profile(() => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const stat = tf.tensor1d([0.1, 0.2, 0.3]);
        const f = (a: tf.Tensor, g: tf.Tensor) => tf.sum(tf.batchNorm4d(a as tf.Tensor4D, stat, tf.add(stat, 1) as tf.Tensor1D, stat, g as tf.Tensor1D, EPS));
        tf.grads(f)([x, tf.ones([3])]).forEach((t) => t.dataSync());
      });
    });
    expect(profile.kernelNames).toContain('FusedBatchNorm');
    expect(profile.kernelNames).not.toContain('Tile');
    expect(tf.memory().numTensors).toBe(before);
  });
});
