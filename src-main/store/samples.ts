import type { ReadableDb } from './readable-db';

/** The ids and labels of one split of a dataset, as imported (no pixels), in import order: what its fold assignment is drawn from. */
export function splitLabels(db: ReadableDb, datasetId: number, split: string): { ids: Int32Array; labels: Uint8Array } {
  const rows = db.prepare('SELECT id, label FROM samples WHERE dataset_id = ? AND split = ? ORDER BY idx').all(datasetId, split) as { id: number; label: number }[];
  return { ids: Int32Array.from(rows, (r) => r.id), labels: Uint8Array.from(rows, (r) => r.label) };
}

/** How many faces a dataset's split holds (0 for a split it does not have). */
export function splitSize(db: ReadableDb, datasetId: number, split: string): number {
  return (db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split = ?').get(datasetId, split) as { n: number }).n;
}
