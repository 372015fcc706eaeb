/**
 * Expected calibration error and reliability-diagram data. Overall: top-label confidence against
 * correctness. Per class: one-vs-rest, p(class k) against "the true label is k" (classwise ECE).
 */

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Fraction correct among the bin's samples (0 for an empty bin). */
  accuracy: number;
  /** Mean confidence of the bin's samples (0 for an empty bin). */
  confidence: number;
}

export interface Reliability {
  ece: number;
  bins: ReliabilityBin[];
}

/** Equal-width bins over [0, 1]; a confidence of exactly 1 falls in the last bin. */
export function reliability(confidence: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins: number): Reliability {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  if (confidence.length !== correct.length) throw new RangeError('confidence and correct differ in length');
  const count = new Float64Array(bins);
  const right = new Float64Array(bins);
  const conf = new Float64Array(bins);
  for (let i = 0; i < confidence.length; i++) {
    const c = Math.min(1, Math.max(0, confidence[i]!));
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b]!++;
    conf[b]! += c;
    if (correct[i]) right[b]!++;
  }
  const n = confidence.length;
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const k = count[b]!;
    const accuracy = k ? right[b]! / k : 0;
    const meanConf = k ? conf[b]! / k : 0;
    if (n) ece += (k / n) * Math.abs(accuracy - meanConf);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: k, accuracy, confidence: meanConf });
  }
  return { ece, bins: out };
}

export interface CalibrationData extends Reliability {
  perClass: ({ label: number } & Reliability)[];
}

export function calibration(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, bins = 10): CalibrationData {
  const n = labels.length;
  const top = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k]! > probs[i * classes + best]!) best = k;
    top[i] = probs[i * classes + best]!;
    correct[i] = best === labels[i] ? 1 : 0;
  }
  const overall = reliability(top, correct, bins);
  const perClass = [];
  const pk = new Float64Array(n);
  const isK = new Uint8Array(n);
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < n; i++) {
      pk[i] = probs[i * classes + k]!;
      isK[i] = labels[i] === k ? 1 : 0;
    }
    perClass.push({ label: k, ...reliability(pk, isK, bins) });
  }
  return { ...overall, perClass };
}
