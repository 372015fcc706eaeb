import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, heapF32, release, type Pad4 } from './kernel-call';

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
  if (attrs.dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const how = strategy === 'auto' ? chooseFormulation(info) : strategy;
  return how === 'patches' ? viaPatchesMatMul(backend, x, dy, info) : viaBatchAxisConv(backend, x, dy, info);
}

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

/** im2col in JS straight on the wasm heap, then one XNNPACK matmul: dyᵀ [CO, M] × patches [M, K]. */
export function viaPatchesMatMul(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co, batchSize: n, padInfo } = info;
  const rows = n * oh * ow;
  const k = kh * kw * ci;
  let patches: TensorInfo;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && padInfo.top === 0 && padInfo.left === 0 && oh === h && ow === w) {
    patches = callKernel(backend, 'Reshape', { x }, { shape: [rows, k] });
  } else {
    patches = backend.makeOutput([rows, k], 'float32');
    const src = heapF32(backend, x);
    const dst = heapF32(backend, patches);
    let o = 0;
    for (let b = 0; b < n; b++) {
      const base = b * h * w * ci;
      for (let r = 0; r < oh; r++) {
        for (let c = 0; c < ow; c++) {
          for (let fy = 0; fy < kh; fy++) {
            const y = r * sh + fy - padInfo.top;
            for (let fx = 0; fx < kw; fx++) {
              const xx = c * sw + fx - padInfo.left;
              if (y < 0 || y >= h || xx < 0 || xx >= w) {
                dst.fill(0, o, o + ci);
              } else {
                const s = base + (y * w + xx) * ci;
                if (ci === 1) dst[o] = src[s]!;
                else dst.set(src.subarray(s, s + ci), o);
              }
              o += ci;
            }
          }
        }
      }
    }
  }
  // dy goes in as the streamed left operand (transposed here, in JS); XNNPACK repacks its right operand on every
  // call, so that side gets the smaller patches. (transposeA on upstream's BatchMatMul is a slow scalar path.)
  const dyT = backend.makeOutput([co, rows], 'float32');
  {
    const src = heapF32(backend, dy);
    const dst = heapF32(backend, dyT);
    for (let r = 0; r < rows; r++) for (let c = 0; c < co; c++) dst[c * rows + r] = src[r * co + c]!;
  }
  const prod = callKernel(backend, 'BatchMatMul', { a: dyT, b: patches }, { transposeA: false, transposeB: false });
  release(backend, patches, dyT);
  const dw = backend.makeOutput([kh, kw, ci, co], 'float32');
  const p = heapF32(backend, prod);
  const out = heapF32(backend, dw);
  for (let c = 0; c < co; c++) for (let i = 0; i < k; i++) out[i * co + c] = p[c * k + i]!;
  release(backend, prod);
  return dw;
}

/**
 * x [N,H,W,C] → [C,h,w,N] keeping the top-left h×w, in JS: upstream's wasm Transpose takes ~3× longer on this
 * permutation. Loops run pixel-major so each read is one contiguous C-run and each write one N-run per channel.
 */
function channelsToBatch(backend: BackendWasm, x: TensorInfo, h: number, w: number): TensorInfo {
  const [n, fullH, fullW, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([c, h, w, n], 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const plane = h * w * n;
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const pix = (y * w + xx) * n;
      for (let b = 0; b < n; b++) {
        const s0 = ((b * fullH + y) * fullW + xx) * c;
        for (let d = 0; d < c; d++) dst[d * plane + pix + b] = src[s0 + d]!;
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
