import type { InvokeParsedArgs } from '../../src-shared/contract';
import type { RevisionChange, RevisionDiff, RevisionSummary } from '../../src-shared/contract/revisions';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, SPLITS, type Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import type { Db } from '../store/db';
import type { ReadableDb } from '../store/readable-db';
import { pickRows, resolveDataset, splitCounts, type SplitData } from './packed-store';

/**
 * Dataset revisions: the SQL for issue 17's relabel / exclude corrections (migration 0080). The import's own
 * `samples` rows are never written here; a revision only lists changes, applied when a run's trainer loads a split
 * (applyRevision, called by trainer/data.ts).
 */

interface RevisionRow {
  id: number;
  dataset_id: number;
  name: string;
  note: string;
  created_at: string;
}

const nowIso = () => new Date().toISOString();

/** A revision by id (digits always mean an id) or name. */
export function resolveRevision(db: ReadableDb, ref: string | number): RevisionRow {
  const id = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : null;
  const row = (id !== null ? db.prepare('SELECT * FROM dataset_revisions WHERE id = ?').get(id) : db.prepare('SELECT * FROM dataset_revisions WHERE name = ?').get(ref)) as RevisionRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `No dataset revision ${id !== null ? `with id ${id}` : `named "${ref}"`}. \`fer revision list\` lists them.`);
  return row;
}

/** Runs whose config trains on the revision. */
function usedByRuns(db: Db, revisionId: number): number[] {
  return (db.prepare("SELECT id FROM runs WHERE json_extract(config_json, '$.revision') = ? ORDER BY id").all(revisionId) as { id: number }[]).map((r) => r.id);
}

function summary(wb: Workbench, row: RevisionRow): RevisionSummary {
  const counts = wb.db
    .prepare("SELECT sum(kind = 'relabel') AS relabelled, sum(kind = 'exclude') AS excluded FROM revision_changes WHERE revision_id = ?")
    .get(row.id) as { relabelled: number | null; excluded: number | null };
  const ds = resolveDataset(wb, row.dataset_id);
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetName: ds.name,
    name: row.name,
    note: row.note,
    createdAt: row.created_at,
    relabelled: counts.relabelled ?? 0,
    excluded: counts.excluded ?? 0,
    usedByRuns: usedByRuns(wb.db, row.id),
  };
}

function revisionSummary(wb: Workbench, ref: string | number): RevisionSummary {
  return summary(wb, resolveRevision(wb.db, ref));
}

export function listRevisions(wb: Workbench, dataset: string | number | undefined): RevisionSummary[] {
  const rows = (
    dataset === undefined
      ? wb.db.prepare('SELECT * FROM dataset_revisions ORDER BY id').all()
      : wb.db.prepare('SELECT * FROM dataset_revisions WHERE dataset_id = ? ORDER BY id').all(resolveDataset(wb, dataset).id)
  ) as RevisionRow[];
  return rows.map((r) => summary(wb, r));
}

/** A revision that runs trained on must stay what they trained on: changing it would make their record lie. */
function assertUnused(db: Db, rev: RevisionRow, doing: string): void {
  const runs = usedByRuns(db, rev.id);
  if (runs.length) {
    throw new AppError('CONFLICT', `Cannot ${doing} revision "${rev.name}": run${runs.length > 1 ? 's' : ''} ${runs.join(', ')} trained on it, and ${runs.length > 1 ? 'their records' : 'its record'} must keep saying what ${runs.length > 1 ? 'they' : 'it'} saw. Create a new revision instead.`);
  }
}

type ChangeInput = InvokeParsedArgs<'revisions.addChanges'>['changes'][number];

/**
 * Every change checked against the revision (its dataset, the changes it already has) before the first is written,
 * so a bad one stores none.
 */
