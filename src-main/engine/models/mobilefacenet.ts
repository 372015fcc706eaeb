import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../src-shared/contract/runs';
import { MOBILEFACENET_BASE_LAYERS, MOBILEFACENET_GRAPH, MOBILEFACENET_INPUT, mobileFaceNetBase } from './blocks/mobilefacenet';
import { buildNpmBackbone, checkNpmAvailable, npmInputSpec, type NpmBackboneDef } from './blocks/npm-backbone';
import { registerModel } from './registry';

/**
 * MobileFaceNet (blocks/mobilefacenet.ts), 112×112 RGB. Scaled to [0, 1] as Human, the package's own user, feeds
 * it (its graph has no normalisation of its own). Unlike faceres, its 192-d embedding does not collapse under another
 * scaling (on synthetic faces [0, 1], [−1, 1] and 0–255 keep a face's embedding alike under a shift and a brightness
 * change about equally), so the choice rests on Human's usage, not on a test.
 */
export const MOBILEFACENET: NpmBackboneDef = {
  name: 'mobilefacenet',
  graph: MOBILEFACENET_GRAPH,
  base: mobileFaceNetBase,
  baseLayers: MOBILEFACENET_BASE_LAYERS,
  minInput: MOBILEFACENET_INPUT,
  nativeInput: MOBILEFACENET_INPUT,
  fixedInput: true,
  normalize: 'unit',
  inputNote: 'its 7×7 global depthwise conv needs the 7×7 map a 112-pixel input leaves',
};

export function buildMobileFaceNet(cfg: TrainConfig, opts: { graphFile?: string } = {}): tf.LayersModel {
  return buildNpmBackbone(MOBILEFACENET, cfg, opts);
}

registerModel({
  name: 'mobilefacenet',
  minInputSize: MOBILEFACENET.minInput,
  inputSpec: (cfg) => npmInputSpec(MOBILEFACENET, cfg),
  checkAvailable: () => checkNpmAvailable(MOBILEFACENET),
  build: async (cfg) => buildMobileFaceNet(cfg),
});
