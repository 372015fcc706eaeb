import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { predictProbs, type PrepareFn } from '../../../src-main/engine/predict';
import { prng as mulberry32 } from '../../../src-main/engine/rng';
import { applyView, IDENTITY_VIEW, ttaViews, DEFAULT_TTA } from '../../../src-main/engine/tta';

const prepare: PrepareFn = (px, n) => tf.tidy(() => tf.tensor4d(Float32Array.from(px.subarray(0, n * PIXELS_PER_IMAGE), (v) => v / 255), [n, 48, 48, 1]));

function randomFaces(n: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n * PIXELS_PER_IMAGE }, () => Math.floor(r() * 256));
}

/** A tiny conv net whose output depends on where brightness sits, so a mirror changes its answer. */
function tinyModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [48, 48, 1], filters: 2, kernelSize: 4, strides: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('TTA views', () => {
  it('lists original, mirror and K seeded draws within the configured ranges', () => {
    const views = ttaViews({ ...DEFAULT_TTA, augmented: 7, flip: true, seed: 5 });
    expect(views.map((v) => v.name)).toEqual(['original', 'flip', 'aug1', 'aug2', 'aug3', 'aug4', 'aug5', 'aug6', 'aug7']);
    for (const v of views.slice(2)) {
      expect(Math.abs(v.angle)).toBeLessThanOrEqual(10);
      expect(Math.abs(v.scale - 1)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(v.dx)).toBeLessThanOrEqual(4.8);
    }
    expect(ttaViews({ ...DEFAULT_TTA, augmented: 7, flip: true, seed: 5 })).toEqual(views);
    expect(ttaViews({ ...DEFAULT_TTA, augmented: 7, flip: true, seed: 6 })).not.toEqual(views);
    expect(() => ttaViews({ ...DEFAULT_TTA, augmented: 33 })).toThrow(/0 to 32/);
    expect(() => ttaViews({ ...DEFAULT_TTA, augmented: -1 })).toThrow(/0 to 32/);
  });

  it('mirrors, shifts and rotates pixels exactly where the map is whole-pixel', () => {
    const face = randomFaces(1, 1);
    const at = (img: Uint8Array, x: number, y: number) => img[y * 48 + x];
    const flipped = applyView(face, 1, { ...IDENTITY_VIEW, flip: true });
    expect(at(flipped, 0, 5)).toBe(at(face, 47, 5));
    expect(at(flipped, 30, 40)).toBe(at(face, 17, 40));
    const shifted = applyView(face, 1, { ...IDENTITY_VIEW, dx: 2, dy: 1 });
    expect(at(shifted, 12, 9)).toBe(at(face, 10, 8));
    expect(at(shifted, 0, 0)).toBe(at(face, 0, 0)); // edge repeated
    const r90 = applyView(face, 1, { ...IDENTITY_VIEW, angle: 90 });
    const back = applyView(r90, 1, { ...IDENTITY_VIEW, angle: -90 });
    expect(back).toEqual(face);
    expect(r90).not.toEqual(face);
    expect(applyView(face, 1, IDENTITY_VIEW)).toEqual(face);
  });
});

describe('predictProbs', () => {
  it('returns softmax rows in input order, the same whatever the batch size', async () => {
    const model = tinyModel();
    const faces = randomFaces(10, 2);
    const a = await predictProbs(model, faces, 10, { prepare, batch: 3 });
    const b = await predictProbs(model, faces, 10, { prepare, batch: 10 });
    expect(a).toHaveLength(70);
    for (let i = 0; i < 70; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
    for (let i = 0; i < 10; i++) expect(a.subarray(i * 7, i * 7 + 7).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    // Row 4 alone gives row 4's answer: no mixing between samples.
    const one = await predictProbs(model, faces.slice(4 * 2304, 5 * 2304), 1, { prepare });
    for (let k = 0; k < 7; k++) expect(one[k]).toBeCloseTo(a[28 + k]!, 6);
    model.dispose();
  });

  it('averages over the views and reports progress in images × views', async () => {
    const model = tinyModel();
    const faces = randomFaces(6, 3);
    const views = ttaViews({ ...DEFAULT_TTA, augmented: 2, flip: true, seed: 1 });
    const progress: number[] = [];
    const tta = await predictProbs(model, faces, 6, { prepare, batch: 4, views, onProgress: (d, t) => progress.push(d / t) });
    expect(progress.at(-1)).toBe(1);
    expect(progress.length).toBe(2 * views.length);
    const perView = await Promise.all(views.map((v) => predictProbs(model, applyView(faces, 6, v), 6, { prepare })));
    for (let j = 0; j < tta.length; j++) {
      const mean = perView.reduce((s, p) => s + p[j]!, 0) / views.length;
      expect(tta[j]).toBeCloseTo(mean, 5);
    }
    const plain = await predictProbs(model, faces, 6, { prepare });
    expect(Math.max(...tta.map((v, j) => Math.abs(v - plain[j]!)))).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it('applies a softmax when the model outputs logits', async () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [48, 48, 1] }));
    m.add(tf.layers.dense({ units: 7, kernelInitializer: tf.initializers.randomNormal({ seed: 1, stddev: 0.05 }) }));
    const p = await predictProbs(m, randomFaces(2, 4), 2, { prepare });
    expect(p.every((v) => v >= 0)).toBe(true);
    expect(p.subarray(0, 7).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    m.dispose();
  });
});
