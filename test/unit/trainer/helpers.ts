import type { RunSummary } from '../../../src-shared/contract/runs';
import type { Workbench } from '../../../src-main/context';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';

export const api = <N extends Parameters<typeof call>[2]>(wb: Workbench, name: N, args: unknown) => call(handlers, wb, name, args);

/** Resolves with the run's summary once `pred` holds for a run.status event (or already holds now). */
export async function waitForStatus(wb: Workbench, runId: number, pred: (s: RunSummary) => boolean, timeoutMs = 240_000): Promise<RunSummary> {
  const now = (await api(wb, 'runs.get', { runId })).run;
  if (pred(now)) return now;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`run ${runId} did not reach the expected state in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = wb.events.subscribe((name, payload) => {
      if (name !== 'run.status') return;
      const s = payload as RunSummary;
      if (s.id === runId && pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

export async function waitForEpoch(wb: Workbench, runId: number, epoch: number, timeoutMs = 240_000): Promise<void> {
  await waitForStatus(wb, runId, (s) => s.epochsDone >= epoch || ['failed', 'completed', 'stopped'].includes(s.status), timeoutMs);
}

export const finished = (s: RunSummary) => ['failed', 'completed', 'stopped'].includes(s.status);
