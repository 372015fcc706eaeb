import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalModelInfo, ExternalPreprocessInput } from '../../../../src-shared/contract/models';
import { LABEL_PRESETS } from '../../../../src-shared/contract/models';
import type { Workbench } from '../../../../src-main/context';
import { loadExternalModel } from '../../../../src-main/engine/external/catalog';
import { call } from '../../../../src-main/services/dispatch';
import { handlers } from '../../../../src-main/services/index';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempDir, tempWorkbench } from '../../../helpers/workbench';
import { functionalModel, kerasConfigOf, saveTfjsLayers, sequentialModel, writeGraphModel, writeKeras3, writeKerasModelH5, writeZip } from './fixtures';

let t: ReturnType<typeof tempWorkbench>;
let files: ReturnType<typeof tempDir>;
let wb: Workbench;
let datasetId: number;
let seq: tf.LayersModel;
let func: tf.LayersModel;
const xSeq = () => tf.randomUniform([5, 48, 48, 1], -1, 1, 'float32', 7);
const xFunc = () => tf.randomUniform([5, 40, 40, 3], -1, 1, 'float32', 8);
let seqOut: Float32Array;
let funcOut: Float32Array;

const SEQ_PRE: ExternalPreprocessInput = { inputSize: 48, channels: 1, scale: 'minus1to1' };
const FUNC_PRE: ExternalPreprocessInput = { inputSize: 40, channels: 3, scale: 'meanstd', mean: [120, 110, 100], std: [60], labels: [...LABEL_PRESETS.ferplus] };

beforeAll(async () => {
  await tf.setBackend('cpu');
  t = tempWorkbench();
  wb = t.wb;
  files = tempDir('fer-external-');
  datasetId = (await createSyntheticDataset(wb, { perClass: 8, seed: 5 })).id;
  seq = sequentialModel();
  func = functionalModel();
  seqOut = (seq.predict(xSeq()) as tf.Tensor).dataSync() as Float32Array;
  funcOut = (func.predict(xFunc()) as tf.Tensor).dataSync() as Float32Array;
});
afterAll(async () => {
  seq.dispose();
  func.dispose();
  await t.cleanup();
  files.cleanup();
});

function importModel(path: string, name: string, preprocess: ExternalPreprocessInput): Promise<ExternalModelInfo> {
  return call(handlers, wb, 'models.import', { path, name, dataset: datasetId, preprocess });
}

/** The stored copy, run on the cpu backend as the source was: the same outputs to float32 rounding. */
async function expectSameOutputs(info: ExternalModelInfo, x: tf.Tensor, expected: Float32Array): Promise<void> {
  await tf.setBackend('cpu');
  const { model } = await loadExternalModel(info);
  const got = (model.predict(x) as tf.Tensor).dataSync();
  model.dispose();
  expect(got.length).toBe(expected.length);
  let maxDiff = 0;
  for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
  expect(maxDiff).toBeLessThan(1e-5);
}

