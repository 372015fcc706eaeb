import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
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

/** Upstream's own wasm kernels that ours replace, kept so a replacement can hand cases it does not cover back. */
const originals = new Map<string, KernelConfig>();
const setUp = new WeakMap<object, Set<string>>();

export function rememberOriginal(config: KernelConfig): void {
  if (!originals.has(config.kernelName)) originals.set(config.kernelName, config);
}

export function callOriginal(name: string, args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: unknown }): TensorInfo {
  const config = originals.get(name);
  if (!config) throw new Error(`wasm has no upstream kernel ${name} to fall back to`);
  // Unregistered kernels miss the backend's setup pass (it binds their C entry points), so run it on first use.
  let done = setUp.get(args.backend);
  if (!done) setUp.set(args.backend, (done = new Set()));
  if (!done.has(name)) {
    config.setupFunc?.(args.backend);
    done.add(name);
  }
  const out = config.kernelFunc({ inputs: args.inputs, backend: args.backend, attrs: args.attrs as NamedAttrMap });
  return Array.isArray(out) ? out[0]! : out;
}


/** tfjs warns on every gradient override; ours are deliberate. Returns the function that restores console.warn. */
export function silenceOverrideWarning(): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Overriding the gradient')) return;
    warn(...args);
  };
  return () => {
    console.warn = warn;
  };
}
