import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, augmentMatrices, isIdentity } from '../../../src-main/engine/augment';
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
});
