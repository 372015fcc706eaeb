import type { Split } from '../../src-shared/labels';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The datasets repository (moved here from data/packed-store.ts and data/packed-writer.ts, #18): the `datasets`
 * rows and the import's commit, which writes a dataset with all its sample rows at once. The samples' own reads
 * are in samples.ts; the packed pixel files themselves are data/'s.
 */

/** A `datasets` table row, as stored. */
export interface DatasetRow {
  id: number;
  name: string;
  source_path: string;
  format: 'csv' | 'folders';
  /** Relative to `home.datasets`: `<id>/pixels.u8`. */
  pixels_file: string;
  sample_count: number;
  converted: number;
  skipped: number;
  created_at: string;
}

export function datasetById(db: ReadableDb, id: number): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
}

export function datasetByName(db: ReadableDb, name: string): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as DatasetRow | undefined;
}

/** The id of the dataset with this name, or undefined. */
export function datasetIdByName(db: ReadableDb, name: string): number | undefined {
  return (db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined)?.id;
}

export function listDatasetRows(db: ReadableDb): DatasetRow[] {
  return db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[];
}

/** Every dataset id (the import's sweep keeps the packed folders these name). */
export function datasetIds(db: ReadableDb): number[] {
  return (db.prepare('SELECT id FROM datasets').all() as { id: number }[]).map((r) => r.id);
}

/** How many runs and evaluations refer to the dataset (deleting it would cascade to them). */
export function datasetUsage(db: ReadableDb, datasetId: number): { runs: number; evaluations: number } {
  const runs = (db.prepare('SELECT count(*) AS n FROM runs WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
  const evaluations = (db.prepare('SELECT count(*) AS n FROM evaluations WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
  return { runs, evaluations };
}

/** Deletes the dataset row (its samples and everything keyed on them go with it, by the schema's cascades). */
export function deleteDatasetRow(db: Db, datasetId: number): void {
  db.transaction(() => db.prepare('DELETE FROM datasets WHERE id = ?').run(datasetId))();
}

/** One row of a packed pixel file, by its position `idx` in the file. */
export interface NewSample {
  split: Split;
  label: number;
  source: string;
  /** Content hash of the pixels (exact duplicates share it). */
  hash: string;
}

export interface NewDataset {
  name: string;
  sourcePath: string;
  format: 'csv' | 'folders';
  converted: number;
  skipped: number;
  sampleCount: number;
  /** The sample at row `idx` of the packed file, for idx 0 … sampleCount − 1. */
  sampleAt(idx: number): NewSample;
  /** `pixels_file` for the id the dataset gets. */
  pixelsFile(id: number): string;
}

/**
 * Inserts a dataset and its sample rows in one transaction and returns its id. `lastInTransaction` runs at the end
 * of that transaction with the new id (the import moves its packed folder into place there): if it throws,
 * nothing is inserted. A taken name throws SQLite's SQLITE_CONSTRAINT_UNIQUE.
 */
export function insertDataset(db: Db, ds: NewDataset, lastInTransaction: (id: number) => void): number {
  const insertDatasetRow = db.prepare(
    `INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, converted, skipped, created_at)
     VALUES (?, ?, ?, '', ?, ?, ?, ?) RETURNING id`,
  );
  const setFile = db.prepare('UPDATE datasets SET pixels_file = ? WHERE id = ?');
  const insertSample = db.prepare('INSERT INTO samples (dataset_id, idx, split, label, source, hash) VALUES (?, ?, ?, ?, ?, ?)');
  return db.transaction(() => {
    const { id } = insertDatasetRow.get(ds.name, ds.sourcePath, ds.format, ds.sampleCount, ds.converted, ds.skipped, new Date().toISOString()) as { id: number };
    setFile.run(ds.pixelsFile(id), id);
    for (let i = 0; i < ds.sampleCount; i++) {
      const s = ds.sampleAt(i);
      insertSample.run(id, i, s.split, s.label, s.source, s.hash);
    }
    lastInTransaction(id);
    return id;
  })();
}
