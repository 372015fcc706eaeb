import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import type { Workbench } from '../../src-main/context';

/** After a failed import: no dataset or sample rows, no packed folder, no temp folder. */
export function expectNothingWritten(wb: Workbench): void {
  expect((wb.db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n).toBe(0);
  expect((wb.db.prepare('SELECT count(*) AS n FROM samples').get() as { n: number }).n).toBe(0);
  expect(readdirSync(wb.home.datasets)).toEqual([]);
  expect(readdirSync(wb.home.tmp)).toEqual([]);
}
