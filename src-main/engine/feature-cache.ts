import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../src-shared/contract/runs';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { isIdentity } from './augment';
import { gatherRows, prepareBatch } from './input';
import { HEAD_LAYER_PREFIX } from './models/heads';
import type { InputSpec } from './models/registry';

/**
 * Feature caching for a frozen pretrained base. When every base layer is frozen (frozen BN layers run in
 * inference mode, see patches/frozen-bn.ts) and no augmentation changes the base's input, the base
 * maps each image to the same features in every epoch. Computing them once and training only the head on
 * them gives the same result as running the whole network each step, at a fraction of the cost — at 197 px
 * the base is >95% of the work.
 */
export interface CachePlan {
  applies: boolean;
  /** One sentence for the UI / CLI saying why caching is or is not used. */
  reason: string;
  /** Floats per image the cache stores, when it applies. */
  featureSize?: number;
  /** What the feature store gave (train() fills it in once it has looked): faces reused and computed, under which key. */
  store?: { key: string; reused: number; computed: number };
}

/** In-memory budget for cached features (all splits together). */
export const FEATURE_CACHE_MAX_BYTES = 2 ** 31;

/** Index of the first head layer = the number of base layers; -1 when the model has no pretrained-style head. */
export function headStart(model: tf.LayersModel): number {
  return model.layers.findIndex((l) => l.name.startsWith(HEAD_LAYER_PREFIX));
}

export function planFeatureCache(cfg: Pick<TrainConfig, 'cacheFeatures' | 'augment' | 'freeze'>, model: tf.LayersModel, samples: number): CachePlan {
  if (!cfg.cacheFeatures) return { applies: false, reason: 'Feature caching is off (cacheFeatures: false).' };
  const base = headStart(model);
  if (base < 0) return { applies: false, reason: `Feature caching needs a pretrained base with a separate head; ${model.name} has none.` };
  if (!isIdentity(cfg.augment)) {
    return { applies: false, reason: 'Feature caching does not apply: augmentation changes the base\'s input every epoch, so its features cannot be reused.' };
  }
  if (cfg.freeze < base) {
    return { applies: false, reason: `Feature caching does not apply: only ${cfg.freeze} of the base's ${base} layers are frozen, so its features change as it trains. Freeze ${base} to cache.` };
  }
  const shape = model.layers[base - 1]!.outputShape as (number | null)[];
  const featureSize = shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  const bytes = featureSize * 4 * samples;
  if (bytes > FEATURE_CACHE_MAX_BYTES) {
    return { applies: false, reason: `Feature caching does not apply: ${samples} images × ${featureSize} features would take ${(bytes / 2 ** 30).toFixed(1)} GiB (limit ${FEATURE_CACHE_MAX_BYTES / 2 ** 30} GiB). Lower inputSize or limitTrain.` };
  }
  return { applies: true, reason: `Caching the frozen base's ${featureSize} features per image: the base runs once, later epochs train only the head.`, featureSize };
}

/** The frozen base (input → features) and the head (features → probabilities) of one model, sharing its layers. */
export function splitAtHead(model: tf.LayersModel): { base: tf.LayersModel; head: tf.LayersModel } {
  const start = headStart(model);
  if (start <= 0) throw new Error(`${model.name} has no head layers named ${HEAD_LAYER_PREFIX}*`);
  const cut = model.layers[start - 1]!;
  const base = tf.model({ inputs: model.inputs, outputs: cut.output as tf.SymbolicTensor, name: `${model.name}_base` });
  // The head is a chain; re-applying its layers to a new input shares their weights with `model`.
  const featureShape = (cut.outputShape as (number | null)[]).slice(1) as number[];
  const input = tf.input({ shape: featureShape, name: 'features' });
  let x: tf.SymbolicTensor = input;
  for (const layer of model.layers.slice(start)) x = layer.apply(x) as tf.SymbolicTensor;
  const head = tf.model({ inputs: input, outputs: x, name: `${model.name}_head` });
  return { base, head };
}

/** The shape of one image's features (the base's output without the batch axis). */
export function featureShapeOf(base: tf.LayersModel): number[] {
  return (base.outputs[0]!.shape as (number | null)[]).slice(1) as number[];
}

/** Features of one split, computed once by the frozen base, in the split's sample order. */
export class CachedFeatures {
  private constructor(
    readonly data: Float32Array,
    readonly n: number,
    readonly shape: number[],
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** onChunk after each chunk with the rows done so far; resolving false abandons the work (compute returns null). */
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk?: number): Promise<CachedFeatures>;
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk: number, onChunk: (done: number) => Promise<boolean> | boolean): Promise<CachedFeatures | null>;
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk = 64, onChunk?: (done: number) => Promise<boolean> | boolean): Promise<CachedFeatures | null> {
    const shape = featureShapeOf(base);
    const data = new Float32Array(n * shape.reduce((a, b) => a * b, 1));
    return (await CachedFeatures.fill(base, pixels, null, n, spec, data, chunk, onChunk)) ? new CachedFeatures(data, n, shape) : null;
  }

  /** Features already in memory (the feature store's rows, with the missing ones filled in), in split order. */
  static of(data: Float32Array, n: number, shape: number[]): CachedFeatures {
    return new CachedFeatures(data, n, shape);
  }

  /**
   * Computes the features of `rows` (indices into the split, in the order given; null: all n rows in order) into their
   * places in `data` (n × size), chunk by chunk, calling onChunk with the rows done so far. false when abandoned.
   */
  static async fill(base: tf.LayersModel, pixels: Uint8Array, rows: ArrayLike<number> | null, n: number, spec: InputSpec, data: Float32Array, chunk = 64, onChunk?: (done: number) => Promise<boolean> | boolean): Promise<boolean> {
    const size = featureShapeOf(base).reduce((a, b) => a * b, 1);
    const count = rows ? rows.length : n;
    const buf = rows ? new Uint8Array(chunk * PIXELS_PER_IMAGE) : null;
    for (let from = 0; from < count; from += chunk) {
      const m = Math.min(chunk, count - from);
      const batch = rows ? gatherRows(pixels, rows, from, from + m, buf!) : pixels.subarray(from * PIXELS_PER_IMAGE, (from + m) * PIXELS_PER_IMAGE);
      const out = tf.tidy(() => base.predict(prepareBatch(batch, m, spec)) as tf.Tensor);
      // data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
      const values = (await out.data()) as Float32Array;
      out.dispose();
      if (rows) for (let i = 0; i < m; i++) data.set(values.subarray(i * size, (i + 1) * size), rows[from + i]! * size);
      else data.set(values, from * size);
      if (onChunk && !(await onChunk(from + m))) return false;
    }
    return true;
  }

  /** The features of rows from..to in split order, as one batch tensor (evaluation reads them in order). */
  rows(from: number, to: number): tf.Tensor {
    return tf.tensor(this.data.slice(from * this.size, to * this.size), [to - from, ...this.shape]);
  }

  /** The features of rows order[from..to), as one batch tensor for the head. */
  gather(order: ArrayLike<number>, from: number, to: number): tf.Tensor {
    const size = this.size;
    const m = to - from;
    const buf = new Float32Array(m * size);
    for (let i = 0; i < m; i++) {
      const row = order[from + i]!;
      buf.set(this.data.subarray(row * size, (row + 1) * size), i * size);
    }
    return tf.tensor(buf, [m, ...this.shape]);
  }
}
