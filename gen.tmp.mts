import { baseSpecs } from './src-main/engine/weights/detect';
import { randomWeights, writeKerasH5 } from './test/unit/engine/weights/fixtures';
for (const a of ['resnet50', 'senet50', 'vgg16'] as const) {
  await writeKerasH5(`/tmp/tx/rcmalli_vggface_tf_notop_${a}.h5`, randomWeights(baseSpecs({ architecture: a, variant: 'vggface' }), 3), 'weights');
}
