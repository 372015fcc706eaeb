import type { RunProgress, RunSummary, TrainConfig } from '../../src-shared/contract/runs';
import { AppError } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { isAlive } from '../processes';
import { inPausedStudy } from '../store/studies';
import { howItEnded } from '../child-launcher';
import { launchTrainer, type TrainerHandle } from './launcher';
import type { ChildMessage } from './protocol';
import { TERMINAL, failOrphans, nowIso, patchRun, recordCheckpoint, recordEpoch, recordTest, resumeHint, resyncHistory, runConfig, runPid, runSummary } from '../store/runs';

interface Current {
  runId: number;
  config: TrainConfig;
  handle: TrainerHandle;
  /** Set once the child reported done/failed: an exit after that is the normal end. */
  settled: boolean;
  exited: Promise<void>;
}

/**
 * Runs experiments one after another, each in its own training process, recording what the process reports
 * and emitting run.progress / run.status. One queue per open workbench.
 */
export class RunQueue {
  private readonly pending: { runId: number; resume: boolean }[] = [];
  private current: Current | null = null;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly wb: Workbench) {
    for (const id of failOrphans(wb, isAlive)) this.emitStatus(id);
  }

  enqueue(runId: number, resume: boolean): void {
    if (this.closed) throw new AppError('CONFLICT', 'The workbench is closing; the run was not queued.');
    this.pending.push({ runId, resume });
    this.emitStatus(runId);
    this.pump();
  }

  /** Queued or training here. A child that already reported done/failed and is only exiting does not count. */
  isActive(runId: number): boolean {
    return (this.current?.runId === runId && !this.current.settled) || this.pending.some((p) => p.runId === runId);
  }

  /** Graceful: the child finishes its batch, checkpoints, and reports 'stopped'. */
  stop(runId: number): RunSummary {
    const s = runSummary(this.wb, runId);
    if (TERMINAL.includes(s.status)) throw new AppError('CONFLICT', `Run ${runId} is already ${s.status}.`);
    const queuedHere = this.pending.findIndex((p) => p.runId === runId);
    if (queuedHere >= 0) {
      this.pending.splice(queuedHere, 1);
      patchRun(this.wb, runId, { status: 'stopped', finished_at: nowIso() });
    } else if (this.current?.runId === runId) {
      this.current.handle.send({ type: 'stop' });
      patchRun(this.wb, runId, { status: 'stopping' });
    } else {
      // Owned by another process (a `fer train` in another terminal): signal its trainer directly.
      const pid = runPid(this.wb, runId);
      if (s.status === 'running' && pid !== null && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        patchRun(this.wb, runId, { status: 'stopping' });
      } else if (s.status === 'queued' && pid !== null && isAlive(pid)) {
        throw new AppError('CONFLICT', `Run ${runId} is queued in another process (pid ${pid}); stop it there.`);
      } else {
        patchRun(this.wb, runId, { status: 'failed', error: 'Its training process is gone.', finished_at: nowIso() });
      }
    }
    return this.emitStatus(runId);
  }

  /** Resolves when nothing is running or pending. */
  idle(): Promise<void> {
    if (!this.current && !this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Teardown: a killed child's run is marked failed (resumable); queued runs are marked stopped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.splice(0)) {
      patchRun(this.wb, p.runId, { status: 'stopped', finished_at: nowIso() });
    }
    const cur = this.current;
    if (cur) {
      cur.handle.kill('SIGKILL');
      await cur.exited;
    }
  }

  private emitStatus(runId: number): RunSummary {
    const s = runSummary(this.wb, runId);
    this.wb.events.emit('run.status', s);
    return s;
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const next = this.pending.shift();
    if (!next) {
      for (const fn of this.idleWaiters.splice(0)) fn();
      return;
    }
    let config: TrainConfig;
    try {
      if (runSummary(this.wb, next.runId).status !== 'queued') return this.pump();
      // A member of a study paused since it was queued (maybe from another process) stays stopped; resume queues it again.
      if (inPausedStudy(this.wb.db, next.runId)) {
        patchRun(this.wb, next.runId, { status: 'stopped', finished_at: nowIso() });
        this.emitStatus(next.runId);
        return this.pump();
      }
      config = runConfig(this.wb, next.runId);
    } catch {
      return this.pump(); // deleted while queued
    }
    const handle = launchTrainer();
    let resolveExit!: () => void;
    const cur: Current = { runId: next.runId, config, handle, settled: false, exited: new Promise((r) => (resolveExit = r)) };
    this.current = cur;
    patchRun(this.wb, next.runId, { status: 'running', pid: handle.pid ?? null, started_at: nowIso(), finished_at: null, error: null });
    this.emitStatus(next.runId);
    handle.onMessage((msg) => {
      try {
        this.onMessage(cur, msg);
      } catch (err) {
        console.error(`run ${cur.runId}: recording ${msg.type} failed:`, err);
      }
    });
    handle.onExit(({ code, signal, stderrTail: tail, protocolError }) => {
      if (!cur.settled) {
        const why = this.closed
          ? 'The workbench closed while this run was training'
          : protocolError
            ? protocolError.message.replace(/\.$/, '')
            : `The training process ${howItEnded(code, signal)} before finishing`;
        this.fail(cur.runId, `${why}; ${resumeHint(this.wb, cur.runId)}.${tail ? ` Its last output: ${tail.slice(-600)}` : ''}`);
      }
      this.current = null;
      resolveExit();
      this.pump();
    });
    handle.send({ type: 'start', runId: next.runId, home: this.wb.home.root, config, resume: next.resume });
  }

  private fail(runId: number, error: string): void {
    patchRun(this.wb, runId, { status: 'failed', error, finished_at: nowIso() });
    this.emitStatus(runId);
  }

  private onMessage(cur: Current, msg: ChildMessage): void {
    const { wb } = this;
    const id = cur.runId;
    switch (msg.type) {
      case 'ready':
        return;
      case 'started':
        patchRun(wb, id, { backend: msg.backend, backend_reason: msg.backendReason });
        this.emitStatus(id);
        return;
      case 'note': {
        // The run's backend line already says how features are cached; what the store gave belongs beside it.
        const before = runSummary(wb, id).backendReason;
        patchRun(wb, id, { backend_reason: before ? `${before} ${msg.message}` : msg.message });
        wb.events.emit('system.log', { level: msg.level, message: `run ${id}: ${msg.message}`, at: nowIso() });
        this.emitStatus(id);
        return;
      }
      case 'history':
        resyncHistory(wb, id, msg.epochs, cur.config.valSplit);
        return;
      case 'progress': {
        const p: RunProgress = { runId: id, phase: 'batch', ...msg.progress };
        wb.events.emit('run.progress', p);
        return;
      }
      case 'epoch': {
        const m = msg.metrics;
        recordEpoch(wb, id, m, msg.confusion, msg.isBest, cur.config.valSplit);
        const remaining = cur.config.epochs - m.epoch;
        const p: RunProgress = {
          runId: id,
          phase: 'epoch',
          epoch: m.epoch,
          epochs: cur.config.epochs,
          batch: 0,
          batches: 0,
          loss: m.loss,
          acc: m.acc,
          ...(m.valLoss !== null ? { valLoss: m.valLoss } : {}),
          ...(m.valAcc !== null ? { valAcc: m.valAcc } : {}),
          lr: m.lr,
          imgPerSec: m.imgPerSec,
          etaSec: remaining * m.seconds,
        };
        wb.events.emit('run.progress', p);
        wb.events.emit('run.epoch', { runId: id, metrics: m });
        this.emitStatus(id);
        return;
      }
      case 'checkpoint':
        recordCheckpoint(wb, id, msg.which, msg.epoch, msg.path);
        return;
      case 'done':
        cur.settled = true;
        if (msg.test && msg.best) recordTest(wb, id, msg.best.epoch, msg.test.split, msg.test.loss, msg.test.acc, msg.test.confusion);
        patchRun(wb, id, { status: msg.status, finished_at: nowIso(), epochs_done: msg.epochsDone, error: null });
        this.emitStatus(id);
        return;
      case 'failed':
        cur.settled = true;
        this.fail(id, `[${msg.error.code}] ${msg.error.message}`);
        return;
    }
  }
}

const QUEUES = new WeakMap<Workbench, RunQueue>();

export function queueFor(wb: Workbench): RunQueue {
  let q = QUEUES.get(wb);
  if (!q) {
    q = new RunQueue(wb);
    QUEUES.set(wb, q);
    const queue = q;
    wb.onClose(() => queue.close());
  }
  return q;
}
