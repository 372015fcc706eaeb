import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FERPLUS_CLASSES, FERPLUS_TO_FER2013 } from '../../../src-shared/contract/ferplus';
import { NUM_CLASSES, type Split } from '../../../src-shared/labels';
import { main } from '../../../src-main/cli/fer';
import type { Workbench } from '../../../src-main/context';
import { majorityOf } from '../../../src-main/data/ferplus';
import { importDataset } from '../../../src-main/data/import';
import { loadSplit } from '../../../src-main/data/packed-store';
import { writeSynthFolders } from '../../../src-main/data/synth';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * FER+ votes written by the test for a synthetic fer2013.csv dataset, with a planted pattern per row (by row
 * number mod 6): the crowd agrees with the label, disagrees, says contempt, has no majority, says "not a face",
 * or agrees once single outlier votes are dropped. Every expected count follows from the pattern.
 */
const HEADER = 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF';
/** FER2013 label → FER+ column. */
const toFerPlus = (label: number) => FERPLUS_TO_FER2013.indexOf(label);
type Kind = 'agree' | 'disagree' | 'contempt' | 'unknown' | 'nf' | 'outliers';
const KINDS: Kind[] = ['agree', 'disagree', 'contempt', 'unknown', 'nf', 'outliers'];

function votesFor(kind: Kind, label: number): number[] {
  const v = new Array<number>(10).fill(0);
  const own = toFerPlus(label);
  const other = toFerPlus((label + 1) % NUM_CLASSES);
  if (kind === 'agree') (v[own] = 8), (v[other] = 2);
  if (kind === 'disagree') (v[other] = 7), (v[own] = 3);
  if (kind === 'contempt') (v[7] = 6), (v[own] = 4);
  if (kind === 'unknown') (v[own] = 4), (v[other] = 4), (v[8] = 2); // nobody past half
  if (kind === 'nf') v[9] = 10;
  // 5 for the label and five single votes: dropped as outliers, the label has all that remains.
  if (kind === 'outliers') (v[own] = 5), [other, 7, 8, 9, toFerPlus((label + 2) % NUM_CLASSES)].forEach((k) => (v[k] = 1));
  return v;
}

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let dsName: string;
let rows: { split: Split; label: number; kind: Kind }[] = [];
let dir: string;

function writeVotes(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
const goodLines = () => [HEADER, ...rows.map((r, i) => `${r.split},fer${String(i).padStart(7, '0')}.png,${votesFor(r.kind, r.label).join(',')}`)];
const count = (sql: string) => (wb.db.prepare(sql).get() as { n: number }).n;
function expectNoLayer(): void {
  expect(count('SELECT count(*) AS n FROM ferplus_layers')).toBe(0);
  expect(count('SELECT count(*) AS n FROM ferplus_votes')).toBe(0);
}

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  dir = mkdtempSync(join(tmpdir(), 'fer-ferplus-'));
  const ds = await createSyntheticDataset(wb, { perClass: 6, seed: 3, name: 'syn' });
  dsName = ds.name;
  const samples = wb.db.prepare('SELECT split, label FROM samples WHERE dataset_id = ? ORDER BY idx').all(ds.id) as { split: Split; label: number }[];
  rows = samples.map((s, i) => ({ ...s, kind: KINDS[i % KINDS.length]! }));
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('FER+ majority', () => {
  it('needs more than half of the votes once single votes are dropped', () => {
    expect(majorityOf([8, 2, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(0);
    expect(majorityOf([5, 5, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(8);
    expect(majorityOf([0, 5, 1, 1, 1, 1, 1, 0, 0, 0])).toBe(1);
    expect(majorityOf(new Array(10).fill(1))).toBe(8);
    expect(majorityOf([0, 0, 0, 0, 0, 0, 0, 0, 0, 10])).toBe(9);
  });
});

describe('bad FER+ input stores nothing', () => {
  it('a file with one row too few', async () => {
    const file = writeVotes('short.csv', goodLines().slice(0, -1));
    await expect(call(handlers, wb, 'ferplus.import', { path: file, dataset: dsName })).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringContaining(`has ${rows.length - 1} vote rows, but dataset "${dsName}" has ${rows.length} faces`),
    });
    expectNoLayer();
  });

  it.each([['x'], ['1.5'], ['-1'], ['']])('a non-numeric vote %j', async (bad) => {
    const lines = goodLines();
    const f = lines[3]!.split(',');
    f[5] = bad;
    lines[3] = f.join(',');
    const file = writeVotes('bad-vote.csv', lines);
    await expect(call(handlers, wb, 'ferplus.import', { path: file, dataset: dsName })).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/line 4: the sadness vote count .* is not a whole number/),
    });
    expectNoLayer();
  });

  it('rows out of order, and split counts that differ', async () => {
    const lines = goodLines();
    const a = rows.findIndex((r) => r.split === 'Training');
    const b = rows.findIndex((r) => r.split === 'PrivateTest');
    [lines[a + 1], lines[b + 1]] = [lines[b + 1]!, lines[a + 1]!];
    await expect(call(handlers, wb, 'ferplus.import', { path: writeVotes('swapped.csv', lines), dataset: dsName })).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringContaining('not in this dataset\'s row order'),
    });
    const relabelled = goodLines();
    relabelled[b + 1] = relabelled[b + 1]!.replace(/^PrivateTest/, 'PublicTest');
    await expect(call(handlers, wb, 'ferplus.import', { path: writeVotes('counts.csv', relabelled), dataset: dsName })).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/split by split .*PublicTest \d+ vs \d+, PrivateTest/),
    });
    expectNoLayer();
  });

  it('fer2013.csv instead of the votes, and a dataset imported from image folders', async () => {
    const pixels = writeVotes('fer2013.csv', ['emotion,pixels,Usage', `0,${new Array(2304).fill(1).join(' ')},Training`]);
    await expect(call(handlers, wb, 'ferplus.import', { path: pixels, dataset: dsName })).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('looks like fer2013.csv') });
    const folders = join(dir, 'folders');
    await writeSynthFolders(folders, { perClass: 1, seed: 4, balanced: true });
    const fromFolders = await importDataset(wb, { path: folders, name: 'from-folders' });
    await expect(call(handlers, wb, 'ferplus.import', { path: writeVotes('ok.csv', goodLines()), dataset: fromFolders.name })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('imported from image folders'),
    });
    expectNoLayer();
  });
});

