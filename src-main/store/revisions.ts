import type { InvokeParsedArgs } from '../../src-shared/contract';
import type { RevisionChange } from '../../src-shared/contract/revisions';
import type { Split } from '../../src-shared/labels';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * The dataset revisions repository (#18): `dataset_revisions` and their `revision_changes` (issue 17's relabel /
 * exclude corrections, migration 0080). The import's own `samples` rows are never written here. What a change may
 * be, and what a revision in use may no longer do, is decided in data/revisions.ts.
 */

/** A revision's own row. */
export interface StoredRevision {
  id: number;
  datasetId: number;
  name: string;
  note: string;
  createdAt: string;
}

interface RevisionRow {
  id: number;
  dataset_id: number;
  name: string;
  note: string;
  created_at: string;
}

const toRevision = (r: RevisionRow): StoredRevision => ({ id: r.id, datasetId: r.dataset_id, name: r.name, note: r.note, createdAt: r.created_at });

const nowIso = () => new Date().toISOString();

export function revisionById(db: ReadableDb, id: number): StoredRevision | undefined {
  const row = db.prepare('SELECT * FROM dataset_revisions WHERE id = ?').get(id) as RevisionRow | undefined;
  return row && toRevision(row);
}

export function revisionByName(db: ReadableDb, name: string): StoredRevision | undefined {
  const row = db.prepare('SELECT * FROM dataset_revisions WHERE name = ?').get(name) as RevisionRow | undefined;
  return row && toRevision(row);
}

/** Every revision, or one dataset's, oldest first. */
export function listRevisionRows(db: ReadableDb, datasetId: number | undefined): StoredRevision[] {
  const rows = (
    datasetId === undefined ? db.prepare('SELECT * FROM dataset_revisions ORDER BY id').all() : db.prepare('SELECT * FROM dataset_revisions WHERE dataset_id = ? ORDER BY id').all(datasetId)
  ) as RevisionRow[];
  return rows.map(toRevision);
}

/** Runs whose config trains on the revision. */
export function runsOnRevision(db: ReadableDb, revisionId: number): number[] {
  return (db.prepare("SELECT id FROM runs WHERE json_extract(config_json, '$.revision') = ? ORDER BY id").all(revisionId) as { id: number }[]).map((r) => r.id);
}

/** How many faces the revision relabels and excludes. */
export function changeCounts(db: ReadableDb, revisionId: number): { relabelled: number; excluded: number } {
  const counts = db
    .prepare("SELECT sum(kind = 'relabel') AS relabelled, sum(kind = 'exclude') AS excluded FROM revision_changes WHERE revision_id = ?")
    .get(revisionId) as { relabelled: number | null; excluded: number | null };
  return { relabelled: counts.relabelled ?? 0, excluded: counts.excluded ?? 0 };
}

/**
 * The three look-ups a batch of changes is checked with, each statement prepared once for the whole batch: the
 * face (its dataset and imported label), the change the revision already has for it, an evaluation's dataset.
 */
export function changeLookups(db: ReadableDb): {
  face(sampleId: number): { datasetId: number; label: number } | undefined;
  existingChange(revisionId: number, sampleId: number): { kind: string; newLabel: number | null } | undefined;
  evaluationDataset(evaluationId: number): number | undefined;
} {
  const faceStmt = db.prepare('SELECT dataset_id, label FROM samples WHERE id = ?');
  const existingStmt = db.prepare('SELECT kind, new_label FROM revision_changes WHERE revision_id = ? AND sample_id = ?');
  const evalStmt = db.prepare('SELECT dataset_id FROM evaluations WHERE id = ?');
  return {
    face(sampleId) {
      const r = faceStmt.get(sampleId) as { dataset_id: number; label: number } | undefined;
      return r && { datasetId: r.dataset_id, label: r.label };
    },
    existingChange(revisionId, sampleId) {
      const r = existingStmt.get(revisionId, sampleId) as { kind: string; new_label: number | null } | undefined;
      return r && { kind: r.kind, newLabel: r.new_label };
    },
    evaluationDataset(evaluationId) {
      return (evalStmt.get(evaluationId) as { dataset_id: number } | undefined)?.dataset_id;
    },
  };
}

type NewChange = InvokeParsedArgs<'revisions.addChanges'>['changes'][number];

