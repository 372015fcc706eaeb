import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TransferArchitecture, WeightsFormat, WeightVariant } from '../../../src-shared/contract/weights';
import { AppError } from '../../../src-shared/errors';
import { readKerasH5 } from './h5';
import { readTfjsLayers } from './tfjs-layers';
import type { WeightSet, WeightTensor } from './types';

/**
 * The workbench's own copy of imported weights: `<home.weights>/<id>/weights.json` (architecture, layer
 * naming, every layer's weight names and shapes) + `weights.bin` (float32 LE, back to back in that order).
 * Only the layers the model uses are kept, already checked, so a run loads them without h5wasm.
 */
export const STORED_JSON = 'weights.json';
export const STORED_BIN = 'weights.bin';

export interface StoredManifest {
  format: 'fer-weights';
  version: 1;
  architecture: TransferArchitecture;
  variant: WeightVariant;
  sourceFormat: WeightsFormat;
  layers: { name: string; weights: { name: string; shape: number[] }[] }[];
}

export interface StoredWeights extends WeightSet {
  manifest: StoredManifest;
}

/** Writes the folder under a temp name and renames it into place, so a failed write leaves nothing behind. */
export function writeStored(dir: string, tmpRoot: string, set: WeightSet, meta: Pick<StoredManifest, 'architecture' | 'variant'>): void {
  const manifest: StoredManifest = { format: 'fer-weights', version: 1, ...meta, sourceFormat: set.format, layers: [] };
  const parts: Buffer[] = [];
  for (const [name, ws] of set.layers) {
    manifest.layers.push({ name, weights: ws.map((w) => ({ name: w.name, shape: w.shape })) });
    for (const w of ws) parts.push(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  }
  mkdirSync(tmpRoot, { recursive: true });
  const tmp = join(tmpRoot, `${basename(dir)}.${process.pid}.${Date.now()}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, STORED_BIN), Buffer.concat(parts));
    writeFileSync(join(tmp, STORED_JSON), JSON.stringify(manifest));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new AppError('IO_ERROR', `Cannot store weights in ${dir}: ${(err as Error).message}`);
  }
}

export function readStored(pathOrDir: string): StoredWeights {
  const dir = statSync(pathOrDir).isDirectory() ? pathOrDir : join(pathOrDir, '..');
  const jsonPath = join(dir, STORED_JSON);
  let manifest: StoredManifest;
  let bin: Buffer;
  try {
    manifest = JSON.parse(readFileSync(jsonPath, 'utf8')) as StoredManifest;
    bin = readFileSync(join(dir, STORED_BIN));
  } catch (err) {
    throw new AppError('CHECKPOINT_CORRUPT', `Stored weights in ${dir} cannot be read: ${(err as Error).message}`);
  }
  if (manifest.format !== 'fer-weights') throw new AppError('CHECKPOINT_CORRUPT', `${jsonPath} is not a workbench weights manifest.`);
  const layers = new Map<string, WeightTensor[]>();
  let offset = 0;
  for (const l of manifest.layers) {
    layers.set(
      l.name,
      l.weights.map((w) => {
        const n = w.shape.reduce((a, b) => a * b, 1);
        if (offset + n * 4 > bin.length) throw new AppError('CHECKPOINT_CORRUPT', `${join(dir, STORED_BIN)} is truncated: layer ${l.name} needs bytes up to ${offset + n * 4}, file has ${bin.length}.`);
        const data = new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + n * 4));
        offset += n * 4;
        return { name: w.name, shape: w.shape, data };
      }),
    );
  }
  return { format: 'fer-weights', file: dir, layers, manifest };
}

export function isStored(path: string): boolean {
  if (!existsSync(path)) return false;
  const json = statSync(path).isDirectory() ? join(path, STORED_JSON) : path;
  if (!json.endsWith(STORED_JSON) || !existsSync(json)) return false;
  try {
    return (JSON.parse(readFileSync(json, 'utf8')) as { format?: string }).format === 'fer-weights';
  } catch {
    return false;
  }
}

/** Any supported weights file: a stored folder, a tfjs model.json, or a Keras .h5. */
export async function readWeightsFile(path: string): Promise<WeightSet | StoredWeights> {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `Weights file ${path} does not exist.`);
  if (isStored(path)) return readStored(path);
  if (statSync(path).isDirectory()) {
    const modelJson = join(path, 'model.json');
    if (existsSync(modelJson)) return readTfjsLayers(modelJson);
    throw new AppError('INVALID_INPUT', `${path} is a folder with neither ${STORED_JSON} nor model.json.`);
  }
  if (path.toLowerCase().endsWith('.json')) return readTfjsLayers(path);
  return readKerasH5(path);
}
