import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import type { Workbench } from '../../../../src-main/context';
import { activateBackend } from '../../../../src-main/engine/backend';
import { getModel } from '../../../../src-main/engine/models/index';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5, writeTfjsLayers, type FakeLayer } from './fixtures';
import { Direct, directVggfaceResNet, fixedInput } from './reference';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  // Forward passes only: wasm's XNNPACK convolutions make the 50-layer comparisons quick.
  await activateBackend('wasm');
  ({ wb, dir, cleanup } = tempWorkbench());
});
afterAll(() => cleanup());

/** Largest absolute difference, relative to the reference's largest magnitude. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]! / Math.max(1e-12, b.abs().max().dataSync()[0]!));
}

/** The model's head applied by hand to the direct features (dense → relu → dense → relu → dense → softmax). */
function directHead(model: tf.LayersModel, features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let y: tf.Tensor2D = features;
    for (const [name, act] of [['head_fc4096', 'relu'], ['head_fc1024', 'relu'], ['head_softmax', 'softmax']] as const) {
      const [k, b] = model.getLayer(name).getWeights();
      y = y.matMul(k as tf.Tensor2D).add(b!);
      y = act === 'relu' ? tf.relu(y) : tf.softmax(y);
    }
    return y;
  });
}

async function checkRoundTrip(arch: 'resnet50' | 'senet50', weightsId: string, weightsPath: string, layers: FakeLayer[]) {
  const cfg = trainConfigSchema.parse({ dataset: 'x', model: arch, weights: weightsId, inputSize: 64, freeze: 0, seed: 3 });
  const model = await getModel(arch).build(cfg, { weightsFile: weightsPath });
  const x = fixedInput(2, 64);
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('avg_pool').output as tf.SymbolicTensor });
  const gotFeatures = features.predict(x) as tf.Tensor2D;
  const gotProbs = model.predict(x) as tf.Tensor2D;
  const direct = directVggfaceResNet(new Direct(layers), x, arch === 'senet50' ? { se: true, eps: 1e-4 } : { se: false, eps: 1e-3 });
  const directProbs = directHead(model, direct);
  // The features must carry signal (not all zero / constant), or the comparison would prove nothing.
  expect(tf.tidy(() => direct.sub(direct.mean()).abs().max().dataSync()[0]!)).toBeGreaterThan(1e-3);
  expect(relDiff(gotFeatures, direct)).toBeLessThan(1e-4);
  expect(relDiff(gotProbs, directProbs)).toBeLessThan(1e-4);
  tf.dispose([x, gotFeatures, gotProbs, direct, directProbs]);
  model.dispose();
}

describe('Keras .h5 / tfjs round trip', () => {
  it('imports a full-model Keras .h5 of ResNet50 (keras-vggface names) and reproduces its outputs', async () => {
    const layers = randomWeights(baseSpecs({ architecture: 'resnet50', variant: 'vggface' }), 11);
    // A full-model file also carries the original 8631-way classifier (shrunk here): it must be reported, not loaded.
    const classifier = { name: 'classifier', weights: [{ name: 'classifier/kernel:0', shape: [2048, 3], data: new Float32Array(2048 * 3) }, { name: 'classifier/bias:0', shape: [3], data: new Float32Array(3) }] };
    const file = join(dir, 'resnet50_full.h5');
    await writeKerasH5(file, [...layers, classifier], 'model');
    const info = await call(handlers, wb, 'weights.import', { path: file, name: 'vggface2-resnet50' });
    expect(info).toMatchObject({ architecture: 'resnet50', variant: 'vggface', normalize: 'vggface', format: 'keras-h5-model', layers: 106, params: 23_561_152, unmatched: ['classifier'] });
    expect(info.id).toMatch(/^resnet50-vggface-[0-9a-f]{12}$/);
    await checkRoundTrip('resnet50', info.id, info.path, layers);
    // Importing the same content again reuses the stored copy.
    const again = await call(handlers, wb, 'weights.import', { path: file, name: 'vggface2-resnet50' });
    expect(again.existed).toBe(true);
    expect(again.id).toBe(info.id);
    expect((await call(handlers, wb, 'weights.list', {})).map((w) => w.id)).toEqual([info.id]);
  });

  it('imports SE-ResNet-50 from the tfjs layers format (model.json + shards) and reproduces its outputs', async () => {
    const layers = randomWeights(baseSpecs({ architecture: 'senet50', variant: 'vggface' }), 12);
    const json = writeTfjsLayers(join(dir, 'senet_tfjs'), layers);
    const info = await call(handlers, wb, 'weights.import', { path: json, name: 'senet-tfjs' });
    expect(info).toMatchObject({ architecture: 'senet50', variant: 'vggface', format: 'tfjs-layers', layers: 138, params: 26_092_144, unmatched: [] });
    await checkRoundTrip('senet50', info.id, info.path, layers);
  });
});
