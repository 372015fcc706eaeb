import { describe, expect, it } from 'vitest';
import { BASE_LAYER_COUNTS, type WeightsInfo } from '../../../src-shared/contract/weights';
import { trainConfigSchema, type RunSummary } from '../../../src-shared/contract/runs';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { applyPreset, baseLayers, cacheHint, defaultForm, initFromCandidates, toConfig, validate, type RunForm } from '../../../src-renderer/lib/run-form';

const form = (over: Partial<RunForm>): RunForm => ({ ...defaultForm(), dataset: 1, ...over });
const kerasResnet = { id: 'resnet50-keras-0123456789ab', name: 'imagenet-resnet50', architecture: 'resnet50', variant: 'keras' } as WeightsInfo;

describe('new-experiment form: pretrained models', () => {
  it('bounds freeze by the chosen base, whose depth follows the weights\' layer naming', () => {
    expect(baseLayers(form({ model: 'baseline' }))).toBeNull();
    expect(baseLayers(form({ model: 'vgg16' }))).toEqual({ count: 19, variant: 'vggface' });
    expect(validate(form({ model: 'vgg16', freeze: 19 }))).toEqual({});
    expect(validate(form({ model: 'vgg16', freeze: 20 })).freeze).toMatch(/vgg16's pretrained base has 19 layers.*freeze at most 19/);
    // 175 is beyond keras-vggface's ResNet50 (174) but within Keras Applications' (176), chosen by id or by name.
    expect(validate(form({ model: 'resnet50', freeze: 175 })).freeze).toMatch(/174 layers/);
    expect(validate(form({ model: 'resnet50', freeze: 175, weights: kerasResnet.id }))).toEqual({});
    expect(validate(form({ model: 'resnet50', freeze: 175, weights: kerasResnet.name }), [kerasResnet])).toEqual({});
    expect(validate(form({ model: 'resnet50', freeze: 177, weights: kerasResnet.name }), [kerasResnet]).freeze).toMatch(/176 layers \(keras naming\)/);
    // The baseline has no pretrained base to bound.
    expect(validate(form({ model: 'baseline', freeze: 500 }))).toEqual({});
    expect(baseLayers(form({ model: 'senet50' }))!.count).toBe(BASE_LAYER_COUNTS.senet50.vggface);
  });

  it('says whether the feature cache will apply, and why, as the trainer decides', () => {
    const frozen = form({ model: 'vgg16', freeze: 19, cacheFeatures: true, augment: false });
    expect(cacheHint(frozen)).toMatchObject({ applies: true });
    expect(cacheHint({ ...frozen, augment: true }).reason).toMatch(/rotation, zoom or shift changes the base's input/);
    expect(cacheHint({ ...frozen, freeze: 10 })).toMatchObject({ applies: true, reason: expect.stringMatching(/first 10 of vgg16's 19 base layers.*trains the last 9/) });
    expect(cacheHint({ ...frozen, freeze: 1 })).toMatchObject({ applies: false, reason: expect.stringMatching(/no pretrained layer of vgg16 is frozen/) });
    expect(cacheHint({ ...frozen, cacheFeatures: false }).reason).toMatch(/turn it on/);
    // Keras-named ResNet50 weights chosen by name: the whole base is 176 layers, so 174 frozen is not all of it.
    const resnet = form({ model: 'resnet50', freeze: 174, cacheFeatures: true, augment: false, weights: kerasResnet.name });
    expect(cacheHint(resnet, [kerasResnet]).reason).toMatch(/first 174 of resnet50's 176/);
    expect(cacheHint({ ...resnet, freeze: 176 }, [kerasResnet]).applies).toBe(true);
    expect(trainConfigSchema.parse(toConfig(frozen))).toMatchObject({ model: 'vgg16', freeze: 19, cacheFeatures: true, augment: null });
  });

  it("takes faceres' multilevel head from its preset, bounds freeze by the 59 layers it builds, and drops it for other models", () => {
    const f = defaultForm();
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel')!);
    expect(f).toMatchObject({ model: 'faceres', features: 'multilevel', freeze: 59, monitor: 'valAcc' });
    expect(validate({ ...f, dataset: 1 })).toEqual({});
    expect(cacheHint(f).applies).toBe(true);
    expect(validate({ ...f, dataset: 1, features: 'final' }).freeze).toMatch(/faceres's pretrained base has 56 layers/);
    expect(trainConfigSchema.parse(toConfig({ ...f, dataset: 1 }))).toMatchObject({ features: 'multilevel', freeze: 59 });
    // Its second stage: a cut inside the base, flips alone, both cached; the form sends the flip-only augmentation.
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel-finetune')!);
    expect(f).toMatchObject({ features: 'multilevel', freeze: 49, lr: 0.0001, augment: true, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0, flip: true });
    expect(validate({ ...f, dataset: 1 })).toEqual({});
    expect(cacheHint(f)).toMatchObject({ applies: true, reason: expect.stringMatching(/first 49 of faceres's 59 base layers/) });
    expect(trainConfigSchema.parse(toConfig({ ...f, dataset: 1 })).augment).toEqual({ flip: true, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 });
    // Another preset resets it (part of the architecture); a model without taps never sends it.
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'faceres')!);
    expect([f.features, f.monitor]).toEqual(['final', 'valLoss']);
    expect(toConfig({ ...f, model: 'mobilefacenet', features: 'multilevel' }).features).toBe('final');
  });

  it('offers the runs of the same model with a best epoch to start from, newest first, and sends the choice', () => {
    const run = (id: number, model: RunSummary['model'], bestEpoch: number | null) => ({ id, model, bestEpoch }) as RunSummary;
    const runs = [run(1, 'faceres', 4), run(2, 'baseline', 3), run(3, 'faceres', null), run(4, 'faceres', 1), run(5, 'external', null)];
    expect(initFromCandidates(runs, 'faceres').map((r) => r.id)).toEqual([4, 1]);
    expect(defaultForm().initFrom).toBeNull();
    expect(trainConfigSchema.parse(toConfig(form({}))).initFrom).toBeNull();
    expect(trainConfigSchema.parse(toConfig(form({ model: 'faceres', initFrom: 4 }))).initFrom).toBe(4);
    expect(validate(form({ model: 'faceres', initFrom: 4 }), [], runs)).toEqual({});
    // A run of another model (the model changed after choosing it): said on the field before a round trip.
    expect(validate(form({ model: 'faceres', initFrom: 2 }), [], runs).initFrom).toBe('Run 2 trained baseline, not faceres: a run starts from the weights of the same architecture.');
  });
});
