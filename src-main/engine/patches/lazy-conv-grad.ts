import * as tf from '@tensorflow/tfjs';
import { CONV_FILTER_BIAS_GRAD } from '../wasm/conv2d-backprop-filter';
import { silenceOverrideWarning } from '../wasm/kernel-call';

/**
 * Conv layers whose gradient computes only what the tape needs, with the bias gradient from the filter gradient's
 * own pass over dy.
 *
 * tfjs-layers runs every Conv2D through tf.fused.conv2d, whose custom gradient computes dx, dW and db together,
 * eagerly. For a layer fed by the model's input, dx is the gradient of the images: nobody asks for it in training,
 * and on the peer net it costs as much as the layer's filter gradient (3 ms of a ~105 ms step on wasm). For a frozen
 * layer (transfer learning), dW and db are not wanted either. And db is a separate full pass over dy.
 *
 * So conv layers (patched `call` on Conv2D's prototype, as frozen-bn.ts does for BatchNormalization) run the same
 * FusedConv2D kernel through tf.engine().runKernel, and the kernel gets a registered gradient with one lazy function
 * per input. The tape then computes only the gradients on a path to what is differentiated: dW and db when training,
 * dx where a layer below trains or something differentiates with respect to the images (a saliency map), so nothing
 * changes but the work skipped. dW and db come from one kernel where the backend has it (wasm: the Winograd filter
 * gradient sums dy as it goes). Only plain cases take this path (NHWC, rank-2 conv, linear activation, undilated,
 * 'same' or 'valid' padding); the rest go to the original call.
 */
const PATCHED = Symbol.for('fer.lazyConvGradPatched');

type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

interface ConvInternals {
  rank: number;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string };
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
}

let enabled = process.env.FER_LAZY_CONV_GRAD !== '0';
/** Off: conv layers run tfjs-layers' own fused conv and its eager gradient (FER_LAZY_CONV_GRAD=0 at start-up). */
export function setLazyConvGradEnabled(on: boolean): void {
  enabled = on;
}
export function lazyConvGradEnabled(): boolean {
  return enabled;
}

interface FusedAttrs {
  strides: number[];
  pad: 'same' | 'valid';
  dataFormat: 'NHWC';
  dilations: number[];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: string;
  /** Ours, ignored by the conv kernels: the conv has a bias, so its gradient takes db from the filter gradient's pass. */
  hasBias?: boolean;
}

/** FusedConv2D's gradient as the registry form: one function per input, each run only if the tape needs it. */
const fusedConvGradConfig: tf.GradConfig = {
  kernelName: 'FusedConv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as FusedAttrs;
    const d = dy as tf.Tensor4D;
    if (a.activation !== 'linear') throw new Error(`FusedConv2D's registered gradient covers the linear activation only, not ${a.activation}`);
    const conv: tf.NamedAttrMap = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat };
    if (a.dimRoundingMode) conv.dimRoundingMode = a.dimRoundingMode;
    // Filled by the filter's gradient where one kernel computes both (the tape asks for x, filter, bias in order).
    let db: Float32Array | null = null;
    return {
      x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: d, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
      filter: () => {
        if (!a.hasBias || tf.getKernel(CONV_FILTER_BIAS_GRAD, tf.getBackend()) === undefined) {
          return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: d }, { ...conv, filterShape: filter.shape }) as tf.Tensor;
        }
        const [dw, dbT] = tf.engine().runKernel(CONV_FILTER_BIAS_GRAD, { x, dy: d }, { ...conv, filterShape: filter.shape }) as unknown as tf.Tensor[];
        db = dbT!.dataSync() as Float32Array; // co values; the tensor goes with this gradient's tidy
        return dw!;
      },
      bias: () => (db ? tf.tensor1d(db) : tf.sum(d, [0, 1, 2])),
    };
  },
};

function applies(layer: ConvInternals, x: tf.Tensor): boolean {
  return (
    enabled &&
    x.rank === 4 &&
    layer.rank === 2 &&
    layer.dataFormat === 'channelsLast' &&
    (layer.padding === 'same' || layer.padding === 'valid') &&
    layer.dilationRate.every((d) => d === 1) &&
    layer.activation.getClassName() === 'linear'
  );
}

function convPrototype(): { call: CallFn; [PATCHED]?: true } {
  return Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })) as { call: CallFn; [PATCHED]?: true };
}

/** Whether Conv2D's `call` is the lazy-gradient one (read from the prototype, for the patch report). */
export function lazyConvGradInstalled(): boolean {
  return convPrototype()[PATCHED] === true;
}

export function installLazyConvGrad(): void {
  const proto = convPrototype();
  if (proto[PATCHED]) return;
  const restore = silenceOverrideWarning();
  try {
    tf.registerGradient(fusedConvGradConfig);
  } finally {
    restore();
  }
  const original = proto.call;
  proto.call = function lazyGradConvCall(this: tf.layers.Layer, inputs, kwargs) {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const layer = this as unknown as ConvInternals;
    if (!(x instanceof tf.Tensor) || !applies(layer, x)) return original.call(this, inputs, kwargs);
    const attrs: FusedAttrs = { strides: layer.strides, pad: layer.padding as 'same' | 'valid', dataFormat: 'NHWC', dilations: layer.dilationRate, activation: 'linear', hasBias: !!layer.bias };
    const convInputs: Record<string, tf.Tensor> = { x, filter: layer.kernel.read() };
    if (layer.bias) convInputs.bias = layer.bias.read();
    return tf.engine().runKernel('FusedConv2D', convInputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
  proto[PATCHED] = true;
}
