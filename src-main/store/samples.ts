import type { ReadableDb } from './readable-db';

/** How many faces a dataset's split holds (0 for a split it does not have). */
export function splitSize(db: ReadableDb, datasetId: number, split: string): number {
  return (db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split = ?').get(datasetId, split) as { n: number }).n;
}
