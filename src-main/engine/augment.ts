import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../../src-shared/contract/runs';
import { prng } from './rng';

/**
 * Per-image inverse affine maps for tf.image.transform: row i maps an output pixel (x, y) to the input
 * point it samples, [a0 a1 a2 b0 b1 b2 c0 c1]. Flip, rotation, zoom and shift compose into one matrix, so a
 * whole batch is augmented by a single kernel call instead of a JS loop over images.
 */
export function augmentMatrices(n: number, size: number, aug: AugmentConfig, seed: number): Float32Array {
  const rand = prng(seed);
  const uniform = (r: number) => (rand() * 2 - 1) * r;
  const out = new Float32Array(n * 8);
  const c = (size - 1) / 2;
  for (let i = 0; i < n; i++) {
    // Draw every parameter even when its range is 0, so toggling one option leaves the others' draws unchanged.
    const flip = rand() < 0.5 && aug.flip ? -1 : 1;
    const theta = (uniform(aug.rotation) * Math.PI) / 180;
    const scale = 1 + uniform(aug.zoom);
    const tx = uniform(aug.shiftX) * size;
    const ty = uniform(aug.shiftY) * size;
    const cos = Math.cos(theta) * scale;
    const sin = Math.sin(theta) * scale;
    // input = C + M (p − C) + t, with M = scale · R(θ) · diag(flip, 1).
    const m00 = cos * flip;
    const m01 = -sin;
    const m10 = sin * flip;
    const m11 = cos;
    const o = i * 8;
    out[o] = m00;
    out[o + 1] = m01;
    out[o + 2] = c + tx - m00 * c - m01 * c;
    out[o + 3] = m10;
    out[o + 4] = m11;
    out[o + 5] = c + ty - m10 * c - m11 * c;
    out[o + 6] = 0;
    out[o + 7] = 0;
  }
  return out;
}

/** Augments a [n, h, w, c] batch with one batched affine transform; 'nearest' fill as Keras' ImageDataGenerator. */
export function augmentBatch(images: tf.Tensor4D, aug: AugmentConfig, seed: number): tf.Tensor4D {
  const [n, h] = images.shape;
  return tf.tidy(() => {
    const m = tf.tensor2d(augmentMatrices(n, h, aug, seed), [n, 8]);
    if (tf.getBackend() !== 'cpu') return tf.image.transform(images, m, 'bilinear', 'nearest');
    // tfjs-backend-cpu 4.22's Transform writes zeros for every image after the first (wrong batch offset);
    // wasm and native TensorFlow are right. The cpu backend is the last-resort fallback, so loop there only.
    const parts = tf.split(images, n).map((img, i) => tf.image.transform(img as tf.Tensor4D, m.slice([i, 0], [1, 8]), 'bilinear', 'nearest'));
    return tf.concat(parts) as tf.Tensor4D;
  });
}

/**
 * Which images of a batch augmentMatrices mirrors (1) for this seed, drawn from the same sequence: a flip-only run on
 * cached mirrored views (feature-cache.ts) mirrors exactly the faces the augmenting run would.
 */
export function flipDraws(n: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rand() < 0.5 ? 1 : 0;
    // The rotation, zoom and two shift draws augmentMatrices makes for the same image.
    for (let k = 0; k < 4; k++) rand();
  }
  return out;
}

/** True when the augmentation is a horizontal flip and nothing else: a mirrored view of each face can be cached. */
export function isFlipOnly(aug: AugmentConfig | null): boolean {
  return !!aug && aug.flip && aug.rotation === 0 && aug.zoom === 0 && aug.shiftX === 0 && aug.shiftY === 0;
}

/** Mirrors n 48×48 gray faces left to right (the pixels a flip of augmentBatch samples at 48 px, exactly). */
export function mirrorPixels(pixels: Uint8Array, n: number, side = 48): Uint8Array {
  const out = new Uint8Array(n * side * side);
  for (let row = 0; row < n * side; row++) {
    const o = row * side;
    for (let x = 0; x < side; x++) out[o + x] = pixels[o + side - 1 - x]!;
  }
  return out;
}

/** True when the config would change nothing (all ranges 0, no flip): skip the kernel entirely. */
export function isIdentity(aug: AugmentConfig | null): boolean {
  return !aug || (!aug.flip && aug.rotation === 0 && aug.zoom === 0 && aug.shiftX === 0 && aug.shiftY === 0);
}
