import type { TrainCopyReport } from '../../src-shared/contract/datasets';
import { NEAR_COPY_MAX_DISTANCE } from '../../src-shared/dedup';
import { SPLITS, type Split } from '../../src-shared/labels';
import { nearestHashes, PHASH_ALGORITHM, phashFaces } from '../analysis/phash';
import type { Workbench } from '../context';
import { loadSplit, resolveDataset } from './packed-store';

/**
 * Makes sure every non-Training face of a dataset has its `train_copies` row: how many exact copies (same
 * content hash) it has in Training, and the pHash distance to its nearest Training face. Computed once per
 * dataset and kept (the pixels of an import never change), in one transaction, so a dataset is either fully
 * indexed or not at all. Returns true when it had to compute.
 */
export function ensureTrainCopies(wb: Workbench, datasetId: number): boolean {
  const have = wb.db.prepare('SELECT algorithm FROM train_copy_index WHERE dataset_id = ?').get(datasetId) as { algorithm: string } | undefined;
  if (have?.algorithm === PHASH_ALGORITHM) return false;
  resolveDataset(wb, datasetId);
  const bySplit = new Map<Split, { ids: Int32Array; hashes: Uint32Array }>();
  for (const split of SPLITS) {
    const data = loadSplit(wb, datasetId, split);
    bySplit.set(split, { ids: data.ids, hashes: phashFaces(data.pixels, data.n) });
  }
  const train = bySplit.get('Training')!;
  const exact = new Map(
    (
      wb.db
        .prepare(
          `SELECT s.id, (SELECT count(*) FROM samples t WHERE t.dataset_id = s.dataset_id AND t.hash = s.hash AND t.split = 'Training') AS n
           FROM samples s WHERE s.dataset_id = ? AND s.split <> 'Training'`,
        )
        .all(datasetId) as { id: number; n: number }[]
    ).map((r) => [r.id, r.n]),
  );
  const rows: [number, number, number, number | null][] = [];
  for (const split of SPLITS) {
    if (split === 'Training') continue;
    const s = bySplit.get(split)!;
    const near = nearestHashes(s.hashes, train.hashes);
    for (let i = 0; i < s.ids.length; i++) {
      const at = near.index[i]!;
      // An exact copy has distance 0 by construction; recorded as such even if the hash of a Training copy is
      // not the first one found.
      const copies = exact.get(s.ids[i]!) ?? 0;
      rows.push([s.ids[i]!, copies, copies > 0 ? 0 : near.distance[i]!, at >= 0 ? train.ids[at]! : null]);
    }
  }
  const blob = packHashes(bySplit);
  wb.db.transaction(() => {
    wb.db.prepare('DELETE FROM train_copy_index WHERE dataset_id = ?').run(datasetId);
    wb.db.prepare('INSERT INTO train_copy_index (dataset_id, algorithm, phashes, created_at) VALUES (?, ?, ?, ?)').run(datasetId, PHASH_ALGORITHM, blob, new Date().toISOString());
    const ins = wb.db.prepare('INSERT INTO train_copies (sample_id, dataset_id, exact_copies, nearest_distance, nearest_sample_id) VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(r[0], datasetId, r[1], r[2], r[3]);
  })();
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
  const ids = wb.db
    .prepare(
      `SELECT DISTINCT e.dataset_id AS id FROM evaluations e
       WHERE e.split <> 'Training' AND NOT EXISTS (SELECT 1 FROM train_copy_index i WHERE i.dataset_id = e.dataset_id AND i.algorithm = ?)`,
    )
    .all(PHASH_ALGORITHM) as { id: number }[];
  for (const { id } of ids) ensureTrainCopies(wb, id);
}

/** Per test split: faces with an exact copy in Training, and with a near copy (pHash distance ≤ the threshold). */
export function trainCopyReport(wb: Workbench, datasetId: number): TrainCopyReport {
  ensureTrainCopies(wb, datasetId);
  const rows = wb.db
    .prepare(
      `SELECT s.split, count(*) AS total, sum(c.exact_copies > 0) AS exact, sum(c.nearest_distance <= ?) AS near
       FROM train_copies c JOIN samples s ON s.id = c.sample_id WHERE c.dataset_id = ? GROUP BY s.split`,
    )
    .all(NEAR_COPY_MAX_DISTANCE, datasetId) as { split: Split; total: number; exact: number; near: number }[];
  const histogram = wb.db
    .prepare('SELECT nearest_distance AS d, count(*) AS n FROM train_copies WHERE dataset_id = ? AND nearest_distance <= 16 GROUP BY nearest_distance')
    .all(datasetId) as { d: number; n: number }[];
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
