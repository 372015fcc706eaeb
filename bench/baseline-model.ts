import * as tf from '@tensorflow/tfjs';

/**
 * The exact network of ../shared/bench/torch_peer.py, so the benchmark compares like with like:
 * 48x48x1 -> [conv3x3x32 same, BN, ReLU]x2 -> maxpool2 -> [conv3x3x32 same, BN, ReLU]x2 -> maxpool2
 * -> flatten -> dropout 0.5 -> dense 7 -> softmax.
 */
export function buildPeerBaseline(seed = 0): tf.LayersModel {
  const model = tf.sequential();
  let k = 0;
  const block = (first: boolean): void => {
    model.add(
      tf.layers.conv2d({
        ...(first ? { inputShape: [48, 48, 1] } : {}),
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + k++ }),
      }),
    );
    model.add(tf.layers.batchNormalization({ axis: -1 }));
    model.add(tf.layers.reLU());
  };
  block(true);
  block(false);
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  block(false);
  block(false);
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.5, seed }));
  model.add(tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 99 }) }));
  model.compile({ optimizer: tf.train.adam(), loss: 'categoricalCrossentropy' });
  return model;
}
