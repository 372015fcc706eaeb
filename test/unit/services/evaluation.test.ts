import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXELS_PER_IMAGE, type Split } from '../../../src-shared/labels';
import { encodeConfusion } from '../../../src-main/analysis/blobs';
import { argmaxRows } from '../../../src-main/analysis/metrics';
import type { Workbench } from '../../../src-main/context';
import { loadSplit, readPixelsByIds } from '../../../src-main/data/packed-store';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { fakeEval as fakeEvalRow, insertRun as insertRunRow, oracleProbs } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let datasetId: number;
let otherDatasetId: number;
const insertRun = (ds: number, seed: number, classWeights: boolean) => insertRunRow(wb, ds, seed, classWeights);
const fakeEval = (runId: number, ds: number, split: Split, skill: number, seed: number) => fakeEvalRow(wb, runId, ds, split, skill, seed);

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  datasetId = (await createSyntheticDataset(wb, { perClass: 40, seed: 1 })).id;
  otherDatasetId = (await createSyntheticDataset(wb, { perClass: 8, seed: 2, name: 'other' })).id;
});
afterAll(() => t.cleanup());

describe('stored evaluations', () => {
  it('stores metrics, confusion and every probability, and reads them back', async () => {
    const run = insertRun(datasetId, 1, false);
    const id = fakeEval(run, datasetId, 'PrivateTest', 0.6, 11);
    const data = loadSplit(wb, datasetId, 'PrivateTest');
    const probs = oracleProbs(data.labels, 0.6, 11);
    const preds = argmaxRows(probs, data.n, 7);
    const right = preds.filter((p, i) => p === data.labels[i]).length;

    const detail = await call(handlers, wb, 'eval.get', { evaluationId: id });
    expect(detail.evaluation).toMatchObject({ id, runId: run, split: 'PrivateTest', samples: data.n, tta: null });
    expect(detail.evaluation.accuracy).toBeCloseTo(right / data.n, 10);
    expect(detail.confusion.flat().reduce((a, b) => a + b, 0)).toBe(data.n);
    expect(detail.confusion.map((row, k) => row[k]).reduce((a, b) => a! + b!, 0)).toBe(right);
    expect(detail.perClass.map((m) => m.support)).toEqual(Array.from({ length: 7 }, (_, k) => data.labels.filter((l) => l === k).length));
    const list = await call(handlers, wb, 'eval.list', { runId: run });
    expect(list.map((e) => e.id)).toEqual([id]);

    const sp = await call(handlers, wb, 'eval.sampleProbs', { evaluationId: id, sampleIds: [data.ids[3]!, data.ids[0]!] });
    expect(sp.map((s) => s.sampleId)).toEqual([data.ids[3], data.ids[0]]);
    for (let k = 0; k < 7; k++) expect(sp[0]!.probs[k]).toBeCloseTo(probs[3 * 7 + k]!, 6);
  });

  it('answers a confusion cell sorted by confidence, paged, with the faces', async () => {
    const run = insertRun(datasetId, 2, false);
    const id = fakeEval(run, datasetId, 'Training', 0.5, 12);
    const detail = await call(handlers, wb, 'eval.get', { evaluationId: id });
    // The fullest off-diagonal cell.
    let best = { a: 0, b: 1, n: -1 };
    detail.confusion.forEach((row, a) => row.forEach((n, b) => a !== b && n > best.n && (best = { a, b, n })));
    expect(best.n).toBeGreaterThan(4);
    const page1 = await call(handlers, wb, 'eval.cell', { evaluationId: id, trueLabel: best.a, predLabel: best.b, limit: 3 });
    const page2 = await call(handlers, wb, 'eval.cell', { evaluationId: id, trueLabel: best.a, predLabel: best.b, offset: 3, limit: 500 });
    expect(page1.total).toBe(best.n);
    expect(page1.items).toHaveLength(3);
    expect(page1.items.length + page2.items.length).toBe(best.n);
    const conf = [...page1.items, ...page2.items].map((i) => i.confidence);
    expect(conf).toEqual([...conf].sort((x, y) => y - x));
    for (const it of page1.items) {
      expect(it).toMatchObject({ trueLabel: best.a, predLabel: best.b });
      expect(Math.max(...it.probs)).toBeCloseTo(it.confidence, 6);
    }
    const px = Buffer.from(page1.pixelsBase64, 'base64');
    expect(px.length).toBe(3 * PIXELS_PER_IMAGE);
    expect(new Uint8Array(px)).toEqual(readPixelsByIds(wb, page1.items.map((i) => i.sampleId)));
    await expect(call(handlers, wb, 'eval.cell', { evaluationId: 99999, trueLabel: 0, predLabel: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives calibration per class and epoch confusions', async () => {
    const run = insertRun(datasetId, 3, false);
    const id = fakeEval(run, datasetId, 'PublicTest', 0.7, 13);
    const cal = await call(handlers, wb, 'eval.calibration', { evaluationId: id, bins: 5 });
    expect(cal.bins).toHaveLength(5);
    expect(cal.perClass).toHaveLength(7);
    expect(cal.ece).toBeGreaterThan(0);
    expect(cal.bins.reduce((a, b) => a + b.count, 0)).toBe((await call(handlers, wb, 'eval.get', { evaluationId: id })).evaluation.samples);

    const m = Array.from({ length: 7 }, (_, a) => Array.from({ length: 7 }, (_, b) => (a === b ? 3 : a + b)));
    wb.db.prepare('INSERT INTO confusions (run_id, epoch, split, matrix) VALUES (?, ?, ?, ?)').run(run, 2, 'PublicTest', encodeConfusion(m));
    wb.db.prepare('INSERT INTO confusions (run_id, epoch, split, matrix) VALUES (?, ?, ?, ?)').run(run, 1, 'PublicTest', encodeConfusion(m));
    const ec = await call(handlers, wb, 'eval.epochConfusions', { runId: run });
    expect(ec.map((e) => e.epoch)).toEqual([1, 2]);
    expect(ec[0]!.confusion).toEqual(m);
    await expect(call(handlers, wb, 'eval.epochConfusions', { runId: 4242 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('diffs two evaluations: flips, confusion difference and McNemar', async () => {
    const a = fakeEval(insertRun(datasetId, 4, false), datasetId, 'PrivateTest', 0.3, 14);
    const b = fakeEval(insertRun(datasetId, 5, false), datasetId, 'PrivateTest', 0.9, 15);
    const d = await call(handlers, wb, 'eval.diff', { a, b });
    const [da, db] = [await call(handlers, wb, 'eval.get', { evaluationId: a }), await call(handlers, wb, 'eval.get', { evaluationId: b })];
    const correct = (m: number[][]) => m.reduce((s, row, k) => s + row[k]!, 0);
    expect(d.fixed.length - d.broken.length).toBe(correct(db.confusion) - correct(da.confusion));
    expect(d.confusionDiff[0]![0]).toBe(db.confusion[0]![0]! - da.confusion[0]![0]!);
    expect(d.mcnemar).toMatchObject({ b: d.broken.length, c: d.fixed.length });
    expect(d.mcnemar.pValue).toBeLessThan(0.05);
    const elsewhere = fakeEval(insertRun(datasetId, 6, false), datasetId, 'PublicTest', 0.5, 16);
    await expect(call(handlers, wb, 'eval.diff', { a, b: elsewhere })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/PublicTest/) });
  });
});

describe('ensembles', () => {
  it('soft-votes three runs, stores members, and reports fixed/broken against the best member', async () => {
    const runs = [insertRun(datasetId, 7, false), insertRun(datasetId, 8, false), insertRun(datasetId, 9, false)];
    const evs = runs.map((r, i) => fakeEval(r, datasetId, 'PrivateTest', 0.55 + 0.05 * i, 20 + i));
    const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: evs, name: 'trio' });
    const data = loadSplit(wb, datasetId, 'PrivateTest');
    const tables = runs.map((_, i) => oracleProbs(data.labels, 0.55 + 0.05 * i, 20 + i));
    const mean = tables[0]!.map((_, j) => (tables[0]![j]! + tables[1]![j]! + tables[2]![j]!) / 3);
    const preds = argmaxRows(mean, data.n, 7);
    expect(ens.accuracy).toBeCloseTo(preds.filter((p, i) => p === data.labels[i]).length / data.n, 10);
    expect(ens.ensembleId).toBe(ens.ensemble.id);
    expect(ens.ensemble.members.map((m) => m.evaluationId)).toEqual(evs);
    expect(ens.ensemble.members.map((m) => m.seed)).toEqual([7, 8, 9]);
    const best = ens.ensemble.members.find((m) => m.evaluationId === ens.ensemble.bestMemberEvaluationId)!;
    expect(best.accuracy).toBe(Math.max(...ens.ensemble.members.map((m) => m.accuracy)));
    expect((ens.ensemble.fixed.length - ens.ensemble.broken.length) / data.n).toBeCloseTo(ens.accuracy - best.accuracy, 10);
    expect(await call(handlers, wb, 'ensembles.get', { ensembleId: ens.ensemble.id })).toEqual(ens);

    const hard = await call(handlers, wb, 'ensembles.create', { evaluationIds: evs, vote: 'hard' });
    expect(hard.ensemble.vote).toBe('hard');
    expect(hard.accuracy).not.toBe(ens.accuracy);
  });

  it('refuses an ensemble of one, mixed splits or datasets, and bad weights, writing nothing', async () => {
    const before = (wb.db.prepare('SELECT count(*) AS n FROM ensembles').get() as { n: number }).n;
    const a = fakeEval(insertRun(datasetId, 10, false), datasetId, 'PrivateTest', 0.5, 30);
    const b = fakeEval(insertRun(datasetId, 11, false), datasetId, 'PublicTest', 0.5, 31);
    const c = fakeEval(insertRun(otherDatasetId, 12, false), otherDatasetId, 'PrivateTest', 0.5, 32);
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a] })).rejects.toMatchObject({ code: 'BAD_ARGS' });
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a, a] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/at least two/) });
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a, b] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/PrivateTest.*PublicTest/) });
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a, c] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/dataset/) });
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a, 9999] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/9999/) });
    await expect(call(handlers, wb, 'ensembles.create', { evaluationIds: [a, b], weights: [1] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((wb.db.prepare('SELECT count(*) AS n FROM ensembles').get() as { n: number }).n).toBe(before);
  });
});

