import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetStats, DatasetSummary, SplitCounts } from '../../../src-shared/contract/datasets';
import { main } from '../../../src-main/cli/fer';
import { inverseFrequencyWeights } from '../../../src-main/data/stats';
import { fer as ferBin } from '../../helpers/fer-cli';
import { tempDir } from '../../helpers/workbench';

let dir: string;
let cleanup: () => void;
let home: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  home = join(dir, 'home');
  mkdirSync(home);
});
afterAll(() => cleanup());

/** Runs the real CLI entry in-process (a spawned `fer` pays seconds of tfjs start-up per call on this machine). */
async function fer(...args: string[]): Promise<{ code: number; json: unknown; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    const code = await main([...args, '--home', home]);
    const last = out.at(-1) ?? 'null';
    let json: unknown = null;
    try {
      json = JSON.parse(last);
    } catch {
      // human output
    }
    return { code, json, stdout: out.join('\n'), stderr: err.join('') };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

describe('fer synth → fer import → fer dataset-stats', () => {
  it('gives the same per split and class counts on both layouts as the generator wrote', async () => {
    const out = join(dir, 'synth');
    const csv = await fer('synth', '--out', out, '--format', 'csv', '--per-class', '6', '--seed', '5', '--json');
    expect(csv.code, csv.stderr).toBe(0);
    const folders = await fer('synth', '--out', out, '--format', 'folders', '--per-class', '6', '--seed', '5', '--json');
    expect(folders.code, folders.stderr).toBe(0);
    const written = (csv.json as { counts: SplitCounts[] }).counts;
    expect((folders.json as { counts: SplitCounts[] }).counts).toEqual(written);

    const a = await fer('import', join(out, 'fer2013.csv'), '--name', 'from-csv', '--json');
    expect(a.code, a.stderr).toBe(0);
    const b = await fer('import', out, '--name', 'from-folders', '--json');
    expect(b.code, b.stderr).toBe(0);
    expect((a.json as DatasetSummary).splits).toEqual(written);
    expect((b.json as DatasetSummary).splits).toEqual(written);

    const list = await fer('datasets', '--json');
    expect((list.json as DatasetSummary[]).map((d) => d.name)).toEqual(['from-csv', 'from-folders']);

    const stats = await fer('dataset-stats', 'from-folders', '--json');
    const s = stats.json as DatasetStats;
    expect(s.table.map((t) => t.perClass.map((c) => c.count))).toEqual(written.map((w) => w.perClass));
    expect(s.classWeights).toEqual(inverseFrequencyWeights(written[0]!.perClass));
  });

  it('prints the Table 1 layout for humans', async () => {
    const r = await fer('dataset-stats', 'from-csv');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/class\s+Training\s+PublicTest\s+PrivateTest\s+weight/);
    expect(r.stdout).toMatch(/disgust\s+\d+ \(\d+\.\d%\)/);
  });

  it('reports bad input as a JSON error with the code and a non-zero exit, adding no dataset', async () => {
    const r = await fer('import', join(dir, 'missing.csv'), '--name', 'x', '--json');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(r.stderr).toContain('missing.csv does not exist');
    const dup = await fer('import', join(dir, 'synth', 'fer2013.csv'), '--name', 'from-csv', '--json');
    expect(dup.json).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
    // The message points at a command that exists.
    expect(dup.stderr).toContain('delete the old one (fer datasets delete NAME, or the Datasets view)');
    expect(((await fer('datasets', '--json')).json as unknown[]).length).toBe(2);
    expect((await fer('synth', '--out', dir, '--format', 'xml')).code).toBe(2);
  });

  it('fer datasets delete removes a dataset by name; a wrong action or a missing name is a usage error', async () => {
    const extra = await fer('import', join(dir, 'synth', 'fer2013.csv'), '--name', 'to-delete', '--json');
    expect(extra.code, extra.stderr).toBe(0);
    const del = await fer('datasets', 'delete', 'to-delete', '--json');
    expect(del.code, del.stderr).toBe(0);
    expect(del.json).toEqual({ deleted: true });
    expect(((await fer('datasets', '--json')).json as DatasetSummary[]).map((d) => d.name)).not.toContain('to-delete');
    expect((await fer('datasets', 'delete', 'to-delete', '--json')).json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await fer('datasets', 'remove', 'from-csv')).code).toBe(2);
    expect((await fer('datasets', 'delete')).code).toBe(2);
  });

  it('names on stderr the folders it did not import because they are no emotion', async () => {
    const out = join(dir, 'with-contempt');
    expect((await fer('synth', '--out', out, '--format', 'folders', '--per-class', '1', '--seed', '2')).code).toBe(0);
    mkdirSync(join(out, 'train', 'contempt'));
    writeFileSync(join(out, 'train', 'contempt', 'x.png'), 'never read');
    const r = await fer('import', out, '--name', 'with-contempt', '--json');
    expect(r.code).toBe(0);
    expect((r.json as DatasetSummary).ignoredFolders).toEqual([{ folder: 'train/contempt', files: 1 }]);
    expect(r.stderr).toContain('not imported: train/contempt/ (1 file(s)): "contempt" is not one of the seven FER2013 emotions');
  });

  it('the installed bin imports with a progress summary in rows/s on stderr', async () => {
    const r = await ferBin(['import', join(dir, 'synth', 'fer2013.csv'), '--name', 'bin', '--home', home], { timeout: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/imported \d+ images in [\d.]+ s \(\d+ rows\/s\)/);
    expect(r.stdout).toMatch(/dataset \d+ "bin" \(csv\): Training \d+, PublicTest \d+, PrivateTest \d+/);
  });
});
