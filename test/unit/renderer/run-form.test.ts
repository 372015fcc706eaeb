import { describe, expect, it } from 'vitest';
import { SCHEDULE_SCHEMAS, runsInvoke, scheduleSchema, trainConfigSchema } from '../../../src-shared/contract/runs';
import { withinBounds } from '../../../src-shared/contract/bounds';
import { dispatch } from '../../../src-main/services/dispatch';
import type { AllHandlers } from '../../../src-main/services/types';
import type { Workbench } from '../../../src-main/context';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { fieldErrors } from '../../../src-renderer/lib/errors';
import { RUN_FORM_BOUNDS, applyPreset, defaultForm, toConfig, validate, type RunForm } from '../../../src-renderer/lib/run-form';

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
    const bad = { ...defaultForm(), dataset: null, lr: 0, batch: 1.5, epochs: 0, limitTrain: 0, replicates: 21, seed: -1, inputSize: 16, hidden: 5000, mixup: 5, labelSmoothing: 0.6, ema: 1 };
    expect(Object.keys(validate(bad)).sort()).toEqual(['batch', 'dataset', 'ema', 'epochs', 'hidden', 'inputSize', 'labelSmoothing', 'limitTrain', 'lr', 'mixup', 'replicates', 'seed']);
    for (const field of ['lr', 'batch', 'epochs', 'limitTrain', 'seed', 'inputSize', 'hidden', 'mixup', 'labelSmoothing', 'ema'] as const) {
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

  it('a preset without a schedule trains at a constant rate, whatever the previous preset decayed', () => {
    const f = { ...defaultForm(), dataset: 1 };
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'faceres-multilevel-mixup')!);
    expect(trainConfigSchema.parse(toConfig(f)).schedule).toEqual({ kind: 'cosine', minLr: 0 });
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'faceres-grid-mixup')!);
    expect(trainConfigSchema.parse(toConfig(f)).schedule).toEqual({ kind: 'constant' });
  });

  it('weight averaging goes to the config, and a preset without it turns it off', () => {
    const f = { ...defaultForm(), dataset: 1, ema: 0.999 };
    expect(trainConfigSchema.parse(toConfig(f)).ema).toBe(0.999);
    applyPreset(f, MODEL_PRESETS.find((p) => p.id === 'baseline')!);
    expect(trainConfigSchema.parse(toConfig(f)).ema).toBe(0);
  });
});

/**
 * The form reads its defaults and limits from the contract's schemas. These compare what the form does with what
 * the schema does (not with the form's own tables), so a default or limit written into the form again, and then
 * left behind when the schema changes, fails here.
 */
describe('run form defaults and limits are the contract\'s', () => {
  const createArgs = runsInvoke['runs.create'].args;

  it('starts at the contract\'s defaults (augmentation on is the form\'s one choice; its settings are the contract\'s)', () => {
    expect(trainConfigSchema.parse(toConfig({ ...defaultForm(), dataset: 1 }))).toEqual(trainConfigSchema.parse({ dataset: 1, augment: {} }));
    expect(defaultForm().replicates).toBe(createArgs.parse({ config: { dataset: 1 } }).replicates);
    for (const kind of ['step', 'cosine', 'plateau'] as const) {
      const sent = trainConfigSchema.parse(toConfig({ ...defaultForm(), dataset: 1, schedule: kind })).schedule;
      // One Min LR input serves cosine and plateau: it starts at cosine's default.
      const own = scheduleSchema.parse({ kind });
      expect(sent, kind).toEqual(own.kind === 'plateau' ? { ...own, minLr: SCHEDULE_SCHEMAS.cosine.parse({ kind: 'cosine' }).minLr } : own);
    }
  });

  it('accepts exactly what runs.create accepts, at and around every bound of every number', () => {
    const base: RunForm = { ...defaultForm(), dataset: 1, optimizer: 'sgd' };
    const sliders = new Set(['rotation', 'zoom', 'shiftX', 'shiftY']);
    const probes = [-1, 0, 0.25, 0.5, 0.51, 1, 1.5, 2, 3, 10, 10.5, 20, 21, 31, 32, 45, 46, 256, 257, 1000, 1001, 4096, 4097, 1e6];
    let compared = 0;
    for (const field of Object.keys(RUN_FORM_BOUNDS) as (keyof typeof RUN_FORM_BOUNDS)[]) {
      const b = RUN_FORM_BOUNDS[field];
      const near = [b.min, b.max].filter((x) => x !== null).flatMap((x) => [x - 1, x - 1e-6, x, x + 1e-6, x + 1]);
      const schedule = field.startsWith('step') ? 'step' : field.startsWith('plateau') ? 'plateau' : field === 'minLr' ? 'cosine' : 'constant';
      for (const v of [...probes, ...near]) {
        const f: RunForm = { ...base, schedule, [field]: v };
        // The sliders cannot leave their min / max attributes, which are these bounds; the rest are checked by validate.
        const formSays = sliders.has(field) ? withinBounds(v, b) : validate(f)[field] === undefined;
        const contractSays = createArgs.safeParse({ config: toConfig(f), replicates: f.replicates }).success;
        expect(formSays, `${field} = ${v}`).toBe(contractSays);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });
});

describe('a refused config comes back with its field', () => {
  it('BAD_ARGS from the contract names each field in details, and the form puts each message by its input', async () => {
    const env = await dispatch({} as AllHandlers, {} as Workbench, 'runs.create', { config: { dataset: 1, lr: 0, augment: { zoom: 2 } }, replicates: 50 });
    if (env.ok) throw new Error('accepted');
    expect(env.error.details).toEqual({
      fields: [
        { field: 'config.lr', message: expect.any(String) },
        { field: 'config.augment.zoom', message: expect.any(String) },
        { field: 'replicates', message: expect.any(String) },
      ],
    });
    const shown = fieldErrors(env.error, 'config.');
    expect(Object.keys(shown).sort()).toEqual(['augment.zoom', 'lr', 'replicates']);
    // The bare message, not "config.lr: …": the field is not read back out of the text.
    expect(shown.lr).not.toMatch(/config/);
    expect(fieldErrors({ code: 'INVALID_INPUT', message: 'config.batch: batch 500 is larger', details: undefined }, 'config.')).toEqual({});
  });
});
