import type { ExternalFormat, ExternalModelInfo } from '../../src-shared/contract';
import type { ReadableWorkbench } from '../context';

/**
 * The external models repository: reads of imported classifiers (an external model is stored with the run that
 * stands for it). Their import and delete, which also write and remove the model's files, stay in
 * engine/external/catalog.ts.
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
