import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
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

/**
 * A tfjs graph model as tensorflowjs_converter writes one (GraphDef nodes as JSON, Const values from the weight
 * shards): 48×48 gray → Conv2D 3×3 (2 filters, SAME) + bias → ReLU → flatten → MatMul + bias → Softmax, 7-way.
 * Returns the model.json path and the same network written with tfjs ops, to compare against.
 */
export function writeGraphModel(dir: string, seed: number): { file: string; reference: (x: tf.Tensor4D) => tf.Tensor } {
  const rand = prng(seed);
  const vals = (n: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 0.3);
  const w1 = vals(3 * 3 * 1 * 2);
  const b1 = vals(2);
  const w2 = vals(48 * 48 * 2 * 7);
  const b2 = vals(7);
  const flat = Int32Array.from([-1, 48 * 48 * 2]);
  const dims = (...d: number[]) => ({ dim: d.map((size) => ({ size: String(size) })) });
  const T = { T: { type: 'DT_FLOAT' } };
  const s = (text: string) => ({ s: Buffer.from(text).toString('base64') });
  const konst = (name: string, dtype: string, shape: number[]) => ({ name, op: 'Const', attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: dims(...shape) } } } });
  const nodes = [
    { name: 'face', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims(-1, 48, 48, 1) } } },
    konst('conv/kernel', 'DT_FLOAT', [3, 3, 1, 2]),
    konst('conv/bias', 'DT_FLOAT', [2]),
    konst('flat/shape', 'DT_INT32', [2]),
    konst('dense/kernel', 'DT_FLOAT', [48 * 48 * 2, 7]),
    konst('dense/bias', 'DT_FLOAT', [7]),
    { name: 'conv/Conv2D', op: 'Conv2D', input: ['face', 'conv/kernel'], attr: { ...T, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: s('SAME'), data_format: s('NHWC'), dilations: { list: { i: ['1', '1', '1', '1'] } } } },
    { name: 'conv/BiasAdd', op: 'BiasAdd', input: ['conv/Conv2D', 'conv/bias'], attr: { ...T, data_format: s('NHWC') } },
    { name: 'conv/Relu', op: 'Relu', input: ['conv/BiasAdd'], attr: T },
    { name: 'flat/Reshape', op: 'Reshape', input: ['conv/Relu', 'flat/shape'], attr: { ...T, Tshape: { type: 'DT_INT32' } } },
    { name: 'dense/MatMul', op: 'MatMul', input: ['flat/Reshape', 'dense/kernel'], attr: { ...T, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul', 'dense/bias'], attr: { ...T, data_format: s('NHWC') } },
    { name: 'Identity', op: 'Softmax', input: ['dense/BiasAdd'], attr: T },
  ];
  const weights = [
    { name: 'conv/kernel', shape: [3, 3, 1, 2], dtype: 'float32', data: w1 },
    { name: 'conv/bias', shape: [2], dtype: 'float32', data: b1 },
    { name: 'flat/shape', shape: [2], dtype: 'int32', data: flat },
    { name: 'dense/kernel', shape: [48 * 48 * 2, 7], dtype: 'float32', data: w2 },
    { name: 'dense/bias', shape: [7], dtype: 'float32', data: b2 },
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))));
  const file = join(dir, 'model.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'graph-model',
      generatedBy: 'test',
      convertedBy: 'test',
      modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
    }),
  );
  const reference = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const h = tf.relu(tf.conv2d(x, tf.tensor4d(w1, [3, 3, 1, 2]), 1, 'same').add(tf.tensor1d(b1)));
      return tf.softmax(h.reshape([-1, 48 * 48 * 2]).matMul(tf.tensor2d(w2, [48 * 48 * 2, 7])).add(tf.tensor1d(b2)));
    });
  return { file, reference };
}

/** A zip archive of `entries` (deflated), the way Python's zipfile writes one: local headers, central directory, end record. */
export function writeZip(file: string, entries: Record<string, Buffer>): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const packed = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...locals, dir, end]));
}

/**
 * What Keras 3's `model.save('x.keras')` writes, built from a tfjs model: config.json in Keras 3's spelling
 * (an InputLayer with `batch_shape`; inbound nodes as `{args: [__keras_tensor__ …], kwargs}`; single input and
 * output layers as one triple; LoRA settings on Dense) and model.weights.h5 with /layers/<layer>/vars/<i>.
 */
export async function writeKeras3(model: tf.LayersModel, file: string): Promise<void> {
  const top = await kerasConfigOf(model);
  const layers = top.config.layers;
  for (const layer of layers) {
    if (layer.class_name === 'Dense') layer.config.lora_rank = null;
    if (layer.class_name === 'InputLayer') {
      layer.config.batch_shape = layer.config.batch_input_shape;
      delete layer.config.batch_input_shape;
    }
    if (Array.isArray(layer.inbound_nodes)) {
      layer.inbound_nodes = (layer.inbound_nodes as [string, number, number, unknown][][]).map((node) => {
        const tensors = node.map(([l, n, t]) => ({ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [l, n, t] } }));
        return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs: {} };
      });
    }
  }
  if (top.class_name === 'Sequential') {
    const first = layers[0]!;
    layers.unshift({ class_name: 'InputLayer', module: 'keras.layers', registered_name: null, config: { batch_shape: first.config.batch_input_shape, dtype: 'float32', sparse: false, name: 'input_layer' } });
    delete first.config.batch_input_shape;
  } else {
    const cfg = top.config as Record<string, unknown>;
    for (const key of ['input_layers', 'output_layers']) if (Array.isArray(cfg[key]) && (cfg[key] as unknown[]).length === 1) cfg[key] = (cfg[key] as unknown[])[0];
  }
  const weights: FakeLayer[] = model.layers
    .filter((l) => l.weights.length)
    .map((l) => ({ name: l.name, weights: l.weights.map((w, i) => ({ name: String(i), shape: [...w.shape] as number[], data: w.read().dataSync() as Float32Array })) }));
  const h5 = `${file}.weights.tmp.h5`;
  await writeKerasH5(h5, weights, 'keras3');
  writeZip(file, {
    'metadata.json': Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2026-01-01@00:00:00' })),
    'config.json': Buffer.from(JSON.stringify({ module: 'keras', class_name: top.class_name === 'Sequential' ? 'Sequential' : 'Functional', config: top.config, registered_name: null })),
    'model.weights.h5': readFileSync(h5),
  });
  rmSync(h5);
}
