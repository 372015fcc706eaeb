import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaliencyPage } from '../../../src-shared/contract/evaluation';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../../src-shared/labels';
import type { Workbench } from '../../../src-main/context';
import { loadSplit } from '../../../src-main/data/packed-store';
import { activateBackend } from '../../../src-main/engine/backend';
import { checkpointDir, runDir, saveModelDir } from '../../../src-main/engine/checkpoint';
import { prepareBatch } from '../../../src-main/engine/input';
import { saliencyMaps } from '../../../src-main/engine/saliency';
import { insertEvaluation } from '../../../src-main/store/evaluations';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/**
 * eval.saliency of an ensemble: each member's maps under its own run and checkpoint. The members are two small
 * untrained CNNs of different seeds (what they predict does not matter, only that each map is that member's).
 * The maps are computed in this process (FER_EVAL_INPROCESS): the worker path is tested in engine/saliency.test.ts.
 */
const SPEC = { size: 48, channels: 1, normalize: 'unit' } as const;
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let test: { ids: Int32Array; pixels: Uint8Array; labels: Uint8Array; n: number };
const models: tf.LayersModel[] = [];
const runs: number[] = [];
const memberEvals: number[] = [];
let ensembleEval: number;
let ensemblePreds: Uint8Array;
let before: string | undefined;

