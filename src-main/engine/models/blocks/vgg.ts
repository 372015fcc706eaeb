import * as tf from '@tensorflow/tfjs';
import type { LayerFactory, Sym } from './layers';

/** VGG16's five conv blocks: (convs, filters). */
const VGG16_BLOCKS: [number, number][] = [
  [2, 64],
  [2, 128],
  [3, 256],
  [3, 512],
  [3, 512],
];

/**
 * VGG16's conv base (include_top=False), ending at the fifth max-pool. Two naming schemes:
 * - 'vggface': keras-vggface's VGG16 (VGGFace weights): conv1_1 … conv5_3, pool1 … pool5;
 * - 'keras': Keras Applications' VGG16 (ImageNet weights): block1_conv1 … block5_conv3, block1_pool … block5_pool.
 * Both convs have biases and ReLU built in, so the two share one topology and parameter count.
 */
export function vgg16Base(f: LayerFactory, input: Sym, naming: 'vggface' | 'keras'): Sym {
  let x = input;
  VGG16_BLOCKS.forEach(([convs, filters], i) => {
    const block = i + 1;
    for (let c = 1; c <= convs; c++) {
      const name = naming === 'vggface' ? `conv${block}_${c}` : `block${block}_conv${c}`;
      x = f.conv(x, { filters, kernel: 3, padding: 'same', useBias: true, activation: 'relu', name });
    }
    const pool = naming === 'vggface' ? `pool${block}` : `block${block}_pool`;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: pool }).apply(x) as Sym;
  });
  return x;
}
