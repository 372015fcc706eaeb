import { existsSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { runsInvoke, type RunSummary, type TrainConfig } from '../../src-shared/contract/runs';
import { AppError, fieldDetails, fieldError, fieldIssues } from '../../src-shared/errors';
import type { Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { resolveDataset } from '../data/packed-store';
import { excludedInSplit, resolveRevision } from '../data/revisions';
import { checkpointDir, readableDir, runDir } from '../engine/checkpoint';
import { deleteExternalRun } from '../engine/external/catalog';
import { getModel } from '../engine/models/index';
import { MODEL_PRESETS } from '../engine/models/presets';
import { readState } from '../engine/train';
import { resolveWeights } from '../trainer/data';
import { queueFor } from '../trainer/queue';
import { TERMINAL, insertRun, listRuns, nowIso, patchRun, runConfig, runDetail, runSummary } from '../store/runs';
import { appVersion } from './system';
import type { HandlersFor } from './types';

export function splitCount(wb: Workbench, datasetId: number, split: string): number {
  return (wb.db.prepare('SELECT count(*) AS n FROM samples WHERE dataset_id = ? AND split = ?').get(datasetId, split) as { n: number }).n;
}

/** Runs a lookup of one config field; an AppError it throws comes out about `config.<field>` (the message as it was). */
function lookup<T>(field: keyof TrainConfig, find: () => T): T {
  try {
    return find();
  } catch (err) {
    if (err instanceof AppError && !fieldIssues(err.details).length) throw new AppError(err.code, err.message, fieldDetails(`config.${field}`, err.message));
    throw err;
  }
}

/**
 * Everything about a config that needs the workbench (the schema already checked ranges and names). Returns
 * the config to store: `weights` given by name becomes the import's id, because the id carries the layer
 * naming (and so the input normalisation and base depth) the model reads from it, and names can be reused.
 */
export function validateConfig(wb: Workbench, input: TrainConfig): { datasetId: number; datasetName: string; config: TrainConfig } {
  const ds = lookup('dataset', () => resolveDataset(wb, input.dataset));
  const def = getModel(input.model);
  if (input.inputSize < def.minInputSize) {
    throw fieldError('INVALID_INPUT', 'config.inputSize', `${input.model} needs inputs of at least ${def.minInputSize}×${def.minInputSize}, got ${input.inputSize}.`);
  }
  const ref = input.weights;
  const weights = ref === null ? null : lookup('weights', () => resolveWeights(wb, ref));
  const revision = input.revision === null ? null : configRevision(wb, input.revision, ds);
  const cfg: TrainConfig = { ...input, ...(weights?.id ? { weights: weights.id } : {}), ...(revision ? { revision: revision.id } : {}) };
  // Architecture-dependent limits (freeze beyond the pretrained base, input below the pooling depth, weights
  // for another architecture) are the model's own checks: run them now, so a bad config is refused here
  // instead of queueing a run that fails when its trainer builds the model.
  try {
    def.inputSpec(cfg);
    def.checkAvailable?.();
  } catch (err) {
    // The model names the field its check is about (freeze, inputSize, weights) in the error's details.
    if (!(err instanceof AppError)) throw err;
    const own = fieldIssues(err.details)[0];
    throw own ? fieldError(err.code, `config.${own.field}`, own.message) : new AppError(err.code, `config: ${err.message}`);
  }
  if (cfg.valSplit !== null && cfg.valSplit === cfg.trainSplit) {
    throw fieldError('INVALID_INPUT', 'config.valSplit', `validating on the training split (${cfg.trainSplit}) would measure memorisation; choose another split or null.`);
  }
  // A revision's exclusions are faces the run will not see: the batch and the splits are checked without them.
  const faces = (split: string) => splitCount(wb, ds.id, split) - (revision ? excludedInSplit(wb.db, revision.id, split as Split) : 0);
  const total = faces(cfg.trainSplit);
  const n = cfg.limitTrain === null ? total : Math.min(total, cfg.limitTrain);
  if (n === 0) throw fieldError('INVALID_INPUT', 'config.trainSplit', `dataset "${ds.name}" has no ${cfg.trainSplit} samples to train on.`);
  if (cfg.batch > n) {
    throw fieldError('INVALID_INPUT', 'config.batch', `batch ${cfg.batch} is larger than the ${n} training samples of dataset "${ds.name}" (${cfg.trainSplit}${cfg.limitTrain !== null ? `, limitTrain ${cfg.limitTrain}` : ''}).`);
  }
  if (cfg.valSplit !== null && faces(cfg.valSplit) === 0) {
    throw fieldError('INVALID_INPUT', 'config.valSplit', `dataset "${ds.name}" has no ${cfg.valSplit} samples; train without validation (valSplit null; in the CLI --val-split none).`);
  }
  return { datasetId: ds.id, datasetName: ds.name, config: cfg };
}

/** config.revision: a revision (id or name) of the config's own dataset; stored as its id. */
function configRevision(wb: Workbench, ref: string | number, ds: { id: number; name: string }): { id: number; name: string } {
  let rev;
  try {
    rev = resolveRevision(wb.db, ref);
  } catch (err) {
    if (err instanceof AppError) throw fieldError(err.code, 'config.revision', err.message);
    throw err;
  }
  if (rev.dataset_id !== ds.id) {
    const other = resolveDataset(wb, rev.dataset_id);
    throw fieldError('INVALID_INPUT', 'config.revision', `revision "${rev.name}" revises dataset "${other.name}", not "${ds.name}", the dataset this run trains on.`);
  }
  return rev;
}

function createRuns(wb: Workbench, input: TrainConfig, replicates: number, name: string | undefined): RunSummary[] {
  const { datasetId, datasetName, config } = validateConfig(wb, input);
  const groupId = replicates > 1 ? randomUUID() : null;
  const revisionName = config.revision === null ? null : resolveRevision(wb.db, config.revision).name;
  const base = name?.trim() || `${config.model} on ${datasetName}${revisionName === null ? '' : ` (revision ${revisionName})`}`;
  const ids = wb.db.transaction(() =>
    Array.from({ length: replicates }, (_, i) => {
      // Replicates differ only in their seed; the group id ties them together for mean ± sd.
      const cfg = { ...config, seed: config.seed + i };
      const runName = replicates > 1 ? `${base} #${i + 1} (seed ${cfg.seed})` : base;
      return insertRun(wb, { name: runName, datasetId, config: cfg, groupId, codeVersion: appVersion() });
    }),
  )();
  const queue = queueFor(wb);
  for (const id of ids) queue.enqueue(id, false);
  return ids.map((id) => runSummary(wb, id));
}

export function resumeRun(wb: Workbench, runId: number): RunSummary {
  const s = runSummary(wb, runId);
  const queue = queueFor(wb);
  if (queue.isActive(runId) || !TERMINAL.includes(s.status)) throw new AppError('CONFLICT', `Run ${runId} is ${s.status}; only a stopped or failed run can be resumed.`);
  if (s.status === 'completed') throw new AppError('CONFLICT', `Run ${runId} already completed all its epochs.`);
  const last = checkpointDir(wb.home.runs, runId, 'last');
  const hasCheckpoint = existsSync(readableDir(last));
  if (hasCheckpoint) {
    try {
      readState(last);
    } catch (err) {
      const msg = err instanceof AppError ? err.message : String(err);
      patchRun(wb, runId, { status: 'failed', error: `[CHECKPOINT_CORRUPT] ${msg}`, finished_at: nowIso() });
      wb.events.emit('run.status', runSummary(wb, runId));
      throw err;
    }
  }
  validateConfig(wb, runConfig(wb, runId));
  patchRun(wb, runId, { status: 'queued', error: null, finished_at: null, pid: process.pid });
  queue.enqueue(runId, hasCheckpoint);
  return runSummary(wb, runId);
}

export const runsHandlers: HandlersFor<typeof runsInvoke> = {
  'runs.create': (args, wb) => createRuns(wb, args.config, args.replicates, args.name),
  'runs.list': (_args, wb) => {
    queueFor(wb); // first use in a process: fail runs a dead process left behind
    return listRuns(wb);
  },
  'runs.get': (args, wb) => {
    queueFor(wb);
    return runDetail(wb, args.runId);
  },
  'runs.stop': (args, wb) => queueFor(wb).stop(args.runId),
  'runs.resume': (args, wb) => resumeRun(wb, args.runId),
  'runs.delete': (args, wb) => {
    const s = runSummary(wb, args.runId);
    if (queueFor(wb).isActive(args.runId) || !TERMINAL.includes(s.status)) {
      throw new AppError('CONFLICT', `Run ${args.runId} is ${s.status}; stop it before deleting it.`);
    }
    deleteExternalRun(wb, args.runId);
    rmSync(runDir(wb.home.runs, args.runId), { recursive: true, force: true });
    return { deleted: true as const };
  },
  'models.presets': () => MODEL_PRESETS,
};

