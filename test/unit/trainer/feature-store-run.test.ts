import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStoreEntry } from '../../../src-shared/contract/features';
import { npmBackbone, npmBaseLayers } from '../../../src-shared/contract/backbones';
import { splitCounts } from '../../../src-main/data/packed-store';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api, finished, waitForStatus } from './helpers';

/**
 * The feature store through the training process and the CLI: a limitTrain run fills it with its faces, a full run
 * reuses them and computes the rest (its backend line says so), `fer features list` shows both splits' rows, and
 * `fer features clear` removes them. faceres at 64 px on a few dozen synthetic faces: a second or two a run.
 */
describe('the feature store across runs', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: number;
  let counts: { Training: number; PublicTest: number };
  const config = (over: object) => ({ dataset: ds, model: 'faceres', inputSize: 64, freeze: npmBaseLayers(npmBackbone('faceres')!, 'final'), cacheFeatures: true, augment: null, epochs: 1, batch: 4, backend: 'wasm', testSplit: null, ...over });
  const trainRun = async (over: object) => {
    const [run] = await api(wb, 'runs.create', { config: config(over) });
    const done = await waitForStatus(wb, run!.id, finished);
    expect(done.status, done.error ?? '').toBe('completed');
    return done;
  };
  beforeAll(async () => {
    ds = (await createSyntheticDataset(wb, { perClass: 2, seed: 23, balanced: true })).id;
    const total = (split: string) => splitCounts(wb, ds).find((c) => c.split === split)!.total;
    counts = { Training: total('Training'), PublicTest: total('PublicTest') };
  });
  afterAll(() => t.cleanup());

  it('a full run after a limitTrain run computes only the faces the first did not, and says so', async () => {
    const first = await trainRun({ limitTrain: 5 });
    expect(first.backendReason).toContain(`Reused 0 of ${5 + counts.PublicTest} faces' features from the feature store`);
    const second = await trainRun({});
    const all = counts.Training + counts.PublicTest;
    expect(second.backendReason).toMatch(new RegExp(`Reused ${5 + counts.PublicTest} of ${all} faces' features from the feature store \\(key [0-9a-f]{16}\\); computing ${counts.Training - 5}\\.`));
  }, 60_000);

  it('fer features list shows the key, both splits and their sizes; clear removes one key or all', async () => {
    const fer = inProcessFer(t.dir);
    const list = await fer('features', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const [entry] = lastJson(list.stdout) as FeatureStoreEntry[];
    const dir = join(t.dir, 'cache', 'features', entry!.key);
    expect(entry!.summary).toMatch(/^faceres final 64px 3ch /);
    expect(entry!.files).toEqual([
      { datasetId: ds, split: 'PublicTest', rows: counts.PublicTest, bytes: statSync(join(dir, `${ds}-PublicTest.f32`)).size },
      { datasetId: ds, split: 'Training', rows: counts.Training, bytes: statSync(join(dir, `${ds}-Training.f32`)).size },
    ]);
    expect(entry!.bytes).toBe(readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0));
    expect((await fer('features', 'list')).stdout).toContain(`dataset ${ds} Training: ${counts.Training} faces`);

    expect((await fer('features', 'clear')).code).toBe(2);
    const bad = await fer('features', 'clear', 'nothex', '--json');
    expect(lastJson(bad.stdout)).toMatchObject({ error: { code: 'BAD_ARGS' } });
    const unknown = await fer('features', 'clear', '0123456789abcdef', '--json');
    expect(unknown.code).toBe(1);
    expect(lastJson(unknown.stdout)).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringContaining(entry!.key) } });
    expect(existsSync(dir)).toBe(true);

    const cleared = await fer('features', 'clear', entry!.key, '--json');
    expect(lastJson(cleared.stdout)).toEqual({ cleared: [entry!.key] });
    expect(existsSync(dir)).toBe(false);
    expect(lastJson((await fer('features', 'list', '--json')).stdout)).toEqual([]);
    expect(lastJson((await fer('features', 'clear', '--all', '--json')).stdout)).toEqual({ cleared: [] });
  }, 30_000);
});
