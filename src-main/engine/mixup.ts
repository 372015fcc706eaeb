import * as tf from '@tensorflow/tfjs';
import { shuffledIndices } from './rng';

/**
 * The batch-level regularisers that act on a batch's inputs and targets rather than on its pixels: mixup and label
 * smoothing. Both work on whatever the training network reads (faces, a frozen base's cached features, the
 * outputs at a cut inside a base), so they stay open where caching rules out the pixel augmentations.
 */

/** One batch's mixup draw: the mixing weight of the faces as given, and the partner of each face. */
export interface MixDraw {
  lambda: number;
  partner: Int32Array;
}

/**
 * λ ~ Beta(α, α) as G₁ / (G₁ + G₂) with G ~ Gamma(α, 1) (tfjs' seeded Marsaglia–Tsang sampler, computed in JS, so
 * the same on every backend and thread count), then max(λ, 1 − λ): the face as given leads, so the batch's
 * accuracy counts against its own label. The partners are a seeded permutation of the batch.
 */
export function mixDraw(m: number, alpha: number, seed: number): MixDraw {
  const g = tf.tidy(() => tf.randomGamma([2], alpha, 1, 'float32', seed).dataSync());
  const sum = g[0]! + g[1]!;
  // Both draws underflow to 0 only for tiny α, where Beta(α, α) puts its mass on 0 and 1: no mixing.
  const lambda = sum > 0 ? g[0]! / sum : 1;
  return { lambda: Math.max(lambda, 1 - lambda), partner: shuffledIndices(m, seed) };
}

/** λ·t + (1 − λ)·t[partner] along the batch axis. */
function mixRows<T extends tf.Tensor>(t: T, draw: MixDraw): T {
  return tf.tidy(() => t.mul(draw.lambda).add(tf.gather(t, tf.tensor1d(draw.partner, 'int32')).mul(1 - draw.lambda))) as T;
}

/** mixup of one batch: every input (a cache may give several per face) and the one-hot targets with the same draw. */
export function mixBatch(x: tf.Tensor | tf.Tensor[], y: tf.Tensor2D, draw: MixDraw): [tf.Tensor | tf.Tensor[], tf.Tensor2D] {
  const xs = Array.isArray(x) ? x.map((t) => mixRows(t, draw)) : mixRows(x, draw);
  return [xs, mixRows(y, draw)];
}

/** (1 − ε)·y + ε / classes. */
export function smoothLabels(y: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  return tf.tidy(() => y.mul(1 - epsilon).add(epsilon / y.shape[1]));
}
