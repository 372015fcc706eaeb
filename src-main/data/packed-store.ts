import { closeSync, existsSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetSummary, SplitCounts } from '../../src-shared/contract/datasets';
import { AppError } from '../../src-shared/errors';
import { NUM_CLASSES, PIXELS_PER_IMAGE, SPLITS, type Split } from '../../src-shared/labels';
import type { ReadableWorkbench, Workbench } from '../context';
import { datasetById, datasetByName, datasetIdByName, datasetUsage, deleteDatasetRow, listDatasetRows, type DatasetRow } from '../store/datasets';
import { countsBySplitAndLabel, sampleLocations, splitSamples } from '../store/samples';

export interface SplitData {
  /** samples.id of each image. */
  ids: Int32Array;
  labels: Uint8Array;
  /** n × 2,304 bytes, row-major 48×48, in sample idx order. */
  pixels: Uint8Array;
  n: number;
}

/**
 * The given rows of a split as a split of their own, in the order given; `labelOf` may give a row another label
 * (a revision's relabel). Used where a run sees part of a split: a k-fold side, a revision's exclusions.
 */
export function pickRows(data: SplitData, rows: readonly number[], labelOf: (row: number) => number = (row) => data.labels[row]!): SplitData {
  const n = rows.length;
  const out: SplitData = { ids: new Int32Array(n), labels: new Uint8Array(n), pixels: new Uint8Array(n * PIXELS_PER_IMAGE), n };
  rows.forEach((row, i) => {
    out.ids[i] = data.ids[row]!;
    out.labels[i] = labelOf(row);
    out.pixels.set(data.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
  });
  return out;
}

/**
 * A dataset by id or by name. Digits are an id and nothing else, so a reference never means two datasets
 * (import refuses names that are numbers; a home from before that rule may still hold one, found by id).
 */
export function resolveDataset(wb: ReadableWorkbench, ref: string | number): DatasetRow {
  const id = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : null;
  const row = id !== null ? datasetById(wb.db, id) : datasetByName(wb.db, String(ref));
  if (!row) {
    let hint = '';
    if (id !== null) {
      const named = datasetIdByName(wb.db, String(ref));
      if (named !== undefined) hint = ` The dataset named "${ref}" has id ${named}: numbers are read as ids, so use ${named}.`;
    }
    const what = id !== null ? `with id ${id}` : `named "${ref}"`;
    throw new AppError('NOT_FOUND', `No dataset ${what}.${hint} \`fer datasets\` lists the imported ones.`);
  }
  return row;
}

export function pixelsPath(wb: ReadableWorkbench, row: DatasetRow): string {
  return join(wb.home.datasets, row.pixels_file);
}

export function splitCounts(wb: Workbench, datasetId: number): SplitCounts[] {
  const rows = countsBySplitAndLabel(wb.db, datasetId);
  const out = SPLITS.map((split) => ({ split, total: 0, perClass: new Array<number>(NUM_CLASSES).fill(0) }));
  for (const r of rows) {
    const s = out[SPLITS.indexOf(r.split)]!;
    s.perClass[r.label] = r.n;
    s.total += r.n;
  }
  return out;
}

export function summarize(wb: Workbench, row: DatasetRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    sourcePath: row.source_path,
    format: row.format,
    createdAt: row.created_at,
    sampleCount: row.sample_count,
    splits: splitCounts(wb, row.id),
    converted: row.converted,
    skipped: row.skipped,
  };
}

export function listDatasets(wb: Workbench): DatasetSummary[] {
  const rows = listDatasetRows(wb.db);
  return rows.map((r) => summarize(wb, r));
}

/**
 * Reads rows `idxs[i]` of a packed file into `out` at slot i, one read per run of consecutive rows, so a
 * contiguous split is a single read.
 */
