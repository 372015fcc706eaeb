import type { SamplePage, SampleMeta } from '../../src-shared/contract/datasets';
import type { Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
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
  const where = ['dataset_id = ?'];
  const params: (string | number)[] = [row.id];
  if (q.split !== undefined) {
    where.push('split = ?');
    params.push(q.split);
  }
  if (q.label !== undefined) {
    where.push('label = ?');
    params.push(q.label);
  }
  if (q.ids !== undefined) {
    where.push('id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(q.ids));
  }
  const clause = where.join(' AND ');
  const total = (wb.db.prepare(`SELECT count(*) AS n FROM samples WHERE ${clause}`).get(...params) as { n: number }).n;
  const rows = wb.db
    .prepare(`SELECT id, idx, split, label, source FROM samples WHERE ${clause} ORDER BY idx LIMIT ? OFFSET ?`)
    .all(...params, q.limit, q.offset) as { id: number; idx: number; split: Split; label: number; source: string }[];
  const items: SampleMeta[] = rows.map((r) => ({ id: r.id, index: r.idx, split: r.split, label: r.label, source: r.source }));
  const pixels = Buffer.alloc(rows.length * PIXELS_PER_IMAGE);
  if (rows.length) readRows(pixelsPath(wb, row), rows.map((r) => r.idx), pixels);
  return { total, offset: q.offset, items, pixelsBase64: pixels.toString('base64') };
}
