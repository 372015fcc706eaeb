import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';

/** The stored copy of an imported graph model: model.json and one weights.bin. */
export async function loadGraphDir(dir: string): Promise<tf.GraphModel> {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown> & { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const bin = readFileSync(join(dir, 'weights.bin'));
    return await tf.loadGraphModel(tf.io.fromMemory(graphArtifacts(json, json.weightsManifest[0]!.weights, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer)));
  } catch (err) {
    throw new AppError('CHECKPOINT_CORRUPT', `The stored graph model in ${dir} cannot be loaded: ${(err as Error).message}`);
  }
}

/** A graph model.json's fields and its weights, as tf.io.fromMemory takes them. */
export function graphArtifacts(json: Record<string, unknown>, weightSpecs: tf.io.WeightsManifestEntry[], weightData: ArrayBuffer): tf.io.ModelArtifacts {
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: 'graph-model',
    weightSpecs,
    weightData,
    ...(json.signature ? { signature: json.signature as object } : {}),
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata as Record<string, object> } : {}),
    ...(json.modelInitializer ? { modelInitializer: json.modelInitializer as object } : {}),
  };
}

/** Every weight's element count: a graph model has no layers to ask. */
export function graphParams(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}

