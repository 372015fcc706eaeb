import type { Migration } from './types';

/**
 * Which test faces have a copy in the Training split, for de-duplicated scores. Filled lazily per dataset
 * (src-main/data/train-copies.ts): a `train_copy_index` row says the dataset's faces were hashed, and then
 * every non-Training sample has a `train_copies` row.
 */
export const m0020TrainCopies: Migration = {
  version: 20,
  name: 'train-copies',
  up(db) {
    db.exec(`
      -- phashes: 8 bytes per sample (big-endian hi word, lo word) in idx order; algorithm names the hash.
      CREATE TABLE train_copy_index (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        algorithm TEXT NOT NULL,
        phashes BLOB NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      -- exact_copies: Training samples with the same content hash. nearest_distance: Hamming distance of the
      -- pHash to the closest Training face (0–64; 65 when Training is empty), so any threshold can be applied later.
      CREATE TABLE train_copies (
        sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES train_copy_index(dataset_id) ON DELETE CASCADE,
        exact_copies INTEGER NOT NULL CHECK (exact_copies >= 0),
        nearest_distance INTEGER NOT NULL CHECK (nearest_distance BETWEEN 0 AND 65),
        nearest_sample_id INTEGER REFERENCES samples(id) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX train_copies_by_dataset ON train_copies(dataset_id, nearest_distance);
    `);
  },
};
