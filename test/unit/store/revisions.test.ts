import { afterAll, describe, expect, it } from 'vitest';
import {
  changedSampleIds,
  deleteChanges,
  deleteRevisionRow,
  excludedInSplit,
  insertChanges,
  insertRevision,
  revisionByName,
  revisionChanges,
  revisionLabels,
} from '../../../src-main/store/revisions';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * The revisions repository on its own: what data/revisions.ts checks before writing cannot catch a statement that
 * fails half-way, so these hand the repository rows that SQLite itself refuses and look for anything left behind.
 */
describe('the revisions repository', () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());
  const db = t.wb.db;
  const datasetId = Number(
    db.prepare("INSERT INTO datasets (name, source_path, format, pixels_file, sample_count, created_at) VALUES ('d', 'd.csv', 'csv', 'd.bin', 4, '2026-01-01')").run().lastInsertRowid,
  );
  const addFace = (idx: number, split: string, label: number) =>
    Number(db.prepare("INSERT INTO samples (dataset_id, idx, split, label, source, hash) VALUES (?, ?, ?, ?, 's', 'h')").run(datasetId, idx, split, label).lastInsertRowid);
  // Ids out of import order, so the repository's "import order" is told apart from id order.
  const late = addFace(3, 'Training', 1);
  const early = addFace(0, 'Training', 2);
  const test = addFace(1, 'PublicTest', 3);
  const counts = () => db.prepare('SELECT (SELECT count(*) FROM dataset_revisions) AS revisions, (SELECT count(*) FROM revision_changes) AS changes').get();

  it('stores a revision with a copy of another one’s changes plus its own, read back in import order', () => {
    const first = insertRevision(db, { datasetId, name: 'first', note: '', fromRevisionId: null, changes: [{ kind: 'exclude', sampleId: late, reason: 'blur', evaluationId: null }] });
    const second = insertRevision(db, { datasetId, name: 'second', note: 'n', fromRevisionId: first, changes: [{ kind: 'relabel', sampleId: early, newLabel: 5, reason: '', evaluationId: null }] });
    expect(revisionByName(db, 'second')).toMatchObject({ id: second, datasetId, name: 'second', note: 'n' });
    expect(revisionChanges(db, second).map((c) => [c.sampleId, c.kind, c.oldLabel, c.newLabel, c.reason])).toEqual([
      [early, 'relabel', 2, 5, ''],
      [late, 'exclude', 1, null, 'blur'],
    ]);
    expect(revisionLabels(db, second)).toEqual(new Map([[late, null], [early, 5]]));
    expect(excludedInSplit(db, second, 'Training')).toBe(1);
    expect(excludedInSplit(db, second, 'PublicTest')).toBe(0);
    expect(changedSampleIds(db, first)).toEqual(new Set([late]));
  });

  it('a revision whose change SQLite refuses is not stored at all, nor any of its changes', () => {
    const before = counts();
    // The copied changes and the first new one are written before the missing face fails its foreign key.
    expect(() =>
      insertRevision(db, {
        datasetId,
        name: 'half',
        note: '',
        fromRevisionId: revisionByName(db, 'second')!.id,
        changes: [
          { kind: 'exclude', sampleId: test, reason: '', evaluationId: null },
          { kind: 'exclude', sampleId: 999_999, reason: '', evaluationId: null },
        ],
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(revisionByName(db, 'half')).toBeUndefined();
    expect(counts()).toEqual(before);
  });

  it('adds changes all or nothing, and a deleted revision takes its changes with it', () => {
    const first = revisionByName(db, 'first')!.id;
    // The second change is one the revision already has (its primary key): the first must not stay.
    expect(() =>
      insertChanges(db, first, [
        { kind: 'exclude', sampleId: test, reason: '', evaluationId: null },
        { kind: 'exclude', sampleId: late, reason: '', evaluationId: null },
      ]),
    ).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(changedSampleIds(db, first)).toEqual(new Set([late]));
    deleteChanges(db, first, [late]);
    expect(changedSampleIds(db, first)).toEqual(new Set());
    const second = revisionByName(db, 'second')!.id;
    deleteRevisionRow(db, second);
    expect(revisionByName(db, 'second')).toBeUndefined();
    expect(revisionChanges(db, second)).toEqual([]);
  });
});
