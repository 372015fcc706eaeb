import { describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { applyPreset, defaultForm, toConfig, validate } from '../../../src-renderer/lib/run-form';

/** The New experiment form must speak the contract: what it sends parses, and presets survive the trip. */
describe('run form ↔ TrainConfig', () => {
  it('sends what the form shows, and the contract accepts it', () => {
    const f = { ...defaultForm(), dataset: 3, lr: 0.02, batch: 16, epochs: 2, limitTrain: 200, seed: 9, rotation: 20 };
    expect(validate(f)).toEqual({});
    const cfg = trainConfigSchema.parse(toConfig(f));
    expect(cfg).toMatchObject({ dataset: 3, lr: 0.02, batch: 16, epochs: 2, limitTrain: 200, seed: 9, model: 'baseline' });
    expect(cfg.augment).toEqual({ flip: true, rotation: 20, zoom: 0.1, shiftX: 0.1, shiftY: 0.1 });
  });

  it('turns augmentation off as null and an empty validation split as none', () => {
    const cfg = trainConfigSchema.parse(toConfig({ ...defaultForm(), dataset: 1, augment: false, valSplit: '' }));
    expect(cfg.augment).toBeNull();
    expect(cfg.valSplit).toBeNull();
  });

  for (const kind of ['constant', 'step', 'cosine', 'plateau'] as const) {
    it(`maps the ${kind} schedule to the contract's shape`, () => {
      const cfg = trainConfigSchema.parse(toConfig({ ...defaultForm(), dataset: 1, schedule: kind, stepEvery: 4, stepGamma: 0.3, minLr: 1e-5, plateauPatience: 2, plateauFactor: 0.2 }));
      expect(cfg.schedule.kind).toBe(kind);
      if (cfg.schedule.kind === 'step') expect(cfg.schedule).toEqual({ kind: 'step', every: 4, gamma: 0.3 });
      if (cfg.schedule.kind === 'plateau') expect(cfg.schedule).toEqual({ kind: 'plateau', patience: 2, factor: 0.2, minLr: 1e-5 });
    });
  }

  for (const preset of MODEL_PRESETS) {
    it(`keeps every field of the ${preset.id} preset`, () => {
      const f = { ...defaultForm(), dataset: 1 };
      applyPreset(f, preset);
      expect(validate(f)).toEqual({});
      const cfg = trainConfigSchema.parse(toConfig(f)) as Record<string, unknown>;
      for (const [key, value] of Object.entries(preset.config)) expect(cfg[key], key).toEqual(value);
    });
  }

  it('catches the values the contract would refuse, naming the field', () => {
    const bad = { ...defaultForm(), dataset: null, lr: 0, batch: 1.5, epochs: 0, limitTrain: 0, replicates: 21, seed: -1, inputSize: 16, hidden: 5000 };
    expect(Object.keys(validate(bad)).sort()).toEqual(['batch', 'dataset', 'epochs', 'hidden', 'inputSize', 'limitTrain', 'lr', 'replicates', 'seed']);
    for (const field of ['lr', 'batch', 'epochs', 'limitTrain', 'seed', 'inputSize', 'hidden'] as const) {
      const one = { ...defaultForm(), dataset: 1, [field]: bad[field] };
      expect(trainConfigSchema.safeParse(toConfig(one)).success, field).toBe(false);
    }
  });

  it('a preset’s hidden layer is part of its architecture: the next preset without one resets it to none', () => {
    const f = { ...defaultForm(), dataset: 1 };
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'baseline')!);
    expect(trainConfigSchema.parse(toConfig(f)).hidden).toBe(256);
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'resnet50')!);
    expect(trainConfigSchema.parse(toConfig(f)).hidden).toBe(0);
  });
});
