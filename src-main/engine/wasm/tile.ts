import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callOriginal, heapF32 } from './kernel-call';

/**
 * Tiling a tensor whose leading dims are 1 over those dims only (a per-channel vector broadcast to an activation,
 * which is what the Mean gradient needs) is the whole tensor repeated: one copy, then doubling copyWithin, at
 * memcpy speed. Upstream's wasm Tile computes every output index with a scalar loop. Other tilings go upstream.
 */
function tile(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { reps: number[] } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { reps } = attrs;
  const firstTiled = reps.findIndex((r) => r !== 1);
  const lastTiled = reps.length - 1 - [...reps].reverse().findIndex((r) => r !== 1);
  const leadingOnly = firstTiled >= 0 && x.shape.slice(0, lastTiled + 1).every((d) => d === 1);
  if (x.dtype !== 'float32' || !leadingOnly) return callOriginal('Tile', args);
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  dst.set(src, 0);
  for (let filled = src.length; filled < dst.length; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
  return out;
}

export const tileConfig: KernelConfig = { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as unknown as KernelFunc };
