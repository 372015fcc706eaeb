import type { RunProgress, RunSummary } from '../../../src-shared/contract/runs';
import { AppError, ERROR_CODES, type ErrorCode } from '../../../src-shared/errors';
import type { CliContext } from '../command';
import { ProgressBar, formatEta } from '../progress';

const DONE = new Set(['completed', 'stopped', 'failed']);

function fmt(n: number | undefined | null, digits = 3): string {
  return n === undefined || n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

/**
 * Follows runs this process queued until each finishes, drawing a progress bar (epoch, batch, loss, acc,
 * img/s, ETA) on stderr. Ctrl-C once stops gracefully (the batch finishes, a checkpoint is written); twice exits.
 */
export async function watchRuns(ctx: CliContext, ids: number[]): Promise<RunSummary[]> {
  const wb = ctx.workbench();
  const pending = new Set(ids);
  const final = new Map<number, RunSummary>();
  const bars = new Map<number, ProgressBar>();
  const announced = new Set<number>();
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const bar = (id: number) => {
    let b = bars.get(id);
    if (!b) bars.set(id, (b = new ProgressBar(`run ${id}`)));
    return b;
  };
  const unsubscribe = wb.events.subscribe((name, payload) => {
    if (name === 'run.progress') {
      const p = payload as RunProgress;
      if (!pending.has(p.runId)) return;
      if (p.phase === 'features') {
        // Nothing computed (every face's features came from the feature store): a rate of 0 would read as stuck.
        const what = p.imgPerSec > 0 || p.batch < p.batches ? `${p.imgPerSec.toFixed(1)} img/s ETA ${formatEta(p.etaSec)}` : 'all from the feature store';
        bar(p.runId).update(p.batch, p.batches, `frozen layers' features ${what}`);
      } else if (p.phase === 'batch') {
        bar(p.runId).update(p.batch, p.batches, `epoch ${p.epoch}/${p.epochs} loss ${fmt(p.loss)} acc ${fmt(p.acc)} ${p.imgPerSec.toFixed(1)} img/s ETA ${formatEta(p.etaSec)}`);
      } else {
        bar(p.runId).done();
        ctx.note(
          `run ${p.runId} epoch ${p.epoch}/${p.epochs}  loss ${fmt(p.loss)}  acc ${fmt(p.acc)}  val_loss ${fmt(p.valLoss)}  val_acc ${fmt(p.valAcc)}  lr ${p.lr.toPrecision(3)}  ${p.imgPerSec.toFixed(1)} img/s  ETA ${formatEta(p.etaSec)}`,
        );
      }
    } else if (name === 'system.log') {
      // The trainer's notes (what the feature store gave) arrive as "run N: …".
      const { message } = payload as { message: string };
      const id = Number(/^run (\d+): /.exec(message)?.[1]);
      if (pending.has(id)) {
        bar(id).done();
        ctx.note(message);
      }
    } else if (name === 'run.status') {
      const s = payload as RunSummary;
      if (!pending.has(s.id)) return;
      if (s.status === 'running' && s.backend && !announced.has(s.id)) {
        announced.add(s.id);
        ctx.note(`run ${s.id} training on ${s.backend}`);
      }
      if (DONE.has(s.status)) {
        bar(s.id).done();
        pending.delete(s.id);
        final.set(s.id, s);
        ctx.note(`run ${s.id} ${s.status}${s.error ? `: ${s.error}` : ''}`);
        if (!pending.size) finish();
      }
    }
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      ctx.note('Stopping after the current batch (Ctrl-C again to abort; the run can be resumed from its last checkpoint)…');
      for (const id of pending) void ctx.call('runs.stop', { runId: id }).catch(() => undefined);
    } else finish();
  };
  process.on('SIGINT', onSigint);
  try {
    // Runs may already have finished (a fast failure) before we subscribed.
    for (const id of ids) {
      const s = await ctx.call('runs.get', { runId: id });
      if (DONE.has(s.run.status)) {
        pending.delete(id);
        final.set(id, s.run);
      }
    }
    if (pending.size) await finished;
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
  return ids.map((id) => final.get(id)).filter((s): s is RunSummary => Boolean(s));
}

/** A failed run makes the command fail with the run's own error code (stored as "[CODE] message"). */
export function throwIfFailed(runs: RunSummary[]): void {
  const failed = runs.find((r) => r.status === 'failed');
  if (!failed) return;
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(failed.error ?? '');
  const code = m && (ERROR_CODES as readonly string[]).includes(m[1]!) ? (m[1] as ErrorCode) : 'INTERNAL';
  throw new AppError(code, `Run ${failed.id} failed: ${m ? m[2] : (failed.error ?? 'unknown reason')}`);
}

export function summaryLine(r: RunSummary): string {
  const best = r.bestValAcc !== null ? `best val_acc ${fmt(r.bestValAcc)} (epoch ${r.bestEpoch})` : r.bestValLoss !== null ? `best loss ${fmt(r.bestValLoss)}` : '';
  return `run ${r.id} ${r.status}: ${r.epochsDone}/${r.epochs} epochs ${best} on ${r.backend ?? '?'}`.trim();
}
