import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FeatureStoreEntry } from '../../src-shared/contract/features';
import { AppError } from '../../src-shared/errors';
import type { InputSpec } from './models/registry';
import { setComputeSwitches } from './patches/switches';
import { faceSum, peekStoreFile, readStoreFile, writeStoreFile, type StoredRows } from './feature-store-file';
import { writeFileAtomic } from '../write-file';

/**
 * The feature store: a frozen base's features of each face, kept in the home across runs (`<home>/cache/features/
 * <key>/<dataset>-<split>.f32`, rows by sample id), so a run whose base has already been applied to those faces
 * reads them instead of computing them again (30 minutes for faceres at 224 on FER2013 on a 2-core CPU). Files,
 * not SQLite: hundreds of MB of floats. It is a cache: a file that fails its checks is ignored and rewritten, a
 * write that fails is a warning, and FER_FEATURE_STORE=off leaves it alone.
 */
export const FEATURE_STORE_FORMAT = 1;

export function featureStoreEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FER_FEATURE_STORE !== 'off';
}

/**
 * Everything that changes the features and nothing else. The weights are identified by their values (a hash of the
 * base's weights as loaded): that covers an npm package's version and files, an imported weights file and a seeded
 * random init alike. The backend is in (wasm and webgpu differ in the last bits); the thread count is not (the
 * engine gives the same bits on 1 and many threads); the compute switches are (FER_WINOGRAD=0 changes the sums).
 */
export interface FeatureKey {
  format: number;
  model: string;
  features: string;
  inputSize: number;
  channels: number;
  input: { normalize: string; mean: number[] | null; std: number[] | null };
  baseLayers: number;
  featureShape: number[];
  /**
   * A cut inside the base (freeze below its depth): the frozen layers whose outputs are stored, with their shapes.
   * Absent for a whole frozen base, so those keys (and their folders) stay what they were.
   */
  cut?: { layers: string[]; shapes: number[][] };
  weights: string;
  backend: string;
  switches: string[];
}

/** The key of a frozen base and its 16-hex hash (the store folder's name). */
export async function featureKey(args: { model: string; features: string; inputSize: number; spec: InputSpec; base: tf.LayersModel; cut?: string[] | null }): Promise<{ key: FeatureKey; hash: string }> {
  const h = createHash('sha256');
  for (const w of args.base.weights) {
    const t = w.read();
    // Shapes and values in layer order, not names: tfjs suffixes variable names (conv/kernel_1) per model built.
    h.update(`${t.shape.join('x')};`);
    // data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
    const v = (await t.data()) as Float32Array;
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  const key: FeatureKey = {
    format: FEATURE_STORE_FORMAT,
    model: args.model,
    features: args.features,
    inputSize: args.inputSize,
    channels: args.spec.channels,
    input: { normalize: args.spec.normalize, mean: args.spec.mean ? [...args.spec.mean] : null, std: args.spec.std ? [...args.spec.std] : null },
    baseLayers: args.base.layers.length,
    featureShape: (args.base.outputs[0]!.shape as (number | null)[]).slice(1) as number[],
    ...(args.cut ? { cut: { layers: args.cut, shapes: args.base.outputs.map((o) => (o.shape as (number | null)[]).slice(1) as number[]) } } : {}),
    weights: h.digest('hex').slice(0, 32),
    backend: tf.getBackend(),
    switches: setComputeSwitches(),
  };
  return { key, hash: createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16) };
}

/** What one split's lookup found: its rows' features where the store had them, which rows, and any warning. */
export interface SplitLookup {
  data: Float32Array;
  have: Uint8Array;
  reused: number;
  warning: string | null;
}

/** One key's folder: the rows of each dataset split it has seen. */
export class FeatureStore {
  readonly dir: string;
  constructor(
    root: string,
    readonly hash: string,
    readonly key: FeatureKey,
  ) {
    this.dir = join(root, hash);
  }

  private file(datasetId: number, split: string): string {
    return join(this.dir, `${datasetId}-${split}.f32`);
  }

  private read(file: string, size: number): { rows: StoredRows | null; warning: string | null } {
    try {
      return { rows: readStoreFile(file, size), warning: null };
    } catch (err) {
      return { rows: null, warning: `Feature store file ${file} was ignored and will be rewritten: ${(err as Error).message}.` };
    }
  }

