import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Split } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { splitSamples } from '../../../src-main/store/samples';
import { datasetsMissingTrainCopies, replaceTrainCopies, trainCopyAlgorithm, type TrainCopy } from '../../../src-main/store/train-copies';
import { insertRowsOnlyDataset } from '../../helpers/store-rows';
import { tempWorkbench } from '../../helpers/workbench';

let wb: Workbench;
let cleanup: () => Promise<void>;
beforeEach(() => ({ wb, cleanup } = tempWorkbench()));
afterEach(() => cleanup());

const SPLIT_OF: Split[] = ['Training', 'Training', 'PublicTest', 'PublicTest', 'PrivateTest'];

function dataset(name: string): number {
  return insertRowsOnlyDataset(wb.db, name, SPLIT_OF);
}

function evaluate(datasetId: number, split: Split): void {
  const runId = Number(
    wb.db
      .prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES (?, ?, 'm', '{}', 1, 'x', 'completed', 'now')")
      .run(`r${datasetId}${split}`, datasetId).lastInsertRowid,
  );
  const faces = splitSamples(wb.db, datasetId, split, -1);
  insertEvaluation(wb.db, { runId, ensembleId: null, datasetId, split, checkpoint: 'best', tta: null, sampleIds: faces.map((f) => f.id), labels: faces.map((f) => f.label), probs: new Float32Array(faces.length * 7).fill(1 / 7) });
}

/** One row per non-Training face, each at `distance` from the first Training face. */
function copiesOf(datasetId: number, distance: number): TrainCopy[] {
  const nearest = splitSamples(wb.db, datasetId, 'Training', 1)[0]!.id;
  return (['PublicTest', 'PrivateTest'] as const).flatMap((split) =>
    splitSamples(wb.db, datasetId, split, -1).map((f) => ({ sampleId: f.id, exactCopies: 0, nearestDistance: distance, nearestSampleId: nearest })),
  );
}

const rowsOf = (datasetId: number) =>
  wb.db.prepare('SELECT sample_id, nearest_distance FROM train_copies WHERE dataset_id = ? ORDER BY sample_id').all(datasetId) as { sample_id: number; nearest_distance: number }[];

describe('train-copies repository', () => {
  it('lists the datasets evaluated on a test split whose index is missing or from another algorithm', () => {
    const tested = dataset('tested');
    const trainOnly = dataset('train-only');
    dataset('never-evaluated');
    evaluate(tested, 'PublicTest');
    evaluate(trainOnly, 'Training');
    expect(datasetsMissingTrainCopies(wb.db, 'phash-b')).toEqual([tested]);
    replaceTrainCopies(wb.db, tested, 'phash-a', Buffer.alloc(8 * SPLIT_OF.length), copiesOf(tested, 5));
    expect(trainCopyAlgorithm(wb.db, tested)).toBe('phash-a');
    expect(trainCopyAlgorithm(wb.db, trainOnly)).toBeNull();
    expect(datasetsMissingTrainCopies(wb.db, 'phash-b')).toEqual([tested]);
    expect(datasetsMissingTrainCopies(wb.db, 'phash-a')).toEqual([]);
  });

  it('replaces a dataset index whole, and a failed replacement leaves the previous one', () => {
    const id = dataset('d');
    replaceTrainCopies(wb.db, id, 'phash-a', Buffer.alloc(8 * SPLIT_OF.length), copiesOf(id, 5));
    const before = rowsOf(id);
    expect(before).toHaveLength(3);
    const bad = copiesOf(id, 7);
    bad[2]!.nearestDistance = 99; // outside the column's CHECK (0–65): the last insert fails
    expect(() => replaceTrainCopies(wb.db, id, 'phash-b', Buffer.alloc(8), bad)).toThrow(/CHECK/);
    expect(trainCopyAlgorithm(wb.db, id)).toBe('phash-a');
    expect(rowsOf(id)).toEqual(before);
    replaceTrainCopies(wb.db, id, 'phash-b', Buffer.alloc(8), copiesOf(id, 7).slice(0, 1));
    expect(trainCopyAlgorithm(wb.db, id)).toBe('phash-b');
    expect(rowsOf(id)).toEqual([{ sample_id: before[0]!.sample_id, nearest_distance: 7 }]);
  });
});
