import type { SaliencyPage } from '../../src-shared/contract/evaluation';
import { AppError } from '../../src-shared/errors';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { runSaliencyJob } from './runner';
import { getSummary } from '../store/evaluations';

interface CachedRow {
  sample_id: number;
  layer: string;
  gradcam: Buffer;
  hirescam: Buffer;
  gradient: Buffer;
}

/**
 * eval.saliency: Grad-CAM, HiResCAM and input-gradient maps of the given faces for their predicted (or true)
 * class under the evaluated run's checkpoint. Maps already cached are read back; the rest are computed in the
 * evaluation process in one batch and cached, so paging back and forth through a cell costs nothing.
 */
export async function saliencyPage(wb: Workbench, evaluationId: number, sampleIds: number[], target: 'pred' | 'true'): Promise<SaliencyPage> {
  const ev = getSummary(wb.db, evaluationId);
  if (ev.runId === null) {
    throw new AppError('INVALID_INPUT', `Evaluation ${evaluationId} is an ensemble's: open one of its members' evaluations to see what that model looks at.`);
  }
  const ids = [...new Set(sampleIds)];
  const rows = wb.db
    .prepare('SELECT sample_id, true_label, pred_label FROM predictions WHERE evaluation_id = ? AND sample_id IN (SELECT value FROM json_each(?))')
    .all(evaluationId, JSON.stringify(ids)) as { sample_id: number; true_label: number; pred_label: number }[];
  const label = new Map(rows.map((r) => [r.sample_id, target === 'pred' ? r.pred_label : r.true_label]));
  const missing = ids.filter((id) => !label.has(id));
  if (missing.length) throw new AppError('NOT_FOUND', `Sample${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in evaluation ${evaluationId}.`);

  const read = wb.db.prepare('SELECT sample_id, layer, gradcam, hirescam, gradient FROM saliency_maps WHERE evaluation_id = ? AND sample_id = ? AND target_label = ?');
  const cached = new Map<number, CachedRow>();
  for (const id of ids) {
    const r = read.get(evaluationId, id, label.get(id)!) as CachedRow | undefined;
    if (r) cached.set(id, r);
  }
  const todo = ids.filter((id) => !cached.has(id));
  if (todo.length) {
    const run = wb.db.prepare('SELECT id FROM runs WHERE id = ?').get(ev.runId);
    if (!run) throw new AppError('NOT_FOUND', `Run ${ev.runId} of evaluation ${evaluationId} no longer exists.`);
    const maps = await runSaliencyJob(wb, { runId: ev.runId, checkpoint: ev.checkpoint, sampleIds: todo, targets: todo.map((id) => label.get(id)!) });
    const slice = (a: Uint8Array, i: number) => Buffer.from(a.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE));
    const ins = wb.db.prepare('INSERT OR REPLACE INTO saliency_maps (evaluation_id, sample_id, target_label, layer, gradcam, hirescam, gradient) VALUES (?, ?, ?, ?, ?, ?, ?)');
    wb.db.transaction(() => {
      todo.forEach((id, i) => {
        const row = { sample_id: id, layer: maps.layer, gradcam: slice(maps.gradcam, i), hirescam: slice(maps.hirescam, i), gradient: slice(maps.gradient, i) };
        ins.run(evaluationId, id, label.get(id)!, row.layer, row.gradcam, row.hirescam, row.gradient);
        cached.set(id, row);
      });
    })();
  }
  const ordered = ids.map((id) => cached.get(id)!);
  const join = (k: 'gradcam' | 'hirescam' | 'gradient') => Buffer.concat(ordered.map((r) => r[k])).toString('base64');
  return {
    layer: ordered[0]!.layer,
    items: ids.map((id) => ({ sampleId: id, targetLabel: label.get(id)! })),
    gradcamBase64: join('gradcam'),
    hirescamBase64: join('hirescam'),
    gradientBase64: join('gradient'),
    computed: todo.length,
  };
}
