import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Split } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { datasetIds, datasetUsage, listDatasetRows } from '../../../src-main/store/datasets';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { splitSamples } from '../../../src-main/store/samples';
import { insertRowsOnlyDataset } from '../../helpers/store-rows';
import { tempWorkbench } from '../../helpers/workbench';

let wb: Workbench;
let cleanup: () => Promise<void>;
beforeEach(() => ({ wb, cleanup } = tempWorkbench()));
afterEach(() => cleanup());

const SPLIT_OF: Split[] = ['Training', 'Training', 'PublicTest', 'PrivateTest'];

function add(name: string, lastInTransaction?: (id: number) => void): number {
  return insertRowsOnlyDataset(wb.db, name, SPLIT_OF, { labelOf: (i) => i, lastInTransaction });
}

describe('datasets repository', () => {
  it('inserts a dataset with its sample rows in idx order and the pixel file named after its id', () => {
    const id = add('four');
    expect(listDatasetRows(wb.db)).toMatchObject([{ id, name: 'four', pixels_file: `${id}/pixels.u8`, sample_count: 4 }]);
    expect(splitSamples(wb.db, id, 'Training', -1).map((s) => [s.idx, s.label])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('inserts nothing when the step run inside its transaction throws (the import moving its folder)', () => {
    const kept = add('kept');
    let seen: number | null = null;
    expect(() =>
      add('rolled-back', (id) => {
        seen = id;
        throw new Error('rename failed');
      }),
    ).toThrow('rename failed');
    expect(seen).not.toBeNull();
    expect(datasetIds(wb.db)).toEqual([kept]);
    expect(wb.db.prepare('SELECT count(*) AS n FROM samples').get()).toEqual({ n: 4 });
  });

  it('counts the runs and evaluations that use a dataset', () => {
    const id = add('used');
    expect(datasetUsage(wb.db, id)).toEqual({ runs: 0, evaluations: 0 });
    const runId = Number(
      wb.db
        .prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('r', ?, 'm', '{}', 1, 'x', 'completed', 'now')")
        .run(id).lastInsertRowid,
    );
    const test = splitSamples(wb.db, id, 'PublicTest', -1);
    const probs = new Float32Array(7).fill(1 / 7);
    for (let k = 0; k < 2; k++) {
      insertEvaluation(wb.db, { runId, ensembleId: null, datasetId: id, split: 'PublicTest', checkpoint: 'best', tta: null, sampleIds: test.map((s) => s.id), labels: test.map((s) => s.label), probs });
    }
    expect(datasetUsage(wb.db, id)).toEqual({ runs: 1, evaluations: 2 });
  });
});
