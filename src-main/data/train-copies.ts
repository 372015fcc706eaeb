import type { TrainCopyReport } from '../../src-shared/contract/datasets';
import { NEAR_COPY_MAX_DISTANCE } from '../../src-shared/dedup';
import { SPLITS, type Split } from '../../src-shared/labels';
import { nearestHashes, PHASH_ALGORITHM, phashFaces } from '../analysis/phash';
import type { Workbench } from '../context';
import { datasetsMissingTrainCopies, exactCopiesInTraining, nearestDistanceCounts, replaceTrainCopies, trainCopyAlgorithm, trainCopyCounts, type TrainCopy } from '../store/train-copies';
import { loadSplit, resolveDataset } from './packed-store';

/**
 * Makes sure every non-Training face of a dataset has its `train_copies` row: how many exact copies (same
 * content hash) it has in Training, and the pHash distance to its nearest Training face. Computed once per
 * dataset and kept (the pixels of an import never change), in one transaction, so a dataset is either fully
 * indexed or not at all. Returns true when it had to compute.
 */
export function ensureTrainCopies(wb: Workbench, datasetId: number): boolean {
  if (trainCopyAlgorithm(wb.db, datasetId) === PHASH_ALGORITHM) return false;
  resolveDataset(wb, datasetId);
  const bySplit = new Map<Split, { ids: Int32Array; hashes: Uint32Array }>();
  for (const split of SPLITS) {
    const data = loadSplit(wb, datasetId, split);
    bySplit.set(split, { ids: data.ids, hashes: phashFaces(data.pixels, data.n) });
  }
  const train = bySplit.get('Training')!;
  const exact = exactCopiesInTraining(wb.db, datasetId);
  const rows: TrainCopy[] = [];
  for (const split of SPLITS) {
    if (split === 'Training') continue;
    const s = bySplit.get(split)!;
    const near = nearestHashes(s.hashes, train.hashes);
    for (let i = 0; i < s.ids.length; i++) {
      const at = near.index[i]!;
      // An exact copy has distance 0 by construction; recorded as such even if the hash of a Training copy is
      // not the first one found.
      const copies = exact.get(s.ids[i]!) ?? 0;
      rows.push({ sampleId: s.ids[i]!, exactCopies: copies, nearestDistance: copies > 0 ? 0 : near.distance[i]!, nearestSampleId: at >= 0 ? train.ids[at]! : null });
    }
  }
  replaceTrainCopies(wb.db, datasetId, PHASH_ALGORITHM, packHashes(bySplit), rows);
  return true;
}

/** Every sample's pHash in ascending sample id order, 8 bytes each (high word first, big-endian). */
function packHashes(bySplit: Map<Split, { ids: Int32Array; hashes: Uint32Array }>): Buffer {
  const all: { id: number; hi: number; lo: number }[] = [];
  for (const s of bySplit.values()) for (let i = 0; i < s.ids.length; i++) all.push({ id: s.ids[i]!, hi: s.hashes[2 * i]!, lo: s.hashes[2 * i + 1]! });
  all.sort((a, b) => a.id - b.id);
  const buf = Buffer.alloc(all.length * 8);
  all.forEach((h, i) => {
    buf.writeUInt32BE(h.hi, i * 8);
    buf.writeUInt32BE(h.lo, i * 8 + 4);
  });
  return buf;
}

/** Makes sure the train-copy index exists for every dataset that has an evaluation on a test split. */
export function ensureTrainCopiesForEvaluations(wb: Workbench): void {
  for (const id of datasetsMissingTrainCopies(wb.db, PHASH_ALGORITHM)) ensureTrainCopies(wb, id);
}

/** Per test split: faces with an exact copy in Training, and with a near copy (pHash distance ≤ the threshold). */
export function trainCopyReport(wb: Workbench, datasetId: number): TrainCopyReport {
  ensureTrainCopies(wb, datasetId);
  const rows = trainCopyCounts(wb.db, datasetId, NEAR_COPY_MAX_DISTANCE);
  const histogram = nearestDistanceCounts(wb.db, datasetId);
  const nearestDistances = new Array<number>(17).fill(0);
  for (const h of histogram) nearestDistances[h.d] = h.n;
  return {
    algorithm: PHASH_ALGORITHM,
    threshold: NEAR_COPY_MAX_DISTANCE,
    splits: SPLITS.filter((s) => s !== 'Training').map((split) => {
      const r = rows.find((x) => x.split === split);
      return { split, total: r?.total ?? 0, exact: r?.exact ?? 0, near: r?.near ?? 0 };
    }),
    nearestDistances,
  };
}
