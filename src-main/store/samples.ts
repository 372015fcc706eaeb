import type { SampleMeta } from '../../src-shared/contract/datasets';
import type { Split } from '../../src-shared/labels';
import type { ReadableDb } from './readable-db';

/**
 * The samples repository: reads of the `samples` rows, each the index entry of one face in its dataset's packed
 * pixel file (`idx` is its row there). They are written with their dataset (datasets.ts's insertDataset).
 */

/** The ids and labels of one split of a dataset, as imported (no pixels), in import order: what its fold assignment is drawn from. */
export function splitLabels(db: ReadableDb, datasetId: number, split: string): { ids: Int32Array; labels: Uint8Array } {
  const rows = db.prepare('SELECT id, label FROM samples WHERE dataset_id = ? AND split = ? ORDER BY idx').all(datasetId, split) as { id: number; label: number }[];
  return { ids: Int32Array.from(rows, (r) => r.id), labels: Uint8Array.from(rows, (r) => r.label) };
}

/** How many faces a dataset's split holds (0 for a split it does not have). */
export function splitSize(db: ReadableDb, datasetId: number, split: string): number {
  return (db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split = ?').get(datasetId, split) as { n: number }).n;
}

/** Face counts per (split, label) present in the dataset. */
export function countsBySplitAndLabel(db: ReadableDb, datasetId: number): { split: Split; label: number; n: number }[] {
  return db.prepare('SELECT split, label, count(*) AS n FROM samples WHERE dataset_id = ? GROUP BY split, label').all(datasetId) as { split: Split; label: number; n: number }[];
}

/** A split's samples in idx order (the source file's order), at most `limit` of them (−1: all). */
export function splitSamples(db: ReadableDb, datasetId: number, split: Split, limit: number): { id: number; idx: number; label: number }[] {
  return db.prepare('SELECT id, idx, label FROM samples WHERE dataset_id = ? AND split = ? ORDER BY idx LIMIT ?').all(datasetId, split, limit) as { id: number; idx: number; label: number }[];
}

/** All of a dataset's samples in idx order. */
export function datasetSamples(db: ReadableDb, datasetId: number): { id: number; idx: number; split: Split }[] {
  return db.prepare('SELECT id, idx, split FROM samples WHERE dataset_id = ? ORDER BY idx').all(datasetId) as { id: number; idx: number; split: Split }[];
}

/** Where each of these samples is stored (its dataset and row); ids with no sample are absent. */
export function sampleLocations(db: ReadableDb, sampleIds: readonly number[]): { id: number; datasetId: number; idx: number }[] {
  const rows = db.prepare('SELECT id, dataset_id, idx FROM samples WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(sampleIds)) as {
    id: number;
    dataset_id: number;
    idx: number;
  }[];
  return rows.map((r) => ({ id: r.id, datasetId: r.dataset_id, idx: r.idx }));
}

export interface SampleFilter {
  split?: Split;
  label?: number;
  ids?: readonly number[];
}

/** One page (in idx order) of a dataset's samples that pass the filter, and how many pass it in all. */
export function samplesPage(db: ReadableDb, datasetId: number, filter: SampleFilter, offset: number, limit: number): { total: number; items: SampleMeta[] } {
  const where = ['dataset_id = ?'];
  const params: (string | number)[] = [datasetId];
  if (filter.split !== undefined) {
    where.push('split = ?');
    params.push(filter.split);
  }
  if (filter.label !== undefined) {
    where.push('label = ?');
    params.push(filter.label);
  }
  if (filter.ids !== undefined) {
    where.push('id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.ids));
  }
  const clause = where.join(' AND ');
  const total = (db.prepare(`SELECT count(*) AS n FROM samples WHERE ${clause}`).get(...params) as { n: number }).n;
  const rows = db
    .prepare(`SELECT id, idx, split, label, source FROM samples WHERE ${clause} ORDER BY idx LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as { id: number; idx: number; split: Split; label: number; source: string }[];
  return { total, items: rows.map((r) => ({ id: r.id, index: r.idx, split: r.split, label: r.label, source: r.source })) };
}

/**
 * The dataset's samples whose content hash another of its samples shares (exact duplicates), ordered by hash and
 * then idx, so each group of copies is consecutive.
 */
export function samplesSharingHash(db: ReadableDb, datasetId: number): { hash: string; id: number; split: Split; label: number }[] {
  return db
    .prepare(
      `SELECT s.hash, s.id, s.split, s.label FROM samples s
       JOIN (SELECT hash FROM samples WHERE dataset_id = ? GROUP BY hash HAVING count(*) > 1) d ON d.hash = s.hash
       WHERE s.dataset_id = ? ORDER BY s.hash, s.idx`,
    )
    .all(datasetId, datasetId) as { hash: string; id: number; split: Split; label: number }[];
}
