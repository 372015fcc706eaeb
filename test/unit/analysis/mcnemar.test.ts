import { describe, expect, it } from 'vitest';
import { confusionDiff, erfc, flips, mcnemar, mcnemarChiSquare, mcnemarExactP } from '../../../src-main/analysis/mcnemar';

describe('McNemar', () => {
  it('exact p-value matches the binomial tail by hand', () => {
    // b=1, c=9: 2·(C(10,0)+C(10,1))/2^10 = 22/1024.
    expect(mcnemarExactP(1, 9)).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExactP(9, 1)).toBeCloseTo(22 / 1024, 12);
    // b=c: p capped at 1.
    expect(mcnemarExactP(5, 5)).toBe(1);
    expect(mcnemarExactP(0, 0)).toBe(1);
    // b=0, c=10: 2/1024.
    expect(mcnemarExactP(0, 10)).toBeCloseTo(2 / 1024, 12);
  });

  it('chi-square with continuity correction matches tabulated values', () => {
    const r = mcnemarChiSquare(1, 9);
    expect(r.statistic).toBeCloseTo(4.9, 12);
    // scipy.stats.chi2.sf(4.9, 1) = 0.026857...
    expect(r.pValue).toBeCloseTo(0.026857, 5);
    // chi2.sf(3.841459, 1) = 0.05
    expect(erfc(Math.sqrt(3.841459 / 2))).toBeCloseTo(0.05, 6);
  });

  it('stays finite for large counts and agrees with the chi-square there', () => {
    const r = mcnemar(900, 1000);
    expect(r.pValueExact).toBeGreaterThan(0);
    expect(Math.abs(r.pValueExact - r.pValueChiSquare)).toBeLessThan(0.005);
    expect(r.pValue).toBe(r.pValueExact);
  });

  it('finds the samples that flipped each way and the confusion difference', () => {
    const f = flips([10, 11, 12, 13], [0, 1, 2, 0], [0, 0, 2, 1], [1, 1, 2, 0]);
    expect(f.fixed).toEqual([11, 13]);
    expect(f.broken).toEqual([10]);
    expect([f.b, f.c]).toEqual([1, 2]);
    expect(confusionDiff([[2, 0], [1, 1]], [[1, 1], [0, 2]])).toEqual([[-1, 1], [-1, 1]]);
  });
});
