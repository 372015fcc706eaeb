import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** The replaced kernels' tolerance against the cpu backend: |wasm − cpu| ≤ tol · (1 + |cpu|). */
export const TOL = 1e-4;

export function expectClose(actual: Float32Array, expected: Float32Array, what: string, tol = TOL): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

/** Runs `f` on the cpu backend, then on wasm, and returns both results' values and shapes. */
export async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shapes: number[][] }> {
  await tf.setBackend('cpu');
  const c = f();
  const cpu = c.dataSync() as Float32Array;
  await tf.setBackend('wasm');
  const w = f();
  const wasm = w.dataSync() as Float32Array;
  const shapes = [c.shape, w.shape];
  tf.dispose([c, w]);
  return { cpu, wasm, shapes };
}

/**
 * For long reductions (a filter gradient sums over every pixel of the batch) an elementwise bound is the wrong
 * yardstick: both sides carry float32 rounding that grows with the sum's magnitude, so entries that cancel to near
 * zero get errors that are tiny against the terms but not against themselves. Normwise: max|a − e| ≤ tol · max|e|.
 */
export function expectCloseNormwise(actual: Float32Array, expected: Float32Array, what: string, tol = TOL): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  expect(worst, what).toBeLessThanOrEqual(tol * scale);
}

/** Seeded standard-normal values of `shape` (the same on every backend). */
export function randn(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}
