import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { prepareBatch } from './input';
import type { InputSpec } from './models/registry';
import { foldedPredict } from './wasm/folded-inference';

export interface LabelledPixels {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
  /** samples.id of each row, where the rows come from a dataset (the feature store keys its rows by them). */
  ids?: Int32Array;
}

export interface EvalResult {
  loss: number;
  acc: number;
  /** 7×7 counts, row = true label, column = predicted. */
  confusion: Int32Array;
  n: number;
}

/** Inference-mode loss, accuracy and confusion over a whole split, in chunks so memory stays flat. */
export function evaluateSplit(model: tf.LayersModel, data: LabelledPixels, spec: InputSpec, chunk = 256): Promise<EvalResult> {
  return evaluateInputs(model, data.labels, data.n, (from, m) => prepareBatch(data.pixels.subarray(from * PIXELS_PER_IMAGE, (from + m) * PIXELS_PER_IMAGE), m, spec), chunk);
}

/**
 * The same over any input source: `input(from, m)` gives rows from..from+m as one batch (pixels prepared for
 * the model, or a frozen base's cached features for its head). It runs inside a tidy that frees it.
 */
export async function evaluateInputs(model: tf.LayersModel, allLabels: Uint8Array, n: number, input: (from: number, m: number) => tf.Tensor | tf.Tensor[], chunk = 256): Promise<EvalResult> {
  const confusion = new Int32Array(NUM_CLASSES * NUM_CLASSES);
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < n; from += chunk) {
    const m = Math.min(chunk, n - from);
    const labels = allLabels.subarray(from, from + m);
    const [ceT, predsT] = tf.tidy(() => {
      // BN folded into the convs where the model is a plain chain: the same numbers, ~15% faster on wasm.
      const x = input(from, m);
      const p = ((Array.isArray(x) ? null : foldedPredict(model, x)) ?? model.predict(x)) as tf.Tensor2D;
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), NUM_CLASSES).toFloat();
      const ce = y.mul(p.clipByValue(1e-7, 1 - 1e-7).log()).sum().neg();
      return [ce, p.argMax(1)] as const;
    });
    // data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
    const lossPart = (await ceT.data())[0]!;
    const preds = (await predsT.data()) as Int32Array;
    tf.dispose([ceT, predsT]);
    lossSum += lossPart;
    for (let i = 0; i < m; i++) {
      const t = labels[i]!;
      const p = preds[i]!;
      confusion[t * NUM_CLASSES + p]! += 1;
      if (t === p) correct++;
    }
  }
  return { loss: n ? lossSum / n : NaN, acc: n ? correct / n : NaN, confusion, n };
}
