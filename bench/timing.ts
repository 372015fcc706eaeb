import * as tf from '@tensorflow/tfjs';
import { foldedPredict } from '../src-main/engine/wasm/folded-inference';

export interface BenchData {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  n: number;
}

/** Random images and labels, as the peer uses (uniform pixels, uniform classes). */
export function randomData(n: number, seed = 0): BenchData {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 48, 48, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    const labels = tf.floor(tf.randomUniform([n], 0, 7, 'float32', seed + 1)).toInt();
    return { x, y: tf.oneHot(labels, 7).toFloat() as tf.Tensor2D, n };
  });
}

/** One training step exactly like the peer's: forward in training mode, softmax CE on logits, backward, Adam. */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, xb: tf.Tensor, yb: tf.Tensor): void {
  tf.tidy(() => {
    optimizer.minimize(() => {
      const logits = model.apply(xb, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
    }, false);
  });
}

/**
 * One epoch, timed to when its last update has landed: a GPU backend queues work and returns at once, so the clock
 * stops only after a weight is read back (a microtask on wasm and cpu).
 */
export async function trainEpoch(model: tf.LayersModel, optimizer: tf.Optimizer, data: BenchData, batch: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < data.n; i += batch) {
    const size = Math.min(batch, data.n - i);
    const xb = data.x.slice([i, 0, 0, 0], [size, 48, 48, 1]);
    const yb = data.y.slice([i, 0], [size, 7]);
    trainStep(model, optimizer, xb, yb);
    tf.dispose([xb, yb]);
  }
  await model.trainableWeights[0]!.read().data();
  return (performance.now() - t0) / 1000;
}

/** Inference mode, softmax probabilities read back per batch (the peer's eval pass); data(), which GPUs allow in Node. */
export async function evalPass(model: tf.LayersModel, data: BenchData, batch: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < data.n; i += batch) {
    const size = Math.min(batch, data.n - i);
    const probs = tf.tidy(() => {
      const xb = data.x.slice([i, 0, 0, 0], [size, 48, 48, 1]);
      // The app's inference path (predict.ts): conv → BN → ReLU folded into one fused conv where the model allows.
      return tf.softmax(foldedPredict(model, xb) ?? (model.predict(xb, { batchSize: size }) as tf.Tensor));
    });
    await probs.data();
    probs.dispose();
  }
  return (performance.now() - t0) / 1000;
}
