import type { EvalSetting, EvaluationDetail, EvaluationSummary, PerClassMetrics, TtaSummary } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { NUM_CLASSES, type Split } from '../../src-shared/labels';
import { endianness } from 'node:os';
import { decodeConfusion, decodeProbsInto, encodeConfusion, encodeProbs } from '../analysis/blobs';
import { perClassMetrics, score, type ScoreReport } from '../analysis/metrics';
import type { Db } from './db';
import type { DedupLevel } from '../../src-shared/dedup';
import { confusionAt, dedupScores, keptCondition } from './dedup-scores';
import type { ReadableDb } from './readable-db';
import { ferPlusScores } from './ferplus-scores';

/**
 * The evaluations repository (moved here from evaluation/, #18): evaluations with their per-class metrics,
 * confusion matrices and predictions, and the per-epoch confusions of a run. A summary's de-duplicated and FER+
 * scores come from the repositories beside it (dedup-scores.ts, ferplus-scores.ts).
 */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Everything an evaluation stores: the scores are derived here so a run and an ensemble are scored alike. */
export interface NewEvaluation {
  runId: number | null;
  ensembleId: number | null;
  datasetId: number;
  split: Split;
  checkpoint: string;
  tta: TtaSummary | null;
  sampleIds: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** n×7 float32, row-major, in sampleIds order. */
  probs: Float32Array;
  /** Overrides the argmax (hard voting breaks its ties its own way). */
  preds?: Uint8Array;
}

