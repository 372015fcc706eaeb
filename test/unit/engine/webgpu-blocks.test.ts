import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { getModel } from '../../../src-main/engine/models/index';
import { readState, train } from '../../../src-main/engine/train';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { AppError } from '../../../src-shared/errors';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';
import { firstStepMemoryError, guardFirstStep, memoryLimitsFor, webgpuDevice } from '../../../src-main/engine/memory-limits';
import { estimateTrainingMemory } from '../../../src-main/engine/memory-plan';
import { LayerFactory } from '../../../src-main/engine/models/blocks/layers';
import { vggfaceBottleneck } from '../../../src-main/engine/models/blocks/resnet';
import { values, webgpuSuite } from './webgpu-helpers';

/**
 * SENet-50's building block on webgpu against the cpu backend at the paper's 197×197, and the GPU's own limits
 * behind the training-memory check. Few channels and batch 1 keep it within llvmpipe's 128 MiB bindings and quick on
 * two cores; skipped, with the reason in its title, where Dawn has no adapter (see webgpu.test.ts).
 */
const { why, title } = await webgpuSuite();

/** Captures the gradients tfjs-layers' training step hands its optimizer, and applies none. */
class CaptureGradients extends tf.Optimizer {
  grads = new Map<string, tf.Tensor>();
  applyGradients(given: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list = Array.isArray(given) ? given : Object.entries(given).map(([name, tensor]) => ({ name, tensor }));
    for (const { name, tensor } of list) this.grads.set(name, tf.keep(tensor.clone()));
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

const SIZE = 197;

/** Runs ops on a buffer just over the device's largest binding: WebGPU reports a validation error, throws nothing. */
function overLimitOp(maxTensorBytes: number): Promise<Float32Array> {
  const t = tf.fill([maxTensorBytes / 4 + 1024], 1);
  const s = t.sum();
  t.dispose();
  return s.data().finally(() => s.dispose()) as Promise<Float32Array>;
}
const CHANNELS = 4;

/**
 * keras-vggface's first block of a stage with squeeze-excitation (conv{s}_1: 1×1 reduce, 3×3, 1×1 increase, SE,
 * projection shortcut) at full resolution, then pooling and a softmax; batch norms in training mode.
 */
function seModel(): tf.LayersModel {
  const f = new LayerFactory(11);
  const x = tf.input({ shape: [SIZE, SIZE, CHANNELS] });
  let y = vggfaceBottleneck(f, x, { stage: 2, block: 1, filters: [4, 4, 16], strides: 1, project: true, se: true, bnEps: 1e-4 });
  y = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), name: 'fc' }).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: y });
  // Batch norms as a trained network has them. Freshly initialised (gamma 1, beta 0) the SE block pools a batch norm's
  // output, whose mean is beta = 0: its ReLU then sits on the kink, and which side rounding noise lands on differs
  // between backends (measured: an SE bias gradient of 0.023 on one, 0 on the other), which says nothing about either.
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() !== 'BatchNormalization') return;
    const c = layer.getWeights()[0]!.size;
    const [g, b] = [values(c, 100 + i), values(c, 200 + i)];
    layer.setWeights([tf.tensor1d(g.map((v) => 1 + 0.3 * v)), tf.tensor1d(b.map((v) => 0.5 * v)), tf.zeros([c]), tf.ones([c])]);
  });
  return model;
}

/** One training step (trainOnBatch: training-mode batch norm) on `backend`: the loss and every weight's gradient. */
async function step(backend: 'cpu' | 'webgpu', input: Float32Array): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  await tf.setBackend(backend);
  const model = seModel();
  const opt = new CaptureGradients();
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
  const x = tf.tensor4d(input, [1, SIZE, SIZE, CHANNELS]);
  const y = tf.oneHot(tf.tensor1d([3], 'int32'), 7).toFloat();
  try {
    const loss = (await model.trainOnBatch(x, y)) as number;
    const grads = new Map<string, Float32Array>();
    // Keyed by the layer's weight name, which is the same on both backends (variables get unique suffixes).
    for (const w of model.trainableWeights) grads.set(w.originalName, (await opt.grads.get(w.name)!.data()) as Float32Array);
    return { loss, grads };
  } finally {
    tf.dispose([x, y, ...opt.grads.values()]);
    model.dispose();
  }
}

