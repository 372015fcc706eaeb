import { describe, expect, it } from 'vitest';
import { argmaxRows } from '../../../src-main/analysis/metrics';
import { hardVote, softVote } from '../../../src-main/analysis/voting';

// Two classes, one sample, three members where soft and hard voting disagree:
// two members lean weakly to class 1, one is very sure of class 0.
const a = new Float32Array([0.45, 0.55]);
const b = new Float32Array([0.45, 0.55]);
const c = new Float32Array([0.99, 0.01]);

describe('voting', () => {
  it('soft voting averages probabilities, so one confident member can win', () => {
    const p = softVote([a, b, c], 1, 2);
    expect(p[0]).toBeCloseTo((0.45 + 0.45 + 0.99) / 3, 6);
    expect([...argmaxRows(p, 1, 2)]).toEqual([0]);
  });

  it('hard voting counts argmaxes, so the majority wins', () => {
    const h = hardVote([a, b, c], 1, 2);
    expect([...h.preds]).toEqual([1]);
    expect(h.probs[1]).toBeCloseTo(2 / 3, 6);
  });

  it('weights scale a member: weight 3 on the confident member flips the hard vote', () => {
    const h = hardVote([a, b, c], 1, 2, [1, 1, 3]);
    expect([...h.preds]).toEqual([0]);
    expect(h.probs[0]).toBeCloseTo(3 / 5, 6);
    const s = softVote([a, b, c], 1, 2, [1, 1, 0]);
    expect(s[1]).toBeCloseTo(0.55, 6);
  });

  it('breaks a hard-vote tie by the summed probability', () => {
    const x = new Float32Array([0.6, 0.4]);
    const y = new Float32Array([0.1, 0.9]);
    const h = hardVote([x, y], 1, 2);
    expect(h.probs[0]).toBeCloseTo(0.5);
    expect([...h.preds]).toEqual([1]);
  });

  it('refuses bad weights and mismatched shapes', () => {
    expect(() => softVote([a, b], 1, 2, [1])).toThrow(/2 members/);
    expect(() => softVote([a, b], 1, 2, [0, 0])).toThrow(/> 0/);
    expect(() => hardVote([a, new Float32Array(4)], 1, 2)).toThrow(/member 1/);
  });
});
