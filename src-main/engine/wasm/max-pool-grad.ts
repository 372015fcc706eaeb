import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32 } from './kernel-call';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Routes each dy to the first maximum of its window (the cpu backend's tie rule, which matters after ReLU, where
 * whole windows are 0). The common 2×2/2 pool runs as SIMD on the kernel threads (kernels/pooling.c), the rest as a
 * channel-innermost JS loop over the wasm heap; upstream's wasm kernel is ~10× slower than even the JS.
 */
function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw, padInfo } = info;
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = heapF32(backend, input);
  const g = heapF32(backend, dy);
  const out = heapF32(backend, dx);
  if (isTiled2x2(info)) {
    if (c % 4 === 0 && input.dtype === 'float32' && dy.dtype === 'float32') {
      kernelRuntime(backend).maxPoolGrad(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), n, oh, ow, c);
    } else {
      tiled2x2(x, g, out, n, oh, ow, c);
    }
    return dx;
  }
  out.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const y0 = r * sh - padInfo.top;
      for (let col = 0; col < ow; col++) {
        const x0 = col * sw - padInfo.left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < fh; fy++) {
          const y = y0 + fy;
          if (y < 0 || y >= h) continue;
          for (let fx = 0; fx < fw; fx++) {
            const xx = x0 + fx;
            if (xx < 0 || xx >= w) continue;
            const base = ((b * h + y) * w + xx) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d]!;
              if (v > best[d]! || where[d] === -1) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const gBase = ((b * oh + r) * ow + col) * c;
        for (let d = 0; d < c; d++) {
          const at = where[d]!;
          if (at >= 0) out[at] = out[at]! + g[gBase + d]!;
        }
      }
    }
  }
  return dx;
}

/**
 * The common 2×2 stride-2 pool over even sizes: windows tile the input exactly, so every input gets written once
 * (its dy or 0) with no zero-fill, no accumulation and no per-window scratch.
 */
function tiled2x2(x: Float32Array, g: Float32Array, out: Float32Array, n: number, oh: number, ow: number, c: number): void {
  const row = ow * 2 * c;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const top = (b * oh * 2 + r * 2) * row;
      for (let col = 0; col < ow; col++) {
        const i00 = top + col * 2 * c;
        const gi = ((b * oh + r) * ow + col) * c;
        for (let d = 0; d < c; d++) {
          const a = i00 + d;
          const b1 = a + c;
          const b2 = a + row;
          const b3 = b2 + c;
          // First maximum in row-major window order, as the cpu backend picks it.
          let at = a;
          let best = x[a]!;
          if (x[b1]! > best) (at = b1), (best = x[b1]!);
          if (x[b2]! > best) (at = b2), (best = x[b2]!);
          if (x[b3]! > best) at = b3;
          out[a] = 0;
          out[b1] = 0;
          out[b2] = 0;
          out[b3] = 0;
          out[at] = g[gi + d]!;
        }
      }
    }
  }
}

/** A 2×2 stride-2 unpadded pool whose windows tile the input exactly (the forward in max-pool.ts checks the same). */
export function isTiled2x2(info: ReturnType<typeof tf.backend_util.computePool2DInfo>): boolean {
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw, padInfo } = info;
  return fh === 2 && fw === 2 && sh === 2 && sw === 2 && padInfo.top === 0 && padInfo.left === 0 && info.outHeight * 2 === info.inHeight && info.outWidth * 2 === info.inWidth;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
