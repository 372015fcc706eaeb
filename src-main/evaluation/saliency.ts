import type { SaliencyMapSet, SaliencyMember, SaliencyPage } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { decodeProbs } from '../analysis/blobs';
import type { Workbench } from '../context';
import { runSaliencyJob } from './runner';
import { ensembleMembers } from '../store/ensembles';
import { getSummary, predictionsOfSamples, type PredictionRow } from '../store/evaluations';
import { runExists } from '../store/runs';
import { cachedSaliency, storeSaliency } from '../store/saliency-cache';

/** The stored predictions of these faces in an evaluation, refusing any face the evaluation does not hold. */
function predictionsOf(wb: Workbench, evaluationId: number, ids: number[]): Map<number, PredictionRow> {
  const rows = predictionsOfSamples(wb.db, evaluationId, ids);
  const byId = new Map(rows.map((r) => [r.sample_id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length) throw new AppError('NOT_FOUND', `Sample${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in evaluation ${evaluationId}.`);
  return byId;
}

/**
 * One model evaluation's maps of the faces for the given classes: cached ones are read back, the rest computed in
 * the evaluation process in one batch and cached under that evaluation (which fixes run and checkpoint, so a map
 * never goes stale). `who` names the model in errors.
 */
async function modelMaps(wb: Workbench, evaluationId: number, ids: number[], targets: Map<number, number>, who: string): Promise<{ maps: SaliencyMapSet; computed: number }> {
  const ev = getSummary(wb.db, evaluationId);
  if (ev.runId === null) throw new AppError('INVALID_INPUT', `${who} is itself an ensemble: its maps would be its members' maps; open its evaluation ${evaluationId} instead.`);
  const cached = cachedSaliency(wb.db, evaluationId, new Map(ids.map((id) => [id, targets.get(id)!])));
  const todo = ids.filter((id) => !cached.has(id));
  if (todo.length) {
    if (!runExists(wb.db, ev.runId)) throw new AppError('NOT_FOUND', `${who}: run ${ev.runId} no longer exists.`);
    const maps = await runSaliencyJob(wb, { runId: ev.runId, checkpoint: ev.checkpoint, sampleIds: todo, targets: todo.map((id) => targets.get(id)!) }).catch((err: unknown) => {
      // The checkpoint loader's "no checkpoint" does not say which model of an ensemble lost its files.
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', `${who}: ${err.message} Its run's files were deleted, so there is no model to take its saliency from.`);
      throw err;
    });
    const slice = (a: Uint8Array, i: number) => Buffer.from(a.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE));
    const rows = todo.map((id, i) => ({ sample_id: id, target_label: targets.get(id)!, layer: maps.layer, gradcam: slice(maps.gradcam, i), hirescam: slice(maps.hirescam, i), gradient: slice(maps.gradient, i) }));
    storeSaliency(wb.db, evaluationId, rows);
    for (const row of rows) cached.set(row.sample_id, row);
  }
  const ordered = ids.map((id) => cached.get(id)!);
  const join = (k: 'gradcam' | 'hirescam' | 'gradient') => Buffer.concat(ordered.map((r) => r[k])).toString('base64');
  return { maps: { layer: ordered[0]!.layer, gradcamBase64: join('gradcam'), hirescamBase64: join('hirescam'), gradientBase64: join('gradient') }, computed: todo.length };
}

/**
 * eval.saliency: Grad-CAM, HiResCAM and input-gradient maps of the given faces for their predicted (or true)
 * class under the evaluated run's checkpoint. Maps already cached are read back; the rest are computed in the
 * evaluation process in one batch and cached, so paging back and forth through a cell costs nothing.
 * An ensemble's evaluation gets each member's maps (member by member, each under its own run and checkpoint) for
 * the ensemble's target class, with the member's own probability of that class.
 */
export async function saliencyPage(wb: Workbench, evaluationId: number, sampleIds: number[], target: 'pred' | 'true'): Promise<SaliencyPage> {
  const ev = getSummary(wb.db, evaluationId);
  const ids = [...new Set(sampleIds)];
  const preds = predictionsOf(wb, evaluationId, ids);
  const targets = new Map(ids.map((id) => [id, target === 'pred' ? preds.get(id)!.pred_label : preds.get(id)!.true_label]));
  const items = ids.map((id) => ({ sampleId: id, targetLabel: targets.get(id)! }));
  if (ev.ensembleId === null) {
    const { maps, computed } = await modelMaps(wb, evaluationId, ids, targets, `Evaluation ${evaluationId}`);
    return { kind: 'model', items, computed, ...maps };
  }
  const rows: { evaluationId: number; weight: number; runId: number | null; name: string | null }[] = ensembleMembers(wb.db, ev.ensembleId);
  // A member's run deleted through the app takes its evaluation and membership with it (foreign-key cascades).
  if (!rows.length) throw new AppError('NOT_FOUND', `Ensemble ${ev.ensembleId} (evaluation ${evaluationId}) has no members left: their runs were deleted.`);
  const members: SaliencyMember[] = [];
  let computed = 0;
  // One member at a time: each loads its own checkpoint in the evaluation process, and only one model is held at once.
  for (const m of rows) {
    const who = `Member "${m.name ?? `evaluation ${m.evaluationId}`}" (evaluation ${m.evaluationId}) of ensemble ${ev.ensembleId}`;
    const own = predictionsOf(wb, m.evaluationId, ids);
    const res = await modelMaps(wb, m.evaluationId, ids, targets, who);
    computed += res.computed;
    members.push({
      ...res.maps,
      evaluationId: m.evaluationId,
      runId: m.runId!,
      name: m.name ?? `evaluation ${m.evaluationId}`,
      weight: m.weight,
      probs: ids.map((id) => decodeProbs(own.get(id)!.probs)[targets.get(id)!]!),
    });
  }
  return { kind: 'ensemble', items, computed, members };
}
