import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { cacheCut, planFeatureCache } from '../../../../src-main/engine/feature-cache';
import { prepareBatch } from '../../../../src-main/engine/input';
import { FACERES_GRAPH } from '../../../../src-main/engine/models/blocks/mobilenet';
import { buildFaceres, FACERES_BASE_LAYERS } from '../../../../src-main/engine/models/faceres';
import { buildMobileFaceNet } from '../../../../src-main/engine/models/mobilefacenet';
import { MODEL_PRESETS } from '../../../../src-main/engine/models/presets';
import { humanModelsFile } from '../../../../src-main/engine/weights/human-models';
import { validateConfig } from '../../../../src-main/services/runs';
import { baseLayers } from '../../../../src-renderer/lib/run-form';
import { featureCacheHint, npmBackbone, npmBaseLayers } from '../../../../src-shared/contract';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import { AppError, fieldIssues } from '../../../../src-shared/errors';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempWorkbench } from '../../../helpers/workbench';
import { faces, loadShipped, maxAbsDiff, refusal } from './graph-helpers';

const MULTILEVEL_LAYERS = FACERES_BASE_LAYERS + 3;
const cfg = (over: Record<string, unknown> = {}) =>
  trainConfigSchema.parse({ dataset: 'x', model: 'faceres', features: 'multilevel', inputSize: 224, freeze: MULTILEVEL_LAYERS, hidden: 64, ...over });

/** The base's output (what the head reads and the feature cache stores). */
function baseOutput(model: tf.LayersModel): tf.LayersModel {
  const start = model.layers.findIndex((l) => l.name.startsWith('head_'));
  return tf.model({ inputs: model.inputs, outputs: model.layers[start - 1]!.output as tf.SymbolicTensor });
}

