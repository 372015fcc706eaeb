import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { NUM_CLASSES, PIXELS_PER_IMAGE, SPLITS, type Split } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { loadSplit } from '../../../src-main/data/packed-store';
import { validateConfig } from '../../../src-main/services/runs';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { loadRunData } from '../../../src-main/trainer/data';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * A revision of a small synthetic dataset that excludes and relabels planted faces: what the trainer's loader
 * (loadRunData, the function the training process calls) returns must differ from the import in exactly those
 * faces, while the import's rows stay as they were.
 */
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let ds: number;
let other: number;
let train: ReturnType<typeof loadSplit>;
let publicTest: ReturnType<typeof loadSplit>;
const snapshot = () => JSON.stringify(wb.db.prepare('SELECT id, dataset_id, idx, split, label, hash FROM samples ORDER BY id').all());
let before: string;

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  ds = (await createSyntheticDataset(wb, { perClass: 12, balanced: true, testFraction: 0.5, seed: 3, name: 'base' })).id;
  other = (await createSyntheticDataset(wb, { perClass: 4, balanced: true, seed: 4, name: 'other' })).id;
  train = loadSplit(wb, ds, 'Training');
  publicTest = loadSplit(wb, ds, 'PublicTest');
  before = snapshot();
});
afterAll(() => t.cleanup());

const face = (s: ReturnType<typeof loadSplit>, i: number) => ({ id: s.ids[i]!, label: s.labels[i]!, pixels: s.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE) });

