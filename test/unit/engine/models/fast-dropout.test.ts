import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activateBackend } from '../../../../src-main/engine/backend';
import { dropoutMask } from '../../../../src-main/engine/dropout-mask';
import { installFastDropout } from '../../../../src-main/engine/patches/fast-dropout';
import { kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';

beforeAll(async () => {
  installFastDropout();
  await tf.setBackend('cpu');
});

describe('seeded training-mode Dropout with a hashed mask', () => {
  it('keeps about 1 − rate of the elements, each scaled by exactly what tfjs scales by', () => {
    for (const rate of [0.5, 0.25, 0.9]) {
      const m = dropoutMask(200_000, rate, 1234);
      const scale = tf.tidy(() => tf.div(tf.scalar(1), tf.scalar(1 - rate)).dataSync()[0]!);
      const kept = m.filter((v) => v !== 0);
      expect(new Set(kept)).toEqual(new Set([scale]));
      expect(Math.abs(kept.length / m.length - (1 - rate))).toBeLessThan(0.005);
      // No structure along the index: the kept fraction holds in every block of 1,000.
      for (let b = 0; b < 200; b += 37) {
        const block = m.subarray(b * 1000, b * 1000 + 1000).filter((v) => v !== 0).length / 1000;
        expect(Math.abs(block - (1 - rate))).toBeLessThan(0.07);
      }
    }
  });

  it('is a function of the seed: the same seed gives the same mask, the next seed an unrelated one', () => {
    const a = dropoutMask(10_000, 0.5, 7);
    expect(dropoutMask(10_000, 0.5, 7)).toEqual(a);
    const b = dropoutMask(10_000, 0.5, 8);
    let same = 0;
    for (let i = 0; i < a.length; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
    expect(same / a.length).toBeGreaterThan(0.47);
    expect(same / a.length).toBeLessThan(0.53);
  });

  it('applies the mask in training, with its gradient, and passes inputs through at inference', () => {
    const layer = tf.layers.dropout({ rate: 0.5, seed: 42 });
    const x = tf.randomNormal([8, 64], 0, 1, 'float32', 3);
    const mask = dropoutMask(8 * 64, 0.5, 42);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const want = tf.mul(x, tf.tensor(mask, [8, 64]));
    expect(Array.from(y.dataSync())).toEqual(Array.from(want.dataSync()));
    const g = tf.grad((a: tf.Tensor) => tf.sum(layer.apply(a, { training: true }) as tf.Tensor))(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(mask));
    expect(Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    // The trainer moves each layer's seed on per batch: a new seed, a new mask.
    (layer as unknown as { seed: number }).seed = 43;
    const y2 = layer.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(tf.mul(x, tf.tensor(dropoutMask(8 * 64, 0.5, 43), [8, 64])).dataSync()));
  });

  it('runs as one SIMD kernel on wasm, with its gradient, bit for bit the mask built in JS', async () => {
    await activateBackend('wasm');
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    try {
      for (const [shape, rate] of [[[3, 1001], 0.25], [[64, 4608], 0.5]] as [number[], number][]) {
        const layer = tf.layers.dropout({ rate, seed: 99 });
        const xs = tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', 4).dataSync() as Float32Array);
        const before = rt.calls.dropout;
        const [y, g] = tf.tidy(() => {
          const x = tf.tensor(xs, shape);
          const out = layer.apply(x, { training: true }) as tf.Tensor;
          const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }) as tf.Tensor, a)))(x);
          return [out.dataSync() as Float32Array, grad.dataSync() as Float32Array];
        });
        expect(rt.calls.dropout - before, `${shape}: forward, forward inside grad, its gradient`).toBe(3);
        const mask = dropoutMask(xs.length, rate, 99);
        // Products with the mask as tfjs forms them (x · 0 keeps x's sign).
        expect(Array.from(y)).toEqual(Array.from(xs, (v, i) => Math.fround(v * mask[i]!)));
        // d/dx of sum(dropout(x) · x) = mask · x + dropout(x)
        expect(Array.from(g)).toEqual(Array.from(xs, (v, i) => Math.fround(Math.fround(v * mask[i]!) + Math.fround(mask[i]! * v))));
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('leaves layers without a seed, or with a noise shape, to tfjs', () => {
    const x = tf.ones([4, 1000]);
    const unseeded = tf.layers.dropout({ rate: 0.5 });
    const y = (unseeded.apply(x, { training: true }) as tf.Tensor).dataSync();
    const kept = y.filter((v) => v !== 0).length / y.length;
    expect(kept).toBeGreaterThan(0.4);
    expect(kept).toBeLessThan(0.6);
    const shaped = tf.layers.dropout({ rate: 0.5, seed: 1, noiseShape: [4, 1] });
    const z = (shaped.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][];
    // tfjs's noiseShape: one draw per row, so every row is all kept or all dropped.
    for (const row of z) expect(new Set(row).size).toBe(1);
  });
});
