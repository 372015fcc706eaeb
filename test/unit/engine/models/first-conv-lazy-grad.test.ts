import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { setFirstConvLazyGradEnabled } from '../../../../src-main/engine/models/blocks/first-conv-lazy-grad';
import { winogradRuntime } from '../../../../src-main/engine/wasm/winograd-runtime';
import { expectCloseNormwise } from '../wasm/compare';

/**
 * The first conv layer through FusedConv2D's registered (lazy) gradient: the same loss and weight gradients as
 * tfjs-layers' own fused conv, no input gradient computed in training, and the right input gradient when one is
 * asked for (a saliency map).
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
    const { grads } = tf.variableGrads(() => loss(m, x));
    return m.trainableWeights.map((w) => grads[(w as unknown as { val: tf.Variable }).val.name]!.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await activateBackend('wasm');
});
afterAll(() => setFirstConvLazyGradEnabled(true));

describe('first conv layer with a lazy gradient', () => {
  it('gives tfjs-layers\' weight gradients and skips the images\' gradient', () => {
    const m = model();
    const x = tf.randomNormal([4, 10, 9, 1], 0, 1, 'float32', 5);
    const rt = winogradRuntime(tf.backend() as BackendWasm);
    setFirstConvLazyGradEnabled(false);
    let before = rt.calls.convOneOut;
    const want = weightGrads(m, x);
    expect(rt.calls.convOneOut - before, 'the eager gradient computes dx of the images').toBe(1);
    setFirstConvLazyGradEnabled(true);
    before = rt.calls.convOneOut;
    const got = weightGrads(m, x);
    expect(rt.calls.convOneOut - before, 'the lazy gradient does not').toBe(0);
    want.forEach((w, i) => expectCloseNormwise(got[i]!, w, `weight gradient ${i}`, 1e-6));
    tf.dispose(x);
    m.dispose();
  });

  it('still gives the images\' gradient when it is asked for', () => {
    const m = model();
    const x = tf.randomNormal([2, 10, 9, 1], 0, 1, 'float32', 6);
    const saliency = () => tf.tidy(() => tf.grad((a: tf.Tensor) => loss(m, a))(x).dataSync() as Float32Array);
    setFirstConvLazyGradEnabled(false);
    const want = saliency();
    setFirstConvLazyGradEnabled(true);
    const got = saliency();
    expectCloseNormwise(got, want, 'd loss / d images', 1e-6);
    expect(Math.max(...got.map(Math.abs))).toBeGreaterThan(0);
    tf.dispose(x);
    m.dispose();
  });
});
