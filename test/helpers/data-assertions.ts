import { readdirSync, statSync } from 'node:fs';
import { expect } from 'vitest';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { openWorkbench, type Workbench } from '../../src-main/context';
import { listDatasets, pixelsPath, resolveDataset } from '../../src-main/data/packed-store';

/** After a failed import: no dataset or sample rows, no packed folder, no temp folder. */
export function expectNothingWritten(wb: Workbench): void {
  expect((wb.db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n).toBe(0);
  expect((wb.db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(0);
  expect(readdirSync(wb.home.datasets)).toEqual([]);
  expect(readdirSync(wb.home.tmp)).toEqual([]);
}

/**
 * Every dataset the home lists is whole: its sample rows, per-split counts and packed pixel file all agree with
 * the sample_count its row claims, and the datasets folder holds exactly one folder per listed dataset (a folder
 * without a row would be a half-committed import). `strayFolders`: after a SIGKILL a folder with no row may remain
 * (killed between the rename and the commit); it is invisible, and the next import under that id replaces it.
 * Returns the listed names.
 */
export function expectWholeDatasets(wb: Workbench, opts: { strayFolders?: boolean } = {}): string[] {
  const list = listDatasets(wb);
  for (const ds of list) {
    const rows = (wb.db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ?').get(ds.id) as { n: number }).n;
    expect(rows, `dataset ${ds.name}: sample rows`).toBe(ds.sampleCount);
    expect(ds.sampleCount, `dataset ${ds.name}: empty`).toBeGreaterThan(0);
    expect(ds.splits.reduce((a, s) => a + s.total, 0), `dataset ${ds.name}: split totals`).toBe(ds.sampleCount);
    expect(statSync(pixelsPath(wb, resolveDataset(wb, ds.id))).size, `dataset ${ds.name}: pixel file`).toBe(ds.sampleCount * PIXELS_PER_IMAGE);
  }
  const folders = readdirSync(wb.home.datasets);
  const ids = list.map((d) => String(d.id));
  if (opts.strayFolders) expect(folders).toEqual(expect.arrayContaining(ids));
  else expect(folders.sort()).toEqual(ids.sort());
  return list.map((d) => d.name);
}

/** SQLite's own check of the file: pages, indexes and (separately) foreign keys. */
export function expectIntegrity(wb: Workbench): void {
  expect(wb.db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(wb.db.pragma('foreign_key_check')).toEqual([]);
}

/** No temp import folder left in the home (what a failed in-process import must clean up itself). */
export function expectNoTempImports(wb: Workbench): void {
  expect(readdirSync(wb.home.tmp).filter((e) => e.startsWith('import-'))).toEqual([]);
}

/**
 * After a killed process: opens `home` as the next process would, checks the file (expectIntegrity) and that every
 * dataset is whole, then runs the caller's own checks and returns their result.
 */
export async function inspectHome<T>(home: string, more: (wb: Workbench) => T): Promise<T> {
  const wb = openWorkbench({ flag: home });
  try {
    expectIntegrity(wb);
    expectWholeDatasets(wb);
    return more(wb);
  } finally {
    await wb.close();
  }
}