function checkChanges(db: Db, rev: Pick<RevisionRow, 'id' | 'dataset_id' | 'name'>, changes: readonly ChangeInput[]): void {
  const seen = new Set<number>();
  const faceStmt = db.prepare('SELECT dataset_id, label FROM samples WHERE id = ?');
  const existingStmt = db.prepare('SELECT kind, new_label FROM revision_changes WHERE revision_id = ? AND sample_id = ?');
  const evalStmt = db.prepare('SELECT dataset_id FROM evaluations WHERE id = ?');
  for (const c of changes) {
    if (seen.has(c.sampleId)) throw new AppError('INVALID_INPUT', `Face ${c.sampleId} is given twice; give each face at most one change. Nothing was stored.`);
    seen.add(c.sampleId);
    const face = faceStmt.get(c.sampleId) as { dataset_id: number; label: number } | undefined;
    if (!face) throw new AppError('NOT_FOUND', `No face with sample id ${c.sampleId}. Nothing was stored.`);
    if (face.dataset_id !== rev.dataset_id) {
      throw new AppError('INVALID_INPUT', `Face ${c.sampleId} belongs to dataset ${face.dataset_id}, but revision "${rev.name}" revises dataset ${rev.dataset_id}. Nothing was stored.`);
    }
    if (c.kind === 'relabel' && c.newLabel === face.label) {
      throw new AppError('INVALID_INPUT', `Face ${c.sampleId} is already labelled ${EMOTIONS[face.label]} in the import: relabelling it as ${EMOTIONS[c.newLabel]} changes nothing. Nothing was stored.`);
    }
    const had = existingStmt.get(rev.id, c.sampleId) as { kind: string; new_label: number | null } | undefined;
    if (had) {
      const what = had.kind === 'exclude' ? 'excluded' : `relabelled as ${EMOTIONS[had.new_label!]}`;
      throw new AppError('ALREADY_EXISTS', `Face ${c.sampleId} is already ${what} in revision "${rev.name}"; remove that change first to change it. Nothing was stored.`);
    }
    if (c.evaluationId !== null) {
      const ev = evalStmt.get(c.evaluationId) as { dataset_id: number } | undefined;
      if (!ev) throw new AppError('NOT_FOUND', `No evaluation with id ${c.evaluationId} (the change to face ${c.sampleId} names it). Nothing was stored.`);
      if (ev.dataset_id !== rev.dataset_id) throw new AppError('INVALID_INPUT', `Evaluation ${c.evaluationId} is of dataset ${ev.dataset_id}, not revision "${rev.name}"'s dataset ${rev.dataset_id}. Nothing was stored.`);
    }
  }
}

