import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { planFeatureCache } from '../../../../src-main/engine/feature-cache';
import { prepareBatch } from '../../../../src-main/engine/input';
import { FACERES_GRAPH } from '../../../../src-main/engine/models/blocks/mobilenet';
import { buildFaceres, FACERES_BASE_LAYERS } from '../../../../src-main/engine/models/faceres';
import { buildMobileFaceNet } from '../../../../src-main/engine/models/mobilefacenet';
import { MODEL_PRESETS } from '../../../../src-main/engine/models/presets';
import { humanModelsFile } from '../../../../src-main/engine/weights/human-models';
import { baseLayers } from '../../../../src-renderer/lib/run-form';
import { npmBackbone, npmBaseLayers } from '../../../../src-shared/contract';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import { AppError, fieldIssues } from '../../../../src-shared/errors';
import { faces, loadShipped, maxAbsDiff, refusal } from './graph-helpers';

// The base's convs (the final global pool left out), a grid pool and a flatten for each of the two taps and the last
// conv, and the join.
const GRID_LAYERS = FACERES_BASE_LAYERS - 1 + 3 * 2 + 1;
const cfg = (over: Record<string, unknown> = {}) =>
  trainConfigSchema.parse({ dataset: 'x', model: 'faceres', features: 'grid', inputSize: 224, freeze: GRID_LAYERS, hidden: 64, ...over });

/** A map's means over its 2×2 grid by hand: windows of ceil(side/2) at 0 and side − window, cells row by row. */
function gridByHand(m: tf.Tensor4D): tf.Tensor2D {
  const side = m.shape[1];
  const w = Math.ceil(side / 2);
  const cells: tf.Tensor2D[] = [];
  for (const y of [0, side - w]) for (const x of [0, side - w]) cells.push(m.slice([0, y, x, 0], [-1, w, w, -1]).mean([1, 2]) as tf.Tensor2D);
  return tf.concat(cells, 1);
}

describe("faceres with features: 'grid' (conv_pw_11, conv_pw_12 and the last block, each pooled over a 2×2 grid)", () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await activateBackend('wasm');
    model = buildFaceres(cfg());
  });
  afterAll(() => model?.dispose());

  it("reads the shipped graph's own activations, pooled over the face's quadrants (< 1e-4), and they differ from quadrant to quadrant", async () => {
    const shipped = await loadShipped(humanModelsFile(FACERES_GRAPH.file, 'faceres'));
    const x = prepareBatch(faces(2), 2, { size: 224, channels: 3, normalize: 'raw255' });
    const maps = shipped.execute(x, ['conv_pw_11_relu/clip_by_value', 'conv_pw_12_relu/clip_by_value', 'conv_pw_13_relu/clip_by_value']) as tf.Tensor4D[];
    // 14×14 (two 7×7 halves) and 7×7 (two 4×4 halves sharing the middle row and column).
    expect(maps.map((m) => m.shape.slice(1, 3))).toEqual([[14, 14], [7, 7], [7, 7]]);
    const want = tf.concat(maps.map(gridByHand), 1);
    const start = model.layers.findIndex((l) => l.name.startsWith('head_'));
    const base = tf.model({ inputs: model.inputs, outputs: model.layers[start - 1]!.output as tf.SymbolicTensor });
    const got = base.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([2, 4 * (512 + 1024 + 1024)]);
    expect(maxAbsDiff(want, got)).toBeLessThan(1e-4);
    // The quadrants carry different values (a global pool copied four times would not), and on the 14×14 map their
    // mean is the global pool multilevel reads.
    const pw11 = got.slice([0, 0], [-1, 4 * 512]).reshape([2, 4, 512]);
    expect(maxAbsDiff(pw11.slice([0, 0, 0], [-1, 1, -1]), pw11.slice([0, 3, 0], [-1, 1, -1]))).toBeGreaterThan(0.05);
    expect(maxAbsDiff(pw11.mean(1), maps[0]!.mean([1, 2]))).toBeLessThan(1e-4);
    tf.dispose([x, ...maps, want, got, pw11]);
    shipped.dispose();
  });

  it('adds its pools after the last conv: the contract, the form and the model agree on 62 base layers; the head reads 10,240 standardised values', () => {
    expect(model.layers.slice(0, FACERES_BASE_LAYERS - 1).map((l) => l.name)).not.toContain('global_pooling');
    expect(model.layers[GRID_LAYERS - 1]!.name).toBe('grid_features');
    expect(model.layers.slice(FACERES_BASE_LAYERS - 1, GRID_LAYERS).map((l) => l.name).sort()).toEqual(
      ['conv_pw_11_relu_grid', 'conv_pw_11_relu_grid_flat', 'conv_pw_12_relu_grid', 'conv_pw_12_relu_grid_flat', 'grid_pooling', 'grid_pooling_flat', 'grid_features'].sort(),
    );
    expect(model.layers.slice(GRID_LAYERS, GRID_LAYERS + 2).map((l) => l.name)).toEqual(['head_features_bn', 'head_fc64']);
    const faceres = npmBackbone('faceres')!;
    expect(npmBaseLayers(faceres, 'grid')).toBe(GRID_LAYERS);
    expect(baseLayers({ model: 'faceres', weights: '', features: 'grid' })?.count).toBe(GRID_LAYERS);
    expect(planFeatureCache(cfg({ cacheFeatures: true }), model, 100)).toMatchObject({ applies: true, featureSize: 10240 });
    const preset = MODEL_PRESETS.find((p) => p.id === 'faceres-grid-mixup')!;
    expect(preset.config).toMatchObject({ features: 'grid', freeze: GRID_LAYERS, cacheFeatures: true, mixup: 0.4, labelSmoothing: 0.1 });
    expect(planFeatureCache(cfg(preset.config), model, 100, 60)).toMatchObject({ applies: true, featureSize: 10240 });
  });

  it('refuses what it cannot build, naming the field: freeze beyond its 62 layers, grid on a base without taps', () => {
    const deep = refusal(() => buildFaceres(cfg({ freeze: GRID_LAYERS + 1 })));
    expect(deep.message).toMatch(/has 62 layers with features 'grid'/);
    expect(fieldIssues((deep as AppError).details)[0]?.field).toBe('freeze');
    const mfn = refusal(() => buildMobileFaceNet(trainConfigSchema.parse({ dataset: 'x', model: 'mobilefacenet', features: 'grid', inputSize: 112 })));
    expect(mfn.message).toMatch(/features 'grid' is not offered for mobilefacenet/);
    expect(fieldIssues((mfn as AppError).details)[0]?.field).toBe('features');
  });
});
