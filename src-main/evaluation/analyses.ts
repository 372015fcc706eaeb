import type { CalibrationReport, CellPage, RunDiff } from '../../src-shared/contract/evaluation';
import { NUM_CLASSES } from '../../src-shared/labels';
import { decodeProbs } from '../analysis/blobs';
import { calibration } from '../analysis/calibration';
import { flips, confusionDiff, mcnemar } from '../analysis/mcnemar';
import type { Workbench } from '../context';
import { votesOf } from '../data/ferplus';
import { readPixelsByIds } from '../data/packed-store';
import { AppError } from '../../src-shared/errors';
import type { DedupLevel } from '../../src-shared/dedup';
import { checkSameSamples, checkSameSplit } from './align';
import { keptCondition } from '../store/dedup-scores';
import { getDetail, getSummary, loadPredictions } from '../store/evaluations';

/**
 * eval.cell: one confusion cell's samples, most confident first, paged. The predictions_by_cell index
 * (evaluation, true, pred, confidence DESC) serves both the count and the page.
 */
export interface CellFilter {
  /** Leave out copies of Training faces at this level. */
  dedup?: DedupLevel;
  /** 'disagree': only faces whose FER+ majority (as a FER2013 class) differs from their label. */
  crowd?: 'all' | 'disagree';
}

export function cellPage(wb: Workbench, evaluationId: number, trueLabel: number, predLabel: number, offset: number, limit: number, filter: CellFilter = {}): CellPage {
  const dedup = filter.dedup ?? 'none';
  const ev = getSummary(wb.db, evaluationId);
  if (dedup !== 'none' && !ev.dedup) getDetail(wb.db, evaluationId, dedup); // throws the reason
  // The de-duplicated split drops faces that have a copy in Training (src-main/evaluation/dedup.ts).
  let kept = dedup === 'none' ? '' : `AND EXISTS (SELECT 1 FROM train_copies c WHERE c.sample_id = predictions.sample_id AND ${keptCondition(dedup)})`;
  if (filter.crowd === 'disagree') {
    if (!ev.ferplus) throw new AppError('INVALID_INPUT', `Evaluation ${evaluationId}'s dataset has no FER+ votes: add them with fer ferplus import FILE --dataset ${ev.datasetId}.`);
    kept += ' AND EXISTS (SELECT 1 FROM ferplus_votes v WHERE v.sample_id = predictions.sample_id AND v.label7 IS NOT NULL AND v.label7 <> predictions.true_label)';
  }
  const total = (
    wb.db.prepare(`SELECT count(*) AS n FROM predictions WHERE evaluation_id = ? AND true_label = ? AND pred_label = ? ${kept}`).get(evaluationId, trueLabel, predLabel) as { n: number }
  ).n;
  const rows = wb.db
    .prepare(
      `SELECT sample_id, confidence, probs FROM predictions INDEXED BY predictions_by_cell
       WHERE evaluation_id = ? AND true_label = ? AND pred_label = ? ${kept}
       ORDER BY confidence DESC, sample_id LIMIT ? OFFSET ?`,
    )
    .all(evaluationId, trueLabel, predLabel, limit, offset) as { sample_id: number; confidence: number; probs: Buffer }[];
  const votes = votesOf(wb, rows.map((r) => r.sample_id));
  const items = rows.map((r) => {
    const v = votes.get(r.sample_id);
    return { sampleId: r.sample_id, trueLabel, predLabel, confidence: r.confidence, probs: decodeProbs(r.probs), votes: v?.votes ?? null, crowdMajority: v?.majority ?? null };
  });
  const pixels = readPixelsByIds(
    wb,
    items.map((i) => i.sampleId),
  );
  return { total, offset, items, pixelsBase64: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64') };
}

export function sampleProbs(wb: Workbench, evaluationId: number, sampleIds: number[]): { sampleId: number; predLabel: number; probs: number[] }[] {
  getSummary(wb.db, evaluationId);
  if (!sampleIds.length) return [];
  const rows = wb.db
    .prepare('SELECT sample_id, pred_label, probs FROM predictions WHERE evaluation_id = ? AND sample_id IN (SELECT value FROM json_each(?))')
    .all(evaluationId, JSON.stringify(sampleIds)) as { sample_id: number; pred_label: number; probs: Buffer }[];
  const byId = new Map(rows.map((r) => [r.sample_id, r]));
  return sampleIds.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ sampleId: id, predLabel: r.pred_label, probs: decodeProbs(r.probs) }] : [];
  });
}

export function calibrationReport(wb: Workbench, evaluationId: number, bins: number): CalibrationReport {
  getSummary(wb.db, evaluationId);
  const p = loadPredictions(wb.db, evaluationId);
  const c = calibration(p.probs, p.labels, NUM_CLASSES, bins);
  return { evaluationId, ece: c.ece, bins: c.bins, perClass: c.perClass.map((k) => ({ label: k.label, ece: k.ece, bins: k.bins })) };
}

/** eval.diff: b against a on the same samples: confusion difference, flips each way, McNemar. */
export function diffEvaluations(wb: Workbench, aId: number, bId: number): RunDiff {
  const a = getDetail(wb.db, aId);
  const b = getDetail(wb.db, bId);
  checkSameSplit([a.evaluation, b.evaluation], 'compare these evaluations');
  const pa = loadPredictions(wb.db, aId);
  const pb = loadPredictions(wb.db, bId);
  checkSameSamples([a.evaluation, b.evaluation], [pa, pb], 'compare these evaluations');
  const f = flips(pa.sampleIds, pa.labels, pa.preds, pb.preds);
  return { a: a.evaluation, b: b.evaluation, confusionDiff: confusionDiff(a.confusion, b.confusion), fixed: f.fixed, broken: f.broken, mcnemar: mcnemar(f.b, f.c) };
}
