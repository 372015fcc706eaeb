import { z } from 'zod';
import { NPM_BACKBONES, npmBackbone, npmBaseLayers } from './backbones';
import { invoke, returns } from './define';
import type { FeatureLevel } from './runs';

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

/** Layers of each conv base (model.layers, input layer included, as Keras counts for `freeze`). */
export const BASE_LAYER_COUNTS: Record<TransferArchitecture, Partial<Record<WeightVariant, number>>> = {
  resnet50: { vggface: 174, keras: 176 },
  senet50: { vggface: 286 },
  vgg16: { vggface: 19, keras: 19 },
};

const WEIGHTS_ID_RE = new RegExp(`^(${TRANSFER_ARCHITECTURES.join('|')})-(${WEIGHT_VARIANTS.join('|')})-[0-9a-f]{12}$`);

/** The architecture and layer naming a weights id encodes (ids look like `resnet50-vggface-3fa9c0d1e2b4`). */
export function parseWeightsId(id: string): { architecture: TransferArchitecture; variant: WeightVariant } | null {
  const m = WEIGHTS_ID_RE.exec(id);
  return m ? { architecture: m[1] as TransferArchitecture, variant: m[2] as WeightVariant } : null;
}

interface CacheHintConfig {
  model: string;
  weights: string | null;
  freeze: number;
  cacheFeatures: boolean;
  /** What the head reads from an npm face base (TrainConfig.features); absent: 'final'. */
  features?: FeatureLevel;
  augment: { flip: boolean; rotation: number; zoom: number; shiftX: number; shiftY: number } | null;
}

/**
 * Whether the frozen-base feature cache applies to a run config, with a sentence for the new-run form:
 * it needs the option on, some pretrained layers frozen (all of the base: only the head trains; part of it: the rest of
 * the base trains from the frozen part's cached outputs), and no augmentation that changes the base's input.
 * (The trainer decides with the built model — engine/feature-cache.ts — and agrees with this.)
 */
export function featureCacheHint(cfg: CacheHintConfig): { applies: boolean; reason: string } {
  const npm = npmBackbone(cfg.model);
  const transfer = (TRANSFER_ARCHITECTURES as readonly string[]).includes(cfg.model);
  if (!transfer && !npm) return { applies: false, reason: `Feature caching is for the pretrained models (${[...TRANSFER_ARCHITECTURES, ...NPM_BACKBONES.map((b) => b.model)].join(', ')}).` };
  const arch = cfg.model;
  const variant = (cfg.weights ? parseWeightsId(cfg.weights)?.variant : undefined) ?? 'vggface';
  const base = npm ? npmBaseLayers(npm, cfg.features ?? 'final') : (BASE_LAYER_COUNTS[arch as TransferArchitecture][variant] ?? BASE_LAYER_COUNTS[arch as TransferArchitecture].vggface!);
  const a = cfg.augment;
  // A flip alone can be cached (each training face is also cached mirrored); rotation, zoom and shift cannot.
  const augments = a !== null && (a.rotation > 0 || a.zoom > 0 || a.shiftX > 0 || a.shiftY > 0);
  if (!cfg.cacheFeatures) {
    if (augments || cfg.freeze <= 1) return { applies: false, reason: 'Feature caching is off.' };
    const could = cfg.freeze >= base ? 'the base is frozen and the input is not augmented, so later epochs could train only the head' : `the first ${cfg.freeze} layers are frozen and the input is not augmented, so their outputs could be computed once`;
    return { applies: false, reason: `Feature caching is off; turn it on: ${could}.` };
  }
  if (augments) return { applies: false, reason: 'Feature caching does not apply: rotation, zoom or shift changes the base\'s input every epoch (a flip alone can be cached).' };
  // freeze counts the input layer: 1 leaves every pretrained layer training.
  if (cfg.freeze <= 1) return { applies: false, reason: `Feature caching does not apply: no pretrained layer of ${arch} is frozen.` };
  if (cfg.freeze < base) {
    return {
      applies: true,
      reason: `Feature caching applies to the first ${cfg.freeze} of ${arch}'s ${base} base layers: their outputs are computed once and each epoch trains the last ${base - cfg.freeze} and the head, if those outputs fit in a quarter of the memory (the run's log says).`,
    };
  }
  return { applies: true, reason: `Feature caching applies: the frozen base runs once; later epochs train only the head.` };
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
