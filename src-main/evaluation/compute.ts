import { withMirror, type TtaSummary } from '../../src-shared/contract/evaluation';
import type { FoldConfig } from '../../src-shared/contract/runs';
import type { Split } from '../../src-shared/labels';
import type { ReadableWorkbench } from '../context';
import { activateBackend, chooseBackend } from '../engine/backend';
import { loadRunModel, runConfig } from '../engine/checkpoint';
import { loadExternalModel } from '../engine/external/catalog';
import { externalForRun } from '../store/external-models';
import { xnnpackPoolFor } from '../engine/models/index';
import { prepareBatch } from '../engine/input';
import { predictProbs } from '../engine/predict';
import { DEFAULT_TTA, ttaViews, type TtaOptions } from '../engine/tta';
import { foldSide } from '../data/folds';
import { loadSplit } from '../data/packed-store';

/** What the evaluation process is asked to do: plain data, so it crosses a process boundary. */
export interface EvalJob {
  runId: number;
  datasetId: number;
  split: Split;
  checkpoint: 'best' | 'last';
  /** null: the original view only. */
  tta: TtaOptions | null;
  /** null: chosen from the model's input size. */
  batch: number | null;
  /** Only the faces of this fold of the split (a fold run's held-out faces); null: the whole split. */
  fold?: FoldConfig | null;
}

export interface EvalOutput {
  ids: Int32Array;
  labels: Uint8Array;
  probs: Float32Array;
  tta: TtaSummary | null;
  backend: string;
  seconds: number;
}

export function ttaSummary(opts: TtaOptions | null): TtaSummary | null {
  if (!opts) return null;
  const views = ttaViews(opts);
  return {
    views: opts.augmented,
    flip: opts.flip,
    totalViews: views.length,
    seed: opts.seed,
    rotation: opts.rotation,
    zoom: opts.zoom,
    shiftX: opts.shiftX,
    shiftY: opts.shiftY,
    viewSpecs: views,
  };
}

/** The TTA options an eval.run request means: K augmented views, the mirror on by default once K > 0. */
export function ttaFromArgs(k: number, flip: boolean | undefined, seed: number): TtaOptions | null {
  const useFlip = withMirror(k, flip);
  if (k === 0 && !useFlip) return null;
  return { ...DEFAULT_TTA, augmented: k, flip: useFlip, seed };
}

/**
 * Loads the run's checkpoint and the split, and predicts every face (averaged over the TTA views).
 * The heavy part of eval.run: it runs in a child process so the UI's process stays responsive.
 */
export async function computeEval(wb: ReadableWorkbench, job: EvalJob, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<EvalOutput> {
  const started = performance.now();
  const backend = await chooseBackend(null);
  // An external model is one stored copy (no best/last checkpoints) with its own input spec and output mapping.
  const external = externalForRun(wb, job.runId);
  await activateBackend(backend.name, { xnnpack: external ? 'all' : xnnpackPoolFor(runConfig(wb, job.runId)) });
  const { model, spec, outputMap } = external ? await loadExternalModel(external) : { ...(await loadRunModel(wb, job.runId, job.checkpoint)), outputMap: undefined };
  try {
    const whole = loadSplit(wb, job.datasetId, job.split);
    const data = job.fold ? foldSide(whole, job.fold, true) : whole;
    const views = job.tta ? ttaViews(job.tta) : undefined;
    const probs = await predictProbs(model, data.pixels, data.n, {
      prepare: (px, n) => prepareBatch(px, n, spec),
      // Activation memory grows with the input side squared: a 197×197 ResNet batch of 128 would need gigabytes.
      batch: job.batch ?? (spec.size > 64 ? 16 : 128),
      ...(views ? { views } : {}),
      ...(outputMap ? { outputMap } : {}),
      ...(signal ? { signal } : {}),
      onProgress,
    });
    return { ids: data.ids, labels: data.labels, probs, tta: ttaSummary(job.tta), backend: backend.name, seconds: (performance.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}
