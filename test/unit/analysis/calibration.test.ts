import { describe, expect, it } from 'vitest';
import { calibration, reliability } from '../../../src-main/analysis/calibration';

describe('calibration', () => {
  it('computes ECE over equal-width bins by hand', () => {
    // Bin [0.6,0.8): confidences 0.7, 0.7 with one right → acc ½, conf 0.7, gap 0.2, weight ½.
    // Bin [0.8,1.0]: confidences 0.9, 1.0 both right → acc 1, conf 0.95, gap 0.05, weight ½.
    const r = reliability([0.7, 0.7, 0.9, 1.0], [1, 0, 1, 1], 5);
    expect(r.ece).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.05, 10);
    expect(r.bins).toHaveLength(5);
    expect(r.bins[3]).toMatchObject({ lower: 0.6, count: 2, accuracy: 0.5 });
    expect(r.bins[3]!.confidence).toBeCloseTo(0.7);
    expect(r.bins[4]!.count).toBe(2);
    expect(r.bins[0]).toMatchObject({ count: 0, accuracy: 0, confidence: 0 });
  });

  it('is 0 for a perfectly calibrated table and gives per-class one-vs-rest bins', () => {
    // Each sample is certain and right.
    const probs = [1, 0, 0, 1];
    const c = calibration(probs, [0, 1], 2, 10);
    expect(c.ece).toBe(0);
    expect(c.perClass).toHaveLength(2);
    expect(c.perClass[0]!.ece).toBe(0);
    expect(c.perClass[0]!.bins[9]!.count).toBe(1);
    expect(c.perClass[0]!.bins[0]!.count).toBe(1);
  });

  it('sees overconfidence: 90% sure but right half the time', () => {
    const probs = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
    const c = calibration(probs, [0, 1, 0, 1], 2, 10);
    expect(c.ece).toBeCloseTo(0.4, 6);
    // Class 1 one-vs-rest: p=0.1 for all, true frequency ½ → gap 0.4.
    expect(c.perClass[1]!.ece).toBeCloseTo(0.4, 6);
  });
});
