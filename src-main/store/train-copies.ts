import type { Split } from '../../src-shared/labels';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The train-copies repository (moved here from data/train-copies.ts, #18): `train_copy_index` (a dataset's faces
 * were pHashed with this algorithm) and `train_copies` (each non-Training face's copies in Training). Which faces
 * count as kept at a de-duplication level is in dedup-scores.ts.
 */

/** The pHash algorithm the dataset's train-copy index was built with, or null when it has none. */
export function trainCopyAlgorithm(db: ReadableDb, datasetId: number): string | null {
  const have = db.prepare('SELECT algorithm FROM train_copy_index WHERE dataset_id = ?').get(datasetId) as { algorithm: string } | undefined;
  return have?.algorithm ?? null;
}

/** For each non-Training face of the dataset (by sample id): how many Training faces have its content hash. */
export function exactCopiesInTraining(db: ReadableDb, datasetId: number): Map<number, number> {
  const rows = db
    .prepare(
      `SELECT s.id, (SELECT count(*) FROM samples t WHERE t.dataset_id = s.dataset_id AND t.hash = s.hash AND t.split = 'Training') AS n
       FROM samples s WHERE s.dataset_id = ? AND s.split <> 'Training'`,
    )
    .all(datasetId) as { id: number; n: number }[];
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** One non-Training face's `train_copies` row. */
export interface TrainCopy {
  sampleId: number;
  exactCopies: number;
  nearestDistance: number;
  nearestSampleId: number | null;
}

/** Replaces the dataset's train-copy index and rows, in one transaction: a dataset is fully indexed or not at all. */
export function replaceTrainCopies(db: Db, datasetId: number, algorithm: string, phashes: Buffer, copies: readonly TrainCopy[]): void {
  db.transaction(() => {
    db.prepare('DELETE FROM train_copy_index WHERE dataset_id = ?').run(datasetId);
    db.prepare('INSERT INTO train_copy_index (dataset_id, algorithm, phashes, created_at) VALUES (?, ?, ?, ?)').run(datasetId, algorithm, phashes, new Date().toISOString());
    const ins = db.prepare('INSERT INTO train_copies (sample_id, dataset_id, exact_copies, nearest_distance, nearest_sample_id) VALUES (?, ?, ?, ?, ?)');
    for (const c of copies) ins.run(c.sampleId, datasetId, c.exactCopies, c.nearestDistance, c.nearestSampleId);
  })();
}

/** Datasets with an evaluation on a split other than Training whose faces have no index built with `algorithm`. */
export function datasetsMissingTrainCopies(db: ReadableDb, algorithm: string): number[] {
  const rows = db
    .prepare(
      `SELECT DISTINCT e.dataset_id AS id FROM evaluations e
       WHERE e.split <> 'Training' AND NOT EXISTS (SELECT 1 FROM train_copy_index i WHERE i.dataset_id = e.dataset_id AND i.algorithm = ?)`,
    )
    .all(algorithm) as { id: number }[];
  return rows.map((r) => r.id);
}

/** Per split with indexed faces: how many, how many have an exact copy in Training, and how many one within `threshold` pHash bits. */
export function trainCopyCounts(db: ReadableDb, datasetId: number, threshold: number): { split: Split; total: number; exact: number; near: number }[] {
  return db
    .prepare(
      `SELECT s.split, count(*) AS total, sum(c.exact_copies > 0) AS exact, sum(c.nearest_distance <= ?) AS near
       FROM train_copies c JOIN samples s ON s.id = c.sample_id WHERE c.dataset_id = ? GROUP BY s.split`,
    )
    .all(threshold, datasetId) as { split: Split; total: number; exact: number; near: number }[];
}

/** How many indexed faces have their nearest Training face at each distance from 0 to 16 bits (distances with none are absent). */
export function nearestDistanceCounts(db: ReadableDb, datasetId: number): { d: number; n: number }[] {
  return db
    .prepare('SELECT nearest_distance AS d, count(*) AS n FROM train_copies WHERE dataset_id = ? AND nearest_distance <= 16 GROUP BY nearest_distance')
    .all(datasetId) as { d: number; n: number }[];
}
