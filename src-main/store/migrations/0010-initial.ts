import type { Migration } from './types';

/** The whole first schema. STRICT tables so a wrong type is an error, not a silent coercion. */
export const m0010Initial: Migration = {
  version: 10,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source_path TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('csv', 'folders')),
        pixels_file TEXT NOT NULL,
        sample_count INTEGER NOT NULL,
        converted INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        split TEXT NOT NULL CHECK (split IN ('Training', 'PublicTest', 'PrivateTest')),
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 6),
        source TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (dataset_id, idx)
      ) STRICT;
      CREATE INDEX samples_by_split_label ON samples(dataset_id, split, label, idx);
      CREATE INDEX samples_by_hash ON samples(dataset_id, hash);

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        config_json TEXT NOT NULL,
        seed INTEGER NOT NULL,
        group_id TEXT,
        backend TEXT,
        backend_reason TEXT,
        code_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopping', 'stopped', 'completed', 'failed')),
        epochs_done INTEGER NOT NULL DEFAULT 0,
        best_epoch INTEGER,
        best_val_loss REAL,
        best_val_acc REAL,
        pid INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      ) STRICT;
      CREATE INDEX runs_by_status ON runs(status, id);
      CREATE INDEX runs_by_dataset ON runs(dataset_id, id);

      CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        step INTEGER NOT NULL,
        split TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (run_id, epoch, step, split, name)
      ) STRICT;

      CREATE TABLE ensembles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        vote TEXT NOT NULL CHECK (vote IN ('soft', 'hard')),
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        ensemble_id INTEGER REFERENCES ensembles(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        split TEXT NOT NULL,
        checkpoint TEXT NOT NULL,
        tta INTEGER NOT NULL DEFAULT 0,
        tta_json TEXT,
        accuracy REAL NOT NULL,
        loss REAL NOT NULL,
        macro_f1 REAL NOT NULL,
        samples INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        CHECK ((run_id IS NULL) <> (ensemble_id IS NULL))
      ) STRICT;
      CREATE INDEX evaluations_by_run ON evaluations(run_id, split);
      CREATE INDEX evaluations_by_ensemble ON evaluations(ensemble_id);

      CREATE TABLE ensemble_members (
        ensemble_id INTEGER NOT NULL REFERENCES ensembles(id) ON DELETE CASCADE,
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        weight REAL NOT NULL DEFAULT 1,
        PRIMARY KEY (ensemble_id, evaluation_id)
      ) STRICT;

      CREATE TABLE class_metrics (
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        label INTEGER NOT NULL,
        precision REAL NOT NULL,
        recall REAL NOT NULL,
        f1 REAL NOT NULL,
        support INTEGER NOT NULL,
        PRIMARY KEY (evaluation_id, label)
      ) STRICT;

      -- One row per evaluation, or per run epoch on its validation split: 7×7 int32 counts as a blob.
      CREATE TABLE confusions (
        id INTEGER PRIMARY KEY,
        evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER,
        split TEXT NOT NULL,
        matrix BLOB NOT NULL,
        CHECK ((evaluation_id IS NULL) <> (run_id IS NULL))
      ) STRICT;
      CREATE UNIQUE INDEX confusions_by_evaluation ON confusions(evaluation_id) WHERE evaluation_id IS NOT NULL;
      CREATE UNIQUE INDEX confusions_by_run_epoch ON confusions(run_id, epoch, split) WHERE run_id IS NOT NULL;

      -- probs: 7 float32 values. confidence is the predicted class's probability, kept as a column so the
      -- confusion-cell query sorts by an index instead of decoding blobs.
      CREATE TABLE predictions (
        evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
        true_label INTEGER NOT NULL,
        pred_label INTEGER NOT NULL,
        confidence REAL NOT NULL,
        probs BLOB NOT NULL,
        PRIMARY KEY (evaluation_id, sample_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX predictions_by_cell ON predictions(evaluation_id, true_label, pred_label, confidence DESC);

      CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        epoch INTEGER,
        path TEXT NOT NULL,
        meta_json TEXT,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX artifacts_by_run ON artifacts(run_id, kind, epoch);

      CREATE TABLE weights (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        architecture TEXT NOT NULL,
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        meta_json TEXT,
        created_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
