import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, BN_TRAIN_GRAD } from '../wasm/batch-norm-train';
import { isRelu } from '../wasm/folded-inference';

/**
 * Training-mode BatchNormalization as one op with its own gradient, where the wasm kernels for it exist.
 *
 * tfjs-layers builds a training-mode batch norm from tf.moments (Mean, Sub, Square, Mean) and tf.batchNorm, and
 * autodiff then runs each of those backwards: about 15 full-size passes and temporaries per layer, a third of a
 * baseline training step on wasm once the convolutions were fast. Here the forward is two passes (moments, affine)
 * and the backward two (two sums, dx), in kernels/batch_norm.c on the kernel threads.
 *
 * When the layer's only consumer is a plain ReLU layer, the ReLU is fused in too (forward max(y, 0), backward mask
 * recomputed from x) and the ReLU layer passes the result through: two more full passes saved each way.
 *
 * Like frozen-bn.ts, this patches BatchNormalization's `call` on its prototype, so checkpoints stay plain
 * 'BatchNormalization' layers and models reloaded from them take the same path. Anything the kernels do not cover
 * (another backend, a non-channels-last axis, channels not a multiple of 4, center/scale off, a frozen layer, or
 * inference) goes to the original call untouched. The moving averages are updated with tfjs-layers' own formula.
 */
const PATCHED = Symbol.for('fer.fusedBatchNormTrainingPatched');

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

interface LayerVariable {
  read(): tf.Tensor;
  write(t: tf.Tensor): void;
}

interface BatchNormInternals {
  trainable: boolean;
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

let enabled = process.env.FER_FUSED_BN !== '0';
/** Off: every BatchNormalization runs tfjs-layers' own code (FER_FUSED_BN=0 at start-up does the same). */
export function setFusedBatchNormEnabled(on: boolean): void {
  enabled = on;
}
export function fusedBatchNormEnabled(): boolean {
  return enabled;
}

let fuseRelu = process.env.FER_FUSED_BN_RELU !== '0';
/** Off: a ReLU after a batch norm runs as its own layer again (FER_FUSED_BN_RELU=0 at start-up). */
export function setFusedReluEnabled(on: boolean): void {
  fuseRelu = on;
}
export function fusedReluEnabled(): boolean {
  return fuseRelu;
}

function applies(layer: BatchNormInternals, x: tf.Tensor, training: unknown): boolean {
  const rank = x.rank;
  return (
    enabled &&
    training === true &&
    layer.trainable &&
    layer.center &&
    layer.scale &&
    x.dtype === 'float32' &&
    (layer.axis === -1 || layer.axis === rank - 1) &&
    x.shape[rank - 1]! % 4 === 0 &&
    tf.getBackend() === 'wasm' &&
    tf.getKernel(BN_TRAIN, 'wasm') !== undefined
  );
}

/** Outputs of a batch norm with its ReLU fused in: already rectified, so the ReLU layer passes them through. */
const rectified = new WeakSet<tf.Tensor>();

interface GraphLinks {
  outboundNodes?: { outboundLayer?: tf.layers.Layer }[];
  inboundNodes?: unknown[];
}

/** The layer's only consumer is a plain ReLU layer that consumes nothing else (so it may take over its work). */
function feedsOnlyRelu(layer: BatchNormInternals): boolean {
  const out = (layer as unknown as GraphLinks).outboundNodes;
  if (!out || out.length !== 1) return false;
  const next = out[0]!.outboundLayer;
  return !!next && isRelu(next) && ((next as unknown as GraphLinks).inboundNodes?.length ?? 0) === 1;
}

function fusedCall(layer: BatchNormInternals, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const stats: tf.Tensor[] = [];
    const epsilon = layer.epsilon;
    const relu = fuseRelu && feedsOnlyRelu(layer);
    const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x: input, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
      save([input, mean!, variance!, gamma, beta]);
      // customGrad runs this in a tidy; the statistics must outlive it for the moving averages below.
      stats.push(tf.keep(mean!), tf.keep(variance!));
      return {
        value: y!,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, smean, svariance, sgamma, sbeta] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const grads = tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: sx, mean: smean, variance: svariance, gamma: sgamma, beta: sbeta }, { epsilon, relu }) as tf.Tensor[];
          return grads.slice(0, 3);
        },
      };
    });
    const y = normalize(x, layer.gamma.read(), layer.beta.read());
    if (relu) rectified.add(y);
    try {
      const [mean, variance] = stats as [tf.Tensor, tf.Tensor];
      // tfjs-layers' doMovingAverage: v ← v − (v − batch)·(1 − momentum)
      for (const [variable, value] of [
        [layer.movingMean, mean],
        [layer.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - layer.momentum)));
        });
      }
    } finally {
      tf.dispose(stats);
    }
    return y;
  });
}

/** One of each ReLU layer class: their prototypes are what the pass-through patches. */
function reluLayers(): tf.layers.Layer[] {
  return [tf.layers.reLU(), tf.layers.activation({ activation: 'relu' })];
}

/** Whether the ReLU pass-through is on both ReLU layer classes (read from the prototypes, for the patch report). */
export function reluPassThroughInstalled(): boolean {
  return reluLayers().every((l) => (Object.getPrototypeOf(l) as { [PATCHED]?: true })[PATCHED] === true);
}

/**
 * ReLU layers pass a fused batch norm's output through: it is already rectified, and the batch norm's gradient
 * applies the ReLU's mask. (relu of a non-negative tensor is the identity anyway; only the kink at 0 differs, and
 * the fused gradient zeroes it, as ReLU's own would.)
 */
export function installReluPassThrough(): void {
  for (const layer of reluLayers()) {
    const proto = Object.getPrototypeOf(layer) as { call: CallFn; [PATCHED]?: true };
    if (proto[PATCHED]) continue;
    const original = proto.call;
    proto.call = function reluPassThrough(this: tf.layers.Layer, inputs, kwargs) {
      const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
      if (x instanceof tf.Tensor && rectified.has(x) && isRelu(this)) return tf.clone(x);
      return original.call(this, inputs, kwargs);
    };
    proto[PATCHED] = true;
  }
}

function batchNormPrototype(): { call: CallFn; [PATCHED]?: true } {
  return Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: CallFn; [PATCHED]?: true };
}

/** Whether BatchNormalization's `call` is the fused one (read from the prototype, for the patch report). */
export function fusedBatchNormTrainingInstalled(): boolean {
  return batchNormPrototype()[PATCHED] === true;
}

/** The batch norm half; the ReLU layers' half is installReluPassThrough (patches/registry.ts installs both on wasm). */
export function installFusedBatchNormTraining(): void {
  const proto = batchNormPrototype();
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function fusedTrainingCall(this: tf.layers.Layer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const layer = this as unknown as BatchNormInternals;
    if (x && (!Array.isArray(inputs) || inputs.length === 1) && applies(layer, x, kwargs?.training)) return fusedCall(layer, x);
    return original.call(this, inputs, kwargs);
  };
  proto[PATCHED] = true;
}

