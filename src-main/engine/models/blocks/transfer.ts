import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../../src-shared/contract/runs';
import type { TransferArchitecture, WeightVariant } from '../../../../src-shared/contract/weights';
import { AppError } from '../../../../src-shared/errors';
import { candidateLabel, detectArchitecture } from '../../weights/detect';
import { applyWeights, assertComplete, expectedLayers, matchWeights } from '../../weights/mapping';
import { readWeightsFile } from '../../weights/stored';
import type { WeightSet } from '../../weights/types';
import { HEAD_LAYER_PREFIX } from '../heads';
import { checkInputSize, transferVariant } from '../preprocess';
import { buildFull } from './architectures';

/** Layers of the pretrained base (model.layers before the head), counting the input layer as Keras does. */
export function baseLayerCount(model: tf.LayersModel): number {
  const i = model.layers.findIndex((l) => l.name.startsWith(HEAD_LAYER_PREFIX));
  return i < 0 ? model.layers.length : i;
}

/**
 * Freezes model.layers[0..n) as Keras' `for layer in model.layers[:n]: layer.trainable = False` does (the
 * paper freezes 170 of ResNet50's). A frozen BatchNormalization layer keeps its pretrained statistics
 * (see patches/frozen-bn.ts). The head always trains, so n may not reach into it.
 */
export function applyFreeze(model: tf.LayersModel, n: number, arch: string): void {
  const base = baseLayerCount(model);
  if (!Number.isInteger(n) || n < 0) throw new AppError('INVALID_INPUT', `freeze must be a whole number ≥ 0, got ${n}.`);
  if (n > base) {
    throw new AppError(
      'INVALID_INPUT',
      `freeze ${n} is beyond ${arch}'s depth: its pretrained base has ${base} layers (counting the input layer, as Keras' model.layers does), and the ${model.layers.length - base}-layer head always trains. Use freeze ≤ ${base}; ${base} freezes the whole base.`,
    );
  }
  model.layers.forEach((layer, i) => {
    layer.trainable = i >= n;
  });
}

/**
 * A ModelDefinition.build for a pretrained architecture: base + the paper's head, the base's weights loaded
 * from `weightsFile` (a stored import, a Keras .h5 or a tfjs model.json) with every layer and shape
 * checked, then the first cfg.freeze layers frozen. The caller compiles the model afterwards.
 */
export async function buildTransfer(arch: TransferArchitecture, cfg: TrainConfig, weightsFile: string | null): Promise<tf.LayersModel> {
  checkInputSize(arch, cfg.inputSize);
  const expectedVariant = transferVariant(arch, cfg);
  let set: WeightSet | null = null;
  let variant: WeightVariant = expectedVariant;
  if (weightsFile) {
    set = await readWeightsFile(weightsFile);
    if ('manifest' in set && typeof set.manifest === 'object') {
      const m = set.manifest as { architecture: TransferArchitecture; variant: WeightVariant };
      if (m.architecture !== arch) throw new AppError('WEIGHTS_MISMATCH', `${weightsFile} holds ${m.architecture} weights, but the run trains ${arch}.`);
      variant = m.variant;
    } else {
      variant = detectArchitecture(set, arch).variant;
    }
    if (variant !== expectedVariant) {
      // The input pipeline (InputSpec) was chosen from config.weights before the file was read.
      throw new AppError(
        'INVALID_INPUT',
        `${weightsFile} uses ${variant} layer names, whose input normalisation differs from the ${expectedVariant} one config.weights ("${cfg.weights ?? ''}") implies. Import the file (fer weights import) and set config.weights to its id.`,
      );
    }
  }
  const model = buildFull(arch, variant, cfg.inputSize, cfg.seed, { zeroBase: set !== null });
  try {
    if (set) {
      const expected = expectedLayers(model, baseLayerCount(model));
      const report = matchWeights(set, expected);
      assertComplete(report, candidateLabel({ architecture: arch, variant }), weightsFile ?? '');
      applyWeights(model, set, expected);
    }
    applyFreeze(model, cfg.freeze, arch);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
