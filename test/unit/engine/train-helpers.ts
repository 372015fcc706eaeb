import { PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { synthSamples } from '../../../src-main/data/synth';
import type { LabelledPixels } from '../../../src-main/engine/evaluate';

/** The data engineer's synthetic faces, packed the way loadSplit returns them: train and held-out sets. */
export function synthSplits(perClass: number, seed: number): { train: LabelledPixels; held: LabelledPixels } {
  const all = [...synthSamples({ perClass, seed, balanced: true, testFraction: 0.25 })];
  const pack = (rows: typeof all): LabelledPixels => {
    const pixels = new Uint8Array(rows.length * PIXELS_PER_IMAGE);
    const labels = new Uint8Array(rows.length);
    rows.forEach((s, i) => {
      pixels.set(s.pixels, i * PIXELS_PER_IMAGE);
      labels[i] = s.label;
    });
    return { pixels, labels, n: rows.length };
  };
  return { train: pack(all.filter((s) => s.split === 'Training')), held: pack(all.filter((s) => s.split !== 'Training')) };
}
