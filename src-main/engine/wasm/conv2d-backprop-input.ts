import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, heapF32, release, type Pad4 } from './kernel-call';
import { heapOffset, firstLayerApplies, winogradApplies, winogradConv } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * The input gradient is a full correlation of dy (zero-dilated by the stride) with the filter rotated 180° and its
 * in/out channels swapped. Upstream wasm runs it as a scalar loop (~3 GFLOP/s); here it is one XNNPACK forward conv.
 */
function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  if (attrs.dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropInput supports dataFormat 'NHWC' only");
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, padInfo } = info;
  const flipped = rotatedSwappedFilter(backend, filter);
  // Padding of the (dilated) dy so that a VALID-style correlation yields exactly H×W.
  const top = kh - 1 - padInfo.top;
  const left = kw - 1 - padInfo.left;
  const bottom = h + kh - 1 - ((oh - 1) * sh + 1) - top;
  const right = w + kw - 1 - ((ow - 1) * sw + 1) - left;
  let dx: TensorInfo;
  if (winogradApplies(info, dy.dtype, filter.dtype)) {
    dx = winogradConv(backend, {
      x: dy,
      filter: heapOffset(backend, flipped),
      bias: null,
      relu: false,
      ci: info.outChannels,
      co: info.inChannels,
      oh: h,
      ow: w,
      padTop: top,
      padLeft: left,
    });
  } else if (firstLayerApplies(info, dy.dtype, filter.dtype)) {
    const [n] = dy.shape as [number, number, number, number];
    dx = backend.makeOutput([n, h, w, 1], 'float32');
    kernelRuntime(backend).convOneOutput(heapOffset(backend, dy), heapOffset(backend, flipped), heapOffset(backend, dx), n, oh, ow, info.outChannels, h, w, top, left);
  } else if (sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
    const pad: Pad4 = [[0, 0], [top, bottom], [left, right], [0, 0]];
    dx = callKernel(backend, 'Conv2D', { x: dy, filter: flipped }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] });
  } else {
    const spread = dilateAndPad(backend, dy, h + kh - 1, w + kw - 1, top, left, sh, sw);
    dx = callKernel(backend, 'Conv2D', { x: spread, filter: flipped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
    release(backend, spread);
  }
  release(backend, flipped);
  return dx;
}

/** W[kh,kw,ci,co] → W'[KH-1-kh, KW-1-kw, co, ci]; tiny, so a JS loop on the heap. */
function rotatedSwappedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const src = heapF32(backend, filter);
  const dst = heapF32(backend, out);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const s0 = (y * kw + x) * ci * co;
      const d0 = ((kh - 1 - y) * kw + (kw - 1 - x)) * co * ci;
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) dst[d0 + o * ci + i] = src[s0 + i * co + o]!;
    }
  }
  return out;
}

/** Zero canvas [N, ph, pw, C] with dy[n, r, c] placed at (top + r·sh, left + c·sw); out-of-canvas pixels dropped. */
function dilateAndPad(backend: BackendWasm, dy: TensorInfo, ph: number, pw: number, top: number, left: number, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const out = backend.makeOutput([n, ph, pw, c], 'float32');
  const src = heapF32(backend, dy);
  const dst = heapF32(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const y = top + r * sh;
      if (y < 0 || y >= ph) continue;
      for (let col = 0; col < ow; col++) {
        const x = left + col * sw;
        if (x < 0 || x >= pw) continue;
        const s = ((b * oh + r) * ow + col) * c;
        dst.set(src.subarray(s, s + c), ((b * ph + y) * pw + x) * c);
      }
    }
  }
  return out;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
