import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32 } from './kernel-call';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Routes each dy to the first maximum of its window (the cpu backend's tie rule, which matters after ReLU, where
 * whole windows are 0). A channel-innermost JS loop over the wasm heap; upstream's wasm kernel is ~10× slower here.
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

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
