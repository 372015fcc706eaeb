import { ARCHITECTURES } from './blocks/architectures';
import { buildTransfer } from './blocks/transfer';
import { transferInputSpec } from './preprocess';
import { registerModel } from './registry';

/**
 * SE-ResNet-50: ResNet-50 with a squeeze-and-excitation block on every bottleneck, as keras-vggface's SENET50
 * (VGGFace2 weights); see blocks/resnet.ts.
 */
registerModel({
  name: 'senet50',
  minInputSize: ARCHITECTURES.senet50.minInputSize,
  inputSpec: (cfg) => transferInputSpec('senet50', cfg),
  build: (cfg, opts) => buildTransfer('senet50', cfg, opts.weightsFile),
});
