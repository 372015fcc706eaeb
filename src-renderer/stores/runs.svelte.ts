import type { EpochMetrics, InvokeArgs, RunDetail, RunProgress, RunSummary } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText, fieldErrors } from '../lib/errors';

export const ACTIVE: RunSummary['status'][] = ['queued', 'running', 'stopping'];

/**
 * Every run, kept live: `run.status` replaces a row, `run.progress` records the latest batch, and `run.epoch`
 * appends each epoch's metrics so an open run page's curves grow without refetching.
 */
export class RunsStore {
  list = $state<RunSummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Latest progress event per run id. */
  live = $state<Record<number, RunProgress>>({});
  /** Epoch metrics that arrived as events, per run id (merged with runs.get's history on the run page). */
  liveEpochs = $state<Record<number, EpochMetrics[]>>({});

  constructor() {
    if (typeof window === 'undefined') return;
    api.on('run.status', (run) => this.upsert(run));
    api.on('run.progress', (p) => this.onProgress(p));
    api.on('run.epoch', (e) => this.onEpoch(e.runId, e.metrics));
  }

  async load(): Promise<void> {
    try {
      this.list = await api.invoke('runs.list', {});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  upsert(run: RunSummary): void {
    const i = this.list.findIndex((r) => r.id === run.id);
    if (i >= 0) this.list[i] = run;
    else this.list = [run, ...this.list];
  }

  private onProgress(p: RunProgress): void {
    this.live[p.runId] = p;
    const row = this.list.find((r) => r.id === p.runId);
    if (row && row.status === 'queued') row.status = 'running';
  }

  /** An epoch's metrics as the trainer recorded them (its clock, not the browser's), appended to the live curves. */
  private onEpoch(runId: number, metrics: EpochMetrics): void {
    // A new array each time: one assignment that every reader of this run's epochs sees.
    const list = (this.liveEpochs[runId] ?? []).filter((e) => e.epoch !== metrics.epoch);
    list.push(metrics);
    list.sort((a, b) => a.epoch - b.epoch);
    this.liveEpochs[runId] = list;
    const row = this.list.find((r) => r.id === runId);
    if (row) {
      row.epochsDone = Math.max(row.epochsDone, metrics.epoch);
      if (metrics.valAcc !== null && (row.bestValAcc === null || metrics.valAcc > row.bestValAcc)) row.bestValAcc = metrics.valAcc;
    }
  }

  async create(args: InvokeArgs<'runs.create'>): Promise<RunSummary[]> {
    const runs = await api.invoke('runs.create', args);
    for (const r of runs) this.upsert(r);
    return runs;
  }

  async stop(runId: number): Promise<void> {
    this.upsert(await api.invoke('runs.stop', { runId }));
  }

  /** A new name and/or notes (runs.update; the run.status event updates other windows the same way). */
  async update(args: InvokeArgs<'runs.update'>): Promise<RunSummary> {
    const run = await api.invoke('runs.update', args);
    this.upsert(run);
    return run;
  }
}

export const runsStore = new RunsStore();

/** One run page: the stored detail plus whatever epochs stream in after it was fetched. */
export class RunPageStore {
  detail = $state<RunDetail | null>(null);
  error = $state<string | null>(null);
  actionError = $state<string | null>(null);
  stopping = $state(false);
  /** The title's rename box: open or not, what is typed in it, a save in flight, and why the last save failed. */
  renaming = $state(false);
  nameDraft = $state('');
  savingName = $state(false);
  renameError = $state<string | null>(null);
  readonly runId: number;

  constructor(runId: number) {
    this.runId = runId;
  }

  /** The row from the live list wins over the fetched one: it is newer. (Getters: they read $state, so they stay reactive.) */
  get run(): RunSummary | null {
    return runsStore.list.find((r) => r.id === this.runId) ?? this.detail?.run ?? null;
  }
  get progress(): RunProgress | null {
    return runsStore.live[this.runId] ?? null;
  }
  get epochs(): EpochMetrics[] {
    return mergeEpochs(this.detail?.epochs ?? [], runsStore.liveEpochs[this.runId] ?? []);
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      this.detail = await api.invoke('runs.get', { runId: this.runId });
      runsStore.upsert(this.detail.run);
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.actionError = null;
    try {
      await runsStore.stop(this.runId);
    } catch (err) {
      this.actionError = errorText(err);
    } finally {
      this.stopping = false;
    }
  }

  startRename(): void {
    this.nameDraft = this.run?.name ?? '';
    this.renameError = null;
    this.renaming = true;
  }

  cancelRename(): void {
    this.renaming = false;
    this.renameError = null;
  }

  /** Saves the typed name; the service trims it and refuses a blank or too long one, and its message is shown. */
  async saveRename(): Promise<void> {
    if (this.savingName) return;
    this.savingName = true;
    this.renameError = null;
    try {
      await runsStore.update({ runId: this.runId, name: this.nameDraft });
      this.renaming = false;
    } catch (err) {
      const field = fieldErrors(err).name;
      this.renameError = field ? `The name: ${field}` : errorText(err);
    } finally {
      this.savingName = false;
    }
  }
}

function mergeEpochs(stored: EpochMetrics[], streamed: EpochMetrics[]): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  for (const e of stored) byEpoch.set(e.epoch, e);
  for (const e of streamed) if (!byEpoch.has(e.epoch)) byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
