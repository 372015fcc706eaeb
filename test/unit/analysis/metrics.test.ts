import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, confusionMatrix, crossEntropy, macroF1, perClassMetrics, score } from '../../../src-main/analysis/metrics';

// Three classes, six samples; worked out by hand below.
//   true: 0 0 1 1 2 2     pred: 0 1 1 1 2 0
const probs = new Float32Array([
  0.7, 0.2, 0.1, // true 0 → 0
  0.3, 0.6, 0.1, // true 0 → 1
  0.1, 0.8, 0.1, // true 1 → 1
  0.2, 0.5, 0.3, // true 1 → 1
  0.1, 0.1, 0.8, // true 2 → 2
  0.5, 0.1, 0.4, // true 2 → 0
]);
const labels = [0, 0, 1, 1, 2, 2];

describe('metrics on a hand-made table', () => {
  it('takes the argmax per row and scores accuracy', () => {
    const preds = argmaxRows(probs, 6, 3);
    expect([...preds]).toEqual([0, 1, 1, 1, 2, 0]);
    expect(accuracy(labels, preds)).toBeCloseTo(4 / 6, 12);
  });

  it('builds the confusion matrix with rows = true label', () => {
    expect(confusionMatrix(labels, [0, 1, 1, 1, 2, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('gives per-class precision, recall, F1, support and macro-F1', () => {
    const cm = confusionMatrix(labels, [0, 1, 1, 1, 2, 0], 3);
    const m = perClassMetrics(cm);
    // class 0: tp 1, predicted 2, support 2 → P ½, R ½, F1 ½
    // class 1: tp 2, predicted 3, support 2 → P ⅔, R 1, F1 0.8
    // class 2: tp 1, predicted 1, support 2 → P 1, R ½, F1 ⅔
    expect(m.map((x) => x.support)).toEqual([2, 2, 2]);
    expect(m[0]!.precision).toBeCloseTo(0.5);
    expect(m[1]!.precision).toBeCloseTo(2 / 3);
    expect(m[1]!.recall).toBeCloseTo(1);
    expect(m[1]!.f1).toBeCloseTo(0.8);
    expect(m[2]!.f1).toBeCloseTo(2 / 3);
    expect(macroF1(cm, m)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 10);
  });

  it('leaves classes that never occur out of macro-F1 and gives 0 for an empty denominator', () => {
    const cm = confusionMatrix([0, 0, 1], [0, 1, 1], 3);
    const m = perClassMetrics(cm);
    expect(m[2]).toEqual({ label: 2, precision: 0, recall: 0, f1: 0, support: 0 });
    expect(macroF1(cm, m)).toBeCloseTo((2 / 3 + 2 / 3) / 2, 10);
  });

  it('computes mean cross-entropy of the true class, clipped like Keras', () => {
    const expected = -(Math.log(0.7) + Math.log(0.3) + Math.log(0.8) + Math.log(0.5) + Math.log(0.8) + Math.log(0.4)) / 6;
    expect(crossEntropy(probs, labels, 3)).toBeCloseTo(expected, 6);
    // A zero probability is clipped at 1e-7, not infinite.
    expect(crossEntropy([1, 0], [1], 2)).toBeCloseTo(-Math.log(1e-7), 6);
  });

  it('score() bundles it all, with the confidence of the predicted class', () => {
    const s = score(probs, labels, 3);
    expect(s.accuracy).toBeCloseTo(4 / 6);
    expect([...s.confidence].map((c) => Number(c.toFixed(2)))).toEqual([0.7, 0.6, 0.8, 0.5, 0.8, 0.5]);
    expect(() => score(probs, [0, 1], 3)).toThrow(/probabilities/);
  });
});
