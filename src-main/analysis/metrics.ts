import type { PerClassMetrics } from '../../src-shared/contract/evaluation';

/**
 * Classification metrics over a probability table: `probs` is n×classes, row-major, one row per sample.
 * Everything here is pure so the same code scores a run, a TTA run and an ensemble.
 */

/** Keras clips probabilities at 1e-7 before the log; the same clip keeps our CE comparable to the paper's. */
export const CE_EPSILON = 1e-7;

export function argmaxRows(probs: ArrayLike<number>, n: number, classes: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let k = 1; k < classes; k++) {
      const p = probs[base + k]!;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

export function accuracy(labels: ArrayLike<number>, preds: ArrayLike<number>): number {
  if (labels.length !== preds.length) throw new Error(`accuracy: ${labels.length} labels but ${preds.length} predictions`);
  if (labels.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === preds[i]) right++;
  return right / labels.length;
}

/** Mean categorical cross-entropy, −log p(true class), with the Keras clip. */
export function crossEntropy(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const n = labels.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i * classes + labels[i]!]!;
    sum -= Math.log(Math.min(1 - CE_EPSILON, Math.max(CE_EPSILON, p)));
  }
  return sum / n;
}

/** counts[true][pred]. */
export function confusionMatrix(labels: ArrayLike<number>, preds: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = preds[i]!;
    if (t < 0 || t >= classes || p < 0 || p >= classes) throw new Error(`confusionMatrix: label ${t} or prediction ${p} outside 0..${classes - 1}`);
    m[t]![p]!++;
  }
  return m;
}

/** Precision, recall, F1 and support per class from a confusion matrix; 0 where a ratio has no denominator. */
export function perClassMetrics(confusion: number[][]): PerClassMetrics[] {
  const classes = confusion.length;
  return confusion.map((row, k) => {
    const tp = row[k]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < classes; t++) predicted += confusion[t]![k]!;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: k, precision, recall, f1, support };
  });
}

/**
 * Unweighted mean F1 over the classes that occur as a true label or a prediction (scikit-learn's
 * convention), so a split with no "disgust" faces and no "disgust" guesses is not dragged down by a 0.
 */
export function macroF1(confusion: number[][], perClass: PerClassMetrics[] = perClassMetrics(confusion)): number {
  const present = perClass.filter((m) => {
    const predicted = confusion.reduce((a, row) => a + row[m.label]!, 0);
    return m.support > 0 || predicted > 0;
  });
  if (!present.length) return 0;
  return present.reduce((a, m) => a + m.f1, 0) / present.length;
}

export interface ScoreReport {
  n: number;
  accuracy: number;
  loss: number;
  macroF1: number;
  confusion: number[][];
  perClass: PerClassMetrics[];
  preds: Uint8Array;
  /** Probability of the predicted class per sample. */
  confidence: Float32Array;
}

/** Scores a probability table; `preds` overrides the argmax (hard voting breaks ties its own way). */
export function score(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, preds?: Uint8Array): ScoreReport {
  const n = labels.length;
  if (probs.length !== n * classes) throw new Error(`score: ${probs.length} probabilities for ${n} samples × ${classes} classes`);
  const p = preds ?? argmaxRows(probs, n, classes);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) confidence[i] = probs[i * classes + p[i]!]!;
  const confusion = confusionMatrix(labels, p, classes);
  const perClass = perClassMetrics(confusion);
  return {
    n,
    accuracy: accuracy(labels, p),
    loss: crossEntropy(probs, labels, classes),
    macroF1: macroF1(confusion, perClass),
    confusion,
    perClass,
    preds: p,
    confidence,
  };
}
