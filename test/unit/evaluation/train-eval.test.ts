import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochMetrics, RunSummary } from '../../../src-shared/contract/runs';
import type { Workbench } from '../../../src-main/context';
import { call } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

// The real path end to end: the runs service trains in its process, eval.run evaluates in its own.
let t: ReturnType<typeof tempWorkbench>;
let wb: Workbench;
let run: RunSummary;
const epochEvents: { runId: number; metrics: EpochMetrics }[] = [];

beforeAll(async () => {
  t = tempWorkbench();
  wb = t.wb;
  const ds = await createSyntheticDataset(wb, { perClass: 16, seed: 7 });
  const finished = new Promise<RunSummary>((resolve) => {
    wb.events.subscribe((name, p) => {
      if (name === 'run.epoch') epochEvents.push(p as { runId: number; metrics: EpochMetrics });
      const s = p as RunSummary;
      if (name === 'run.status' && ['completed', 'failed', 'stopped'].includes(s.status)) resolve(s);
    });
  });
  await call(handlers, wb, 'runs.create', { config: { dataset: ds.id, epochs: 2, batch: 32, seed: 3, valSplit: 'PublicTest' } });
  run = await finished;
}, 150_000);
afterAll(() => t.cleanup());

describe('train → eval', () => {
  it('announces each epoch as run.epoch with the metrics the run stores (the trainer\'s clock, not a listener\'s)', async () => {
    const detail = await call(handlers, wb, 'runs.get', { runId: run.id });
    expect(epochEvents.map((e) => e.runId)).toEqual([run.id, run.id]);
    expect(epochEvents.map((e) => e.metrics.epoch)).toEqual([1, 2]);
    expect(epochEvents.every((e) => e.metrics.seconds > 0 && e.metrics.valAcc !== null)).toBe(true);
    epochEvents.forEach((e, i) => {
      const stored = detail.epochs[i]!;
      expect(e.metrics.loss).toBeCloseTo(stored.loss, 6);
      expect(e.metrics.valAcc).toBeCloseTo(stored.valAcc!, 6);
      expect(e.metrics.seconds).toBeCloseTo(stored.seconds, 3);
    });
  });

  it("re-scoring the best checkpoint on the validation split reproduces training's best epoch", async () => {
    expect(run.status, run.error ?? '').toBe('completed');
    const ev = await call(handlers, wb, 'eval.run', { runId: run.id, split: 'PublicTest', checkpoint: 'best' });
    const detail = await call(handlers, wb, 'runs.get', { runId: run.id });
    expect(ev.samples).toBeGreaterThan(0);
    expect(ev.accuracy).toBeCloseTo(detail.run.bestValAcc!, 6);
    expect(ev.loss).toBeCloseTo(detail.run.bestValLoss!, 3);
    const epochs = await call(handlers, wb, 'eval.epochConfusions', { runId: run.id });
    const atBest = epochs.find((e) => e.epoch === detail.run.bestEpoch && e.split === 'PublicTest');
    expect(atBest).toBeDefined();
    expect((await call(handlers, wb, 'eval.get', { evaluationId: ev.id })).confusion).toEqual(atBest!.confusion);
  });
});
