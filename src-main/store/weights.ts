import type { WeightsFormat, WeightVariant } from '../../src-shared/contract/weights';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The imported weights repository (#18): the `weights` rows. Reading the files, checking their layers and storing
 * them is engine/weights/catalog.ts's; a row only says where they were stored and what they hold.
 */

/** What an import records about the layers it kept (`meta_json`). */
export interface WeightsMeta {
  variant: WeightVariant;
  sourceFile: string;
  layers: number;
  params: number;
  unmatched: string[];
}

export interface StoredWeights {
  id: string;
  name: string;
  architecture: string;
  format: WeightsFormat;
  path: string;
  sha256: string;
  meta: WeightsMeta;
  createdAt: string;
}

interface WeightsRow {
  id: string;
  name: string;
  architecture: string;
  format: string;
  path: string;
  sha256: string;
  meta_json: string | null;
  created_at: string;
}

function toStored(row: WeightsRow): StoredWeights {
  return {
    id: row.id,
    name: row.name,
    architecture: row.architecture,
    format: row.format as WeightsFormat,
    path: row.path,
    sha256: row.sha256,
    meta: JSON.parse(row.meta_json ?? '{}') as WeightsMeta,
    createdAt: row.created_at,
  };
}

/** Every import, oldest first. */
export function listStoredWeights(db: ReadableDb): StoredWeights[] {
  return (db.prepare('SELECT * FROM weights ORDER BY created_at, id').all() as WeightsRow[]).map(toStored);
}

export function weightsById(db: ReadableDb, id: string): StoredWeights | undefined {
  const row = db.prepare('SELECT * FROM weights WHERE id = ?').get(id) as WeightsRow | undefined;
  return row && toStored(row);
}

export function weightsByName(db: ReadableDb, name: string): StoredWeights | undefined {
  const row = db.prepare('SELECT * FROM weights WHERE name = ?').get(name) as WeightsRow | undefined;
  return row && toStored(row);
}

/** By id first, then by name: a name could look like another import's id, and the id is what identifies content. */
export function weightsByIdOrName(db: ReadableDb, ref: string): StoredWeights | undefined {
  return weightsById(db, ref) ?? weightsByName(db, ref);
}

/** Inserts the import, or replaces the row of the same id (the same content imported again). */
export function upsertWeights(db: Db, w: Omit<StoredWeights, 'createdAt'>): void {
  db.prepare('INSERT OR REPLACE INTO weights (id, name, architecture, format, path, sha256, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    w.id,
    w.name,
    w.architecture,
    w.format,
    w.path,
    w.sha256,
    JSON.stringify(w.meta),
    new Date().toISOString(),
  );
}

export function deleteWeightsRow(db: Db, id: string): void {
  db.prepare('DELETE FROM weights WHERE id = ?').run(id);
}
