import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../../src-shared/errors';
import type { WeightSet, WeightTensor } from './types';
import { shortWeightName } from './types';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/**
 * Reads the tfjs layers format: model.json (`weightsManifest`: groups of shard paths + weight specs) and its
 * binary shards, which hold each group's weights back to back in manifest order. A weight 'a/b/kernel'
 * belongs to layer 'a/b'.
 */
export function readTfjsLayers(file: string): WeightSet {
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `Weights file ${file} does not exist.`);
  let json: { weightsManifest?: ManifestGroup[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file} is not valid JSON (${(err as Error).message}): expected a tfjs model.json.`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new AppError('INVALID_DATA', `${file} has no weightsManifest: it is not a tfjs layers model.json.`);
  const layers = new Map<string, WeightTensor[]>();
  const dir = dirname(file);
  json.weightsManifest.forEach((group, gi) => {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new AppError('INVALID_DATA', `${file}: weightsManifest[${gi}] needs paths and weights arrays.`);
    const shards = group.paths.map((p) => {
      const path = join(dir, p);
      if (!existsSync(path)) throw new AppError('NOT_FOUND', `${file}: weight shard ${p} is missing (looked for ${path}).`);
      return readFileSync(path);
    });
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new AppError('INVALID_DATA', `${file}: weight ${w.name} is quantized; re-export the model without quantization.`);
      if (w.dtype && w.dtype !== 'float32') throw new AppError('INVALID_DATA', `${file}: weight ${w.name} has dtype ${w.dtype}; only float32 weights are supported.`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (offset + n * 4 > bytes.length) {
        throw new AppError('INVALID_DATA', `${file}: shards ${group.paths.join(', ')} hold ${bytes.length} bytes, too few for weight ${w.name} (needs bytes ${offset}–${offset + n * 4}); truncated?`);
      }
      // Copy: the shard buffer's offset need not be 4-byte aligned.
      const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + n * 4));
      offset += n * 4;
      const cut = w.name.lastIndexOf('/');
      const layer = cut > 0 ? w.name.slice(0, cut) : w.name;
      const list = layers.get(layer) ?? [];
      list.push({ name: shortWeightName(w.name), shape: [...w.shape], data });
      layers.set(layer, list);
    }
    if (offset !== bytes.length) throw new AppError('INVALID_DATA', `${file}: shards ${group.paths.join(', ')} hold ${bytes.length} bytes but the manifest describes ${offset}.`);
  });
  return { format: 'tfjs-layers', file, layers };
}
