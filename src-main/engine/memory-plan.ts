import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';

/**
 * How much memory a training step needs, from the model's layers alone, so a run that cannot fit is refused before
 * its first batch with the batch size that would fit, instead of dying somewhere in the first step (on webgpu an
 * oversized buffer is not even an exception: the GPU reports a validation or out-of-memory error and tfjs computes
 * with an invalid buffer).
 *
 * What tfjs keeps during one step (trainOnBatch → optimizer.minimize → engine.gradients):
 * - every weight, its gradient, and the optimizer's slots (Adam: two per weight; SGD with momentum: one);
 * - every intermediate tensor of the forward pass, until the backward pass ends: gradients are computed inside one
 *   tidy scope, so the tape's tensors stay alive. A layer runs several ops (a conv with a bias: the conv and the
 *   bias add; a training-mode batch norm from tfjs-layers: x − mean, its square, the normalised output), each with an
 *   output of the layer's size;
 * - the gradient of every one of those tensors: the backward pass keeps them in its map until it ends.
 * So a layer's output counts TAPE_FACTOR times. Measured with tf.profile's peakBytes on the cpu backend: 6.2× the
 * layer outputs for bottleneck + squeeze-excitation blocks, 7.0× for the baseline CNN (dropout keeps a mask too); 7
 * errs on the safe side. memory-plan.test.ts measures it again, so a tfjs upgrade that changes this is caught.
 *
 * The workbench's fused wasm batch norm is built to keep fewer temporaries (not measured here), so on wasm the estimate
 * should err high; memory-limits.ts gives wasm no budget unless FER_TRAIN_MEMORY_MB sets one.
 */
const F32 = 4;

/** Bytes kept per byte of layer output during a training step (see above; measured, not guessed). */
export const TAPE_FACTOR = 7;

export interface TrainingMemory {
  /** Every weight (trainable or not), float32. */
  weightBytes: number;
  /** The trainable weights' gradients. */
  gradientBytes: number;
  /** The optimizer's slots for the trainable weights. */
  optimizerBytes: number;
  /** What one more sample in the batch adds: layer outputs (the input included) × TAPE_FACTOR. */
  perSampleBytes: number;
  /** The largest layer output for one sample (a single GPU buffer at batch b is b × this) and the layer giving it. */
  largestActivation: { layer: string; bytesPerSample: number };
  /** The largest weight (one buffer whatever the batch), and its layer. */
  largestWeight: { layer: string; bytes: number };
}

type LayerLike = tf.layers.Layer & { layers?: tf.layers.Layer[] };

function elements(shape: readonly (number | null)[]): number {
  // Skip the batch axis (null in a built model's output shape).
  return shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
}

function outputShapes(layer: tf.layers.Layer): (number | null)[][] {
  const s = layer.outputShape as (number | null)[] | (number | null)[][];
  return Array.isArray(s[0]) ? (s as (number | null)[][]) : [s as (number | null)[]];
}

/** A model's layers with nested models opened up (a nested model's own output is its last layer's, not counted twice). */
function leafLayers(model: LayerLike): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const l of model.layers ?? []) {
    const inner = l as LayerLike;
    if (inner.layers) out.push(...leafLayers(inner));
    else out.push(l);
  }
  return out;
}

/** Pure: the training memory of `model` under `optimizer`, from its layers' output shapes and weights. */
export function estimateTrainingMemory(model: tf.LayersModel, optimizer: TrainConfig['optimizer']): TrainingMemory {
  let weightBytes = 0;
  let trainableBytes = 0;
  let largestWeight = { layer: '', bytes: 0 };
  let perSample = 0;
  let largestActivation = { layer: '', bytesPerSample: 0 };
  for (const layer of leafLayers(model as unknown as LayerLike)) {
    for (const w of layer.weights) {
      const bytes = elements([null, ...w.shape]) * F32;
      weightBytes += bytes;
      if (w.trainable && layer.trainable) trainableBytes += bytes;
      if (bytes > largestWeight.bytes) largestWeight = { layer: layer.name, bytes };
    }
    for (const shape of outputShapes(layer)) {
      const bytes = elements(shape) * F32;
      perSample += bytes;
      if (bytes > largestActivation.bytesPerSample) largestActivation = { layer: layer.name, bytesPerSample: bytes };
    }
  }
  const slots = optimizer === 'adam' ? 2 : 1;
  return {
    weightBytes,
    gradientBytes: trainableBytes,
    optimizerBytes: slots * trainableBytes,
    perSampleBytes: perSample * TAPE_FACTOR,
    largestActivation,
    largestWeight,
  };
}

