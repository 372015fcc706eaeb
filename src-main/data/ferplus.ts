import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FERPLUS_CLASSES, FERPLUS_TO_FER2013, type FerPlusLayer, type SampleVotes } from '../../src-shared/contract/ferplus';
import { AppError } from '../../src-shared/errors';
import { SPLITS, type Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { hasFerPlusLayer } from '../store/ferplus-scores';
import { readFerPlusLayer, readVotes, replaceFerPlusLayer } from '../store/ferplus-layers';
import { datasetSamples } from '../store/samples';
import { resolveDataset, splitCounts } from './packed-store';

/** fer2013new.csv is about 1.5 MB; anything far larger is another file picked by mistake. */
const MAX_BYTES = 64 * 1024 * 1024;
/** FER+ asked 10 taggers per face; a count past this is no vote count. */
const MAX_VOTES = 100;
const UNKNOWN = FERPLUS_CLASSES.indexOf('unknown');

export interface ParsedVotes {
  usage: Split[];
  /** rows × 10 counts, FER+ column order. */
  votes: Uint8Array;
}

/**
 * FER+'s majority label: single votes are dropped as outliers, then a class needs more than half of the
 * remaining votes; without one (or with no votes left) the face is "unknown". This is the rule the FER+
 * authors describe for their majority-vote labels.
 */
export function majorityOf(votes: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  let best = -1;
  let bestCount = 0;
  for (let k = 0; k < FERPLUS_CLASSES.length; k++) {
    const v = votes[offset + k]!;
    if (v <= 1) continue;
    sum += v;
    if (v > bestCount) {
      bestCount = v;
      best = k;
    }
  }
  return best >= 0 && bestCount * 2 > sum ? best : UNKNOWN;
}

/** Reads fer2013new.csv (Usage, Image name, then the 10 vote columns, any order, extra columns ignored). */
export function parseFerPlusCsv(path: string): ParsedVotes {
  const file = resolve(path);
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `${file} does not exist: give the path of FER+'s fer2013new.csv.`);
  const st = statSync(file);
  if (!st.isFile()) throw new AppError('INVALID_INPUT', `${file} is not a file: give the path of FER+'s fer2013new.csv.`);
  if (st.size > MAX_BYTES) throw new AppError('INVALID_DATA', `${file} is ${Math.round(st.size / 1e6)} MB: FER+'s fer2013new.csv is about 1.5 MB. Is it the right file?`, { file });
  const buf = readFileSync(file);
  if (buf.includes(0)) throw new AppError('INVALID_DATA', `${file} is not a CSV file: it contains binary data.`, { file });
  const lines = buf.toString('utf8').replace(/^\uFEFF/, '').split('\n');
  const header = lines[0]!.replace(/\r$/, '').split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase());
  const need = ['usage', 'image name', ...FERPLUS_CLASSES.map((c) => c.toLowerCase())];
  const missing = need.filter((n) => !header.includes(n));
  if (missing.length) {
    const hint = header.includes('pixels') ? ' This looks like fer2013.csv (pixels): import that with `fer import`, and give the FER+ file fer2013new.csv here.' : '';
    throw new AppError(
      'INVALID_DATA',
      `${file}, line 1: a FER+ votes file names the columns Usage, Image name, ${FERPLUS_CLASSES.join(', ')}; missing: ${missing.join(', ')}.${hint}`,
      { file, line: 1 },
    );
  }
  const usageAt = header.indexOf('usage');
  const voteAt = FERPLUS_CLASSES.map((c) => header.indexOf(c.toLowerCase()));
  const usage: Split[] = [];
  const votes: number[] = [];
  // Blank lines at the end (a final newline) are fine; anywhere else a row would be missing from the order.
  let last = lines.length - 1;
  while (last > 0 && lines[last]!.trim() === '') last--;
  for (let i = 1; i <= last; i++) {
    const lineNo = i + 1;
    const fields = lines[i]!.replace(/\r$/, '').split(',');
    if (fields.length !== header.length) {
      throw new AppError('INVALID_DATA', `${file}, line ${lineNo}: ${fields.length} fields where the header has ${header.length}${fields.length < header.length ? ' (is the line truncated?)' : ''}.`, { file, line: lineNo });
    }
    const u = fields[usageAt]!.trim();
    const split = SPLITS.find((s) => s === u);
    if (!split) throw new AppError('INVALID_DATA', `${file}, line ${lineNo}: Usage "${u.slice(0, 40)}" is not one of ${SPLITS.join(', ')}.`, { file, line: lineNo });
    usage.push(split);
    voteAt.forEach((at, k) => {
      const text = fields[at]!.trim();
      const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
      if (!(n <= MAX_VOTES)) {
        throw new AppError('INVALID_DATA', `${file}, line ${lineNo}: the ${FERPLUS_CLASSES[k]} vote count "${text.slice(0, 40)}" is not a whole number from 0 to ${MAX_VOTES}.`, { file, line: lineNo });
      }
      votes.push(n);
    });
  }
  if (!usage.length) throw new AppError('INVALID_DATA', `${file} has a header but no rows.`, { file });
  return { usage, votes: Uint8Array.from(votes) };
}

