import * as tf from '@tensorflow/tfjs';
import type { LayerFactory, Sym } from './layers';

/**
 * Bottleneck residual blocks in two naming schemes, so pretrained weights map by layer name:
 * - 'vggface': keras-vggface's RESNET50 / SENET50 (converted from the Caffe VGGFace2 models):
 *   conv{stage}_{block}_1x1_reduce, _3x3, _1x1_increase, _1x1_proj, each followed by '<conv>/bn';
 *   no conv biases; the stride sits on the first 1×1 conv.
 * - 'keras': Keras Applications' ResNet50 (tf.keras 2.x, the ImageNet files):
 *   conv{stage}_block{b}_{1,2,3}_conv/_bn and _0_conv/_0_bn for the projection; convs have biases.
 */

export interface BottleneckOpts {
  stage: number;
  block: number;
  filters: [number, number, number];
  /** Stride of the block's first 1×1 conv and of its projection shortcut (only for the first block). */
  strides: number;
  /** The first block of each stage projects the shortcut with a 1×1 conv. */
  project: boolean;
}

/** keras-vggface bottleneck, optionally with a squeeze-and-excitation block on the residual branch. */
export function vggfaceBottleneck(f: LayerFactory, input: Sym, o: BottleneckOpts & { se: boolean; bnEps: number }): Sym {
  const p = `conv${o.stage}_${o.block}`;
  const [f1, f2, f3] = o.filters;
  let x = f.conv(input, { filters: f1, kernel: 1, strides: o.strides, useBias: false, name: `${p}_1x1_reduce` });
  x = f.bn(x, `${p}_1x1_reduce/bn`, o.bnEps);
  x = f.relu(x, `${p}_1x1_reduce/relu`);
  x = f.conv(x, { filters: f2, kernel: 3, padding: 'same', useBias: false, name: `${p}_3x3` });
  x = f.bn(x, `${p}_3x3/bn`, o.bnEps);
  x = f.relu(x, `${p}_3x3/relu`);
  x = f.conv(x, { filters: f3, kernel: 1, useBias: false, name: `${p}_1x1_increase` });
  x = f.bn(x, `${p}_1x1_increase/bn`, o.bnEps);
  if (o.se) x = squeezeExcite(f, x, p, f3);
  let shortcut = input;
  if (o.project) {
    shortcut = f.conv(input, { filters: f3, kernel: 1, strides: o.strides, useBias: false, name: `${p}_1x1_proj` });
    shortcut = f.bn(shortcut, `${p}_1x1_proj/bn`, o.bnEps);
  }
  return f.relu(f.add([x, shortcut], `${p}/add`), `${p}/relu`);
}

/**
 * Squeeze-and-excitation (Hu et al. 2018) as keras-vggface's senet_se_block: global average pool →
 * 1×1 conv down to C/16 (bias) → ReLU → 1×1 conv up to C (bias) → sigmoid → channel-wise rescale.
 */
