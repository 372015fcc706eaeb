import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { describeAdapter, discoverWebGpu } from '../../../src-main/engine/webgpu';

/**
 * For the webgpu test files: the adapter Dawn offers here (in CI, Mesa's llvmpipe through Dawn's OpenGL backend), or
 * why there is none, for describe.skipIf and the suite's title.
 */
export async function webgpuSuite(): Promise<{ found: Awaited<ReturnType<typeof discoverWebGpu>>; why: string | null; title: string }> {
  const found = await discoverWebGpu();
  const why = found.loadError ? `Dawn failed to load: ${found.loadError}` : found.adapter ? null : `Dawn found no adapter (${found.tried.join('; ') || 'nothing to try'})`;
  return { found, why, title: found.adapter ? `webgpu on ${describeAdapter(found.adapter)}` : `webgpu — skipped: ${why}` };
}

/** Seeded values in [-1, 1): the same on both backends (made in JS, not by a backend's RNG). */
export function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Runs `f` on one backend and reads its tensors back with data() (webgpu has no synchronous read in Node). */
export async function on(backend: 'cpu' | 'webgpu', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`could not switch to ${backend}`);
  const outs = tf.tidy(f);
  const arrays = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(outs);
  return arrays;
}

/** Worst |a − b| over the largest |b|: relative to the tensor's scale, so near-zero entries need no special case. */
export function scaledError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / Math.max(scale, 1e-6);
}
