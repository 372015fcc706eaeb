/**
 * McNemar's test for two classifiers scored on the same samples. Only the discordant pairs matter:
 * b = right under A only, c = right under B only.
 */

/** Two-sided exact binomial p-value: 2·P(X ≤ min(b, c)) for X ~ Bin(b + c, ½), capped at 1. */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  const lnHalf = n * Math.log(0.5);
  // log C(n, i) by running sum so the loop is O(k), not O(k·n).
  let lnC = 0; // i = 0
  let sum = 0;
  const terms: number[] = [];
  for (let i = 0; i <= k; i++) {
    if (i > 0) lnC += Math.log(n - i + 1) - Math.log(i);
    terms.push(lnC + lnHalf);
  }
  // log-sum-exp keeps tiny tails from underflowing to 0 before they are added up.
  // C(n, i) grows up to i = n/2 and k ≤ n/2, so the last term is the largest.
  const max = terms[terms.length - 1]!;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(1, 2 * Math.exp(max) * sum);
}

/** Complementary error function (Numerical Recipes' erfcc: fractional error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Chi-square with Edwards' continuity correction, 1 degree of freedom: p = erfc(√(χ²/2)). */
export function mcnemarChiSquare(b: number, c: number): { statistic: number; pValue: number } {
  const n = b + c;
  if (n === 0) return { statistic: 0, pValue: 1 };
  const d = Math.max(0, Math.abs(b - c) - 1);
  const statistic = (d * d) / n;
  return { statistic, pValue: Math.min(1, erfc(Math.sqrt(statistic / 2))) };
}

export interface McNemarResult {
  b: number;
  c: number;
  /** Continuity-corrected chi-square statistic. */
  statistic: number;
  /** The exact binomial p-value: valid at every count, so it is the one reported. */
  pValue: number;
  pValueExact: number;
  pValueChiSquare: number;
}

export function mcnemar(b: number, c: number): McNemarResult {
  const chi = mcnemarChiSquare(b, c);
  const exact = mcnemarExactP(b, c);
  return { b, c, statistic: chi.statistic, pValue: exact, pValueExact: exact, pValueChiSquare: chi.pValue };
}

export interface Flips {
  /** Sample ids right under B and wrong under A. */
  fixed: number[];
  /** Sample ids right under A and wrong under B. */
  broken: number[];
  /** Counts for McNemar: b = A right only, c = B right only. */
  b: number;
  c: number;
}

export function flips(sampleIds: ArrayLike<number>, labels: ArrayLike<number>, predsA: ArrayLike<number>, predsB: ArrayLike<number>): Flips {
  const n = labels.length;
  if (sampleIds.length !== n || predsA.length !== n || predsB.length !== n) throw new RangeError('flips: arrays differ in length');
  const fixed: number[] = [];
  const broken: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = predsA[i] === labels[i];
    const b = predsB[i] === labels[i];
    if (a && !b) broken.push(sampleIds[i]!);
    else if (!a && b) fixed.push(sampleIds[i]!);
  }
  return { fixed, broken, b: broken.length, c: fixed.length };
}

/** b − a, cell by cell. */
export function confusionDiff(a: number[][], b: number[][]): number[][] {
  if (a.length !== b.length) throw new RangeError('confusion matrices differ in size');
  return a.map((row, t) => row.map((v, p) => b[t]![p]! - v));
}
