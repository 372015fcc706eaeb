import * as tf from '@tensorflow/tfjs';

/**
 * The exact network of ../shared/bench/torch_peer.py, so the benchmark compares like with like:
 * 48x48x1 -> [conv3x3x32 same, BN, ReLU]x2 -> maxpool2 -> [conv3x3x32 same, BN, ReLU]x2 -> maxpool2
 * -> flatten -> dropout 0.5 -> dense 7 (logits). As in the peer, softmax is part of the loss in training
 * (softmax cross-entropy on logits) and applied explicitly at evaluation. BatchNorm uses PyTorch's defaults
 * (momentum 0.1 = Keras 0.9, eps 1e-5); convs and the dense layer have biases, as nn.Conv2d/nn.Linear do.
 */
export function buildPeerBaseline(seed = 0): tf.Sequential {
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
    model.add(tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 }));
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
  model.add(tf.layers.dense({ units: 7, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 99 }) }));
  return model;
}
