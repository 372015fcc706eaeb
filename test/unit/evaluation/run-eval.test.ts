import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { NUM_CLASSES } from '../../../src-shared/labels';
import { argmaxRows } from '../../../src-main/analysis/metrics';
import type { Workbench } from '../../../src-main/context';
import { loadSplit } from '../../../src-main/data/packed-store';
import { checkpointDir, saveModelDir } from '../../../src-main/engine/checkpoint';
import { prepareBatch } from '../../../src-main/engine/input';
import { loadPredictions } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

const SPEC = { size: 48, channels: 1, normalize: 'unit' } as const;
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let runId: number;
let model: tf.LayersModel;

/** A small net trained here on the synthetic faces (the training service is tested elsewhere). */
async function trainTiny(datasetId: number): Promise<tf.LayersModel> {
  const train = loadSplit(wb, datasetId, 'Training');
  const m = tf.sequential();
  // Pool then a linear softmax: cheap enough to train on the cpu backend in seconds, yet not mirror-symmetric.
  m.add(tf.layers.averagePooling2d({ inputShape: [48, 48, 1], poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  m.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  const x = prepareBatch(train.pixels, train.n, SPEC);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(train.labels), 'int32'), NUM_CLASSES);
  // No shuffle: tfjs shuffles with Math.random, which made the accuracy (and this test) vary from run to run.
  await m.fit(x, y, { epochs: 30, batchSize: 32, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  t = tempWorkbench();
  wb = t.wb;
  const ds = await createSyntheticDataset(wb, { perClass: 40, seed: 3 });
  model = await trainTiny(ds.id);
  const config = trainConfigSchema.parse({ dataset: ds.id, model: 'baseline', seed: 1 });
  runId = Number(
    wb.db
      .prepare(`INSERT INTO runs (name, dataset_id, model, config_json, seed, code_version, status, created_at) VALUES ('tiny', ?, 'baseline', ?, 1, 'test', 'completed', ?)`)
      .run(ds.id, JSON.stringify(config), new Date().toISOString()).lastInsertRowid,
  );
  await saveModelDir(model, checkpointDir(wb.home.runs, runId, 'best'));
}, 120_000);
afterAll(async () => {
  model.dispose();
  await t.cleanup();
});

describe('eval.run on a trained synthetic model (child process)', () => {
  it('stores the probabilities the model gives, and TTA changes them and records its views', async () => {
    const progress: { phase: string; done: number; total: number }[] = [];
    const off = wb.events.subscribe((name, payload) => {
      if (name === 'eval.progress') progress.push(payload as { phase: string; done: number; total: number });
    });
    const plain = await call(handlers, wb, 'eval.run', { runId, split: 'PublicTest' });
    const test = loadSplit(wb, plain.datasetId, 'PublicTest');
    const expected = (await (model.predict(prepareBatch(test.pixels, test.n, SPEC)) as tf.Tensor).data()) as Float32Array;
    const stored = loadPredictions(wb.db, plain.id);
    expect(stored.n).toBe(test.n);
    // Same model, same faces: only backend rounding (the child runs wasm, this process cpu) may differ.
    const order = Array.from(test.ids).map((id) => stored.sampleIds.indexOf(id));
    for (let i = 0; i < test.n; i++) for (let k = 0; k < 7; k++) expect(stored.probs[order[i]! * 7 + k]).toBeCloseTo(expected[i * 7 + k]!, 4);
    const preds = argmaxRows(expected, test.n, 7);
    const acc = preds.filter((p, i) => p === test.labels[i]).length / test.n;
    expect(plain.accuracy).toBeCloseTo(acc, 10);
    // Learned something: well above the 1/7 of guessing.
    expect(plain.accuracy).toBeGreaterThan(0.4);
    expect(plain.tta).toBeNull();
    expect(progress.at(-1)).toMatchObject({ phase: 'done' });
    expect(progress.some((p) => p.phase === 'predicting')).toBe(true);

    const tta = await call(handlers, wb, 'eval.run', { runId, split: 'PublicTest', tta: 3, ttaSeed: 4 });
    off();
    expect(tta.tta).toMatchObject({ views: 3, flip: true, totalViews: 5, seed: 4, rotation: 10, zoom: 0.1 });
    expect(tta.tta!.viewSpecs.map((v) => v.name)).toEqual(['original', 'flip', 'aug1', 'aug2', 'aug3']);
    const row = wb.db.prepare('SELECT tta, tta_json FROM evaluations WHERE id = ?').get(tta.id) as { tta: number; tta_json: string };
    expect(row.tta).toBe(3);
    expect(JSON.parse(row.tta_json).viewSpecs).toHaveLength(5);
    const withTta = loadPredictions(wb.db, tta.id);
    let maxDiff = 0;
    for (let j = 0; j < withTta.probs.length; j++) maxDiff = Math.max(maxDiff, Math.abs(withTta.probs[j]! - stored.probs[j]!));
    expect(maxDiff).toBeGreaterThan(0.01);
    expect(progress.filter((p) => p.phase === 'predicting').at(-1)!.total).toBe(5 * test.n);
  });

  it('flip TTA (no augmented views, the mirror asked for) averages each face with its mirror: 2 views', async () => {
    const flip = await call(handlers, wb, 'eval.run', { runId, split: 'PublicTest', tta: 0, ttaFlip: true });
    expect(flip.tta).toMatchObject({ views: 0, flip: true, totalViews: 2 });
    expect(flip.tta!.viewSpecs.map((v) => v.name)).toEqual(['original', 'flip']);
    const test = loadSplit(wb, flip.datasetId, 'PublicTest');
    // Each face mirrored left to right, by hand, then the mean of the model's two softmaxes.
    const mirrored = new Uint8Array(test.pixels.length);
    for (let i = 0; i < test.n; i++) {
      for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) mirrored[i * 2304 + y * 48 + x] = test.pixels[i * 2304 + y * 48 + (47 - x)]!;
    }
    const a = (await (model.predict(prepareBatch(test.pixels, test.n, SPEC)) as tf.Tensor).data()) as Float32Array;
    const b = (await (model.predict(prepareBatch(mirrored, test.n, SPEC)) as tf.Tensor).data()) as Float32Array;
    const stored = loadPredictions(wb.db, flip.id);
    const order = Array.from(test.ids).map((id) => stored.sampleIds.indexOf(id));
    let fromOriginal = 0;
    for (let i = 0; i < test.n; i++) {
      for (let k = 0; k < 7; k++) {
        const j = i * 7 + k;
        expect(stored.probs[order[i]! * 7 + k]).toBeCloseTo((a[j]! + b[j]!) / 2, 4);
        fromOriginal = Math.max(fromOriginal, Math.abs(stored.probs[order[i]! * 7 + k]! - a[j]!));
      }
    }
    // The model is not mirror-symmetric, so the mirror changed the probabilities.
    expect(fromOriginal).toBeGreaterThan(0.01);
  });

  it('FER_EVAL_INPROCESS=1 runs the same job in this process with the same result', async () => {
    const child = (await call(handlers, wb, 'eval.list', { runId })).find((e) => e.tta === null)!;
    process.env.FER_EVAL_INPROCESS = '1';
    try {
      const here = await call(handlers, wb, 'eval.run', { runId, split: 'PublicTest' });
      expect(here.id).not.toBe(child.id);
      expect(here.accuracy).toBe(child.accuracy);
      expect(here.loss).toBeCloseTo(child.loss, 6);
    } finally {
      delete process.env.FER_EVAL_INPROCESS;
      await tf.setBackend('cpu');
    }
  });

  it('a missing checkpoint is a clear error from the child, and nothing is stored', async () => {
    const before = (wb.db.prepare('SELECT count(*) AS n FROM evaluations').get() as { n: number }).n;
    await expect(call(handlers, wb, 'eval.run', { runId, split: 'PublicTest', checkpoint: 'last' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no 'last' checkpoint/) });
    expect((wb.db.prepare('SELECT count(*) AS n FROM evaluations').get() as { n: number }).n).toBe(before);
  });
});
