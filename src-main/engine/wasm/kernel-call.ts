import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Composite wasm kernels are built from the backend's own kernels, called straight through the kernel registry:
 * calling tf ops from inside a kernel would record them on the gradient tape and track them in the engine.
 * Intermediate TensorInfos are ours to free with `release` (the backend ref-counts shared data ids).
 */
export function callKernel(
  backend: BackendWasm,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  const out = kernel.kernelFunc({ inputs, attrs: attrs as unknown as NamedAttrMap, backend });
  return Array.isArray(out) ? out[0]! : out;
}

export function release(backend: BackendWasm, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/** A Float32Array view on a tensor's bytes in the wasm heap; take it after the last allocation (the heap may grow). */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
