import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteDataset, listDatasets, loadSplit, readPixelsByIds, resolveDataset } from '../../../src-main/data/packed-store';
import { samplePage } from '../../../src-main/data/samples';
import { synthSamples } from '../../../src-main/data/synth';
import type { Workbench } from '../../../src-main/context';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

let wb: Workbench;
let cleanup: () => Promise<void>;
beforeEach(() => ({ wb, cleanup } = tempWorkbench()));
afterEach(() => cleanup());

describe('packed store', () => {
  it('stores pixels at <home.datasets>/<id>/pixels.u8 and loads splits in idx order', async () => {
    const ds = await createSyntheticDataset(wb, { perClass: 5, seed: 2, name: 'tiny' });
    expect(readdirSync(join(wb.home.datasets, String(ds.id)))).toEqual(['pixels.u8']);
    const samples = [...synthSamples({ perClass: 5, seed: 2 })];
    for (const split of ['Training', 'PublicTest', 'PrivateTest'] as const) {
      const want = samples.filter((s) => s.split === split);
      const got = loadSplit(wb, ds.id, split);
      expect(got.n).toBe(want.length);
      expect(Array.from(got.labels)).toEqual(want.map((s) => s.label));
      expect(Buffer.from(got.pixels).equals(Buffer.concat(want.map((s) => Buffer.from(s.pixels))))).toBe(true);
      expect(new Set(got.ids).size).toBe(got.n);
    }
    expect(loadSplit(wb, ds.id, 'Training', { limit: 3 }).n).toBe(3);
  });

  it('reads pixels by sample id in the order asked', async () => {
    const ds = await createSyntheticDataset(wb, { perClass: 3, seed: 5 });
    const train = loadSplit(wb, ds.id, 'Training');
    const ids = [train.ids[4]!, train.ids[0]!, train.ids[1]!];
    const px = readPixelsByIds(wb, ids);
    expect(Buffer.from(px.subarray(0, 2304)).equals(Buffer.from(train.pixels.subarray(4 * 2304, 5 * 2304)))).toBe(true);
    expect(Buffer.from(px.subarray(2304, 2 * 2304)).equals(Buffer.from(train.pixels.subarray(0, 2304)))).toBe(true);
    expect(() => readPixelsByIds(wb, [999999])).toThrow(/No sample with id 999999/);
  });

  it('resolves datasets by name or id, and says NOT_FOUND otherwise', async () => {
    const ds = await createSyntheticDataset(wb, { perClass: 2, seed: 1, name: 'abc' });
    expect(resolveDataset(wb, 'abc').id).toBe(ds.id);
    expect(resolveDataset(wb, ds.id).name).toBe('abc');
    expect(resolveDataset(wb, String(ds.id)).name).toBe('abc');
    expect(() => resolveDataset(wb, 'nope')).toThrow(/No dataset named "nope"/);
    expect(() => resolveDataset(wb, 42)).toThrow(/No dataset with id 42/);
  });

  it('pages samples with pixels in one base64 blob, filtered by split, label and ids', async () => {
    const ds = await createSyntheticDataset(wb, { perClass: 6, seed: 3 });
    const all = samplePage(wb, { dataset: ds.id, offset: 0, limit: 1000 });
    expect(all.total).toBe(ds.sampleCount);
    const happy = samplePage(wb, { dataset: ds.name, split: 'Training', label: 3, offset: 1, limit: 2 });
    expect(happy.total).toBe(ds.splits[0]!.perClass[3]);
    expect(happy.items).toHaveLength(2);
    expect(happy.items.every((i) => i.label === 3 && i.split === 'Training')).toBe(true);
    const bytes = Buffer.from(happy.pixelsBase64, 'base64');
    expect(bytes.length).toBe(2 * 2304);
    expect(bytes.equals(Buffer.from(readPixelsByIds(wb, happy.items.map((i) => i.id))))).toBe(true);
    const byIds = samplePage(wb, { dataset: ds.id, ids: [happy.items[1]!.id], offset: 0, limit: 10 });
    expect(byIds.items.map((i) => i.id)).toEqual([happy.items[1]!.id]);
  });

  it('deletes a dataset with its rows and packed folder, but refuses while a run uses it', async () => {
    const keep = await createSyntheticDataset(wb, { perClass: 2, seed: 1, name: 'keep' });
    const gone = await createSyntheticDataset(wb, { perClass: 2, seed: 2, name: 'gone' });
    deleteDataset(wb, 'gone');
    expect(listDatasets(wb).map((d) => d.name)).toEqual(['keep']);
    expect(existsSync(join(wb.home.datasets, String(gone.id)))).toBe(false);
    expect((wb.db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ?').get(gone.id) as { n: number }).n).toBe(0);
    expect(readdirSync(wb.home.tmp)).toEqual([]);
    wb.db
      .prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('r', ?, 'm', '{}', 1, 'x', 'completed', 'now')")
      .run(keep.id);
    expect(() => deleteDataset(wb, 'keep')).toThrow(/used by 1 run/);
    expect(loadSplit(wb, keep.id, 'Training').n).toBeGreaterThan(0);
  });

  it('says IO_ERROR with the path when the packed file has gone missing', async () => {
    const ds = await createSyntheticDataset(wb, { perClass: 2, seed: 1 });
    rmSync(join(wb.home.datasets, String(ds.id)), { recursive: true });
    expect(() => loadSplit(wb, ds.id, 'Training')).toThrow(/pixels\.u8.*Re-import/);
  });
});
