import type { Db } from '../../src-main/store/db';
import { insertDataset } from '../../src-main/store/datasets';
import type { Split } from '../../src-shared/labels';

/**
 * A dataset row and its sample rows straight through the repository (no pixels on disk): for repository tests
 * that need samples to point at. Sample i is in splits[i], with label labelOf(i) and hash `${name}-${i}`.
 */
export function insertRowsOnlyDataset(
  db: Db,
  name: string,
  splits: readonly Split[],
  o: { labelOf?: (i: number) => number; lastInTransaction?: (id: number) => void } = {},
): number {
  return insertDataset(
    db,
    {
      name,
      sourcePath: `/data/${name}.csv`,
      format: 'csv',
      converted: 0,
      skipped: 0,
      sampleCount: splits.length,
      sampleAt: (i) => ({ split: splits[i]!, label: o.labelOf?.(i) ?? 0, source: `row ${i}`, hash: `${name}-${i}` }),
      pixelsFile: (id) => `${id}/pixels.u8`,
    },
    o.lastInTransaction ?? (() => {}),
  );
}
