import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-layers runs a BatchNormalization layer in training mode during fit even when the layer is frozen
 * (trainable = false): it normalises with the batch's statistics and overwrites the pretrained moving
 * averages. Keras (TF 2.x) runs a frozen BN layer in inference mode instead, which is what fine-tuning a
 * pretrained base needs (and what makes cached base features equal to the live base's output).
 *
 * We patch BatchNormalization's `call` once, on its prototype, so a frozen BN layer always normalises with
 * its stored statistics. Patching the prototype (rather than subclassing) keeps checkpoints plain
 * 'BatchNormalization' layers that load anywhere, and applies to models reloaded from a checkpoint too.
 * Trainable BN layers are untouched, so every other model behaves exactly as before.
 */
const PATCHED = Symbol.for('fer.frozenBatchNormPatched');

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

function batchNormPrototype(): { call: CallFn; [PATCHED]?: true } {
  return Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: CallFn; [PATCHED]?: true };
}

/** Whether the patch is on BatchNormalization's prototype (for the patch report). */
export function frozenBatchNormInstalled(): boolean {
  return batchNormPrototype()[PATCHED] === true;
}

export function installFrozenBatchNorm(): void {
  const proto = batchNormPrototype();
  if (proto[PATCHED]) return;
  const original = proto.call;
  proto.call = function patchedCall(this: tf.layers.Layer, inputs, kwargs) {
    const frozen = !this.trainable;
    return original.call(this, inputs, frozen ? { ...kwargs, training: false } : kwargs);
  };
  proto[PATCHED] = true;
}