/** Total bytes of one training step at `batch`. */
export function bytesAtBatch(m: TrainingMemory, batch: number): number {
  return m.weightBytes + m.gradientBytes + m.optimizerBytes + batch * m.perSampleBytes;
}

/** What the backend can give: both optional, each with where it comes from (for the message). */
export interface MemoryLimits {
  backend: string;
  /** The largest single buffer (webgpu: min of maxStorageBufferBindingSize and maxBufferSize): a hard limit. */
  maxTensorBytes: number | null;
  maxTensorSource?: string;
  /** All of a step's tensors together. */
  budgetBytes: number | null;
  budgetSource?: string;
}

/** The largest batch that fits both limits: 0 when not even one sample fits; Infinity when nothing limits it. */
export function largestFittingBatch(m: TrainingMemory, limits: MemoryLimits): number {
  let max = Infinity;
  if (limits.maxTensorBytes !== null) {
    if (m.largestWeight.bytes > limits.maxTensorBytes) return 0;
    max = Math.min(max, Math.floor(limits.maxTensorBytes / m.largestActivation.bytesPerSample));
  }
  if (limits.budgetBytes !== null) {
    const fixed = bytesAtBatch(m, 0);
    max = Math.min(max, fixed > limits.budgetBytes ? 0 : Math.floor((limits.budgetBytes - fixed) / m.perSampleBytes));
  }
  return max;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** What the message says about the run: "resnet50 at 197×197". */
export interface RunShape {
  model: string;
  inputSize: number;
  batch: number;
}

function advice(fits: number): string {
  if (fits >= 1) return `The largest batch that fits is ${fits}: set batch to ${fits} or less, or a smaller input size.`;
  return `Not even batch 1 fits: use a smaller input size or model, or another backend.`;
}

/**
 * Throws when a step of `run` cannot fit `limits`, naming the limit, what the step needs, and the largest batch that
 * fits (computed from the same estimate, so training at that batch passes this check).
 */
export function checkTrainingMemory(m: TrainingMemory, limits: MemoryLimits, run: RunShape): void {
  const fits = largestFittingBatch(m, limits);
  if (run.batch <= fits) return;
  const what = `${run.model} at ${run.inputSize}×${run.inputSize}, batch ${run.batch}, on ${limits.backend}`;
  const details = { batch: run.batch, largestBatch: fits, needBytes: bytesAtBatch(m, run.batch), limits };
  if (limits.maxTensorBytes !== null && m.largestWeight.bytes > limits.maxTensorBytes) {
    throw new AppError(
      'INVALID_INPUT',
      `${what} cannot train: weight tensor of layer ${m.largestWeight.layer} takes ${formatBytes(m.largestWeight.bytes)}, over the ${formatBytes(limits.maxTensorBytes)} a single buffer may hold (${limits.maxTensorSource}). ${advice(0)}`,
      details,
    );
  }
  const bufferBytes = m.largestActivation.bytesPerSample * run.batch;
  if (limits.maxTensorBytes !== null && bufferBytes > limits.maxTensorBytes) {
    throw new AppError(
      'INVALID_INPUT',
      `${what} does not fit: the output of layer ${m.largestActivation.layer} takes ${formatBytes(bufferBytes)}, over the ${formatBytes(limits.maxTensorBytes)} a single buffer may hold (${limits.maxTensorSource}). ${advice(fits)}`,
      details,
    );
  }
  throw new AppError(
    'INVALID_INPUT',
    `${what} does not fit: a training step needs about ${formatBytes(bytesAtBatch(m, run.batch))} (weights, gradients and optimizer state ${formatBytes(bytesAtBatch(m, 0))}, activations kept for the backward pass ${formatBytes(run.batch * m.perSampleBytes)}), over the ${formatBytes(limits.budgetBytes!)} available (${limits.budgetSource}). ${advice(fits)}`,
    details,
  );
}
