import { z } from 'zod';
import { invoke, returns } from './define';

/** The pretrained architectures the workbench builds and imports weights for. */
export const TRANSFER_ARCHITECTURES = ['resnet50', 'senet50', 'vgg16'] as const;
export type TransferArchitecture = (typeof TRANSFER_ARCHITECTURES)[number];

/**
 * Which layer naming (and so which weight source) a set of weights follows:
 * - 'vggface': keras-vggface (rcmalli) — VGGFace2 ResNet50/SeNet50, VGGFace VGG16; VGGFace mean subtraction.
 * - 'keras': Keras Applications (ImageNet ResNet50 / VGG16); Caffe-style ImageNet mean subtraction.
 */
export const WEIGHT_VARIANTS = ['vggface', 'keras'] as const;
export type WeightVariant = (typeof WEIGHT_VARIANTS)[number];

export type WeightsFormat = 'keras-h5-model' | 'keras-h5-weights' | 'keras3-weights-h5' | 'tfjs-layers' | 'fer-weights';

export interface WeightsInfo {
  /** `<architecture>-<variant>-<12 hex of the content hash>`: runs reference this in `config.weights`. */
  id: string;
  name: string;
  architecture: TransferArchitecture;
  variant: WeightVariant;
  /** The input normalisation these weights expect (see InputSpec.normalize). */
  normalize: 'vggface' | 'imagenet-caffe';
  format: WeightsFormat;
  /** Stored copy inside the workbench home (a folder with weights.json + weights.bin). */
  path: string;
  sha256: string;
  sourceFile: string;
  /** Weighted layers loaded, and the number of values in them. */
  layers: number;
  params: number;
  /** Layers in the file that the model has no use for (e.g. the original classifier); they are ignored. */
  unmatched: string[];
  createdAt: string;
  /** True when this exact content was imported before: the stored copy was reused. */
  existed?: boolean;
}

export const weightsInvoke = {
  /** Imports a Keras .h5 (full model or weights only) or a tfjs model.json, checking every layer and shape. */
  'weights.import': invoke(
    z.strictObject({
      path: z.string().min(1).max(4096),
      name: z.string().min(1).max(200),
      architecture: z.enum(TRANSFER_ARCHITECTURES).optional(),
    }),
    returns<WeightsInfo>(),
  ),
  'weights.list': invoke(z.strictObject({}), returns<WeightsInfo[]>()),
  'weights.delete': invoke(z.strictObject({ id: z.string().min(1).max(200) }), returns<{ deleted: true }>()),
};

export const weightsEvents = {};
