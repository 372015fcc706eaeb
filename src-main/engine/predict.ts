import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { foldedPredict } from './wasm/folded-inference';
import { applyView, IDENTITY_VIEW, type TtaView } from './tta';

/** Turns n packed 48×48 faces into the model's input tensor (the training engineer's prepareBatch, bound to a spec). */
export type PrepareFn = (pixels: Uint8Array, n: number) => tf.Tensor4D;

export interface PredictOptions {
  prepare: PrepareFn;
  batch?: number;
  /** Views to average; defaults to the original only. */
  views?: readonly TtaView[];
  /** Called after each batch with images × views done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; throwing from it (e.g. on cancel) stops the loop. */
  signal?: AbortSignal;
  /**
   * For a model whose outputs are not FER2013's 7 in order (an external model): FER class i's probability is
   * output outputMap[i]'s, renormalised over the mapped outputs (an unmapped output such as contempt drops out).
   */
  outputMap?: readonly number[];
}

/**
 * Batched prediction over packed faces, averaging softmax probabilities over the views.
 * Returns n×7 float32, row-major. Yields to the event loop between batches so progress and
 * cancel messages get through.
 */
/** A layers model, or a tfjs graph model (an imported external model, inference only). */
export type Predictor = tf.LayersModel | tf.GraphModel;

export async function predictProbs(model: Predictor, pixels: Uint8Array, n: number, opts: PredictOptions): Promise<Float32Array> {
  const batch = opts.batch ?? 128;
  const views = opts.views?.length ? opts.views : [IDENTITY_VIEW];
  if (pixels.length < n * PIXELS_PER_IMAGE) throw new RangeError(`predictProbs: ${pixels.length} bytes for ${n} faces`);
  const out = new Float32Array(n * NUM_CLASSES);
  const total = n * views.length;
  let done = 0;
  for (let start = 0; start < n; start += batch) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
    const m = Math.min(batch, n - start);
    const chunk = pixels.subarray(start * PIXELS_PER_IMAGE, (start + m) * PIXELS_PER_IMAGE);
    const sum = new Float64Array(m * NUM_CLASSES);
    for (const view of views) {
      const viewed = applyView(chunk, m, view);
      const probs = tf.tidy(() => {
        const x = opts.prepare(viewed, m);
        // conv → BN → ReLU folded into one fused conv where the model is a plain chain (same result, fewer passes).
        const y = (model instanceof tf.LayersModel ? foldedPredict(model, x) : null) ?? (model.predict(x) as tf.Tensor);
        const p = asProbabilities(y);
        return opts.outputMap ? mapOutputs(p, opts.outputMap) : p;
      });
      const data = (await probs.data()) as Float32Array;
      probs.dispose();
      if (data.length !== m * NUM_CLASSES) throw new Error(`model returned ${data.length / m} outputs per face, expected ${NUM_CLASSES}`);
      for (let j = 0; j < data.length; j++) sum[j]! += data[j]!;
      done += m;
      opts.onProgress?.(done, total);
    }
    for (let j = 0; j < sum.length; j++) out[start * NUM_CLASSES + j] = sum[j]! / views.length;
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

/**
 * Models end in a softmax, but a checkpoint built with raw logits must not be scored as if they
 * were probabilities: a batch whose rows are not already distributions gets a softmax. Decided on the device
 * (a select, no read-back): a GPU backend (webgpu in Node) cannot read back synchronously inside a tidy.
 */
function asProbabilities(y: tf.Tensor): tf.Tensor2D {
  const y2 = y.reshape([y.shape[0]!, -1]) as tf.Tensor2D;
  const maxDev = y2.sum(1).sub(1).abs().max();
  const isDistribution = tf.logicalAnd(tf.greaterEqual(y2.min(), 0), tf.less(maxDev, 1e-3));
  return tf.where(tf.broadcastTo(isDistribution, y2.shape), y2, tf.softmax(y2)) as tf.Tensor2D;
}

/** Picks the FER2013 classes' columns out of a model's outputs, rows renormalised to sum to 1. */
export function mapOutputs(p: tf.Tensor2D, outputMap: readonly number[]): tf.Tensor2D {
  if (p.shape[1] !== undefined && outputMap.some((j) => j >= p.shape[1])) {
    throw new Error(`outputMap points at output ${Math.max(...outputMap)}, but the model has ${p.shape[1]} outputs`);
  }
  const picked = tf.gather(p, tf.tensor1d([...outputMap], 'int32'), 1);
  return picked.div(picked.sum(1, true).maximum(1e-12));
}
