import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NEAR_COPY_MAX_DISTANCE } from '../../../src-shared/dedup';
import { NUM_CLASSES, PIXELS_PER_IMAGE, type Split } from '../../../src-shared/labels';
import { score } from '../../../src-main/analysis/metrics';
import { hamming64, phashFaces } from '../../../src-main/analysis/phash';
import { main } from '../../../src-main/cli/fer';
import { pct } from '../../../src-main/cli/commands/eval-shared';
import type { Workbench } from '../../../src-main/context';
import { importDataset } from '../../../src-main/data/import';
import { loadSplit } from '../../../src-main/data/packed-store';
import { datasetStats } from '../../../src-main/data/stats';
import { prng } from '../../../src-main/engine/rng';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { insertRun, saveStandInCheckpoint } from '../../helpers/evaluations';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * A dataset of smooth random "faces" (distinct ones lie far apart in pHash space, unlike the generator's faces,
 * which all share one template) with planted copies of Training faces in PrivateTest: exact ones, brightened
 * ones and ones shifted by a pixel. De-duplicated scores must leave out exactly the planted faces.
 */
const rand = prng(17);
function blobFace(): Uint8Array {
  const f = new Float64Array(PIXELS_PER_IMAGE).fill(110);
  for (let k = 0; k < 14; k++) {
    const cx = rand() * 48, cy = rand() * 48, s = 2 + rand() * 9, a = (rand() - 0.5) * 160;
    for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) f[y * 48 + x]! += a * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s));
  }
  return Uint8Array.from(f, (v) => Math.max(0, Math.min(255, Math.round(v))));
}
/** Shifted right by dx (edge column repeated) and brightened by b, clipped to 0–255. */
function altered(p: Uint8Array, dx: number, b: number): Uint8Array {
  const o = new Uint8Array(PIXELS_PER_IMAGE);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) o[y * 48 + x] = Math.min(255, Math.max(0, p[y * 48 + Math.max(0, x - dx)]! + b));
  return o;
}

interface Row { label: number; pixels: Uint8Array; split: Split; kind: 'distinct' | 'exact' | 'near' }
const train: Row[] = Array.from({ length: 70 }, (_, i) => ({ label: i % 7, pixels: blobFace(), split: 'Training', kind: 'distinct' }));
const twin = blobFace();
const privateTest: Row[] = [
  ...Array.from({ length: 14 }, (_, i): Row => ({ label: (i * 3) % 7, pixels: blobFace(), split: 'PrivateTest', kind: 'distinct' })),
  // A pair of identical test faces with no copy in Training: a duplicate, but no leak, so it stays.
  { label: 2, pixels: twin, split: 'PrivateTest', kind: 'distinct' },
  { label: 2, pixels: twin, split: 'PrivateTest', kind: 'distinct' },
  ...[0, 1, 2].map((t): Row => ({ label: train[t]!.label, pixels: train[t]!.pixels, split: 'PrivateTest', kind: 'exact' })),
  ...[3, 4, 5].map((t): Row => ({ label: train[t]!.label, pixels: altered(train[t]!.pixels, 0, 25), split: 'PrivateTest', kind: 'near' })),
  ...[6, 7].map((t): Row => ({ label: train[t]!.label, pixels: altered(train[t]!.pixels, 1, 10), split: 'PrivateTest', kind: 'near' })),
];
const publicTest: Row[] = [
  ...Array.from({ length: 6 }, (_, i): Row => ({ label: i, pixels: blobFace(), split: 'PublicTest', kind: 'distinct' })),
  { label: train[9]!.label, pixels: train[9]!.pixels, split: 'PublicTest', kind: 'exact' },
];

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let ds: number;

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  const dir = mkdtempSync(join(tmpdir(), 'fer-dedup-'));
  const file = join(dir, 'fer2013.csv');
  const lines = [...train, ...publicTest, ...privateTest].map((r) => `${r.label},${Array.from(r.pixels).join(' ')},${r.split}`);
  writeFileSync(file, `emotion,pixels,Usage\n${lines.join('\n')}\n`);
  ds = (await importDataset(wb, { path: file, name: 'planted' })).id;
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => t.cleanup());

