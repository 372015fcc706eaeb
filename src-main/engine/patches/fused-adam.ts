import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP } from '../wasm/adam';

/**
 * Adam's update as one kernel a variable (wasm/adam.ts, ADAM_STEP) instead of tfjs's ~12 small ops: the optimizer's
 * prototype is patched, so every AdamOptimizer (the trainer's and any other) takes it where the kernel exists.
 */
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
export function fusedAdamEnabled(): boolean {
  return enabled;
}

type ApplyGradients = (g: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]) => void;

function adamPrototype(): { applyGradients: ApplyGradients; [PATCHED]?: true } {
  return tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients; [PATCHED]?: true };
}

/** Whether AdamOptimizer's applyGradients is the fused one (read from the prototype, for the patch report). */
export function fusedAdamInstalled(): boolean {
  return adamPrototype()[PATCHED] === true;
}

/**
 * AdamOptimizer.applyGradients with one ADAM_STEP kernel per variable where the backend has it. The optimizer's
 * state (the m and v slot variables, their names, the accumulated betas) is kept exactly as tfjs keeps it, so
 * getWeights/setWeights and saved checkpoints are unchanged; other backends run tfjs's own code.
 */
export function installFusedAdam(): void {
  const proto = adamPrototype();
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
