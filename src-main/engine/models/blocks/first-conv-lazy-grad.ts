import * as tf from '@tensorflow/tfjs';
import { silenceOverrideWarning } from '../../wasm/kernel-call';

/**
 * A network's first convolution without its input gradient.
 *
 * tfjs-layers runs every Conv2D through tf.fused.conv2d, whose custom gradient computes dx, dW and db together,
 * eagerly. For a layer fed by the model's input, dx is the gradient of the images: nobody asks for it in training,
 * and on the peer net it costs as much as the layer's filter gradient (3 ms of a ~105 ms step on wasm).
 *
 * So a conv layer fed directly by an InputLayer (patched `call` on Conv2D's prototype, as frozen-bn.ts does for
 * BatchNormalization) runs the same FusedConv2D kernel through tf.engine().runKernel, and the kernel gets a
 * registered gradient with one lazy function per input. The tape then computes only the gradients on a path to what
 * is differentiated: dW and db when training, dx as well when something differentiates with respect to the images
 * (a saliency map), so nothing changes but the work skipped. Only plain cases take this path (NHWC, rank-2 conv,
 * linear activation, undilated, 'same' or 'valid' padding); the rest go to the original call.
 */
const PATCHED = Symbol.for('fer.firstConvLazyGradPatched');

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
  inboundNodes?: { inboundLayers: tf.layers.Layer[] }[];
}

let enabled = process.env.FER_FIRST_CONV_LAZY !== '0';
/** Off: first conv layers run tfjs-layers' own fused conv and its eager gradient. */
export function setFirstConvLazyGradEnabled(on: boolean): void {
  enabled = on;
}

interface FusedAttrs {
  strides: number[];
  pad: 'same' | 'valid';
  dataFormat: 'NHWC';
  dilations: number[];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: string;
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
    return {
      x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: d, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
      filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: d }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
      bias: () => tf.sum(d, [0, 1, 2]),
    };
  },
};

function fedByModelInput(layer: ConvInternals): boolean {
  const nodes = layer.inboundNodes;
  return !!nodes && nodes.length === 1 && nodes[0]!.inboundLayers.length === 1 && nodes[0]!.inboundLayers[0]!.getClassName() === 'InputLayer';
}

function applies(layer: ConvInternals, x: tf.Tensor): boolean {
  return (
    enabled &&
    x.rank === 4 &&
    layer.rank === 2 &&
    layer.dataFormat === 'channelsLast' &&
    (layer.padding === 'same' || layer.padding === 'valid') &&
    layer.dilationRate.every((d) => d === 1) &&
    layer.activation.getClassName() === 'linear' &&
    fedByModelInput(layer)
  );
}

export function installFirstConvLazyGrad(): void {
  const proto = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })) as { call: CallFn; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const restore = silenceOverrideWarning();
  try {
    tf.registerGradient(fusedConvGradConfig);
  } finally {
    restore();
  }
  const original = proto.call;
  proto.call = function firstConvCall(this: tf.layers.Layer, inputs, kwargs) {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const layer = this as unknown as ConvInternals;
    if (!(x instanceof tf.Tensor) || !applies(layer, x)) return original.call(this, inputs, kwargs);
    const attrs: FusedAttrs = { strides: layer.strides, pad: layer.padding as 'same' | 'valid', dataFormat: 'NHWC', dilations: layer.dilationRate, activation: 'linear' };
    const convInputs: Record<string, tf.Tensor> = { x, filter: layer.kernel.read() };
    if (layer.bias) convInputs.bias = layer.bias.read();
    return tf.engine().runKernel('FusedConv2D', convInputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
  proto[PATCHED] = true;
}