/** An evaluation that gets every planted copy right (a model that memorised Training) and `rightDistinct` of the rest. */
function plantedEval(runId: number, rightDistinct: number): { id: number; probs: Float32Array; labels: Uint8Array } {
  const data = loadSplit(wb, ds, 'PrivateTest');
  const probs = new Float32Array(data.n * NUM_CLASSES);
  let distinct = 0;
  privateTest.forEach((r, i) => {
    const right = r.kind !== 'distinct' || distinct++ < rightDistinct;
    const k = right ? r.label : (r.label + 1) % NUM_CLASSES;
    for (let c = 0; c < NUM_CLASSES; c++) probs[i * NUM_CLASSES + c] = c === k ? 0.7 : 0.05;
  });
  const id = insertEvaluation(wb.db, { runId, ensembleId: null, datasetId: ds, split: 'PrivateTest', checkpoint: 'best', tta: null, sampleIds: data.ids, labels: data.labels, probs }).id;
  return { id, probs, labels: data.labels };
}

/** Scores over the rows whose kind is kept. */
function expectedScore(probs: Float32Array, labels: Uint8Array, keep: (r: Row) => boolean) {
  const idx = privateTest.flatMap((r, i) => (keep(r) ? [i] : []));
  const p = new Float32Array(idx.length * NUM_CLASSES);
  idx.forEach((i, j) => p.set(probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES), j * NUM_CLASSES));
  return score(p, Uint8Array.from(idx, (i) => labels[i]!), NUM_CLASSES);
}

describe('pHash', () => {
  it('ignores brightness, moves a few bits for a one-pixel shift, and keeps distinct faces apart', () => {
    const faces = [train[0]!.pixels, altered(train[0]!.pixels, 0, 25), altered(train[0]!.pixels, 1, 0), train[1]!.pixels];
    const packed = new Uint8Array(faces.length * PIXELS_PER_IMAGE);
    faces.forEach((f, i) => packed.set(f, i * PIXELS_PER_IMAGE));
    const h = phashFaces(packed, faces.length);
    expect(hamming64(h, 0, h, 0)).toBe(0);
    expect(hamming64(h, 0, h, 1)).toBeLessThanOrEqual(2);
    expect(hamming64(h, 0, h, 2)).toBeLessThanOrEqual(NEAR_COPY_MAX_DISTANCE);
    expect(hamming64(h, 0, h, 3)).toBeGreaterThan(NEAR_COPY_MAX_DISTANCE + 4);
  });
});

