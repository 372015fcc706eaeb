import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, augmentMatrices, flipDraws, isFlipOnly, isIdentity, mirrorPixels } from '../../../src-main/engine/augment';
import { activateBackend } from '../../../src-main/engine/backend';
import { augmentSchema } from '../../../src-shared/contract/runs';

const NONE = { flip: false, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 };

/** A 8×8 image whose every pixel differs, so any geometric change is visible. */
function ramp(n: number, size = 8): tf.Tensor4D {
  const data = new Float32Array(n * size * size);
  for (let i = 0; i < data.length; i++) data[i] = (i % (size * size)) + 1;
  return tf.tensor4d(data, [n, size, size, 1]);
}

describe('batched augmentation', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('is deterministic from the seed and differs between seeds', () => {
    const aug = augmentSchema.parse({});
    expect(augmentMatrices(16, 48, aug, 7)).toEqual(augmentMatrices(16, 48, aug, 7));
    expect(augmentMatrices(16, 48, aug, 7)).not.toEqual(augmentMatrices(16, 48, aug, 8));
  });

  it('keeps rotation, zoom and shift inside the configured ± ranges', () => {
    const aug = { flip: false, rotation: 10, zoom: 0.1, shiftX: 0.1, shiftY: 0.1 };
    const m = augmentMatrices(500, 48, aug, 3);
    let maxAngle = 0;
    for (let i = 0; i < 500; i++) {
      const [a0, a1, , b0, b1] = m.subarray(i * 8, i * 8 + 8) as unknown as number[];
      const scale = Math.hypot(a0!, b0!);
      const angle = Math.abs((Math.atan2(b0!, a0!) * 180) / Math.PI);
      maxAngle = Math.max(maxAngle, angle);
      expect(scale).toBeGreaterThanOrEqual(0.9 - 1e-6);
      expect(scale).toBeLessThanOrEqual(1.1 + 1e-6);
      expect(Math.hypot(a1!, b1!)).toBeCloseTo(scale, 5);
    }
    expect(maxAngle).toBeLessThanOrEqual(10 + 1e-4);
    expect(maxAngle).toBeGreaterThan(8); // the range is actually used
  });

  it.each(['wasm', 'cpu'] as const)('on %s, an all-zero config is the identity and flip mirrors about half the batch', async (backend) => {
    await activateBackend(backend);
    expect(isIdentity(NONE)).toBe(true);
    expect(isIdentity(null)).toBe(true);
    const x = ramp(40);
    const same = augmentBatch(x, NONE, 1);
    expect(Array.from(same.dataSync())).toEqual(Array.from(x.dataSync()));
    const flipped = augmentBatch(x, { ...NONE, flip: true }, 1);
    const mirror = tf.reverse(x, 2);
    let mirrored = 0;
    for (let i = 0; i < 40; i++) {
      const out = Array.from(flipped.slice([i], [1]).dataSync());
      const asIs = Array.from(x.slice([i], [1]).dataSync());
      const rev = Array.from(mirror.slice([i], [1]).dataSync());
      const isMirror = out.every((v, k) => Math.abs(v - rev[k]!) < 1e-3);
      const isSame = out.every((v, k) => Math.abs(v - asIs[k]!) < 1e-3);
      expect(isMirror || isSame).toBe(true);
      if (isMirror) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(8);
    expect(mirrored).toBeLessThan(32);
    tf.dispose([x, same, flipped, mirror]);
  });

  it('a shift moves the content by the drawn number of pixels', () => {
    // shiftX 0.25 on an 8-wide image: up to ±2 px; sampled points are whole pixels only at integer shifts,
    // so check the map itself: output x samples input x + tx.
    const m = augmentMatrices(1, 8, { ...NONE, shiftX: 0.25 }, 5);
    expect(m[0]).toBeCloseTo(1, 6);
    expect(Math.abs(m[2]!)).toBeLessThanOrEqual(2);
    expect(m[5]).toBeCloseTo(0, 6);
  });

  it('flipDraws and mirrorPixels give exactly the faces a flip-only augmentBatch mirrors (what cached mirrored views rely on)', () => {
    const flipOnly = { ...NONE, flip: true };
    const n = 40;
    const pixels = new Uint8Array(n * 2304).map((_, i) => (i * 37 + (i >> 6) * 11) % 256);
    for (const seed of [1, 99, 123456]) {
      const flips = flipDraws(n, seed);
      const matrices = augmentMatrices(n, 48, flipOnly, seed);
      expect(Array.from(flips, (f, i) => (f ? -1 : 1) === matrices[i * 8])).not.toContain(false);
      expect(flips.includes(0) && flips.includes(1)).toBe(true);
      // The flip decisions do not move when the other ranges are on (each image draws all five parameters).
      expect(Array.from(augmentMatrices(n, 48, { flip: true, rotation: 10, zoom: 0.1, shiftX: 0.1, shiftY: 0.1 }, seed).filter((_, k) => k % 8 === 0), (v) => v < 0)).toEqual(Array.from(flips, (f) => f === 1));
      const augmented = tf.tidy(() => augmentBatch(tf.tensor4d(Float32Array.from(pixels), [n, 48, 48, 1]), flipOnly, seed).dataSync());
      const mirrored = mirrorPixels(pixels, n);
      const expected = new Float32Array(n * 2304);
      for (let i = 0; i < n; i++) expected.set((flips[i] ? mirrored : pixels).subarray(i * 2304, (i + 1) * 2304), i * 2304);
      expect(Array.from(augmented)).toEqual(Array.from(expected));
    }
    expect([isFlipOnly(flipOnly), isFlipOnly(NONE), isFlipOnly({ ...flipOnly, zoom: 0.1 }), isFlipOnly(null)]).toEqual([true, false, false, false]);
  });
});
