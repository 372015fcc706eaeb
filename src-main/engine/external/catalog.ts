import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExternalModelInfo, ExternalPreprocess, InvokeParsedArgs } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { SPLITS } from '../../../src-shared/labels';
import type { Workbench } from '../../context';
import { deleteExternalRunRows, externalById, externalForRun, externalNameTaken, insertExternalModel } from '../../store/external-models';
import { loadSplit, resolveDataset } from '../../data/packed-store';
import { activateBackend, chooseBackend } from '../backend';
import { loadModelDir, saveModelDir, writeDirAtomic } from '../checkpoint';
import { prepareBatch } from '../input';
import type { InputSpec } from '../models/registry';
import { predictProbs, type Predictor } from '../predict';
import { buildModel } from './build';
import { graphArtifacts, graphParams, loadGraphDir } from './graph';
import { outputMapOf, resolveLabels } from './labels';
import { readExternal, type ExternalSource } from './read';

export function externalInputSpec(p: Omit<ExternalPreprocess, 'labels'>): InputSpec {
  return { size: p.inputSize, channels: p.channels, normalize: p.scale, ...(p.mean ? { mean: p.mean } : {}), ...(p.std ? { std: p.std } : {}) };
}

/** What evaluation needs to run an external model: the stored copy, its input spec and its output mapping. */
export async function loadExternalModel(info: ExternalModelInfo): Promise<{ model: Predictor; spec: InputSpec; outputMap: number[] }> {
  const model = info.format === 'tfjs-graph' ? await loadGraphDir(info.path) : await loadModelDir(info.path);
  return { model, spec: externalInputSpec(info.preprocess), outputMap: outputMapOf(info.preprocess.labels) };
}

async function buildPredictor(source: ExternalSource): Promise<Predictor> {
  if (source.kind === 'layers') return buildModel(source.topology, source.weights, source.file);
  try {
    return await tf.loadGraphModel(tf.io.fromMemory(graphArtifacts(source.json, source.weightSpecs, source.weightData)));
  } catch (err) {
    throw new AppError('INVALID_DATA', `${source.file}: TensorFlow.js cannot load this graph model: ${(err as Error).message}`);
  }
}

type StoredPreprocess = ExternalModelInfo['preprocess'];

const DRY_RUN_FACES = 8;

/**
 * A few of the dataset's faces through the same path evaluation takes (prepareBatch, then predictProbs with the
 * output mapping): a wrong declared input size or channel count fails here, before anything is stored. The
 * first pass learns the output width, which the declared label order must match.
 */
async function dryRun(wb: Workbench, datasetId: number, model: Predictor, spec: InputSpec, declared: readonly string[] | null): Promise<{ labels: string[]; outputs: number }> {
  const split = SPLITS.map((s) => loadSplit(wb, datasetId, s, { limit: DRY_RUN_FACES })).find((d) => d.n > 0);
  if (!split) throw new AppError('INVALID_INPUT', `Dataset ${datasetId} has no faces for the dry run.`);
  const prepare = (px: Uint8Array, n: number) => prepareBatch(px, n, spec);
  let outputs: number;
  try {
    outputs = tf.tidy(() => {
      const y = model.predict(prepare(split.pixels, split.n)) as tf.Tensor | tf.Tensor[];
      if (Array.isArray(y) || y.rank !== 2) throw new Error(`its output is ${Array.isArray(y) ? `${y.length} tensors` : `of shape [${y.shape.join(', ')}]`}, not one [batch, classes] tensor.`);
      return y.shape[1]!;
    });
  } catch (err) {
    const expects = model.inputs[0]?.shape ?? [];
    throw new AppError(
      'INVALID_INPUT',
      `Dry run on ${split.n} faces failed with the declared preprocessing (${spec.size}×${spec.size}, ${spec.channels} channel${spec.channels > 1 ? 's' : ''}): the model takes input [${expects.map((d) => (d === null || d === -1 ? 'batch' : d)).join(', ')}]. ${(err as Error).message}`,
    );
  }
  const labels = resolveLabels(declared, outputs);
  const probs = await predictProbs(model, split.pixels, split.n, { prepare, batch: DRY_RUN_FACES, outputMap: outputMapOf(labels) });
  if (!probs.every(Number.isFinite)) throw new AppError('INVALID_INPUT', `Dry run on ${split.n} faces gave non-finite outputs (NaN or infinity); check the declared scaling.`);
  return { labels, outputs };
}

/**
 * models.import: reads the file, builds the model and loads every weight, dry-runs it on a few faces (which also
 * checks the label mapping against the output width), then stores a copy — tfjs layers, or the graph model as
 * it came — (written to a temp folder and renamed) and, in one transaction, the model row and the completed run
 * that stands for it. Any failure leaves neither.
 */
export async function importExternalModel(wb: Workbench, args: InvokeParsedArgs<'models.import'>, codeVersion: string): Promise<ExternalModelInfo> {
  const dataset = resolveDataset(wb, args.dataset);
  if (externalNameTaken(wb.db, args.name)) {
    throw new AppError('ALREADY_EXISTS', `An external model named "${args.name}" already exists; choose another name.`);
  }
  const source = await readExternal(args.path, wb.home.tmp);
  const backend = await chooseBackend(null);
  await activateBackend(backend.name, { xnnpack: 'all' });
  const model = await buildPredictor(source);
  try {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new AppError('INVALID_DATA', `${source.file}: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; a face classifier has one of each.`);
    }
    const spec = externalInputSpec(args.preprocess);
    const { labels, outputs } = await dryRun(wb, dataset.id, model, spec, args.preprocess.labels);
    const preprocess: StoredPreprocess = { ...args.preprocess, labels };

    const dir = join(wb.home.models, `${source.sha256.slice(0, 12)}-${Date.now().toString(36)}`);
    let params: number;
    if (source.kind === 'graph') {
      const json = JSON.stringify({ ...source.json, weightsManifest: [{ paths: ['weights.bin'], weights: source.weightSpecs }] });
      writeDirAtomic(dir, { 'model.json': json, 'weights.bin': new Uint8Array(source.weightData) });
      params = graphParams(source.weightSpecs);
    } else {
      await saveModelDir(model as tf.LayersModel, dir);
      params = (model as tf.LayersModel).countParams();
    }
    try {
      const id = insertExternalModel(wb.db, { name: args.name, format: source.format, file: source.file, sha256: source.sha256, dir, preprocess, params, outputs, datasetId: dataset.id, codeVersion });
      return externalById(wb, id)!;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  } finally {
    model.dispose();
  }
}

/**
 * runs.delete of an external model's run: the model row and its stored copy go with its last run, in one
 * transaction with the run row, so the name is free again and no folder is left behind.
 */
export function deleteExternalRun(wb: Workbench, runId: number): void {
  const info = externalForRun(wb, runId);
  if (deleteExternalRunRows(wb.db, runId, info?.id ?? null) && info) rmSync(info.path, { recursive: true, force: true });
}
