import type { ReadableWorkbench } from '../context';
import { readPixelsByIds } from '../data/packed-store';
import { activateBackend, chooseBackend } from '../engine/backend';
import { loadRunModel, runConfig } from '../engine/checkpoint';
import { xnnpackPoolFor } from '../engine/models/index';
import { saliencyMaps, type SaliencyMaps } from '../engine/saliency';

/** What the evaluation process is asked for: maps of these faces under a run's checkpoint. Plain data. */
export interface SaliencyJob {
  runId: number;
  checkpoint: string;
  sampleIds: number[];
  /** The class each face's maps explain, in sampleIds order. */
  targets: number[];
}

/** Loads the checkpoint and the faces and computes their maps (runs in the evaluation worker). */
export async function computeSaliency(wb: ReadableWorkbench, job: SaliencyJob): Promise<SaliencyMaps> {
  const backend = await chooseBackend(null);
  await activateBackend(backend.name, { xnnpack: xnnpackPoolFor(runConfig(wb, job.runId)) });
  const { model, spec } = await loadRunModel(wb, job.runId, job.checkpoint === 'last' ? 'last' : 'best');
  try {
    const pixels = readPixelsByIds(wb, job.sampleIds);
    return await saliencyMaps(model, pixels, job.sampleIds.length, spec, job.targets);
  } finally {
    model.dispose();
  }
}