/**
 * Stores FER+ votes as a layer on a dataset imported from fer2013.csv. FER+ rows follow fer2013.csv's rows,
 * so the match is by row: the counts (all, and per split) and each row's Usage must agree with the dataset,
 * or nothing is stored. An earlier layer on the dataset is replaced in the same transaction.
 */
export function importFerPlus(wb: Workbench, path: string, ref: string | number): FerPlusLayer & { replaced: boolean } {
  const ds = resolveDataset(wb, ref);
  if (ds.format !== 'csv') {
    throw new AppError(
      'INVALID_INPUT',
      `Dataset "${ds.name}" was imported from image folders, so its faces are not in fer2013.csv's row order, which is how FER+ votes are matched. Import fer2013.csv (fer import FILE --name NAME) and add the votes to that dataset.`,
    );
  }
  const parsed = parseFerPlusCsv(path);
  const rows = parsed.usage.length;
  if (rows !== ds.sample_count) {
    throw new AppError('INVALID_DATA', `${resolve(path)} has ${rows} vote rows, but dataset "${ds.name}" has ${ds.sample_count} faces: FER+ votes match FER2013 row by row (35,887 rows).`);
  }
  const mine = splitCounts(wb, ds.id);
  const theirs = SPLITS.map((s) => parsed.usage.filter((u) => u === s).length);
  const off = SPLITS.flatMap((s, i) => (theirs[i] !== mine[i]!.total ? [`${s} ${theirs[i]} vs ${mine[i]!.total}`] : []));
  if (off.length) throw new AppError('INVALID_DATA', `${resolve(path)} does not match dataset "${ds.name}" split by split (votes vs faces): ${off.join(', ')}.`);
  const samples = datasetSamples(wb.db, ds.id);
  samples.forEach((s, i) => {
    if (s.idx !== i) throw new AppError('DB_CORRUPT', `Dataset "${ds.name}" has a gap in its row numbers at ${i}.`);
    if (s.split !== parsed.usage[i]) {
      throw new AppError('INVALID_DATA', `${resolve(path)}, line ${i + 2}: Usage ${parsed.usage[i]}, but row ${i + 1} of dataset "${ds.name}" is ${s.split}: the votes are not in this dataset's row order.`);
    }
  });
  const replaced = hasFerPlusLayer(wb.db, ds.id);
  const w = FERPLUS_CLASSES.length;
  const votes = samples.map((s, i) => {
    const majority = majorityOf(parsed.votes, i * w);
    return { sampleId: s.id, votes: Buffer.from(parsed.votes.subarray(i * w, (i + 1) * w)), majority, label7: FERPLUS_TO_FER2013[majority] ?? null };
  });
  // One transaction: an earlier layer is replaced, or nothing changes.
  replaceFerPlusLayer(wb.db, { datasetId: ds.id, sourcePath: resolve(path), rows, votes });
  return { ...ferPlusLayer(wb, ds.id)!, replaced };
}

/** A dataset's FER+ layer with its counts, or null when it has none. */
export function ferPlusLayer(wb: Workbench, datasetId: number): FerPlusLayer | null {
  return readFerPlusLayer(wb.db, datasetId);
}

/** Votes of the given samples (those in a FER+ layer), keyed by sample id. */
export function votesOf(wb: Workbench, sampleIds: number[]): Map<number, SampleVotes> {
  return readVotes(wb.db, sampleIds);
}
