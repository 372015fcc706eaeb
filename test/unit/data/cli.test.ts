import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetStats, DatasetSummary, SplitCounts } from '../../../src-shared/contract/datasets';
import { inverseFrequencyWeights } from '../../../src-main/data/stats';
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

function fer(...args: string[]): { code: number | null; json: unknown; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['bin/fer.mjs', ...args, '--home', home, '--json'], { encoding: 'utf8', timeout: 120_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? 'null';
  return { code: r.status, json: JSON.parse(last), stderr: r.stderr, stdout: r.stdout };
}

describe('fer synth → fer import → fer dataset-stats', () => {
  it('gives the same per split and class counts on both layouts as the generator wrote', () => {
    const out = join(dir, 'synth');
    const csv = fer('synth', '--out', out, '--format', 'csv', '--per-class', '6', '--seed', '5');
    expect(csv.code).toBe(0);
    const folders = fer('synth', '--out', out, '--format', 'folders', '--per-class', '6', '--seed', '5');
    expect(folders.code).toBe(0);
    const written = (csv.json as { counts: SplitCounts[] }).counts;
    expect((folders.json as { counts: SplitCounts[] }).counts).toEqual(written);

    const a = fer('import', join(out, 'fer2013.csv'), '--name', 'from-csv');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/imported \d+ images in [\d.]+ s \(\d+ rows\/s\)/);
    const b = fer('import', out, '--name', 'from-folders');
    expect(b.code, b.stderr).toBe(0);
    expect((a.json as DatasetSummary).splits).toEqual(written);
    expect((b.json as DatasetSummary).splits).toEqual(written);

    const list = fer('datasets');
    expect((list.json as DatasetSummary[]).map((d) => d.name)).toEqual(['from-csv', 'from-folders']);

    const stats = fer('dataset-stats', 'from-folders');
    const s = stats.json as DatasetStats;
    expect(s.table.map((t) => t.perClass.map((c) => c.count))).toEqual(written.map((w) => w.perClass));
    expect(s.classWeights).toEqual(inverseFrequencyWeights(written[0]!.perClass));
  });

  it('prints the Table 1 layout for humans', () => {
    const r = spawnSync(process.execPath, ['bin/fer.mjs', 'dataset-stats', 'from-csv', '--home', home], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/class\s+Training\s+PublicTest\s+PrivateTest\s+weight/);
    expect(r.stdout).toMatch(/disgust\s+\d+ \(\d+\.\d%\)/);
  });

  it('reports bad input as a JSON error with the code, exit 1, and no dataset', () => {
    const r = fer('import', join(dir, 'missing.csv'), '--name', 'x');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(r.stderr).toContain('missing.csv does not exist');
    const dup = fer('import', join(dir, 'synth', 'fer2013.csv'), '--name', 'from-csv');
    expect(dup.json).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
    expect(fer('synth', '--out', dir, '--format', 'xml').code).toBe(2);
  });
});
