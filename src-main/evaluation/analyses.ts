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
import { cellPredictions, getDetail, getSummary, loadPredictions, predictionsOfSamples } from '../store/evaluations';

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
  if (filter.crowd === 'disagree' && !ev.ferplus) throw new AppError('INVALID_INPUT', `Evaluation ${evaluationId}'s dataset has no FER+ votes: add them with fer ferplus import FILE --dataset ${ev.datasetId}.`);
  // The de-duplicated split drops faces that have a copy in Training (src-main/evaluation/dedup.ts).
  const { total, rows } = cellPredictions(wb.db, evaluationId, { trueLabel, predLabel, dedup, crowdDisagree: filter.crowd === 'disagree', offset, limit });
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
  const rows = predictionsOfSamples(wb.db, evaluationId, sampleIds);
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
