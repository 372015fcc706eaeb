import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, makeLoss } from '../../../src-main/engine/losses';
import { afterEpoch, initialSchedule, lrForEpoch } from '../../../src-main/engine/schedule';
import { trainConfigSchema } from '../../../src-shared/contract/runs';

const cfg = (schedule: unknown, epochs = 10) => trainConfigSchema.parse({ dataset: 'x', lr: 0.1, epochs, schedule });

describe('learning-rate schedules', () => {
  it('step divides by gamma every N epochs', () => {
    const c = cfg({ kind: 'step', every: 3, gamma: 0.5 });
    const s = initialSchedule(c);
    expect([1, 3, 4, 6, 7].map((e) => lrForEpoch(c, e, s))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('cosine runs from lr to minLr over the epochs', () => {
    const c = cfg({ kind: 'cosine', minLr: 0.001 }, 5);
    const s = initialSchedule(c);
    expect(lrForEpoch(c, 1, s)).toBeCloseTo(0.1, 10);
    expect(lrForEpoch(c, 3, s)).toBeCloseTo(0.0505, 10);
    expect(lrForEpoch(c, 5, s)).toBeCloseTo(0.001, 10);
  });

  it('plateau cuts the rate after `patience` epochs without improvement, not before', () => {
    const c = cfg({ kind: 'plateau', patience: 2, factor: 0.5, minLr: 0.02 });
    let s = initialSchedule(c);
    const lrs: number[] = [];
    for (const loss of [1.0, 0.9, 0.95, 0.92, 0.93, 0.94, 0.99, 0.99]) {
      const lr = lrForEpoch(c, lrs.length + 1, s);
      lrs.push(lr);
      s = afterEpoch(c, s, lr, loss);
    }
    expect(lrs).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    // Floors at minLr.
    s = afterEpoch(c, afterEpoch(c, s, 0.025, 2), 0.025, 2);
    expect(s.lr).toBe(0.02);
  });
});

describe('class-weighted cross-entropy', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is the mean of w[y]·(−log p[y]), and plain CE without weights', () => {
    const probs = tf.tensor2d([
      [0.7, 0.2, 0.1, 0, 0, 0, 0],
      [0.1, 0.6, 0.3, 0, 0, 0, 0],
      [0.2, 0.2, 0.6, 0, 0, 0, 0],
    ]);
    const labels = tf.tensor1d([0, 2, 2], 'int32');
    const w = tf.tensor1d([1, 1, 3, 1, 1, 1, 1]);
    const plain = (-Math.log(0.7) - Math.log(0.3) - Math.log(0.6)) / 3;
    const weighted = (-Math.log(0.7) - 3 * Math.log(0.3) - 3 * Math.log(0.6)) / 3;
    expect(crossEntropy(probs, labels, null).dataSync()[0]).toBeCloseTo(plain, 5);
    expect(crossEntropy(probs, labels, w).dataSync()[0]).toBeCloseTo(weighted, 5);
    const oneHot = tf.oneHot(labels, 7);
    expect(makeLoss(w)(oneHot, probs).dataSync()[0]).toBeCloseTo(weighted, 5);
    expect(makeLoss(null)(oneHot, probs).dataSync()[0]).toBeCloseTo(plain, 5);
    tf.dispose([probs, labels, w, oneHot]);
  });

  it('sends the softmax gradient p − y back from a saturated face, where the clipped loss sent none', () => {
    // Logits that put the true class (0) at p ≈ e^-40 ≈ 4e-18, far below the 1e-7 clip, as a collapsed network does.
    const logits = tf.tensor2d([[0, 40, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0]]);
    const yTrue = tf.oneHot(tf.tensor1d([0, 0], 'int32'), 7);
    const w = tf.tensor1d([2, 1, 1, 1, 1, 1, 1]);
    for (const weights of [null, w]) {
      const loss = makeLoss(weights);
      const grad = tf.grad((z: tf.Tensor) => loss(yTrue, tf.softmax(z)))(logits).arraySync() as number[][];
      const p = tf.softmax(logits).arraySync() as number[][];
      const scale = (weights ? 2 : 1) / 2; // w[y] / batch
      for (let r = 0; r < 2; r++) for (let c = 0; c < 7; c++) expect(grad[r]![c]).toBeCloseTo(scale * (p[r]![c]! - (c === 0 ? 1 : 0)), 5);
      // The reported value keeps Keras' clip: the saturated face scores −ln 1e-7.
      const value = loss(yTrue, tf.softmax(logits)).dataSync()[0]!;
      const plain = (-Math.log(1e-7) - Math.log(p[1]![0]!)) / 2;
      expect(value).toBeCloseTo(weights ? 2 * plain : plain, 4);
    }
    tf.dispose([logits, yTrue, w]);
  });
});

describe('the training loss on a broken network', () => {
  it('is NaN when the probabilities are (the clip alone would report a finite 16.118 a face)', async () => {
    await tf.setBackend('cpu');
    const yTrue = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 7);
    const probs = tf.tensor2d([[NaN, NaN, NaN, NaN, NaN, NaN, NaN], [0.1, 0.4, 0.1, 0.1, 0.1, 0.1, 0.1]]);
    expect(makeLoss(null)(yTrue, probs).dataSync()[0]).toBeNaN();
    tf.dispose([yTrue, probs]);
  });
});
