import { ARCHITECTURES } from './blocks/architectures';
import { buildTransfer } from './blocks/transfer';
import { transferInputSpec } from './preprocess';
import { registerModel } from './registry';

/**
 * VGG16 (13 conv layers) in keras-vggface's naming (conv1_1 …, VGGFace weights, the paper's source) or
 * Keras Applications' (block1_conv1 …, ImageNet weights); the paper's head adds 50% dropout. See blocks/vgg.ts.
 */
registerModel({
  name: 'vgg16',
  minInputSize: ARCHITECTURES.vgg16.minInputSize,
  inputSpec: (cfg) => transferInputSpec('vgg16', cfg),
  build: (cfg, opts) => buildTransfer('vgg16', cfg, opts.weightsFile),
});
