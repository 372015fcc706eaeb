/**
 * Confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels",
 * JAIR 70, 2021): which samples are probably labelled wrong, judged from predicted probabilities alone.
 *
 * 1. Per-class thresholds: t_j is the mean predicted probability of class j over the samples labelled j (how
 *    sure the model is, on average, of a class it is told is right), so a class the model is shy about gets a
 *    lower bar instead of never being counted.
 * 2. The confident joint: a sample labelled i counts in C[i][j] when p(j) ≥ t_j; if several classes clear their
 *    thresholds the one with the highest probability takes it; if none does, it is not counted at all.
 * 3. Calibration: each row of C is rescaled to sum to the number of samples labelled i (rows lost the samples
 *    no class was confident about). C̃/n is then the estimated joint of given and true labels, so an off-diagonal
 *    C̃[i][j] is the estimated number of samples labelled i that are really j.
 * 4. Prune by noise rate: for each off-diagonal cell, round(C̃[i][j]) samples labelled i with the largest margin
 *    p(j) − p(i) are flagged. A flagged sample the model itself predicts as its given label is dropped again: a
 *    count can reach past the samples that disagree with their label, and those are no evidence of an error.
 *
 * The probabilities must be out-of-sample (a model that has seen a sample's label has learnt it, noise and all,
 * and then flags almost nothing): the callers say so where they cannot be.
 */

export type IssueRanking = 'self-confidence' | 'margin';

export interface LabelIssue {
  /** Row of the input. */
  index: number;
  given: number;
  /** The most probable class other than the given one. */
  suggested: number;
  /** p(given label). */
  selfConfidence: number;
  /** p(given) − the largest other p, in [−1, 1]: negative when the model prefers another class. */
  margin: number;
}

export interface ConfidentLearning {
  /** Samples per given label. */
  labelCounts: number[];
  /** t_j; null for a class no sample is labelled with (it has no threshold and is never counted). */
  thresholds: (number | null)[];
  /** C[given][confident class]: raw counts, before calibration. */
  confidentJoint: number[][];
  /** C rescaled so row i sums to labelCounts[i]. */
  calibratedJoint: number[][];
  /** round(calibrated) off the diagonal, 0 on it: how many samples each cell flags. */
  issuesPerCell: number[][];
  /** Sum of issuesPerCell. */
  estimatedIssues: number;
  /** The flagged samples, most likely wrong first by the chosen ranking. */
  issues: LabelIssue[];
}

/** Tolerance for probabilities stored as float32 softmax outputs, which may sum or reach a hair past 1. */
const EPS = 1e-4;

function validate(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number): void {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`classes must be an integer of at least 2, got ${classes}`);
  if (probs.length !== labels.length * classes) throw new RangeError(`probs holds ${probs.length} values, but ${labels.length} labels × ${classes} classes need ${labels.length * classes}`);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes) throw new RangeError(`label ${l} of sample ${i} is not a class 0–${classes - 1}`);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const p = probs[i * classes + k]!;
      if (!(p >= 0 && p <= 1 + EPS)) throw new RangeError(`probability ${p} of sample ${i}, class ${k} is not in [0, 1]`);
      sum += p;
    }
    if (Math.abs(sum - 1) > classes * EPS) throw new RangeError(`the probabilities of sample ${i} sum to ${sum}, not 1`);
  }
}

export function findLabelIssues(probs: ArrayLike<number>, labels: ArrayLike<number>, classes: number, rankBy: IssueRanking = 'self-confidence'): ConfidentLearning {
  validate(probs, labels, classes);
  const n = labels.length;
  const p = (i: number, k: number) => probs[i * classes + k]!;
  const square = () => Array.from({ length: classes }, () => new Array<number>(classes).fill(0));

  const labelCounts = new Array<number>(classes).fill(0);
  const sums = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) {
    labelCounts[labels[i]!]!++;
    sums[labels[i]!]! += p(i, labels[i]!);
  }
  const thresholds = sums.map((s, j) => (labelCounts[j] ? s / labelCounts[j]! : null));

  const confidentJoint = square();
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (let j = 0; j < classes; j++) {
      const t = thresholds[j];
      if (t !== null && t !== undefined && p(i, j) >= t && (best < 0 || p(i, j) > p(i, best))) best = j;
    }
    if (best >= 0) confidentJoint[labels[i]!]![best]!++;
  }

  const calibratedJoint = confidentJoint.map((row, i) => {
    const counted = row.reduce((a, b) => a + b, 0);
    // No sample labelled i was confident about any class: no evidence of errors in that row.
    if (!counted) return row.map((_, j) => (j === i ? labelCounts[i]! : 0));
    return row.map((c) => (c / counted) * labelCounts[i]!);
  });
  const issuesPerCell = calibratedJoint.map((row, i) => row.map((c, j) => (i === j ? 0 : Math.round(c))));
  const estimatedIssues = issuesPerCell.flat().reduce((a, b) => a + b, 0);

  // Prune by noise rate, each cell over the samples of its given label.
  const byLabel = Array.from({ length: classes }, () => [] as number[]);
  for (let i = 0; i < n; i++) byLabel[labels[i]!]!.push(i);
  const flagged = new Set<number>();
  for (let i = 0; i < classes; i++) {
    for (let j = 0; j < classes; j++) {
      const count = issuesPerCell[i]![j]!;
      if (!count) continue;
      const ranked = [...byLabel[i]!].sort((a, b) => p(b, j) - p(b, i) - (p(a, j) - p(a, i)) || a - b);
      for (const s of ranked.slice(0, count)) flagged.add(s);
    }
  }

  const issues: LabelIssue[] = [];
  for (const i of flagged) {
    const given = labels[i]!;
    let suggested = given === 0 ? 1 : 0;
    for (let k = 0; k < classes; k++) if (k !== given && p(i, k) > p(i, suggested)) suggested = k;
    const selfConfidence = p(i, given);
    // The model's own prediction is the given label: not an error it can point at.
    if (selfConfidence >= p(i, suggested)) continue;
    issues.push({ index: i, given, suggested, selfConfidence, margin: selfConfidence - p(i, suggested) });
  }
  const bySelf = (a: LabelIssue, b: LabelIssue) => a.selfConfidence - b.selfConfidence;
  const byMargin = (a: LabelIssue, b: LabelIssue) => a.margin - b.margin;
  const [first, second] = rankBy === 'margin' ? [byMargin, bySelf] : [bySelf, byMargin];
  issues.sort((a, b) => first(a, b) || second(a, b) || a.index - b.index);
  return { labelCounts, thresholds, confidentJoint, calibratedJoint, issuesPerCell, estimatedIssues, issues };
}
