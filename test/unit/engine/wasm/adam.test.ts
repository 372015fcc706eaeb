import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { setFusedAdamEnabled } from '../../../../src-main/engine/patches/fused-adam';
import { kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';

/** Five Adam steps on two variables (one of an odd size) with fixed gradients; the variables and the optimizer's state. */
async function fiveSteps(lr: number): Promise<{ values: number[][]; state: { name: string; values: number[] }[] }> {
  const a = tf.variable(tf.randomNormal([37], 0, 1, 'float32', 1), true, `a${Math.random()}`);
  const b = tf.variable(tf.randomNormal([5, 8], 0, 1, 'float32', 2), true, `b${Math.random()}`);
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-7);
  for (let step = 0; step < 5; step++) {
    tf.tidy(() => {
      const ga = tf.randomNormal([37], 0, 1, 'float32', 10 + step);
      const gb = tf.mul(tf.randomNormal([5, 8], 0, 1, 'float32', 20 + step), 1e-3 * (step + 1));
      opt.applyGradients({ [a.name]: ga, [b.name]: gb } as unknown as tf.NamedTensorMap as never);
    });
  }
  const state = await opt.getWeights();
  const out = {
    values: [a, b].map((v) => Array.from(v.dataSync())),
    state: state.map((w) => ({ name: w.name.replace(/^[ab][0-9.]+/, ''), values: Array.from(w.tensor.dataSync()) })),
  };
  opt.dispose();
  tf.dispose([a, b]);
  return out;
}

beforeAll(async () => {
  await activateBackend('wasm');
});
afterAll(() => setFusedAdamEnabled(true));

describe('Adam as one kernel a variable on wasm', () => {
  it('gives tfjs\'s own Adam bit for bit: the variables, the m and v slots, the iteration count', async () => {
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    const before = rt.calls.adam;
    const fused = await fiveSteps(0.01);
    expect(rt.calls.adam - before).toBe(10);
    setFusedAdamEnabled(false);
    const own = await fiveSteps(0.01);
    setFusedAdamEnabled(true);
    expect(rt.calls.adam - before).toBe(10);
    expect(fused.values).toEqual(own.values);
    expect(fused.state.map((s) => s.name)).toEqual(['iter', '/m', '/m', '/v', '/v']);
    expect(fused.state).toEqual(own.state);
    // And it moved: five steps of lr 0.01 change every parameter.
    const start = tf.tidy(() => Array.from(tf.randomNormal([37], 0, 1, 'float32', 1).dataSync()));
    fused.values[0]!.forEach((v, i) => expect(v).not.toBe(start[i]));
  });

  it('stores m and v below FLT_MIN as 0 (no subnormals, which x86 computes slowly); the weights stay bit for bit tfjs\'s', async () => {
    // One step of gradient, then zeros: m decays by 0.9 a step and leaves float32's normal range after ~830 steps.
    async function decay(steps: number): Promise<{ w: number[]; m: number[] }> {
      const a = tf.variable(tf.randomNormal([37], 0, 0.05, 'float32', 3), true, `d${Math.random()}`);
      const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
      for (let step = 0; step < steps; step++) {
        tf.tidy(() => opt.applyGradients({ [a.name]: step === 0 ? tf.randomNormal([37], 0, 1, 'float32', 4) : tf.zeros([37]) } as unknown as tf.NamedTensorMap as never));
      }
      const state = await opt.getWeights();
      const out = { w: Array.from(a.dataSync()), m: Array.from(state[1]!.tensor.dataSync()) };
      opt.dispose();
      a.dispose();
      return out;
    }
    const fused = await decay(900);
    setFusedAdamEnabled(false);
    const own = await decay(900);
    setFusedAdamEnabled(true);
    const FLT_MIN = 1.1754943508222875e-38;
    // tfjs's own Adam holds subnormal m values by now; the kernel holds exact zeros there and nowhere else differs.
    expect(own.m.filter((x) => x !== 0 && Math.abs(x) < FLT_MIN).length).toBeGreaterThan(0);
    expect(fused.m.every((x) => x === 0 || Math.abs(x) >= FLT_MIN)).toBe(true);
    fused.m.forEach((x, i) => expect(x === 0 ? Math.abs(own.m[i]!) < FLT_MIN : x === own.m[i]).toBe(true));
    expect(fused.w).toEqual(own.w);
  });
});
