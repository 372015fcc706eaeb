import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, heapF32, release, type Pad4 } from './kernel-call';
import { oneChannelFilterGrad, firstLayerApplies, winogradApplies, winogradFilterBiasGrad, winogradFilterGrad } from './winograd-conv';

interface Attrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

export type FilterGradStrategy = 'auto' | 'patches' | 'batch-conv';
let strategy: FilterGradStrategy = 'auto';
/** Pins one formulation (tests cover both; the bench compares them); 'auto' picks by shape. */
export function setFilterGradStrategy(s: FilterGradStrategy): void {
  strategy = s;
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh-pt, ow·s+kw-pl, ci] · dy[n,oh,ow,co].
 * wasm has no kernel for this at all; both formulations below run on XNNPACK's fast kernels.
 */
function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = filterGradInfo(x, attrs);
  if (strategy === 'auto' && winogradApplies(info, x.dtype, dy.dtype)) return winogradFilterGrad(backend, x, dy, info);
  if (strategy === 'auto' && firstLayerApplies(info, x.dtype, dy.dtype)) return oneChannelFilterGrad(backend, x, dy, info);
  const how = strategy === 'auto' ? chooseFormulation(info) : strategy;
  return how === 'patches' ? viaPatchesMatMul(backend, x, dy, info) : viaBatchAxisConv(backend, x, dy, info);
}

function filterGradInfo(x: TensorInfo, attrs: Attrs): ConvInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only");
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** [dW, db] of a conv with a bias (the registered FusedConv2D gradient, patches/lazy-conv-grad.ts). */
export const CONV_FILTER_BIAS_GRAD = 'FerConv2DBackpropFilterBias';

/**
 * The filter and bias gradients together: the Winograd filter gradient sums dy per channel in the pass over dy it
 * makes anyway (a separate Sum read the 64×48×48×32 dy again: ~0.6 ms); other shapes run Conv2DBackpropFilter and Sum.
 */
function conv2DBackpropFilterBias(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = filterGradInfo(x, attrs);
  if (strategy === 'auto' && winogradApplies(info, x.dtype, dy.dtype)) return winogradFilterBiasGrad(backend, x, dy, info);
  const dw = conv2DBackpropFilter(args);
  return [dw, callKernel(backend, 'Sum', { x: dy }, { axis: [0, 1, 2], keepDims: false })];
}

export const conv2DBackpropFilterBiasConfig: KernelConfig = {
  kernelName: CONV_FILTER_BIAS_GRAD,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterBias as unknown as KernelFunc,
};

/**
 * Patches × matmul pays an im2col copy of N·OH·OW·KH·KW·CI floats, which is cheap only when it is small or the
 * filter is 1×1 (then the patches are x itself), and then it beats the batch-axis conv, whose XNNPACK conv repacks
 * all of dy as its filter each call (123 ms against ~20 ms for the peer net's first conv, CI = 1). The batch-axis
 * conv has no blow-up, so it wins on big maps (the 48×48×32 convs: 4× fewer bytes than a 42M-float im2col).
 * (Tried and dropped: one matmul per filter tap over a padded copy of x, with no im2col. XNNPACK's matmul streams
 * its operands once per output tile, so a 150k-long reduction is memory-bound: 2× slower than the batch-axis conv.)
 */
export function chooseFormulation(info: ConvInfo): Exclude<FilterGradStrategy, 'auto'> {
  if (info.filterHeight === 1 && info.filterWidth === 1) return 'patches';
  const patchFloats = info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels;
  return patchFloats <= 1 << 22 ? 'patches' : 'batch-conv';
}

/**
 * Treat the channels as the batch: xᵀ [CI,H,W,N] convolved with dyᵀ [OH,OW,N,CO] as the filter (dilated by the
 * forward stride) gives [CI,KH,KW,CO], one XNNPACK conv with a long reduction over N·OH·OW.
 */
export function viaBatchAxisConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { inHeight: h, inWidth: w, padInfo } = info;
  // Rows past the last one the forward conv read are cropped; missing ones become padding.
  const bottom = kh + (oh - 1) * sh - h - padInfo.top;
  const right = kw + (ow - 1) * sw - w - padInfo.left;
  const xT = channelsToBatch(backend, x, h + Math.min(bottom, 0), w + Math.min(right, 0));
  const dyT = callKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const pad: Pad4 = [
    [0, 0],
    [padInfo.top, Math.max(bottom, 0)],
    [padInfo.left, Math.max(right, 0)],
    [0, 0],
  ];
  const conv = callKernel(
    backend,
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined },
  );
  release(backend, xT, dyT);
  const dw = callKernel(backend, 'Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
  release(backend, conv);
  return dw;
}

