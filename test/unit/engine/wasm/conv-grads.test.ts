import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { setFilterGradStrategy, type FilterGradStrategy } from '../../../../src-main/engine/wasm/conv2d-backprop-filter';
import { expectClose, randn } from './compare';

/**
 * The wasm conv gradients (src-main/engine/wasm) against tfjs's pure-JS cpu backend, which is the reference
 * implementation, and against finite differences.
 * Tolerance: |wasm − cpu| ≤ 1e-4 · (1 + |cpu|) elementwise (float32 sums of up to a few hundred terms with a
 * different summation order).
 */

type Pad = 'same' | 'valid';
interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: Pad;
}

// Strides 1/2, paddings same/valid, odd sizes, batch 1/3, channels 1/3/8, square/odd/1×1 filters.
const CASES: Case[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid'] as Pad[])
    for (const [n, ci, co] of [
      [1, 1, 3],
      [3, 3, 8],
      [3, 8, 1],
    ] as const)
      for (const [kh, kw] of [
        [3, 3],
        [3, 2],
        [1, 1],
      ] as const)
        CASES.push({ x: [n, 7, 9, ci], f: [kh, kw, ci, co], stride, pad });
CASES.push({ x: [3, 11, 5, 3], f: [5, 5, 3, 8], stride: 2, pad: 'same' });
CASES.push({ x: [1, 6, 6, 8], f: [3, 3, 8, 8], stride: 2, pad: 'valid' });

/** dx and dW of L = Σ conv(x, W) · dy, on whatever backend is active. */
function grads(c: Case, xs: Float32Array, fs: Float32Array, dys: Float32Array | null): { dx: Float32Array; dw: Float32Array; dy: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const f = tf.tensor4d(fs, c.f);
    const outShape = tf.conv2d(x, f, c.stride, c.pad).shape;
    const dy = tf.tensor4d(dys ?? randn(outShape, 3), outShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)));
    const [dx, dw] = g([x, f]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array, dy: dy.dataSync() as Float32Array };
  });
}


beforeAll(async () => {
  await activateBackend('wasm');
});
afterAll(() => setFilterGradStrategy('auto'));

describe('wasm conv2d gradients match the cpu backend', () => {
  for (const strategy of ['patches', 'batch-conv'] as FilterGradStrategy[]) {
    it(`dx and dW agree for every case (filter gradient via ${strategy})`, async () => {
      setFilterGradStrategy(strategy);
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
  }

  it('conv2dTranspose (the same Conv2DBackpropInput kernel) matches cpu', async () => {
    const xs = randn([2, 5, 6, 8], 4);
    const fs = randn([3, 3, 3, 8], 5);
    const run = () => tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(xs, [2, 5, 6, 8]), tf.tensor4d(fs, [3, 3, 3, 8]), [2, 10, 11, 3], 2, 'same').dataSync() as Float32Array);
    await tf.setBackend('cpu');
    const ref = run();
    await tf.setBackend('wasm');
    expectClose(run(), ref, 'conv2dTranspose');
  });
});

describe('wasm conv2d gradients match finite differences', () => {
  // L is linear in x and in W, so a central difference with a unit step is exact up to float32 rounding.
  it('dW and dx of a strided, odd-shaped conv', async () => {
    await tf.setBackend('wasm');
    const c: Case = { x: [3, 5, 7, 3], f: [3, 3, 3, 2], stride: 2, pad: 'same' };
    const xs = randn(c.x, 7);
    const fs = randn(c.f, 8);
    for (const strategy of ['patches', 'batch-conv'] as FilterGradStrategy[]) {
      setFilterGradStrategy(strategy);
      const { dx, dw, dy } = grads(c, xs, fs, null);
      const loss = (x: Float32Array, f: Float32Array): number =>
        tf.tidy(() => {
          const y = tf.conv2d(tf.tensor4d(x, c.x), tf.tensor4d(f, c.f), c.stride, c.pad);
          return tf.sum(tf.mul(y, tf.tensor(dy, y.shape))).dataSync()[0]!;
        });
      for (let i = 0; i < fs.length; i += 5) {
        const up = fs.slice();
        const down = fs.slice();
        up[i]! += 1;
        down[i]! -= 1;
        expect(Math.abs((loss(xs, up) - loss(xs, down)) / 2 - dw[i]!), `dW[${i}]`).toBeLessThan(1e-3 * (1 + Math.abs(dw[i]!)));
      }
      for (let i = 0; i < xs.length; i += 17) {
        const up = xs.slice();
        const down = xs.slice();
        up[i]! += 1;
        down[i]! -= 1;
        expect(Math.abs((loss(up, fs) - loss(down, fs)) / 2 - dx[i]!), `dx[${i}]`).toBeLessThan(1e-3 * (1 + Math.abs(dx[i]!)));
      }
    }
  });
});

describe('wasm training kernels do not leak', () => {
  it('leave no tensors and no backend buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.randomNormal([3, 9, 9, 3]);
    const f = tf.variable(tf.randomNormal([3, 3, 3, 8]));
    const step = () =>
      tf.tidy(() => {
        for (const s of ['patches', 'batch-conv'] as FilterGradStrategy[]) {
          setFilterGradStrategy(s);
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, f]);
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')))([x, f]);
        }
      });
    step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    tf.dispose([x, f]);
  });
});
