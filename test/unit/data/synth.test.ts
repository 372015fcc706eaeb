import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EMOTIONS, SPLITS } from '../../../src-shared/labels';
import { Rng } from '../../../src-main/data/prng';
import { planCounts, synthSamples, TABLE1_TEST, TABLE1_TRAINING, writeSynthCsv, writeSynthFolders } from '../../../src-main/data/synth';
import { useTempDirs } from '../../helpers/workbench';

const tmp = useTempDirs();

describe('Rng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const c = new Rng(6);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    const n = new Rng(1);
    const xs = Array.from({ length: 4000 }, () => n.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
  });
});

describe('synthetic FER generator', () => {
  it("follows Table 1's class proportions, with disgust rarest and happy largest", () => {
    const [train, pub, priv] = planCounts({ perClass: 100, seed: 1 });
    const share = (xs: readonly number[]) => xs.map((x) => x / xs.reduce((a, b) => a + b, 0));
    share(train!).forEach((s, c) => expect(s).toBeCloseTo(share(TABLE1_TRAINING)[c]!, 2));
    expect(Math.min(...train!)).toBe(train![1]);
    expect(Math.max(...train!)).toBe(train![3]);
    expect(pub).toEqual(priv);
    expect(pub!.every((c) => c >= 1)).toBe(true);
    // Exact counts reproduce FER2013's 35,887 rows.
    const exact = planCounts({ perClass: 1, seed: 1, counts: [[...TABLE1_TRAINING], [...TABLE1_TEST], [...TABLE1_TEST]] });
    expect(exact.flat().reduce((a, b) => a + b, 0)).toBe(35887);
  });

  it('is deterministic from the seed, and different seeds give different faces', () => {
    const a = [...synthSamples({ perClass: 3, seed: 42 })];
    const b = [...synthSamples({ perClass: 3, seed: 42 })];
    const c = [...synthSamples({ perClass: 3, seed: 43 })];
    expect(a.map((s) => [s.split, s.label])).toEqual(b.map((s) => [s.split, s.label]));
    a.forEach((s, i) => expect(Buffer.from(s.pixels).equals(Buffer.from(b[i]!.pixels))).toBe(true));
    expect(Buffer.from(a[0]!.pixels).equals(Buffer.from(c[0]!.pixels))).toBe(false);
    // Faces are images, not noise: real contrast, no constant frames.
    for (const s of a) {
      expect(s.pixels.length).toBe(2304);
      expect(Math.max(...s.pixels) - Math.min(...s.pixels)).toBeGreaterThan(60);
    }
  });

  it('mislabels about the requested share of samples and nothing when asked for none', () => {
    const samples = [...synthSamples({ perClass: 100, seed: 3, mislabelRate: 0.05 })];
    const wrong = samples.filter((s) => s.drawn !== s.label).length / samples.length;
    expect(wrong).toBeGreaterThan(0.02);
    expect(wrong).toBeLessThan(0.09);
    expect([...synthSamples({ perClass: 20, seed: 3, mislabelRate: 0 })].every((s) => s.drawn === s.label)).toBe(true);
  });

  it('writes fer2013.csv with the Kaggle header, rows in Training/PublicTest/PrivateTest order', () => {
    const file = join(tmp(), 'fer2013.csv');
    const counts = writeSynthCsv(file, { perClass: 4, seed: 2 });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('emotion,pixels,Usage');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(counts.reduce((a, s) => a + s.total, 0));
    for (const r of rows) {
      expect(r).toHaveLength(3);
      expect(r[1]!.split(' ')).toHaveLength(2304);
    }
    const usages = rows.map((r) => SPLITS.indexOf(r[2] as (typeof SPLITS)[number]));
    expect([...usages].sort((x, y) => x - y)).toEqual(usages);
    for (const s of counts) {
      for (let c = 0; c < 7; c++) expect(rows.filter((r) => r[2] === s.split && Number(r[0]) === c).length).toBe(s.perClass[c]);
    }
    expect(() => writeSynthCsv(file, { perClass: 4, seed: 2 })).toThrow(/already exists/);
  });

  it('writes the folder layout with split prefixes and 48×48 grayscale PNGs', async () => {
    const dir = tmp();
    const counts = await writeSynthFolders(dir, { perClass: 3, seed: 2 });
    expect(readdirSync(dir).sort()).toEqual(['test', 'train']);
    for (const s of counts) {
      for (let c = 0; c < 7; c++) {
        const files = readdirSync(join(dir, s.split === 'Training' ? 'train' : 'test', EMOTIONS[c]!)).filter((f) => f.startsWith(`${s.split}_`));
        expect(files.length).toBe(s.perClass[c]);
      }
    }
    const one = readdirSync(join(dir, 'train', 'happy'))[0]!;
    const meta = await sharp(join(dir, 'train', 'happy', one)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([48, 48, 1]);
  });
});
