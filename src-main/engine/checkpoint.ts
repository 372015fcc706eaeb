import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainConfigSchema, type TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import type { ReadableWorkbench } from '../context';
import { diskFullReason, isDiskFull } from '../disk-full';
import { removeDeadTemps } from '../processes';
import { checkpointPath, requireStoredRun } from '../store/runs';
import { getModel, type InputSpec } from './models/index';

/** Checkpoint folders: `<home.runs>/<runId>/last` and `/best`. */
export type CheckpointWhich = 'best' | 'last';

export function runDir(runsRoot: string, runId: number): string {
  return join(runsRoot, String(runId));
}

export function checkpointDir(runsRoot: string, runId: number, which: CheckpointWhich): string {
  return join(runDir(runsRoot, runId), which);
}

/** Serialises a model to tfjs layers artifacts in memory (model.json content + one weights buffer). */
async function modelArtifacts(model: tf.LayersModel): Promise<{ json: string; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.weightData || !captured.weightSpecs) throw new Error('model.save produced no weights');
  const data = captured.weightData;
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  const json = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'fer-workbench',
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: captured.weightSpecs }],
  });
  return { json, weights: new Uint8Array(buffer) };
}

/**
 * Writes `files` as folder `dir` atomically: everything goes to a sibling temp folder first, then the old
 * folder is moved aside and the new one renamed in. A crash leaves either the old or the new folder (and
 * `readableDir` finds the moved-aside one if it crashed between the two renames).
 */
export function writeDirAtomic(dir: string, files: Record<string, Uint8Array | string>): void {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.tmp-`;
  const tmp = join(parent, `${prefix}${process.pid}-${Date.now()}`);
  const old = `${dir}.old`;
  // A trainer killed mid-write left its temp folder (a whole checkpoint's size); nobody else will remove it.
  removeDeadTemps(parent, prefix);
  try {
    mkdirSync(tmp, { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
    rmSync(old, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    const kept = existsSync(join(readableDir(dir), 'model.json')) ? '; the previous checkpoint is kept' : '';
    const why = isDiskFull(e) ? `${diskFullReason(dir)}${kept}. Free some space, then resume the run` : e.message;
    throw new AppError('IO_ERROR', `Cannot write checkpoint ${dir}: ${why}.`);
  }
}

/** The folder to read: `dir`, or its moved-aside copy when a crash fell between the two renames. */
export function readableDir(dir: string): string {
  if (existsSync(join(dir, 'model.json'))) return dir;
  if (existsSync(join(`${dir}.old`, 'model.json'))) return `${dir}.old`;
  return dir;
}

export async function saveModelDir(model: tf.LayersModel, dir: string, extra: Record<string, Uint8Array | string> = {}): Promise<void> {
  const { json, weights } = await modelArtifacts(model);
  writeDirAtomic(dir, { 'model.json': json, 'weights.bin': weights, ...extra });
}

/** A checkpoint file's bytes; missing or unreadable is CHECKPOINT_CORRUPT naming the path. */
export function readOrCorrupt(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint file ${file} is missing or unreadable (${e.code ?? e.message}).`);
  }
}

/** Loads a checkpoint folder; any bad or missing file is CHECKPOINT_CORRUPT naming the path. */
export async function loadModelDir(dirIn: string): Promise<tf.LayersModel> {
  const dir = readableDir(dirIn);
  const jsonFile = join(dir, 'model.json');
  let parsed: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    parsed = JSON.parse(readOrCorrupt(jsonFile).toString('utf8'));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint ${jsonFile} is not valid JSON: ${(err as Error).message}`);
  }
  const manifest = parsed.weightsManifest?.[0];
  if (!parsed.modelTopology || !manifest) throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint ${jsonFile} has no model topology or weights manifest.`);
  const weightsFile = join(dir, manifest.paths[0] ?? 'weights.bin');
  const bin = readOrCorrupt(weightsFile);
  const expected = manifest.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bin.length !== expected) {
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint ${weightsFile} holds ${bin.length} bytes but its manifest needs ${expected}.`);
  }
  try {
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer;
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: manifest.weights, weightData }));
  } catch (err) {
    throw new AppError('CHECKPOINT_CORRUPT', `Checkpoint ${dir} cannot be loaded: ${(err as Error).message}`);
  }
}

/** Named tensors as one buffer + specs: the optimizer's slots and the weight average are saved this way. */
export async function encodeTensors(named: { name: string; tensor: tf.Tensor }[]): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(named);
  const buf = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return { data: new Uint8Array(buf), specs };
}

/** What `encodeTensors` wrote, by name; bytes that do not decode are CHECKPOINT_CORRUPT naming `what` (e.g. the file). */
export function decodeTensors(data: Uint8Array, specs: tf.io.WeightsManifestEntry[], what: string): tf.NamedTensorMap {
  try {
    return tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer, specs);
  } catch (err) {
    throw new AppError('CHECKPOINT_CORRUPT', `${what} cannot be decoded: ${(err as Error).message}`);
  }
}

/** Optimizer slots (Adam moments, momentum buffers, iteration count) as one buffer + specs. */
export async function encodeOptimizer(opt: tf.Optimizer): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const named = await opt.getWeights();
  try {
    return await encodeTensors(named);
  } finally {
    // getWeights hands out the live slot variables plus freshly made scalars (the iteration count): free only those.
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

export async function restoreOptimizer(opt: tf.Optimizer, data: Uint8Array, specs: tf.io.WeightsManifestEntry[], file: string): Promise<void> {
  const map = decodeTensors(data, specs, `Optimizer state ${file}`);
  const list = specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  try {
    await opt.setWeights(list);
  } finally {
    for (const { tensor } of list) tensor.dispose();
  }
}

/** The model a run produced, its config and how to feed it — what evaluation needs. */
/** A run's stored training config. */
export function runConfig(wb: ReadableWorkbench, runId: number): TrainConfig {
  return trainConfigSchema.parse(JSON.parse(requireStoredRun(wb.db, runId).config_json));
}

/** A run's checkpoint folder: where the trainer reported it, else its place in the home (it may not exist). */
export function runCheckpointDir(wb: ReadableWorkbench, runId: number, which: CheckpointWhich): string {
  return checkpointPath(wb.db, runId, which) ?? checkpointDir(wb.home.runs, runId, which);
}

/** Whether a checkpoint folder holds a model (or its moved-aside copy does). */
export function checkpointExists(dir: string): boolean {
  return existsSync(join(readableDir(dir), 'model.json'));
}

export async function loadRunModel(wb: ReadableWorkbench, runId: number, which: CheckpointWhich): Promise<{ model: tf.LayersModel; config: TrainConfig; spec: InputSpec }> {
  const config = runConfig(wb, runId);
  const dir = runCheckpointDir(wb, runId, which);
  if (!existsSync(readableDir(dir))) throw new AppError('NOT_FOUND', `Run ${runId} has no '${which}' checkpoint (looked in ${dir}).`);
  const model = await loadModelDir(dir);
  return { model, config, spec: getModel(config.model).inputSpec(config) };
}
