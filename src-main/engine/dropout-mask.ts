/**
 * The counter-based dropout mask, defined once for both of its implementations: the Dropout layer patch builds it in
 * JS (patches/fast-dropout.ts) and the wasm kernel (wasm/dropout.ts, kernels/dropout.c) computes the same bits. Here
 * rather than in either so that patches/ and wasm/ need not import each other.
 */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The mask's parameters: hash seed, signed threshold, and the kept values' scale (float32, as tfjs computes it). */
export function dropoutParams(rate: number, seed: number): { s: number; threshold: number; kept: number } {
  // u = h / 2³² ≥ rate on unsigned 32-bit hashes, compared as signed (both sides shifted by 2³¹) so the arithmetic
  // stays in int32 lanes.
  return {
    s: fmix32((seed >>> 0) ^ 0x5bd1e995) | 0,
    threshold: (Math.ceil(rate * 2 ** 32) - 2 ** 31) | 0,
    kept: Math.fround(1 / Math.fround(1 - rate)),
  };
}

/** The multiplier dropout applies: 1/keep (float32) where hash(seed, i) / 2³² ≥ rate, else 0. */
export function dropoutMask(n: number, rate: number, seed: number): Float32Array {
  const { s, threshold, kept } = dropoutParams(rate, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (fmix32((s + Math.imul(i, 0x9e3779b9)) | 0) ^ -0x80000000) >= threshold ? kept : 0;
  return out;
}

/** The kernel that applies the same mask in one pass where the backend has it (wasm/dropout.ts). */
export const DROPOUT_KERNEL = 'FerDropout';
