import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../src-shared/contract/runs';
import { AppError } from '../../../src-shared/errors';
import { applyGraphWeights, readGraphWeights } from '../weights/graph-weights';
import { HUMAN_MODELS_PACKAGE, humanModelsFile, humanModelsStatus } from '../weights/human-models';
import { LayerFactory } from './blocks/layers';
import { FACERES_GRAPH, faceresBase } from './blocks/mobilenet';
import { applyFreeze } from './blocks/transfer';
import { lightHead, paperHead } from './heads';
import { registerModel, type InputSpec } from './registry';

/** Five stride-2 stages: 32 px leaves a 1×1 map before the global pool. */
export const FACERES_MIN_INPUT = 32;
/** The input side the network was trained at. */
export const FACERES_NATIVE_INPUT = 224;
/** model.layers of the base, counting the input layer as Keras does: input, 27 convs each with its ReLU6, the pool. */
export const FACERES_BASE_LAYERS = 1 + FACERES_GRAPH.convs.length * 2 + 1;
const HEAD_DROPOUT = 0.5;

function checkConfig(cfg: Pick<TrainConfig, 'inputSize' | 'freeze'>): void {
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < FACERES_MIN_INPUT) {
    throw new AppError('INVALID_INPUT', `inputSize ${cfg.inputSize} is too small for faceres: it needs at least ${FACERES_MIN_INPUT}×${FACERES_MIN_INPUT} pixels (five stride-2 stages). It was trained at ${FACERES_NATIVE_INPUT}.`);
  }
  if (cfg.freeze > FACERES_BASE_LAYERS) {
    throw new AppError(
      'INVALID_INPUT',
      `freeze ${cfg.freeze} is beyond faceres' depth: its pretrained base has ${FACERES_BASE_LAYERS} layers (counting the input layer, as Keras' model.layers does), and the head always trains. Use freeze ≤ ${FACERES_BASE_LAYERS}; ${FACERES_BASE_LAYERS} freezes the whole base.`,
    );
  }
}

/**
 * Gray 48×48 faces replicated into R, G and B and resized to inputSize, left at 0–255: the graph has no
 * normalisation of its own, and fed [0, 1] its pool collapses to ~0 in all but a few dimensions
 * (faceres.test.ts checks it).
 */
export function faceresInputSpec(cfg: Pick<TrainConfig, 'inputSize' | 'freeze'>): InputSpec {
  checkConfig(cfg);
  return { size: cfg.inputSize, channels: 3, normalize: 'raw255' };
}

/** Run creation refuses a faceres run on a machine without the package (a trained run's checkpoints need none). */
export function checkFaceresAvailable(): void {
  const s = humanModelsStatus();
  if (!s.present) throw new AppError('NOT_FOUND', `The faceres model needs its pretrained weights from ${HUMAN_MODELS_PACKAGE}. ${s.reason}`);
}

/**
 * faceres' base + a head, the base's weights read from the package's own graph (checked node by node),
 * the first cfg.freeze layers frozen. The head: the paper's (FC 4096 → FC 1024 → 7, dropout 0.5 after each),
 * or with cfg.hidden > 0 a lighter one (FC hidden → 7, dropout 0.5). `graphFile` overrides the package's file.
 */
export function buildFaceres(cfg: TrainConfig, opts: { graphFile?: string } = {}): tf.LayersModel {
  checkConfig(cfg);
  const file = opts.graphFile ?? humanModelsFile(FACERES_GRAPH.file, 'faceres');
  const status = humanModelsStatus();
  const weights = readGraphWeights(file, FACERES_GRAPH, `${HUMAN_MODELS_PACKAGE}${status.version ? ` ${status.version}` : ''} ${file}`);
  const input = tf.input({ shape: [cfg.inputSize, cfg.inputSize, 3], name: 'image' });
  // The pretrained weights overwrite the base: skip generating random ones for it.
  const features = faceresBase(new LayerFactory(cfg.seed, { zeros: true }), input);
  const f = new LayerFactory(cfg.seed + 1);
  const out =
    cfg.hidden > 0
      ? lightHead(f, features, { units: cfg.hidden, dropout: HEAD_DROPOUT, seed: cfg.seed })
      : paperHead(f, features, { dropout: HEAD_DROPOUT, seed: cfg.seed });
  const model = tf.model({ inputs: input, outputs: out, name: 'faceres' });
  try {
    applyGraphWeights(model, weights);
    applyFreeze(model, cfg.freeze, 'faceres');
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

registerModel({
  name: 'faceres',
  minInputSize: FACERES_MIN_INPUT,
  inputSpec: (cfg) => faceresInputSpec(cfg),
  checkAvailable: checkFaceresAvailable,
  build: async (cfg) => buildFaceres(cfg),
});
