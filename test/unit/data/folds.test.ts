import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsInvoke, trainConfigSchema } from '../../../src-shared/contract/runs';
import { fieldIssues, type AppError } from '../../../src-shared/errors';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { assignFolds, heldOutIds } from '../../../src-main/data/folds';
import { loadSplit } from '../../../src-main/data/packed-store';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { validateConfig } from '../../../src-main/services/runs';
import { loadRunData } from '../../../src-main/trainer/data';
import { loadPredictions } from '../../../src-main/store/evaluations';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { saveStandInCheckpoint } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { finished, waitForStatus } from '../trainer/helpers';
import { tempWorkbench } from '../../helpers/workbench';

/** k-fold cross-validation: how a split's faces are dealt to folds, and what a fold run's trainer loads. */
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let ds: number;
let train: ReturnType<typeof loadSplit>;

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  // Unbalanced on purpose (class counts differ), so the stratification has something to do.
  ds = (await createSyntheticDataset(wb, { perClass: 11, seed: 5, name: 'folds' })).id;
  train = loadSplit(wb, ds, 'Training');
});
afterAll(() => t.cleanup());

const counts = (xs: Iterable<number>, size: number) => {
  const c = new Array<number>(size).fill(0);
  for (const x of xs) c[x]! += 1;
  return c;
};

describe('fold assignment', () => {
  it.each([2, 3, 5, 10])('k = %i partitions the split: every face in exactly one fold, folds and their classes within one face of each other', (k) => {
    const fold = assignFolds(train.ids, train.labels, k);
    expect(fold.length).toBe(train.n);
    expect(Math.max(...fold)).toBe(k - 1);
    const sizes = counts(fold, k);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(train.n);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (let c = 0; c < NUM_CLASSES; c++) {
      const perFold = counts(Array.from(fold).filter((_, i) => train.labels[i] === c), k);
      expect(Math.max(...perFold) - Math.min(...perFold), `class ${c}`).toBeLessThanOrEqual(1);
    }
    // The held-out sets of the k folds are disjoint and together the whole split.
    const sets = Array.from({ length: k }, (_, i) => heldOutIds(wb.db, ds, 'Training', k, i));
    const all = sets.flatMap((s) => [...s]);
    expect(all.length).toBe(train.n);
    expect(new Set(all)).toEqual(new Set(train.ids));
  });

  it('is deterministic and does not depend on the row order', () => {
    const a = assignFolds(train.ids, train.labels, 5);
    expect(Array.from(assignFolds(train.ids, train.labels, 5))).toEqual(Array.from(a));
    const order = Array.from({ length: train.n }, (_, i) => train.n - 1 - i);
    const reversed = assignFolds(
      order.map((i) => train.ids[i]!),
      order.map((i) => train.labels[i]!),
      5,
    );
    order.forEach((row, i) => expect(reversed[i]).toBe(a[row]));
    // Not the identity of row order: the faces of a fold are spread over the split, not a block of it.
    const fold0 = Array.from(a.keys()).filter((i) => a[i] === 0);
    expect(fold0[fold0.length - 1]! - fold0[0]!).toBeGreaterThan(train.n / 2);
  });

  it('refuses a k it cannot use and labels outside the classes', () => {
    expect(() => assignFolds([1, 2], [0, 1], 1)).toThrow(/k must be an integer from 2/);
    expect(() => assignFolds([1, 2], [0, 9], 2)).toThrow(/row 1 has label 9/);
  });
});

describe('a fold run', () => {
  it("loads the training split without exactly its fold, in the split's order; the other splits whole", () => {
    const fold = assignFolds(train.ids, train.labels, 4);
    for (const index of [0, 3]) {
      const data = loadRunData(wb, trainConfigSchema.parse({ dataset: ds, fold: { k: 4, index }, valSplit: 'PublicTest', testSplit: null }));
      const kept = Array.from({ length: train.n }, (_, i) => i).filter((i) => fold[i] !== index);
      expect(data.train.n).toBe(kept.length);
      kept.forEach((row, i) => {
        expect(data.train.labels[i]).toBe(train.labels[row]);
        const got = data.train.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
        expect(Buffer.compare(Buffer.from(got), Buffer.from(train.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE))), `row ${row}`).toBe(0);
      });
      expect(data.val!.n).toBe(loadSplit(wb, ds, 'PublicTest').n);
    }
    const whole = loadRunData(wb, trainConfigSchema.parse({ dataset: ds, valSplit: null, testSplit: null }));
    expect(whole.train.n).toBe(train.n);
  });

  it.each([
    [{ k: 1, index: 0 }, 'config.fold.k'],
    [{ k: 11, index: 0 }, 'config.fold.k'],
    [{ k: 3, index: 3 }, 'config.fold.index'],
    [{ k: 3, index: -1 }, 'config.fold.index'],
    [{ k: 2.5, index: 0 }, 'config.fold.k'],
    [{ k: 3 }, 'config.fold.index'],
    [{ k: 3, index: 0, seed: 2 }, 'config.fold'],
  ])('refuses fold %j naming %s', async (fold, field) => {
    const err = await call(handlers, wb, 'runs.create', { config: { dataset: ds, batch: 8, fold } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining(field) });
    expect(fieldIssues((err as AppError).details).map((f) => f.field)).toContain(field);
  });

  it('index must be below k says so', () => {
    const r = runsInvoke['runs.create'].args.safeParse({ config: { dataset: 1, fold: { k: 2, index: 2 } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['config', 'fold', 'index'], message: expect.stringMatching(/below k/) });
  });
});

