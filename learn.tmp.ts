import * as tf from '@tensorflow/tfjs';
import { synthSamples } from './src-main/data/synth';
await tf.setBackend('cpu');
const all = [...synthSamples({ perClass: 60, seed: 11, testFraction: 0.3 })];
function tensors(samples: { label: number; pixels: Uint8Array }[]) {
  const x = new Float32Array(samples.length * 2304);
  samples.forEach((s, i) => s.pixels.forEach((v, k) => (x[i * 2304 + k] = v / 255)));
  return { x: tf.tensor4d(x, [samples.length, 48, 48, 1]), y: tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), 7) };
}
const tr = tensors(all.filter((s) => s.split === 'Training'));
const te = tensors(all.filter((s) => s.split !== 'Training'));
const model = tf.sequential({ layers: [
  tf.layers.averagePooling2d({ inputShape: [48, 48, 1], poolSize: 2 }),
  tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }),
  tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }),
  tf.layers.batchNormalization(), tf.layers.reLU(), tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
]});
model.compile({ optimizer: tf.train.adam(3e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
for (let e = 0; e < 8; e++) {
  const t0 = Date.now();
  await model.fit(tr.x, tr.y, { epochs: 1, batchSize: 32, shuffle: true, verbose: 0 });
  const [, acc] = model.evaluate(te.x, te.y) as tf.Scalar[];
  console.log(e, Date.now() - t0, 'ms', (await acc!.data())[0]);
}
