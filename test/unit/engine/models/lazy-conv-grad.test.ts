import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { setLazyConvGradEnabled } from '../../../../src-main/engine/patches/lazy-conv-grad';
import { CONV_FILTER_BIAS_GRAD } from '../../../../src-main/engine/wasm/conv2d-backprop-filter';
import { kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';
import { expectCloseNormwise } from '../wasm/compare';

/**
 * Conv layers through FusedConv2D's registered (lazy) gradient: the same loss and weight gradients as tfjs-layers'
 * own fused conv, no input gradient of the images and no gradients of a frozen layer computed in training, the bias
 * gradient from the Winograd filter gradient's pass, and the right input gradient when one is asked for (a saliency
 * map).
 */
function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [10, 9, 1], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU());
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }));
  return m;
}

const loss = (m: tf.Sequential, x: tf.Tensor) => tf.mean(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;

function weightGrads(m: tf.Sequential, x: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    // As trainOnBatch does: gradients for the trainable weights only.
    const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => loss(m, x), vars);
    return vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await activateBackend('wasm');
});
afterAll(() => setLazyConvGradEnabled(true));

describe('conv layers with a lazy gradient', () => {
  it('give tfjs-layers\' weight gradients, the bias\'s from the filter gradient\'s pass, and skip the images\' gradient', () => {
    const m = model();
    const x = tf.randomNormal([4, 10, 9, 1], 0, 1, 'float32', 5);
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    setLazyConvGradEnabled(false);
    let before = { ...rt.calls };
    const want = weightGrads(m, x);
    expect(rt.calls.convOneOut - before.convOneOut, 'the eager gradient computes dx of the images').toBe(1);
    setLazyConvGradEnabled(true);
    before = { ...rt.calls };
    const got = weightGrads(m, x);
    expect(rt.calls.convOneOut - before.convOneOut, 'the lazy gradient does not').toBe(0);
    expect(rt.calls.wgrad - before.wgrad, 'the second conv\'s filter and bias gradients: one Winograd pass').toBe(1);
    expect(got).toHaveLength(8); // conv1 W b, BN γ β, conv2 W b, dense W b
    want.forEach((w, i) => expectCloseNormwise(got[i]!, w, `weight gradient ${i}`, 1e-5));
    tf.dispose(x);
    m.dispose();
  });

  it('takes no bias gradient from the filter gradient\'s pass for a conv without a bias', () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [10, 9, 8], filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotNormal({ seed: 8 }) }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 10 }) }));
    const x = tf.randomNormal([2, 10, 9, 8], 0, 1, 'float32', 11);
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    const config = tf.getKernel(CONV_FILTER_BIAS_GRAD, 'wasm')!;
    const kernel = config.kernelFunc;
    let combined = 0;
    (config as { kernelFunc: typeof kernel }).kernelFunc = (args) => {
      combined++;
      return kernel(args);
    };
    try {
      const before = rt.calls.wgrad;
      const got = weightGrads(m, x);
      expect(rt.calls.wgrad - before, 'both convs\' filter gradients on Winograd').toBe(2);
      expect(combined, 'the filter + bias kernel for the conv with a bias only').toBe(1);
      expect(got).toHaveLength(5); // conv1 W, conv2 W b, dense W b
    } finally {
      (config as { kernelFunc: typeof kernel }).kernelFunc = kernel;
      tf.dispose(x);
      m.dispose();
    }
  });

  it('computes no weight gradients for a frozen conv layer, and the same ones for the rest', () => {
    const m = model();
    m.layers[3]!.trainable = false;
    const x = tf.randomNormal([4, 10, 9, 1], 0, 1, 'float32', 7);
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    setLazyConvGradEnabled(false);
    let before = rt.calls.wgrad;
    const want = weightGrads(m, x);
    expect(rt.calls.wgrad - before, 'the eager gradient computes the frozen layer\'s dW anyway').toBe(1);
    setLazyConvGradEnabled(true);
    before = rt.calls.wgrad;
    const got = weightGrads(m, x);
    expect(rt.calls.wgrad - before, 'the lazy gradient does not').toBe(0);
    expect(got).toHaveLength(6);
    want.forEach((w, i) => expectCloseNormwise(got[i]!, w, `weight gradient ${i}`, 1e-5));
    tf.dispose(x);
    m.dispose();
  });

  it('still gives the images\' gradient when it is asked for', () => {
    const m = model();
    const x = tf.randomNormal([2, 10, 9, 1], 0, 1, 'float32', 6);
    const saliency = () => tf.tidy(() => tf.grad((a: tf.Tensor) => loss(m, a))(x).dataSync() as Float32Array);
    setLazyConvGradEnabled(false);
    const want = saliency();
    setLazyConvGradEnabled(true);
    const got = saliency();
    expectCloseNormwise(got, want, 'd loss / d images', 1e-6);
    expect(Math.max(...got.map(Math.abs))).toBeGreaterThan(0);
    tf.dispose(x);
    m.dispose();
  });
});
