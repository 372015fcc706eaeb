import type { Migration } from './types';

/**
 * Studies (issue 19): a named base config × axes × seeds, whose members are ordinary runs. A member keeps the
 * axis values it was made with (cell_json), so a table can group by them even after a config default changes.
 */
export const m0060Studies: Migration = {
  version: 60,
  name: 'studies',
  up(db) {
    db.exec(`
      CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        base_config_json TEXT NOT NULL,
        axes_json TEXT NOT NULL,
        seeds_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE study_runs (
        study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
        cell_json TEXT NOT NULL,
        PRIMARY KEY (study_id, run_id)
      ) STRICT;
    `);
  },
};
