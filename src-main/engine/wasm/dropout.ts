import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { dropoutParams } from '../models/blocks/fast-dropout';
import { heapOffset } from './winograd-conv';
import { winogradRuntime } from './winograd-runtime';

/** Training-mode dropout with the counter-based mask of models/blocks/fast-dropout.ts, in one SIMD pass. */
export const DROPOUT = 'FerDropout';

function dropout(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { rate: number; seed: number } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const y = backend.makeOutput(x.shape, 'float32');
  const p = dropoutParams(attrs.rate, attrs.seed);
  const n = x.shape.reduce((a, b) => a * b, 1);
  winogradRuntime(backend).dropout(heapOffset(backend, x), heapOffset(backend, y), n, p.s, p.threshold, p.kept);
  return y;
}

export const dropoutConfig: KernelConfig = { kernelName: DROPOUT, backendName: 'wasm', kernelFunc: dropout as unknown as KernelFunc };
