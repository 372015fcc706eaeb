import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { DROPOUT_KERNEL, dropoutParams } from '../dropout-mask';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

/** Training-mode dropout (DROPOUT_KERNEL) with the counter-based mask of dropout-mask.ts, in one SIMD pass. */
function dropout(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { rate: number; seed: number } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const y = backend.makeOutput(x.shape, 'float32');
  const p = dropoutParams(attrs.rate, attrs.seed);
  kernelRuntime(backend).dropout(heapOffset(backend, x), heapOffset(backend, y), tf.util.sizeFromShape(x.shape), p.s, p.threshold, p.kept);
  return y;
}

export const dropoutConfig: KernelConfig = { kernelName: DROPOUT_KERNEL, backendName: 'wasm', kernelFunc: dropout as unknown as KernelFunc };
