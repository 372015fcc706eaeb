import type { Migration } from './types';

/** Microsoft FER+ crowd votes as an annotation layer on a FER2013 dataset (src-main/data/ferplus.ts). */
export const m0030FerPlus: Migration = {
  version: 30,
  name: 'ferplus',
  up(db) {
    db.exec(`
      CREATE TABLE ferplus_layers (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        source_path TEXT NOT NULL,
        rows INTEGER NOT NULL,
        imported_at TEXT NOT NULL
      ) STRICT;

      -- votes: 10 bytes, the counts in FER+ column order (neutral … NF). majority: index of that order (8, unknown,
      -- also when no class has more than half the votes). label7: the majority as a FER2013 label, NULL for
      -- contempt, unknown and NF.
      CREATE TABLE ferplus_votes (
        sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES ferplus_layers(dataset_id) ON DELETE CASCADE,
        votes BLOB NOT NULL CHECK (length(votes) = 10),
        majority INTEGER NOT NULL CHECK (majority BETWEEN 0 AND 9),
        label7 INTEGER CHECK (label7 BETWEEN 0 AND 6)
      ) STRICT;
      CREATE INDEX ferplus_votes_by_dataset ON ferplus_votes(dataset_id, majority);
    `);
  },
};