describe('comparison tables', () => {
  let runsOff: number[];
  let runsOn: number[];
  beforeAll(() => {
    runsOff = [21, 22, 23].map((s) => insertRun(otherDatasetId, s, false));
    runsOn = [21, 22].map((s) => insertRun(otherDatasetId, s, true));
    [...runsOff, ...runsOn].forEach((r, i) => fakeEval(r, otherDatasetId, 'PrivateTest', 0.4 + 0.1 * i, 40 + i));
  });

  it('groups by classWeights with seeds as replicates: mean ± std and n', async () => {
    const table = await call(handlers, wb, 'compare.table', { runIds: [...runsOff, ...runsOn], groupBy: 'classWeights', split: 'PrivateTest', columns: ['accuracy', 'loss', 'recall.sad', 'trainSeconds'] });
    expect(table.rows.map((r) => [r.label, r.n])).toEqual([
      ['classWeights=false', 3],
      ['classWeights=true', 2],
    ]);
    expect(table.rows[0]!.seeds).toEqual([21, 22, 23]);
    const accs = await Promise.all(runsOff.map(async (r) => (await call(handlers, wb, 'eval.list', { runId: r }))[0]!.accuracy));
    const mean = accs.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(accs.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
    expect(table.rows[0]!.values.accuracy).toEqual({ mean: expect.closeTo(mean, 10), std: expect.closeTo(std, 10) });
    expect(table.rows[0]!.values.trainSeconds).toEqual({ mean: expect.closeTo(82, 6), std: expect.closeTo(1, 6) });
  });

  it('shows runs with no evaluation yet as missing rows, and refuses unknown columns or fields', async () => {
    const bare1 = insertRun(otherDatasetId, 30, false);
    const bare2 = insertRun(otherDatasetId, 31, false);
    const table = await call(handlers, wb, 'compare.table', { runIds: [runsOff[0]!, bare1, bare2] });
    expect(table.missing.map((m) => m.runId)).toEqual([bare1, bare2]);
    expect(table.rows.map((r) => [r.n, r.missingRunIds])).toEqual([
      [1, []],
      [0, [bare1]],
      [0, [bare2]],
    ]);
    expect(table.rows[1]!.values.accuracy).toBeNull();
    const onTraining = await call(handlers, wb, 'compare.table', { runIds: [runsOff[0]!], split: 'Training' });
    expect(onTraining.missing.map((m) => m.runId)).toEqual([runsOff[0]]);
    await expect(call(handlers, wb, 'compare.table', { runIds: [runsOff[0]!], columns: ['acc'] })).rejects.toMatchObject({ message: expect.stringMatching(/Unknown column acc/) });
    await expect(call(handlers, wb, 'compare.table', { runIds: [runsOff[0]!], groupBy: 'colour' })).rejects.toMatchObject({ message: expect.stringMatching(/field "colour"/) });
    await expect(call(handlers, wb, 'compare.table', { runIds: [777] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('exports an ensemble of three runs in CSV, Markdown and LaTeX, atomically', async () => {
    const evs = runsOff.map((r) => (wb.db.prepare('SELECT id FROM evaluations WHERE run_id = ?').get(r) as { id: number }).id);
    const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: evs });
    const dir = join(t.dir, 'exports');
    mkdirSync(dir);
    const args = { runIds: runsOff, ensembleIds: [ens.ensemble.id], split: 'PrivateTest' as const };
    const csv = await call(handlers, wb, 'compare.export', { ...args, format: 'csv', path: join(dir, 't.csv') });
    const md = await call(handlers, wb, 'compare.export', { ...args, format: 'md', path: join(dir, 't.md') });
    const tex = await call(handlers, wb, 'compare.export', { ...args, format: 'latex', path: join(dir, 't.tex') });
    expect(readFileSync(join(dir, 't.csv'), 'utf8')).toBe(csv.text);
    expect(csv.text.trim().split('\n')).toHaveLength(1 + 4);
    for (const r of runsOff) expect(csv.text).toContain(`(#${r})`);
    expect(csv.text).toMatch(new RegExp(`ensemble,1,${runsOff.join(' ')},21 22 23,`));
    expect(md.text.split('\n').filter((l) => l.startsWith('| ')).length).toBe(2 + 4);
    expect(readFileSync(join(dir, 't.tex'), 'utf8')).toBe(tex.text);
    let depth = 0;
    for (let i = 0; i < tex.text.length; i++) {
      if (tex.text[i] === '\\') i++;
      else if (tex.text[i] === '{') depth++;
      else if (tex.text[i] === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(tex.text.indexOf('\\toprule')).toBeLessThan(tex.text.indexOf('\\midrule'));
    expect(tex.text.indexOf('\\midrule')).toBeLessThan(tex.text.indexOf('\\bottomrule'));
    expect(tex.text).toContain('\\textbf{');
    expect(readdirSync(dir).sort()).toEqual(['t.csv', 't.md', 't.tex']);
  });

  it('an unwritable export path is a clear error and leaves no file', async () => {
    const locked = join(t.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const asRoot = process.getuid?.() === 0;
    try {
      const missing = join(t.dir, 'no-such-folder', 'x.md');
      await expect(call(handlers, wb, 'compare.export', { runIds: runsOff, format: 'md', path: missing })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('no-such-folder') });
      expect(existsSync(missing)).toBe(false);
      if (!asRoot) {
        await expect(call(handlers, wb, 'compare.export', { runIds: runsOff, format: 'latex', path: join(locked, 'x.tex') })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/permission denied/) });
      }
      expect(readdirSync(locked)).toEqual([]);
    } finally {
      chmodSync(locked, 0o700);
    }
  });
});

describe('tables choose evaluations by split, TTA views and checkpoint', () => {
  let both: number;
  let ttaOnly: number;
  let plainAcc: number;
  let ttaAcc: number;
  beforeAll(() => {
    both = insertRun(datasetId, 70, false);
    ttaOnly = insertRun(datasetId, 71, false);
    const plain = fakeEval(both, datasetId, 'PrivateTest', 0.3, 70);
    // Stored after the plain one: "the newest evaluation" is this 9-view TTA one.
    const tta = fakeEvalRow(wb, both, datasetId, 'PrivateTest', 0.9, 71, { tta: 7 });
    fakeEvalRow(wb, ttaOnly, datasetId, 'PrivateTest', 0.8, 72, { tta: 7 });
    const acc = (id: number) => (wb.db.prepare('SELECT accuracy FROM evaluations WHERE id = ?').get(id) as { accuracy: number }).accuracy;
    plainAcc = acc(plain);
    ttaAcc = acc(tta);
    expect(plainAcc).not.toBe(ttaAcc);
  });

  it('a run with a plain and a TTA evaluation: the table takes the one asked for, plain by default', async () => {
    const plain = await call(handlers, wb, 'compare.table', { runIds: [both], split: 'PrivateTest', columns: ['accuracy', 'tta'] });
    expect(plain.setting).toEqual({ split: 'PrivateTest', tta: 0, ttaFlip: false, totalViews: 1, checkpoint: 'best' });
    expect(plain.rows[0]!.values).toEqual({ accuracy: { mean: plainAcc, std: 0 }, tta: { mean: 1, std: 0 } });
    const tta = await call(handlers, wb, 'compare.table', { runIds: [both], split: 'PrivateTest', tta: 7, columns: ['accuracy', 'tta'] });
    expect(tta.setting).toMatchObject({ tta: 7, ttaFlip: true, totalViews: 9 });
    expect(tta.rows[0]!.values).toEqual({ accuracy: { mean: ttaAcc, std: 0 }, tta: { mean: 9, std: 0 } });
    // 7 views without the mirror is another setting, and so is the last checkpoint: neither is stored.
    expect((await call(handlers, wb, 'compare.table', { runIds: [both], tta: 7, ttaFlip: false })).missing.map((m) => m.runId)).toEqual([both]);
    expect((await call(handlers, wb, 'compare.table', { runIds: [both], checkpoint: 'last' })).missing.map((m) => m.runId)).toEqual([both]);
  });

  it('a run with only a TTA evaluation is missing when plain is asked for, also inside a group', async () => {
    const table = await call(handlers, wb, 'compare.table', { runIds: [both, ttaOnly], split: 'PrivateTest', columns: ['accuracy'] });
    expect(table.missing).toEqual([{ runId: ttaOnly, label: `r71 (#${ttaOnly})` }]);
    expect(table.rows.map((r) => [r.key, r.n, r.runIds, r.missingRunIds])).toEqual([
      [`run:${both}`, 1, [both], []],
      [`run:${ttaOnly}`, 0, [], [ttaOnly]],
    ]);
    const grouped = await call(handlers, wb, 'compare.table', { runIds: [both, ttaOnly], split: 'PrivateTest', groupBy: 'classWeights', columns: ['accuracy'] });
    expect(grouped.rows).toHaveLength(1);
    expect(grouped.rows[0]).toMatchObject({ n: 1, runIds: [both], missingRunIds: [ttaOnly], values: { accuracy: { mean: plainAcc, std: 0 } } });
    const md = await call(handlers, wb, 'compare.export', { runIds: [both, ttaOnly], split: 'PrivateTest', format: 'md' });
    expect(md.text).toContain(`| r71 (#${ttaOnly}) | 0 | missing: ${ttaOnly} |`);
    expect(md.text).toContain('evaluations: PrivateTest, plain (1 view), best checkpoint');
    const csv = await call(handlers, wb, 'compare.export', { runIds: [both, ttaOnly], split: 'PrivateTest', tta: 7, format: 'csv' });
    expect(csv.text.split('\n')[1]).toMatch(new RegExp(`^r70 \\(#${both}\\),run,1,${both},70,,PrivateTest,9,best,${ttaAcc},`));
  });

  it('an ensemble built from TTA evaluations is refused in a plain table, with why', async () => {
    const a = insertRun(datasetId, 72, false);
    const b = insertRun(datasetId, 73, false);
    const evs = [fakeEvalRow(wb, a, datasetId, 'PrivateTest', 0.5, 73, { tta: 2 }), fakeEvalRow(wb, b, datasetId, 'PrivateTest', 0.6, 74, { tta: 2 })];
    const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: evs });
    await expect(call(handlers, wb, 'compare.table', { ensembleIds: [ens.ensemble.id] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/another setting .*TTA 4 views/) });
    const ok = await call(handlers, wb, 'compare.table', { ensembleIds: [ens.ensemble.id], tta: 2 });
    expect(ok.rows[0]!.values.accuracy).toEqual({ mean: ens.accuracy, std: 0 });
  });

  it('evaluating the missing ones needs a split and refuses unknown runs', async () => {
    await expect(call(handlers, wb, 'compare.evaluateMissing', { runIds: [ttaOnly] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/split/) });
    await expect(call(handlers, wb, 'compare.evaluateMissing', { runIds: [ttaOnly, 9191], split: 'PrivateTest' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/9191/) });
    // Nothing missing: nothing to do.
    expect(await call(handlers, wb, 'compare.evaluateMissing', { runIds: [both], split: 'PrivateTest' })).toEqual({ evaluated: [], failed: [], cancelled: false });
  });
});

describe('eval.run refusals', () => {
  it('refuses an unknown run, an out-of-range TTA count and a split with no samples', async () => {
    await expect(call(handlers, wb, 'eval.run', { runId: 4040, split: 'PrivateTest' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Run 4040 does not exist.' });
    const run = insertRun(datasetId, 50, false);
    await expect(call(handlers, wb, 'eval.run', { runId: run, split: 'PrivateTest', tta: 33 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/tta/) });
    await expect(call(handlers, wb, 'eval.run', { runId: run, split: 'Nope' })).rejects.toMatchObject({ code: 'BAD_ARGS' });
    wb.db.prepare("DELETE FROM samples WHERE dataset_id = ? AND split = 'PublicTest'").run(otherDatasetId);
    const other = insertRun(otherDatasetId, 51, false);
    await expect(call(handlers, wb, 'eval.run', { runId: other, split: 'PublicTest' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/no PublicTest samples/) });
  });
});
