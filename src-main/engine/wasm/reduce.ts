import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callOriginal, filled, release } from './kernel-call';

interface Attrs {
  axis: number | number[];
  keepDims: boolean;
}

/**
 * Sum/Mean over leading axes (batch-norm statistics, bias and BN gradients reduce [N,H,W] of NHWC) or trailing
 * axes, as one XNNPACK matmul with a constant vector: ones[1,M]·x[M,C] or x[R,M]·ones[M,1]. Upstream transposes
 * the reduced axes innermost first and sums with a scalar loop, ~30× slower on a 64×48×48×32 activation.
 * Other axis sets and non-float tensors go to upstream's kernel.
 */
function reduceByMatMul(kernelName: 'Sum' | 'Mean') {
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
    const value = kernelName === 'Mean' ? 1 / reduced : 1;
    let prod: TensorInfo;
    if (leading) {
      const ones = filled(backend, [1, reduced], value);
      const x2 = callKernel(backend, 'Reshape', { x }, { shape: [reduced, kept] });
      prod = callKernel(backend, 'BatchMatMul', { a: ones, b: x2 }, { transposeA: false, transposeB: false });
      release(backend, ones, x2);
    } else {
      const ones = filled(backend, [reduced, 1], value);
      const x2 = callKernel(backend, 'Reshape', { x }, { shape: [kept, reduced] });
      prod = callKernel(backend, 'BatchMatMul', { a: x2, b: ones }, { transposeA: false, transposeB: false });
      release(backend, ones, x2);
    }
    const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = callKernel(backend, 'Reshape', { x: prod }, { shape: outShape });
    release(backend, prod);
    return out;
  };
}

export const sumConfig: KernelConfig = { kernelName: 'Sum', backendName: 'wasm', kernelFunc: reduceByMatMul('Sum') as unknown as KernelFunc };
export const meanConfig: KernelConfig = { kernelName: 'Mean', backendName: 'wasm', kernelFunc: reduceByMatMul('Mean') as unknown as KernelFunc };