function squeezeExcite(f: LayerFactory, x: Sym, p: string, channels: number): Sym {
  let se = tf.layers.globalAveragePooling2d({ name: `${p}/se_pool` }).apply(x) as Sym;
  se = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${p}/se_reshape` }).apply(se) as Sym;
  se = f.conv(se, { filters: Math.floor(channels / 16), kernel: 1, useBias: true, name: `${p}_1x1_down` });
  se = f.relu(se, `${p}_1x1_down/relu`);
  se = f.conv(se, { filters: channels, kernel: 1, useBias: true, name: `${p}_1x1_up` });
  se = tf.layers.activation({ activation: 'sigmoid', name: `${p}_1x1_up/sigmoid` }).apply(se) as Sym;
  return tf.layers.multiply({ name: `${p}/se_scale` }).apply([x, se]) as Sym;
}

/** Keras Applications bottleneck (`block1` in keras/applications/resnet.py). */
export function kerasBottleneck(f: LayerFactory, input: Sym, o: BottleneckOpts): Sym {
  const p = `conv${o.stage}_block${o.block}`;
  const [f1, f2, f3] = o.filters;
  const eps = 1.001e-5;
  let shortcut = input;
  if (o.project) {
    shortcut = f.conv(input, { filters: f3, kernel: 1, strides: o.strides, useBias: true, name: `${p}_0_conv` });
    shortcut = f.bn(shortcut, `${p}_0_bn`, eps);
  }
  let x = f.conv(input, { filters: f1, kernel: 1, strides: o.strides, useBias: true, name: `${p}_1_conv` });
  x = f.bn(x, `${p}_1_bn`, eps);
  x = f.relu(x, `${p}_1_relu`);
  x = f.conv(x, { filters: f2, kernel: 3, padding: 'same', useBias: true, name: `${p}_2_conv` });
  x = f.bn(x, `${p}_2_bn`, eps);
  x = f.relu(x, `${p}_2_relu`);
  x = f.conv(x, { filters: f3, kernel: 1, useBias: true, name: `${p}_3_conv` });
  x = f.bn(x, `${p}_3_bn`, eps);
  return f.relu(f.add([shortcut, x], `${p}_add`), `${p}_out`);
}

/** ResNet-50's four stages: (filters, blocks, first stride). */
export const RESNET50_STAGES: { stage: number; filters: [number, number, number]; blocks: number; strides: number }[] = [
  { stage: 2, filters: [64, 64, 256], blocks: 3, strides: 1 },
  { stage: 3, filters: [128, 128, 512], blocks: 4, strides: 2 },
  { stage: 4, filters: [256, 256, 1024], blocks: 6, strides: 2 },
  { stage: 5, filters: [512, 512, 2048], blocks: 3, strides: 2 },
];

/** keras-vggface's ResNet-50 / SE-ResNet-50 conv base, ending in global average pooling named 'avg_pool'. */
export function vggfaceResNetBase(f: LayerFactory, input: Sym, o: { se: boolean; bnEps: number }): Sym {
  let x = f.conv(input, { filters: 64, kernel: 7, strides: 2, padding: 'same', useBias: false, name: 'conv1/7x7_s2' });
  x = f.bn(x, 'conv1/7x7_s2/bn', o.bnEps);
  x = f.relu(x, 'conv1/relu');
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x) as Sym;
  for (const s of RESNET50_STAGES) {
    for (let b = 1; b <= s.blocks; b++) {
      x = vggfaceBottleneck(f, x, { stage: s.stage, block: b, filters: s.filters, strides: b === 1 ? s.strides : 1, project: b === 1, ...o });
    }
  }
  return globalPool(x);
}

/** Keras Applications' ResNet50 conv base (include_top=False), plus its 'avg_pool'. */
export function kerasResNetBase(f: LayerFactory, input: Sym): Sym {
  let x = tf.layers.zeroPadding2d({ padding: 3, name: 'conv1_pad' }).apply(input) as Sym;
  x = f.conv(x, { filters: 64, kernel: 7, strides: 2, useBias: true, name: 'conv1_conv' });
  x = f.bn(x, 'conv1_bn', 1.001e-5);
  x = f.relu(x, 'conv1_relu');
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(x) as Sym;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x) as Sym;
  for (const s of RESNET50_STAGES) {
    for (let b = 1; b <= s.blocks; b++) {
      x = kerasBottleneck(f, x, { stage: s.stage, block: b, filters: s.filters, strides: b === 1 ? s.strides : 1, project: b === 1 });
    }
  }
  return globalPool(x);
}

/**
 * keras-vggface ends its base with AveragePooling2D(7×7) named 'avg_pool', which only fits inputs of
 * 197–223 px (a 7×7 last feature map). Global average pooling is the same operation there, has no
 * weights, and also works at the small inputs this workbench trains at (down to 32 px).
 */
function globalPool(x: Sym): Sym {
  return tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Sym;
}
