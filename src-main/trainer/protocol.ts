import { z } from 'zod';
import { BACKEND_NAMES, type BackendName } from '../../src-shared/contract/system';
import { trainConfigSchema, type EpochMetrics, type TrainConfig } from '../../src-shared/contract/runs';
import { ERROR_CODES, type ErrorInfo } from '../../src-shared/errors';
import type { BatchProgress } from '../engine/train';

/**
 * The typed messages between the runs queue (parent) and one training process (child). The child never
 * writes the database: it reports, and the parent records, so SQLite keeps a single writer. Each side checks
 * what it receives against the schemas below (child-launcher.ts, child-port.ts).
 */
export type ParentMessage =
  | { type: 'start'; runId: number; home: string; config: TrainConfig; resume: boolean }
  /** Finish the current batch, checkpoint, report 'done' with status 'stopped'. */
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'started'; runId: number; backend: BackendName; backendReason: string; trainSamples: number; valSamples: number }
  /** On resume: the epochs the checkpoint already holds, so the parent can re-sync rows a crash may have lost. */
  | { type: 'history'; runId: number; epochs: (EpochMetrics & { confusion: number[] | null })[] }
  | { type: 'progress'; runId: number; progress: BatchProgress }
  /** A sentence for the run's record (its backend line): what the feature store gave, or a warning about it. */
  | { type: 'note'; runId: number; level: 'info' | 'warn'; message: string }
  | { type: 'epoch'; runId: number; metrics: EpochMetrics; confusion: number[] | null; isBest: boolean }
  | { type: 'checkpoint'; runId: number; which: 'best' | 'last'; epoch: number; path: string }
  | {
      type: 'done';
      runId: number;
      status: 'completed' | 'stopped';
      earlyStopped: boolean;
      epochsDone: number;
      best: { epoch: number; loss: number; valAcc: number | null } | null;
      test: { split: string; loss: number; acc: number; confusion: number[] } | null;
    }
  | { type: 'failed'; runId: number; error: ErrorInfo };

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
/** Any number, NaN and ±Infinity included (zod's z.number() refuses them): a diverging run reports them as they are. */
const num = z.custom<number>((v) => typeof v === 'number', 'expected a number');
const confusion = z.array(num).nullable();
const epochMetrics = z.object({
  epoch: count,
  loss: num,
  acc: num,
  valLoss: num.nullable(),
  valAcc: num.nullable(),
  lr: num,
  imgPerSec: num,
  seconds: num,
});
const batchProgress = z.object({
  epoch: count,
  epochs: count,
  batch: count,
  batches: count,
  loss: num,
  acc: num,
  lr: num,
  imgPerSec: num,
  etaSec: num,
});

// The config was parsed by trainConfigSchema where the parent read it (engine/checkpoint.ts runConfig), so it passes here.
export const parentMessageSchema: z.ZodType<ParentMessage> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), runId: id, home: z.string().min(1), config: trainConfigSchema, resume: z.boolean() }),
  z.object({ type: z.literal('stop') }),
]);

export const childMessageSchema: z.ZodType<ChildMessage> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('started'), runId: id, backend: z.enum(BACKEND_NAMES), backendReason: z.string(), trainSamples: count, valSamples: count }),
  z.object({ type: z.literal('history'), runId: id, epochs: z.array(epochMetrics.extend({ confusion })) }),
  z.object({ type: z.literal('progress'), runId: id, progress: batchProgress }),
  z.object({ type: z.literal('note'), runId: id, level: z.enum(['info', 'warn']), message: z.string().max(2000) }),
  z.object({ type: z.literal('epoch'), runId: id, metrics: epochMetrics, confusion, isBest: z.boolean() }),
  z.object({ type: z.literal('checkpoint'), runId: id, which: z.enum(['best', 'last']), epoch: count, path: z.string() }),
  z.object({
    type: z.literal('done'),
    runId: id,
    status: z.enum(['completed', 'stopped']),
    earlyStopped: z.boolean(),
    epochsDone: count,
    best: z.object({ epoch: count, loss: num, valAcc: num.nullable() }).nullable(),
    test: z.object({ split: z.string(), loss: num, acc: num, confusion: z.array(num) }).nullable(),
  }),
  z.object({ type: z.literal('failed'), runId: id, error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.unknown().optional() }) }),
]);
