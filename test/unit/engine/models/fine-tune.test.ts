import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import type { Workbench } from '../../../../src-main/context';
import { activateBackend } from '../../../../src-main/engine/backend';
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

