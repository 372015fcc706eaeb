import { describe, expect, it } from 'vitest';
import { buildCompareRows, configField, meanStd, type CompareEntry } from '../../../src-main/analysis/compare';

function run(id: number, seed: number, classWeights: boolean, acc: number, loss: number): CompareEntry {
  return {
    kind: 'run',
    id,
    label: `run ${id}`,
    evaluationId: 100 + id,
    runIds: [id],
    seeds: [seed],
    config: { model: 'baseline', classWeights, augment: { flip: true } },
    metrics: { accuracy: acc, loss, backend: 'wasm' },
  };
}

describe('comparison grouping', () => {
  it('mean and sample std by hand', () => {
    expect(meanStd([0.6, 0.7, 0.8])).toEqual({ mean: expect.closeTo(0.7, 12), std: expect.closeTo(0.1, 12), n: 3 });
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
  });

  it('reads nested config fields', () => {
    expect(configField({ augment: { flip: true } }, 'augment.flip')).toBe(true);
    expect(configField({ augment: null }, 'augment.flip')).toBeUndefined();
  });

  it('groups runs by classWeights with seeds as replicates: mean ± std and n', () => {
    const entries = [run(1, 1, false, 0.6, 1.0), run(2, 2, false, 0.7, 0.9), run(3, 1, true, 0.5, 1.2), run(4, 2, true, 0.7, 1.0), run(5, 3, false, 0.8, 0.8)];
    const rows = buildCompareRows(entries, ['accuracy', 'loss', 'backend'], 'classWeights');
    expect(rows.map((r) => r.label)).toEqual(['classWeights=false', 'classWeights=true']);
    const off = rows[0]!;
    expect(off).toMatchObject({ kind: 'group', n: 3, runIds: [1, 2, 5], seeds: [1, 2, 3] });
    expect(off.values.accuracy).toEqual({ mean: expect.closeTo(0.7, 10), std: expect.closeTo(0.1, 10) });
    const on = rows[1]!;
    expect(on.n).toBe(2);
    expect(on.values.accuracy).toEqual({ mean: expect.closeTo(0.6, 10), std: expect.closeTo(Math.SQRT2 * 0.1, 10) });
    expect(on.values.backend).toBe('wasm');
  });

  it('groups by several fields, keeps ensembles as their own rows, and rows ungrouped without groupBy', () => {
    const ens: CompareEntry = { kind: 'ensemble', id: 9, label: 'ens', evaluationId: 200, runIds: [1, 2], seeds: [1, 2], config: null, metrics: { accuracy: 0.9 } };
    const rows = buildCompareRows([run(1, 1, false, 0.6, 1), ens, run(2, 2, true, 0.7, 1)], ['accuracy'], 'model, classWeights');
    expect(rows.map((r) => r.label)).toEqual(['model=baseline, classWeights=false', 'ens', 'model=baseline, classWeights=true']);
    expect(buildCompareRows([run(1, 1, false, 0.6, 1), ens], ['accuracy'], null).map((r) => r.key)).toEqual(['run:1', 'ensemble:9']);
  });
});
