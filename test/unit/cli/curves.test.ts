import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../../src-shared/contract/runs';
import { recordEpoch } from '../../../src-main/store/runs';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/** `fer curves` through the CLI's own main(), on runs whose epochs are stored as the trainer stores them. */
let t: ReturnType<typeof tempWorkbench>;
let fer: ReturnType<typeof inProcessFer>;
let out: string;
let [withVal, trainOnly, unfinished] = [0, 0, 0];

const metrics = (epoch: number, val: boolean): EpochMetrics => ({
  epoch,
  loss: 2 / epoch + 0.1 * (epoch % 2),
  acc: 0.2 + 0.05 * epoch,
  valLoss: val ? 1.5 / epoch + 0.4 : null,
  valAcc: val ? 0.18 + 0.04 * epoch - 0.02 * (epoch % 3) : null,
  lr: 0.001,
  imgPerSec: 100,
  seconds: 1,
});

beforeAll(async () => {
  t = tempWorkbench();
  const ds = (await createSyntheticDataset(t.wb, { perClass: 2, balanced: true, seed: 21, name: 'curves-ds' })).id;
  withVal = insertRun(t.wb, ds, 1, false, 'with <val> & "best"');
  trainOnly = insertRun(t.wb, ds, 2, false, 'train only');
  unfinished = insertRun(t.wb, ds, 3, false, 'still training');
  for (let e = 1; e <= 6; e++) recordEpoch(t.wb, withVal, metrics(e, true), null, e === 5, null);
  for (let e = 1; e <= 4; e++) recordEpoch(t.wb, trainOnly, metrics(e, false), null, true, null);
  // Owned by this process, so the queue's orphan sweep leaves it running.
  t.wb.db.prepare(`UPDATE runs SET status = 'running', pid = ?, epochs_done = 0, best_epoch = NULL WHERE id = ?`).run(process.pid, unfinished);
  out = join(t.dir, 'figures');
  mkdirSync(out);
  fer = inProcessFer(t.dir);
});
afterAll(() => t.cleanup());

describe('fer curves', () => {
  it('writes the SVG with --out (nothing else left in the folder) and the same bytes to stdout without it', async () => {
    const file = join(out, 'curves.svg');
    const res = await fer('curves', String(withVal), String(trainOnly), '--out', file);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`wrote ${file}`);
    expect(readdirSync(out)).toEqual(['curves.svg']);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // Each run in the legend by id and escaped name; its best epoch where it has one.
    expect(svg).toContain(`>#${withVal} with &lt;val&gt; &amp; &quot;best&quot; (best epoch 5)</text>`);
    expect(svg).toContain(`>#${trainOnly} train only (best epoch 4)</text>`);
    // Validation lines for the first run only, training lines for both, in both panels.
    const lines = [...svg.matchAll(/<polyline class="curve" data-run="(\d)" data-series="(\w+)" data-metric="(\w+)" points="([^"]*)"/g)];
    expect(lines.map((m) => `${m[1]}${m[2]}${m[3]}`).sort()).toEqual(['0trainacc', '0trainloss', '0valacc', '0valloss', '1trainacc', '1trainloss'].sort());
    expect(lines.find((m) => m[1] === '0' && m[2] === 'val')![4]!.split(' ')).toHaveLength(6);
    const stdout = await fer('curves', String(withVal), String(trainOnly));
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(svg);
  });

  it('--metric acc|loss draws one panel; --json ends with the path and the SVG', async () => {
    const res = await fer('curves', String(withVal), '--metric', 'loss', '--json');
    expect(res.code, res.stderr).toBe(0);
    const json = lastJson(res.stdout) as { runs: number[]; metric: string; path: string | null; svg: string };
    expect(json).toMatchObject({ runs: [withVal], metric: 'loss', path: null });
    expect([...json.svg.matchAll(/<g class="panel" data-metric="(\w+)">/g)].map((m) => m[1])).toEqual(['loss']);
    expect((await fer('curves', String(withVal), '--metric', 'f1')).stderr).toMatch(/error \[BAD_ARGS\]: --metric must be acc, loss, both; got "f1"/);
  });

  it('refuses an unknown run, a run without epochs (naming it), bad ids and a missing folder, writing nothing', async () => {
    const file = join(out, 'keep.svg');
    writeFileSync(file, 'old figure');
    const unknown = await fer('curves', String(withVal), '9999', '--out', file, '--json');
    expect(unknown.code).toBe(1);
    expect(lastJson(unknown.stdout)).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/Run 9999 does not exist/) } });
    const empty = await fer('curves', String(withVal), String(unfinished), '--out', file, '--json');
    expect(empty.code).toBe(1);
    expect(lastJson(empty.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: `Run ${unfinished} (still training) has no training curves: its status is running and no epoch has finished yet. Nothing was written.` } });
    expect(readFileSync(file, 'utf8')).toBe('old figure');
    const missing = join(out, 'no-such-folder', 'c.svg');
    const noDir = await fer('curves', String(withVal), '--out', missing);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toContain(`error [IO_ERROR]: Cannot write ${missing}: its folder does not exist. Nothing was written.`);
    expect(existsSync(join(out, 'no-such-folder'))).toBe(false);
    expect((await fer('curves')).stderr).toMatch(/BAD_ARGS.*Give one or more run ids/);
    expect((await fer('curves', '1.5')).stderr).toMatch(/"1.5" is not a run id/);
    expect((await fer('curves', String(withVal), String(withVal))).stderr).toMatch(new RegExp(`Run ${withVal} is given twice`));
    expect(readdirSync(out).sort()).toEqual(['curves.svg', 'keep.svg']);
  });
});
