import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32 } from './kernel-call';
import { heapOffset } from './winograd-conv';
import { winogradRuntime } from './winograd-runtime';

/**
 * One Adam step of one variable as one kernel: [w', m', v'] from w, m, v, the gradient and the two accumulated betas.
 * tfjs's AdamOptimizer spends ~12 kernels a variable (mul, add, square, div, sqrt, …) on tensors of a few thousand
 * floats, where the cost is each kernel's dispatch, not the arithmetic; kernels/winograd.c adam_update does the same
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
  const rt = winogradRuntime(backend);
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

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

const PATCHED = Symbol.for('fer.fusedAdamPatched');

let enabled = process.env.FER_FUSED_ADAM !== '0';
/** Off: Adam runs tfjs's own ops (FER_FUSED_ADAM=0 at start-up does the same). */
export function setFusedAdamEnabled(on: boolean): void {
  enabled = on;
}

/**
 * AdamOptimizer.applyGradients with one ADAM_STEP kernel per variable where the backend has it. The optimizer's
 * state (the m and v slot variables, their names, the accumulated betas) is kept exactly as tfjs keeps it, so
 * getWeights/setWeights and saved checkpoints are unchanged; other backends run tfjs's own code.
 */
export function installFusedAdam(): void {
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients(g: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void; [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.applyGradients;
  proto.applyGradients = function fusedApplyGradients(this: AdamInternals, variableGradients) {
    if (!enabled || tf.getKernel(ADAM_STEP, tf.getBackend()) === undefined) return original.call(this, variableGradients);
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        this.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        this.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = this.accumulatedFirstMoment[i]!.variable;
        const v = this.accumulatedSecondMoment[i]!.variable;
        const [w2, m2, v2] = tf.engine().runKernel(
          ADAM_STEP,
          { w: value, m, v, g: gradient, accBeta1: this.accBeta1, accBeta2: this.accBeta2 },
          { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate },
        ) as unknown as tf.Tensor[];
        m.assign(m2!);
        v.assign(v2!);
        value.assign(w2!);
      });
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  };
  proto[PATCHED] = true;
}
