import type { DatasetStats, DuplicateGroup } from '../../src-shared/contract/datasets';
import type { Workbench } from '../context';
import { samplesSharingHash } from '../store/samples';
import { resolveDataset, summarize } from './packed-store';
import { trainCopyReport } from './train-copies';

/**
 * The paper's class weighting: total / (classes × count), so a class's weighted share is equal for all;
 * a class with no samples gets 0 (it cannot contribute to the loss anyway).
 */
export function inverseFrequencyWeights(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c > 0 ? total / (counts.length * c) : 0));
}

const EXAMPLES = 20;

/** Per split and class counts and shares (Table 1), class weights, and exact duplicates by content hash. */
export function datasetStats(wb: Workbench, ref: string | number): DatasetStats {
  const row = resolveDataset(wb, ref);
  const dataset = summarize(wb, row);
  const table = dataset.splits.map((s) => ({
    split: s.split,
    total: s.total,
    perClass: s.perClass.map((count) => ({ count, share: s.total ? count / s.total : 0 })),
  }));
  const training = dataset.splits.find((s) => s.split === 'Training')!;
  return { dataset, table, classWeights: inverseFrequencyWeights(training.perClass), duplicates: duplicateReport(wb, row.id), trainCopies: trainCopyReport(wb, row.id) };
}

export function duplicateReport(wb: Workbench, datasetId: number): DatasetStats['duplicates'] {
  const rows = samplesSharingHash(wb.db, datasetId);
  const groups: DuplicateGroup[] = [];
  for (const r of rows) {
    let g = groups[groups.length - 1];
    if (!g || g.hash !== r.hash) groups.push((g = { hash: r.hash, sampleIds: [], splits: [], labels: [] }));
    g.sampleIds.push(r.id);
    g.splits.push(r.split);
    g.labels.push(r.label);
  }
  const isCross = (g: DuplicateGroup) => new Set(g.splits).size > 1;
  const isConflict = (g: DuplicateGroup) => new Set(g.labels).size > 1;
  const crossSplit = groups.filter(isCross).length;
  // Cross-split and conflicting groups are what a researcher must see first: they leak test data or confuse labels.
  const ranked = [...groups].sort((a, b) => Number(isCross(b)) - Number(isCross(a)) || Number(isConflict(b)) - Number(isConflict(a)));
  return {
    groups: groups.length,
    withinSplit: groups.length - crossSplit,
    crossSplit,
    conflictingLabels: groups.filter(isConflict).length,
    examples: ranked.slice(0, EXAMPLES),
  };
}
