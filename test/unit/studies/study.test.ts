import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { main } from '../../../src-main/cli/fer';
import type { Workbench } from '../../../src-main/context';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { planStudy } from '../../../src-main/studies/plan';
import { insertStudy, linkMember } from '../../../src-main/store/studies';
import { queueFor } from '../../../src-main/trainer/queue';
import { studyEvaluator } from '../../../src-main/studies/auto-evaluate';
import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fakeEval } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let ds: number;
/** A base small enough to train for real in a second or two: 32 faces, one epoch. */
const base = () => ({ dataset: ds, epochs: 1, limitTrain: 32, batch: 16 });
const count = (table: string) => (wb.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  ds = (await createSyntheticDataset(wb, { perClass: 8, seed: 19, name: 'study-syn' })).id;
}, 60_000);
afterAll(() => t.cleanup());

describe('planning a study', () => {
  it('is the cross product of the axes times the seeds, each config checked by the contract', () => {
    const cfg = trainConfigSchema.parse({ dataset: 1 });
    const plan = planStudy(cfg, [{ field: 'model', values: ['baseline', 'vgg16'] }, { field: 'classWeights', values: [false, true] }], [1, 2]);
    expect(plan).toHaveLength(8);
    expect(plan.map((m) => [m.cell.model, m.cell.classWeights, m.seed])).toEqual([
      ['baseline', false, 1], ['baseline', false, 2], ['baseline', true, 1], ['baseline', true, 2],
      ['vgg16', false, 1], ['vgg16', false, 2], ['vgg16', true, 1], ['vgg16', true, 2],
    ]);
    expect(plan.map((m) => [m.config.model, m.config.classWeights, m.config.seed])).toEqual(plan.map((m) => [m.cell.model, m.cell.classWeights, m.seed]));
    // A nested field on a base without augmentation gets the schema's defaults for the rest.
    const rot = planStudy(cfg, [{ field: 'augment.rotation', values: [0, 20] }], [1]);
    expect(rot.map((m) => m.config.augment)).toEqual([expect.objectContaining({ rotation: 0, flip: true }), expect.objectContaining({ rotation: 20, zoom: 0.1 })]);
  });

  it('a preset axis takes each preset’s setup over the base, keeping the base’s dataset, seed and class weights', () => {
    const cfg = trainConfigSchema.parse({ dataset: 1, limitTrain: 100, lr: 0.5 });
    const plan = planStudy(cfg, [{ field: 'preset', values: ['baseline', 'vgg16'] }, { field: 'classWeights', values: [false, true] }], [7]);
    expect(plan.map((m) => [m.config.model, m.config.optimizer, m.config.lr, m.config.inputSize, m.config.classWeights, m.config.limitTrain, m.config.seed])).toEqual([
      ['baseline', 'adam', 0.001, 48, false, 100, 7],
      ['baseline', 'adam', 0.001, 48, true, 100, 7],
      ['vgg16', 'adam', 0.001, 197, false, 100, 7],
      ['vgg16', 'adam', 0.001, 197, true, 100, 7],
    ]);
    expect(plan[2]!.config).toMatchObject({ freeze: 19, cacheFeatures: true, augment: null, channels: 3 });
    // Another axis still overrides what the preset set.
    expect(planStudy(cfg, [{ field: 'preset', values: ['baseline'] }, { field: 'epochs', values: [2] }], [1])[0]!.config.epochs).toBe(2);
    expect(() => planStudy(cfg, [{ field: 'preset', values: ['baseline', 'alexnet'] }], [1])).toThrow(/preset "alexnet" does not exist; presets are baseline, resnet50/);
  });

  it('refuses a bad value naming its cell, a seed axis, an unknown field, repeats and too many members', () => {
    const cfg = trainConfigSchema.parse({ dataset: 1 });
    expect(() => planStudy(cfg, [{ field: 'lr', values: [0.001, -1] }], [1])).toThrow(/member lr=-1 has an invalid config: lr:/);
    expect(() => planStudy(cfg, [{ field: 'seed', values: [1, 2] }], [1])).toThrow(/"seed" is not an axis/);
    expect(() => planStudy(cfg, [{ field: 'colour', values: [1] }], [1])).toThrow(/"colour" is not a config field/);
    expect(() => planStudy(cfg, [{ field: 'lr', values: [0.1, 0.1] }], [1])).toThrow(/lists the value 0.1 twice/);
    expect(() => planStudy(cfg, [], [1, 1])).toThrow(/seed is listed twice/);
    const many = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(() => planStudy(cfg, [{ field: 'epochs', values: many }], many)).toThrow(/225 members; at most 200/);
  });
});

