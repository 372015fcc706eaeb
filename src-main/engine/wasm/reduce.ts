import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callOriginal, heapF32, release } from './kernel-call';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

interface Attrs {
  axis: number | number[];
  keepDims: boolean;
}

/** Below this many elements a leading-axes sum stays in JS: handing a job to the kernel threads costs more. */
const KERNEL_MIN_ELEMENTS = 65_536;

/**
 * Sum/Mean over leading axes (batch-norm statistics, bias and BN gradients reduce N,H,W of NHWC) or trailing
 * axes. Upstream transposes the reduced axes innermost and then sums with a scalar loop (~50 ms on a 64×48×48×32
 * activation). Over all leading axes of a large tensor with channels in fours this is one SIMD pass on the kernel
 * threads (kernels/batch_norm.c chan_sums, float32 chunks folded into float64); over H,W only of NHWC it is XNNPACK's
 * global average pool; other leading/trailing sets stream once through JS with float64 accumulators.
 * (A ones-vector matmul looked fastest in isolation, but only because XNNPACK had cached the packed operand;
 * packing it costs ~50 ms per call.) Other axis sets and non-float tensors go to upstream's kernel.
 */
function reduceInJs(kernelName: 'Sum' | 'Mean') {
  return (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((a, b) => a - b);
    const leading = axes.every((a, i) => a === i);
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    if (x.dtype !== 'float32' || axes.length === 0 || (!leading && !trailing)) return callOriginal(kernelName, args);
    const reduced = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const kept = tf.util.sizeFromShape(x.shape) / reduced;
    const scale = kernelName === 'Mean' ? 1 / reduced : 1;
    const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    if (leading && kept % 4 === 0 && reduced * kept >= KERNEL_MIN_ELEMENTS) {
      const sums = kernelRuntime(backend).channelSum(heapOffset(backend, x), reduced, kept);
      const out = backend.makeOutput(outShape, 'float32');
      const dst = heapF32(backend, out);
      for (let c = 0; c < kept; c++) dst[c] = sums[c]! * scale;
      return out;
    }
    if (rank === 4 && axes.includes(1) && axes.includes(2) && !axes.includes(3)) {
      return viaGlobalPool(backend, x, axes.includes(0), kernelName, outShape);
    }
    const out = backend.makeOutput(outShape, 'float32');
    const src = heapF32(backend, x);
    const dst = heapF32(backend, out);
    if (leading) {
      // Column sums of [reduced, kept]: walk memory once, one accumulator per column.
      const acc = new Float64Array(kept);
      for (let r = 0, o = 0; r < reduced; r++) for (let c = 0; c < kept; c++, o++) acc[c] = acc[c]! + src[o]!;
      for (let c = 0; c < kept; c++) dst[c] = acc[c]! * scale;
    } else {
      for (let r = 0, o = 0; r < kept; r++) {
        let s = 0;
        for (let c = 0; c < reduced; c++, o++) s += src[o]!;
        dst[r] = s * scale;
      }
    }
    return out;
  };
}

function viaGlobalPool(backend: BackendWasm, x: TensorInfo, overBatch: boolean, kernelName: 'Sum' | 'Mean', outShape: number[]): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const pooled = callKernel(backend, 'AvgPool', { x }, { filterSize: [h, w], strides: [h, w], pad: 'valid' });
  const out = backend.makeOutput(outShape, 'float32');
  const src = heapF32(backend, pooled);
  const dst = heapF32(backend, out);
  const perImage = kernelName === 'Sum' ? h * w : 1;
  if (overBatch) {
    const acc = new Float64Array(c);
    for (let b = 0, o = 0; b < n; b++) for (let d = 0; d < c; d++, o++) acc[d] = acc[d]! + src[o]!;
    const scale = kernelName === 'Sum' ? perImage : 1 / n;
    for (let d = 0; d < c; d++) dst[d] = acc[d]! * scale;
  } else {
    for (let i = 0; i < n * c; i++) dst[i] = src[i]! * perImage;
  }
  release(backend, pooled);
  return out;
}

export const sumConfig: KernelConfig = { kernelName: 'Sum', backendName: 'wasm', kernelFunc: reduceInJs('Sum') as unknown as KernelFunc };
export const meanConfig: KernelConfig = { kernelName: 'Mean', backendName: 'wasm', kernelFunc: reduceInJs('Mean') as unknown as KernelFunc };