  /** The stored features of the faces `ids` (pixels to check each row against), in that order. */
  lookup(datasetId: number, split: string, ids: Int32Array, pixels: Uint8Array, size: number): SplitLookup {
    const n = ids.length;
    const data = new Float32Array(n * size);
    const have = new Uint8Array(n);
    const { rows, warning } = this.read(this.file(datasetId, split), size);
    let reused = 0;
    if (rows) {
      const at = new Map<number, number>();
      rows.ids.forEach((id, r) => at.set(id, r));
      for (let i = 0; i < n; i++) {
        const r = at.get(ids[i]!);
        if (r === undefined || rows.sums[r] !== faceSum(pixels, i)) continue;
        data.set(rows.features.subarray(r * size, (r + 1) * size), i * size);
        have[i] = 1;
        reused++;
      }
    }
    return { data, have, reused, warning };
  }

  /**
   * Adds the rows `have` marks (their features in `data`) to the split's file, keeping the rows it already holds for
   * other faces: read again now, so rows another run wrote meanwhile stay. Throws the file system's error.
   */
  save(datasetId: number, split: string, ids: Int32Array, pixels: Uint8Array, size: number, data: Float32Array, have: Uint8Array): void {
    this.writeKey();
    const file = this.file(datasetId, split);
    const old = this.read(file, size).rows;
    const mine = new Set<number>();
    for (let i = 0; i < ids.length; i++) if (have[i]) mine.add(ids[i]!);
    const kept: number[] = [];
    if (old) old.ids.forEach((id, r) => void (!mine.has(id) && kept.push(r)));
    const n = kept.length + mine.size;
    const out: StoredRows = { ids: new Int32Array(n), sums: new Uint32Array(n), features: new Float32Array(n * size), size };
    let k = 0;
    for (const r of kept) {
      out.ids[k] = old!.ids[r]!;
      out.sums[k] = old!.sums[r]!;
      out.features.set(old!.features.subarray(r * size, (r + 1) * size), k * size);
      k++;
    }
    for (let i = 0; i < ids.length; i++) {
      if (!have[i]) continue;
      out.ids[k] = ids[i]!;
      out.sums[k] = faceSum(pixels, i);
      out.features.set(data.subarray(i * size, (i + 1) * size), k * size);
      k++;
    }
    writeStoreFile(file, out);
  }

  /** The readable key beside the data, so `fer features list` (and a person) can tell what a folder holds. */
  private writeKey(): void {
    const file = join(this.dir, 'key.json');
    if (existsSync(file)) return;
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(file, `${JSON.stringify({ hash: this.hash, key: this.key, createdAt: new Date().toISOString() }, null, 2)}\n`);
  }
}

function headerOf(file: string): { rows: number; size: number } | null {
  const fd = openSync(file, 'r');
  try {
    const head = new Uint8Array(24);
    return readSync(fd, head, 0, 24, 0) === 24 ? peekStoreFile(head) : null;
  } finally {
    closeSync(fd);
  }
}

/** Every key in the store with its files (rows read from each header, size on disk), for `fer features list`. */
export function listFeatureStore(root: string): FeatureStoreEntry[] {
  if (!existsSync(root)) return [];
  const out: FeatureStoreEntry[] = [];
  for (const hash of readdirSync(root).sort()) {
    const dir = join(root, hash);
    if (!statSync(dir).isDirectory()) continue;
    let key: FeatureKey | null = null;
    try {
      key = (JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8')) as { key: FeatureKey }).key;
    } catch {
      key = null;
    }
    const files = readdirSync(dir)
      .filter((f) => /^\d+-[A-Za-z]+(-mirrored)?\.f32$/.test(f))
      .sort()
      .map((f) => {
        const [dataset, ...rest] = f.slice(0, -4).split('-') as [string, string];
        const split = rest.join('-');
        const path = join(dir, f);
        return { datasetId: Number(dataset), split, rows: headerOf(path)?.rows ?? null, bytes: statSync(path).size };
      });
    const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    out.push({
      key: hash,
      summary: key ? `${key.model} ${key.features} ${key.inputSize}px ${key.channels}ch ${key.input.normalize}, ${key.cut ? `cut at ${key.cut.layers.join(' + ')}` : `${key.baseLayers} base layers`}, weights ${key.weights.slice(0, 12)}, ${key.backend}${key.switches.length ? ` ${key.switches.join(' ')}` : ''}` : 'key.json missing or unreadable',
      files,
      bytes,
    });
  }
  return out;
}

/** Deletes one key's folder, or every key (`all`); returns the keys deleted. */
export function clearFeatureStore(root: string, which: { all: true } | { key: string }): string[] {
  const keys = listFeatureStore(root).map((e) => e.key);
  const gone = 'all' in which ? keys : keys.filter((k) => k === which.key);
  if (!('all' in which) && !gone.length) {
    throw new AppError('NOT_FOUND', `No feature store key "${which.key}"${keys.length ? `; the store holds ${keys.join(', ')}` : '; the store is empty'} (fer features list).`);
  }
  for (const k of gone) rmSync(join(root, k), { recursive: true, force: true });
  return gone;
}
