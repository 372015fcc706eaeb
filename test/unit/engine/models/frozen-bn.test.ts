import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';

// The patch is installed by activateBackend, on every backend (patches/registry.ts).
beforeAll(() => activateBackend('cpu'));

function bnModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const bn = tf.layers.batchNormalization({ name: 'bn' });
  // A trainable dense layer after it, so fit has something to train while the BN layer is frozen.
  const out = tf.layers.dense({ units: 4, name: 'out' }).apply(bn.apply(input)) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  bn.setWeights([tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 0, 1, 1]), tf.tensor1d([5, 5, 5, 5]), tf.tensor1d([4, 4, 4, 4])]);
  return m;
}

it('a frozen BatchNormalization layer uses its stored statistics in training mode and keeps them (as Keras 2.x+ TF2 does)', async () => {
  const x = tf.randomNormal([16, 4], 0, 1, 'float32', 3);
  const y = tf.randomNormal([16, 4], 0, 1, 'float32', 4);

  const trainable = bnModel();
  const inTraining = trainable.getLayer('bn').apply(x, { training: true }) as tf.Tensor;
  const inference = trainable.getLayer('bn').apply(x, { training: false }) as tf.Tensor;
  // A trainable BN normalises with the batch statistics: training and inference differ…
  expect(inTraining.sub(inference).abs().max().dataSync()[0]).toBeGreaterThan(0.1);

  const frozen = bnModel();
  frozen.getLayer('bn').trainable = false;
  const frozenTraining = frozen.getLayer('bn').apply(x, { training: true }) as tf.Tensor;
  // …a frozen one normalises with the stored mean 5 / variance 4 either way.
  const frozenInference = frozen.getLayer('bn').apply(x, { training: false }) as tf.Tensor;
  expect(frozenTraining.sub(frozenInference).abs().max().dataSync()[0]).toBeLessThan(1e-6);
  frozen.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await frozen.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  const [, , mean, variance] = frozen.getLayer('bn').getWeights();
  expect(Array.from(mean!.dataSync())).toEqual([5, 5, 5, 5]);
  expect(Array.from(variance!.dataSync())).toEqual([4, 4, 4, 4]);
});
