import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import { openWorkbench } from '../../../src-main/context';
import { importDataset } from '../../../src-main/data/import';
import { writeSynthCsv } from '../../../src-main/data/synth';
import { expectIntegrity, expectNothingWritten, expectWholeDatasets } from '../../helpers/data-assertions';
import { diskFaults } from '../../helpers/disk-faults';
import { fillDisk, mountTmpfs } from '../../helpers/tmpfs';
import { tempDir, useFreshWorkbench } from '../../helpers/workbench';

vi.mock('node:fs', async (original) => (await import('../../helpers/disk-faults')).withDiskFaults(await original()));

// 1,197 faces, 2.76 MB of pixels: three batches of the packed writer (512 faces each), so the disk can fill mid-file.
const COUNTS = [new Array(7).fill(150), new Array(7).fill(13), new Array(7).fill(8)];
const FACES = 1197;
const source = tempDir('fer-diskfull-src-');
const bigCsv = join(source.dir, 'big.csv');
const smallCsv = join(source.dir, 'small.csv');
beforeAll(() => {
  writeSynthCsv(bigCsv, { perClass: 0, seed: 3, counts: COUNTS });
  writeSynthCsv(smallCsv, { perClass: 10, seed: 4, balanced: true });
});
afterAll(() => source.cleanup());
beforeEach(() => diskFaults.disarm());

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('a full disk during an import (injected at the write layer)', () => {
  const ctx = useFreshWorkbench();

  it('ENOSPC while writing the pixel file: a clear error naming the home, nothing written, and the import works once there is room', async () => {
    diskFaults.arm(512 * PIXELS_PER_IMAGE); // the first batch fits, the second does not
    const err = await failure(importDataset(ctx.wb, { path: bigCsv, name: 'big' }));
    expect(diskFaults.refused).toBe(1);
    diskFaults.disarm();
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toBe(`Import of ${bigCsv} failed: the disk holding ${ctx.wb.home.root} is full. Nothing was imported; free some space and import again.`);
    expectNothingWritten(ctx.wb);

    const ok = await importDataset(ctx.wb, { path: bigCsv, name: 'big' });
    expect(ok.sampleCount).toBe(FACES);
    expectWholeDatasets(ctx.wb);
  });

  it('SQLITE_FULL while committing the sample rows: the same error, no rows and no dataset folder', async () => {
    // SQLite's own cap on the file: the pixels fit, then the 1,197 sample rows cannot be stored.
    const pages = ctx.wb.db.pragma('page_count', { simple: true }) as number;
    ctx.wb.db.pragma(`max_page_count = ${pages + 2}`);
    const err = await failure(importDataset(ctx.wb, { path: bigCsv, name: 'big' }));
    expect(err.message).toBe(`Import of ${bigCsv} failed: the disk holding ${ctx.wb.home.root} is full. Nothing was imported; free some space and import again.`);
    expectNothingWritten(ctx.wb);
    expectIntegrity(ctx.wb);

    ctx.wb.db.pragma('max_page_count = 1073741823');
    expect((await importDataset(ctx.wb, { path: bigCsv, name: 'big' })).sampleCount).toBe(FACES);
    expectWholeDatasets(ctx.wb);
  });
});

describe('a full disk during an import (a real 2 MB tmpfs as the home)', () => {
  it('ENOSPC from the file system: the clear error, the space given back, an earlier dataset kept, a small import works', async (t) => {
    const disk = mountTmpfs(2 * 1024 * 1024);
    if ('skip' in disk) return t.skip(disk.skip);
    const wb = openWorkbench({ flag: disk.dir });
    try {
      const first = await importDataset(wb, { path: smallCsv, name: 'small' });
      const free = statfsSync(disk.dir).bavail;
      const err = await failure(importDataset(wb, { path: bigCsv, name: 'big' }));
      expect(err.message).toBe(`Import of ${bigCsv} failed: the disk holding ${disk.dir} is full. Nothing was imported; free some space and import again.`);
      expect(expectWholeDatasets(wb)).toEqual(['small']);
      expect(statfsSync(disk.dir).bavail).toBeGreaterThanOrEqual(free);
      expectIntegrity(wb);
      // Full to the last byte by something else: the import fails the same way, even before its first batch.
      const filler = join(disk.dir, 'filler');
      fillDisk(filler);
      const again = await failure(importDataset(wb, { path: smallCsv, name: 'small2' }));
      expect(again.message).toContain(`the disk holding ${disk.dir} is full`);
      expect(expectWholeDatasets(wb)).toEqual(['small']);
      const { rmSync } = await import('node:fs');
      rmSync(filler);
      const second = await importDataset(wb, { path: smallCsv, name: 'small2' });
      expect(second.sampleCount).toBe(first.sampleCount);
      expect(expectWholeDatasets(wb).sort()).toEqual(['small', 'small2']);
    } finally {
      await wb.close();
      disk.unmount();
    }
  });
});
