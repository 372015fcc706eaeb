import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../../src-shared/contract/datasets';
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
});
