import type * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import type { ReadableWorkbench } from '../context';
import { checkpointExists, loadModelDir, runCheckpointDir } from './checkpoint';
import { readState } from './train';

const shapeText = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`;

/**
 * Copies a checkpoint's weights into `model` layer by layer, by name (TrainConfig.initFrom). Every layer of `model`
 * that holds weights must be in the checkpoint with the same weights and shapes; the first that is not fails it
 * with WEIGHTS_MISMATCH naming it, before any weight is written. Layers the checkpoint has beyond the model's are
 * ignored. Only values are set: which layers train (applyFreeze's flags) stays as the model was built.
 * `what` names the checkpoint in messages ("run 4's best checkpoint").
 */
export async function copyWeightsByName(model: tf.LayersModel, dir: string, what: string): Promise<void> {
  const source = await loadModelDir(dir);
  try {
    const byName = new Map(source.layers.map((l) => [l.name, l]));
    const plan: { layer: tf.layers.Layer; values: tf.Tensor[] }[] = [];
    for (const layer of model.layers) {
      if (!layer.weights.length) continue;
      const from = byName.get(layer.name);
      if (!from) throw new AppError('WEIGHTS_MISMATCH', `${what} has no layer ${layer.name}: the new model is not the architecture it was trained with.`);
      // Paired by the variables' names (bn1/moving_mean), not their position in the list.
      const theirs = new Map(from.weights.map((w) => [w.originalName, w]));
      const values = layer.weights.map((w) => {
        const t = theirs.get(w.originalName);
        if (!t) throw new AppError('WEIGHTS_MISMATCH', `${what} has no weight ${w.originalName} in layer ${layer.name}.`);
        if (shapeText(t.shape) !== shapeText(w.shape)) {
          throw new AppError('WEIGHTS_MISMATCH', `Layer ${layer.name}: ${w.originalName} is ${shapeText(w.shape)} in the new model but ${shapeText(t.shape)} in ${what}.`);
        }
        return t.read();
      });
      plan.push({ layer, values });
    }
    // setWeights copies by reference counting, so the values outlive the source model disposed below.
    for (const { layer, values } of plan) layer.setWeights(values);
  } finally {
    source.dispose();
  }
}

/**
 * A fresh run's warm start: run `runId`'s best weights into `model`. Returns the epoch those weights are from (for
 * the run's note). A missing checkpoint is NOT_FOUND naming the folder (the run may have been deleted since).
 */
export async function initFromRun(wb: ReadableWorkbench, model: tf.LayersModel, runId: number): Promise<{ epoch: number }> {
  const dir = runCheckpointDir(wb, runId, 'best');
  if (!checkpointExists(dir)) throw new AppError('NOT_FOUND', `initFrom: run ${runId} has no best checkpoint (looked in ${dir}); was it deleted?`);
  const state = readState(dir);
  await copyWeightsByName(model, dir, `run ${runId}'s best checkpoint`);
  return { epoch: state.best?.epoch ?? state.epochsDone };
}
