import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32 } from './kernel-call';

interface Attrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Info = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function convInfo(xShape: number[], filterShape: number[], a: Attrs): Info {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
  );
}

/**
 * Visits every (output position, filter tap) pair that lands inside the input, with the offsets of the input
 * pixel, the dy pixel and the tap's filter row. The gradients of a depthwise conv are both sums over these.
 */
function forEachTap(info: Info, visit: (xAt: number, dyAt: number, wAt: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: fh, filterWidth: fw, padInfo } = info;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dyAt = ((b * oh + oy) * ow + ox) * co;
        for (let fy = 0; fy < fh; fy++) {
          const y = oy * sh - padInfo.top + fy * dh;
          if (y < 0 || y >= h) continue;
          for (let fx = 0; fx < fw; fx++) {
            const x = ox * sw - padInfo.left + fx * dw;
            if (x < 0 || x >= w) continue;
            visit(((b * h + y) * w + x) * c, dyAt, (fy * fw + fx) * co);
          }
        }
      }
    }
  }
}

/**
 * The wasm backend has a depthwise conv but neither of its gradients, so a MobileNet (faceres) could not fine-tune
 * its depthwise layers there. These are channel-innermost JS loops over the wasm heap: a 3×3 depthwise conv does
 * 9 multiply-adds per value, a small share of a step next to the pointwise convs.
 */
function backpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs & { inputShape: number[] } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const info = convInfo(attrs.inputShape, inputs.filter.shape, attrs);
  const m = info.outChannels / info.inChannels;
  const c = info.inChannels;
  const dx = backend.makeOutput(attrs.inputShape, 'float32');
  const g = heapF32(backend, inputs.dy);
  const k = heapF32(backend, inputs.filter);
  const out = heapF32(backend, dx);
  out.fill(0);
  forEachTap(info, (xAt, dyAt, wAt) => {
    if (m === 1) {
      for (let d = 0; d < c; d++) out[xAt + d] = out[xAt + d]! + g[dyAt + d]! * k[wAt + d]!;
      return;
    }
    for (let d = 0; d < c; d++) {
      let s = 0;
      for (let q = 0; q < m; q++) s += g[dyAt + d * m + q]! * k[wAt + d * m + q]!;
      out[xAt + d] = out[xAt + d]! + s;
    }
  });
  return dx;
}

function backpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs & { filterShape: number[] } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const info = convInfo(inputs.x.shape, attrs.filterShape, attrs);
  const m = info.outChannels / info.inChannels;
  const c = info.inChannels;
  const dw = backend.makeOutput(attrs.filterShape, 'float32');
  const x = heapF32(backend, inputs.x);
  const g = heapF32(backend, inputs.dy);
  const out = heapF32(backend, dw);
  out.fill(0);
  forEachTap(info, (xAt, dyAt, wAt) => {
    for (let d = 0; d < c; d++) {
      const v = x[xAt + d]!;
      for (let q = 0; q < m; q++) out[wAt + d * m + q] = out[wAt + d * m + q]! + v * g[dyAt + d * m + q]!;
    }
  });
  return dw;
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: backpropInput as unknown as KernelConfig['kernelFunc'],
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: backpropFilter as unknown as KernelConfig['kernelFunc'],
};
