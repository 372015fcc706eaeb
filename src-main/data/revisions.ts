import type { InvokeParsedArgs } from '../../src-shared/contract';
import type { RevisionChange, RevisionDiff, RevisionSummary } from '../../src-shared/contract/revisions';
import { AppError } from '../../src-shared/errors';
import { EMOTIONS, SPLITS } from '../../src-shared/labels';
import type { Workbench } from '../context';
import type { ReadableDb } from '../store/readable-db';
import {
  changeCounts,
  changedSampleIds,
  changeLookups,
  deleteChanges,
  deleteRevisionRow,
  insertChanges,
  insertRevision,
  listRevisionRows,
  revisionByName,
  revisionById,
  revisionChanges,
  runsOnRevision,
  type StoredRevision,
} from '../store/revisions';
import { pickRows, resolveDataset, splitCounts, type SplitData } from './packed-store';

/**
 * Dataset revisions: issue 17's relabel / exclude corrections, what a change may be and when a revision may no
 * longer change; the SQL is in store/revisions.ts. The import's own `samples` rows are never written here; a
 * revision only lists changes, applied when a run's trainer loads a split (applyRevision, called by trainer/data.ts).
 */

/** A revision by id (digits always mean an id) or name. */
export function resolveRevision(db: ReadableDb, ref: string | number): StoredRevision {
  const id = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : null;
  const row = id !== null ? revisionById(db, id) : revisionByName(db, String(ref));
  if (!row) throw new AppError('NOT_FOUND', `No dataset revision ${id !== null ? `with id ${id}` : `named "${ref}"`}. \`fer revision list\` lists them.`);
  return row;
}

function summary(wb: Workbench, row: StoredRevision): RevisionSummary {
  const counts = changeCounts(wb.db, row.id);
  const ds = resolveDataset(wb, row.datasetId);
  return {
    id: row.id,
    datasetId: row.datasetId,
    datasetName: ds.name,
    name: row.name,
    note: row.note,
    createdAt: row.createdAt,
    relabelled: counts.relabelled,
    excluded: counts.excluded,
    usedByRuns: runsOnRevision(wb.db, row.id),
  };
}

function revisionSummary(wb: Workbench, ref: string | number): RevisionSummary {
  return summary(wb, resolveRevision(wb.db, ref));
}

export function listRevisions(wb: Workbench, dataset: string | number | undefined): RevisionSummary[] {
  return listRevisionRows(wb.db, dataset === undefined ? undefined : resolveDataset(wb, dataset).id).map((r) => summary(wb, r));
}

/** A revision that runs trained on must stay what they trained on: changing it would make their record lie. */
function assertUnused(db: ReadableDb, rev: StoredRevision, doing: string): void {
  const runs = runsOnRevision(db, rev.id);
  if (runs.length) {
    throw new AppError('CONFLICT', `Cannot ${doing} revision "${rev.name}": run${runs.length > 1 ? 's' : ''} ${runs.join(', ')} trained on it, and ${runs.length > 1 ? 'their records' : 'its record'} must keep saying what ${runs.length > 1 ? 'they' : 'it'} saw. Create a new revision instead.`);
  }
}

type ChangeInput = InvokeParsedArgs<'revisions.addChanges'>['changes'][number];

/**
 * Every change checked against the revision (its dataset, the changes it already has) before the first is written,
 * so a bad one stores none.
 */
