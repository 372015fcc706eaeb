import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { onBoth } from './compare';

/** The transposing BatchMatMul against the cpu backend. Tolerance: |wasm − cpu| ≤ 1e-4 · (1 + |cpu|). */

beforeAll(async () => {
  await activateBackend('wasm');
});

describe('BatchMatMul with transposed operands on wasm', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [5, 3], b: [5, 4], ta: true, tb: false },
    { a: [3, 5], b: [4, 5], ta: false, tb: true },
    { a: [5, 3], b: [4, 5], ta: true, tb: true },
    { a: [2, 7, 3], b: [2, 7, 6], ta: true, tb: false },
    { a: [2, 3, 7], b: [2, 6, 7], ta: false, tb: true },
    { a: [1, 9], b: [1, 4], ta: true, tb: false },
    { a: [3, 4], b: [4, 2], ta: false, tb: false },
  ];
  for (const c of cases) {
    it(`[${c.a}]${c.ta ? 'ᵀ' : ''} × [${c.b}]${c.tb ? 'ᵀ' : ''} matches cpu`, async () => {
      const r = await onBoth(() =>
        tf.tidy(() => tf.matMul(tf.randomNormal(c.a, 0, 1, 'float32', 3), tf.randomNormal(c.b, 0, 1, 'float32', 4), c.ta, c.tb)),
      );
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      let worst = 0;
      for (let i = 0; i < r.cpu.length; i++) worst = Math.max(worst, Math.abs(r.wasm[i]! - r.cpu[i]!) / (1 + Math.abs(r.cpu[i]!)));
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }

  it('leaks no tensors or backend buffers, and a dense layer gradient matches cpu', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const beforeBuffers = tf.engine().backend.numDataIds();
    const grad = (backend: string) => {
      return tf.tidy(() => {
        const x = tf.randomNormal([6, 10], 0, 1, 'float32', 5);
        const w = tf.randomNormal([10, 4], 0, 1, 'float32', 6);
        const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.matMul(xx, ww).square().sum())([x, w]);
        return [g[0]!.dataSync(), g[1]!.dataSync(), backend] as const;
      });
    };
    const wasm = grad('wasm');
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(beforeBuffers);
    await tf.setBackend('cpu');
    const cpu = grad('cpu');
    await tf.setBackend('wasm');
    for (const k of [0, 1] as const) {
      for (let i = 0; i < cpu[k].length; i++) expect(Math.abs(wasm[k][i]! - cpu[k][i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(cpu[k][i]!)));
    }
  });
});
