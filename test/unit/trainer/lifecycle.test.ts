import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract/datasets';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api, finished, waitForEpoch, waitForStatus } from './helpers';

// Tiny on purpose (28 faces, 2 batches an epoch): these tests are about process lifecycle, not accuracy.
describe('run lifecycle in the training process', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: DatasetSummary;
  beforeAll(async () => {
    ds = await createSyntheticDataset(wb, { perClass: 4, seed: 13, balanced: true });
  });
  afterAll(() => t.cleanup());
  const start = async (epochs: number) => (await api(wb, 'runs.create', { config: { dataset: ds.name, batch: 14, epochs, backend: 'wasm', testSplit: null } }))[0]!;

  it('a stop finishes the batch and checkpoints; resume trains the remaining epochs', async () => {
    const run = await start(3);
    await waitForEpoch(wb, run.id, 1);
    const stopping = await api(wb, 'runs.stop', { runId: run.id });
    expect(['stopping', 'stopped', 'completed']).toContain(stopping.status);
    const stopped = await waitForStatus(wb, run.id, finished);
    expect(stopped.status).toBe('stopped');
    expect(stopped.epochsDone).toBeGreaterThanOrEqual(1);
    expect(stopped.epochsDone).toBeLessThan(3);
    expect(existsSync(join(wb.home.runs, String(run.id), 'last', 'state.json'))).toBe(true);

    await api(wb, 'runs.resume', { runId: run.id });
    const done = await waitForStatus(wb, run.id, finished);
    expect(done).toMatchObject({ status: 'completed', epochsDone: 3, error: null, backend: 'wasm' });
    const detail = await api(wb, 'runs.get', { runId: run.id });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(detail.checkpoints.map((c) => c.kind).sort()).toEqual(['best', 'last']);
    const confusions = wb.db.prepare('SELECT epoch, length(matrix) AS bytes FROM confusions WHERE run_id = ? ORDER BY epoch').all(run.id);
    expect(confusions).toEqual([1, 2, 3].map((epoch) => ({ epoch, bytes: 196 })));
    await expect(api(wb, 'runs.resume', { runId: run.id })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a killed training process marks its run failed; a corrupt checkpoint fails the resume with the file named', async () => {
    const run = await start(3);
    await waitForEpoch(wb, run.id, 1);
    const { pid } = wb.db.prepare('SELECT pid FROM runs WHERE id = ?').get(run.id) as { pid: number };
    process.kill(pid, 'SIGKILL');
    const killed = await waitForStatus(wb, run.id, finished);
    expect(killed.status).toBe('failed');
    expect(killed.error).toMatch(/killed by SIGKILL before finishing; resume it to continue from its last checkpoint \(epoch [1-3]\)/);

    const weights = join(wb.home.runs, String(run.id), 'last', 'weights.bin');
    truncateSync(weights, 10);
    await api(wb, 'runs.resume', { runId: run.id });
    const bad = await waitForStatus(wb, run.id, finished);
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/^\[CHECKPOINT_CORRUPT\].*weights\.bin/);

    // A broken state file is caught before anything is queued, and the run says why.
    writeFileSync(join(wb.home.runs, String(run.id), 'last', 'state.json'), '{not json');
    await expect(api(wb, 'runs.resume', { runId: run.id })).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', message: expect.stringContaining('state.json') });
    expect((await api(wb, 'runs.get', { runId: run.id })).run).toMatchObject({ status: 'failed', error: expect.stringContaining('CHECKPOINT_CORRUPT') });
  });
});
