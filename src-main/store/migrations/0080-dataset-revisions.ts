import type { Migration } from './types';

/**
 * Dataset revisions (issue 17): a researcher's corrections to an imported dataset, kept beside it so the import is
 * never overwritten. A revision belongs to one dataset; each change either relabels one face (new_label) or
 * excludes it (new_label NULL), at most one change per face and revision. A run trains on a revision through its
 * config (`revision`), and src-main/data/revisions.ts applies the changes when the trainer loads a split.
 * reason: free text (the CLI and UI write where a change came from, e.g. "label issue, evaluation 12");
 * evaluation_id: the evaluation that suggested it, if any (kept as NULL when that evaluation is deleted).
 */
export const m0080DatasetRevisions: Migration = {
  version: 80,
  name: 'dataset-revisions',
  up(db) {
    db.exec(`
      CREATE TABLE dataset_revisions (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL UNIQUE,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX dataset_revisions_by_dataset ON dataset_revisions(dataset_id, id);

      CREATE TABLE revision_changes (
        revision_id INTEGER NOT NULL REFERENCES dataset_revisions(id) ON DELETE CASCADE,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('relabel', 'exclude')),
        new_label INTEGER CHECK (new_label BETWEEN 0 AND 6),
        reason TEXT NOT NULL DEFAULT '',
        evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (revision_id, sample_id),
        CHECK ((kind = 'relabel') = (new_label IS NOT NULL))
      ) STRICT;
    `);
  },
};
