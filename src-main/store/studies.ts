import type { StudyAxis, StudyEvaluate, StudyReference, StudySummary } from '../../src-shared/contract/studies';
import type { RunStatus, TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The studies repository (moved here from studies/store.ts, #18): the study rows and the links from a study to its
 * member runs. studies/summary.ts puts a study together with its members' evaluations (getStudy).
 */

interface StudyRow {
  id: number;
  name: string;
  base_config_json: string;
  axes_json: string;
  seeds_json: string;
  status: 'active' | 'paused';
  created_at: string;
  evaluate_json: string | null;
  reference: StudyReference | null;
  left_out_json: string;
  ensemble_vote: 'soft' | 'hard' | null;
  ensemble_id: number | null;
}

export interface NewStudy {
  name: string;
  base: TrainConfig;
  axes: readonly StudyAxis[];
  seeds: readonly number[];
  status: 'active' | 'paused';
  evaluate: StudyEvaluate | null;
  reference: StudyReference | null;
  leftOut: StudySummary['leftOut'];
  ensembleVote: 'soft' | 'hard' | null;
}

export function insertStudy(db: Db, s: NewStudy): number {
  if (db.prepare('SELECT 1 FROM studies WHERE name = ?').get(s.name)) throw new AppError('ALREADY_EXISTS', `A study named "${s.name}" already exists.`);
  return Number(
    db
      .prepare('INSERT INTO studies (name, base_config_json, axes_json, seeds_json, status, created_at, evaluate_json, reference, left_out_json, ensemble_vote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(s.name, JSON.stringify(s.base), JSON.stringify(s.axes), JSON.stringify(s.seeds), s.status, new Date().toISOString(), s.evaluate ? JSON.stringify(s.evaluate) : null, s.reference, JSON.stringify(s.leftOut), s.ensembleVote)
      .lastInsertRowid,
  );
}

/** The study a run belongs to and its evaluation setting, when it is a member of a study that evaluates its members. */
export function evaluatingStudyOf(db: Db, runId: number): { studyId: number; evaluate: StudyEvaluate } | null {
  const row = db.prepare('SELECT s.id, s.evaluate_json FROM study_runs m JOIN studies s ON s.id = m.study_id WHERE m.run_id = ? AND s.evaluate_json IS NOT NULL').get(runId) as
    | { id: number; evaluate_json: string }
    | undefined;
  return row ? { studyId: row.id, evaluate: JSON.parse(row.evaluate_json) as StudyEvaluate } : null;
}

/** Completed members of studies that evaluate their members (the catch-up after a restart looks at each). */
export function completedEvaluatingMembers(db: Db): number[] {
  return (
    db.prepare(`SELECT m.run_id FROM study_runs m JOIN studies s ON s.id = m.study_id JOIN runs r ON r.id = m.run_id WHERE s.evaluate_json IS NOT NULL AND r.status = 'completed' ORDER BY m.run_id`).all() as {
      run_id: number;
    }[]
  ).map((r) => r.run_id);
}

/** Why a member's automatic evaluation failed (null once one succeeds). */
export function setMemberEvalError(db: Db, runId: number, error: string | null): void {
  db.prepare('UPDATE study_runs SET eval_error = ? WHERE run_id = ?').run(error, runId);
}

export function linkMember(db: Db, studyId: number, runId: number, cell: Record<string, unknown>): void {
  db.prepare('INSERT INTO study_runs (study_id, run_id, cell_json) VALUES (?, ?, ?)').run(studyId, runId, JSON.stringify(cell));
}

/** A study's axes and seeds after an extension, and every member it has left out so far. */
export function updateStudyPlan(db: Db, studyId: number, plan: { axes: readonly StudyAxis[]; seeds: readonly number[]; leftOut: StudySummary['leftOut'] }): void {
  db.prepare('UPDATE studies SET axes_json = ?, seeds_json = ?, left_out_json = ? WHERE id = ?').run(JSON.stringify(plan.axes), JSON.stringify(plan.seeds), JSON.stringify(plan.leftOut), studyId);
}

export function setStudyEnsemble(db: Db, studyId: number, ensembleId: number): void {
  db.prepare('UPDATE studies SET ensemble_id = ? WHERE id = ?').run(ensembleId, studyId);
}

/** The study a run belongs to, if any. */
export function studyOfRun(db: Db, runId: number): number | null {
  return (db.prepare('SELECT study_id FROM study_runs WHERE run_id = ?').get(runId) as { study_id: number } | undefined)?.study_id ?? null;
}

export function setStudyStatus(db: Db, studyId: number, status: 'active' | 'paused'): void {
  db.prepare('UPDATE studies SET status = ? WHERE id = ?').run(status, studyId);
}

/** True when the run is a member of a paused study: the training queue then leaves it stopped instead of starting it. */
export function inPausedStudy(db: Db, runId: number): boolean {
  return Boolean(db.prepare(`SELECT 1 FROM study_runs m JOIN studies s ON s.id = m.study_id WHERE m.run_id = ? AND s.status = 'paused'`).get(runId));
}

/** A study's own row, parsed: everything of its summary but its members and their counts. */
export function studyRecord(db: ReadableDb, studyId: number): Omit<StudySummary, 'members' | 'counts'> {
  const row = db.prepare('SELECT * FROM studies WHERE id = ?').get(studyId) as StudyRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist.`);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    base: JSON.parse(row.base_config_json) as TrainConfig,
    axes: JSON.parse(row.axes_json) as StudyAxis[],
    seeds: JSON.parse(row.seeds_json) as number[],
    createdAt: row.created_at,
    evaluate: row.evaluate_json ? (JSON.parse(row.evaluate_json) as StudyEvaluate) : null,
    reference: row.reference,
    leftOut: JSON.parse(row.left_out_json) as StudySummary['leftOut'],
    ensembleVote: row.ensemble_vote,
    ensembleId: row.ensemble_id,
  };
}

/** A study's member runs, oldest first: their run columns and what the study stored for each. */
export function studyMemberRuns(
  db: ReadableDb,
  studyId: number,
): { runId: number; name: string; cell: Record<string, unknown>; seed: number; status: RunStatus; error: string | null; evalError: string | null; startedAt: string | null; finishedAt: string | null }[] {
  return (
    db
      .prepare(`SELECT r.id, r.name, r.seed, r.status, r.error, r.started_at, r.finished_at, m.cell_json, m.eval_error FROM study_runs m JOIN runs r ON r.id = m.run_id WHERE m.study_id = ? ORDER BY r.id`)
      .all(studyId) as { id: number; name: string; seed: number; status: RunStatus; error: string | null; cell_json: string; eval_error: string | null; started_at: string | null; finished_at: string | null }[]
  ).map((m) => ({
    runId: m.id,
    name: m.name,
    cell: JSON.parse(m.cell_json) as Record<string, unknown>,
    seed: m.seed,
    status: m.status,
    error: m.error,
    evalError: m.eval_error,
    startedAt: m.started_at,
    finishedAt: m.finished_at,
  }));
}

export function studyIds(db: Db): number[] {
  return (db.prepare('SELECT id FROM studies ORDER BY id DESC').all() as { id: number }[]).map((r) => r.id);
}
