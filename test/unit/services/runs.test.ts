import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract/datasets';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';
import { queueFor } from '../../../src-main/trainer/queue';
import { api, finished, waitForStatus } from '../trainer/helpers';
import { fieldIssues, type AppError } from '../../../src-shared/errors';
import { fieldErrors } from '../../../src-renderer/lib/errors';

describe('runs service', () => {
  const t = tempWorkbench();
  const wb = t.wb;
  let ds: DatasetSummary;
  beforeAll(async () => {
    ds = await createSyntheticDataset(wb, { perClass: 4, seed: 9, balanced: true });
  });
  afterAll(() => t.cleanup());

  const create = (config: Record<string, unknown>) => api(wb, 'runs.create', { config: { dataset: ds.name, batch: 8, epochs: 1, ...config } });

  it.each([
    [{ lr: 0 }, 'BAD_ARGS', /config\.lr/, 'config.lr'],
    [{ lr: -1 }, 'BAD_ARGS', /config\.lr/, 'config.lr'],
    [{ batch: 0 }, 'BAD_ARGS', /config\.batch/, 'config.batch'],
    [{ epochs: 0 }, 'BAD_ARGS', /config\.epochs/, 'config.epochs'],
    [{ model: 'lenet' }, 'BAD_ARGS', /config\.model/, 'config.model'],
    [{ optimizer: 'rmsprop' }, 'BAD_ARGS', /config\.optimizer/, 'config.optimizer'],
    [{ augment: { rotation: 90 } }, 'BAD_ARGS', /config\.augment\.rotation/, 'config.augment.rotation'],
    [{ augment: { zoom: 2 } }, 'BAD_ARGS', /config\.augment\.zoom/, 'config.augment.zoom'],
    [{ batch: 500 }, 'INVALID_INPUT', /batch 500 is larger than the 28 training samples/, 'config.batch'],
    [{ batch: 8, limitTrain: 4 }, 'INVALID_INPUT', /batch 8 is larger than the 4 training samples.*limitTrain 4/, 'config.batch'],
    [{ valSplit: 'Training' }, 'INVALID_INPUT', /valSplit/, 'config.valSplit'],
    [{ monitor: 'valAcc', valSplit: null }, 'INVALID_INPUT', /monitor valAcc needs a validation split/, 'config.monitor'],
    [{ monitor: 'valF1' }, 'BAD_ARGS', /config\.monitor/, 'config.monitor'],
    [{ model: 'baseline', features: 'multilevel' }, 'INVALID_INPUT', /^config\.features: features 'multilevel' is offered for pretrained face bases/, 'config.features'],
    [{ model: 'faceres', inputSize: 48, features: 'multilevel', freeze: 60 }, 'INVALID_INPUT', /^config\.freeze: freeze 60 is beyond faceres's depth.*59 layers with features 'multilevel'/, 'config.freeze'],
    [{ dataset: 'no-such-set' }, 'NOT_FOUND', /No dataset named "no-such-set"/, 'config.dataset'],
    [{ weights: 'no-such-weights' }, 'NOT_FOUND', /no-such-weights/, 'config.weights'],
    // Architecture-dependent limits are refused at creation, not when a queued run builds its model.
    [{ model: 'vgg16', inputSize: 48, freeze: 20 }, 'INVALID_INPUT', /^config\.freeze: freeze 20 is beyond vgg16's depth.*19 layers/, 'config.freeze'],
    [{ model: 'resnet50', inputSize: 48, freeze: 175 }, 'INVALID_INPUT', /freeze 175 is beyond resnet50's depth.*174 layers/, 'config.freeze'],
    [{ model: 'vgg16', inputSize: 40 }, 'INVALID_INPUT', /^config\.inputSize: vgg16 needs inputs of at least 48×48/, 'config.inputSize'],
    [{ model: 'mobilefacenet', inputSize: 128 }, 'INVALID_INPUT', /^config\.inputSize: inputSize 128 does not fit mobilefacenet/, 'config.inputSize'],
    [{ model: 'faceres', inputSize: 48, freeze: 57 }, 'INVALID_INPUT', /^config\.freeze: freeze 57 is beyond faceres's depth.*56 layers/, 'config.freeze'],
  ])('rejects %j with %s, naming the field in its details', async (config, code, message, field) => {
    const err = await create(config).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code, message: expect.stringMatching(message) });
    // The form reads the field from the details (src-renderer/lib/errors.ts), never from the message.
    expect(fieldIssues((err as AppError).details).map((f) => f.field)).toContain(field);
    expect(Object.keys(fieldErrors(err, 'config.'))).toContain(field.replace(/^config\./, ''));
    expect(await api(wb, 'runs.list', {})).toEqual([]);
  });

  it('takes imported weights by name and stores their id, whose layer naming sets the base depth', async () => {
    const id = 'resnet50-keras-0123456789ab';
    wb.db
      .prepare('INSERT INTO weights (id, name, architecture, format, path, sha256, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, 'imagenet-resnet50', 'resnet50', 'keras-h5-weights', wb.home.weights, 'ab'.repeat(32), '{"variant":"keras"}', '2026-01-01');
    // Keras Applications' ResNet50 base has 176 layers (keras-vggface's 174): freeze 175 is valid only for it.
    // A backend that cannot load ends the run at once: this test is about what runs.create accepts and stores.
    const [r] = await create({ model: 'resnet50', inputSize: 48, weights: 'imagenet-resnet50', freeze: 175, backend: 'tensorflow' });
    expect((await api(wb, 'runs.get', { runId: r!.id })).config?.weights).toBe(id);
    await waitForStatus(wb, r!.id, finished);
    await expect(create({ model: 'resnet50', inputSize: 48, weights: 'imagenet-resnet50', freeze: 177 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/176 layers/) });
    // Weights of another architecture: the model's check names the weights field.
    await expect(create({ model: 'vgg16', inputSize: 48, weights: 'imagenet-resnet50' })).rejects.toMatchObject({
      code: 'WEIGHTS_MISMATCH',
      message: expect.stringMatching(/^config\.weights: Weights resnet50-keras-0123456789ab are for resnet50/),
      details: { fields: [{ field: 'config.weights', message: expect.stringMatching(/^Weights /) }] },
    });
    await api(wb, 'runs.delete', { runId: r!.id });
  });

  it('a frozen-base run trains its head on cached features and says so on the run', async () => {
    const [r] = await create({ model: 'vgg16', inputSize: 48, freeze: 19, cacheFeatures: true, augment: null, backend: 'wasm', valSplit: 'PublicTest', testSplit: null });
    const s = await waitForStatus(wb, r!.id, finished);
    expect(s).toMatchObject({ status: 'completed', epochsDone: 1, backend: 'wasm' });
    expect(s.backendReason).toMatch(/Caching the frozen base's 512 features per image/);
    // The run says what it can promise: these tests pin one wasm thread (vitest.config.ts).
    expect(s.backendReason).toMatch(/Reproducible: the same seed gives the same weights on 1 wasm thread, whatever the load; another thread count/);
    // …and which tfjs patches it ran with (engine/patches): all of them on wasm.
    expect(s.backendReason).toMatch(/tfjs patches on: frozen-batch-norm, fast-dropout, wasm-training-kernels, fused-batch-norm-training, relu-pass-through, lazy-conv-grad, fused-adam\./);
    await api(wb, 'runs.delete', { runId: r!.id });
  });

  it('lists the paper presets', async () => {
    const presets = await api(wb, 'models.presets', {});
    expect(presets.map((p) => p.id)).toEqual(['baseline', 'resnet50', 'senet50', 'vgg16', 'faceres', 'faceres-multilevel', 'faceres-multilevel-mixup', 'faceres-grid-mixup', 'faceres-multilevel-finetune', 'faceres-finetune', 'mobilefacenet']);
  });

  it('a forced backend that cannot load fails the run with the reason, and the queue moves on', async () => {
    const [bad] = await create({ backend: 'tensorflow-gpu' });
    const s = await waitForStatus(wb, bad!.id, finished);
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/^\[BACKEND_UNAVAILABLE\] .*tensorflow-gpu/);
    expect(s.finishedAt).not.toBeNull();
  });

  it('replicates share a group id and take consecutive seeds; delete removes a finished run', async () => {
    // A backend that cannot load ends each replicate quickly: this test is about bookkeeping, not training.
    const runs = await api(wb, 'runs.create', { config: { dataset: ds.name, batch: 8, epochs: 1, seed: 10, backend: 'tensorflow' }, replicates: 2 });
    expect(runs.map((r) => r.seed)).toEqual([10, 11]);
    expect(runs.map((r) => r.name)).toEqual([expect.stringContaining('#1 (seed 10)'), expect.stringContaining('#2 (seed 11)')]);
    expect(new Set(runs.map((r) => r.groupId)).size).toBe(1);
    expect(runs[0]!.groupId).toMatch(/^[0-9a-f-]{36}$/);
    for (const r of runs) await waitForStatus(wb, r.id, finished);
    await expect(api(wb, 'runs.delete', { runId: runs[0]!.id })).resolves.toEqual({ deleted: true });
    await expect(api(wb, 'runs.get', { runId: runs[0]!.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('at startup, runs a dead process left queued or running become failed, never stuck', () => {
    const insert = wb.db.prepare(
      `INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, pid, created_at) VALUES ('ghost', ?, 'baseline', ?, 1, 'x', ?, ?, '2026-01-01')`,
    );
    const cfg = JSON.stringify({ dataset: ds.name });
    // A pid far above any live one: no such process.
    const a = Number(insert.run(ds.id, cfg, 'running', 4_000_000).lastInsertRowid);
    const b = Number(insert.run(ds.id, cfg, 'queued', 4_000_001).lastInsertRowid);
    const live = Number(insert.run(ds.id, cfg, 'running', process.ppid).lastInsertRowid);
    // A second workbench object over the same DB stands for a freshly started process: its queue recovers.
    queueFor({ ...wb, onClose() {} });
    const status = (id: number) => wb.db.prepare('SELECT status, error FROM runs WHERE id = ?').get(id) as { status: string; error: string };
    // It finished no epoch: the message must not promise a checkpoint it does not have.
    expect(status(a)).toMatchObject({ status: 'failed', error: expect.stringMatching(/pid 4000000\) exited while the run was running; it finished no epoch, so resuming starts again at epoch 1\.$/) });
    expect(status(b).status).toBe('failed');
    expect(status(live).status).toBe('running');
    wb.db.prepare('DELETE FROM runs WHERE id = ?').run(live);
  });

  it('stop and resume refuse runs in the wrong state with CONFLICT', async () => {
    const [r] = await api(wb, 'runs.list', {});
    await expect(api(wb, 'runs.stop', { runId: r!.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(api(wb, 'runs.get', { runId: 99999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
