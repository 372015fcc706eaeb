import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadH5wasm } from '../../../../src-main/engine/weights/h5';
import type { ExpectedLayer } from '../../../../src-main/engine/weights/mapping';
import { prng as mulberry32 } from '../../../../src-main/engine/rng';

/** Test-side weights: layer name → weights in Keras order, with Keras-style full names. */
export interface FakeLayer {
  name: string;
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/**
 * Random but well-scaled weights for every layer in `specs` (He-scaled kernels, BN statistics near
 * identity), so a 50-layer network's activations stay finite and distinct through its depth.
 */
export function randomWeights(specs: ExpectedLayer[], seed: number): FakeLayer[] {
  const rand = mulberry32(seed);
  // Uniform on [-√3, √3): unit variance, and much cheaper than Gaussian draws for 25M values.
  const normal = () => (rand() * 2 - 1) * 1.7320508;
  return specs.map((layer) => ({
    name: layer.name,
    weights: layer.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < n; i++) {
        switch (w.name) {
          case 'kernel':
            data[i] = normal() * Math.sqrt(1 / fanIn);
            break;
          case 'gamma':
            // Well below 1, as in trained residual nets: 16 residual additions then leave features of order 1
            // (not hundreds, which would saturate a fresh head's softmax and stop every gradient).
            data[i] = 0.2 + 0.3 * rand();
            break;
          case 'moving_variance':
            data[i] = 0.5 + rand();
            break;
          default: // bias, beta, moving_mean
            data[i] = 0.1 * normal();
        }
      }
      return { name: `${layer.name}/${w.name}:0`, shape: w.shape, data };
    }),
  }));
}

function ensureGroup(root: { get(p: string): unknown; create_group(p: string): unknown }, path: string): void {
  let cur = '';
  for (const part of path.split('/')) {
    cur = cur ? `${cur}/${part}` : part;
    if (!root.get(cur)) root.create_group(cur);
  }
}

/**
 * Writes weights the way Keras 2 does: a `layer_names` attribute on the weights group (the root for
 * save_weights, /model_weights for model.save), one group per layer with a `weight_names` attribute, and
 * datasets at <layer>/<weight name> — names with '/' become nested groups, as h5py makes them.
 */
export async function writeKerasH5(file: string, layers: FakeLayer[], layout: 'weights' | 'model' | 'keras3', modelConfig?: string): Promise<void> {
  const h5 = await loadH5wasm();
  mkdirSync(dirname(file), { recursive: true });
  const f = new h5.File(file, 'w');
  try {
    if (layout === 'keras3') {
      for (const layer of layers) {
        ensureGroup(f, `layers/${layer.name}/vars`);
        const vars = f.get(`layers/${layer.name}/vars`) as InstanceType<typeof h5.Group>;
        layer.weights.forEach((w, i) => vars.create_dataset({ name: String(i), data: w.data, shape: w.shape, dtype: '<f' }));
      }
      return;
    }
    let root: InstanceType<typeof h5.Group> = f;
    if (layout === 'model') {
      f.create_attribute('model_config', modelConfig ?? JSON.stringify({ class_name: 'Functional', config: { name: 'test' } }));
      root = f.create_group('model_weights');
    }
    // h5py stores these as fixed-length byte strings (numpy 'S' arrays), so the test does too.
    const fixed = (names: string[]): [string[], number[], string] => [names, [names.length], `S${Math.max(1, ...names.map((n) => n.length))}`];
    root.create_attribute('layer_names', ...fixed(layers.map((l) => l.name)));
    for (const layer of layers) {
      ensureGroup(root, layer.name);
      const g = root.get(layer.name) as InstanceType<typeof h5.Group>;
      g.create_attribute('weight_names', ...fixed(layer.weights.map((w) => w.name)));
      for (const w of layer.weights) {
        const parent = w.name.slice(0, w.name.lastIndexOf('/'));
        if (parent) ensureGroup(g, parent);
        g.create_dataset({ name: w.name, data: w.data, shape: w.shape, dtype: '<f' });
      }
    }
  } finally {
    f.close();
  }
}

/** A tfjs layers model.json (weights manifest only, as the importer reads it) with its weights in two shards. */
export function writeTfjsLayers(dir: string, layers: FakeLayer[]): string {
  mkdirSync(dir, { recursive: true });
  const all = layers.flatMap((l) => l.weights.map((w) => ({ ...w, name: w.name.replace(/:\d+$/, '') })));
  const buf = Buffer.concat(all.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));
  const half = Math.floor(buf.length / 2);
  writeFileSync(join(dir, 'group1-shard1of2.bin'), buf.subarray(0, half));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), buf.subarray(half));
  const manifest = [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: all.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }];
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: manifest }));
  return file;
}
