import { existsSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { runsInvoke, type RunSummary, type TrainConfig } from '../../src-shared/contract/runs';
import { tapsLayers } from '../../src-shared/contract/backbones';
import { AppError, fieldDetails, fieldError, fieldIssues } from '../../src-shared/errors';
import type { Split } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { resolveDataset } from '../data/packed-store';
import { heldOutIds } from '../data/folds';
import { resolveRevision } from '../data/revisions';
import { checkpointDir, checkpointExists, readableDir, runCheckpointDir, runDir } from '../engine/checkpoint';
import { deleteExternalRun } from '../engine/external/catalog';
import { getModel } from '../engine/models/index';
import { MODEL_PRESETS } from '../engine/models/presets';
import { readState } from '../engine/train';
import { resolveWeights } from '../trainer/data';
import { queueFor } from '../trainer/queue';
import { TERMINAL, insertRuns, listRuns, nowIso, patchRun, runConfig, runDetail, runSummary, updateRunMeta } from '../store/runs';
import { excludedInSplit, revisionLabels } from '../store/revisions';
import { splitSize } from '../store/samples';
import { appVersion } from './system';
import type { HandlersFor } from './types';

export function splitCount(wb: Workbench, datasetId: number, split: string): number {
  return splitSize(wb.db, datasetId, split);
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
export function validateConfig(wb: Workbench, input: TrainConfig, opts: { initFrom: boolean } = { initFrom: true }): { datasetId: number; datasetName: string; config: TrainConfig } {
  const ds = lookup('dataset', () => resolveDataset(wb, input.dataset));
  const def = getModel(input.model);
  if (input.inputSize < def.minInputSize) {
    throw fieldError('INVALID_INPUT', 'config.inputSize', `${input.model} needs inputs of at least ${def.minInputSize}×${def.minInputSize}, got ${input.inputSize}.`);
  }
  if (tapsLayers(input.features) && !def.multilevel) {
    throw fieldError('INVALID_INPUT', 'config.features', `features '${input.features}' is offered for pretrained face bases that tap intermediate layers (faceres), not ${input.model}. Use 'final'.`);
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
  if (cfg.initFrom !== null && opts.initFrom) checkInitFrom(wb, cfg, cfg.initFrom);
  if (cfg.monitor === 'valAcc' && cfg.valSplit === null) {
    throw fieldError('INVALID_INPUT', 'config.monitor', 'monitor valAcc needs a validation split to measure accuracy on: choose valSplit, or monitor valLoss (then the training loss is followed).');
  }
  if (cfg.valSplit !== null && cfg.valSplit === cfg.trainSplit) {
    throw fieldError('INVALID_INPUT', 'config.valSplit', `validating on the training split (${cfg.trainSplit}) would measure memorisation; choose another split or null.`);
  }
  // A revision's exclusions are faces the run will not see: the batch and the splits are checked without them.
  const faces = (split: string) => splitCount(wb, ds.id, split) - (revision ? excludedInSplit(wb.db, revision.id, split as Split) : 0);
  // A fold run trains without its held-out fold; a face both held out and excluded by the revision is missing once.
  const heldOut = cfg.fold ? heldOutIds(wb.db, ds.id, cfg.trainSplit, cfg.fold.k, cfg.fold.index) : new Set<number>();
  const excludedAndHeldOut = revision && heldOut.size ? [...revisionLabels(wb.db, revision.id)].filter(([id, label]) => label === null && heldOut.has(id)).length : 0;
  const total = faces(cfg.trainSplit) - heldOut.size + excludedAndHeldOut;
  const n = cfg.limitTrain === null ? total : Math.min(total, cfg.limitTrain);
  if (n === 0) throw fieldError('INVALID_INPUT', cfg.fold ? 'config.fold' : 'config.trainSplit', `dataset "${ds.name}" has no ${cfg.trainSplit} samples to train on${cfg.fold ? ` outside fold ${cfg.fold.index} of ${cfg.fold.k}` : ''}.`);
  if (cfg.batch > n) {
    const limits = [cfg.trainSplit, ...(cfg.fold ? [`without fold ${cfg.fold.index} of ${cfg.fold.k}`] : []), ...(cfg.limitTrain !== null ? [`limitTrain ${cfg.limitTrain}`] : [])].join(', ');
    throw fieldError('INVALID_INPUT', 'config.batch', `batch ${cfg.batch} is larger than the ${n} training samples of dataset "${ds.name}" (${limits}).`);
  }
  if (cfg.valSplit !== null && faces(cfg.valSplit) === 0) {
    throw fieldError('INVALID_INPUT', 'config.valSplit', `dataset "${ds.name}" has no ${cfg.valSplit} samples; train without validation (valSplit null; in the CLI --val-split none).`);
  }
  return { datasetId: ds.id, datasetName: ds.name, config: cfg };
}

/** The config fields that set a model's layers and weight shapes: a warm start's source run must share them. */
const ARCHITECTURE_FIELDS = ['model', 'features', 'inputSize', 'channels', 'hidden'] as const;

/**
 * config.initFrom: a trained run (not an external model) with a best checkpoint on disk, of the same architecture.
 * The trainer checks every layer again when it copies the weights; this refuses what the configs already tell.
 */
function checkInitFrom(wb: Workbench, cfg: TrainConfig, runId: number): void {
  let source: TrainConfig;
  try {
    source = runConfig(wb, runId);
  } catch (err) {
    // No such run (NOT_FOUND), or an external model, which has no training config and no trainer checkpoint.
    if (err instanceof AppError) throw fieldError(err.code, 'config.initFrom', err.message);
    throw err;
  }
  if (!checkpointExists(runCheckpointDir(wb, runId, 'best'))) {
    const { status } = runSummary(wb, runId);
    throw fieldError('INVALID_INPUT', 'config.initFrom', `run ${runId} (${status}) has no best checkpoint to start from: it finished no epoch, or its checkpoints were removed.`);
  }
  for (const field of ARCHITECTURE_FIELDS) {
    if (source[field] !== cfg[field]) {
      const show = (v: unknown) => JSON.stringify(v);
      throw fieldError('INVALID_INPUT', 'config.initFrom', `run ${runId} has ${field} ${show(source[field])} but this run has ${field} ${show(cfg[field])}: a warm start needs the same architecture (${ARCHITECTURE_FIELDS.join(', ')}).`);
    }
  }
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
  if (rev.datasetId !== ds.id) {
    const other = resolveDataset(wb, rev.datasetId);
    throw fieldError('INVALID_INPUT', 'config.revision', `revision "${rev.name}" revises dataset "${other.name}", not "${ds.name}", the dataset this run trains on.`);
  }
  return rev;
}

/**
 * The configs runs.create queues: `replicates` seeds of the config, or with `folds` K, the K runs of a k-fold
 * cross-validation (same seed, run i holding out fold i), each validated as it will be stored.
 */
function configsToCreate(input: TrainConfig, replicates: number, folds: number | undefined): { cfg: TrainConfig; suffix: string }[] {
  if (folds === undefined) return Array.from({ length: replicates }, (_, i) => ({ cfg: { ...input, seed: input.seed + i }, suffix: ` #${i + 1} (seed ${input.seed + i})` }));
  if (input.fold !== null) throw fieldError('INVALID_INPUT', 'folds', `folds ${folds} queues one run per fold itself; leave config.fold null (it is ${JSON.stringify(input.fold)}).`);
  if (replicates > 1) throw fieldError('INVALID_INPUT', 'folds', `folds and replicates cannot be combined: queue the ${folds} fold runs once per seed instead.`);
  return Array.from({ length: folds }, (_, i) => ({ cfg: { ...input, fold: { k: folds, index: i } }, suffix: ` fold ${i + 1}/${folds}` }));
}

function createRuns(wb: Workbench, input: TrainConfig, replicates: number, folds: number | undefined, name: string | undefined): RunSummary[] {
  const planned = configsToCreate(input, replicates, folds);
  // Every run is checked before any is stored: a fold too small for the batch refuses the whole set.
  const checked = planned.map((p) => ({ ...validateConfig(wb, p.cfg), suffix: p.suffix }));
  const { datasetId, datasetName, config } = checked[0]!;
  // Replicates differ only in their seed, fold runs only in their fold; the group id ties them together.
  const groupId = checked.length > 1 ? randomUUID() : null;
  const revisionName = config.revision === null ? null : resolveRevision(wb.db, config.revision).name;
  const base = name?.trim() || `${config.model} on ${datasetName}${revisionName === null ? '' : ` (revision ${revisionName})`}`;
  const ids = insertRuns(
    wb,
    checked.map((c) => ({ name: checked.length > 1 ? `${base}${c.suffix}` : base, datasetId, config: c.config, groupId, codeVersion: appVersion() })),
  );
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
  // A run with a checkpoint of its own no longer needs its initFrom run (which may have been deleted since).
  validateConfig(wb, runConfig(wb, runId), { initFrom: !hasCheckpoint });
  patchRun(wb, runId, { status: 'queued', error: null, finished_at: null, pid: process.pid });
  queue.enqueue(runId, hasCheckpoint);
  return runSummary(wb, runId);
}

/**
 * runs.update: a new name and/or notes, at any status (a running run included: its trainer never reads either back).
 * The run.status event carries the new summary, as every change of a run does, so open lists and run pages show it;
 * its status is unchanged, and the one other listener (a study's evaluator) only acts on what is still due.
 */
export function updateRun(wb: Workbench, runId: number, meta: { name?: string; notes?: string }): RunSummary {
  updateRunMeta(wb, runId, meta);
  const summary = runSummary(wb, runId);
  wb.events.emit('run.status', summary);
  return summary;
}

export const runsHandlers: HandlersFor<typeof runsInvoke> = {
  'runs.create': (args, wb) => createRuns(wb, args.config, args.replicates, args.folds, args.name),
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
  'runs.update': (args, wb) => updateRun(wb, args.runId, { name: args.name, notes: args.notes }),
  'models.presets': () => MODEL_PRESETS,
};