function checkChanges(db: ReadableDb, rev: Pick<StoredRevision, 'id' | 'datasetId' | 'name'>, changes: readonly ChangeInput[]): void {
  const seen = new Set<number>();
  const lookup = changeLookups(db);
  for (const c of changes) {
    if (seen.has(c.sampleId)) throw new AppError('INVALID_INPUT', `Face ${c.sampleId} is given twice; give each face at most one change. Nothing was stored.`);
    seen.add(c.sampleId);
    const face = lookup.face(c.sampleId);
    if (!face) throw new AppError('NOT_FOUND', `No face with sample id ${c.sampleId}. Nothing was stored.`);
    if (face.datasetId !== rev.datasetId) {
      throw new AppError('INVALID_INPUT', `Face ${c.sampleId} belongs to dataset ${face.datasetId}, but revision "${rev.name}" revises dataset ${rev.datasetId}. Nothing was stored.`);
    }
    if (c.kind === 'relabel' && c.newLabel === face.label) {
      throw new AppError('INVALID_INPUT', `Face ${c.sampleId} is already labelled ${EMOTIONS[face.label]} in the import: relabelling it as ${EMOTIONS[c.newLabel]} changes nothing. Nothing was stored.`);
    }
    const had = lookup.existingChange(rev.id, c.sampleId);
    if (had) {
      const what = had.kind === 'exclude' ? 'excluded' : `relabelled as ${EMOTIONS[had.newLabel!]}`;
      throw new AppError('ALREADY_EXISTS', `Face ${c.sampleId} is already ${what} in revision "${rev.name}"; remove that change first to change it. Nothing was stored.`);
    }
    if (c.evaluationId !== null) {
      const evDataset = lookup.evaluationDataset(c.evaluationId);
      if (evDataset === undefined) throw new AppError('NOT_FOUND', `No evaluation with id ${c.evaluationId} (the change to face ${c.sampleId} names it). Nothing was stored.`);
      if (evDataset !== rev.datasetId) throw new AppError('INVALID_INPUT', `Evaluation ${c.evaluationId} is of dataset ${evDataset}, not revision "${rev.name}"'s dataset ${rev.datasetId}. Nothing was stored.`);
    }
  }
}

/** A new revision, with its first changes if given, in one transaction: a bad change leaves no empty revision behind. */
export function createRevision(wb: Workbench, args: InvokeParsedArgs<'revisions.create'>): RevisionSummary {
  const ds = resolveDataset(wb, args.dataset);
  const taken = revisionByName(wb.db, args.name);
  if (taken) throw new AppError('ALREADY_EXISTS', `A dataset revision named "${args.name}" already exists (id ${taken.id}, dataset ${taken.datasetId}). Choose another name.`);
  const from = args.from === undefined ? null : resolveRevision(wb.db, args.from);
  if (from && from.datasetId !== ds.id) {
    throw new AppError('INVALID_INPUT', `Revision "${from.name}" revises dataset ${from.datasetId}, not "${ds.name}" (${ds.id}): a revision can only start from one of its own dataset.`);
  }
  // Checked against the copied changes (from's id), so a face given again is refused as a duplicate.
  checkChanges(wb.db, { id: from?.id ?? 0, datasetId: ds.id, name: args.name }, args.changes);
  const id = insertRevision(wb.db, { datasetId: ds.id, name: args.name, note: args.note, fromRevisionId: from?.id ?? null, changes: args.changes });
  return revisionSummary(wb, id);
}

/** All or nothing. */
export function addChanges(wb: Workbench, args: InvokeParsedArgs<'revisions.addChanges'>): RevisionSummary {
  const rev = resolveRevision(wb.db, args.revision);
  assertUnused(wb.db, rev, 'change');
  checkChanges(wb.db, rev, args.changes);
  insertChanges(wb.db, rev.id, args.changes);
  return summary(wb, rev);
}

export function removeChanges(wb: Workbench, args: InvokeParsedArgs<'revisions.removeChanges'>): RevisionSummary {
  const rev = resolveRevision(wb.db, args.revision);
  assertUnused(wb.db, rev, 'change');
  const have = changedSampleIds(wb.db, rev.id);
  const missing = args.sampleIds.filter((id) => !have.has(id));
  if (missing.length) throw new AppError('NOT_FOUND', `Revision "${rev.name}" has no change to face${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}. Nothing was removed.`);
  deleteChanges(wb.db, rev.id, args.sampleIds);
  return summary(wb, rev);
}

export function deleteRevision(wb: Workbench, ref: string | number): void {
  const rev = resolveRevision(wb.db, ref);
  assertUnused(wb.db, rev, 'delete');
  deleteRevisionRow(wb.db, rev.id);
}

export function revisionDiff(wb: Workbench, ref: string | number): RevisionDiff {
  const rev = resolveRevision(wb.db, ref);
  const rows = revisionChanges(wb.db, rev.id);
  const splits = splitCounts(wb, rev.datasetId).map((s) => ({ split: s.split, before: s.perClass, after: [...s.perClass], totalBefore: s.total, totalAfter: s.total }));
  for (const r of rows) {
    const s = splits[SPLITS.indexOf(r.split)]!;
    s.after[r.oldLabel]! -= 1;
    if (r.newLabel === null) s.totalAfter -= 1;
    else s.after[r.newLabel]! += 1;
  }
  const changes: RevisionChange[] = rows.sort((a, b) => SPLITS.indexOf(a.split) - SPLITS.indexOf(b.split) || a.sampleId - b.sampleId);
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
