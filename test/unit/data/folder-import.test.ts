import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { splitFor } from '../../../src-main/data/folder-import';
import { importDataset } from '../../../src-main/data/import';
import { loadSplit } from '../../../src-main/data/packed-store';
import { synthSamples, writeSynthCsv, writeSynthFolders } from '../../../src-main/data/synth';
import { expectNothingWritten } from '../../helpers/data-assertions';
import { useFreshWorkbench } from '../../helpers/workbench';

const ctx = useFreshWorkbench();

async function importError(path: string): Promise<AppError> {
  const err = await importDataset(ctx.wb, { path, name: 'bad' }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('folder import', () => {
  it('maps folders and Kaggle file prefixes to splits', () => {
    expect(splitFor('train', 'Training_1.png')).toBe('Training');
    expect(splitFor('test', 'PublicTest_9.png')).toBe('PublicTest');
    expect(splitFor('test', 'PrivateTest_9.png')).toBe('PrivateTest');
    expect(splitFor('test', 'im42.png')).toBe('PrivateTest');
    expect(splitFor('val', 'im42.png')).toBe('PublicTest');
  });

  it('imports the synthetic folders with the same counts and pixels as the CSV of the same seed', async () => {
    const counts = await writeSynthFolders(join(ctx.dir, 'folders'), { perClass: 6, seed: 9 });
    writeSynthCsv(join(ctx.dir, 'fer2013.csv'), { perClass: 6, seed: 9 });
    const fromFolders = await importDataset(ctx.wb, { path: join(ctx.dir, 'folders'), name: 'folders' });
    const fromCsv = await importDataset(ctx.wb, { path: join(ctx.dir, 'fer2013.csv'), name: 'csv' });
    expect(fromFolders.splits).toEqual(counts);
    expect(fromCsv.splits).toEqual(counts);
    expect(fromFolders.converted).toBe(0);
    expect(fromFolders.skipped).toBe(0);
    // Same images, compared as multisets of content hashes per split and label (orders differ between layouts).
    const hashes = (id: number) =>
      (ctx.wb.db.prepare('SELECT split, label, hash FROM samples WHERE dataset_id = ? ORDER BY split, label, hash').all(id) as object[]).map((r) => JSON.stringify(r));
    expect(hashes(fromFolders.id)).toEqual(hashes(fromCsv.id));
    const pub = loadSplit(ctx.wb, fromFolders.id, 'PublicTest');
    const expected = [...synthSamples({ perClass: 6, seed: 9 })].filter((s) => s.split === 'PublicTest');
    expect(pub.n).toBe(expected.length);
  });

  it('reads emotion folders case-insensitively, converts colour/resized images and skips non-images', async () => {
    const root = join(ctx.dir, 'mixed');
    mkdirSync(join(root, 'Train', 'HAPPY'), { recursive: true });
    mkdirSync(join(root, 'TEST', 'Sad'), { recursive: true });
    const gray = Buffer.alloc(2304, 100);
    await sharp(gray, { raw: { width: 48, height: 48, channels: 1 } }).toColourspace('b-w').png().toFile(join(root, 'Train', 'HAPPY', 'a.png'));
    const rgb = Buffer.alloc(96 * 96 * 3, 200);
    await sharp(rgb, { raw: { width: 96, height: 96, channels: 3 } }).jpeg().toFile(join(root, 'Train', 'HAPPY', 'b.jpg'));
    await sharp(Buffer.alloc(48 * 48 * 4, 50), { raw: { width: 48, height: 48, channels: 4 } }).png().toFile(join(root, 'TEST', 'Sad', 'PublicTest_c.png'));
    writeFileSync(join(root, 'Train', 'HAPPY', 'notes.txt'), 'hello');
    writeFileSync(join(root, 'TEST', 'Sad', '.DS_Store'), 'x');
    const summary = await importDataset(ctx.wb, { path: root, name: 'mixed' });
    expect(summary.sampleCount).toBe(3);
    expect(summary.converted).toBe(2);
    expect(summary.skipped).toBe(2);
    expect(summary.splits[0]!.perClass[3]).toBe(2);
    expect(summary.splits[1]!.perClass[4]).toBe(1);
    const train = loadSplit(ctx.wb, summary.id, 'Training');
    expect(train.pixels[0]).toBe(100);
    expect(Math.abs(train.pixels[2304]! - 200)).toBeLessThan(3);
  });

  it('rejects a folder with no emotion subfolders and writes nothing', async () => {
    mkdirSync(join(ctx.dir, 'empty', 'train', 'happyish'), { recursive: true });
    const err = await importError(join(ctx.dir, 'empty'));
    expect(err.code).toBe('INVALID_DATA');
    expect(err.message).toContain(join(ctx.dir, 'empty'));
    expect(err.message).toMatch(/has no emotion subfolders: expected train\/<emotion>\/ and test\/<emotion>\//);
    expectNothingWritten(ctx.wb);
  });

  it('rejects a corrupt PNG naming its path, and writes nothing', async () => {
    const root = join(ctx.dir, 'corrupt');
    await writeSynthFolders(root, { perClass: 2, seed: 1 });
    const victim = join(root, 'train', 'happy', readdirSync(join(root, 'train', 'happy'))[0]!);
    const bytes = readFileSync(victim);
    writeFileSync(victim, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await importError(root);
    expect(err.code).toBe('INVALID_DATA');
    expect(err.message).toContain(victim);
    expect(err.message).toMatch(/cannot decode this image/);
    expectNothingWritten(ctx.wb);
  });

  it('rejects an image extension on a file that is not an image', async () => {
    const root = join(ctx.dir, 'fake');
    await writeSynthFolders(root, { perClass: 1, seed: 1 });
    const fake = join(root, 'test', 'fear', 'PrivateTest_x.png');
    writeFileSync(fake, 'this is text, not a PNG');
    const err = await importError(root);
    expect(err.message).toContain(fake);
    expectNothingWritten(ctx.wb);
  });

  it('takes <emotion>/ folders directly under the root as Training', async () => {
    const root = join(ctx.dir, 'flat');
    await writeSynthFolders(root, { perClass: 2, seed: 1 });
    renameSync(join(root, 'train'), join(ctx.dir, 'flat-train'));
    const summary = await importDataset(ctx.wb, { path: join(ctx.dir, 'flat-train'), name: 'flat' });
    expect(summary.splits[0]!.total).toBe(summary.sampleCount);
  });

  it('follows symlinked emotion folders and symlinked images', async () => {
    const src = join(ctx.dir, 'src');
    const counts = await writeSynthFolders(src, { perClass: 2, seed: 3 });
    const root = join(ctx.dir, 'linked');
    mkdirSync(join(root, 'train'), { recursive: true });
    // train/<emotion> are links to the real folders; test/<emotion> are real folders of linked images.
    for (const emotion of readdirSync(join(src, 'train'))) symlinkSync(join(src, 'train', emotion), join(root, 'train', emotion));
    for (const emotion of readdirSync(join(src, 'test'))) {
      mkdirSync(join(root, 'test', emotion), { recursive: true });
      for (const f of readdirSync(join(src, 'test', emotion))) symlinkSync(join(src, 'test', emotion, f), join(root, 'test', emotion, f));
    }
    const linked = await importDataset(ctx.wb, { path: root, name: 'linked' });
    expect(linked.splits).toEqual(counts);
    expect(linked.skipped).toBe(0);
  });

  it('refuses one folder reached twice through a symlink, which would put its faces in two splits', async () => {
    const root = join(ctx.dir, 'twice');
    await writeSynthFolders(root, { perClass: 1, seed: 1 });
    const victim = join(root, 'test', 'happy');
    readdirSync(victim).forEach((f) => renameSync(join(victim, f), join(ctx.dir, f)));
    rmdirSync(victim);
    symlinkSync(join(root, 'train', 'happy'), victim);
    const err = await importError(root);
    expect(err.code).toBe('INVALID_DATA');
    expect(err.message).toMatch(/test\/happy\/ and train\/happy\/ are the same folder/);
    expectNothingWritten(ctx.wb);
  });

  it('reports folders whose name is no emotion, with their file counts, instead of ignoring them silently', async () => {
    const root = join(ctx.dir, 'contempt');
    await writeSynthFolders(root, { perClass: 1, seed: 1 });
    mkdirSync(join(root, 'train', 'contempt'));
    const face = readdirSync(join(root, 'train', 'happy'))[0]!;
    for (const f of ['x.png', 'y.png']) writeFileSync(join(root, 'train', 'contempt', f), readFileSync(join(root, 'train', 'happy', face)));
    mkdirSync(join(root, 'test', 'contempt'));
    const summary = await importDataset(ctx.wb, { path: root, name: 'contempt' });
    expect(summary.ignoredFolders).toEqual([
      { folder: 'test/contempt', files: 0 },
      { folder: 'train/contempt', files: 2 },
    ]);
    // The flat layout (<emotion>/ under the root) reports them too; a CSV import has no folders to report.
    const flat = await importDataset(ctx.wb, { path: join(root, 'train'), name: 'flat' });
    expect(flat.ignoredFolders).toEqual([{ folder: 'contempt', files: 2 }]);
  });
});