describe('runs.create with folds', () => {
  it('queues one run per fold, same seed, one group; a bad combination queues nothing', async () => {
    const create = (args: Record<string, unknown>) => call(handlers, wb, 'runs.create', { config: { dataset: ds, batch: 8, epochs: 1, seed: 7, backend: 'tensorflow' }, ...args });
    await expect(create({ folds: 3, replicates: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^folds: folds and replicates cannot be combined/) });
    await expect(
      call(handlers, wb, 'runs.create', { config: { dataset: ds, batch: 8, fold: { k: 3, index: 0 } }, folds: 3 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^folds: .*leave config\.fold null/) });
    await expect(create({ folds: 11 })).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining('folds') });
    // Each fold run trains on about 2/3 of the 77 Training faces: a batch of 60 fits none of them.
    await expect(call(handlers, wb, 'runs.create', { config: { dataset: ds, batch: 60 }, folds: 3 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/batch 60 is larger than the 5\d training samples .*without fold 0 of 3/),
    });
    // fer train passes --folds to the same check.
    const cli = await inProcessFer(t.dir)('train', '--dataset', 'folds', '--batch', '8', '--folds', '1');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/folds/);
    expect(await call(handlers, wb, 'runs.list', {})).toEqual([]);

    // A backend that cannot load ends each run at once: this is about what is queued, not training.
    const runs = await create({ folds: 2, name: 'cv' });
    expect(runs.map((r) => r.name)).toEqual(['cv fold 1/2', 'cv fold 2/2']);
    expect(runs.map((r) => r.seed)).toEqual([7, 7]);
    expect(new Set(runs.map((r) => r.groupId)).size).toBe(1);
    expect(runs[0]!.groupId).not.toBeNull();
    for (const [i, r] of runs.entries()) {
      expect((await call(handlers, wb, 'runs.get', { runId: r.id })).config?.fold).toEqual({ k: 2, index: i });
      await waitForStatus(wb, r.id, finished);
    }
  });
});

describe('runs.create with a fold and a revision', () => {
  it('counts the faces a fold run on a revision trains on exactly: a face both excluded and held out is missing once', async () => {
    const heldOut = heldOutIds(wb.db, ds, 'Training', 3, 0);
    const inFold = Array.from(train.ids).filter((id) => heldOut.has(id)).slice(0, 3);
    const outside = Array.from(train.ids).filter((id) => !heldOut.has(id)).slice(0, 2);
    await call(handlers, wb, 'revisions.create', { dataset: ds, name: 'fold-count', changes: [...inFold, ...outside].map((sampleId) => ({ kind: 'exclude' as const, sampleId })) });
    const trains = train.n - heldOut.size - outside.length;
    const check = (batch: number) => validateConfig(wb, trainConfigSchema.parse({ dataset: ds, revision: 'fold-count', fold: { k: 3, index: 0 }, batch }));
    expect(() => check(trains)).not.toThrow();
    expect(() => check(trains + 1)).toThrow(new RegExp(`batch ${trains + 1} is larger than the ${trains} training samples`));
  });
});

