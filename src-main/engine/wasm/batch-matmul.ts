import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callOriginal, release } from './kernel-call';

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/**
 * Upstream's wasm BatchMatMul is fast only untransposed: with transposeA (every dense layer's weight gradient,
 * xᵀ·dy) it ran 2.2 s for [32,2048]ᵀ×[32,4096] against 77 ms when the operand is transposed first, and
 * transposeB (the input gradient, dy·Wᵀ) ~10× slower too. So transpose explicitly, then multiply plainly.
 */
function batchMatMul(args: MatMulArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  if (!attrs.transposeA && !attrs.transposeB) return callOriginal('BatchMatMul', args);
  const swapLast = (t: TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return callKernel(backend, 'Transpose', { x: t }, { perm });
  };
  const a = attrs.transposeA ? swapLast(inputs.a) : inputs.a;
  const b = attrs.transposeB ? swapLast(inputs.b) : inputs.b;
  try {
    return callOriginal('BatchMatMul', { inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
  } finally {
    release(backend, a === inputs.a ? null : a, b === inputs.b ? null : b);
  }
}

export const batchMatMulConfig: KernelConfig = { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul as unknown as KernelFunc };
