import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callOriginal } from './kernel-call';
import { isTiled2x2 } from './max-pool-grad';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

interface Attrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The common 2×2 stride-2 pool over even sizes on the kernel threads; everything else to upstream's XNNPACK pool.
 * (XNNPACK's own is as fast, but its pthreadpool workers spin for a while after each job, and the Winograd conv that
 * follows a pool in every peer-net block lost ~2.5 ms of its ~4 to them.)
 */
function maxPool(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.shape.length === 4 && x.dtype === 'float32') {
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow } = info;
    if (isTiled2x2(info) && c % 4 === 0) {
      const y = backend.makeOutput([n, oh, ow, c], 'float32');
      kernelRuntime(backend).maxPool(heapOffset(backend, x), heapOffset(backend, y), n, oh, ow, c);
      return y;
    }
  }
  return callOriginal('MaxPool', args as unknown as { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: unknown });
}

export const maxPoolConfig: KernelConfig = {
  kernelName: 'MaxPool',
  backendName: 'wasm',
  kernelFunc: maxPool as unknown as KernelFunc,
};