describe('de-duplicated evaluation on planted copies', () => {
  it('dataset-stats counts the planted exact and near copies per test split', () => {
    const c = datasetStats(wb, ds).trainCopies;
    expect(c.threshold).toBe(NEAR_COPY_MAX_DISTANCE);
    expect(c.splits).toEqual([
      { split: 'PublicTest', total: 7, exact: 1, near: 1 },
      { split: 'PrivateTest', total: 24, exact: 3, near: 8 },
    ]);
    expect(c.nearestDistances[0]).toBeGreaterThanOrEqual(4);
  });

  it('leaves out exactly the planted faces: accuracy 14/24 → 11/21 → 6/16', async () => {
    const run = insertRun(wb, ds, 1, false);
    const { id, probs, labels } = plantedEval(run, 6);
    const detail = await call(handlers, wb, 'eval.get', { evaluationId: id });
    const ev = detail.evaluation;
    expect(ev.accuracy).toBeCloseTo(14 / 24, 12);
    expect(ev.dedup).not.toBeNull();
    expect(ev.dedup!.exact).toMatchObject({ samples: 21, excluded: 3 });
    expect(ev.dedup!.exact.accuracy).toBeCloseTo(11 / 21, 12);
    expect(ev.dedup!.near).toMatchObject({ samples: 16, excluded: 8 });
    expect(ev.dedup!.near.accuracy).toBeCloseTo(6 / 16, 12);
    const exact = expectedScore(probs, labels, (r) => r.kind !== 'exact');
    const near = expectedScore(probs, labels, (r) => r.kind === 'distinct');
    expect(ev.dedup!.exact.macroF1).toBeCloseTo(exact.macroF1, 12);
    expect(ev.dedup!.near.macroF1).toBeCloseTo(near.macroF1, 12);

    const nearDetail = await call(handlers, wb, 'eval.get', { evaluationId: id, dedup: 'near' });
    expect(nearDetail.dedup).toBe('near');
    expect(nearDetail.confusion).toEqual(near.confusion);
    expect(nearDetail.perClass.map((m) => m.support)).toEqual(near.perClass.map((m) => m.support));
    expect((await call(handlers, wb, 'eval.get', { evaluationId: id, dedup: 'exact' })).confusion).toEqual(exact.confusion);
  });

  it('the cell review drops the copies at the chosen level', async () => {
    const run = insertRun(wb, ds, 2, false);
    const { id } = plantedEval(run, 14);
    // Everything is right, so the diagonal cell of label 0 holds every PrivateTest face labelled 0.
    const label = train[0]!.label;
    const all = privateTest.filter((r) => r.label === label);
    const page = (dedup: 'none' | 'exact' | 'near') => call(handlers, wb, 'eval.cell', { evaluationId: id, trueLabel: label, predLabel: label, dedup, limit: 500 });
    expect((await page('none')).total).toBe(all.length);
    expect((await page('exact')).total).toBe(all.filter((r) => r.kind !== 'exact').length);
    expect((await page('near')).items).toHaveLength(all.filter((r) => r.kind === 'distinct').length);
  });

  it('compare and its exports carry both accuracies', async () => {
    const run = insertRun(wb, ds, 3, false);
    plantedEval(run, 6);
    const table = await call(handlers, wb, 'compare.table', { runIds: [run] });
    expect(table.columns.slice(0, 3)).toEqual(['accuracy', 'dedupAccuracy', 'nearDedupAccuracy']);
    const v = table.rows[0]!.values;
    expect(v.accuracy).toMatchObject({ mean: 14 / 24 });
    expect((v.dedupAccuracy as { mean: number }).mean).toBeCloseTo(11 / 21, 12);
    expect((v.nearDedupAccuracy as { mean: number }).mean).toBeCloseTo(6 / 16, 12);
    const md = (await call(handlers, wb, 'compare.export', { runIds: [run], format: 'md' })).text;
    expect(md).toContain('Accuracy, no exact train copies (%)');
    expect(md).toContain((600 / 16).toFixed(2));
  });

  it('refuses a de-duplicated view of a Training evaluation, which has no test faces to leave out', async () => {
    const run = insertRun(wb, ds, 4, false);
    const data = loadSplit(wb, ds, 'Training');
    const probs = new Float32Array(data.n * NUM_CLASSES).fill(1 / NUM_CLASSES);
    const id = insertEvaluation(wb.db, { runId: run, ensembleId: null, datasetId: ds, split: 'Training', checkpoint: 'best', tta: null, sampleIds: data.ids, labels: data.labels, probs }).id;
    const d = await call(handlers, wb, 'eval.get', { evaluationId: id });
    expect(d.evaluation.dedup).toBeNull();
    await expect(call(handlers, wb, 'eval.get', { evaluationId: id, dedup: 'exact' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('Training') });
  });
});

describe('fer eval prints both scores', () => {
  it('on a stand-in checkpoint: the planted faces are left out whatever the model predicts', async () => {
    const run = insertRun(wb, ds, 5, false);
    await saveStandInCheckpoint(wb, run);
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => out.push(String(s)) > 0);
    const ewrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = process.env.FER_EVAL_INPROCESS;
    process.env.FER_EVAL_INPROCESS = '1';
    let code: number;
    try {
      code = await main(['eval', String(run), '--split', 'PrivateTest', '--dedup', 'near', '--home', t.dir]);
    } finally {
      if (before === undefined) delete process.env.FER_EVAL_INPROCESS;
      else process.env.FER_EVAL_INPROCESS = before;
      log.mockRestore();
      write.mockRestore();
      ewrite.mockRestore();
    }
    const text = out.join('\n');
    expect(code, text).toBe(0);
    const ev = (await call(handlers, wb, 'eval.list', { runId: run }))[0]!;
    expect(ev.dedup).toMatchObject({ exact: { samples: 21, excluded: 3 }, near: { samples: 16, excluded: 8 } });
    expect(text).toContain(`accuracy ${pct(ev.accuracy)}`);
    expect(text).toContain(`without exact copies of Training faces: accuracy ${pct(ev.dedup!.exact.accuracy)}`);
    expect(text).toContain(`(pHash ≤ ${NEAR_COPY_MAX_DISTANCE} bits): accuracy ${pct(ev.dedup!.near.accuracy)}`);
    expect(text).toContain('per class and confusion below: without exact or near copies of Training faces');
    // The confusion printed is the 16-face one.
    const near = await call(handlers, wb, 'eval.get', { evaluationId: ev.id, dedup: 'near' });
    expect(near.confusion.flat().reduce((a, b) => a + b, 0)).toBe(16);
  }, 60_000);
});