/** Inside the caller's transaction. */
function insertChangeRows(db: Db, revisionId: number, changes: readonly NewChange[]): void {
  const insert = db.prepare('INSERT INTO revision_changes (revision_id, sample_id, kind, new_label, reason, evaluation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const at = nowIso();
  for (const c of changes) insert.run(revisionId, c.sampleId, c.kind, c.kind === 'relabel' ? c.newLabel : null, c.reason, c.evaluationId, at);
}

/**
 * A new revision with a copy of `fromRevisionId`'s changes (when given) and then `changes`, in one transaction:
 * a failing insert leaves no revision behind. Returns its id.
 */
export function insertRevision(db: Db, r: { datasetId: number; name: string; note: string; fromRevisionId: number | null; changes: readonly NewChange[] }): number {
  return db.transaction(() => {
    const revId = Number(db.prepare('INSERT INTO dataset_revisions (dataset_id, name, note, created_at) VALUES (?, ?, ?, ?)').run(r.datasetId, r.name, r.note, nowIso()).lastInsertRowid);
    if (r.fromRevisionId !== null) {
      db.prepare(
        'INSERT INTO revision_changes (revision_id, sample_id, kind, new_label, reason, evaluation_id, created_at) SELECT ?, sample_id, kind, new_label, reason, evaluation_id, created_at FROM revision_changes WHERE revision_id = ?',
      ).run(revId, r.fromRevisionId);
    }
    insertChangeRows(db, revId, r.changes);
    return revId;
  })();
}

/** All or nothing. */
export function insertChanges(db: Db, revisionId: number, changes: readonly NewChange[]): void {
  db.transaction(() => insertChangeRows(db, revisionId, changes))();
}

/** The faces the revision has a change for. */
export function changedSampleIds(db: ReadableDb, revisionId: number): Set<number> {
  return new Set((db.prepare('SELECT sample_id FROM revision_changes WHERE revision_id = ?').all(revisionId) as { sample_id: number }[]).map((r) => r.sample_id));
}

/** All or nothing. */
export function deleteChanges(db: Db, revisionId: number, sampleIds: readonly number[]): void {
  const del = db.prepare('DELETE FROM revision_changes WHERE revision_id = ? AND sample_id = ?');
  db.transaction(() => {
    for (const id of sampleIds) del.run(revisionId, id);
  })();
}

/** The revision row; its changes go with it (ON DELETE CASCADE). */
export function deleteRevisionRow(db: Db, revisionId: number): void {
  db.transaction(() => db.prepare('DELETE FROM dataset_revisions WHERE id = ?').run(revisionId))();
}

/** The revision's changes with each face's split and imported label, in the faces' import order. */
export function revisionChanges(db: ReadableDb, revisionId: number): RevisionChange[] {
  const rows = db
    .prepare(
      `SELECT c.sample_id, s.split, c.kind, s.label AS old_label, c.new_label, c.reason, c.evaluation_id, c.created_at
       FROM revision_changes c JOIN samples s ON s.id = c.sample_id WHERE c.revision_id = ? ORDER BY s.idx`,
    )
    .all(revisionId) as {
    sample_id: number;
    split: Split;
    kind: 'relabel' | 'exclude';
    old_label: number;
    new_label: number | null;
    reason: string;
    evaluation_id: number | null;
    created_at: string;
  }[];
  return rows.map((r) => ({ sampleId: r.sample_id, split: r.split, kind: r.kind, oldLabel: r.old_label, newLabel: r.new_label, reason: r.reason, evaluationId: r.evaluation_id, createdAt: r.created_at }));
}

/** sample id → its label in the revision, or null where the revision excludes it. */
export function revisionLabels(db: ReadableDb, revisionId: number): Map<number, number | null> {
  const rows = db.prepare('SELECT sample_id, new_label FROM revision_changes WHERE revision_id = ?').all(revisionId) as { sample_id: number; new_label: number | null }[];
  return new Map(rows.map((r) => [r.sample_id, r.new_label]));
}

/** Faces of one split the revision excludes (what a run on it has fewer of). */
export function excludedInSplit(db: ReadableDb, revisionId: number, split: Split): number {
  return (
    db.prepare("SELECT count(*) AS n FROM revision_changes c JOIN samples s ON s.id = c.sample_id WHERE c.revision_id = ? AND c.kind = 'exclude' AND s.split = ?").get(revisionId, split) as { n: number }
  ).n;
}