describe('out-of-fold evaluation', () => {
  /** A completed fold run as a row, with an untrained stand-in checkpoint: what it predicts does not matter here. */
  async function foldRun(fold: { k: number; index: number } | null, group: string | null = null, status = 'completed'): Promise<number> {
    const config = trainConfigSchema.parse({ dataset: ds, fold });
    const id = Number(
      wb.db
        .prepare(`INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, group_id, created_at) VALUES ('cv fold', ?, 'baseline', ?, 1, 'test', ?, ?, ?)`)
        .run(ds, JSON.stringify(config), status, group, new Date().toISOString()).lastInsertRowid,
    );
    await saveStandInCheckpoint(wb, id);
    return id;
  }

  it('eval.run heldOut predicts exactly the fold the run held out, and label issues on it are out-of-sample', async () => {
    const before = process.env.FER_EVAL_INPROCESS;
    process.env.FER_EVAL_INPROCESS = '1';
    try {
      const run = await foldRun({ k: 3, index: 1 });
      // Through the CLI: fer eval --held-out, then fer label-issues without the in-sample warning.
      const fer = inProcessFer(t.dir);
      const out = await fer('eval', String(run), '--split', 'Training', '--held-out', '--json');
      expect(out.code, out.stderr).toBe(0);
      const held = (lastJson(out.stdout) as { evaluation: { id: number; samples: number } }).evaluation;
      const expected = heldOutIds(wb.db, ds, 'Training', 3, 1);
      expect(held.samples).toBe(expected.size);
      expect(new Set(loadPredictions(wb.db, held.id).sampleIds)).toEqual(expected);
      expect(await call(handlers, wb, 'eval.labelIssues', { evaluationId: held.id })).toMatchObject({ inSample: false, warning: null });
      const issues = await fer('label-issues', String(held.id), '--limit', '2');
      expect(issues.code, issues.stderr).toBe(0);
      expect(issues.stderr + issues.stdout).not.toMatch(/in-sample/i);

      // The same run on all of Training saw two thirds of those faces in training: in-sample, and the warning says what to do.
      const whole = await call(handlers, wb, 'eval.run', { runId: run, split: 'Training' });
      expect(whole.samples).toBe(train.n);
      const rep = await call(handlers, wb, 'eval.labelIssues', { evaluationId: whole.id });
      expect(rep.inSample).toBe(true);
      expect(rep.warning).toMatch(/fer train --folds K.*fer eval RUN --out-of-fold/);

      await expect(call(handlers, wb, 'eval.run', { runId: run, split: 'PublicTest', heldOut: true })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/^heldOut: run \d+ held out fold 1 of 3 of Training, not of PublicTest/),
      });
      const plain = await foldRun(null);
      const err = await call(handlers, wb, 'eval.run', { runId: plain, split: 'Training', heldOut: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/is not a k-fold run/) });
      expect(fieldIssues((err as AppError).details).map((f) => f.field)).toEqual(['heldOut']);
    } finally {
      if (before === undefined) delete process.env.FER_EVAL_INPROCESS;
      else process.env.FER_EVAL_INPROCESS = before;
    }
  });

  it('eval.outOfFold combines the fold runs into one evaluation of all Training, each face from the run that held it out', async () => {
    const before = process.env.FER_EVAL_INPROCESS;
    process.env.FER_EVAL_INPROCESS = '1';
    try {
      const runs = [await foldRun({ k: 3, index: 0 }, 'g3'), await foldRun({ k: 3, index: 1 }, 'g3')];
      // A fold without its run: refused before anything is evaluated.
      const evals = () => (wb.db.prepare('SELECT count(*) AS n FROM evaluations').get() as { n: number }).n;
      const stored = evals();
      await expect(call(handlers, wb, 'eval.outOfFold', { runId: runs[0]! })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/no run for fold 2 \(deleted\?\)/) });
      const running = await foldRun({ k: 3, index: 2 }, 'g3', 'running');
      await expect(call(handlers, wb, 'eval.outOfFold', { runId: runs[1]! })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`run ${running} (fold 2) is running`) });
      expect(evals()).toBe(stored);
      wb.db.prepare("UPDATE runs SET status = 'completed' WHERE id = ?").run(running);
      runs.push(running);

      // Through the CLI, as a user would: any one of the fold runs names the cross-validation.
      const out = await inProcessFer(t.dir)('eval', String(runs[2]), '--out-of-fold', '--json');
      expect(out.code, out.stderr).toBe(0);
      const oof = lastJson(out.stdout) as { id: number; ensembleId: number; split: string; samples: number; ensemble: { outOfFold: number; members: { runId: number; evaluationId: number }[]; fixed: number[] } };
      expect(oof).toMatchObject({ split: 'Training', samples: train.n, ensemble: { outOfFold: 3, fixed: [], broken: [] } });
      expect(oof.ensemble.members.map((m) => m.runId).sort()).toEqual([...runs].sort());
      // Every face's probabilities are those of the member that held it out, and only that member has the face.
      const combined = loadPredictions(wb.db, oof.id);
      expect(new Set(combined.sampleIds)).toEqual(new Set(train.ids));
      for (const m of oof.ensemble.members) {
        const member = loadPredictions(wb.db, m.evaluationId);
        const index = runs.indexOf(m.runId);
        expect(new Set(member.sampleIds)).toEqual(heldOutIds(wb.db, ds, 'Training', 3, index));
        member.sampleIds.forEach((id, i) => {
          const j = combined.sampleIds.indexOf(id);
          expect(Array.from(combined.probs.subarray(j * NUM_CLASSES, (j + 1) * NUM_CLASSES))).toEqual(Array.from(member.probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)));
        });
      }
      const rep = await call(handlers, wb, 'eval.labelIssues', { evaluationId: oof.id });
      expect(rep).toMatchObject({ inSample: false, warning: null });
      expect(rep.labelCounts.reduce((a, b) => a + b, 0)).toBe(train.n);
      expect((await call(handlers, wb, 'ensembles.list', {})).find((e) => e.id === oof.id)?.ensemble.outOfFold).toBe(3);

      const plain = await foldRun(null);
      const err = await call(handlers, wb, 'eval.outOfFold', { runId: plain }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^runId: run \d+ is not one of a k-fold/) });
    } finally {
      if (before === undefined) delete process.env.FER_EVAL_INPROCESS;
      else process.env.FER_EVAL_INPROCESS = before;
    }
  });
});
