import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_NAME_MAX, RUN_NOTES_MAX, type EpochMetrics, type RunSummary } from '../../../src-shared/contract/runs';
import { curveRunOf, curvesSvg } from '../../../src-shared/curves-svg';
import { fieldIssues, type AppError } from '../../../src-shared/errors';
import { recordEpoch } from '../../../src-main/store/runs';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api } from '../trainer/helpers';

/** runs.update: a run's name and notes after creation, through the dispatch as the UI and the CLI call it. */
describe('runs.update', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds = 0;
  beforeAll(async () => {
    ds = (await createSyntheticDataset(wb, { perClass: 2, seed: 5, balanced: true, name: 'rename-ds' })).id;
  });
  afterAll(() => t.cleanup());

  const refusal = (args: unknown) =>
    api(wb, 'runs.update', args).then(
      () => null,
      (e: unknown) => e as AppError,
    );
  const fields = (err: AppError | null) => fieldIssues(err?.details).map((f) => f.field);
  const statusEvents = () => {
    const seen: RunSummary[] = [];
    const off = wb.events.subscribe((name, payload) => {
      if (name === 'run.status') seen.push(payload as RunSummary);
    });
    return { seen, off };
  };

  it('renames a run (trimmed) in its summary, the list and its detail, and tells open views with run.status', async () => {
    const id = insertRun(wb, ds, 1, false, 'faceres on rename-ds');
    const events = statusEvents();
    const summary = await api(wb, 'runs.update', { runId: id, name: '  FaceRes, frozen base  ' });
    events.off();
    expect(summary).toMatchObject({ id, name: 'FaceRes, frozen base', status: 'completed' });
    expect(events.seen).toEqual([summary]);
    expect((await api(wb, 'runs.list', {})).find((r) => r.id === id)?.name).toBe('FaceRes, frozen base');
    const detail = await api(wb, 'runs.get', { runId: id });
    expect(detail.run.name).toBe('FaceRes, frozen base');
    // The name only: the config (notes included) is as it was.
    expect(detail.config).toMatchObject({ notes: '', seed: 1, dataset: ds });
  });

  it('the curves legend (fer curves, Download SVG) shows the new name', async () => {
    const id = insertRun(wb, ds, 2, false, 'baseline on rename-ds');
    const m = (epoch: number): EpochMetrics => ({ epoch, loss: 1 / epoch, acc: 0.3, valLoss: 1, valAcc: 0.3, lr: 0.001, imgPerSec: 10, seconds: 1 });
    for (let e = 1; e <= 3; e++) recordEpoch(wb, id, m(e), null, e === 3, null);
    await api(wb, 'runs.update', { runId: id, name: 'Baseline <FC 256>' });
    const svg = curvesSvg([curveRunOf(await api(wb, 'runs.get', { runId: id }))]);
    expect(svg).toContain(`>#${id} Baseline &lt;FC 256&gt; (best epoch 3)</text>`);
    expect(svg).not.toContain('baseline on rename-ds');
  });

  it('replaces the notes inside the stored config and leaves the rest of it (and the name) alone', async () => {
    const id = insertRun(wb, ds, 3, true, 'keeps its name');
    const before = (await api(wb, 'runs.get', { runId: id })).config!;
    const summary = await api(wb, 'runs.update', { runId: id, notes: 'lr sweep, "second" try\nline two' });
    expect(summary.name).toBe('keeps its name');
    const after = (await api(wb, 'runs.get', { runId: id })).config!;
    expect(after).toEqual({ ...before, notes: 'lr sweep, "second" try\nline two' });
    // Both at once, and '' clears the notes.
    await api(wb, 'runs.update', { runId: id, name: 'both', notes: '' });
    const detail = await api(wb, 'runs.get', { runId: id });
    expect([detail.run.name, detail.config!.notes]).toEqual(['both', '']);
    expect(detail.config).toEqual(before);
  });

  it('renames a running run (the name is metadata) and allows a name another run has', async () => {
    const id = insertRun(wb, ds, 4, false, 'live');
    // Owned by this process, so the queue's sweep of runs a dead process left leaves it running.
    wb.db.prepare(`UPDATE runs SET status = 'running', pid = ?, finished_at = NULL WHERE id = ?`).run(process.pid, id);
    const other = insertRun(wb, ds, 5, false, 'same name');
    const summary = await api(wb, 'runs.update', { runId: id, name: 'same name' });
    expect(summary).toMatchObject({ id, status: 'running', name: 'same name' });
    expect((await api(wb, 'runs.get', { runId: other })).run.name).toBe('same name');
  });

  it.each([
    ['an empty name', { name: '' }, 'name', /name: a run needs a name; this one is empty or only spaces/],
    ['a name of spaces', { name: '   ' }, 'name', /name: a run needs a name/],
    ['a name over the limit', { name: 'x'.repeat(RUN_NAME_MAX + 1) }, 'name', /name: .*200/],
    ['notes over the limit', { notes: 'x'.repeat(RUN_NOTES_MAX + 1) }, 'notes', /notes: .*2000/],
    ['neither a name nor notes', {}, '(args)', /Give a new name, new notes, or both/],
    ['an unknown field', { name: 'x', extra: 1 }, '(args)', /extra/],
  ])('refuses %s with BAD_ARGS naming the field, changing nothing', async (_what, change, field, message) => {
    const id = insertRun(wb, ds, 6, false, 'unchanged');
    const err = await refusal({ runId: id, ...change });
    expect(err).toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(message) });
    expect(fields(err)).toEqual([field]);
    expect((await api(wb, 'runs.get', { runId: id })).run.name).toBe('unchanged');
  });

  it('takes a name of exactly the limit', async () => {
    const id = insertRun(wb, ds, 7, false, 'short');
    expect((await api(wb, 'runs.update', { runId: id, name: 'n'.repeat(RUN_NAME_MAX) })).name).toHaveLength(RUN_NAME_MAX);
  });

  it('an unknown run is NOT_FOUND; an external model takes a name but has no config for notes', async () => {
    expect(await refusal({ runId: 9999, name: 'ghost' })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/Run 9999 does not exist/) });
    const ext = Number(
      wb.db
        .prepare("INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('imported', ?, 'external', '{}', 0, 'test', 'completed', '2026-01-01')")
        .run(ds).lastInsertRowid,
    );
    const err = await refusal({ runId: ext, name: 'renamed', notes: 'n' });
    expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^notes: Run \d+ is an external model \("imported"\)/) });
    expect(fields(err)).toEqual(['notes']);
    // Refused as a whole: the name given with the notes was not stored either.
    expect((await api(wb, 'runs.list', {})).find((r) => r.id === ext)?.name).toBe('imported');
    expect((await api(wb, 'runs.update', { runId: ext, name: 'renamed' })).name).toBe('renamed');
  });
});
