import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { saveModelDir } from '../../../src-main/engine/checkpoint';
import { copyWeightsByName } from '../../../src-main/engine/init-from';
import { getModel } from '../../../src-main/engine/models/index';
import { trainConfigSchema, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';

const build = (over: Partial<TrainConfigInput>) => getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x', inputSize: 32, ...over }), { weightsFile: null });
// By name: a model lists its trainable weights first, so freezing a layer moves its weights in model.weights.
const values = (m: tf.LayersModel) => Object.fromEntries(m.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
/** The weights (by name) whose values differ between two models: [] when they hold the same weights. */
const differing = (a: tf.LayersModel, b: tf.LayersModel) => {
  const [va, vb] = [values(a), values(b)];
  const names = [...new Set([...Object.keys(va), ...Object.keys(vb)])];
  return names.filter((n) => !va[n] || !vb[n] || va[n].some((v, i) => v !== vb[n]![i]));
};

/**
 * The warm start's copy (TrainConfig.initFrom): a checkpoint's weights into a freshly built model, layer by layer by
 * name. Baselines at 32 px built with different seeds, so the copied values differ from the built ones.
 */
describe('copyWeightsByName', () => {
  const tmp = tempDir('fer-init-from-');
  const dir = join(tmp.dir, 'best');
  let source: tf.LayersModel;
  beforeAll(async () => {
    await activateBackend('wasm');
    source = await build({ seed: 3 });
    await saveModelDir(source, dir);
  });
  afterAll(() => {
    source.dispose();
    tmp.cleanup();
  });

  it('gives the new model every weight of the checkpoint, and leaves which layers train as they were', async () => {
    const model = await build({ seed: 4 });
    // Frozen as applyFreeze would (the baseline has no base to freeze, so set here): the copy must keep the flags.
    model.layers.slice(0, 4).forEach((l) => (l.trainable = false));
    const flags = model.layers.map((l) => l.trainable);
    const trainable = model.trainableWeights.length;
    expect(differing(model, source)).toContain('conv1/kernel');
    await copyWeightsByName(model, dir, 'run 1');
    expect(differing(model, source)).toEqual([]);
    expect(model.layers.map((l) => l.trainable)).toEqual(flags);
    expect(model.trainableWeights.length).toBe(trainable);
    model.dispose();
  });

  it('refuses a model with a layer the checkpoint lacks, naming it, and writes no weight', async () => {
    const model = await build({ seed: 4, hidden: 16 });
    const before = values(model);
    await expect(copyWeightsByName(model, dir, "run 1's best checkpoint")).rejects.toMatchObject({
      code: 'WEIGHTS_MISMATCH',
      message: "run 1's best checkpoint has no layer fc: the new model is not the architecture it was trained with.",
    });
    expect(values(model)).toEqual(before);
    model.dispose();
  });

  it('refuses a layer whose weights have another shape, naming the layer and both shapes', async () => {
    const model = await build({ seed: 4, inputSize: 48 });
    const before = values(model);
    await expect(copyWeightsByName(model, dir, "run 1's best checkpoint")).rejects.toMatchObject({
      code: 'WEIGHTS_MISMATCH',
      message: "Layer probs: probs/kernel is [4608, 7] in the new model but [2048, 7] in run 1's best checkpoint.",
    });
    expect(values(model)).toEqual(before);
    model.dispose();
  });
});
