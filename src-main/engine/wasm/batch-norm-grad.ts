import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

/**
 * FusedBatchNorm's gradient as upstream writes it tiles rsqrt(var) up to the full activation shape (wasm's Tile is a
 * slow scalar loop) and spends two full-size multiplies per reduced gradient. Here every per-channel factor is
 * folded first and broadcast, and the two reductions the mean/variance/scale/offset gradients need are computed
 * once and shared:
 *   dx      = dy · (γ·r)                       r = 1/√(var+ε)
 *   dmean   = −γ·r · Σdy
 *   dvar    = −½·γ·r³ · Σ(x−μ)·dy
 *   dγ      = r · Σ(x−μ)·dy
 *   dβ      = Σdy
 * The same mathematics as upstream, so it is registered for every backend; the tests check it numerically.
 */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: Tensor): Tensor => (axes.length ? tf.sum(t, axes) : t);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const gamma = scale ?? tf.scalar(1);
    const gammaR = tf.mul(gamma, r);
    // Each gradient closure runs in its own tidy, so the shared reductions are made here, where they live until the
    // backward pass ends; the inner tidy frees their full-size temporaries at once.
    const [sumDy, sumCentredDy] = tf.tidy(() => [reduce(g), reduce(tf.mul(tf.sub(x, mean), g))]);
    const getSumDy = (): Tensor => sumDy!;
    const getSumCentredDy = (): Tensor => sumCentredDy!;
    return {
      x: () => tf.mul(g, gammaR),
      mean: () => tf.reshape(tf.mul(tf.neg(gammaR), getSumDy()), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(gammaR, tf.square(r)), tf.scalar(-0.5)), getSumCentredDy()), mean.shape),
      scale: () => tf.reshape(tf.mul(r, getSumCentredDy()), mean.shape),
      offset: () => tf.reshape(getSumDy(), mean.shape),
    };
  },
};