describe('dataset revisions', () => {
  // Planted: rows 2, 9, 30 of Training excluded; rows 5, 17 relabelled (+1 and +3 classes); one PublicTest face relabelled.
  const excludedRows = [2, 9, 30];
  const relabelRows: [number, number][] = [
    [5, 1],
    [17, 3],
  ];

  it('changes exactly the planted faces in the data the trainer reads, and the diff lists them', async () => {
    const changes = [
      ...excludedRows.map((r) => ({ kind: 'exclude', sampleId: train.ids[r]!, reason: 'not a face' })),
      ...relabelRows.map(([r, d]) => ({ kind: 'relabel', sampleId: train.ids[r]!, newLabel: (train.labels[r]! + d) % NUM_CLASSES })),
      { kind: 'relabel', sampleId: publicTest.ids[0]!, newLabel: (publicTest.labels[0]! + 2) % NUM_CLASSES },
    ];
    const rev = await call(handlers, wb, 'revisions.create', { dataset: 'base', name: 'clean-1', note: 'planted', changes: changes.slice(0, 2) });
    expect(rev).toMatchObject({ datasetId: ds, name: 'clean-1', excluded: 2, relabelled: 0, usedByRuns: [] });
    const after = await call(handlers, wb, 'revisions.addChanges', { revision: 'clean-1', changes: changes.slice(2) });
    expect(after).toMatchObject({ excluded: 3, relabelled: 3 });

    const plain = loadRunData(wb, trainConfigSchema.parse({ dataset: ds, valSplit: 'PublicTest', testSplit: 'PrivateTest' }));
    const revised = loadRunData(wb, trainConfigSchema.parse({ dataset: ds, revision: rev.id, valSplit: 'PublicTest', testSplit: 'PrivateTest', classWeights: true }));
    expect(plain.train.n).toBe(train.n);
    expect(revised.train.n).toBe(train.n - excludedRows.length);
    // Row by row: the revised split is the import minus the excluded rows, in order, with only the planted labels changed.
    const kept = Array.from({ length: train.n }, (_, i) => i).filter((i) => !excludedRows.includes(i));
    const relabelled = new Map(relabelRows.map(([r, d]) => [r, (train.labels[r]! + d) % NUM_CLASSES]));
    kept.forEach((row, i) => {
      const f = face(train, row);
      expect(revised.train.labels[i], `row ${row}`).toBe(relabelled.get(row) ?? f.label);
      expect(Buffer.compare(Buffer.from(revised.train.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE)), Buffer.from(f.pixels))).toBe(0);
    });
    const changedLabels = kept.filter((row, i) => revised.train.labels[i] !== train.labels[row]);
    expect(changedLabels).toEqual(relabelRows.map(([r]) => r));
    // The validation split carries its one relabelled face; the test split is untouched.
    expect(revised.val!.n).toBe(publicTest.n);
    expect(revised.val!.labels[0]).toBe((publicTest.labels[0]! + 2) % NUM_CLASSES);
    expect(Array.from(revised.val!.labels.subarray(1))).toEqual(Array.from(publicTest.labels.subarray(1)));
    expect(Array.from(revised.test!.labels)).toEqual(Array.from(plain.test!.labels));
    // Class weights count the revised labels.
    const counts = new Array<number>(NUM_CLASSES).fill(0);
    for (const l of revised.train.labels) counts[l]! += 1;
    expect(revised.classWeights).toEqual(counts.map((c) => revised.train.n / (NUM_CLASSES * c)));

    const diff = await call(handlers, wb, 'revisions.diff', { revision: rev.id });
    expect(diff.changes.map((c) => [c.sampleId, c.split, c.kind, c.oldLabel, c.newLabel])).toEqual([
      ...[...excludedRows.map((r) => [r, null] as const), ...relabelRows.map(([r, d]) => [r, (train.labels[r]! + d) % NUM_CLASSES] as const)]
        .sort((a, b) => a[0] - b[0])
        .map(([r, nl]) => [train.ids[r]!, 'Training', nl === null ? 'exclude' : 'relabel', train.labels[r]!, nl]),
      [publicTest.ids[0]!, 'PublicTest', 'relabel', publicTest.labels[0]!, (publicTest.labels[0]! + 2) % NUM_CLASSES],
    ]);
    expect(diff.changes.find((c) => c.kind === 'exclude')!.reason).toBe('not a face');
    const tr = diff.splits.find((s) => s.split === 'Training')!;
    expect(tr.totalBefore).toBe(train.n);
    expect(tr.totalAfter).toBe(revised.train.n);
    expect(tr.after).toEqual(counts);
    const priv = diff.splits.find((s) => s.split === 'PrivateTest')!;
    expect(priv.after).toEqual(priv.before);
    // The import itself is untouched.
    expect(snapshot()).toBe(before);
    expect(Array.from(loadSplit(wb, ds, 'Training').labels)).toEqual(Array.from(train.labels));
  });

  it('refuses each bad change with its own error and stores nothing', async () => {
    const rev = await call(handlers, wb, 'revisions.create', { dataset: ds, name: 'bad-inputs' });
    const otherFace = loadSplit(wb, other, 'Training').ids[0]!;
    const good = { kind: 'exclude', sampleId: train.ids[40]! };
    const cases: [unknown[], string, RegExp][] = [
      [[good, { kind: 'exclude', sampleId: 99_999_999 }], 'NOT_FOUND', /No face with sample id 99999999/],
      [[good, { kind: 'relabel', sampleId: train.ids[41]!, newLabel: 7 }], 'BAD_ARGS', /changes\.1\.newLabel/],
      [[good, { kind: 'relabel', sampleId: train.ids[41]! }], 'BAD_ARGS', /newLabel/],
      [[good, { kind: 'exclude', sampleId: otherFace }], 'INVALID_INPUT', new RegExp(`Face ${otherFace} belongs to dataset ${other}.*revises dataset ${ds}`)],
      [[good, { kind: 'relabel', sampleId: train.ids[41]!, newLabel: train.labels[41]! }], 'INVALID_INPUT', /already labelled .* in the import/],
      [[good, { ...good, kind: 'exclude' }], 'INVALID_INPUT', /given twice/],
      [[good, { kind: 'exclude', sampleId: train.ids[42]!, evaluationId: 12345 }], 'NOT_FOUND', /No evaluation with id 12345/],
    ];
    for (const [changes, code, message] of cases) {
      await expect(call(handlers, wb, 'revisions.addChanges', { revision: rev.id, changes }), JSON.stringify(changes)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect((await call(handlers, wb, 'revisions.diff', { revision: rev.id })).changes).toEqual([]);
    }
    // A change already in the revision: refused, the first one kept as it was.
    await call(handlers, wb, 'revisions.addChanges', { revision: 'bad-inputs', changes: [good] });
    await expect(call(handlers, wb, 'revisions.addChanges', { revision: 'bad-inputs', changes: [{ kind: 'relabel', sampleId: good.sampleId, newLabel: 0 }, { kind: 'exclude', sampleId: train.ids[43]! }] })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringMatching(/already excluded in revision "bad-inputs"/),
    });
    expect((await call(handlers, wb, 'revisions.diff', { revision: rev.id })).changes.map((c) => [c.sampleId, c.kind])).toEqual([[good.sampleId, 'exclude']]);
    // A create whose changes are bad leaves no revision behind.
    await expect(call(handlers, wb, 'revisions.create', { dataset: ds, name: 'half', changes: [good, { kind: 'exclude', sampleId: otherFace }] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await call(handlers, wb, 'revisions.list', {})).map((r) => r.name)).not.toContain('half');
    await expect(call(handlers, wb, 'revisions.create', { dataset: ds, name: 'bad-inputs' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(call(handlers, wb, 'revisions.create', { dataset: ds, name: '42' })).rejects.toMatchObject({ code: 'BAD_ARGS' });
    await expect(call(handlers, wb, 'revisions.removeChanges', { revision: rev.id, sampleIds: [good.sampleId, train.ids[44]!] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no change to face/) });
    expect((await call(handlers, wb, 'revisions.diff', { revision: rev.id })).changes).toHaveLength(1);
    await expect(call(handlers, wb, 'revisions.diff', { revision: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/named "nope"/) });
    expect(snapshot()).toBe(before);
  });

  it('a run config names the revision (stored as its id), of its own dataset only; a used revision is frozen', async () => {
    const rev = await call(handlers, wb, 'revisions.create', { dataset: ds, name: 'for-run', changes: [{ kind: 'exclude', sampleId: train.ids[0]! }] });
    const { config } = validateConfig(wb, trainConfigSchema.parse({ dataset: 'base', revision: 'for-run', batch: 8 }));
    expect(config.revision).toBe(rev.id);
    expect(() => validateConfig(wb, trainConfigSchema.parse({ dataset: 'other', revision: 'for-run', batch: 8 }))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/config\.revision: revision "for-run" revises dataset "base", not "other"/) }),
    );
    expect(() => validateConfig(wb, trainConfigSchema.parse({ dataset: 'base', revision: 999, batch: 8 }))).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringMatching(/^config\.revision: No dataset revision with id 999/) }));
    // A batch as large as the split without the excluded face is too large.
    expect(() => validateConfig(wb, trainConfigSchema.parse({ dataset: 'base', revision: rev.id, batch: train.n }))).toThrow(expect.objectContaining({ message: expect.stringMatching(/config\.batch/) }));

    const runId = insertRun(wb, ds, 1, false);
    wb.db.prepare('UPDATE runs SET config_json = ? WHERE id = ?').run(JSON.stringify(config), runId);
    expect((await call(handlers, wb, 'revisions.list', { dataset: 'base' })).find((r) => r.id === rev.id)!.usedByRuns).toEqual([runId]);
    for (const [name, args] of [
      ['revisions.addChanges', { revision: rev.id, changes: [{ kind: 'exclude', sampleId: train.ids[1]! }] }],
      ['revisions.removeChanges', { revision: rev.id, sampleIds: [train.ids[0]!] }],
      ['revisions.delete', { revision: rev.id }],
    ] as const) {
      await expect(call(handlers, wb, name, args)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(new RegExp(`run ${runId} trained on it`)) });
    }
    // Carried on as a new revision that starts from a copy of its changes; a face it already has is a duplicate.
    await expect(call(handlers, wb, 'revisions.create', { dataset: ds, name: 'for-run-2', from: 'for-run', changes: [{ kind: 'relabel', sampleId: train.ids[0]!, newLabel: 0 }] })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(call(handlers, wb, 'revisions.create', { dataset: other, name: 'for-run-2', from: 'for-run' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/can only start from one of its own dataset/) });
    const next = await call(handlers, wb, 'revisions.create', { dataset: ds, name: 'for-run-2', from: 'for-run', changes: [{ kind: 'exclude', sampleId: train.ids[1]! }] });
    expect(next).toMatchObject({ excluded: 2, usedByRuns: [] });
    expect((await call(handlers, wb, 'revisions.diff', { revision: next.id })).changes.map((c) => c.sampleId).sort()).toEqual([train.ids[0]!, train.ids[1]!].sort());
    wb.db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
    await call(handlers, wb, 'revisions.delete', { revision: 'for-run' });
    expect((await call(handlers, wb, 'revisions.list', { dataset: ds })).map((r) => r.name)).not.toContain('for-run');
    expect(wb.db.prepare('SELECT count(*) AS n FROM revision_changes WHERE revision_id = ?').get(rev.id)).toEqual({ n: 0 });
  });

  it('every split keeps its before counts in the diff', async () => {
    const diff = await call(handlers, wb, 'revisions.diff', { revision: 'clean-1' });
    for (const split of SPLITS as readonly Split[]) {
      const s = diff.splits.find((x) => x.split === split)!;
      expect(s.before).toEqual(Array.from({ length: NUM_CLASSES }, (_, k) => loadSplit(wb, ds, split).labels.filter((l) => l === k).length));
    }
  });
});
