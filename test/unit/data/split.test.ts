import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../../src-main/data/split';

describe('stratifiedSplit', () => {
  const labels = [...Array(100).fill(3), ...Array(40).fill(0), ...Array(3).fill(1), 6];

  it('takes the fraction from every class, keeps rare classes on both sides, and covers each index once', () => {
    const { train, val } = stratifiedSplit(labels, 0.2, 7);
    expect([...train, ...val].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;
    expect(count(val, 3)).toBe(20);
    expect(count(val, 0)).toBe(8);
    expect(count(val, 1)).toBe(1); // round(0.6) = 1
    expect(count(train, 1)).toBe(2);
    expect(count(val, 6)).toBe(0); // a single sample stays in train
  });

  it('is deterministic from the seed and changes with it', () => {
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(stratifiedSplit(labels, 0.2, 7));
    expect(stratifiedSplit(labels, 0.2, 8).val).not.toEqual(stratifiedSplit(labels, 0.2, 7).val);
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(/fraction/);
  });
});
