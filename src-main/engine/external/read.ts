import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { sha256Of, sourceFiles } from '../weights/catalog';
import { hdf5SignatureAt, readKerasH5WithConfig } from '../weights/h5';
import { readTfjsLayers } from '../weights/tfjs-layers';
import type { WeightSet } from '../weights/types';
import { prepareTopology, type KerasModelJson } from './topology';
import { readZip } from './zip';

interface SourceBase {
  /** The file the user named (a folder resolves to its model.json). */
  file: string;
  sha256: string;
}
/** A Keras config plus weights, built as a tfjs layers model. */
export interface LayersSource extends SourceBase {
  kind: 'layers';
  format: 'keras-h5' | 'keras3' | 'tfjs-layers';
  topology: KerasModelJson;
  weights: WeightSet;
}
/** A tfjs graph model: its model.json (minus the manifest) and every shard's bytes, in manifest order. */
export interface GraphSource extends SourceBase {
  kind: 'graph';
  format: 'tfjs-graph';
  json: Record<string, unknown>;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}
export type ExternalSource = LayersSource | GraphSource;

/**
 * Reads a whole model from a Keras 2 full-model .h5/.hdf5 (`model_config` attribute + /model_weights), a Keras 3
 * .keras archive, or a tfjs layers or graph model.json with its shards, reusing the readers of `fer weights import`. Every failure is a specific
 * AppError: missing file, not HDF5, truncated, weights-only file, Keras 3 zip, bad layer.
 */
export async function readExternal(pathIn: string, tmpDir: string): Promise<ExternalSource> {
  let file = resolve(pathIn);
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `Model file ${file} does not exist.`);
  if (statSync(file).isDirectory()) {
    if (!existsSync(join(file, 'model.json'))) throw new AppError('INVALID_INPUT', `${file} is a folder without a model.json; pass a Keras .h5 file or a tfjs model.json.`);
    file = join(file, 'model.json');
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.keras') return readKeras3(file, tmpDir);
  if (ext === '.json') return readTfjsModel(file);
  if (ext === '.h5' || ext === '.hdf5' || hdf5SignatureAt(file) >= 0) return readKerasModel(file);
  throw new AppError('INVALID_INPUT', `${file} is neither a Keras .h5/.hdf5 model nor a tfjs model.json.`);
}

async function readKerasModel(file: string): Promise<ExternalSource> {
  const { set, modelConfig } = await readKerasH5WithConfig(file);
  if (!modelConfig) {
    throw new AppError('INVALID_DATA', `${file} holds weights only (no model_config attribute), so it has no architecture to build. Save the full model in Keras (model.save('model.h5')); pretrained bases go through fer weights import.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(modelConfig);
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file}: its model_config attribute is not valid JSON (${(err as Error).message}).`);
  }
  return { kind: 'layers', format: 'keras-h5', file, sha256: await sha256Of([file]), topology: prepareTopology(raw, file), weights: set };
}

async function readTfjsModel(file: string): Promise<ExternalSource> {
  let json: { format?: unknown; modelTopology?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file} is not valid JSON (${(err as Error).message}): expected a tfjs model.json.`);
  }
  if (json.format === 'graph-model') return readGraphModel(file, json as Record<string, unknown>);
  if (!json.modelTopology) throw new AppError('INVALID_DATA', `${file} has no modelTopology: it is not a tfjs layers model.json.`);
  const topology = prepareTopology(json.modelTopology, file);
  const weights = readTfjsLayers(file);
  return { kind: 'layers', format: 'tfjs-layers', file, sha256: await sha256Of(sourceFiles(file)), topology, weights };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function specBytes(w: tf.io.WeightsManifestEntry, file: string): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype ?? 'float32';
  const bytes = DTYPE_BYTES[dtype];
  if (!bytes) throw new AppError('INVALID_DATA', `${file}: weight ${w.name} has dtype ${dtype}, which this importer does not read.`);
  return n * bytes;
}

/** A converted TensorFlow graph (tensorflowjs_converter's graph-model format): inference only. */
async function readGraphModel(file: string, json: Record<string, unknown>): Promise<GraphSource> {
  const manifest = json.weightsManifest as { paths?: unknown; weights?: unknown }[] | undefined;
  if (!json.modelTopology || !Array.isArray(manifest)) throw new AppError('INVALID_DATA', `${file} is marked graph-model but has no modelTopology or weightsManifest.`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  manifest.forEach((group, gi) => {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new AppError('INVALID_DATA', `${file}: weightsManifest[${gi}] needs paths and weights arrays.`);
    const bytes = Buffer.concat(
      (group.paths as string[]).map((p) => {
        const path = join(dirname(file), p);
        if (!existsSync(path)) throw new AppError('NOT_FOUND', `${file}: weight shard ${p} is missing (looked for ${path}).`);
        return readFileSync(path);
      }),
    );
    const weights = group.weights as tf.io.WeightsManifestEntry[];
    const need = weights.reduce((sum, w) => sum + specBytes(w, file), 0);
    if (bytes.length !== need) {
      throw new AppError('INVALID_DATA', `${file}: shards ${(group.paths as string[]).join(', ')} hold ${bytes.length} bytes but the manifest describes ${need} (truncated?).`);
    }
    specs.push(...weights);
    chunks.push(bytes);
  });
  const all = Buffer.concat(chunks);
  const { weightsManifest: _m, ...rest } = json;
  return {
    kind: 'graph',
    format: 'tfjs-graph',
    file,
    sha256: await sha256Of(sourceFiles(file)),
    json: rest,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
  };
}

/**
 * A Keras 3 `.keras` archive: config.json (the model config, Keras 3 spellings) and model.weights.h5
 * (/layers/<layer>/vars/<i>). h5wasm reads host files, so the weights pass through a temp file that is removed after.
 */
async function readKeras3(file: string, tmpDir: string): Promise<ExternalSource> {
  const entries = readZip(file);
  const config = entries.get('config.json');
  const weights = entries.get('model.weights.h5');
  if (!config || !weights) {
    throw new AppError('INVALID_DATA', `${file} is a zip without ${!config ? 'config.json' : 'model.weights.h5'}: not a Keras 3 .keras model (it holds ${[...entries.keys()].join(', ') || 'nothing'}).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(config.toString('utf8'));
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file}: config.json is not valid JSON (${(err as Error).message}).`);
  }
  const topology = prepareTopology(raw, file);
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `keras3-${process.pid}-${Date.now().toString(36)}.weights.h5`);
  try {
    writeFileSync(tmp, weights);
    const { set } = await readKerasH5WithConfig(tmp);
    return { kind: 'layers', format: 'keras3', file, sha256: await sha256Of([file]), topology, weights: { ...set, file } };
  } catch (err) {
    // The temp name means nothing to the user: name the archive's entry instead.
    if (err instanceof AppError) throw new AppError(err.code, err.message.split(tmp).join(`${file}:model.weights.h5`));
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
