import * as tf from '@tensorflow/tfjs';
import { totalmem } from 'node:os';
import type { TrainConfig } from '../../src-shared/contract/runs';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { isFlipOnly, isIdentity } from './augment';
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
  /** Flip-only augmentation: each training face's mirrored view is cached too, and a batch takes the view its draw picks. */
  mirror?: boolean;
  /** What the feature store gave (train() fills it in once it has looked): faces reused and computed, under which key. */
  store?: { key: string; reused: number; computed: number };
}

/**
 * In-memory budget for cached features (all splits together): a quarter of the machine's memory, at least 2 GiB.
 * Cutting faceres at conv_dw_12 keeps 25,600 values a face, 3.3 GB for FER2013's 32,298 training and validation faces.
 */
export function featureCacheMaxBytes(): number {
  return Math.max(2 ** 31, Math.floor(totalmem() / 4));
}

/** Index of the first head layer = the number of base layers; -1 when the model has no pretrained-style head. */
export function headStart(model: tf.LayersModel): number {
  return model.layers.findIndex((l) => l.name.startsWith(HEAD_LAYER_PREFIX));
}

type Layer = tf.layers.Layer;
type Sym = tf.SymbolicTensor;

/** The layers a layer reads, from the graph the model was built as (node 0: later re-applications add nodes). */
function inboundOf(layer: Layer): Layer[] {
  return (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes[0]?.inboundLayers ?? [];
}

/** What a layer gave in the model's own graph, whatever it was applied to since. */
function outputOf(layer: Layer): Sym {
  return layer.getOutputAt(0) as Sym;
}

/**
 * Where a model splits for caching. Whole base frozen: at the base's last layer (its features). Part of it
 * frozen (`freeze` < the base's layers): after the frozen layers, plus the weightless layers that read only frozen
 * outputs (faceres' tapped pools), since they too compute the same thing every epoch; the cache then holds the
 * outputs the training layers read (`boundary`), e.g. conv_dw_12's 7×7×512 map and conv_pw_11's 512-value pool.
 */
export interface CacheCut {
  /** The layers that run once, before training. */
  frozen: Set<Layer>;
  /** Frozen layers whose outputs trainable layers read, in model order: what the cache holds. */
  boundary: Layer[];
  /** true when the cut falls inside the base (some base layers train). */
  partial: boolean;
}

export function cacheCut(model: tf.LayersModel, freeze: number): CacheCut | null {
  const start = headStart(model);
  if (start <= 0) return null;
  if (freeze >= start) return { frozen: new Set(model.layers.slice(0, start)), boundary: [model.layers[start - 1]!], partial: false };
  const frozen = new Set(model.layers.slice(0, Math.max(0, freeze)));
  for (const layer of model.layers.slice(freeze, start)) {
    const ins = inboundOf(layer);
    if (layer.weights.length === 0 && ins.length > 0 && ins.every((l) => frozen.has(l))) frozen.add(layer);
  }
  const read = new Set<Layer>();
  for (const layer of model.layers) if (!frozen.has(layer)) for (const l of inboundOf(layer)) if (frozen.has(l)) read.add(l);
  return { frozen, boundary: model.layers.filter((l) => read.has(l)), partial: true };
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const shapeOf = (layer: Layer): number[] => (outputOf(layer).shape as (number | null)[]).slice(1).map((d) => d ?? 1);

/**
 * Whether and how a run caches. `samples`: the faces of every split it caches; `trainSamples`: those of the training
 * split, which with flip-only augmentation are cached a second time, mirrored.
 */
export function planFeatureCache(cfg: Pick<TrainConfig, 'cacheFeatures' | 'augment' | 'freeze'>, model: tf.LayersModel, samples: number, trainSamples = 0): CachePlan {
  if (!cfg.cacheFeatures) return { applies: false, reason: 'Feature caching is off (cacheFeatures: false).' };
  const cut = cacheCut(model, cfg.freeze);
  if (!cut) return { applies: false, reason: `Feature caching needs a pretrained base with a separate head; ${model.name} has none.` };
  const mirror = isFlipOnly(cfg.augment);
  if (!isIdentity(cfg.augment) && !mirror) {
    return { applies: false, reason: 'Feature caching does not apply: rotation, zoom or shift changes the base\'s input every epoch, so its features cannot be reused (a flip alone can: each face\'s mirror is cached too).' };
  }
  const weighted = [...cut.frozen].some((l) => l.weights.length > 0);
  if (!weighted) return { applies: false, reason: `Feature caching does not apply: freeze ${cfg.freeze} leaves no pretrained layer frozen, so there is nothing to compute once.` };
  const featureSize = cut.boundary.reduce((a, l) => a + sizeOf(shapeOf(l)), 0);
  const bytes = featureSize * 4 * (samples + (mirror ? trainSamples : 0));
  const max = featureCacheMaxBytes();
  if (bytes > max) {
    const freezeMore = cut.partial ? ' Freeze more layers,' : '';
    return { applies: false, reason: `Feature caching does not apply: ${samples} images × ${featureSize} values would take ${(bytes / 2 ** 30).toFixed(1)} GiB (limit ${(max / 2 ** 30).toFixed(1)} GiB, a quarter of this machine's memory).${freezeMore} Lower inputSize or limitTrain.` };
  }
  const views = mirror ? ' Each training face is cached as it is and mirrored; each batch takes the view its flip draw picks.' : '';
  if (!cut.partial) return { applies: true, reason: `Caching the frozen base's ${featureSize} features per image: the base runs once, later epochs train only the head.${views}`, featureSize, mirror };
  const at = cut.boundary.map((l) => `${l.name} ${shapeOf(l).join('×')}`).join(', ');
  const trains = model.layers.find((l, i) => i >= cfg.freeze && !cut.frozen.has(l))!.name;
  return {
    applies: true,
    reason: `Caching the outputs of the ${cut.frozen.size} frozen layers (${at}: ${featureSize} values per image): they run once; each epoch trains from ${trains} on, with the head.${views}`,
    featureSize,
    mirror,
  };
}

/**
 * The frozen part (input → the cached outputs) and the training part (cached outputs → probabilities) of one model,
 * sharing its layers. `cut` names the boundary layers when the cut falls inside the base (null: the whole base).
 */
export function splitForCache(model: tf.LayersModel, freeze: number): { base: tf.LayersModel; head: tf.LayersModel; cut: string[] | null } {
  const cut = cacheCut(model, freeze);
  if (!cut) throw new Error(`${model.name} has no head layers named ${HEAD_LAYER_PREFIX}*`);
  const outputs = cut.boundary.map(outputOf);
  const base = tf.model({ inputs: model.inputs, outputs: outputs.length === 1 ? outputs[0]! : outputs, name: `${model.name}_base` });
  // Re-applying the training layers to new inputs shares their weights with `model`.
  const inputs = cut.boundary.map((l) => tf.input({ shape: shapeOf(l), name: cut.partial ? `${l.name}_cached` : 'features' }));
  const mapped = new Map<Layer, Sym>(cut.boundary.map((l, i) => [l, inputs[i]!]));
  for (const layer of model.layers) {
    if (cut.frozen.has(layer)) continue;
    const ins = inboundOf(layer).map((l) => mapped.get(l)!);
    mapped.set(layer, layer.apply(ins.length === 1 ? ins[0]! : ins) as Sym);
  }
  const out = mapped.get(model.outputLayers[0]!)!;
  const head = tf.model({ inputs: inputs.length === 1 ? inputs[0]! : inputs, outputs: out, name: `${model.name}_head` });
  return { base, head, cut: cut.partial ? cut.boundary.map((l) => l.name) : null };
}

/** The frozen base (input → features) and the head (features → probabilities) of one model, sharing its layers. */
export function splitAtHead(model: tf.LayersModel): { base: tf.LayersModel; head: tf.LayersModel } {
  const { base, head } = splitForCache(model, Number.POSITIVE_INFINITY);
  return { base, head };
}

/** The shapes of one image's cached values (each of the base's outputs without the batch axis). */
export function featureShapesOf(base: tf.LayersModel): number[][] {
  return base.outputs.map((o) => (o.shape as (number | null)[]).slice(1) as number[]);
}

/** Features of one split, computed once by the frozen base, in the split's sample order. */
export class CachedFeatures {
  /** Values per image: the outputs' sizes added up (a row holds them side by side, flattened). */
  readonly size: number;

  private constructor(
    readonly data: Float32Array,
    readonly n: number,
    /** One shape per output of the frozen part (without the batch axis). */
    readonly shapes: number[][],
  ) {
    this.size = shapes.reduce((a, s) => a + sizeOf(s), 0);
  }

  /** onChunk after each chunk with the rows done so far; resolving false abandons the work (compute returns null). */
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk?: number): Promise<CachedFeatures>;
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk: number, onChunk: (done: number) => Promise<boolean> | boolean): Promise<CachedFeatures | null>;
  static async compute(base: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, chunk = 64, onChunk?: (done: number) => Promise<boolean> | boolean): Promise<CachedFeatures | null> {
    const shapes = featureShapesOf(base);
    const data = new Float32Array(n * shapes.reduce((a, s) => a + sizeOf(s), 0));
    return (await CachedFeatures.fill(base, pixels, null, n, spec, data, chunk, onChunk)) ? new CachedFeatures(data, n, shapes) : null;
  }

  /** Features already in memory (the feature store's rows, with the missing ones filled in), in split order. */
  static of(data: Float32Array, n: number, shapes: number[][]): CachedFeatures {
    return new CachedFeatures(data, n, shapes);
  }

  /**
   * Computes the features of `rows` (indices into the split, in the order given; null: all n rows in order) into their
   * places in `data` (n × size), chunk by chunk, calling onChunk with the rows done so far. false when abandoned.
   */
  static async fill(base: tf.LayersModel, pixels: Uint8Array, rows: ArrayLike<number> | null, n: number, spec: InputSpec, data: Float32Array, chunk = 64, onChunk?: (done: number) => Promise<boolean> | boolean): Promise<boolean> {
    const size = featureShapesOf(base).reduce((a, s) => a + sizeOf(s), 0);
    const count = rows ? rows.length : n;
    const buf = rows ? new Uint8Array(chunk * PIXELS_PER_IMAGE) : null;
    for (let from = 0; from < count; from += chunk) {
      const m = Math.min(chunk, count - from);
      const batch = rows ? gatherRows(pixels, rows, from, from + m, buf!) : pixels.subarray(from * PIXELS_PER_IMAGE, (from + m) * PIXELS_PER_IMAGE);
      const out = tf.tidy(() => {
        const y = base.predict(prepareBatch(batch, m, spec));
        // Several outputs: each image's values side by side, in output order (rows() splits them again).
        return Array.isArray(y) ? tf.concat(y.map((t) => t.reshape([m, -1])), 1) : y;
      });
      // data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
      const values = (await out.data()) as Float32Array;
      out.dispose();
      if (rows) for (let i = 0; i < m; i++) data.set(values.subarray(i * size, (i + 1) * size), rows[from + i]! * size);
      else data.set(values, from * size);
      if (onChunk && !(await onChunk(from + m))) return false;
    }
    return true;
  }

  /** The features of rows from..to in split order, as the frozen part's outputs (evaluation reads them in order). */
  rows(from: number, to: number): tf.Tensor | tf.Tensor[] {
    return this.tensors((i) => from + i, to - from);
  }

  /**
   * The features of rows order[from..to), as the head's input batch; with `mirrored`, the i-th row comes from those
   * mirrored views where flips[i] is 1.
   */
  gather(order: ArrayLike<number>, from: number, to: number, mirrored?: { views: CachedFeatures; flips: Uint8Array }): tf.Tensor | tf.Tensor[] {
    return this.tensors((i) => order[from + i]!, to - from, mirrored ? (i) => (mirrored.flips[i] ? mirrored.views.data : this.data) : undefined);
  }

  /** m rows (row(i) gives the i-th, source(i) the array it is read from) as one tensor per output. */
  private tensors(row: (i: number) => number, m: number, source?: (i: number) => Float32Array): tf.Tensor | tf.Tensor[] {
    const size = this.size;
    const parts = this.shapes.map((shape) => ({ shape, len: sizeOf(shape), buf: new Float32Array(m * sizeOf(shape)) }));
    for (let i = 0; i < m; i++) {
      let at = row(i) * size;
      const data = source?.(i) ?? this.data;
      for (const p of parts) {
        p.buf.set(data.subarray(at, at + p.len), i * p.len);
        at += p.len;
      }
    }
    const out = parts.map((p) => tf.tensor(p.buf, [m, ...p.shape]));
    return out.length === 1 ? out[0]! : out;
  }
}