/** Inserts an evaluation with its per-class metrics, confusion matrix and every prediction, in one transaction. */
export function insertEvaluation(db: Db, ev: NewEvaluation): { id: number; report: ScoreReport } {
  const n = ev.labels.length;
  if (ev.sampleIds.length !== n) throw new Error(`insertEvaluation: ${ev.sampleIds.length} ids for ${n} labels`);
  const report = score(ev.probs, ev.labels, NUM_CLASSES, ev.preds);
  if (!Number.isFinite(report.loss)) throw new AppError('INVALID_DATA', 'The model produced non-finite probabilities (NaN): nothing was stored.');
  const insert = db.transaction(() => {
    const { lastInsertRowid } = db
      .prepare(
        `INSERT INTO evaluations (run_id, ensemble_id, dataset_id, split, checkpoint, tta, tta_json, accuracy, loss, macro_f1, samples, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(ev.runId, ev.ensembleId, ev.datasetId, ev.split, ev.checkpoint, ev.tta?.views ?? 0, ev.tta ? JSON.stringify(ev.tta) : null, report.accuracy, report.loss, report.macroF1, n, new Date().toISOString());
    const id = Number(lastInsertRowid);
    const cm = db.prepare('INSERT INTO class_metrics (evaluation_id, label, precision, recall, f1, support) VALUES (?, ?, ?, ?, ?, ?)');
    for (const m of report.perClass) cm.run(id, m.label, m.precision, m.recall, m.f1, m.support);
    db.prepare('INSERT INTO confusions (evaluation_id, split, matrix) VALUES (?, ?, ?)').run(id, ev.split, encodeConfusion(report.confusion));
    const pred = db.prepare('INSERT INTO predictions (evaluation_id, sample_id, true_label, pred_label, confidence, probs) VALUES (?, ?, ?, ?, ?, ?)');
    // One buffer for all rows, sliced per row: better-sqlite3 copies a bound Buffer, so the views are safe.
    // Float32Array bytes are the platform's order; the stored layout is little-endian, so big-endian hosts encode per row.
    const all = LITTLE_ENDIAN ? Buffer.from(ev.probs.buffer, ev.probs.byteOffset, ev.probs.byteLength) : null;
    for (let i = 0; i < n; i++) {
      const blob = all ? all.subarray(i * NUM_CLASSES * 4, (i + 1) * NUM_CLASSES * 4) : encodeProbs(ev.probs, i * NUM_CLASSES);
      pred.run(id, ev.sampleIds[i]!, ev.labels[i]!, report.preds[i]!, report.confidence[i]!, blob);
    }
    return id;
  });
  return { id: insert(), report };
}

interface EvalRow {
  id: number;
  run_id: number | null;
  ensemble_id: number | null;
  dataset_id: number;
  split: Split;
  checkpoint: string;
  tta_json: string | null;
  accuracy: number;
  loss: number;
  macro_f1: number;
  samples: number;
  created_at: string;
  name: string;
}

const SUMMARY_SQL = `
  SELECT e.*, COALESCE(r.name, en.name) AS name
  FROM evaluations e
  LEFT JOIN runs r ON r.id = e.run_id
  LEFT JOIN ensembles en ON en.id = e.ensemble_id`;

function toSummary(db: Db, r: EvalRow): EvaluationSummary {
  return {
    id: r.id,
    runId: r.run_id,
    ensembleId: r.ensemble_id,
    name: r.name,
    datasetId: r.dataset_id,
    split: r.split,
    checkpoint: r.checkpoint,
    tta: r.tta_json ? (JSON.parse(r.tta_json) as TtaSummary) : null,
    accuracy: r.accuracy,
    loss: r.loss,
    macroF1: r.macro_f1,
    samples: r.samples,
    createdAt: r.created_at,
    dedup: dedupScores(db, { id: r.id, datasetId: r.dataset_id, split: r.split, samples: r.samples }),
    ferplus: ferPlusScores(db, { id: r.id, datasetId: r.dataset_id }),
  };
}

export function getSummary(db: Db, evaluationId: number): EvaluationSummary {
  const row = db.prepare(`${SUMMARY_SQL} WHERE e.id = ?`).get(evaluationId) as EvalRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `Evaluation ${evaluationId} does not exist.`);
  return toSummary(db, row);
}

export function listSummaries(db: Db, filter: { runId?: number; ensembleId?: number } = {}): EvaluationSummary[] {
  if (filter.runId !== undefined) return (db.prepare(`${SUMMARY_SQL} WHERE e.run_id = ? ORDER BY e.id DESC`).all(filter.runId) as EvalRow[]).map((r) => toSummary(db, r));
  if (filter.ensembleId !== undefined) return (db.prepare(`${SUMMARY_SQL} WHERE e.ensemble_id = ? ORDER BY e.id DESC`).all(filter.ensembleId) as EvalRow[]).map((r) => toSummary(db, r));
  return (db.prepare(`${SUMMARY_SQL} ORDER BY e.id DESC`).all() as EvalRow[]).map((r) => toSummary(db, r));
}

/**
 * A run's newest evaluation of exactly this setting: the split (any when null), K augmented TTA views, the
 * mirror on or off, and the checkpoint. The TTA seed is not matched: another seed draws other views from the
 * same distribution, which is the same setting for a table (the paper's "flip + 7" is one setting).
 */
export function latestMatching(db: Db, runId: number, s: Pick<EvalSetting, 'split' | 'tta' | 'ttaFlip' | 'checkpoint'>): EvaluationSummary | null {
  // tta_json is null for a plain evaluation; json_extract gives 1/0 for the stored flip boolean.
  const where = `e.run_id = ? AND e.checkpoint = ? AND e.tta = ? AND COALESCE(json_extract(e.tta_json, '$.flip'), 0) = ?${s.split ? ' AND e.split = ?' : ''}`;
  const args: unknown[] = [runId, s.checkpoint, s.tta, s.ttaFlip ? 1 : 0, ...(s.split ? [s.split] : [])];
  const row = db.prepare(`${SUMMARY_SQL} WHERE ${where} ORDER BY e.id DESC LIMIT 1`).get(...args) as EvalRow | undefined;
  return row ? toSummary(db, row) : null;
}

/** k when the ensemble is an out-of-fold evaluation (each face from the one fold run that held it out), else null. */
export function outOfFoldK(db: Db, ensembleId: number): number | null {
  return (db.prepare('SELECT k FROM out_of_fold WHERE ensemble_id = ?').get(ensembleId) as { k: number } | undefined)?.k ?? null;
}

export function perClassOf(db: Db, evaluationId: number): PerClassMetrics[] {
  return db.prepare('SELECT label, precision, recall, f1, support FROM class_metrics WHERE evaluation_id = ? ORDER BY label').all(evaluationId) as PerClassMetrics[];
}

/**
 * An evaluation with its per-class scores and confusion matrix, over all faces or, with `dedup`, over the
 * faces its de-duplicated split keeps (refused on Training, and before the dataset's faces were checked).
 */
export function getDetail(db: Db, evaluationId: number, dedup: DedupLevel = 'none'): EvaluationDetail {
  const evaluation = getSummary(db, evaluationId);
  if (dedup !== 'none') {
    const confusion = confusionAt(db, evaluation, dedup);
    if (!confusion) {
      throw new AppError(
        'INVALID_INPUT',
        evaluation.split === 'Training'
          ? `Evaluation ${evaluationId} is on Training: de-duplication leaves out test faces that are copies of Training faces, so it applies to PublicTest and PrivateTest only.`
          : `Evaluation ${evaluationId}'s dataset has not been checked for copies of Training faces yet.`,
      );
    }
    return { evaluation, dedup, perClass: perClassMetrics(confusion), confusion };
  }
  const row = db.prepare('SELECT matrix FROM confusions WHERE evaluation_id = ?').get(evaluationId) as { matrix: Buffer } | undefined;
  if (!row) throw new AppError('DB_CORRUPT', `Evaluation ${evaluationId} has no confusion matrix stored.`);
  return { evaluation, dedup, perClass: perClassOf(db, evaluationId), confusion: decodeConfusion(row.matrix) };
}

