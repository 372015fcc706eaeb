import type { EnsembleMember } from '../../src-shared/contract';
import type { Db } from './db';
import { insertEvaluation, type NewEvaluation } from './evaluations';
import type { ReadableDb } from './readable-db';

/**
 * The ensembles repository (#18): ensembles, their members, the out-of-fold mark, and the reads over them. An
 * ensemble is stored with its evaluation in one transaction, so none exists without its scores.
 */
export interface NewEnsemble {
  name: string;
  vote: 'soft' | 'hard';
  members: { evaluationId: number; weight: number }[];
  /** k when the ensemble is an out-of-fold evaluation of a k-fold cross-validation, else null. */
  outOfFoldK: number | null;
  evaluation: Omit<NewEvaluation, 'runId' | 'ensembleId'>;
}

/** Inserts the ensemble, its members, its out-of-fold mark and its evaluation in one transaction; returns its id. */
export function insertEnsemble(db: Db, e: NewEnsemble): number {
  return db.transaction(() => {
    const ensembleId = Number(db.prepare('INSERT INTO ensembles (name, vote, created_at) VALUES (?, ?, ?)').run(e.name, e.vote, new Date().toISOString()).lastInsertRowid);
    if (e.outOfFoldK !== null) db.prepare('INSERT INTO out_of_fold (ensemble_id, k) VALUES (?, ?)').run(ensembleId, e.outOfFoldK);
    const add = db.prepare('INSERT INTO ensemble_members (ensemble_id, evaluation_id, weight) VALUES (?, ?, ?)');
    for (const m of e.members) add.run(ensembleId, m.evaluationId, m.weight);
    insertEvaluation(db, { ...e.evaluation, runId: null, ensembleId });
    return ensembleId;
  })();
}

export function ensembleRow(db: ReadableDb, ensembleId: number): { id: number; name: string; vote: 'soft' | 'hard' } | undefined {
  return db.prepare('SELECT id, name, vote FROM ensembles WHERE id = ?').get(ensembleId) as { id: number; name: string; vote: 'soft' | 'hard' } | undefined;
}

/** Every ensemble's id, newest first. */
export function ensembleIds(db: ReadableDb): number[] {
  return (db.prepare('SELECT id FROM ensembles ORDER BY id DESC').all() as { id: number }[]).map((r) => r.id);
}

/** An ensemble's members with their evaluation's scores and their run's (or member ensemble's) name, by evaluation id. */
export function ensembleMembers(db: ReadableDb, ensembleId: number): (EnsembleMember & { seed: number | null })[] {
  return db
    .prepare(
      `SELECT m.evaluation_id AS evaluationId, m.weight, e.run_id AS runId, e.accuracy, e.loss, COALESCE(r.name, en.name) AS name, r.seed
       FROM ensemble_members m JOIN evaluations e ON e.id = m.evaluation_id
       LEFT JOIN runs r ON r.id = e.run_id LEFT JOIN ensembles en ON en.id = e.ensemble_id
       WHERE m.ensemble_id = ? ORDER BY m.evaluation_id`,
    )
    .all(ensembleId) as (EnsembleMember & { seed: number | null })[];
}

/** The setting each member evaluation was made under (flip 1/0 as stored in tta_json). */
export function memberSettings(db: ReadableDb, ensembleId: number): { id: number; checkpoint: string; tta: number; flip: number }[] {
  return db
    .prepare(
      `SELECT e.id, e.checkpoint, e.tta, COALESCE(json_extract(e.tta_json, '$.flip'), 0) AS flip
       FROM ensemble_members m JOIN evaluations e ON e.id = m.evaluation_id WHERE m.ensemble_id = ?`,
    )
    .all(ensembleId) as { id: number; checkpoint: string; tta: number; flip: number }[];
}
