import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import { shapeText, shortWeightName, type WeightSet, type WeightTensor } from '../weights/types';
import type { KerasModelJson } from './topology';

/**
 * Builds the model a Keras config describes and loads the file's weights into it, layer by layer: each tfjs
 * weight takes the file's weight of the same short name ('kernel', 'gamma', 'moving_mean', …), or of the same
 * position where the file numbers them (Keras 3 vars). A layer with weights the file lacks is an error naming it.
 */
export async function buildModel(topology: KerasModelJson, set: WeightSet, file: string): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON(topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file}: TensorFlow.js cannot build the model its config describes: ${(err as Error).message}`);
  }
  try {
    for (const layer of model.layers) assignWeights(layer, set, file);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

function assignWeights(layer: tf.layers.Layer, set: WeightSet, file: string): void {
  const vars = layer.weights;
  if (!vars.length) return;
  const what = `layer "${layer.name}" (${layer.getClassName()})`;
  const stored = set.layers.get(layer.name);
  if (!stored) {
    throw new AppError('INVALID_DATA', `${file}: ${what} needs weights (${vars.map((v) => shortWeightName(v.originalName)).join(', ')}), but the file has none for it.`);
  }
  const byPosition = stored.every((w) => w.name.startsWith('#'));
  const values = vars.map((v, i) => {
    const short = shortWeightName(v.originalName);
    const w: WeightTensor | undefined = byPosition ? stored[i] : stored.find((s) => s.name === short);
    if (!w) throw new AppError('INVALID_DATA', `${file}: ${what} has no "${short}" weight in the file (it has ${stored.map((s) => s.name).join(', ')}).`);
    const want = v.shape;
    if (w.shape.length !== want.length || w.shape.some((d, k) => d !== want[k])) {
      throw new AppError('INVALID_DATA', `${file}: ${what} weight "${short}" is ${shapeText(w.shape)} in the file, but the model needs ${shapeText(want)}.`);
    }
    return tf.tensor(w.data, w.shape);
  });
  try {
    layer.setWeights(values);
  } finally {
    for (const t of values) t.dispose();
  }
}
