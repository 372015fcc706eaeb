import type { FerPlusScores } from '../../src-shared/contract/ferplus';
import { NUM_CLASSES } from '../../src-shared/labels';
import { macroF1, perClassMetrics } from '../analysis/metrics';
import type { Db } from './db';
import type { ReadableDb } from './readable-db';

/**
 * An evaluation's predictions scored against the FER+ majority label (mapped to FER2013's 7 classes) on the faces
 * that have one; faces whose majority is contempt, unknown (or none) or NF are counted and left out. Null when
 * the dataset has no FER+ layer.
 */
export function ferPlusScores(db: Db, ev: { id: number; datasetId: number }): FerPlusScores | null {
  if (!db.prepare('SELECT 1 FROM ferplus_layers WHERE dataset_id = ?').get(ev.datasetId)) return null;
  const cells = db
    .prepare(
      `SELECT v.label7 AS t, p.pred_label AS p, count(*) AS n FROM predictions p JOIN ferplus_votes v ON v.sample_id = p.sample_id
       WHERE p.evaluation_id = ? AND v.label7 IS NOT NULL GROUP BY v.label7, p.pred_label`,
    )
    .all(ev.id) as { t: number; p: number; n: number }[];
  const m = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  for (const c of cells) m[c.t]![c.p] = c.n;
  const out = db
    .prepare(
      `SELECT v.majority AS k, count(*) AS n FROM predictions p JOIN ferplus_votes v ON v.sample_id = p.sample_id
       WHERE p.evaluation_id = ? AND v.label7 IS NULL GROUP BY v.majority`,
    )
    .all(ev.id) as { k: number; n: number }[];
  const left = (k: number) => out.find((o) => o.k === k)?.n ?? 0;
  const disagreeing = (
    db.prepare('SELECT count(*) AS n FROM predictions p JOIN ferplus_votes v ON v.sample_id = p.sample_id WHERE p.evaluation_id = ? AND v.label7 IS NOT NULL AND v.label7 <> p.true_label').get(ev.id) as { n: number }
  ).n;
  const samples = m.flat().reduce((a, b) => a + b, 0);
  const right = m.reduce((a, row, k) => a + row[k]!, 0);
  return {
    samples,
    accuracy: samples ? right / samples : 0,
    macroF1: macroF1(m, perClassMetrics(m)),
    leftOut: { contempt: left(7), unknown: left(8), nonFace: left(9) },
    disagreeing,
  };
}

/** Whether the dataset has a FER+ layer imported. */
export function hasFerPlusLayer(db: ReadableDb, datasetId: number): boolean {
  return !!db.prepare('SELECT 1 FROM ferplus_layers WHERE dataset_id = ?').get(datasetId);
}

/** Each evaluated face that has a FER+ majority among FER2013's classes, and whether that majority differs from its label (1/0). */
export function crowdDisagreements(db: ReadableDb, evaluationId: number): { id: number; differs: number }[] {
  return db
    .prepare('SELECT p.sample_id AS id, v.label7 <> p.true_label AS differs FROM predictions p JOIN ferplus_votes v ON v.sample_id = p.sample_id WHERE p.evaluation_id = ? AND v.label7 IS NOT NULL')
    .all(evaluationId) as { id: number; differs: number }[];
}
