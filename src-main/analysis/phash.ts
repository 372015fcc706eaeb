import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';

/**
 * A 64-bit perceptual hash of a 48×48 face: the 8×8 lowest frequencies of its 2-D DCT-II, each bit set when
 * the coefficient exceeds their median (the classic DCT pHash, taken on the face itself rather than a
 * 32×32 downscale, since FER2013 faces are already small). A uniform brightness change only moves the DC
 * term and a contrast change scales every coefficient, so neither changes the bits; a shift of a pixel or
 * two changes a few low-frequency bits. Stored as two uint32 words (hi, lo), bit 63 = coefficient (0, 0).
 */
export const PHASH_ALGORITHM = 'dct8x8-median-48px-v1';

const F = 8;

/** cos((2x + 1) u π / 2N) for u < 8 and x < 48: the DCT basis the hash needs (scale factors do not change the bits). */
const BASIS: Float64Array = (() => {
  const b = new Float64Array(F * IMAGE_SIZE);
  for (let u = 0; u < F; u++) for (let x = 0; x < IMAGE_SIZE; x++) b[u * IMAGE_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * IMAGE_SIZE));
  return b;
})();

/** Hashes `n` packed faces (n × 2,304 bytes): out[2i] = high word, out[2i + 1] = low word of face i. */
export function phashFaces(pixels: Uint8Array, n: number): Uint32Array {
  const out = new Uint32Array(2 * n);
  const rows = new Float64Array(IMAGE_SIZE * F);
  const coef = new Float64Array(F * F);
  const sorted = new Float64Array(F * F);
  for (let i = 0; i < n; i++) {
    const base = i * PIXELS_PER_IMAGE;
    // Separable: first each image row against the 8 horizontal frequencies, then those against the vertical ones.
    for (let y = 0; y < IMAGE_SIZE; y++) {
      const row = base + y * IMAGE_SIZE;
      for (let v = 0; v < F; v++) {
        let s = 0;
        const bv = v * IMAGE_SIZE;
        for (let x = 0; x < IMAGE_SIZE; x++) s += pixels[row + x]! * BASIS[bv + x]!;
        rows[y * F + v] = s;
      }
    }
    for (let u = 0; u < F; u++) {
      const bu = u * IMAGE_SIZE;
      for (let v = 0; v < F; v++) {
        let s = 0;
        for (let y = 0; y < IMAGE_SIZE; y++) s += BASIS[bu + y]! * rows[y * F + v]!;
        coef[u * F + v] = s;
      }
    }
    sorted.set(coef);
    sorted.sort();
    const median = (sorted[31]! + sorted[32]!) / 2;
    let hi = 0;
    let lo = 0;
    for (let k = 0; k < 32; k++) {
      if (coef[k]! > median) hi |= 1 << (31 - k);
      if (coef[32 + k]! > median) lo |= 1 << (31 - k);
    }
    out[2 * i] = hi >>> 0;
    out[2 * i + 1] = lo >>> 0;
  }
  return out;
}

/** Set bits of a uint32 (SWAR). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function hamming64(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  return popcount32((a[2 * i]! ^ b[2 * j]!) >>> 0) + popcount32((a[2 * i + 1]! ^ b[2 * j + 1]!) >>> 0);
}

/**
 * For each query hash, the smallest Hamming distance to any reference hash and the reference's index
 * (-1 with distance 65 when there are no references). Brute force: 7,178 test faces against 28,709
 * training faces is 2 × 10⁸ word comparisons, about a second, and exact for any threshold chosen later.
 */
export function nearestHashes(query: Uint32Array, reference: Uint32Array): { distance: Uint8Array; index: Int32Array } {
  const nq = query.length / 2;
  const nr = reference.length / 2;
  const distance = new Uint8Array(nq).fill(65);
  const index = new Int32Array(nq).fill(-1);
  for (let i = 0; i < nq; i++) {
    const qh = query[2 * i]!;
    const ql = query[2 * i + 1]!;
    let best = 65;
    let at = -1;
    for (let j = 0; j < nr && best > 0; j++) {
      const d = popcount32((qh ^ reference[2 * j]!) >>> 0) + popcount32((ql ^ reference[2 * j + 1]!) >>> 0);
      if (d < best) {
        best = d;
        at = j;
      }
    }
    distance[i] = best;
    index[i] = at;
  }
  return { distance, index };
}