/** Inside the caller's transaction. */
function insertChanges(db: Db, revisionId: number, changes: readonly ChangeInput[]): void {
  const insert = db.prepare('INSERT INTO revision_changes (revision_id, sample_id, kind, new_label, reason, evaluation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const at = nowIso();
  for (const c of changes) insert.run(revisionId, c.sampleId, c.kind, c.kind === 'relabel' ? c.newLabel : null, c.reason, c.evaluationId, at);
}

/** A new revision, with its first changes if given, in one transaction: a bad change leaves no empty revision behind. */
export function createRevision(wb: Workbench, args: InvokeParsedArgs<'revisions.create'>): RevisionSummary {
  const ds = resolveDataset(wb, args.dataset);
  const taken = wb.db.prepare('SELECT id, dataset_id FROM dataset_revisions WHERE name = ?').get(args.name) as { id: number; dataset_id: number } | undefined;
  if (taken) throw new AppError('ALREADY_EXISTS', `A dataset revision named "${args.name}" already exists (id ${taken.id}, dataset ${taken.dataset_id}). Choose another name.`);
  const from = args.from === undefined ? null : resolveRevision(wb.db, args.from);
  if (from && from.dataset_id !== ds.id) {
    throw new AppError('INVALID_INPUT', `Revision "${from.name}" revises dataset ${from.dataset_id}, not "${ds.name}" (${ds.id}): a revision can only start from one of its own dataset.`);
  }
  // Checked against the copied changes (from's id), so a face given again is refused as a duplicate.
  checkChanges(wb.db, { id: from?.id ?? 0, dataset_id: ds.id, name: args.name }, args.changes);
  const id = wb.db.transaction(() => {
    const revId = Number(wb.db.prepare('INSERT INTO dataset_revisions (dataset_id, name, note, created_at) VALUES (?, ?, ?, ?)').run(ds.id, args.name, args.note, nowIso()).lastInsertRowid);
    if (from) {
      wb.db
        .prepare('INSERT INTO revision_changes (revision_id, sample_id, kind, new_label, reason, evaluation_id, created_at) SELECT ?, sample_id, kind, new_label, reason, evaluation_id, created_at FROM revision_changes WHERE revision_id = ?')
        .run(revId, from.id);
    }
    insertChanges(wb.db, revId, args.changes);
    return revId;
  })();
  return revisionSummary(wb, id);
}

/** All or nothing. */
export function addChanges(wb: Workbench, args: InvokeParsedArgs<'revisions.addChanges'>): RevisionSummary {
  const rev = resolveRevision(wb.db, args.revision);
  assertUnused(wb.db, rev, 'change');
  checkChanges(wb.db, rev, args.changes);
  wb.db.transaction(() => insertChanges(wb.db, rev.id, args.changes))();
  return summary(wb, rev);
}

export function removeChanges(wb: Workbench, args: InvokeParsedArgs<'revisions.removeChanges'>): RevisionSummary {
  const rev = resolveRevision(wb.db, args.revision);
  assertUnused(wb.db, rev, 'change');
  const have = new Set((wb.db.prepare('SELECT sample_id FROM revision_changes WHERE revision_id = ?').all(rev.id) as { sample_id: number }[]).map((r) => r.sample_id));
  const missing = args.sampleIds.filter((id) => !have.has(id));
  if (missing.length) throw new AppError('NOT_FOUND', `Revision "${rev.name}" has no change to face${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}. Nothing was removed.`);
  const del = wb.db.prepare('DELETE FROM revision_changes WHERE revision_id = ? AND sample_id = ?');
  wb.db.transaction(() => {
    for (const id of args.sampleIds) del.run(rev.id, id);
  })();
  return summary(wb, rev);
}

export function deleteRevision(wb: Workbench, ref: string | number): void {
  const rev = resolveRevision(wb.db, ref);
  assertUnused(wb.db, rev, 'delete');
  wb.db.transaction(() => wb.db.prepare('DELETE FROM dataset_revisions WHERE id = ?').run(rev.id))();
}

interface ChangeRow {
  sample_id: number;
  split: Split;
  kind: 'relabel' | 'exclude';
  old_label: number;
  new_label: number | null;
  reason: string;
  evaluation_id: number | null;
  created_at: string;
}

function changeRows(db: Db, revisionId: number): ChangeRow[] {
  return db
    .prepare(
      `SELECT c.sample_id, s.split, c.kind, s.label AS old_label, c.new_label, c.reason, c.evaluation_id, c.created_at
       FROM revision_changes c JOIN samples s ON s.id = c.sample_id WHERE c.revision_id = ? ORDER BY s.idx`,
    )
    .all(revisionId) as ChangeRow[];
}

/** sample id → its label in the revision, or null where the revision excludes it. */
export function revisionLabels(db: ReadableDb, revisionId: number): Map<number, number | null> {
  const rows = db.prepare('SELECT sample_id, new_label FROM revision_changes WHERE revision_id = ?').all(revisionId) as { sample_id: number; new_label: number | null }[];
  return new Map(rows.map((r) => [r.sample_id, r.new_label]));
}

/** Faces of one split the revision excludes (what a run on it has fewer of). */
export function excludedInSplit(db: Db, revisionId: number, split: Split): number {
  return (
    db.prepare("SELECT count(*) AS n FROM revision_changes c JOIN samples s ON s.id = c.sample_id WHERE c.revision_id = ? AND c.kind = 'exclude' AND s.split = ?").get(revisionId, split) as { n: number }
  ).n;
}

export function revisionDiff(wb: Workbench, ref: string | number): RevisionDiff {
  const rev = resolveRevision(wb.db, ref);
  const rows = changeRows(wb.db, rev.id);
  const splits = splitCounts(wb, rev.dataset_id).map((s) => ({ split: s.split, before: s.perClass, after: [...s.perClass], totalBefore: s.total, totalAfter: s.total }));
  for (const r of rows) {
    const s = splits[SPLITS.indexOf(r.split)]!;
    s.after[r.old_label]! -= 1;
    if (r.new_label === null) s.totalAfter -= 1;
    else s.after[r.new_label]! += 1;
  }
  const changes: RevisionChange[] = rows
    .map((r) => ({ sampleId: r.sample_id, split: r.split, kind: r.kind, oldLabel: r.old_label, newLabel: r.new_label, reason: r.reason, evaluationId: r.evaluation_id, createdAt: r.created_at }))
    .sort((a, b) => SPLITS.indexOf(a.split) - SPLITS.indexOf(b.split) || a.sampleId - b.sampleId);
  return { revision: summary(wb, rev), splits, changes };
}

/**
 * One split as a run on the revision trains on it: excluded faces dropped, relabelled faces carrying their new
 * label, the rest (and their order) as imported. Returns the split itself when the revision touches none of it.
 */
export function applyRevision(data: SplitData, labels: ReadonlyMap<number, number | null>): SplitData {
  if (!labels.size) return data;
  const keep: number[] = [];
  for (let i = 0; i < data.n; i++) if (labels.get(data.ids[i]!) !== null) keep.push(i);
  return pickRows(data, keep, (row) => labels.get(data.ids[row]!) ?? data.labels[row]!);
}
