import * as tf from '@tensorflow/tfjs';
import { DROPOUT_KERNEL, dropoutMask } from '../dropout-mask';

/**
 * Training-mode Dropout with a seed draws its mask from a counter-based hash instead of tfjs's generator.
 *
 * tf.dropout draws one uniform number per element with seedrandom's alea, in JS (~8 ns each): 2.3 ms of every
 * baseline training step for its 64×4608 activations, more than a max pool, and then three more full-size ops build
 * the multiplier. Here element i keeps its value when hash(seed, i) / 2³² ≥ rate, where the hash is murmur3's 32-bit
 * finaliser over a Weyl sequence, and the kept values are multiplied by exactly what tfjs multiplies by
 * (floor(u + keep) / keep in float32). On wasm one SIMD kernel computes mask and product in a pass on the kernel
 * threads (~0.1 ms), and the gradient is the same kernel on dy; elsewhere the mask is built in JS (the same bits,
 * about as slow as tfjs's). The mask (dropout-mask.ts) is a pure function of (seed, index), so a run stays reproducible; the trainer
 * sets each Dropout layer's seed per batch.
 *
 * Like the batch-norm patches, this replaces Dropout's `call` on its prototype, so checkpoints stay plain 'Dropout'
 * layers. Layers without an integer seed, with a noiseShape, or outside training go to the original call.
 */
const PATCHED = Symbol.for('fer.fastDropoutPatched');

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

interface DropoutInternals {
  rate: number;
  seed?: number;
  noiseShape?: unknown;
  invokeCallHook?(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

/** y = x · mask has dx = dy · mask: the gradient is the same kernel on dy. */
const dropoutGradConfig: tf.GradConfig = {
  kernelName: DROPOUT_KERNEL,
  gradFunc: (dy, _saved, attrs) => ({ x: () => tf.engine().runKernel(DROPOUT_KERNEL, { x: dy as tf.Tensor }, attrs) as tf.Tensor }),
};

function applies(layer: DropoutInternals, x: tf.Tensor | undefined, training: unknown): x is tf.Tensor {
  return (
    x !== undefined &&
    training === true &&
    layer.rate > 0 &&
    layer.rate < 1 &&
    layer.noiseShape == null &&
    typeof layer.seed === 'number' &&
    Number.isInteger(layer.seed) &&
    x.dtype === 'float32'
  );
}

function dropoutPrototype(): { call: CallFn; [PATCHED]?: true } {
  return Object.getPrototypeOf(tf.layers.dropout({ rate: 0.5 })) as { call: CallFn; [PATCHED]?: true };
}

/** Whether Dropout's `call` is the hashed-mask one (read from the prototype, for the patch report). */
export function fastDropoutInstalled(): boolean {
  return dropoutPrototype()[PATCHED] === true;
}

export function installFastDropout(): void {
  const proto = dropoutPrototype();
  if (proto[PATCHED]) return;
  tf.registerGradient(dropoutGradConfig);
  const original = proto.call;
  proto.call = function fastDropoutCall(this: tf.layers.Layer, inputs, kwargs) {
    const layer = this as unknown as DropoutInternals;
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (!applies(layer, x, kwargs?.training)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      layer.invokeCallHook?.(inputs, kwargs);
      if (tf.getKernel(DROPOUT_KERNEL, tf.getBackend()) !== undefined) {
        return tf.engine().runKernel(DROPOUT_KERNEL, { x }, { rate: layer.rate, seed: layer.seed! }) as tf.Tensor;
      }
      return tf.mul(x, tf.tensor(dropoutMask(x.size, layer.rate, layer.seed!), x.shape, 'float32'));
    });
  };
  proto[PATCHED] = true;
}
