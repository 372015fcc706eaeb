import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../src-shared/contract/runs';
import { npmBackbone } from '../../../src-shared/contract/backbones';
import { FACERES_GRAPH, faceresBase } from './blocks/mobilenet';
import { buildNpmBackbone, checkNpmAvailable, npmInputSpec, type NpmBackboneDef } from './blocks/npm-backbone';
import { registerModel } from './registry';

/** model.layers of the base, counting the input layer as Keras does: input, 27 convs each with its ReLU6, the pool. */
export const FACERES_BASE_LAYERS = 1 + FACERES_GRAPH.convs.length * 2 + 1;

/**
 * HSE's MobileNet face network (blocks/mobilenet.ts). Gray 48×48 faces replicated into R, G and B and resized to
 * inputSize, left at 0–255: the graph has no normalisation of its own, and fed [0, 1] its pool collapses to ~0 in
 * all but a few dimensions (faceres.test.ts checks it).
 */
export const FACERES: NpmBackboneDef = {
  name: 'faceres',
  graph: FACERES_GRAPH,
  base: faceresBase,
  baseLayers: FACERES_BASE_LAYERS,
  taps: npmBackbone('faceres')!.taps,
  minInput: 32,
  nativeInput: 224,
  normalize: 'raw255',
  inputNote: 'five stride-2 stages',
};

export function buildFaceres(cfg: TrainConfig, opts: { graphFile?: string } = {}): tf.LayersModel {
  return buildNpmBackbone(FACERES, cfg, opts);
}

registerModel({
  name: 'faceres',
  minInputSize: FACERES.minInput,
  multilevel: true,
  inputSpec: (cfg) => npmInputSpec(FACERES, cfg),
  checkAvailable: () => checkNpmAvailable(FACERES),
  build: async (cfg) => buildFaceres(cfg),
});