export interface StoredPredictions {
  n: number;
  /** Ascending sample id: the order every evaluation of a split shares, so two can be compared row by row. */
  sampleIds: Int32Array;
  labels: Uint8Array;
  preds: Uint8Array;
  probs: Float32Array;
}

export function loadPredictions(db: Db, evaluationId: number): StoredPredictions {
  const count = (db.prepare('SELECT count(*) AS n FROM predictions WHERE evaluation_id = ?').get(evaluationId) as { n: number }).n;
  const out: StoredPredictions = {
    n: count,
    sampleIds: new Int32Array(count),
    labels: new Uint8Array(count),
    preds: new Uint8Array(count),
    probs: new Float32Array(count * NUM_CLASSES),
  };
  const stmt = db.prepare('SELECT sample_id, true_label, pred_label, probs FROM predictions WHERE evaluation_id = ? ORDER BY sample_id').raw(true);
  let i = 0;
  for (const row of stmt.iterate(evaluationId) as Iterable<[number, number, number, Buffer]>) {
    out.sampleIds[i] = row[0];
    out.labels[i] = row[1];
    out.preds[i] = row[2];
    decodeProbsInto(row[3], out.probs, i);
    i++;
  }
  return out;
}

export function epochConfusions(db: Db, runId: number): { epoch: number; split: Split; confusion: number[][] }[] {
  const rows = db.prepare('SELECT epoch, split, matrix FROM confusions WHERE run_id = ? AND epoch IS NOT NULL ORDER BY epoch, split').all(runId) as { epoch: number; split: Split; matrix: Buffer }[];
  return rows.map((r) => ({ epoch: r.epoch, split: r.split, confusion: decodeConfusion(r.matrix) }));
}

export function evaluationExists(db: ReadableDb, evaluationId: number): boolean {
  return !!db.prepare('SELECT 1 FROM evaluations WHERE id = ?').get(evaluationId);
}

export interface PredictionRow {
  sample_id: number;
  true_label: number;
  pred_label: number;
  probs: Buffer;
}

/** The stored predictions of these faces in an evaluation, in no particular order; faces it does not hold are absent. */
export function predictionsOfSamples(db: ReadableDb, evaluationId: number, sampleIds: readonly number[]): PredictionRow[] {
  return db
    .prepare('SELECT sample_id, true_label, pred_label, probs FROM predictions WHERE evaluation_id = ? AND sample_id IN (SELECT value FROM json_each(?))')
    .all(evaluationId, JSON.stringify(sampleIds)) as PredictionRow[];
}

export interface CellQuery {
  trueLabel: number;
  predLabel: number;
  /** Leave out copies of Training faces at this level. */
  dedup: DedupLevel;
  /** Only faces whose FER+ majority (as a FER2013 class) differs from their label. */
  crowdDisagree: boolean;
  offset: number;
  limit: number;
}

/**
 * One confusion cell's faces, most confident first, paged, with the cell's total under the same filters. The
 * predictions_by_cell index (evaluation, true, pred, confidence DESC) serves both the count and the page.
 */
export function cellPredictions(db: ReadableDb, evaluationId: number, q: CellQuery): { total: number; rows: { sample_id: number; confidence: number; probs: Buffer }[] } {
  let kept = q.dedup === 'none' ? '' : `AND EXISTS (SELECT 1 FROM train_copies c WHERE c.sample_id = predictions.sample_id AND ${keptCondition(q.dedup)})`;
  if (q.crowdDisagree) kept += ' AND EXISTS (SELECT 1 FROM ferplus_votes v WHERE v.sample_id = predictions.sample_id AND v.label7 IS NOT NULL AND v.label7 <> predictions.true_label)';
  const total = (
    db.prepare(`SELECT count(*) AS n FROM predictions WHERE evaluation_id = ? AND true_label = ? AND pred_label = ? ${kept}`).get(evaluationId, q.trueLabel, q.predLabel) as { n: number }
  ).n;
  const rows = db
    .prepare(
      `SELECT sample_id, confidence, probs FROM predictions INDEXED BY predictions_by_cell
       WHERE evaluation_id = ? AND true_label = ? AND pred_label = ? ${kept}
       ORDER BY confidence DESC, sample_id LIMIT ? OFFSET ?`,
    )
    .all(evaluationId, q.trueLabel, q.predLabel, q.limit, q.offset) as { sample_id: number; confidence: number; probs: Buffer }[];
  return { total, rows };
}