function smallCnn(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [48, 48, 1] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function probsOf(model: tf.LayersModel): Float32Array {
  const xs = prepareBatch(test.pixels, test.n, SPEC);
  const p = model.predict(xs) as tf.Tensor;
  const out = p.dataSync() as Float32Array;
  tf.dispose([xs, p]);
  return out;
}

const bytes = (b64: string, i: number) => Buffer.from(b64, 'base64').subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
function asEnsemble(page: SaliencyPage): Extract<SaliencyPage, { kind: 'ensemble' }> {
  if (page.kind !== 'ensemble') throw new Error(`expected an ensemble's page, got a ${page.kind}'s`);
  return page;
}

beforeAll(async () => {
  before = process.env.FER_EVAL_INPROCESS;
  process.env.FER_EVAL_INPROCESS = '1';
  await activateBackend('wasm');
  t = tempWorkbench();
  wb = t.wb;
  const ds = (await createSyntheticDataset(wb, { perClass: 4, seed: 5, balanced: true, testFraction: 1, name: 'ens-sal' })).id;
  test = loadSplit(wb, ds, 'PrivateTest');
  for (const seed of [7, 31]) {
    const model = smallCnn(seed);
    const run = insertRun(wb, ds, seed, false);
    await saveModelDir(model, checkpointDir(wb.home.runs, run, 'best'));
    models.push(model);
    runs.push(run);
    memberEvals.push(insertEvaluation(wb.db, { runId: run, ensembleId: null, datasetId: ds, split: 'PrivateTest', checkpoint: 'best', tta: null, sampleIds: test.ids, labels: test.labels, probs: probsOf(model) }).id);
  }
  const ens = await call(handlers, wb, 'ensembles.create', { evaluationIds: memberEvals, vote: 'soft', weights: [1, 2], name: 'pair' });
  ensembleEval = ens.id;
  const stored = await call(handlers, wb, 'eval.sampleProbs', { evaluationId: ensembleEval, sampleIds: Array.from(test.ids) });
  ensemblePreds = Uint8Array.from(stored.map((r) => r.predLabel));
}, 60_000);
afterAll(async () => {
  for (const m of models) m.dispose();
  if (before === undefined) delete process.env.FER_EVAL_INPROCESS;
  else process.env.FER_EVAL_INPROCESS = before;
  await t.cleanup();
});

describe('eval.saliency of an ensemble', () => {
  it("gives each member's own maps, name, weight and probability, and caches them under the member's evaluation", async () => {
    const n = 6;
    const onScreen = Array.from(test.ids.subarray(0, n));
    const page = asEnsemble(await call(handlers, wb, 'eval.saliency', { evaluationId: ensembleEval, sampleIds: onScreen, target: 'pred' }));
    // The contract's shape: the ensemble's target classes once, then one map set per member in evaluation order.
    expect(page.items).toEqual(onScreen.map((id, i) => ({ sampleId: id, targetLabel: ensemblePreds[i] })));
    expect(page.computed).toBe(2 * n);
    expect(page.members.map((m) => [m.evaluationId, m.runId, m.name, m.weight])).toEqual([
      [memberEvals[0], runs[0], 'r7', 1],
      [memberEvals[1], runs[1], 'r31', 2],
    ]);
    const targets = ensemblePreds.subarray(0, n);
    for (const [k, m] of page.members.entries()) {
      for (const key of ['gradcamBase64', 'hirescamBase64', 'gradientBase64'] as const) expect(Buffer.from(m[key], 'base64').length).toBe(n * PIXELS_PER_IMAGE);
      // Each member's maps are that model's maps of the same faces for the ensemble's class.
      const own = await saliencyMaps(models[k]!, test.pixels.subarray(0, n * PIXELS_PER_IMAGE), n, SPEC, targets);
      expect(m.layer).toBe(own.layer);
      expect(Buffer.from(m.hirescamBase64, 'base64')).toEqual(Buffer.from(own.hirescam));
      expect(Buffer.from(m.gradcamBase64, 'base64')).toEqual(Buffer.from(own.gradcam));
      expect(Buffer.from(m.gradientBase64, 'base64')).toEqual(Buffer.from(own.gradient));
      const memberProbs = await call(handlers, wb, 'eval.sampleProbs', { evaluationId: m.evaluationId, sampleIds: onScreen });
      expect(m.probs).toEqual(memberProbs.map((r, i) => r.probs[targets[i]!]));
    }
    // Two different models: two different maps of the same face.
    expect(bytes(page.members[0]!.hirescamBase64, 0)).not.toEqual(bytes(page.members[1]!.hirescamBase64, 0));

    // The same faces asked of a member's own evaluation (true class) and of the ensemble again: equal maps, from one cache.
    const truePage = asEnsemble(await call(handlers, wb, 'eval.saliency', { evaluationId: ensembleEval, sampleIds: onScreen, target: 'true' }));
    for (const [k, m] of truePage.members.entries()) {
      const single = await call(handlers, wb, 'eval.saliency', { evaluationId: memberEvals[k]!, sampleIds: onScreen, target: 'true' });
      if (single.kind !== 'model') throw new Error('a member evaluation is a single model');
      expect(single.computed).toBe(0);
      expect(m.gradcamBase64).toBe(single.gradcamBase64);
      expect(m.hirescamBase64).toBe(single.hirescamBase64);
      expect(m.gradientBase64).toBe(single.gradientBase64);
    }
    const again = await call(handlers, wb, 'eval.saliency', { evaluationId: ensembleEval, sampleIds: onScreen, target: 'pred' });
    expect(again.computed).toBe(0);
  }, 60_000);

  it('refuses a contact sheet with an overlay, naming the member evaluations to draw it from', async () => {
    await expect(call(handlers, wb, 'eval.contactSheet', { evaluationId: ensembleEval, source: { kind: 'labelIssues' }, overlay: 'hirescam' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`from a member's evaluation (${memberEvals.join(', ')})`),
    });
    // Without an overlay, the sheet is drawn.
    const sheet = await call(handlers, wb, 'eval.contactSheet', { evaluationId: ensembleEval, source: { kind: 'labelIssues' }, limit: 3 });
    expect(sheet.cells.length).toBeGreaterThan(0);
  });

  it('names the member whose run files were deleted, and shows the members a deleted run leaves', async () => {
    const fresh = [test.ids[10]!, test.ids[11]!];
    rmSync(runDir(wb.home.runs, runs[1]!), { recursive: true, force: true });
    await expect(call(handlers, wb, 'eval.saliency', { evaluationId: ensembleEval, sampleIds: fresh })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(new RegExp(`^Member "r31" \\(evaluation ${memberEvals[1]}\\) of ensemble \\d+: Run ${runs[1]} has no 'best' checkpoint.*files were deleted`)),
    });
    // runs.delete removes the member's evaluation with the run (and its membership): the member left is still explained.
    await call(handlers, wb, 'runs.delete', { runId: runs[1]! });
    const left = asEnsemble(await call(handlers, wb, 'eval.saliency', { evaluationId: ensembleEval, sampleIds: fresh }));
    expect(left.members.map((m) => m.name)).toEqual(['r7']);
  }, 60_000);
});
