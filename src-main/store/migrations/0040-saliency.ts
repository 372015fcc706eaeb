import type { Migration } from './types';

/**
 * Saliency maps cached per evaluation, face and target class (src-main/evaluation/saliency.ts). An evaluation
 * fixes the checkpoint, so a map never goes stale; each map is 48×48 bytes.
 */
export const m0040Saliency: Migration = {
  version: 40,
  name: 'saliency',
  up(db) {
    db.exec(`
      CREATE TABLE saliency_maps (
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        target_label INTEGER NOT NULL CHECK (target_label BETWEEN 0 AND 6),
        layer TEXT NOT NULL,
        gradcam BLOB NOT NULL CHECK (length(gradcam) = 2304),
        hirescam BLOB NOT NULL CHECK (length(hirescam) = 2304),
        gradient BLOB NOT NULL CHECK (length(gradient) = 2304),
        PRIMARY KEY (evaluation_id, sample_id, target_label)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
