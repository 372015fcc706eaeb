import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { prng } from '../../../../src-main/engine/rng';
import { writeKerasH5, type FakeLayer } from '../weights/fixtures';

/**
 * Sequential, 48×48 gray, 7-way: every single-input layer family FER models use (conv, separable, depthwise,
 * batch norm, the activations, padding, both poolings, dropout, flatten, reshape, dense).
 */
export function sequentialModel(): tf.Sequential {
  const m = tf.sequential({ name: 'seq' });
  m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [48, 48, 1], filters: 4, kernelSize: 3, padding: 'same' }));
  m.add(tf.layers.batchNormalization({ name: 'bn1' }));
  m.add(tf.layers.activation({ name: 'act1', activation: 'relu' }));
  m.add(tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }));
  m.add(tf.layers.separableConv2d({ name: 'sep', filters: 6, kernelSize: 3 }));
  m.add(tf.layers.reLU({ name: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same' }));
  m.add(tf.layers.leakyReLU({ name: 'lrelu', alpha: 0.2 }));
  m.add(tf.layers.prelu({ name: 'prelu' }));
  m.add(tf.layers.maxPooling2d({ name: 'mp', poolSize: 2 }));
  m.add(tf.layers.averagePooling2d({ name: 'ap', poolSize: 4 }));
  m.add(tf.layers.dropout({ name: 'drop', rate: 0.3 }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ name: 'd1', units: 16, activation: 'relu' }));
  m.add(tf.layers.reshape({ name: 'rs', targetShape: [4, 4] }));
  m.add(tf.layers.flatten({ name: 'flat2' }));
  m.add(tf.layers.dense({ name: 'out', units: 7, activation: 'softmax' }));
  randomize(m, 1);
  return m;
}

/** Functional, 40×40 RGB, 8-way (FER+'s order): branches joined by Add, Concatenate and Multiply, both global poolings. */
export function functionalModel(): tf.LayersModel {
  const input = tf.input({ shape: [40, 40, 3], name: 'face' });
  const c1 = tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([c1, c2]) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(sum) as tf.SymbolicTensor;
  const act = tf.layers.activation({ name: 'act', activation: 'relu' }).apply(bn) as tf.SymbolicTensor;
  const sd = tf.layers.dropout({ name: 'sdrop', rate: 0.2 }).apply(act) as tf.SymbolicTensor;
  const g1 = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sd) as tf.SymbolicTensor;
  const g2 = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(sd) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([g1, g2]) as tf.SymbolicTensor;
  const gate = tf.layers.dense({ name: 'gate', units: 8, activation: 'sigmoid' }).apply(cat) as tf.SymbolicTensor;
  const mul = tf.layers.multiply({ name: 'mul' }).apply([cat, gate]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'out', units: 8, activation: 'softmax' }).apply(mul) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out, name: 'func' });
  randomize(m, 2);
  return m;
}

/** Seeded weights with batch-norm statistics far from identity, so a weight in the wrong slot shows in the outputs. */
function randomize(m: tf.LayersModel, seed: number): void {
  const rand = prng(seed);
  for (const layer of m.layers) {
    const values = layer.weights.map((w) => {
      // A built layer's weights have every dimension known.
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const name = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const data = Float32Array.from({ length: n }, () => (name === 'moving_variance' ? 0.5 + rand() : name === 'gamma' ? 0.5 + rand() : (rand() * 2 - 1) * 0.5));
      return tf.tensor(data, shape);
    });
    if (values.length) layer.setWeights(values);
    values.forEach((v) => v.dispose());
  }
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/** What tfjs's file saver writes: model.json (topology + weights manifest) and one shard. */
export async function saveTfjsLayers(model: tf.LayersModel, dir: string): Promise<string> {
  const a = await artifactsOf(model);
  mkdirSync(dir, { recursive: true });
  const data = a.weightData!;
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data));
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] }));
  return file;
}

type LayerJson = { class_name: string; config: Record<string, unknown>; [k: string]: unknown };

/**
 * The model's config in Keras 2.13+'s spelling, as `model.save('x.h5')` writes it: initializers as objects with
 * `module` / `registered_name`, dtype policies as objects, and those keys beside each layer's class too.
 */
export async function kerasConfigOf(model: tf.LayersModel): Promise<{ class_name: string; config: { layers: LayerJson[]; [k: string]: unknown } }> {
  const top = (await artifactsOf(model)).modelTopology as { class_name: string; config: { layers: LayerJson[] } };
  for (const layer of top.config.layers) {
    layer.module = 'keras.layers';
    layer.registered_name = null;
    for (const key of Object.keys(layer.config)) {
      if (key.endsWith('_initializer')) layer.config[key] = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
    }
    layer.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  }
  return top;
}

/** Keras 2's full-model .h5: the config as the root's model_config, weights under /model_weights/<layer>/<layer>/<w>:0. */
export async function writeKerasModelH5(model: tf.LayersModel, file: string, config: unknown, opts: { skipLayer?: string } = {}): Promise<void> {
  const layers: FakeLayer[] = [];
  for (const layer of model.layers) {
    if (!layer.weights.length || layer.name === opts.skipLayer) continue;
    layers.push({
      name: layer.name,
      weights: layer.weights.map((w) => ({ name: `${layer.name}/${w.originalName.slice(w.originalName.lastIndexOf('/') + 1)}:0`, shape: [...w.shape] as number[], data: w.read().dataSync() as Float32Array })),
    });
  }
  await writeKerasH5(file, layers, 'model', JSON.stringify(config));
}
