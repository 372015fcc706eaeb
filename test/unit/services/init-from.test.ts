import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract/datasets';
import type { RunSummary } from '../../../src-shared/contract/runs';
import { fieldIssues, type AppError } from '../../../src-shared/errors';
import { activateBackend } from '../../../src-main/engine/backend';
import { checkpointDir, loadModelDir } from '../../../src-main/engine/checkpoint';
import { fieldErrors } from '../../../src-renderer/lib/errors';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { api, finished, waitForStatus } from '../trainer/helpers';

/**
 * config.initFrom (a warm start from another run's best weights): what runs.create refuses, on the field, and a run
 * that starts from run A's best checkpoint through the real trainer. Baselines at 32 px on 28 synthetic faces: a
 * second or two a run.
 */
describe('runs.create with initFrom', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: DatasetSummary;
  let a: RunSummary;
  let failed: RunSummary;
  let external: number;
  let faceres: number;
  const base = { batch: 8, epochs: 1, inputSize: 32, augment: null, testSplit: null, backend: 'wasm' };
  const create = (config: Record<string, unknown>) => api(wb, 'runs.create', { config: { dataset: ds.name, ...base, ...config } });
  beforeAll(async () => {
    ds = await createSyntheticDataset(wb, { perClass: 4, seed: 9, balanced: true });
    const [run] = await create({ seed: 1 });
    a = await waitForStatus(wb, run!.id, finished);
    expect(a.status, a.error ?? '').toBe('completed');
    // A backend that cannot load fails the run before any epoch: no best checkpoint.
    const [bad] = await create({ backend: 'tensorflow-gpu' });
    failed = await waitForStatus(wb, bad!.id, finished);
    expect(failed.status).toBe('failed');
    external = Number(
      wb.db
        .prepare(`INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('imported', ?, 'external', '{}', 0, 'x', 'completed', '2026-01-01')`)
        .run(ds.id).lastInsertRowid,
    );
    // A faceres run with a head on the final pool, trained elsewhere in this home as far as runs.create can tell: its
    // row and a best checkpoint folder (the trainer would read the weights; runs.create compares configs).
    const cfg = JSON.stringify({ dataset: ds.id, model: 'faceres', inputSize: 64, features: 'final' });
    faceres = Number(
      wb.db
        .prepare(`INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('faceres', ?, 'faceres', ?, 1, 'x', 'completed', '2026-01-01')`)
        .run(ds.id, cfg).lastInsertRowid,
    );
    const best = checkpointDir(wb.home.runs, faceres, 'best');
    mkdirSync(best, { recursive: true });
    writeFileSync(join(best, 'model.json'), '{}');
  }, 60_000);
  afterAll(() => t.cleanup());

  it.each([
    ['a run that does not exist', () => ({ initFrom: 9999 }), 'NOT_FOUND', /^config\.initFrom: Run 9999 does not exist/],
    ['an external model', () => ({ initFrom: external }), 'INVALID_INPUT', /^config\.initFrom: Run \d+ is an external model \("imported"\)/],
    ['a run without a best checkpoint', () => ({ initFrom: failed.id }), 'INVALID_INPUT', /^config\.initFrom: run \d+ \(failed\) has no best checkpoint to start from/],
    ['another model', () => ({ initFrom: a.id, model: 'vgg16', inputSize: 48 }), 'INVALID_INPUT', /^config\.initFrom: run \d+ has model "baseline" but this run has model "vgg16": a warm start needs the same architecture/],
    ['another hidden layer', () => ({ initFrom: a.id, hidden: 16 }), 'INVALID_INPUT', /^config\.initFrom: run \d+ has hidden 0 but this run has hidden 16:/],
    ['another input size', () => ({ initFrom: a.id, inputSize: 48 }), 'INVALID_INPUT', /^config\.initFrom: run \d+ has inputSize 32 but this run has inputSize 48:/],
    ['other features', () => ({ initFrom: faceres, model: 'faceres', inputSize: 64, features: 'multilevel' }), 'INVALID_INPUT', /^config\.initFrom: run \d+ has features "final" but this run has features "multilevel":/],
    ['other channels', () => ({ initFrom: a.id, channels: 3 }), 'INVALID_INPUT', /^config\.initFrom: run \d+ has channels 1 but this run has channels 3:/],
  ])('refuses %s on config.initFrom, queuing nothing', async (_what, over, code, message) => {
    const before = (await api(wb, 'runs.list', {})).length;
    const err = await create(over()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(fieldIssues((err as AppError).details).map((f) => f.field)).toEqual(['config.initFrom']);
    expect(Object.keys(fieldErrors(err, 'config.'))).toEqual(['initFrom']);
    expect((await api(wb, 'runs.list', {})).length).toBe(before);
  });

  it("a run with initFrom starts from the other run's best weights and says so", async () => {
    // Another seed (another initialisation) and a learning rate too small to move a weight by 1e-6 in 4 Adam steps:
    // its best weights are run A's as they were copied in. Batch-norm moving statistics move anyway; left out.
    const [run] = await create({ seed: 5, lr: 1e-9, initFrom: a.id });
    const b = await waitForStatus(wb, run!.id, finished);
    expect(b.status, b.error ?? '').toBe('completed');
    expect(b.backendReason).toContain(`Started from run ${a.id}'s best weights (epoch 1).`);
    expect((await api(wb, 'runs.get', { runId: b.id })).config?.initFrom).toBe(a.id);
    await activateBackend('wasm');
    const [wa, wbest] = await Promise.all([loadModelDir(checkpointDir(wb.home.runs, a.id, 'best')), loadModelDir(checkpointDir(wb.home.runs, b.id, 'best'))]);
    const learned = (m: typeof wa) => Object.fromEntries(m.weights.filter((w) => !w.originalName.includes('moving')).map((w) => [w.originalName, Array.from(w.read().dataSync())]));
    const [va, vb] = [learned(wa), learned(wbest)];
    expect(Object.keys(vb).sort()).toEqual(Object.keys(va).sort());
    for (const [name, values] of Object.entries(va)) {
      const diff = Math.max(...values.map((v, i) => Math.abs(v - vb[name]![i]!)));
      expect(diff, name).toBeLessThan(1e-6);
    }
    wa.dispose();
    wbest.dispose();
  }, 30_000);

  it('fer train --init-from N sends config.initFrom (and the service refuses it as above)', async () => {
    const fer = inProcessFer(t.dir);
    const res = await fer('train', '--dataset', ds.name, '--input-size', '32', '--hidden', '8', '--init-from', String(a.id), '--json');
    expect(res.code).toBe(1);
    expect(lastJson(res.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: `config.initFrom: run ${a.id} has hidden 0 but this run has hidden 8: a warm start needs the same architecture (model, features, inputSize, channels, hidden).` } });
    expect((await fer('train', '--dataset', ds.name, '--init-from', 'last')).stderr).toMatch(/--init-from must be a number, got "last"/);
  });

  it("resuming a warm-started run that has its own checkpoint does not need the run it started from", async () => {
    const [run] = await create({ seed: 6, initFrom: a.id });
    const b = await waitForStatus(wb, run!.id, finished);
    expect(b.status, b.error ?? '').toBe('completed');
    // As if it had failed after its epoch (a completed run is not resumed); then its source goes away. Neither
    // runs.resume nor the trainer (which loads the `last` checkpoint on a resume) may look for it.
    wb.db.prepare(`UPDATE runs SET status = 'failed' WHERE id = ?`).run(b.id);
    await api(wb, 'runs.delete', { runId: a.id });
    await expect(create({ initFrom: a.id })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^config\.initFrom: Run \d+ does not exist/) });
    await api(wb, 'runs.resume', { runId: b.id });
    expect((await waitForStatus(wb, b.id, finished)).status).toBe('completed');
  }, 30_000);
});
