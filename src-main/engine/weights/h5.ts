import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { AppError } from '../../../src-shared/errors';
import type { WeightSet, WeightTensor } from './types';
import { shortWeightName } from './types';

type H5 = typeof import('h5wasm/node').default;
type H5Group = InstanceType<H5['Group']>;
type H5Dataset = InstanceType<H5['Dataset']>;

let h5Ready: Promise<H5> | null = null;
/** h5wasm loads a wasm HDF5 library once per process; on Node it reads host files directly (NODERAWFS). */
export function loadH5wasm(): Promise<H5> {
  h5Ready ??= import('h5wasm/node').then(async (mod) => {
    await mod.default.ready;
    return mod.default;
  });
  return h5Ready;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Where the HDF5 signature is: 0, 512, 1024, 2048, … (after an optional user block); -1 when absent. */
export function hdf5SignatureAt(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size && at <= 1 << 20; at = at === 0 ? 512 : at * 2) {
      readSync(fd, buf, 0, 8, at);
      if (buf.equals(HDF5_SIGNATURE)) return at;
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}

/**
 * The file length the HDF5 superblock records (base address + end-of-file address), or null when the
 * superblock is of a version this does not read. Lets a truncated download be named as such before
 * libhdf5 prints its error stack straight to the process's stderr.
 */
export function hdf5RecordedLength(path: string, at: number): number | null {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(96);
    const n = readSync(fd, b, 0, 96, at);
    const version = b[8]!;
    const offsets = version <= 1 ? b[13]! : b[9]!;
    if (offsets !== 8 && offsets !== 4) return null;
    const read = (pos: number) => (offsets === 8 ? Number(b.readBigUInt64LE(pos)) : b.readUInt32LE(pos));
    // v0/v1: fixed fields (24 bytes; v1 adds 4), then base, free-space, end-of-file addresses.
    // v2/v3: sig, version, sizes, flags (12 bytes), then base, extension, end-of-file addresses.
    const fields = version === 0 ? 24 : version === 1 ? 28 : version <= 3 ? 12 : -1;
    if (fields < 0 || fields + 3 * offsets > n) return null;
    return read(fields) + read(fields + 2 * offsets);
  } finally {
    closeSync(fd);
  }
}

function stringList(value: unknown): string[] | null {
  if (value == null) return null;
  const arr = Array.isArray(value) ? value : [value];
  return arr.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v)).replace(/\0+$/, ''));
}

function attr(node: H5Group, name: string): string[] | null {
  if (!Object.hasOwn(node.attrs, name)) return null;
  return stringList(node.get_attribute(name, true));
}

function readFloat(ds: H5Dataset, where: string, file: string): { shape: number[]; data: Float32Array } {
  let value: unknown;
  try {
    value = ds.value;
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file}: cannot read dataset ${where} (truncated or corrupt file?): ${(err as Error).message}`);
  }
  const shape = (ds.shape ?? []).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (value instanceof Float64Array) data = Float32Array.from(value);
  else throw new AppError('INVALID_DATA', `${file}: dataset ${where} has dtype ${String(ds.dtype)}; only float32/float64 weights are supported.`);
  if (data.length !== n) throw new AppError('INVALID_DATA', `${file}: dataset ${where} holds ${data.length} values for shape [${shape.join(', ')}].`);
  return { shape, data };
}

/**
 * Reads Keras HDF5 weights in the layouts Keras writes:
 * - full model (`model.save('x.h5')`): weights under /model_weights, with a `layer_names` attribute there;
 * - weights only (`model.save_weights('x.h5')`, keras-vggface's and Keras Applications' files): the same
 *   structure at the root. Each layer group has a `weight_names` attribute listing its datasets
 *   ('<layer>/kernel:0', …); names containing '/' are nested groups, which HDF5 paths resolve as they are;
 * - Keras 3 `.weights.h5`: /layers/<layer>/vars/<0..n-1>.
 */
export async function readKerasH5(file: string): Promise<WeightSet> {
  return (await readKerasH5WithConfig(file)).set;
}

/**
 * readKerasH5 plus the root's `model_config` attribute (the architecture JSON a Keras 2 `model.save('x.h5')`
 * writes), null when the file holds weights only.
 */
export async function readKerasH5WithConfig(file: string): Promise<{ set: WeightSet; modelConfig: string | null }> {
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `Weights file ${file} does not exist.`);
  const at = hdf5SignatureAt(file);
  if (at < 0) throw new AppError('INVALID_DATA', `${file} is not an HDF5 file (no HDF5 signature): expected a Keras .h5 weights file.`);
  const recorded = hdf5RecordedLength(file, at);
  const size = statSync(file).size;
  if (recorded !== null && recorded > size) {
    throw new AppError('INVALID_DATA', `${file} is truncated or corrupt: its HDF5 header records ${recorded} bytes but the file has ${size}. Download it again.`);
  }
  const h5 = await loadH5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file} cannot be opened as HDF5 — truncated or corrupt? (${(err as Error).message})`);
  }
  try {
    const set = readOpened(h5, f, file);
    return { set, modelConfig: attr(f, 'model_config')?.[0] ?? null };
  } catch (err) {
    if (err instanceof AppError) throw err;
    // A truncated file can still open (HDF5 reads lazily) and fail on the first attribute or dataset.
    throw new AppError('INVALID_DATA', `${file} cannot be read as Keras HDF5 weights — truncated or corrupt? (${(err as Error).message})`);
  } finally {
    f.close();
  }
}

function readOpened(h5: H5, f: H5Group, file: string): WeightSet {
  const layers = new Map<string, WeightTensor[]>();
  const modelWeights = f.get('model_weights');
  const root = modelWeights instanceof h5.Group ? modelWeights : f;
  const layerNames = attr(root, 'layer_names');
  if (layerNames) {
    for (const layer of layerNames) {
      const g = root.get(layer);
      if (!(g instanceof h5.Group)) throw new AppError('INVALID_DATA', `${file}: layer_names lists "${layer}" but the file has no group for it (truncated or corrupt?).`);
      const weightNames = attr(g, 'weight_names') ?? [];
      const tensors: WeightTensor[] = [];
      for (const wn of weightNames) {
        const ds = g.get(wn);
        if (!(ds instanceof h5.Dataset)) throw new AppError('INVALID_DATA', `${file}: layer "${layer}" lists weight "${wn}" but the dataset is missing.`);
        tensors.push({ name: shortWeightName(wn), ...readFloat(ds, `${layer}/${wn}`, file) });
      }
      if (tensors.length) layers.set(layer, tensors);
    }
    return { format: modelWeights instanceof h5.Group ? 'keras-h5-model' : 'keras-h5-weights', file, layers };
  }
  const k3 = f.get('layers');
  if (k3 instanceof h5.Group) {
    for (const layer of k3.keys()) {
      const vars = k3.get(`${layer}/vars`);
      if (!(vars instanceof h5.Group)) continue;
      const tensors: WeightTensor[] = [];
      const keys = vars.keys().sort((a, b) => Number(a) - Number(b));
      for (const k of keys) {
        const ds = vars.get(k);
        if (ds instanceof h5.Dataset) tensors.push({ name: `#${k}`, ...readFloat(ds, `layers/${layer}/vars/${k}`, file) });
      }
      if (tensors.length) layers.set(layer, tensors);
    }
    return { format: 'keras3-weights-h5', file, layers };
  }
  throw new AppError('INVALID_DATA', `${file} is HDF5 but not a Keras weights file: no layer_names attribute (at / or /model_weights) and no /layers group.`);
}
