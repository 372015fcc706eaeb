import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import type { Workbench } from '../../../../src-main/context';
import { activateBackend } from '../../../../src-main/engine/backend';
import { CachedFeatures, planFeatureCache, splitAtHead } from '../../../../src-main/engine/feature-cache';
import { prepareBatch } from '../../../../src-main/engine/input';
import { getModel } from '../../../../src-main/engine/models/index';
import { train } from '../../../../src-main/engine/train';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { loadRunData, resolveWeightsFile } from '../../../../src-main/trainer/data';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5 } from '../weights/fixtures';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  await activateBackend('wasm');
  ({ wb, dir, cleanup } = tempWorkbench());
});
afterAll(() => cleanup());

it('fine-tunes ResNet50 from imported .h5 weights on wasm: frozen layers keep their weights, the rest train', async () => {
  const ds = await createSyntheticDataset(wb, { perClass: 4, seed: 3, balanced: true, name: 'tiny' });
  const layers = randomWeights(baseSpecs({ architecture: 'resnet50', variant: 'vggface' }), 8);
  const file = join(dir, 'rcmalli_vggface_tf_notop_resnet50.h5');
  await writeKerasH5(file, layers, 'weights');
  const info = await call(handlers, wb, 'weights.import', { path: file, name: 'vggface2-resnet50', architecture: 'resnet50' });

  const config = trainConfigSchema.parse({ dataset: ds.id, model: 'resnet50', weights: info.id, freeze: 166, inputSize: 64, optimizer: 'sgd', lr: 0.01, batch: 14, epochs: 1, testSplit: null });
  const def = getModel('resnet50');
  const model = await def.build(config, { weightsFile: resolveWeightsFile(wb, config.weights) });
  const conv1 = layers.find((l) => l.name === 'conv1/7x7_s2')!.weights[0]!.data;
  const values = (name: string, i = 0) => Array.from(model.getLayer(name).getWeights()[i]!.dataSync().slice(0, 256));
  // Keras order (as model.layers lists them): freezing 166 leaves conv5_3's 3×3 conv onwards trainable.
  const names = model.layers.map((l) => l.name);
  expect(names.slice(166, 170)).toEqual(['conv5_3_3x3', 'conv5_3_3x3/bn', 'conv5_3_3x3/relu', 'conv5_3_1x1_increase']);
  expect(model.getLayer('conv5_3_1x1_reduce/bn').trainable).toBe(false);
  expect(model.getLayer('conv5_3_3x3').trainable).toBe(true);
  const before = { frozenBnMean: values('conv5_3_1x1_reduce/bn', 2), frozenConv: values('conv5_3_1x1_reduce'), conv: values('conv5_3_3x3'), gamma: values('conv5_3_3x3/bn') };

  const data = loadRunData(wb, config);
  const outcome = await train({ config, model, spec: def.inputSpec(config), train: data.train, val: data.val, classWeights: null, dir: null });
  expect(outcome.status).toBe('completed');
  const epoch = outcome.state.history[0]!;
  expect(Number.isFinite(epoch.loss) && Number.isFinite(epoch.valLoss!)).toBe(true);

  expect(Array.from(model.getLayer('conv1/7x7_s2').getWeights()[0]!.dataSync())).toEqual(Array.from(conv1));
  expect(values('conv5_3_1x1_reduce')).toEqual(before.frozenConv);
  expect(values('conv5_3_1x1_reduce/bn', 2)).toEqual(before.frozenBnMean);
  // Conv gradients on wasm reach the trainable tail of the base.
  expect(values('conv5_3_3x3')).not.toEqual(before.conv);
  expect(values('conv5_3_3x3/bn')).not.toEqual(before.gamma);
  model.dispose();
});

it('ResNet50 with its whole base frozen learns synthetic expressions from cached features (held-out accuracy)', async () => {
  const ds = await createSyntheticDataset(wb, { perClass: 40, seed: 5, balanced: true, testFraction: 0.25, name: 'small' });
  const config = trainConfigSchema.parse({ dataset: ds.id, model: 'resnet50', freeze: 174, inputSize: 32, cacheFeatures: true, seed: 2, valSplit: 'PublicTest' });
  const def = getModel('resnet50');
  const spec = def.inputSpec(config);
  const model = await def.build(config, { weightsFile: null });
  const data = loadRunData(wb, config);
  expect(planFeatureCache(config, model, data.train.n).applies).toBe(true);
  const { base, head } = splitAtHead(model);
  const trainF = CachedFeatures.compute(base, data.train.pixels, data.train.n, spec);
  const valF = CachedFeatures.compute(base, data.val!.pixels, data.val!.n, spec);
  const all = (f: CachedFeatures) => f.gather(Array.from({ length: f.n }, (_, i) => i), 0, f.n);

  head.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = all(trainF);
  const ys = tf.oneHot(tf.tensor1d(Array.from(data.train.labels), 'int32'), 7);
  await head.fit(xs, ys, { epochs: 15, batchSize: 32, shuffle: true, verbose: 0 });
  // Scored through the full model on raw pixels: the head trained on cached features is the model's own.
  const probs = tf.tidy(() => model.predict(prepareBatch(data.val!.pixels, data.val!.n, spec)) as tf.Tensor);
  const cachedProbs = tf.tidy(() => head.predict(all(valF)) as tf.Tensor);
  expect(tf.tidy(() => probs.sub(cachedProbs).abs().max().dataSync()[0]!)).toBeLessThan(1e-4);
  const pred = probs.argMax(1).dataSync();
  const acc = Array.from(pred).filter((p, i) => p === data.val!.labels[i]).length / data.val!.n;
  expect(data.val!.n).toBeGreaterThanOrEqual(49);
  expect(acc).toBeGreaterThan(0.45); // chance is 1/7
  tf.dispose([xs, ys, probs, cachedProbs]);
  model.dispose();
});
