import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { WeightSet, WeightTensor } from './types';
import { shapeText } from './types';

/** A model layer that owns weights, with its weights' short names and shapes in the model's order. */
export interface ExpectedLayer {
  name: string;
  weights: { name: string; shape: number[] }[];
}

/** The weighted layers of `model` (optionally only those before `stopAt` layers), in model order. */
export function expectedLayers(model: tf.LayersModel, stopAt = model.layers.length): ExpectedLayer[] {
  const out: ExpectedLayer[] = [];
  for (const layer of model.layers.slice(0, stopAt)) {
    if (!layer.weights.length) continue;
    out.push({
      name: layer.name,
      weights: layer.weights.map((w) => ({ name: w.originalName.slice(w.originalName.lastIndexOf('/') + 1), shape: [...w.shape] as number[] })),
    });
  }
  return out;
}

export interface MatchReport {
  /** Expected layers found in the file. */
  matched: number;
  expected: number;
  missing: string[];
  /** Layers with weights in the file that the model does not have. */
  unexpected: string[];
  /** One line per mismatching weight, naming the layer and both shapes. */
  shapeErrors: string[];
}

/**
 * The file's weights for one model layer, in the model's weight order: by short name when the file uses
 * Keras' names (kernel, bias, gamma, beta, moving_mean, moving_variance), else by position (older Keras
 * files and Keras 3 files number them), which is how Keras' own load_weights pairs them.
 */
export function weightsFor(layer: ExpectedLayer, found: WeightTensor[]): WeightTensor[] {
  const byName = new Map(found.map((w) => [w.name, w]));
  if (found.length === layer.weights.length && layer.weights.every((w) => byName.has(w.name))) {
    return layer.weights.map((w) => byName.get(w.name)!);
  }
  return found;
}

export function matchWeights(set: WeightSet, expected: ExpectedLayer[]): MatchReport {
  const missing: string[] = [];
  const shapeErrors: string[] = [];
  const wanted = new Set(expected.map((l) => l.name));
  for (const layer of expected) {
    const found = set.layers.get(layer.name);
    if (!found) {
      missing.push(layer.name);
      continue;
    }
    const ordered = weightsFor(layer, found);
    if (ordered.length !== layer.weights.length) {
      shapeErrors.push(`layer ${layer.name}: the file has ${ordered.length} weights (${ordered.map((w) => w.name).join(', ')}), the model expects ${layer.weights.length} (${layer.weights.map((w) => w.name).join(', ')})`);
      continue;
    }
    layer.weights.forEach((w, i) => {
      const got = ordered[i]!;
      if (got.shape.length !== w.shape.length || got.shape.some((d, k) => d !== w.shape[k])) {
        shapeErrors.push(`layer ${layer.name} weight ${w.name}: the file has shape ${shapeText(got.shape)}, the model expects ${shapeText(w.shape)}`);
      }
    });
  }
  const unexpected = [...set.layers.keys()].filter((name) => !wanted.has(name));
  return { matched: expected.length - missing.length, expected: expected.length, missing, unexpected, shapeErrors };
}

function listSome(names: string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** Refuses weights that would leave any model layer uninitialised or mis-shaped. */
export function assertComplete(report: MatchReport, label: string, file: string): void {
  if (report.missing.length) {
    throw new AppError(
      'WEIGHTS_MISMATCH',
      `${file} lacks ${report.missing.length} of the ${report.expected} weighted layers ${label} needs: ${listSome(report.missing)}.`,
      report,
    );
  }
  if (report.shapeErrors.length) {
    throw new AppError('WEIGHTS_MISMATCH', `${file} does not fit ${label}: ${listSome(report.shapeErrors, 4)}.`, report);
  }
}

/** Copies the (already checked) weights into the model's layers. */
export function applyWeights(model: tf.LayersModel, set: WeightSet, expected: ExpectedLayer[]): void {
  for (const layer of expected) {
    const ordered = weightsFor(layer, set.layers.get(layer.name)!);
    const tensors = ordered.map((w) => tf.tensor(w.data, w.shape, 'float32'));
    try {
      model.getLayer(layer.name).setWeights(tensors);
    } finally {
      tensors.forEach((t) => t.dispose());
    }
  }
}
