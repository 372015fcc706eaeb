import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { expectClose, randn } from './compare';

/**
 * The wasm depthwise conv gradients (src-main/engine/wasm/depthwise-grad.ts; upstream wasm has none) against
 * tfjs's cpu backend, the reference: strides 1/2, 'same'/'valid', odd sizes, channel multipliers 1 and 2.
 */
interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid'] as const)
    for (const f of [
      [3, 3, 4, 1],
      [3, 2, 3, 2],
    ] as [number, number, number, number][])
      CASES.push({ x: [2, 7, 9, f[2]], f, stride, pad });

function grads(c: Case, xs: Float32Array, fs: Float32Array, dys: Float32Array | null): { dx: Float32Array; dw: Float32Array; dy: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const f = tf.tensor4d(fs, c.f);
    const shape = tf.depthwiseConv2d(x, f, c.stride, c.pad).shape;
    const dy = tf.tensor4d(dys ?? randn(shape, 3), shape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)));
    const [dx, dw] = g([x, f]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array, dy: dy.dataSync() as Float32Array };
  });
}

beforeAll(async () => {
  await activateBackend('wasm');
});

describe('wasm depthwise conv gradients', () => {
  it('dx and dW match the cpu backend', async () => {
    for (const c of CASES) {
      const label = `x ${c.x} f ${c.f} s${c.stride} ${c.pad}`;
      const xs = randn(c.x, 1);
      const fs = randn(c.f, 2);
      await tf.setBackend('cpu');
      const ref = grads(c, xs, fs, null);
      await tf.setBackend('wasm');
      const got = grads(c, xs, fs, ref.dy);
      expectClose(got.dx, ref.dx, `dx ${label}`);
      expectClose(got.dw, ref.dw, `dW ${label}`);
    }
  });
});
