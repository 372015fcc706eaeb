import { FERPLUS_CLASSES, type FerPlusLayer, type SampleVotes } from '../../src-shared/contract/ferplus';
import type { Split } from '../../src-shared/labels';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The FER+ layers repository (moved here from data/ferplus.ts, #18): a dataset's `ferplus_layers` row and the
 * `ferplus_votes` of its faces. Parsing fer2013new.csv and matching it to a dataset stay in data/ferplus.ts;
 * scoring evaluations against the votes is ferplus-scores.ts.
 */

/** One face's stored votes. */
export interface FaceVotes {
  sampleId: number;
  /** 10 counts, FER+ column order. */
  votes: Buffer;
  /** FER+ class index of the majority. */
  majority: number;
  /** The majority as a FER2013 label, or null where FER2013 has no such class. */
  label7: number | null;
}

/** Replaces the dataset's FER+ layer (and all its votes) in one transaction. */
export function replaceFerPlusLayer(db: Db, layer: { datasetId: number; sourcePath: string; rows: number; votes: readonly FaceVotes[] }): void {
  db.transaction(() => {
    db.prepare('DELETE FROM ferplus_layers WHERE dataset_id = ?').run(layer.datasetId);
    db.prepare('INSERT INTO ferplus_layers (dataset_id, source_path, rows, imported_at) VALUES (?, ?, ?, ?)').run(layer.datasetId, layer.sourcePath, layer.rows, new Date().toISOString());
    const ins = db.prepare('INSERT INTO ferplus_votes (sample_id, dataset_id, votes, majority, label7) VALUES (?, ?, ?, ?, ?)');
    for (const v of layer.votes) ins.run(v.sampleId, layer.datasetId, v.votes, v.majority, v.label7);
  })();
}

/** A dataset's FER+ layer with its counts, or null when it has none. */
export function readFerPlusLayer(db: ReadableDb, datasetId: number): FerPlusLayer | null {
  const row = db.prepare('SELECT dataset_id, source_path, rows, imported_at FROM ferplus_layers WHERE dataset_id = ?').get(datasetId) as
    | { dataset_id: number; source_path: string; rows: number; imported_at: string }
    | undefined;
  if (!row) return null;
  const counts = new Array<number>(FERPLUS_CLASSES.length).fill(0);
  for (const r of db.prepare('SELECT majority AS m, count(*) AS n FROM ferplus_votes WHERE dataset_id = ? GROUP BY majority').all(datasetId) as { m: number; n: number }[]) counts[r.m] = r.n;
  const disagreeing = (
    db.prepare('SELECT count(*) AS n FROM ferplus_votes v JOIN samples s ON s.id = v.sample_id WHERE v.dataset_id = ? AND v.label7 IS NOT NULL AND v.label7 <> s.label').get(datasetId) as { n: number }
  ).n;
  return {
    datasetId,
    sourcePath: row.source_path,
    rows: row.rows,
    importedAt: row.imported_at,
    majorityCounts: counts,
    disagreeing,
    leftOut: { contempt: counts[7]!, unknown: counts[8]!, nonFace: counts[9]! },
  };
}

/** Votes of the given samples (those in a FER+ layer), keyed by sample id. */
export function readVotes(db: ReadableDb, sampleIds: readonly number[]): Map<number, SampleVotes> {
  const out = new Map<number, SampleVotes>();
  if (!sampleIds.length) return out;
  const rows = db
    .prepare('SELECT v.sample_id, s.split, v.votes, v.majority FROM ferplus_votes v JOIN samples s ON s.id = v.sample_id WHERE v.sample_id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(sampleIds)) as { sample_id: number; split: Split; votes: Buffer; majority: number }[];
  for (const r of rows) out.set(r.sample_id, { sampleId: r.sample_id, split: r.split, votes: [...r.votes], majority: r.majority });
  return out;
}
