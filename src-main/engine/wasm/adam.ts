import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32 } from './kernel-call';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

/**
 * One Adam step of one variable as one kernel: [w', m', v'] from w, m, v, the gradient and the two accumulated betas.
 * tfjs's AdamOptimizer spends ~12 kernels a variable (mul, add, square, div, sqrt, …) on tensors of a few thousand
 * floats, where the cost is each kernel's dispatch, not the arithmetic; kernels/optimizer.c adam_update does the same
 * float32 operations in the same order, so the result is tfjs's bit for bit.
 */
export const ADAM_STEP = 'FerAdamStep';

interface Attrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

function adamStep(args: { inputs: Record<'w' | 'm' | 'v' | 'g' | 'accBeta1' | 'accBeta2', TensorInfo>; backend: BackendWasm; attrs: Attrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { w, m, v, g } = inputs;
  const rt = kernelRuntime(backend);
  const f = Math.fround;
  const acc1 = heapF32(backend, inputs.accBeta1)[0]!;
  const acc2 = heapF32(backend, inputs.accBeta2)[0]!;
  // The scalars tfjs would make of each number, and 1 − accBeta as its float32 Sub computes it.
  const params = Float32Array.of(f(attrs.beta1), f(1 - attrs.beta1), f(attrs.beta2), f(1 - attrs.beta2), f(1 - acc1), f(1 - acc2), f(attrs.epsilon), f(-attrs.learningRate));
  const outs = [w, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  const p = rt.malloc(params.byteLength);
  try {
    rt.f32(p, params.length).set(params);
    rt.adamUpdate(heapOffset(backend, w), heapOffset(backend, m), heapOffset(backend, v), heapOffset(backend, g), outs.map((o) => heapOffset(backend, o)) as [number, number, number], p, tf.util.sizeFromShape(w.shape));
  } finally {
    rt.free(p);
  }
  return outs;
}

export const adamStepConfig: KernelConfig = { kernelName: ADAM_STEP, backendName: 'wasm', kernelFunc: adamStep as unknown as KernelFunc };
