import type { Migration } from './types';

/**
 * Out-of-fold evaluations (issue 17): the K held-out evaluations of a k-fold cross-validation combined into one
 * evaluation of the whole training split, every face predicted by the one fold run that did not train on it. It is
 * stored as an ensemble of those K evaluations (the schema's way to own an evaluation of several runs) marked here
 * with its k: each face comes from one member, not a vote, and confident learning reads it as out-of-sample.
 */
export const m0090OutOfFold: Migration = {
  version: 90,
  name: 'out-of-fold',
  up(db) {
    db.exec(`
      CREATE TABLE out_of_fold (
        ensemble_id INTEGER PRIMARY KEY REFERENCES ensembles(id) ON DELETE CASCADE,
        k INTEGER NOT NULL CHECK (k BETWEEN 2 AND 10)
      ) STRICT;
    `);
  },
};
