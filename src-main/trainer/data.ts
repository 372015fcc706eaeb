import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import { PIXELS_PER_IMAGE, type Split } from '../../src-shared/labels';
import type { ReadableWorkbench } from '../context';
import { foldSide } from '../data/folds';
import { loadSplit, resolveDataset } from '../data/packed-store';
import { applyRevision, resolveRevision } from '../data/revisions';
import { inverseFrequencyWeights } from '../data/stats';
import type { LabelledPixels } from '../engine/evaluate';
import { STREAM, mixSeed, shuffledIndices } from '../engine/rng';
import { revisionLabels } from '../store/revisions';
import { weightsByIdOrName } from '../store/weights';

export interface RunData {
  datasetId: number;
  train: LabelledPixels;
  val: LabelledPixels | null;
  test: LabelledPixels | null;
  classWeights: number[] | null;
}

/**
 * A seeded random subset when `limitTrain` caps the split: taking the first N rows would follow the source
 * file's order, which can be sorted by class.
 */
function subset(data: LabelledPixels, limit: number | null, seed: number): LabelledPixels {
  if (limit === null || limit >= data.n) return data;
  const pick = Array.from(shuffledIndices(data.n, mixSeed(seed, STREAM.subset)).subarray(0, limit)).sort((a, b) => a - b);
  const pixels = new Uint8Array(limit * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(limit);
  const ids = data.ids ? new Int32Array(limit) : undefined;
  pick.forEach((row, i) => {
    pixels.set(data.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
    labels[i] = data.labels[row]!;
    if (ids) ids[i] = data.ids![row]!;
  });
  return { pixels, labels, n: limit, ...(ids ? { ids } : {}) };
}

function split(wb: ReadableWorkbench, datasetId: number, name: Split | null, revision: ReadonlyMap<number, number | null>, fold: TrainConfig['fold'] = null): LabelledPixels | null {
  if (!name) return null;
  const s = applyRevision(fold ? foldSide(loadSplit(wb, datasetId, name), fold, false) : loadSplit(wb, datasetId, name), revision);
  return { pixels: s.pixels, labels: s.labels, n: s.n, ids: s.ids };
}

/**
 * The run's faces and labels: the dataset's splits as imported, or as `config.revision` revises them (excluded
 * faces dropped before limitTrain's subset is drawn, relabelled faces with their new label; class weights count
 * the revised labels). With `config.fold`, the training split loses its held-out fold first
 * (foldSide: drawn from the split as imported, so the same faces whatever the revision).
 */
export function loadRunData(wb: ReadableWorkbench, cfg: TrainConfig): RunData {
  const ds = resolveDataset(wb, cfg.dataset);
  const revision = cfg.revision === null ? new Map<number, number | null>() : revisionLabels(wb.db, resolveRevision(wb.db, cfg.revision).id);
  const train = subset(split(wb, ds.id, cfg.trainSplit, revision, cfg.fold)!, cfg.limitTrain, cfg.seed);
  let classWeights: number[] | null = null;
  if (cfg.classWeights) {
    const counts = new Array<number>(7).fill(0);
    for (const l of train.labels) counts[l]! += 1;
    classWeights = inverseFrequencyWeights(counts);
  }
  return { datasetId: ds.id, train, val: split(wb, ds.id, cfg.valSplit, revision), test: split(wb, ds.id, cfg.testSplit, revision), classWeights };
}

/**
 * What `config.weights` names: imported weights by id or by name (as `fer weights` lists them, and as
 * catalog.getWeights accepts), or a path to a weights file. `id` is null for a plain file.
 */
export function resolveWeights(wb: ReadableWorkbench, ref: string): { id: string | null; file: string } {
  // Id first (weightsByIdOrName): a name could look like another import's id, and the id is what identifies content.
  const row = weightsByIdOrName(wb.db, ref);
  if (row) return { id: row.id, file: isAbsolute(row.path) ? row.path : join(wb.home.weights, row.path) };
  if (existsSync(ref)) return { id: null, file: ref };
  throw new AppError('NOT_FOUND', `config.weights: no imported weights with id or name "${ref}" and no such file. \`fer weights list\` shows the imported ones.`);
}

/** The file behind `config.weights`: an imported weights id or name, or a path to a weights file. */
export function resolveWeightsFile(wb: ReadableWorkbench, ref: string | null): string | null {
  return ref === null ? null : resolveWeights(wb, ref).file;
}
