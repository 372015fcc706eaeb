import type { Migration } from './types';

/**
 * Studies evaluate their members as they finish (issue 19): the study keeps the evaluation setting to use
 * (evaluate_json: split, TTA views, mirror, checkpoint; NULL for none) and the reference numbers it is compared
 * with (reference: 'paper-table-2' or NULL) and the planned members it left out as unable to run here, with why
 * (left_out_json, a JSON array), and the ensemble of its best members it plans (ensemble_vote) and made (ensemble_id); a member whose automatic evaluation failed keeps why (eval_error).
 */
export const m0070StudyEvaluation: Migration = {
  version: 70,
  name: 'study-evaluation',
  up(db) {
    db.exec(`
      ALTER TABLE studies ADD COLUMN evaluate_json TEXT;
      ALTER TABLE studies ADD COLUMN reference TEXT CHECK (reference IS NULL OR reference IN ('paper-table-2'));
      ALTER TABLE studies ADD COLUMN left_out_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE studies ADD COLUMN ensemble_vote TEXT CHECK (ensemble_vote IS NULL OR ensemble_vote IN ('soft', 'hard'));
      ALTER TABLE studies ADD COLUMN ensemble_id INTEGER REFERENCES ensembles(id) ON DELETE SET NULL;
      ALTER TABLE study_runs ADD COLUMN eval_error TEXT;
    `);
  },
};
