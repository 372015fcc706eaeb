import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../../src-main/context';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { fakeEval, insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempDir } from '../../helpers/workbench';

const home = tempDir();
let runs: number[] = [];
let evals: number[] = [];

const fer = inProcessFer(home.dir);

beforeAll(async () => {
  const wb = openWorkbench({ flag: home.dir });
  const ds = (await createSyntheticDataset(wb, { perClass: 24, seed: 5 })).id;
  runs = [
    insertRun(wb, ds, 1, false),
    insertRun(wb, ds, 2, false),
    insertRun(wb, ds, 1, true),
    insertRun(wb, ds, 2, true),
  ];
  evals = runs.map((r, i) => fakeEval(wb, r, ds, 'PrivateTest', 0.5 + 0.1 * i, 60 + i));
  insertRun(wb, ds, 3, false, 'never-evaluated');
  await wb.close();
});
afterAll(() => home.cleanup());

describe('evaluation commands', () => {
  it('fer compare --group-by classWeights --json gives mean ± std rows', async () => {
    const r = await fer('compare', ...runs.map(String), '--group-by', 'classWeights', '--json');
    expect(r.code, r.stderr).toBe(0);
    const table = lastJson(r.stdout);
    expect(table.rows.map((x: { label: string; n: number }) => [x.label, x.n])).toEqual([
      ['classWeights=false', 2],
      ['classWeights=true', 2],
    ]);
    expect(table.rows[0].values.accuracy.std).toBeGreaterThan(0);
    const human = await fer('compare', ...runs.map(String), '--group-by', 'classWeights');
    expect(human.stdout).toMatch(/\| classWeights=false \| 2 \| .* ± /);
  });

  it('fer compare shows a run with no evaluation of the setting as missing and says how to evaluate it', async () => {
    const r = await fer('compare', String(runs[0]), '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout).missing).toEqual([{ runId: 5, label: 'never-evaluated (#5)' }]);
    expect(r.stderr).toMatch(/no evaluation of this setting: never-evaluated \(#5\).*--evaluate-missing --split S/);
    // The runs have plain evaluations only: asked for 9-view TTA, every one is missing, none replaced.
    const tta = await fer('compare', ...runs.map(String), '--split', 'PrivateTest', '--tta', '7', '--json');
    const table = lastJson(tta.stdout);
    expect(table.setting).toEqual({ split: 'PrivateTest', tta: 7, ttaFlip: true, totalViews: 9, checkpoint: 'best' });
    expect(table.missing.map((m: { runId: number }) => m.runId)).toEqual(runs);
    // --flip with no augmented views: flip TTA, original + mirror.
    const flip = await fer('compare', ...runs.map(String), '--split', 'PrivateTest', '--flip', '--json');
    expect(lastJson(flip.stdout).setting).toEqual({ split: 'PrivateTest', tta: 0, ttaFlip: true, totalViews: 2, checkpoint: 'best' });
    const both = await fer('eval', String(runs[0]), '--split', 'PrivateTest', '--flip', '--no-flip');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--flip and --no-flip contradict each other/);
    const csv = await fer('export', String(runs[0]), '--format', 'csv', '--checkpoint', 'last', '--tta', '2', '--no-flip');
    expect(csv.stdout.split('\n')[1]).toMatch(new RegExp(`^r1 \\(#${runs[0]}\\),run,0,,,${runs[0]},,3,last,`));
    const bad = await fer('compare', String(runs[0]), '--evaluate-missing');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--evaluate-missing needs --split/);
  });

  it('fer ensemble → fer export in three formats; an unwritable path leaves nothing', async () => {
    const e = await fer('ensemble', String(runs[0]), String(runs[1]), String(runs[2]), '--split', 'PrivateTest', '--json');
    expect(e.code, e.stderr).toBe(0);
    const ens = lastJson(e.stdout);
    expect(ens.ensemble.members).toHaveLength(3);
    const out = join(home.dir, 'out');
    mkdirSync(out);
    for (const format of ['csv', 'md', 'latex']) {
      const x = await fer('export', ...runs.slice(0, 3).map(String), '--ensembles', String(ens.ensemble.id), '--format', format, '--out', join(out, `t.${format}`), '--json');
      expect(x.code, x.stderr).toBe(0);
      expect(readFileSync(join(out, `t.${format}`), 'utf8')).toBe(lastJson(x.stdout).text);
    }
    expect(readFileSync(join(out, 't.latex'), 'utf8')).toMatch(/\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
    expect(readFileSync(join(out, 't.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    const toStdout = await fer('export', String(runs[0]), '--format', 'md');
    expect(toStdout.stdout).toMatch(/^\| Row \|/);
    const bad = await fer('export', String(runs[0]), '--format', 'csv', '--out', join(home.dir, 'missing-dir', 'x.csv'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error \[IO_ERROR\]: Cannot write .*missing-dir.*Nothing was written/);
    expect(existsSync(join(home.dir, 'missing-dir'))).toBe(false);
    const locked = join(home.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    if (process.getuid?.() !== 0) {
      const denied = await fer('export', String(runs[0]), '--format', 'latex', '--out', join(locked, 'x.tex'));
      expect(denied.code).toBe(1);
      expect(readdirSync(locked)).toEqual([]);
    }
    chmodSync(locked, 0o700);
  });

  it('fer cell, calibration and diff answer with --json', async () => {
    const cell = await fer('cell', String(evals[0]), '--true', 'happy', '--pred', 'happy', '--limit', '2', '--pgm', join(home.dir, 'faces'), '--json');
    expect(cell.code, cell.stderr).toBe(0);
    const page = lastJson(cell.stdout);
    expect(page.items.length).toBeGreaterThan(0);
    expect(readdirSync(join(home.dir, 'faces'))).toHaveLength(page.items.length);
    const cal = await fer('calibration', String(evals[0]), '--bins', '5', '--json');
    expect(lastJson(cal.stdout).bins).toHaveLength(5);
    const diff = await fer('diff', String(evals[0]), String(evals[3]));
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/McNemar: b=\d+, c=\d+, exact p=/);
  });

  it('bad input: unknown run, TTA count out of range (the service tests cover the rest)', async () => {
    const a = await fer('eval', '999', '--split', 'PrivateTest', '--json');
    expect(lastJson(a.stdout).error).toEqual({ code: 'NOT_FOUND', message: 'Run 999 does not exist.' });
    const b = await fer('eval', String(runs[0]), '--split', 'PrivateTest', '--tta', '40');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/BAD_ARGS.*tta/);
  });
});