export function readRows(file: string, idxs: ArrayLike<number>, out: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new AppError('IO_ERROR', `Cannot read the packed pixel file ${file}: ${(err as Error).message}. Re-import the dataset.`);
  }
  try {
    let i = 0;
    while (i < idxs.length) {
      let j = i + 1;
      while (j < idxs.length && idxs[j] === idxs[j - 1]! + 1) j++;
      const bytes = (j - i) * PIXELS_PER_IMAGE;
      let got = 0;
      while (got < bytes) {
        const n = readSync(fd, out, i * PIXELS_PER_IMAGE + got, bytes - got, idxs[i]! * PIXELS_PER_IMAGE + got);
        if (n === 0) throw new AppError('IO_ERROR', `The packed pixel file ${file} is shorter than its index says: re-import the dataset.`);
        got += n;
      }
      i = j;
    }
  } finally {
    closeSync(fd);
  }
}

/** One split's images, labels and sample ids, in sample idx order (the order of the source file). */
export function loadSplit(wb: ReadableWorkbench, datasetId: number, split: Split, opts: { limit?: number } = {}): SplitData {
  const row = resolveDataset(wb, datasetId);
  const limit = opts.limit ?? -1;
  const rows = splitSamples(wb.db, datasetId, split, limit);
  const n = rows.length;
  const ids = new Int32Array(n);
  const labels = new Uint8Array(n);
  const idxs = new Int32Array(n);
  rows.forEach((r, i) => {
    ids[i] = r.id;
    labels[i] = r.label;
    idxs[i] = r.idx;
  });
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  if (n) readRows(pixelsPath(wb, row), idxs, pixels);
  return { ids, labels, pixels, n };
}

/** Pixels of the given samples (any datasets), in the order given: sampleIds.length × 2,304 bytes. */
export function readPixelsByIds(wb: ReadableWorkbench, sampleIds: number[]): Uint8Array {
  const out = new Uint8Array(sampleIds.length * PIXELS_PER_IMAGE);
  if (!sampleIds.length) return out;
  const found = sampleLocations(wb.db, sampleIds);
  const byId = new Map(found.map((r) => [r.id, r]));
  const perDataset = new Map<number, { slots: number[]; idxs: number[] }>();
  sampleIds.forEach((id, slot) => {
    const r = byId.get(id);
    if (!r) throw new AppError('NOT_FOUND', `No sample with id ${id}.`);
    let group = perDataset.get(r.datasetId);
    if (!group) perDataset.set(r.datasetId, (group = { slots: [], idxs: [] }));
    group.slots.push(slot);
    group.idxs.push(r.idx);
  });
  for (const [datasetId, group] of perDataset) {
    const file = pixelsPath(wb, resolveDataset(wb, datasetId));
    const tmp = new Uint8Array(group.idxs.length * PIXELS_PER_IMAGE);
    readRows(file, group.idxs, tmp);
    group.slots.forEach((slot, k) => out.set(tmp.subarray(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE), slot * PIXELS_PER_IMAGE));
  }
  return out;
}

/**
 * Deletes a dataset's rows and packed file. Refuses while runs or evaluations use it: the schema would cascade
 * and silently erase their results.
 */
export function deleteDataset(wb: Workbench, ref: string | number): void {
  const row = resolveDataset(wb, ref);
  const { runs, evaluations: evals } = datasetUsage(wb.db, row.id);
  if (runs || evals) {
    throw new AppError('CONFLICT', `Dataset "${row.name}" is used by ${runs} run(s) and ${evals} evaluation(s); delete those first.`);
  }
  const dir = join(wb.home.datasets, String(row.id));
  // Move the folder aside first: if the DB delete fails it is moved back, and after the commit a crash leaves
  // only a temp folder that the next import sweeps.
  const aside = join(wb.home.tmp, `import-${process.pid}-deleted-${row.id}-${Date.now()}`);
  const moved = existsSync(dir);
  if (moved) renameSync(dir, aside);
  try {
    deleteDatasetRow(wb.db, row.id);
  } catch (err) {
    if (moved) renameSync(aside, dir);
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}
