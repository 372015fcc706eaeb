import { ARCHITECTURES } from './blocks/architectures';
import { buildTransfer } from './blocks/transfer';
import { transferInputSpec } from './preprocess';
import { registerModel } from './registry';

/**
 * ResNet-50 (48 conv layers, bottleneck blocks) in keras-vggface's naming (VGGFace2 weights, the paper's
 * source) or Keras Applications' (ImageNet weights); see blocks/resnet.ts and blocks/architectures.ts.
 */
registerModel({
  name: 'resnet50',
  minInputSize: ARCHITECTURES.resnet50.minInputSize,
  inputSpec: (cfg) => transferInputSpec('resnet50', cfg),
  build: (cfg, opts) => buildTransfer('resnet50', cfg, opts.weightsFile),
});