describe('studies through the contract', () => {
  it('a bad cell refuses the whole study and stores nothing; a paused study queues nothing', async () => {
    const before = { runs: count('runs'), studies: count('studies') };
    await expect(call(handlers, wb, 'studies.create', { name: 'too big', base: base(), axes: [{ field: 'batch', values: [16, 4000] }] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/member batch=4000 \(seed 1\): config.batch: batch 4000 is larger than the 32 training samples/),
    });
    expect({ runs: count('runs'), studies: count('studies') }).toEqual(before);
    const s = await call(handlers, wb, 'studies.create', { name: 'paused', base: base(), axes: [{ field: 'classWeights', values: [false, true] }], seeds: [1, 2], paused: true });
    expect(s).toMatchObject({ status: 'paused', counts: { stopped: 4 } });
    expect(s.members.map((m) => [m.cell, m.seed])).toEqual([
      [{ classWeights: false }, 1], [{ classWeights: false }, 2], [{ classWeights: true }, 1], [{ classWeights: true }, 2],
    ]);
    expect(queueFor(wb).isActive(s.members[0]!.runId)).toBe(false);
    await expect(call(handlers, wb, 'studies.create', { name: 'paused', base: base() })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(call(handlers, wb, 'studies.get', { studyId: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('listing studies in a fresh process fails the members a dead process left running, as studies.get does', async () => {
    const ins = wb.db.prepare(
      `INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, pid, created_at) VALUES ('ghost', ?, 'baseline', ?, 1, 'x', 'running', ?, '2026-01-01')`,
    );
    // A pid far above any live one: no such process.
    const ghost = Number(ins.run(ds, JSON.stringify({ dataset: ds }), 4_000_002).lastInsertRowid);
    const studyId = insertStudy(wb.db, { name: 'orphaned', base: trainConfigSchema.parse({ dataset: ds }), axes: [], seeds: [1], status: 'active', evaluate: null, reference: null, leftOut: [], ensembleVote: null });
    linkMember(wb.db, studyId, ghost, {});
    // A second workbench object over the same DB stands for a freshly started process whose first call lists studies.
    const fresh = { ...wb, onClose() {} };
    const listed = (await call(handlers, fresh, 'studies.list', {})).find((s) => s.id === studyId)!;
    expect(listed.members[0]).toMatchObject({ runId: ghost, status: 'failed', error: expect.stringMatching(/pid 4000002\) exited while the run was running/) });
    expect(listed.counts).toEqual({ failed: 1 });
    wb.db.prepare('DELETE FROM study_runs WHERE study_id = ?').run(studyId);
    wb.db.prepare('DELETE FROM studies WHERE id = ?').run(studyId);
    wb.db.prepare('DELETE FROM runs WHERE id = ?').run(ghost);
  });

  it('trains its members as runs; pause leaves the next one stopped, resume trains it; export groups by the axis', async () => {
    const s = await call(handlers, wb, 'studies.create', { name: 'cw', base: base(), axes: [{ field: 'classWeights', values: [false, true] }], seeds: [3] });
    const [a, b] = s.members.map((m) => m.runId) as [number, number];
    // Queued in this process: the first starts at once, the second waits its turn.
    expect(s.counts).toEqual({ running: 1, queued: 1 });
    const paused = await call(handlers, wb, 'studies.pause', { studyId: s.id });
    expect(paused.status).toBe('paused');
    await queueFor(wb).idle();
    let now = await call(handlers, wb, 'studies.get', { studyId: s.id });
    // The first member had started (it trains to the end); the second never did.
    expect(now.members.map((m) => [m.runId, m.status])).toEqual([[a, 'completed'], [b, 'stopped']]);
    const resumed = await call(handlers, wb, 'studies.resume', { studyId: s.id });
    // Queued again, and with the queue idle it starts at once.
    expect(resumed.status).toBe('active');
    expect(['queued', 'running']).toContain(resumed.members.find((m) => m.runId === b)!.status);
    await queueFor(wb).idle();
    now = await call(handlers, wb, 'studies.get', { studyId: s.id });
    expect(now.counts).toEqual({ completed: 2 });
    for (const m of now.members) expect(m.trainSeconds).toBeGreaterThan(0);
    const cfg = (await call(handlers, wb, 'runs.get', { runId: b })).config;
    expect(cfg).toMatchObject({ classWeights: true, seed: 3, epochs: 1 });

    // Only one member evaluated plain: the other shows as missing in the study's table, not as another setting.
    fakeEval(wb, a, ds, 'PrivateTest', 0.6, 1);
    fakeEval(wb, b, ds, 'PrivateTest', 0.6, 2, { tta: 7 });
    const md = await call(handlers, wb, 'studies.export', { studyId: s.id, format: 'md', split: 'PrivateTest' });
    expect(md.text).toContain(`| classWeights=false | 1 | ${a} | 3 |`);
    expect(md.text).toContain(`| classWeights=true | 0 | missing: ${b} |`);
    const tta = await call(handlers, wb, 'studies.export', { studyId: s.id, format: 'csv', split: 'PrivateTest', tta: 7 });
    expect(tta.text.split('\n').slice(1, 3).map((l) => l.split(',').slice(0, 9).join(','))).toEqual([
      `classWeights=false,group,0,,,${a},PrivateTest,9,best`,
      `classWeights=true,group,1,${b},3,,PrivateTest,9,best`,
    ]);
  }, 120_000);

  it('evaluates each member with the study’s setting as it completes; a failed evaluation stays on its member', async () => {
    // The second member's checkpoints vanish the moment it completes (this listener runs right after the
    // evaluator's, before its evaluation starts), so its automatic evaluation must fail and say why.
    let victim = -1;
    const off = wb.events.subscribe((name, payload) => {
      const run = payload as { id: number; status: string };
      if (name !== 'run.status' || run.id !== victim || run.status !== 'completed') return;
      for (const { path } of wb.db.prepare('SELECT path FROM artifacts WHERE run_id = ?').all(victim) as { path: string }[]) {
        rmSync(isAbsolute(path) ? path : join(wb.home.runs, path), { recursive: true, force: true });
      }
    });
    try {
      const s = await call(handlers, wb, 'studies.create', {
        name: 'auto-eval',
        base: base(),
        axes: [{ field: 'classWeights', values: [false, true] }],
        evaluate: { split: 'PrivateTest' },
        reference: 'paper-table-2',
      });
      expect(s.evaluate).toEqual({ split: 'PrivateTest', tta: 0, checkpoint: 'best' });
      victim = s.members[1]!.runId;
      await queueFor(wb).idle();
      await studyEvaluator(wb).idle();
      const now = await call(handlers, wb, 'studies.get', { studyId: s.id });
      expect(now.counts).toEqual({ completed: 2 });
      const [good, bad] = now.members;
      expect(good!.evaluation).toEqual({ id: expect.any(Number), accuracy: expect.any(Number) });
      expect(good!.evalError).toBeNull();
      const ev = await call(handlers, wb, 'eval.get', { evaluationId: good!.evaluation!.id });
      expect(ev.evaluation).toMatchObject({ runId: good!.runId, split: 'PrivateTest', checkpoint: 'best', tta: null });
      expect(bad!.evaluation).toBeNull();
      expect(bad!.evalError).toMatch(/^\[[A-Z_]+\] ./);
      // The export takes the study's own setting and shows the paper's number beside the measured one.
      const md = await call(handlers, wb, 'studies.export', { studyId: s.id, format: 'md' });
      expect(md.text).toContain('PrivateTest, plain (1 view), best checkpoint');
      expect(md.text).toContain('Paper (%)');
      expect(md.text).toContain('| 66.37 |');
      expect(md.text).toContain(`missing: ${bad!.runId}`);
    } finally {
      off();
    }
  }, 120_000);

  it('extend adds only the new cells × seeds (stopped while paused); a new axis or nothing new is refused; duplicate copies the plan', async () => {
    const s = await call(handlers, wb, 'studies.create', { name: 'grow', base: base(), axes: [{ field: 'lr', values: [0.001] }], seeds: [1], paused: true, evaluate: { split: 'PublicTest' } });
    expect(s.members).toHaveLength(1);
    const before = count('runs');
    const grown = await call(handlers, wb, 'studies.extend', { studyId: s.id, axes: [{ field: 'lr', values: [0.01, 0.001] }], seeds: [2] });
    // lr ∈ {0.001, 0.01} × seeds {1, 2}: three new members, the first one kept as it was.
    expect(grown.axes).toEqual([{ field: 'lr', values: [0.001, 0.01] }]);
    expect(grown.seeds).toEqual([1, 2]);
    expect(grown.members.map((m) => [m.cell.lr, m.seed, m.status])).toEqual([
      [0.001, 1, 'stopped'], [0.001, 2, 'stopped'], [0.01, 1, 'stopped'], [0.01, 2, 'stopped'],
    ]);
    expect(grown.members[0]!.runId).toBe(s.members[0]!.runId);
    expect(count('runs')).toBe(before + 3);
    await expect(call(handlers, wb, 'studies.extend', { studyId: s.id, axes: [{ field: 'batch', values: [8] }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/"batch" is not an axis of study \d+; its axes are lr/) });
    await expect(call(handlers, wb, 'studies.extend', { studyId: s.id, axes: [{ field: 'lr', values: [0.01] }], seeds: [1] })).rejects.toMatchObject({ message: expect.stringMatching(/adds nothing/) });
    // A bad new cell refuses the extension and stores nothing.
    await expect(call(handlers, wb, 'studies.extend', { studyId: s.id, axes: [{ field: 'lr', values: [50] }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/member lr=50 has an invalid config: lr:/) });
    expect(count('runs')).toBe(before + 3);

    const copy = await call(handlers, wb, 'studies.duplicate', { studyId: s.id, name: 'grow again', paused: true });
    expect(copy).toMatchObject({ name: 'grow again', axes: grown.axes, seeds: [1, 2], evaluate: grown.evaluate, status: 'paused' });
    expect(copy.members.map((m) => [m.cell.lr, m.seed])).toEqual(grown.members.map((m) => [m.cell.lr, m.seed]));
    expect(copy.members.some((m) => grown.members.some((g) => g.runId === m.runId))).toBe(false);
    await expect(call(handlers, wb, 'studies.duplicate', { studyId: s.id, name: 'grow' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('estimate times a few batches per distinct setup and scales them to each member’s epochs and batches; nothing stored', async () => {
    const before = { runs: count('runs'), studies: count('studies') };
    const est = await call(handlers, wb, 'studies.estimate', { base: { ...base(), epochs: 3 }, axes: [{ field: 'batch', values: [16, 8] }, { field: 'classWeights', values: [false, true] }], seeds: [1, 2] });
    expect({ runs: count('runs'), studies: count('studies') }).toEqual(before);
    expect(est.members).toBe(8);
    // Class weights do not change a batch's cost: two setups (batch 16 and 8), four members each.
    expect(est.groups.map((g) => [g.label, g.members])).toEqual([['baseline 48×48, batch 16', 4], ['baseline 48×48, batch 8', 4]]);
    const val = (await call(handlers, wb, 'datasets.list', {})).find((d) => d.id === ds)!.splits.find((sp) => sp.split === 'PublicTest')!.total;
    expect(est.groups[0]!.stepsPerMember).toBeCloseTo(3 * (32 / 16 + Math.ceil(val / 16) / 3), 9);
    expect(est.groups[1]!.stepsPerMember).toBeCloseTo(3 * (32 / 8 + Math.ceil(val / 8) / 3), 9);
    for (const g of est.groups) {
      expect(g.secondsPerStep).toBeGreaterThan(0);
      expect(g.seconds).toBeCloseTo(g.secondsPerStep * g.stepsPerMember * g.members, 6);
    }
    expect(est.totalSeconds).toBeCloseTo(est.groups[0]!.seconds + est.groups[1]!.seconds, 6);
    await expect(call(handlers, wb, 'studies.estimate', { base: base(), axes: [{ field: 'batch', values: [4000] }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/batch 4000 is larger/) });
  }, 60_000);

  it('fer study create --paused, show and export from the command line', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const errs: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => errs.push(String(s)) > 0);
    try {
      await wb.close(); // the CLI opens the home itself
      const code = await main(['study', 'create', '--name', 'cli', '--dataset', 'study-syn', '--epochs', '1', '--batch', '16', '--axis', 'lr=0.001,0.01', '--seeds', '1,2', '--paused', '--home', t.dir, '--json']);
      expect(code, errs.join('')).toBe(0);
      const created = JSON.parse(out.at(-1)!);
      expect(created.members.map((m: { cell: { lr: number }; seed: number }) => [m.cell.lr, m.seed])).toEqual([[0.001, 1], [0.001, 2], [0.01, 1], [0.01, 2]]);
      expect(await main(['study', 'show', String(created.id), '--home', t.dir])).toBe(0);
      expect(out.join('\n')).toMatch(/study \d+ "cli" \(paused\): 4 members — 4 stopped/);
      expect(await main(['study', 'frobnicate', '--home', t.dir])).toBe(2);
      expect(await main(['study', 'create', '--name', 'x', '--dataset', 'study-syn', '--axis', 'lr', '--home', t.dir])).toBe(2);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });

  it('fer study create --table2: the paper’s grid, transfer presets without weights left out with why, evaluated, beside the paper', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const errs: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => errs.push(String(s)) > 0);
    try {
      // The CLI test above closed `wb`: the CLI opens the home itself.
      const code = await main(['study', 'create', '--table2', '--dataset', 'study-syn', '--epochs', '1', '--batch', '16', '--limit-train', '32', '--home', t.dir, '--json']);
      expect(code, errs.join('')).toBe(0);
      const s = JSON.parse(out.at(-1)!) as { id: number; members: { cell: Record<string, unknown>; status: string; evaluation: unknown }[]; leftOut: { cell: Record<string, unknown>; reason: string }[]; reference: string; ensembleVote: string | null; ensembleId: number | null };
      expect(s.reference).toBe('paper-table-2');
      expect(s.members.map((m) => [m.cell.preset, m.cell.classWeights, m.cell.epochs, m.status])).toEqual([
        ['baseline', false, 1, 'completed'],
        ['baseline', true, 1, 'completed'],
      ]);
      expect(s.members.every((m) => m.evaluation !== null)).toBe(true);
      expect(s.leftOut.map((l) => l.cell.preset)).toEqual(['resnet50', 'resnet50', 'senet50', 'senet50', 'vgg16', 'vgg16']);
      expect(s.leftOut[0]!.reason).toMatch(/no resnet50 weights are imported .*fer weights import/);
      // The paper's soft vote, planned by --table2, made once both members were evaluated.
      expect(s.ensembleVote).toBe('soft');
      expect(s.ensembleId).toEqual(expect.any(Number));
      const written: string[] = [];
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => written.push(String(s)) > 0);
      try {
        expect(await main(['study', 'export', String(s.id), '--format', 'md', '--home', t.dir])).toBe(0);
      } finally {
        stdout.mockRestore();
      }
      const md = written.join('');
      expect(md).toContain('PrivateTest, plain (1 view), best checkpoint');
      expect(md).toMatch(/\| model=baseline, classWeights=false, batch=16, epochs=1 \|.*\| 66\.37 \| -?\d+\.\d\d \|/);
      expect(md).toMatch(/\| Table 2: best of each cell \(ensemble #\d+\) \|.*\| 75\.50 \| -?\d+\.\d\d \|/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }, 120_000);
});
