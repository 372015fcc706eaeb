import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LABEL_PRESETS } from '../../../../src-shared/contract/models';
import { EMOTIONS } from '../../../../src-shared/labels';
import type { Workbench } from '../../../../src-main/context';
import { loadSplit } from '../../../../src-main/data/packed-store';
import { externalInputSpec } from '../../../../src-main/engine/external/catalog';
import { prepareBatch } from '../../../../src-main/engine/input';
import { loadPredictions } from '../../../../src-main/store/evaluations';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempDir, tempWorkbench } from '../../../helpers/workbench';
import { functionalModel, kerasConfigOf, saveTfjsLayers, sequentialModel, writeGraphModel, writeKerasModelH5 } from './fixtures';

let t: ReturnType<typeof tempWorkbench>;
let files: ReturnType<typeof tempDir>;
let wb: Workbench;
let datasetId: number;

beforeAll(async () => {
  await tf.setBackend('cpu');
  t = tempWorkbench();
  wb = t.wb;
  files = tempDir('fer-external-eval-');
  datasetId = (await createSyntheticDataset(wb, { perClass: 8, seed: 6 })).id;
});
afterAll(async () => {
  delete process.env.FER_EVAL_INPROCESS;
  await t.cleanup();
  files.cleanup();
});

it('evaluates external models through eval.run (TTA too), and cell review, ensembles, compare and export take them', async () => {
  const func = functionalModel();
  const preprocess = { inputSize: 40, channels: 3 as const, scale: 'meanstd' as const, mean: [120, 110, 100], std: [60], labels: [...LABEL_PRESETS.ferplus] };
  const a = await call(handlers, wb, 'models.import', { path: await saveTfjsLayers(func, join(files.dir, 'func')), name: 'ferplus-net', dataset: datasetId, preprocess });
  const seq = sequentialModel();
  const h5 = join(files.dir, 'seq.h5');
  await writeKerasModelH5(seq, h5, await kerasConfigOf(seq));
  const b = await call(handlers, wb, 'models.import', { path: h5, name: 'keras-net', dataset: datasetId, preprocess: { inputSize: 48, channels: 1, scale: 'unit', labels: [...LABEL_PRESETS.alphabetical] } });

  // The evaluation process's answer equals the source model's outputs mapped from FER+'s order to FER2013's.
  const evA = await call(handlers, wb, 'eval.run', { runId: a.runId, split: 'PublicTest' });
  await tf.setBackend('cpu');
  const test = loadSplit(wb, datasetId, 'PublicTest');
  const raw = (func.predict(prepareBatch(test.pixels, test.n, externalInputSpec(a.preprocess))) as tf.Tensor).dataSync();
  const stored = loadPredictions(wb.db, evA.id);
  expect(stored.n).toBe(test.n);
  const ferplus: readonly string[] = LABEL_PRESETS.ferplus;
  for (let i = 0; i < test.n; i++) {
    const row = stored.sampleIds.indexOf(test.ids[i]!);
    const picked = EMOTIONS.map((e) => raw[i * 8 + ferplus.indexOf(e)]!);
    const sum = picked.reduce((s, v) => s + v, 0);
    picked.forEach((p, k) => expect(stored.probs[row * 7 + k]).toBeCloseTo(p / sum, 4));
  }

  // The evaluation process is proven above; the rest run in this process (each child costs seconds to start).
  process.env.FER_EVAL_INPROCESS = '1';
  const ttaEval = await call(handlers, wb, 'eval.run', { runId: a.runId, split: 'PublicTest', tta: 2, ttaSeed: 1 });
  expect(ttaEval.tta).toMatchObject({ views: 2, flip: true, totalViews: 4 });
  const evB = await call(handlers, wb, 'eval.run', { runId: b.runId, split: 'PublicTest' });

  // A graph model (inference only) goes through the same evaluation.
  const graph = writeGraphModel(join(files.dir, 'graph'), 5);
  const g = await call(handlers, wb, 'models.import', { path: graph.file, name: 'graph-net', dataset: datasetId, preprocess: { inputSize: 48, channels: 1, scale: 'unit' } });
  const evG = await call(handlers, wb, 'eval.run', { runId: g.runId, split: 'PublicTest' });
  await tf.setBackend('cpu');
  const gProbs = graph.reference(prepareBatch(test.pixels, test.n, externalInputSpec(g.preprocess))).dataSync();
  const gStored = loadPredictions(wb.db, evG.id);
  for (let i = 0; i < test.n; i++) {
    const row = gStored.sampleIds.indexOf(test.ids[i]!);
    for (let k = 0; k < 7; k++) expect(gStored.probs[row * 7 + k]).toBeCloseTo(gProbs[i * 7 + k]!, 4);
  }

  const cell = await call(handlers, wb, 'eval.cell', { evaluationId: evA.id, trueLabel: 0, predLabel: 0 });
  expect(cell).toBeTruthy();
  const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: [evA.id, evB.id, evG.id], vote: 'soft' });
  expect(ens.samples).toBe(test.n);
  const table = await call(handlers, wb, 'compare.table', { runIds: [a.runId, b.runId], ensembleIds: [ens.ensemble.id], split: 'PublicTest' });
  expect(table.rows.map((r) => r.label)).toEqual(expect.arrayContaining([`ferplus-net (#${a.runId})`, `keras-net (#${b.runId})`]));
  const md = await call(handlers, wb, 'compare.export', { runIds: [a.runId, b.runId], format: 'md', groupBy: 'scale' });
  expect(md.text).toMatch(/meanstd/);
  expect(md.text).toMatch(/unit/);
  func.dispose();
  seq.dispose();
});
