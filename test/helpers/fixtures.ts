import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetSummary } from '../../src-shared/contract/datasets';
import type { Workbench } from '../../src-main/context';
import { importDataset } from '../../src-main/data/import';
import { writeSynthCsv, type SynthOptions } from '../../src-main/data/synth';

export interface SyntheticDatasetOptions extends Partial<Omit<SynthOptions, 'perClass' | 'seed'>> {
  /** Average Training images per class (Table 1 proportions; `balanced: true` for exactly this many). */
  perClass: number;
  seed: number;
  name?: string;
}

/**
 * A small learnable synthetic FER dataset, written as fer2013.csv to a temp file and imported through the
 * real importer, with all three splits present. Each test split holds 1/8 of Training per class (at least
 * one image per class) unless `testFraction` says otherwise.
 */
export async function createSyntheticDataset(wb: Workbench, options: SyntheticDatasetOptions): Promise<DatasetSummary> {
  const { name, ...synth } = options;
  const dir = mkdtempSync(join(tmpdir(), 'fer-synth-'));
  try {
    const file = join(dir, 'fer2013.csv');
    writeSynthCsv(file, synth);
    return await importDataset(wb, { path: file, name: name ?? `synthetic-${options.seed}-${options.perClass}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
