import type { ExternalFormat, ExternalModelInfo } from '../../src-shared/contract';
import type { ReadableWorkbench } from '../context';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The external models repository: imported classifiers (an external model is stored with the run that stands for
 * it). Reading the file, the dry run and writing or removing the model's stored copy are engine/external/catalog.ts's.
 */
interface ExternalRow {
  id: number;
  name: string;
  format: string;
  source_file: string;
  sha256: string;
  path: string;
  preprocess_json: string;
  params: number;
  outputs: number;
  created_at: string;
  run_id: number;
  dataset_id: number;
}

type StoredPreprocess = ExternalModelInfo['preprocess'];

const SELECT = `SELECT m.*, r.id AS run_id, r.dataset_id FROM external_models m JOIN runs r ON r.external_model_id = m.id`;

function toInfo(row: ExternalRow): ExternalModelInfo {
  return {
    id: row.id,
    name: row.name,
    format: row.format as ExternalFormat,
    sourceFile: row.source_file,
    sha256: row.sha256,
    path: row.path,
    preprocess: JSON.parse(row.preprocess_json) as StoredPreprocess,
    params: row.params,
    outputs: row.outputs,
    runId: row.run_id,
    datasetId: row.dataset_id,
    createdAt: row.created_at,
  };
}

export function listExternalModels(wb: ReadableWorkbench): ExternalModelInfo[] {
  return (wb.db.prepare(`${SELECT} ORDER BY m.id`).all() as ExternalRow[]).map(toInfo);
}

/** The external model a run stands for, or null for a run trained here. */
export function externalForRun(wb: ReadableWorkbench, runId: number): ExternalModelInfo | null {
  const row = wb.db.prepare(`${SELECT} WHERE r.id = ?`).get(runId) as ExternalRow | undefined;
  return row ? toInfo(row) : null;
}

export function externalById(wb: ReadableWorkbench, id: number): ExternalModelInfo | null {
  const row = wb.db.prepare(`${SELECT} WHERE m.id = ?`).get(id) as ExternalRow | undefined;
  return row ? toInfo(row) : null;
}

export function externalNameTaken(db: ReadableDb, name: string): boolean {
  return !!db.prepare('SELECT 1 FROM external_models WHERE name = ?').get(name);
}

interface NewExternal {
  name: string;
  format: ExternalFormat;
  file: string;
  sha256: string;
  /** The stored copy's folder. */
  dir: string;
  preprocess: StoredPreprocess;
  params: number;
  outputs: number;
  datasetId: number;
  codeVersion: string;
}

/** The model row and the completed run that stands for it, in one transaction; returns the model's id. */
export function insertExternalModel(db: Db, m: NewExternal): number {
  const now = new Date().toISOString();
  return db.transaction(() => {
    const modelId = Number(
      db
        .prepare('INSERT INTO external_models (name, format, source_file, sha256, path, preprocess_json, params, outputs, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(m.name, m.format, m.file, m.sha256, m.dir, JSON.stringify(m.preprocess), m.params, m.outputs, now).lastInsertRowid,
    );
    // What compare's config columns and group-by read for this row; not a TrainConfig (nothing was trained here).
    const config = { model: 'external', external: modelId, dataset: m.datasetId, format: m.format, sourceFile: m.file, sha256: m.sha256, params: m.params, ...m.preprocess };
    db.prepare(
      `INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at, finished_at, external_model_id)
       VALUES (?, ?, 'external', ?, 0, ?, 'completed', ?, ?, ?)`,
    ).run(m.name, m.datasetId, JSON.stringify(config), m.codeVersion, now, now, modelId);
    return modelId;
  })();
}

/**
 * Deletes the run and, when it was the last run of external model `modelId` (null for a run trained here), the
 * model row with it, in one transaction. True when the model row is gone afterwards, so its stored copy can go too.
 */
export function deleteExternalRunRows(db: Db, runId: number, modelId: number | null): boolean {
  db.transaction(() => {
    db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
    if (modelId !== null && !db.prepare('SELECT 1 FROM runs WHERE external_model_id = ?').get(modelId)) db.prepare('DELETE FROM external_models WHERE id = ?').run(modelId);
  })();
  return modelId !== null && !db.prepare('SELECT 1 FROM external_models WHERE id = ?').get(modelId);
}