/**
 * im2col in JS straight on the wasm heap, laid out transposed (patchesᵀ [K, M], K = KH·KW·CI, M = N·OH·OW), then one
 * XNNPACK matmul patchesᵀ × dy [M, CO] whose [K, CO] result already is dW [KH,KW,CI,CO]: dy and the result need no
 * transposes. XNNPACK repacks its right operand (here all of dy) on each call, which is most of this path's time,
 * but it still beats transposing dy in JS to stream it as the left operand: 25 against 35 ms for the peer net's
 * first conv (x [64,48,48,1], dy [64,48,48,32]) inside a training step.
 */
export function viaPatchesMatMul(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co, batchSize: n, padInfo } = info;
  const rows = n * oh * ow;
  const k = kh * kw * ci;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && padInfo.top === 0 && padInfo.left === 0 && oh === h && ow === w) {
    // The patches are x itself, [M, CI]: transpose it with the backend's kernel, a plain 2-D transpose.
    const x2 = callKernel(backend, 'Reshape', { x }, { shape: [rows, k] });
    const xT = callKernel(backend, 'Transpose', { x: x2 }, { perm: [1, 0] });
    const dy2 = callKernel(backend, 'Reshape', { x: dy }, { shape: [rows, co] });
    const prod = callKernel(backend, 'BatchMatMul', { a: xT, b: dy2 }, { transposeA: false, transposeB: false });
    release(backend, x2, xT, dy2);
    const dw = callKernel(backend, 'Reshape', { x: prod }, { shape: [kh, kw, ci, co] });
    release(backend, prod);
    return dw;
  }
  const patchesT = backend.makeOutput([k, rows], 'float32');
  {
    const src = heapF32(backend, x);
    const dst = heapF32(backend, patchesT);
    for (let fy = 0; fy < kh; fy++) {
      for (let fx = 0; fx < kw; fx++) {
        // Output columns whose input column c·sw + fx − left lies inside the image: [c0, c1).
        const c0 = Math.min(ow, Math.max(0, Math.ceil((padInfo.left - fx) / sw)));
        const c1 = Math.max(c0, Math.min(ow, Math.ceil((w + padInfo.left - fx) / sw)));
        for (let d = 0; d < ci; d++) {
          let o = ((fy * kw + fx) * ci + d) * rows;
          for (let b = 0; b < n; b++) {
            for (let r = 0; r < oh; r++) {
              const y = r * sh + fy - padInfo.top;
              if (y < 0 || y >= h) {
                dst.fill(0, o, o + ow);
                o += ow;
                continue;
              }
              if (c0 > 0) dst.fill(0, o, o + c0);
              const rowBase = (b * h + y) * w * ci + d;
              let s = rowBase + (c0 * sw + fx - padInfo.left) * ci;
              const step = sw * ci;
              if (step === 1) {
                dst.set(src.subarray(s, s + (c1 - c0)), o + c0);
              } else {
                for (let c = c0; c < c1; c++, s += step) dst[o + c] = src[s]!;
              }
              if (c1 < ow) dst.fill(0, o + c1, o + ow);
              o += ow;
            }
          }
        }
      }
    }
  }
  const dy2 = callKernel(backend, 'Reshape', { x: dy }, { shape: [rows, co] });
  const prod = callKernel(backend, 'BatchMatMul', { a: patchesT, b: dy2 }, { transposeA: false, transposeB: false });
  release(backend, patchesT, dy2);
  const dw = callKernel(backend, 'Reshape', { x: prod }, { shape: [kh, kw, ci, co] });
  release(backend, prod);
  return dw;
}

/**
 * x [N,H,W,C] → [C,h,w,N] keeping the top-left h×w, in JS: upstream's wasm Transpose takes ~5× longer on this
 * permutation (and ~2.5× as two simpler transposes). Per pixel and channel, the innermost loop gathers one
 * image-strided column into one contiguous N-run: 11 ms for the peer net's 64×48×48×32, against 18 ms for a
 * channel-innermost order (its 32 interleaved write streams cost more than the strided reads).
 */
function channelsToBatch(backend: BackendWasm, x: TensorInfo, h: number, w: number): TensorInfo {
  const [n, fullH, fullW, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([c, h, w, n], 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const plane = h * w * n;
  const imageStride = fullH * fullW * c;
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const pix = (y * w + xx) * n;
      const sPix = (y * fullW + xx) * c;
      for (let d = 0; d < c; d++) {
        const o = d * plane + pix;
        let s = sPix + d;
        for (let b = 0; b < n; b++, s += imageStride) dst[o + b] = src[s]!;
      }
    }
  }
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
