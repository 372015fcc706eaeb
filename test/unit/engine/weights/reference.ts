import * as tf from '@tensorflow/tfjs';
import type { FakeLayer } from './fixtures';

/**
 * Forward passes written directly with tf core ops from the test's own weight arrays, looked up by their
 * Keras names — independent of the layer builders and the importer, so the round trip can compare them.
 */
export class Direct {
  private readonly byName = new Map<string, FakeLayer['weights'][number]>();
  constructor(layers: FakeLayer[]) {
    for (const l of layers) for (const w of l.weights) this.byName.set(w.name, w);
  }

  t(layer: string, weight: string): tf.Tensor {
    const w = this.byName.get(`${layer}/${weight}:0`);
    if (!w) throw new Error(`test weights lack ${layer}/${weight}`);
    return tf.tensor(w.data, w.shape);
  }

  has(layer: string, weight: string): boolean {
    return this.byName.has(`${layer}/${weight}:0`);
  }

  conv(x: tf.Tensor4D, layer: string, stride: number, pad: 'same' | 'valid'): tf.Tensor4D {
    const y = tf.conv2d(x, this.t(layer, 'kernel') as tf.Tensor4D, stride, pad);
    return this.has(layer, 'bias') ? y.add(this.t(layer, 'bias')) : y;
  }

  bn(x: tf.Tensor4D, layer: string, eps: number): tf.Tensor4D {
    return tf.batchNorm(x, this.t(layer, 'moving_mean') as tf.Tensor1D, this.t(layer, 'moving_variance') as tf.Tensor1D, this.t(layer, 'beta') as tf.Tensor1D, this.t(layer, 'gamma') as tf.Tensor1D, eps);
  }
}

const STAGES: [number, number, number][] = [
  // stage, blocks, stride of the first block
  [2, 3, 1],
  [3, 4, 2],
  [4, 6, 2],
  [5, 3, 2],
];

/** keras-vggface RESNET50 / SENET50 conv base + global average pool. */
export function directVggfaceResNet(d: Direct, x: tf.Tensor4D, o: { se: boolean; eps: number }): tf.Tensor2D {
  return tf.tidy(() => {
    let y = tf.relu(d.bn(d.conv(x, 'conv1/7x7_s2', 2, 'same'), 'conv1/7x7_s2/bn', o.eps));
    y = tf.maxPool(y, 3, 2, 'valid');
    for (const [stage, blocks, stride] of STAGES) {
      for (let b = 1; b <= blocks; b++) {
        const p = `conv${stage}_${b}`;
        const s = b === 1 ? stride : 1;
        let r = tf.relu(d.bn(d.conv(y, `${p}_1x1_reduce`, s, 'valid'), `${p}_1x1_reduce/bn`, o.eps));
        r = tf.relu(d.bn(d.conv(r, `${p}_3x3`, 1, 'same'), `${p}_3x3/bn`, o.eps));
        r = d.bn(d.conv(r, `${p}_1x1_increase`, 1, 'valid'), `${p}_1x1_increase/bn`, o.eps);
        if (o.se) {
          let e = r.mean([1, 2], true) as tf.Tensor4D;
          e = tf.relu(d.conv(e, `${p}_1x1_down`, 1, 'valid'));
          e = tf.sigmoid(d.conv(e, `${p}_1x1_up`, 1, 'valid'));
          r = r.mul(e) as tf.Tensor4D;
        }
        const shortcut = b === 1 ? d.bn(d.conv(y, `${p}_1x1_proj`, s, 'valid'), `${p}_1x1_proj/bn`, o.eps) : y;
        y = tf.relu(r.add(shortcut)) as tf.Tensor4D;
      }
    }
    return y.mean([1, 2]) as tf.Tensor2D;
  });
}

/** Keras Applications VGG16 conv base (block1_conv1 … block5_pool), flattened. */
export function directKerasVgg16(d: Direct, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let y = x;
    const convs = [2, 2, 3, 3, 3];
    convs.forEach((n, i) => {
      for (let c = 1; c <= n; c++) y = tf.relu(d.conv(y, `block${i + 1}_conv${c}`, 1, 'same'));
      y = tf.maxPool(y, 2, 2, 'valid');
    });
    return y.reshape([y.shape[0], -1]) as tf.Tensor2D;
  });
}

/** Deterministic 0–255-scale inputs after mean subtraction (what prepareBatch feeds these models). */
export function fixedInput(n: number, size: number): tf.Tensor4D {
  const data = new Float32Array(n * size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = 100 * Math.sin(i * 0.37) + 30 * Math.cos(i * 0.011);
  return tf.tensor4d(data, [n, size, size, 3]);
}