describe('models.import', () => {
  it('imports a tfjs layers Sequential model and a Keras 2 .h5 of it (Keras 2.13 spellings) with the same outputs', async () => {
    const json = await saveTfjsLayers(seq, join(files.dir, 'seq-tfjs'));
    const a = await importModel(json, 'seq-tfjs', SEQ_PRE);
    expect(a).toMatchObject({ format: 'tfjs-layers', params: seq.countParams(), outputs: 7, preprocess: { inputSize: 48, channels: 1, scale: 'minus1to1', labels: [...LABEL_PRESETS.fer2013] } });
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expectSameOutputs(a, xSeq(), seqOut);

    const h5 = join(files.dir, 'seq.h5');
    await writeKerasModelH5(seq, h5, await kerasConfigOf(seq));
    const b = await importModel(h5, 'seq-h5', { ...SEQ_PRE, labels: [...LABEL_PRESETS.fer2013] });
    expect(b).toMatchObject({ format: 'keras-h5', params: seq.countParams(), sourceFile: h5 });
    await expectSameOutputs(b, xSeq(), seqOut);

    const run = await call(handlers, wb, 'runs.get', { runId: b.runId });
    expect(run.run).toMatchObject({ model: 'external', status: 'completed', datasetId, name: 'seq-h5' });
    expect(run.config).toBeNull();
    expect(run.external).toMatchObject({ id: b.id, sha256: b.sha256 });
    expect((await call(handlers, wb, 'models.list', {})).map((m) => m.name)).toEqual(['seq-tfjs', 'seq-h5']);
  });

  it('imports a functional model (Add, Concatenate, Multiply, global pools, SpatialDropout2D) as .h5 and tfjs layers', async () => {
    const config = await kerasConfigOf(func);
    // tfjs has no SpatialDropout2D; Keras files do. It is the identity at inference, like the Dropout it replaces here.
    const sd = config.config.layers.find((l) => l.config.name === 'sdrop')!;
    sd.class_name = 'SpatialDropout2D';
    sd.config.data_format = 'channels_last';
    const h5 = join(files.dir, 'func.hdf5');
    await writeKerasModelH5(func, h5, config);
    const a = await importModel(h5, 'func-h5', FUNC_PRE);
    expect(a).toMatchObject({ outputs: 8, params: func.countParams() });
    await expectSameOutputs(a, xFunc(), funcOut);

    const b = await importModel(await saveTfjsLayers(func, join(files.dir, 'func-tfjs')), 'func-tfjs', FUNC_PRE);
    await expectSameOutputs(b, xFunc(), funcOut);
  });

  it('imports Keras 3 .keras archives (Sequential and functional) with the same outputs', async () => {
    const seqFile = join(files.dir, 'seq.keras');
    await writeKeras3(seq, seqFile);
    const a = await importModel(seqFile, 'seq-keras3', SEQ_PRE);
    expect(a).toMatchObject({ format: 'keras3', params: seq.countParams() });
    await expectSameOutputs(a, xSeq(), seqOut);
    const funcFile = join(files.dir, 'func.keras');
    await writeKeras3(func, funcFile);
    const b = await importModel(funcFile, 'func-keras3', FUNC_PRE);
    await expectSameOutputs(b, xFunc(), funcOut);
    // The weights went through a temp file, which is gone.
    expect(readdirSync(wb.home.tmp).filter((f) => f.startsWith('keras3-'))).toEqual([]);
  });

  it('imports a tfjs graph model (inference only) with the same outputs', async () => {
    const { file, reference } = writeGraphModel(join(files.dir, 'graph-ok'), 3);
    const info = await importModel(file, 'graph', { inputSize: 48, channels: 1, scale: 'unit' });
    expect(info).toMatchObject({ format: 'tfjs-graph', outputs: 7, params: 3 * 3 * 2 + 2 + 2 + 48 * 48 * 2 * 7 + 7 });
    await tf.setBackend('cpu');
    const x = tf.randomUniform([3, 48, 48, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const expected = reference(x).dataSync() as Float32Array;
    const { model } = await loadExternalModel(info);
    const got = (model.predict(x) as tf.Tensor).dataSync();
    model.dispose();
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
    expect(got.length).toBe(21);
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('refuses bad files and declarations with a specific error each, storing nothing', async () => {
    const before = {
      models: (wb.db.prepare('SELECT count(*) AS n FROM external_models').get() as { n: number }).n,
      runs: (wb.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n,
      dirs: readdirSync(wb.home.models).sort(),
    };
    const good = await kerasConfigOf(seq);
    const h5With = async (name: string, mutate: (c: typeof good) => void, opts: { skipLayer?: string } = {}) => {
      const c = structuredClone(good);
      mutate(c);
      const file = join(files.dir, name);
      await writeKerasModelH5(seq, file, c, opts);
      return file;
    };
    const okH5 = await h5With('ok.h5', () => {});
    const truncated = join(files.dir, 'truncated.h5');
    const bytes = readFileSync(okH5);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const notH5 = join(files.dir, 'photo.h5');
    writeFileSync(notH5, 'this is not HDF5 at all');
    const graph = writeGraphModel(join(files.dir, 'graph-cut'), 4).file;
    const shard = join(files.dir, 'graph-cut', 'group1-shard1of1.bin');
    writeFileSync(shard, readFileSync(shard).subarray(0, 1000));

    // Thunks: a promise made up front would reject before its expect() is attached.
    const cases: [string, () => Promise<unknown>, string, RegExp][] = [
      ['Lambda', async () => importModel(await h5With('lambda.h5', (c) => (c.config.layers[2]!.class_name = 'Lambda')), 'x', SEQ_PRE), 'INVALID_DATA', /layer "act1" is a Lambda layer/],
      ['unsupported', async () => importModel(await h5With('foo.h5', (c) => (c.config.layers[5]!.class_name = 'LocallyConnected2D')), 'x', SEQ_PRE), 'INVALID_DATA', /layer "relu" is a LocallyConnected2D, a layer class this importer cannot build/],
      ['custom', async () => importModel(await h5With('custom.h5', (c) => (c.config.layers[5]!.registered_name = 'Custom>Swishy')), 'x', SEQ_PRE), 'INVALID_DATA', /layer "relu" is a custom object \(Custom>Swishy/],
      ['missing weights', async () => importModel(await h5With('missing.h5', () => {}, { skipLayer: 'sep' }), 'x', SEQ_PRE), 'INVALID_DATA', /layer "sep" \(SeparableConv2D\) needs weights \(depthwise_kernel, pointwise_kernel, bias\), but the file has none/],
      ['truncated', () => importModel(truncated, 'x', SEQ_PRE), 'INVALID_DATA', /truncated/],
      ['not HDF5', () => importModel(notH5, 'x', SEQ_PRE), 'INVALID_DATA', /not an HDF5 file/],
      ['truncated graph model', () => importModel(graph, 'x', SEQ_PRE), 'INVALID_DATA', /hold 1000 bytes but the manifest describes \d+ \(truncated\?\)/],
      ['wrong input size', () => importModel(okH5, 'x', { ...SEQ_PRE, inputSize: 64 }), 'INVALID_INPUT', /Dry run on 8 faces failed .*64×64.* the model takes input \[batch, 48, 48, 1\]/],
      ['wrong channels', () => importModel(okH5, 'x', { ...SEQ_PRE, channels: 3 }), 'INVALID_INPUT', /Dry run/],
      ['8-way without labels', async () => importModel(await saveTfjsLayers(func, join(files.dir, 'f2')), 'x', { ...FUNC_PRE, labels: null }), 'INVALID_INPUT', /8 outputs, not FER2013's 7/],
      ['label twice', () => importModel(okH5, 'x', { ...SEQ_PRE, labels: ['angry', 'angry', 'fear', 'happy', 'sad', 'surprise', 'neutral'] }), 'INVALID_INPUT', /"angry" appears 2 times/],
      ['name taken', () => importModel(okH5, 'seq-h5', SEQ_PRE), 'ALREADY_EXISTS', /seq-h5/],
      ['missing file', () => importModel(join(files.dir, 'nope.h5'), 'x', SEQ_PRE), 'NOT_FOUND', /does not exist/],
      ['not a zip', async () => importModel((writeFileSync(join(files.dir, 'm.keras'), 'PK'), join(files.dir, 'm.keras')), 'x', SEQ_PRE), 'INVALID_DATA', /not a readable zip archive \(no end-of-central-directory record\)/],
      ['zip without weights', async () => importModel((writeZip(join(files.dir, 'c.keras'), { 'config.json': Buffer.from('{}') }), join(files.dir, 'c.keras')), 'x', SEQ_PRE), 'INVALID_DATA', /zip without model\.weights\.h5/],
    ];
    for (const [what, promise, code, message] of cases) {
      await expect(promise(), what).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    }
    expect((wb.db.prepare('SELECT count(*) AS n FROM external_models').get() as { n: number }).n).toBe(before.models);
    expect((wb.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n).toBe(before.runs);
    expect(readdirSync(wb.home.models).sort()).toEqual(before.dirs);
  });

  it('runs.delete of an external run removes the model row and its stored copy, freeing the name', async () => {
    const [first] = await call(handlers, wb, 'models.list', {});
    expect(existsSync(first!.path)).toBe(true);
    await call(handlers, wb, 'runs.delete', { runId: first!.runId });
    expect((await call(handlers, wb, 'models.list', {})).map((m) => m.name)).not.toContain(first!.name);
    expect(existsSync(first!.path)).toBe(false);
    expect(wb.db.prepare('SELECT 1 FROM external_models WHERE id = ?').get(first!.id)).toBeUndefined();
  });
});
