import type { FoldConfig } from '../../src-shared/contract/runs';
import { NUM_CLASSES, type Split } from '../../src-shared/labels';
import type { ReadableDb } from '../store/readable-db';
import { splitLabels } from '../store/samples';
import { pickRows, type SplitData } from './packed-store';
import { Rng } from './prng';

/**
 * The fixed seed of every fold assignment. Not the run's seed: the K runs of a cross-validation may differ in
 * seed (replicates), yet must agree on which faces each one holds out, or some face would be seen by every model.
 */
const FOLD_SEED = 0x5f01d;

/**
 * Assigns the faces of one split to k folds (0..k-1), stratified by label: each class's faces, taken in id order
 * and shuffled by a fixed seed, are dealt to the folds in turn, the turn carrying on from one class to the next.
 * So every fold holds ⌊n/k⌋ or ⌈n/k⌉ faces and, per class, within one of every other fold. A pure function of the
 * (id, label) pairs and k: the row order does not matter, so a trainer and an evaluation that load the split
 * separately agree. Returns each row's fold, in the order given.
 */
export function assignFolds(ids: ArrayLike<number>, labels: ArrayLike<number>, k: number): Uint8Array {
  if (!Number.isInteger(k) || k < 2 || k > 255) throw new RangeError(`assignFolds: k must be an integer from 2 to 255, got ${k}`);
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let row = 0; row < ids.length; row++) {
    const label = labels[row]!;
    if (!(label >= 0 && label < NUM_CLASSES)) throw new RangeError(`assignFolds: row ${row} has label ${label}, outside 0..${NUM_CLASSES - 1}`);
    byClass[label]!.push(row);
  }
  const fold = new Uint8Array(ids.length);
  let turn = 0;
  byClass.forEach((rows, label) => {
    rows.sort((a, b) => ids[a]! - ids[b]!);
    // One stream per (k, class): a class's order does not depend on how many faces the classes before it have.
    new Rng(FOLD_SEED + k * 1000 + label).shuffle(rows);
    for (const row of rows) fold[row] = turn++ % k;
  });
  return fold;
}

/** The sample ids of one fold of a dataset's split: the faces a run with `fold: { k, index }` holds out. */
export function heldOutIds(db: ReadableDb, datasetId: number, split: Split, k: number, index: number): Set<number> {
  const { ids, labels } = splitLabels(db, datasetId, split);
  const fold = assignFolds(ids, labels, k);
  const out = new Set<number>();
  for (let i = 0; i < ids.length; i++) if (fold[i] === index) out.add(ids[i]!);
  return out;
}

/**
 * A split's faces on one side of fold `fold.index` of `fold.k`: the held-out fold (`heldOut` true, what an
 * out-of-fold evaluation predicts) or the rest (what the fold run trains on), in the split's order. The folds are
 * drawn from the split as imported (ids and imported labels), so trainer and evaluation agree whatever revision
 * the run trains on.
 */
export function foldSide(data: SplitData, fold: FoldConfig, heldOut: boolean): SplitData {
  const assigned = assignFolds(data.ids, data.labels, fold.k);
  const keep: number[] = [];
  for (let i = 0; i < data.n; i++) if ((assigned[i] === fold.index) === heldOut) keep.push(i);
  return pickRows(data, keep);
}
