import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import type { Workbench } from '../../../../src-main/context';
import { activateBackend } from '../../../../src-main/engine/backend';
import { getModel } from '../../../../src-main/engine/models/index';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5 } from './fixtures';
import { Direct, directKerasVgg16, fixedInput } from './reference';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  // Forward passes only: wasm's XNNPACK convolutions make the 50-layer comparisons quick.
  await activateBackend('wasm');
  ({ wb, dir, cleanup } = tempWorkbench());
});
afterAll(() => cleanup());

const layers = randomWeights(baseSpecs({ architecture: 'vgg16', variant: 'keras' }), 21);

async function importAndCompare(file: string, name: string, format: string) {
  const info = await call(handlers, wb, 'weights.import', { path: file, name });
  expect(info).toMatchObject({ architecture: 'vgg16', variant: 'keras', normalize: 'imagenet-caffe', format, layers: 13, params: 14_714_688 });
  const cfg = trainConfigSchema.parse({ dataset: 'x', model: 'vgg16', weights: info.id, inputSize: 48, freeze: 19, seed: 5 });
  const def = getModel('vgg16');
  // Keras Applications weights were trained on Caffe-preprocessed ImageNet: the input pipeline must follow.
  expect(def.inputSpec(cfg)).toEqual({ size: 48, channels: 3, normalize: 'imagenet-caffe' });
  const model = await def.build(cfg, { weightsFile: info.path });
  const x = fixedInput(3, 48);
  const base = tf.model({ inputs: model.inputs, outputs: model.getLayer('block5_pool').output as tf.SymbolicTensor });
  const got = (base.predict(x) as tf.Tensor).reshape([3, -1]);
  const want = directKerasVgg16(new Direct(layers), x);
  const scale = want.abs().max().dataSync()[0]!;
  expect(scale).toBeGreaterThan(0);
  expect(got.sub(want).abs().max().dataSync()[0]! / scale).toBeLessThan(1e-4);
  tf.dispose([x, got, want]);
  model.dispose();
}

it('imports a weights-only Keras .h5 of VGG16 (Keras Applications names) and reproduces its features', async () => {
  const file = join(dir, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  await writeKerasH5(file, layers, 'weights');
  await importAndCompare(file, 'imagenet-vgg16', 'keras-h5-weights');
});

it('imports the same weights from a Keras 3 .weights.h5 (layers/<name>/vars/<i>)', async () => {
  const file = join(dir, 'vgg16.weights.h5');
  await writeKerasH5(file, layers, 'keras3');
  await importAndCompare(file, 'imagenet-vgg16-k3', 'keras3-weights-h5');
});
