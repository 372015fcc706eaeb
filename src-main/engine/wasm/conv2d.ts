import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callOriginal, release, type Pad4 } from './kernel-call';
import { firstLayerApplies, oneChannelForward, winogradApplies, winogradForward } from './winograd-conv';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

interface Inputs {
  x: TensorInfo;
  filter: TensorInfo;
  bias?: TensorInfo;
  preluActivationWeights?: TensorInfo;
}

function convInfo(x: TensorInfo, filter: TensorInfo, attrs: Attrs) {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Forward conv (plain and fused with bias + ReLU): Winograd F(6×6, 3×3) where it applies, a direct SIMD kernel for
 * a 1-channel first layer, upstream's XNNPACK conv for everything else (other kernel sizes, strides, activations).
 */
function conv(name: 'Conv2D' | 'FusedConv2D') {
  return (args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = attrs.activation ?? 'linear';
    const co = filter.shape[3]!;
    const fusable =
      (activation === 'linear' || activation === 'relu') &&
      !preluActivationWeights &&
      (!bias || (bias.shape.length === 1 && bias.shape[0] === co));
    if (attrs.dataFormat === 'NHWC' && fusable) {
      const info = convInfo(x, filter, attrs);
      if (winogradApplies(info, x.dtype, filter.dtype, ...(bias ? [bias.dtype] : []))) {
        return winogradForward(backend, x, filter, bias ?? null, activation === 'relu', info);
      }
      if (firstLayerApplies(info, x.dtype, filter.dtype, ...(bias ? [bias.dtype] : []))) {
        return oneChannelForward(backend, x, filter, bias ?? null, activation === 'relu', info);
      }
    }
    return callOriginal(name, { ...args, inputs: inputs as unknown as Record<string, TensorInfo> });
  };
}

export const conv2DConfig: KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  kernelFunc: conv('Conv2D') as unknown as KernelFunc,
};

export const fusedConv2DConfig: KernelConfig = {
  kernelName: 'FusedConv2D',
  backendName: 'wasm',
  kernelFunc: conv('FusedConv2D') as unknown as KernelFunc,
};

/** conv (+ bias, ReLU) → 2×2 stride-2 'valid' max pool in one kernel; for folded inference (folded-inference.ts). */
export const CONV_MAXPOOL = 'FerConv2DMaxPool';

function convMaxPool(args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias } = inputs;
  const relu = attrs.activation === 'relu';
  const info = convInfo(x, filter, attrs);
  if (attrs.dataFormat === 'NHWC' && info.outHeight % 2 === 0 && info.outWidth % 2 === 0 && winogradApplies(info, x.dtype, filter.dtype, ...(bias ? [bias.dtype] : []))) {
    return winogradForward(backend, x, filter, bias ?? null, relu, info, true);
  }
  const convInputs: Record<string, TensorInfo> = bias ? { x, filter, bias } : { x, filter };
  const y = callKernel(backend, 'FusedConv2D', convInputs, { ...attrs, activation: relu ? 'relu' : 'linear' });
  const pooled = callKernel(backend, 'MaxPool', { x: y }, { filterSize: 2, strides: 2, pad: 'valid' });
  release(backend, y);
  return pooled;
}

export const convMaxPoolConfig: KernelConfig = {
  kernelName: CONV_MAXPOOL,
  backendName: 'wasm',
  kernelFunc: convMaxPool as unknown as KernelFunc,
};
