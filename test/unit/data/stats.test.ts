import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDataset } from '../../../src-main/data/import';
import { datasetStats, inverseFrequencyWeights } from '../../../src-main/data/stats';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { useFreshWorkbench } from '../../helpers/workbench';

const ctx = useFreshWorkbench();

describe('class statistics', () => {
  it('computes inverse-frequency weights total / (classes × count), 0 for empty classes', () => {
    expect(inverseFrequencyWeights([10, 30])).toEqual([2, 2 / 3]);
    expect(inverseFrequencyWeights([5, 0, 5])).toEqual([10 / 15, 0, 10 / 15]);
    // Weighted counts are equal across classes: the point of the weighting.
    const counts = [3995, 436, 4097, 7215, 4830, 3171, 4965];
    const w = inverseFrequencyWeights(counts);
    counts.forEach((c, i) => expect(c * w[i]!).toBeCloseTo(28709 / 7, 6));
  });

  it("gives Table 1's per split/class counts and shares, and weights from Training", async () => {
    const ds = await createSyntheticDataset(ctx.wb, { perClass: 10, seed: 1 });
    const stats = datasetStats(ctx.wb, ds.name);
    expect(stats.table.map((t) => t.split)).toEqual(['Training', 'PublicTest', 'PrivateTest']);
    stats.table.forEach((t, s) => {
      expect(t.total).toBe(ds.splits[s]!.total);
      expect(t.perClass.map((c) => c.count)).toEqual(ds.splits[s]!.perClass);
      expect(t.perClass.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 9);
    });
    expect(stats.classWeights).toEqual(inverseFrequencyWeights(ds.splits[0]!.perClass));
    expect(stats.classWeights[1]).toBe(Math.max(...stats.classWeights)); // disgust is rarest
  });

  it('reports exact duplicates within and across splits, and conflicting labels', async () => {
    const p = (v: number) => Array.from({ length: 2304 }, (_, i) => (i + v) % 256).join(' ');
    const rows = [
      `0,${p(1)},Training`,
      `0,${p(1)},Training`, // within Training, same label
      `3,${p(2)},Training`,
      `4,${p(2)},PrivateTest`, // across splits, conflicting label
      `5,${p(3)},PublicTest`,
    ];
    const file = join(ctx.dir, 'dups.csv');
    writeFileSync(file, `emotion,pixels,Usage\n${rows.join('\n')}\n`);
    const ds = await importDataset(ctx.wb, { path: file, name: 'dups' });
    const d = datasetStats(ctx.wb, ds.id).duplicates;
    expect(d).toMatchObject({ groups: 2, withinSplit: 1, crossSplit: 1, conflictingLabels: 1 });
    expect(d.examples[0]!.splits).toEqual(['Training', 'PrivateTest']);
    expect(d.examples[0]!.labels).toEqual([3, 4]);
    expect(d.examples[1]!.sampleIds).toHaveLength(2);
  });
});
