import type { TrainConfig } from '../../../src-shared/contract/runs';
import type { TransferArchitecture, WeightVariant } from '../../../src-shared/contract/weights';
import { AppError, fieldDetails } from '../../../src-shared/errors';
import { parseWeightsId } from '../weights/catalog';
import { baseLayerTotal } from '../weights/detect';
import { ARCHITECTURES, variantDef } from './blocks/architectures';
import type { InputSpec } from './registry';

/**
 * Input pipeline of the pretrained models. FER2013's 48×48 gray faces are replicated into 3 channels,
 * resized to `cfg.inputSize` (the paper: 197; 96/112/160/224 also work) and normalised as the weight source
 * was trained — `prepareBatch` (engine/input.ts) does the arithmetic from InputSpec.normalize:
 * - 'vggface' (keras-vggface weights): subtract the VGGFace2 per-channel means (BGR 91.4953, 103.8827,
 *   131.0912) from 0–255 values. keras-vggface's VGG16 (VGGFace v1) used means 93.594, 104.7624, 129.1863,
 *   at most 2.1 grey levels away; with grey replicated into B, G and R, the channel order does not matter.
 * - 'imagenet-caffe' (Keras Applications ImageNet weights): Caffe-style BGR means 103.939, 116.779, 123.68.
 * The source is the layer naming of the weights (their variant), which a weights id carries in its name.
 */
export function transferVariant(arch: TransferArchitecture, cfg: Pick<TrainConfig, 'weights'>): WeightVariant {
  const parsed = cfg.weights ? parseWeightsId(cfg.weights) : null;
  if (parsed) {
    if (parsed.architecture !== arch) {
      const message = `Weights ${cfg.weights} are for ${parsed.architecture}, but the run trains ${arch}.`;
      throw new AppError('WEIGHTS_MISMATCH', message, fieldDetails('weights', message));
    }
    return parsed.variant;
  }
  return ARCHITECTURES[arch].defaultVariant;
}

export function checkInputSize(arch: TransferArchitecture, size: number): void {
  const min = ARCHITECTURES[arch].minInputSize;
  if (!Number.isInteger(size) || size < min) {
    const message = `inputSize ${size} is too small for ${arch}: it needs at least ${min}×${min} pixels (each pooling stage halves the image). The paper uses 197.`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('inputSize', message));
  }
}

/**
 * A freeze count beyond the pretrained base. Checked here too (not only when the model is built) so that
 * anything asking for the input spec up front — run creation — refuses the config before a run is queued.
 */
export function checkFreeze(arch: TransferArchitecture, variant: WeightVariant, freeze: number): void {
  const base = baseLayerTotal({ architecture: arch, variant });
  if (freeze > base) {
    const message = `freeze ${freeze} is beyond ${arch}'s depth: its pretrained base has ${base} layers (counting the input layer, as Keras' model.layers does), and the head always trains. Use freeze ≤ ${base}; ${base} freezes the whole base.`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('freeze', message));
  }
}

export function transferInputSpec(arch: TransferArchitecture, cfg: Pick<TrainConfig, 'weights' | 'inputSize' | 'freeze'>): InputSpec {
  checkInputSize(arch, cfg.inputSize);
  checkFreeze(arch, transferVariant(arch, cfg), cfg.freeze);
  return { size: cfg.inputSize, channels: 3, normalize: variantDef(arch, transferVariant(arch, cfg)).normalize };
}
