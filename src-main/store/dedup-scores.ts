import type { DedupScore, DedupScores } from '../../src-shared/contract/evaluation';
import { NEAR_COPY_MAX_DISTANCE, type DedupLevel } from '../../src-shared/dedup';
import { NUM_CLASSES, type Split } from '../../src-shared/labels';
import { macroF1, perClassMetrics } from '../analysis/metrics';
import type { Db } from './db';

/**
 * SQL condition on a `train_copies` row `c`: the face stays in the de-duplicated split at this level. Exact:
 * no byte-identical copy in Training; near: also no Training face within NEAR_COPY_MAX_DISTANCE pHash bits.
 */
export function keptCondition(level: Exclude<DedupLevel, 'none'>): string {
  return level === 'exact' ? 'c.exact_copies = 0' : `c.exact_copies = 0 AND c.nearest_distance > ${NEAR_COPY_MAX_DISTANCE}`;
}

/** Whether the dataset's faces have been checked against Training (src-main/data/train-copies.ts). */
export function hasTrainCopyIndex(db: Db, datasetId: number): boolean {
  return !!db.prepare('SELECT 1 FROM train_copy_index WHERE dataset_id = ?').get(datasetId);
}

/**
 * The confusion matrix of an evaluation over the faces kept at `level` (all faces for 'none'). Null when the
 * level needs the train-copy index and the dataset has none yet, or the split is Training itself.
 */
export function confusionAt(db: Db, ev: { id: number; datasetId: number; split: Split }, level: Exclude<DedupLevel, 'none'>): number[][] | null {
  if (ev.split === 'Training' || !hasTrainCopyIndex(db, ev.datasetId)) return null;
  const rows = db
    .prepare(
      `SELECT p.true_label AS t, p.pred_label AS p, count(*) AS n FROM predictions p
       JOIN train_copies c ON c.sample_id = p.sample_id
       WHERE p.evaluation_id = ? AND ${keptCondition(level)} GROUP BY p.true_label, p.pred_label`,
    )
    .all(ev.id) as { t: number; p: number; n: number }[];
  const m = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  for (const r of rows) m[r.t]![r.p] = r.n;
  return m;
}

function scoreOf(confusion: number[][], total: number): DedupScore {
  const samples = confusion.flat().reduce((a, b) => a + b, 0);
  const right = confusion.reduce((a, row, k) => a + row[k]!, 0);
  return { samples, excluded: total - samples, accuracy: samples ? right / samples : 0, macroF1: macroF1(confusion, perClassMetrics(confusion)) };
}

/** Accuracy and macro-F1 with exact and with near copies of Training faces left out; null as confusionAt. */
export function dedupScores(db: Db, ev: { id: number; datasetId: number; split: Split; samples: number }): DedupScores | null {
  const exact = confusionAt(db, ev, 'exact');
  const near = confusionAt(db, ev, 'near');
  if (!exact || !near) return null;
  return { threshold: NEAR_COPY_MAX_DISTANCE, exact: scoreOf(exact, ev.samples), near: scoreOf(near, ev.samples) };
}
