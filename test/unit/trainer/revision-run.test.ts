import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES } from '../../../src-shared/labels';
import { loadSplit } from '../../../src-main/data/packed-store';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api, finished, waitForStatus } from './helpers';

/**
 * The training process itself trains on the revision its run names: a revision that excludes and relabels
 * PublicTest faces changes the true-label row sums of the validation confusion the trainer stores (its rows count
 * the labels it was given), and the run's config keeps the revision's id. Tiny: one epoch of 28 faces.
 */
describe('a run on a dataset revision', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: number;
  beforeAll(async () => {
    ds = (await createSyntheticDataset(wb, { perClass: 4, seed: 17, balanced: true, testFraction: 1 })).id;
  });
  afterAll(() => t.cleanup());

  it('validates on the revised labels, without the excluded faces, and records the revision', async () => {
    const val = loadSplit(wb, ds, 'PublicTest');
    const row = (label: number, nth: number) => Array.from(val.labels).reduce<number[]>((acc, l, i) => (l === label ? [...acc, i] : acc), [])[nth]!;
    // Two angry faces relabelled happy, one sad face excluded.
    const rev = await api(wb, 'revisions.create', {
      dataset: ds,
      name: 'val-fix',
      changes: [
        { kind: 'relabel', sampleId: val.ids[row(0, 0)]!, newLabel: 3 },
        { kind: 'relabel', sampleId: val.ids[row(0, 1)]!, newLabel: 3 },
        { kind: 'exclude', sampleId: val.ids[row(4, 0)]! },
      ],
    });
    const [run] = await api(wb, 'runs.create', { config: { dataset: ds, revision: 'val-fix', batch: 14, epochs: 1, backend: 'wasm', testSplit: null } });
    expect(run!.name).toMatch(/\(revision val-fix\)$/);
    const done = await waitForStatus(wb, run!.id, finished);
    expect(done.status, done.error ?? '').toBe('completed');
    expect((await api(wb, 'runs.get', { runId: run!.id })).config!.revision).toBe(rev.id);
    const { matrix } = wb.db.prepare("SELECT matrix FROM confusions WHERE run_id = ? AND epoch = 1 AND split = 'PublicTest'").get(run!.id) as { matrix: Buffer };
    const rowSums = Array.from({ length: NUM_CLASSES }, (_, i) => Array.from({ length: NUM_CLASSES }, (_, j) => matrix.readInt32LE((i * NUM_CLASSES + j) * 4)).reduce((a, b) => a + b, 0));
    const before = Array.from({ length: NUM_CLASSES }, (_, k) => val.labels.filter((l) => l === k).length);
    expect(rowSums).toEqual(before.map((n, k) => n + (k === 0 ? -2 : k === 3 ? 2 : k === 4 ? -1 : 0)));
    // The frozen revision: a run trained on it.
    await expect(api(wb, 'revisions.delete', { revision: rev.id })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