describe.skipIf(why !== null)(title, () => {
  beforeAll(async () => {
    await activateBackend('cpu');
    await activateBackend('webgpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it(`a bottleneck + squeeze-excitation block at ${SIZE}×${SIZE} gives the cpu backend’s loss and gradients`, async () => {
    const input = values(SIZE * SIZE * CHANNELS, 9);
    // CPU time measured here: 4.3 s for the cpu backend's step, 1.2 s for llvmpipe's (its threads included).
    const ref = await step('cpu', input);
    const gpu = await step('webgpu', input);
    expect(Math.abs(gpu.loss - ref.loss)).toBeLessThan(1e-4);
    expect([...gpu.grads.keys()]).toEqual([...ref.grads.keys()]);
    // 3 convs, 3 batch norms (gamma, beta), 2 SE convs with biases; the projection conv and its batch norm; the dense layer.
    expect(ref.grads.size).toBe(3 + 3 * 2 + 4 + (1 + 2) + 2);
    // Absolute, at 1e-4 of the largest gradient, as for the baseline: a gradient whose true value is about 0 (a conv
    // bias feeding a batch norm, an SE conv fed by a near-zero pool) is rounding noise on both backends.
    const largest = Math.max(...[...ref.grads.values()].map((g) => Math.max(...g.map(Math.abs))));
    expect(largest).toBeGreaterThan(1e-3);
    for (const [name, r] of ref.grads) {
      const g = gpu.grads.get(name)!;
      let worst = 0;
      for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(g[i]! - r[i]!));
      expect(worst, name).toBeLessThan(1e-4 * largest);
    }
  });

  it('the training-memory check reads the device’s buffer limits, and a buffer over them fails the first step with a reason', async () => {
    await tf.setBackend('webgpu');
    const device = webgpuDevice()!;
    expect(device).not.toBeNull();
    const limits = memoryLimitsFor('webgpu');
    expect(limits.maxTensorBytes).toBe(Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize));
    const over = limits.maxTensorBytes! / 4 + 1024;
    // Only where that buffer can be made quickly (llvmpipe's 128 MiB; a GPU's bindings run to gigabytes).
    if (over > 2 ** 26) return;
    const est = estimateTrainingMemory(seModel(), 'adam');
    const err = await guardFirstStep(
      () => overLimitOp(limits.maxTensorBytes!),
      (cause) => firstStepMemoryError(cause, est, limits, { model: 'senet50', inputSize: SIZE, batch: 64 }),
    ).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^senet50 at 197×197, batch 64, on webgpu ran out of memory in its first training step: the GPU refused a buffer \(.+\)\./);
    // The device survives a refused buffer: the next step computes.
    const ok = tf.tidy(() => tf.ones([8]).sum());
    expect((await ok.data())[0]).toBe(8);
    ok.dispose();
  });

  it('a GPU error in the middle of a run fails it at the next batch, keeping the epochs before and saving nothing after', async () => {
    await tf.setBackend('webgpu');
    const max = memoryLimitsFor('webgpu').maxTensorBytes!;
    if (max > 2 ** 28) return; // as above: only where the oversized buffer is cheap to make
    const tmp = tempDir('fer-gpu-error-');
    const { train: trainSet } = synthSplits(1, 21);
    const config = trainConfigSchema.parse({ dataset: 'x', model: 'baseline', inputSize: 32, epochs: 3, batch: trainSet.n, augment: {}, seed: 3 });
    const def = getModel('baseline');
    const model = await def.build(config, { weightsFile: null });
    const dir = join(tmp.dir, 'run');
    try {
      const err = (await train({
        config,
        model,
        spec: def.inputSpec(config),
        train: trainSet,
        val: null,
        classWeights: null,
        dir,
        // What an allocation failing mid-run looks like to tfjs: an error event, and zeros from then on.
        hooks: { onEpoch: (m) => void (m.epoch === 1 && overLimitOp(max)) },
      }).then(
        () => null,
        (e: unknown) => e,
      )) as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('BACKEND_UNAVAILABLE');
      expect(err.message).toMatch(/^webgpu reported an error at epoch 2, batch 1: .*binding size.*\. The run stops rather than train on invalid buffers\. The checkpoints of epoch 1 and before are kept; nothing after the error was saved\.$/i);
      expect(readState(join(dir, 'last')).epochsDone).toBe(1);
    } finally {
      model.dispose();
      tmp.cleanup();
    }
  });
});
