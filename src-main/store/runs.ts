import type { EpochMetrics, ModelName, RunDetail, RunStatus, RunSummary, TrainConfig } from '../../src-shared/contract/runs';
import { trainConfigSchema } from '../../src-shared/contract/runs';
import type { BackendName } from '../../src-shared/contract/system';
import { AppError, fieldError } from '../../src-shared/errors';
import { NUM_CLASSES } from '../../src-shared/labels';
import type { Workbench } from '../context';
import { externalForRun } from './external-models';
import type { ReadableDb } from './readable-db';

/**
 * The runs repository (moved here from trainer/, #18): every SQL the runs queue and service need (runDetail reads
 * an external run's model from the external-models repository beside it).
 * Metrics rows: one per (epoch, role, name) with step 0, roles
 * 'train' (loss, acc, lr, img_per_s, seconds), 'val' (loss, acc) and 'test' (loss, acc of the best weights,
 * at the best epoch). Confusions carry the FER split name ('PublicTest', …).
 */
interface RunRow {
  id: number;
  name: string;
  dataset_id: number;
  dataset_name: string;
  model: string;
  config_json: string;
  seed: number;
  group_id: string | null;
  backend: string | null;
  backend_reason: string | null;
  code_version: string;
  status: RunStatus;
  epochs_done: number;
  best_epoch: number | null;
  best_val_loss: number | null;
  best_val_acc: number | null;
  pid: number | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const SELECT = `SELECT r.*, d.name AS dataset_name FROM runs r JOIN datasets d ON d.id = r.dataset_id`;
export const TERMINAL: readonly RunStatus[] = ['stopped', 'completed', 'failed'];

export const nowIso = (): string => new Date().toISOString();

function toSummary(r: RunRow): RunSummary {
  const cfg = JSON.parse(r.config_json) as TrainConfig;
  const end = r.finished_at ? Date.parse(r.finished_at) : r.started_at ? Date.now() : null;
  return {
    id: r.id,
    name: r.name,
    datasetId: r.dataset_id,
    datasetName: r.dataset_name,
    model: r.model as ModelName | 'external',
    status: r.status,
    seed: r.seed,
    backend: r.backend as BackendName | null,
    backendReason: r.backend_reason,
    epochsDone: r.epochs_done,
    epochs: r.model === 'external' ? 0 : cfg.epochs,
    bestValAcc: r.best_val_acc,
    bestValLoss: r.best_val_loss,
    bestEpoch: r.best_epoch,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationSec: r.started_at && end !== null ? Math.max(0, (end - Date.parse(r.started_at)) / 1000) : null,
    error: r.error,
    groupId: r.group_id,
  };
}

function row(wb: Workbench, id: number): RunRow {
  const r = wb.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
  if (!r) throw new AppError('NOT_FOUND', `Run ${id} does not exist. \`fer runs\` lists them.`);
  return r;
}

export function runSummary(wb: Workbench, id: number): RunSummary {
  return toSummary(row(wb, id));
}

export function runConfig(wb: Workbench, id: number): TrainConfig {
  const r = row(wb, id);
  if (r.model === 'external') throw new AppError('INVALID_INPUT', `Run ${id} is an external model ("${r.name}"), imported rather than trained: it has no training config.`);
  return trainConfigSchema.parse(JSON.parse(r.config_json));
}

export function runPid(wb: Workbench, id: number): number | null {
  return row(wb, id).pid;
}

export function listRuns(wb: Workbench): RunSummary[] {
  return (wb.db.prepare(`${SELECT} ORDER BY r.id DESC`).all() as RunRow[]).map(toSummary);
}

export interface NewRun {
  name: string;
  datasetId: number;
  config: TrainConfig;
  groupId: string | null;
  codeVersion: string;
}

export function insertRun(wb: Workbench, run: NewRun): number {
  const info = wb.db
    .prepare(
      `INSERT INTO runs (name, dataset_id, model, config_json, seed, group_id, code_version, status, pid, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
    )
    .run(run.name, run.datasetId, run.config.model, JSON.stringify(run.config), run.config.seed, run.groupId, run.codeVersion, process.pid, nowIso());
  return Number(info.lastInsertRowid);
}

/** Several runs (a batch of replicates or folds) in one transaction: all are stored or none; ids in order. */
export function insertRuns(wb: Workbench, runs: readonly NewRun[]): number[] {
  return wb.db.transaction(() => runs.map((run) => insertRun(wb, run)))();
}

type Patch = Partial<Pick<RunRow, 'status' | 'backend' | 'backend_reason' | 'pid' | 'error' | 'started_at' | 'finished_at' | 'epochs_done' | 'best_epoch' | 'best_val_loss' | 'best_val_acc'>>;

export function patchRun(wb: Workbench, id: number, patch: Patch): void {
  const keys = Object.keys(patch) as (keyof Patch)[];
  if (!keys.length) return;
  wb.db.prepare(`UPDATE runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
}

/**
 * A run's name and/or notes (runs.update), at any status: neither changes what the run trains. The notes live in the
 * stored config (config.notes), so only that field of its JSON is replaced, in the same statement as the name. A run
 * without a training config (an external model) has no notes to set. Unknown run: NOT_FOUND.
 */
export function updateRunMeta(wb: Workbench, id: number, meta: { name?: string; notes?: string }): void {
  const r = row(wb, id);
  if (meta.notes !== undefined && r.model === 'external') {
    throw fieldError('INVALID_INPUT', 'notes', `Run ${id} is an external model ("${r.name}"), imported rather than trained: it has no training config to hold notes.`);
  }
  wb.db
    .prepare(
      `UPDATE runs SET name = COALESCE(@name, name),
         config_json = CASE WHEN @notes IS NULL THEN config_json ELSE json_set(config_json, '$.notes', @notes) END
       WHERE id = @id`,
    )
    .run({ id, name: meta.name ?? null, notes: meta.notes ?? null });
}

function confusionBlob(matrix: ArrayLike<number>): Buffer {
  if (matrix.length !== NUM_CLASSES * NUM_CLASSES) throw new Error(`confusion matrix must have ${NUM_CLASSES * NUM_CLASSES} cells`);
  const buf = Buffer.alloc(matrix.length * 4);
  for (let i = 0; i < matrix.length; i++) buf.writeInt32LE(matrix[i]!, i * 4);
  return buf;
}

function writeEpoch(wb: Workbench, runId: number, m: EpochMetrics, confusion: ArrayLike<number> | null, valSplit: string | null): void {
  const put = wb.db.prepare(`INSERT OR REPLACE INTO metrics (run_id, epoch, step, split, name, value) VALUES (?, ?, 0, ?, ?, ?)`);
  put.run(runId, m.epoch, 'train', 'loss', m.loss);
  put.run(runId, m.epoch, 'train', 'acc', m.acc);
  put.run(runId, m.epoch, 'train', 'lr', m.lr);
  put.run(runId, m.epoch, 'train', 'img_per_s', m.imgPerSec);
  put.run(runId, m.epoch, 'train', 'seconds', m.seconds);
  if (m.valLoss !== null) put.run(runId, m.epoch, 'val', 'loss', m.valLoss);
  if (m.valAcc !== null) put.run(runId, m.epoch, 'val', 'acc', m.valAcc);
  if (confusion && valSplit) {
    wb.db.prepare('DELETE FROM confusions WHERE run_id = ? AND epoch = ? AND split = ?').run(runId, m.epoch, valSplit);
    wb.db.prepare('INSERT INTO confusions (run_id, epoch, split, matrix) VALUES (?, ?, ?, ?)').run(runId, m.epoch, valSplit, confusionBlob(confusion));
  }
}

/** One epoch's metrics, confusion and progress counters, in one transaction. */
export function recordEpoch(wb: Workbench, runId: number, m: EpochMetrics, confusion: ArrayLike<number> | null, isBest: boolean, valSplit: string | null): void {
  wb.db.transaction(() => {
    writeEpoch(wb, runId, m, confusion, valSplit);
    const best = isBest ? { best_epoch: m.epoch, best_val_loss: m.valLoss ?? m.loss, best_val_acc: m.valAcc } : {};
    patchRun(wb, runId, { epochs_done: m.epoch, ...best });
  })();
}

/**
 * On resume, the checkpoint's own history is the truth: rows for later epochs (trained after that
 * checkpoint, then lost to a kill) go, and any the parent missed come back.
 */
export function resyncHistory(wb: Workbench, runId: number, history: (EpochMetrics & { confusion: number[] | null })[], valSplit: string | null): void {
  wb.db.transaction(() => {
    wb.db.prepare(`DELETE FROM metrics WHERE run_id = ?`).run(runId);
    wb.db.prepare(`DELETE FROM confusions WHERE run_id = ?`).run(runId);
    let best: EpochMetrics | null = null;
    for (const m of history) {
      writeEpoch(wb, runId, m, m.confusion, valSplit);
      if (!best || (m.valLoss ?? m.loss) < (best.valLoss ?? best.loss)) best = m;
    }
    patchRun(wb, runId, { epochs_done: history.length ? history[history.length - 1]!.epoch : 0, best_epoch: best?.epoch ?? null, best_val_loss: best ? (best.valLoss ?? best.loss) : null, best_val_acc: best?.valAcc ?? null });
  })();
}

export function recordTest(wb: Workbench, runId: number, epoch: number, split: string, loss: number, acc: number, confusion: ArrayLike<number>): void {
  wb.db.transaction(() => {
    const put = wb.db.prepare(`INSERT OR REPLACE INTO metrics (run_id, epoch, step, split, name, value) VALUES (?, ?, 0, 'test', ?, ?)`);
    put.run(runId, epoch, 'loss', loss);
    put.run(runId, epoch, 'acc', acc);
    wb.db.prepare('DELETE FROM confusions WHERE run_id = ? AND epoch = ? AND split = ?').run(runId, epoch, split);
    wb.db.prepare('INSERT INTO confusions (run_id, epoch, split, matrix) VALUES (?, ?, ?, ?)').run(runId, epoch, split, confusionBlob(confusion));
  })();
}

/** One artifacts row per (run, which): the folder is rewritten in place each epoch. */
export function recordCheckpoint(wb: Workbench, runId: number, which: 'best' | 'last', epoch: number, path: string): void {
  wb.db.transaction(() => {
    wb.db.prepare(`DELETE FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' AND json_extract(meta_json, '$.which') = ?`).run(runId, which);
    wb.db
      .prepare(`INSERT INTO artifacts (run_id, kind, epoch, path, meta_json, created_at) VALUES (?, 'checkpoint', ?, ?, ?, ?)`)
      .run(runId, epoch, path, JSON.stringify({ which }), nowIso());
  })();
}

/** The folder recordCheckpoint last recorded for the run's `which` checkpoint, if any. */
export function checkpointPath(db: ReadableDb, runId: number, which: 'best' | 'last'): string | undefined {
  const art = db
    .prepare(`SELECT path FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' AND json_extract(meta_json, '$.which') = ? ORDER BY id DESC LIMIT 1`)
    .get(runId, which) as { path: string } | undefined;
  return art?.path;
}

export function epochHistory(wb: Workbench, runId: number): EpochMetrics[] {
  const rows = wb.db.prepare(`SELECT epoch, split, name, value FROM metrics WHERE run_id = ? AND step = 0 AND split IN ('train', 'val') ORDER BY epoch`).all(runId) as {
    epoch: number;
    split: string;
    name: string;
    value: number;
  }[];
  const byEpoch = new Map<number, EpochMetrics>();
  for (const r of rows) {
    let m = byEpoch.get(r.epoch);
    if (!m) byEpoch.set(r.epoch, (m = { epoch: r.epoch, loss: NaN, acc: NaN, valLoss: null, valAcc: null, lr: NaN, imgPerSec: NaN, seconds: NaN }));
    const key = `${r.split}.${r.name}`;
    if (key === 'train.loss') m.loss = r.value;
    else if (key === 'train.acc') m.acc = r.value;
    else if (key === 'train.lr') m.lr = r.value;
    else if (key === 'train.img_per_s') m.imgPerSec = r.value;
    else if (key === 'train.seconds') m.seconds = r.value;
    else if (key === 'val.loss') m.valLoss = r.value;
    else if (key === 'val.acc') m.valAcc = r.value;
  }
  return [...byEpoch.values()];
}

export function runDetail(wb: Workbench, id: number): RunDetail {
  const r = row(wb, id);
  const checkpoints = (
    wb.db.prepare(`SELECT epoch, path, meta_json, created_at FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' ORDER BY id`).all(id) as {
      epoch: number;
      path: string;
      meta_json: string;
      created_at: string;
    }[]
  ).map((a) => ({ epoch: a.epoch, kind: (JSON.parse(a.meta_json) as { which: 'best' | 'last' }).which, path: a.path, createdAt: a.created_at }));
  const external = externalForRun(wb, id);
  const config = external ? null : trainConfigSchema.parse(JSON.parse(r.config_json));
  return { run: toSummary(r), config, external, codeVersion: r.code_version, epochs: epochHistory(wb, id), checkpoints };
}

/** What resuming a failed run will do: go on from its last finished epoch, or start over when it finished none. */
export function resumeHint(wb: Workbench, runId: number): string {
  const row = wb.db.prepare('SELECT epochs_done FROM runs WHERE id = ?').get(runId) as { epochs_done: number } | undefined;
  const done = row?.epochs_done ?? 0;
  return done > 0 ? `resume it to continue from its last checkpoint (epoch ${done})` : 'it finished no epoch, so resuming starts again at epoch 1';
}

/** Runs a dead process left 'queued', 'running' or 'stopping' can never finish: fail them with the reason. */
export function failOrphans(wb: Workbench, isAlive: (pid: number) => boolean): number[] {
  const rows = wb.db.prepare(`SELECT id, pid, status FROM runs WHERE status IN ('queued', 'running', 'stopping')`).all() as { id: number; pid: number | null; status: RunStatus }[];
  const dead = rows.filter((r) => r.pid === null || (r.pid !== process.pid && !isAlive(r.pid)));
  for (const r of dead) {
    patchRun(wb, r.id, {
      status: 'failed',
      error: `The process that owned this run (pid ${r.pid ?? '?'}) exited while the run was ${r.status}; ${resumeHint(wb, r.id)}.`,
      finished_at: nowIso(),
    });
  }
  return dead.map((r) => r.id);
}

/**
 * One run's stored columns, for the evaluation jobs that read a run without its dataset's name (a run of any
 * model, external ones included: `config_json` is `{}`-like for those, the caller decides what it means).
 */
export interface StoredRun {
  id: number;
  name: string;
  status: string;
  dataset_id: number;
  model: string;
  config_json: string;
  seed: number;
  group_id: string | null;
  backend: string | null;
  best_epoch: number | null;
  started_at: string | null;
  finished_at: string | null;
}

const STORED_RUN = 'SELECT id, name, status, dataset_id, model, config_json, seed, group_id, backend, best_epoch, started_at, finished_at FROM runs';

export function storedRun(db: ReadableDb, id: number): StoredRun | undefined {
  return db.prepare(`${STORED_RUN} WHERE id = ?`).get(id) as StoredRun | undefined;
}

/** The runs queued together as one group (a k-fold cross-validation), oldest first. */
export function runsInGroup(db: ReadableDb, groupId: string): StoredRun[] {
  return db.prepare(`${STORED_RUN} WHERE group_id = ? ORDER BY id`).all(groupId) as StoredRun[];
}

/** storedRun, or NOT_FOUND naming the run. */
export function requireStoredRun(db: ReadableDb, id: number): StoredRun {
  const run = storedRun(db, id);
  if (!run) throw new AppError('NOT_FOUND', `Run ${id} does not exist.`);
  return run;
}

export function runExists(db: ReadableDb, id: number): boolean {
  return !!db.prepare('SELECT 1 FROM runs WHERE id = ?').get(id);
}

/** The runs whose models an ensemble's members evaluated (members that are ensembles themselves add none). */
export function ensembleMemberRuns(db: ReadableDb, ensembleId: number): StoredRun[] {
  return db
    .prepare(
      `SELECT r.id, r.name, r.status, r.dataset_id, r.model, r.config_json, r.seed, r.group_id, r.backend, r.best_epoch, r.started_at, r.finished_at
       FROM ensemble_members m JOIN evaluations e ON e.id = m.evaluation_id
       JOIN runs r ON r.id = e.run_id WHERE m.ensemble_id = ? ORDER BY r.id`,
    )
    .all(ensembleId) as StoredRun[];
}
