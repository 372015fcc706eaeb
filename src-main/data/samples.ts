import type { SamplePage } from '../../src-shared/contract/datasets';
import type { Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { samplesPage } from '../store/samples';
import { pixelsPath, readRows, resolveDataset } from './packed-store';
import { PIXELS_PER_IMAGE } from '../../src-shared/labels';

export interface SampleQuery {
  dataset: string | number;
  split?: Split;
  label?: number;
  ids?: number[];
  offset: number;
  limit: number;
}

/** One page of samples with their pixels in a single base64 blob: a grid of hundreds is one round trip. */
export function samplePage(wb: Workbench, q: SampleQuery): SamplePage {
  const row = resolveDataset(wb, q.dataset);
  const { total, items } = samplesPage(wb.db, row.id, q, q.offset, q.limit);
  const pixels = Buffer.alloc(items.length * PIXELS_PER_IMAGE);
  if (items.length) readRows(pixelsPath(wb, row), items.map((r) => r.index), pixels);
  return { total, offset: q.offset, items, pixelsBase64: pixels.toString('base64') };
}