describe('FER+ votes on a FER2013-shaped dataset', () => {
  it('imports through `fer ferplus import`, then scores evaluations against the crowd and filters the cell review', async () => {
    const file = writeVotes('fer2013new.csv', goodLines());
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => out.push(String(s)) > 0);
    let code: number;
    try {
      code = await main(['ferplus', 'import', file, '--dataset', dsName, '--home', t.dir]);
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
    expect(code, out.join('')).toBe(0);
    const of = (k: Kind) => rows.filter((r) => r.kind === k).length;
    expect(out.join('\n')).toContain(`left out of FER+ scores: ${of('contempt')} contempt, ${of('unknown')} unknown or no majority, ${of('nf')} not a face`);

    const layer = (await call(handlers, wb, 'ferplus.get', { dataset: dsName }))!;
    expect(layer.rows).toBe(rows.length);
    expect(layer.leftOut).toEqual({ contempt: of('contempt'), unknown: of('unknown'), nonFace: of('nf') });
    expect(layer.disagreeing).toBe(of('disagree'));
    expect(layer.majorityCounts.reduce((a, b) => a + b, 0)).toBe(rows.length);

    // A model that always says the FER2013 label: 100% against FER2013, and exactly the agreeing share against FER+.
    const ds = layer.datasetId;
    const data = loadSplit(wb, ds, 'PrivateTest');
    const probs = new Float32Array(data.n * NUM_CLASSES);
    data.labels.forEach((l, i) => (probs[i * NUM_CLASSES + l] = 1));
    const run = insertRun(wb, ds, 1, false);
    const id = insertEvaluation(wb.db, { runId: run, ensembleId: null, datasetId: ds, split: 'PrivateTest', checkpoint: 'best', tta: null, sampleIds: data.ids, labels: data.labels, probs }).id;
    const priv = rows.filter((r) => r.split === 'PrivateTest');
    const n = (k: Kind) => priv.filter((r) => r.kind === k).length;
    const ev = (await call(handlers, wb, 'eval.get', { evaluationId: id })).evaluation;
    expect(ev.accuracy).toBe(1);
    expect(ev.ferplus).toMatchObject({ samples: n('agree') + n('outliers') + n('disagree'), leftOut: { contempt: n('contempt'), unknown: n('unknown'), nonFace: n('nf') }, disagreeing: n('disagree') });
    expect(ev.ferplus!.accuracy).toBeCloseTo((n('agree') + n('outliers')) / (n('agree') + n('outliers') + n('disagree')), 12);
    const table = await call(handlers, wb, 'compare.table', { runIds: [run], columns: ['accuracy', 'ferplusAccuracy'] });
    expect((table.rows[0]!.values.ferplusAccuracy as { mean: number }).mean).toBeCloseTo(ev.ferplus!.accuracy, 12);

    // The cell review: every diagonal cell's faces carry their votes; "crowd disagrees" keeps only the planted ones.
    let all = 0;
    let disagree = 0;
    for (let k = 0; k < NUM_CLASSES; k++) {
      const page = await call(handlers, wb, 'eval.cell', { evaluationId: id, trueLabel: k, predLabel: k, limit: 500 });
      all += page.total;
      for (const it of page.items) {
        const idx = data.ids.indexOf(it.sampleId);
        expect(it.votes).toEqual(votesFor(priv[idx]!.kind, priv[idx]!.label));
        expect(FERPLUS_CLASSES[it.crowdMajority!]).toBeDefined();
      }
      const d = await call(handlers, wb, 'eval.cell', { evaluationId: id, trueLabel: k, predLabel: k, crowd: 'disagree', limit: 500 });
      disagree += d.total;
      for (const it of d.items) expect(priv[data.ids.indexOf(it.sampleId)]!.kind).toBe('disagree');
    }
    expect(all).toBe(priv.length);
    expect(disagree).toBe(n('disagree'));
  });

  it('a bad second file leaves the first layer as it was', async () => {
    const before = await call(handlers, wb, 'ferplus.get', { dataset: dsName });
    await expect(call(handlers, wb, 'ferplus.import', { path: writeVotes('short2.csv', goodLines().slice(0, 5)), dataset: dsName })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    expect(await call(handlers, wb, 'ferplus.get', { dataset: dsName })).toEqual(before);
    expect(count('SELECT count(*) AS n FROM ferplus_votes')).toBe(rows.length);
  });
});
