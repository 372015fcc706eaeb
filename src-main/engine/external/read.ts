import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { ExternalFormat } from '../../../src-shared/contract/models';
import { AppError } from '../../../src-shared/errors';
import { sha256Of, sourceFiles } from '../weights/catalog';
import { looksLikeHdf5, readKerasH5WithConfig } from '../weights/h5';
import { readTfjsLayers } from '../weights/tfjs-layers';
import type { WeightSet } from '../weights/types';
import { prepareTopology, type KerasModelJson } from './topology';

export interface ExternalSource {
  format: ExternalFormat;
  /** The file the user named (a folder resolves to its model.json). */
  file: string;
  sha256: string;
  topology: KerasModelJson;
  weights: WeightSet;
}

/**
 * Reads a whole model from a Keras 2 full-model .h5/.hdf5 (`model_config` attribute + /model_weights) or a tfjs
 * layers model.json with its shards, reusing the readers of `fer weights import`. Every failure is a specific
 * AppError: missing file, not HDF5, truncated, weights-only file, graph model, Keras 3 zip, bad layer.
 */
export async function readExternal(pathIn: string): Promise<ExternalSource> {
  let file = resolve(pathIn);
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `Model file ${file} does not exist.`);
  if (statSync(file).isDirectory()) {
    if (!existsSync(join(file, 'model.json'))) throw new AppError('INVALID_INPUT', `${file} is a folder without a model.json; pass a Keras .h5 file or a tfjs model.json.`);
    file = join(file, 'model.json');
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.keras') {
    throw new AppError('INVALID_INPUT', `${file} is a Keras 3 .keras archive, which this importer does not read yet. In Keras, save it as a Keras 2 full model (model.save('model.h5')) or convert it with tensorflowjs_converter to a tfjs layers model.`);
  }
  if (ext === '.json') return readTfjsModel(file);
  if (ext === '.h5' || ext === '.hdf5' || looksLikeHdf5(file)) return readKerasModel(file);
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
  return { format: 'keras-h5', file, sha256: await sha256Of([file]), topology: prepareTopology(raw, file), weights: set };
}

async function readTfjsModel(file: string): Promise<ExternalSource> {
  let json: { format?: unknown; modelTopology?: unknown };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file} is not valid JSON (${(err as Error).message}): expected a tfjs model.json.`);
  }
  if (json.format === 'graph-model') {
    throw new AppError('INVALID_INPUT', `${file} is a tfjs graph model; only tfjs layers models (format "layers-model") can be imported so far.`);
  }
  if (!json.modelTopology) throw new AppError('INVALID_DATA', `${file} has no modelTopology: it is not a tfjs layers model.json.`);
  const topology = prepareTopology(json.modelTopology, file);
  const weights = readTfjsLayers(file);
  return { format: 'tfjs-layers', file, sha256: await sha256Of(sourceFiles(file)), topology, weights };
}
