import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../../../src-shared/labels';
import type { LayerFactory, Sym } from './blocks/layers';

/** Names of the head's layers: distinct from every base layer name, so base weights never map onto them. */
export const HEAD_LAYER_PREFIX = 'head_';

/**
 * The paper's classification head (section 5.2): the base's features, flattened → FC 4096 (ReLU) →
 * FC 1024 (ReLU) → softmax over the 7 emotions. VGG16's head has 50% dropout after each FC layer.
 */
export function paperHead(f: LayerFactory, features: Sym, o: { dropout: number; seed: number }): Sym {
  let x = features;
  if (x.shape.length > 2) x = tf.layers.flatten({ name: `${HEAD_LAYER_PREFIX}flatten` }).apply(x) as Sym;
  x = f.dense(x, 4096, `${HEAD_LAYER_PREFIX}fc4096`, 'relu');
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, seed: o.seed, name: `${HEAD_LAYER_PREFIX}dropout1` }).apply(x) as Sym;
  x = f.dense(x, 1024, `${HEAD_LAYER_PREFIX}fc1024`, 'relu');
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, seed: o.seed + 1, name: `${HEAD_LAYER_PREFIX}dropout2` }).apply(x) as Sym;
  return f.dense(x, NUM_CLASSES, `${HEAD_LAYER_PREFIX}softmax`, 'softmax');
}

/**
 * A lighter head for a base whose features are already a vector (faceres' 1024-d pool): FC `units` (ReLU),
 * dropout, softmax. ~1M weights at 1024 units against the paper head's ~8.4M.
 */
export function lightHead(f: LayerFactory, features: Sym, o: { units: number; dropout: number; seed: number }): Sym {
  let x = features;
  if (x.shape.length > 2) x = tf.layers.flatten({ name: `${HEAD_LAYER_PREFIX}flatten` }).apply(x) as Sym;
  x = f.dense(x, o.units, `${HEAD_LAYER_PREFIX}fc${o.units}`, 'relu');
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, seed: o.seed, name: `${HEAD_LAYER_PREFIX}dropout1` }).apply(x) as Sym;
  return f.dense(x, NUM_CLASSES, `${HEAD_LAYER_PREFIX}softmax`, 'softmax');
}
