import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../../src-shared/contract/datasets';
import { importDataset } from '../../../src-main/data/import';
import { dispatch } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { useFreshWorkbench } from '../../helpers/workbench';

const ctx = useFreshWorkbench();

const call = (name: string, args: unknown) => dispatch(handlers, ctx.wb, name, args);

describe('datasets service through the contract', () => {
  it('synth → import → list → stats → samples → delete, each as an envelope', async () => {
    const synth = await call('datasets.synth', { out: join(ctx.dir, 'out'), format: 'csv', perClass: 4, seed: 3 });
    expect(synth.ok).toBe(true);
    const { path, counts } = (synth as { value: { path: string; counts: { total: number }[] } }).value;
    expect(path).toBe(join(ctx.dir, 'out', 'fer2013.csv'));

    const events: ImportProgress[] = [];
    ctx.wb.events.subscribe((name, payload) => name === 'import.progress' && events.push(payload as ImportProgress));
    const imported = await call('datasets.import', { path, name: 'svc', importId: 'ui-1' });
    expect(imported).toMatchObject({ ok: true, value: { name: 'svc', sampleCount: counts.reduce((a, c) => a + c.total, 0) } });
    expect(events.at(-1)).toMatchObject({ importId: 'ui-1', phase: 'done' });

    const list = await call('datasets.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ name: 'svc' }] });

    const stats = await call('datasets.stats', { dataset: 'svc' });
    expect(stats.ok && (stats.value as { classWeights: number[] }).classWeights).toHaveLength(7);

    const page = await call('datasets.samples', { dataset: 'svc', split: 'PublicTest', limit: 3 });
    expect(page.ok).toBe(true);
    const value = (page as { value: { items: unknown[]; pixelsBase64: string; offset: number } }).value;
    expect(value.items).toHaveLength(3);
    expect(value.offset).toBe(0);
    expect(Buffer.from(value.pixelsBase64, 'base64').length).toBe(3 * 2304);

    expect(await call('datasets.delete', { dataset: 'svc' })).toEqual({ ok: true, value: { deleted: true } });
    expect(await call('datasets.list', {})).toEqual({ ok: true, value: [] });
  });

  it('answers bad arguments and bad data with error envelopes', async () => {
    const badArgs = await call('datasets.samples', { dataset: 'x', limit: 5000 });
    expect(badArgs).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } });
    const missing = await call('datasets.stats', { dataset: 'nope' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/No dataset named "nope"/) } });
    const notThere = await call('datasets.import', { path: join(ctx.dir, 'none.csv'), name: 'n' });
    expect(notThere).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const folders = await call('datasets.synth', { out: join(ctx.dir, 'f'), format: 'folders', perClass: 1, seed: 1 });
    expect(folders.ok).toBe(true);
    const again = await call('datasets.synth', { out: join(ctx.dir, 'f'), format: 'folders', perClass: 1, seed: 1 });
    expect(again).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
  });

  it('reads digits as a dataset id only, and refuses names that are numbers or hold control characters', async () => {
    const synth = await call('datasets.synth', { out: join(ctx.dir, 'ids'), format: 'csv', perClass: 1, seed: 2 });
    const { path } = (synth as { value: { path: string } }).value;
    for (const name of ['1', ' 42 ', 'a\tb', 'two\nlines']) {
      const r = await call('datasets.import', { path, name });
      expect(r, name).toMatchObject({ ok: false, error: { code: 'BAD_ARGS', message: expect.stringMatching(/confused with dataset ids|control characters/) } });
    }
    // In-process callers of the importer get the same rule.
    await expect(importDataset(ctx.wb, { path, name: '7' })).rejects.toMatchObject({ code: 'BAD_ARGS' });
    expect(await call('datasets.list', {})).toEqual({ ok: true, value: [] });

    // A home from before the rule may hold a dataset named "1" (here id 2): "1" still means id 1.
    expect((await call('datasets.import', { path, name: 'first' })).ok).toBe(true);
    expect((await call('datasets.import', { path, name: 'second' })).ok).toBe(true);
    ctx.wb.db.prepare("UPDATE datasets SET name = '1' WHERE id = 2").run();
    const nameOf = async (dataset: string | number) => ((await call('datasets.stats', { dataset })) as { value: { dataset: { name: string } } }).value.dataset.name;
    expect(await nameOf('1')).toBe('first');
    expect(await nameOf(1)).toBe('first');
    expect(await nameOf('2')).toBe('1');
    // With id 1 gone, "1" is not quietly taken as the name: the error says which id that dataset has.
    expect((await call('datasets.delete', { dataset: 1 })).ok).toBe(true);
    expect(await call('datasets.stats', { dataset: '1' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('No dataset with id 1. The dataset named "1" has id 2') },
    });
  });
});
