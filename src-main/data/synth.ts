import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import type { SplitCounts } from '../../src-shared/contract/datasets';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, IMAGE_SIZE, NUM_CLASSES, SPLITS, type Split } from '../../src-shared/labels';
import { renderFace, sampleFace } from './face';
import { mixSeed, Rng } from './prng';

/** The paper's Table 1 (FER2013): Training counts and Test counts per class. Disgust is the rare one. */
export const TABLE1_TRAINING = [3995, 436, 4097, 7215, 4830, 3171, 4965] as const;
export const TABLE1_TEST = [491, 55, 528, 879, 594, 416, 626] as const;
const TABLE1_TRAINING_TOTAL = TABLE1_TRAINING.reduce((a, b) => a + b, 0);
/** FER2013's PublicTest and PrivateTest each hold 3,589 images against 28,709 for training. */
export const FER_TEST_FRACTION = 3589 / TABLE1_TRAINING_TOTAL;

export interface SynthOptions {
  /** Average Training images per class; classes follow Table 1's proportions unless `balanced`. */
  perClass: number;
  seed: number;
  balanced?: boolean;
  /** Size of each test split relative to Training, per class (default FER2013's 1/8). */
  testFraction?: number;
  /** Exact counts, [split index in SPLITS][class]; overrides perClass/balanced/testFraction. */
  counts?: number[][];
  /** Share of samples drawn with a different expression than their label (FER2013's label noise). */
  mislabelRate?: number;
  occlusionRate?: number;
}

export interface SynthSample {
  /** Position in file order over the whole dataset. */
  seq: number;
  split: Split;
  label: number;
  /** The expression actually drawn (differs from `label` for mislabeled samples). */
  drawn: number;
  pixels: Uint8Array;
}

/** counts[split][class] that a generator run writes. */
export function planCounts(options: SynthOptions): number[][] {
  if (options.counts) {
    if (options.counts.length !== SPLITS.length || options.counts.some((row) => row.length !== NUM_CLASSES || row.some((c) => !Number.isInteger(c) || c < 0))) {
      throw new AppError('INVALID_INPUT', `counts must be ${SPLITS.length} rows of ${NUM_CLASSES} non-negative integers.`);
    }
    return options.counts.map((row) => [...row]);
  }
  if (!Number.isInteger(options.perClass) || options.perClass < 1) throw new AppError('INVALID_INPUT', `perClass must be a positive integer, got ${options.perClass}.`);
  const testFraction = options.testFraction ?? FER_TEST_FRACTION;
  const training = TABLE1_TRAINING.map((c) =>
    options.balanced ? options.perClass : Math.max(2, Math.round((options.perClass * NUM_CLASSES * c) / TABLE1_TRAINING_TOTAL)),
  );
  const test = training.map((c) => Math.max(1, Math.round(c * testFraction)));
  return [training, test, [...test]];
}

export function countsToSplitCounts(counts: number[][]): SplitCounts[] {
  return SPLITS.map((split, s) => ({ split, total: counts[s]!.reduce((a, b) => a + b, 0), perClass: [...counts[s]!] }));
}

/**
 * Every sample in file order: all Training rows, then PublicTest, then PrivateTest (as in fer2013.csv), classes
 * shuffled within a split. Each sample draws from its own seeded stream, so the output is a pure function of
 * the options.
 */
export function* synthSamples(options: SynthOptions): Generator<SynthSample> {
  const counts = planCounts(options);
  const mislabelRate = options.mislabelRate ?? 0.02;
  const order = new Rng(mixSeed(options.seed, 0x5eed));
  let seq = 0;
  for (let s = 0; s < SPLITS.length; s++) {
    const labels: number[] = [];
    counts[s]!.forEach((c, label) => {
      for (let i = 0; i < c; i++) labels.push(label);
    });
    order.shuffle(labels);
    for (const label of labels) {
      const rng = new Rng(mixSeed(options.seed, s, seq));
      let drawn = label;
      if (rng.chance(mislabelRate)) drawn = (label + 1 + rng.int(NUM_CLASSES - 1)) % NUM_CLASSES;
      const params = sampleFace(drawn, rng, { occlusionRate: options.occlusionRate ?? 0.06 });
      yield { seq, split: SPLITS[s]!, label, drawn, pixels: renderFace(params, rng) };
      seq++;
    }
  }
}

const NUMBER_TEXT = Array.from({ length: 256 }, (_, i) => String(i));

export function pixelsToText(pixels: Uint8Array): string {
  const parts = new Array<string>(pixels.length);
  for (let i = 0; i < pixels.length; i++) parts[i] = NUMBER_TEXT[pixels[i]!]!;
  return parts.join(' ');
}

/** Writes fer2013.csv (`emotion,pixels,Usage`) atomically: a temp file next to it, then a rename. */
export function writeSynthCsv(file: string, options: SynthOptions): SplitCounts[] {
  if (existsSync(file)) throw new AppError('ALREADY_EXISTS', `${file} already exists; choose another --out.`);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, 'emotion,pixels,Usage\n');
    let batch: string[] = [];
    for (const sample of synthSamples(options)) {
      batch.push(`${sample.label},${pixelsToText(sample.pixels)},${sample.split}\n`);
      if (batch.length >= 256) {
        writeSync(fd, batch.join(''));
        batch = [];
      }
    }
    if (batch.length) writeSync(fd, batch.join(''));
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  return countsToSplitCounts(planCounts(options));
}

/** The folder each split goes to in the image-folder layout; the file name prefix keeps the exact split. */
export function splitFolder(split: Split): 'train' | 'test' {
  return split === 'Training' ? 'train' : 'test';
}

/**
 * Writes the image-folder layout: `train/<emotion>/Training_<n>.png`, `test/<emotion>/PublicTest_<n>.png` and
 * `test/<emotion>/PrivateTest_<n>.png` (48×48 grayscale PNG, as the Kaggle folder release). Built in a hidden
 * temp folder inside `dir` and renamed into place, so an interrupted run leaves no half layout.
 */
export async function writeSynthFolders(dir: string, options: SynthOptions): Promise<SplitCounts[]> {
  for (const sub of ['train', 'test']) {
    if (existsSync(join(dir, sub))) throw new AppError('ALREADY_EXISTS', `${join(dir, sub)} already exists; choose another --out.`);
  }
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.fer-synth-${process.pid}-${Date.now()}`);
  try {
    for (const sub of ['train', 'test']) for (const emotion of EMOTIONS) mkdirSync(join(tmp, sub, emotion), { recursive: true });
    const inFlight = new Set<Promise<unknown>>();
    for (const sample of synthSamples(options)) {
      const file = join(tmp, splitFolder(sample.split), EMOTIONS[sample.label]!, `${sample.split}_${sample.seq}.png`);
      const job = sharp(Buffer.from(sample.pixels), { raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 } })
        // Without b-w, sharp widens single-channel raw input to sRGB and the PNG would be RGB.
        .toColourspace('b-w')
        .png()
        .toFile(file)
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    for (const sub of readdirSync(tmp)) renameSync(join(tmp, sub), join(dir, sub));
    rmSync(tmp, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return countsToSplitCounts(planCounts(options));
}