describe("faceres with features: 'multilevel' (the pools of conv_pw_11, conv_pw_12 and the final block)", () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await activateBackend('wasm');
    model = buildFaceres(cfg());
  });
  afterAll(() => model?.dispose());

  it("reads the shipped graph's own activations: the spatial means of conv_pw_11 and conv_pw_12 and the 1024-d pool, side by side (< 1e-4)", async () => {
    const shipped = await loadShipped(humanModelsFile(FACERES_GRAPH.file, 'faceres'));
    const x = prepareBatch(faces(2), 2, { size: 224, channels: 3, normalize: 'raw255' });
    const [pw11, pw12, pool] = shipped.execute(x, ['conv_pw_11_relu/clip_by_value', 'conv_pw_12_relu/clip_by_value', 'global_pooling/Mean']) as tf.Tensor[];
    const want = tf.concat([pw11!.mean([1, 2]), pw12!.mean([1, 2]), pool!], 1);
    const got = baseOutput(model).predict(x) as tf.Tensor;
    expect(got.shape).toEqual([2, 512 + 1024 + 1024]);
    expect(maxAbsDiff(want, got)).toBeLessThan(1e-4);
    // Each part carries signal: a copy of one block three times, or zeros in a tap, would not match above, and the
    // taps are not the final pool under another name.
    const parts = tf.split(got, [512, 1024, 1024], 1);
    expect(parts.map((p) => tf.max(p).dataSync()[0]).every((v) => v! > 0.05)).toBe(true);
    expect(maxAbsDiff(parts[1]!, parts[2]!)).toBeGreaterThan(0.05);
    tf.dispose([x, pw11!, pw12!, pool!, want, got, ...parts]);
    shipped.dispose();
  });

  it('adds its pools after the last conv, so `freeze` counts the same conv layers; the contract, the form and the model agree on 59', () => {
    const final = buildFaceres(cfg({ features: 'final', freeze: FACERES_BASE_LAYERS }));
    expect(model.layers.slice(0, FACERES_BASE_LAYERS - 1).map((l) => l.name)).toEqual(final.layers.slice(0, FACERES_BASE_LAYERS - 1).map((l) => l.name));
    expect(model.layers.slice(FACERES_BASE_LAYERS - 1, MULTILEVEL_LAYERS).map((l) => l.name)).toEqual(['conv_pw_11_relu_pool', 'conv_pw_12_relu_pool', 'global_pooling', 'multilevel_features']);
    // A batch norm standardises the joined pools before the head's FC layer (their offsets differ a lot).
    expect(model.layers.slice(MULTILEVEL_LAYERS, MULTILEVEL_LAYERS + 2).map((l) => l.name)).toEqual(['head_features_bn', 'head_fc64']);
    final.dispose();
    const faceres = npmBackbone('faceres')!;
    expect([npmBaseLayers(faceres, 'multilevel'), npmBaseLayers(faceres, 'final')]).toEqual([MULTILEVEL_LAYERS, FACERES_BASE_LAYERS]);
    expect(baseLayers({ model: 'faceres', weights: '', features: 'multilevel' })?.count).toBe(MULTILEVEL_LAYERS);
  });

  it('caches its 2,560 features with the whole base frozen, or the outputs at a cut inside it; the form says the same', () => {
    const plan = (freeze: number) => planFeatureCache(cfg({ freeze, cacheFeatures: true }), model, 100);
    expect(plan(MULTILEVEL_LAYERS)).toMatchObject({ applies: true, featureSize: 2560 });
    // Frozen through conv_dw_12's ReLU (layer 49): the cache holds its 7×7×512 map and conv_pw_11's pool (a weightless
    // layer reading frozen outputs joins the frozen side), not conv_pw_11's 14×14×512 map.
    const cut = cacheCut(model, 49)!;
    expect(cut.boundary.map((l) => l.name)).toEqual(['conv_dw_12_relu', 'conv_pw_11_relu_pool']);
    expect(plan(49)).toMatchObject({ applies: true, featureSize: 7 * 7 * 512 + 512, reason: expect.stringContaining('trains from conv_pw_12 on') });
    expect(plan(1)).toMatchObject({ applies: false, reason: expect.stringContaining('no pretrained layer frozen') });
    const hint = (freeze: number) => featureCacheHint({ model: 'faceres', weights: null, freeze, cacheFeatures: true, features: 'multilevel', augment: null }).applies;
    expect([hint(MULTILEVEL_LAYERS), hint(49), hint(1)]).toEqual([true, true, false]);
    // The second-stage preset cuts there, with each training face also cached mirrored.
    const second = MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel-finetune')!;
    expect(planFeatureCache(cfg(second.config), model, 100, 60)).toMatchObject({ applies: true, mirror: true, featureSize: 7 * 7 * 512 + 512 });
    // The regularised head's preset caches the whole base's pools, mirrored too (flip only keeps the cache).
    const mixup = MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel-mixup')!;
    expect(planFeatureCache(cfg(mixup.config), model, 100, 60)).toMatchObject({ applies: true, mirror: true, featureSize: 2560 });
    expect(mixup.config).toMatchObject({ mixup: 0.4, labelSmoothing: 0.1, schedule: { kind: 'cosine', minLr: 0 }, epochs: 60, patience: 0 });
    const preset = MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel')!;
    expect(preset.config).toMatchObject({ features: 'multilevel', freeze: MULTILEVEL_LAYERS, cacheFeatures: true, augment: null });
  });

  it('refuses what it cannot build, naming the field: freeze beyond its 59 layers, multilevel on a base without taps', () => {
    const deep = refusal(() => buildFaceres(cfg({ freeze: MULTILEVEL_LAYERS + 1 })));
    expect(deep).toBeInstanceOf(AppError);
    expect(deep.message).toMatch(/has 59 layers with features 'multilevel'/);
    expect(fieldIssues((deep as AppError).details)[0]?.field).toBe('freeze');
    const mfn = refusal(() => buildMobileFaceNet(trainConfigSchema.parse({ dataset: 'x', model: 'mobilefacenet', features: 'multilevel', inputSize: 112 })));
    expect(mfn.message).toMatch(/features 'multilevel' is not offered for mobilefacenet/);
    expect(fieldIssues((mfn as AppError).details)[0]?.field).toBe('features');
  });
});

describe("runs.create's check of features", () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());

  it("refuses 'multilevel' and 'grid' for a model without a tapped face base, on config.features; accepts them for faceres", async () => {
    const ds = await createSyntheticDataset(t.wb, { perClass: 2, seed: 4, balanced: true });
    for (const [features, freeze] of [['multilevel', MULTILEVEL_LAYERS], ['grid', npmBaseLayers(npmBackbone('faceres')!, 'grid')]] as const) {
      const check = (over: Record<string, unknown>) => () => validateConfig(t.wb, trainConfigSchema.parse({ dataset: ds.name, batch: 4, features, ...over }));
      for (const model of ['baseline', 'vgg16'] as const) {
        const err = refusal(check({ model, ...(model === 'vgg16' ? { inputSize: 64, channels: 3 } : {}) }));
        expect(err.message, model).toMatch(new RegExp(`features '${features}' is offered for pretrained face bases .* not ${model}`));
        expect(fieldIssues((err as AppError).details)[0]?.field).toBe('config.features');
      }
      expect(check({ model: 'faceres', inputSize: 64, freeze })).not.toThrow();
    }
  });
});
