import type { Migration } from './types';

/**
 * External models (issue 16): a classifier trained elsewhere, stored once as tfjs layers with the preprocessing
 * declared at import. A run row (model 'external', status 'completed') points at it, so everything keyed by
 * run id — evaluations, cell review, compare, ensembles, exports — takes it as it takes a trained run.
 */
export const m0050ExternalModels: Migration = {
  version: 50,
  name: 'external-models',
  up(db) {
    db.exec(`
      CREATE TABLE external_models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL CHECK (format IN ('keras-h5', 'keras3', 'tfjs-layers', 'tfjs-graph')),
        source_file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        path TEXT NOT NULL,
        preprocess_json TEXT NOT NULL,
        params INTEGER NOT NULL,
        outputs INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      ALTER TABLE runs ADD COLUMN external_model_id INTEGER REFERENCES external_models(id);
      CREATE INDEX runs_by_external_model ON runs(external_model_id) WHERE external_model_id IS NOT NULL;
    `);
  },
};
