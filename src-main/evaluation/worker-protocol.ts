import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../../src-shared/contract/runs';
import type { TtaSummary } from '../../src-shared/contract/evaluation';
import { SPLITS } from '../../src-shared/labels';
import type { SaliencyMaps } from '../engine/saliency';
import type { StepTiming } from '../engine/step-timer';
import type { EvalJob } from './compute';
import type { SaliencyJob } from './saliency-compute';

/**
 * The messages between a caller of runner.ts (parent) and the evaluation worker (worker.ts): one request, then
 * progress and one answer or error. The worker stores nothing, so the database keeps a single writer for
 * evaluations. Each side checks what it receives against the schemas below (child-launcher.ts, child-port.ts).
 */

/** A config to time a few training batches of (studies.estimate), with its weights file resolved by the parent. */
export interface TimingJob {
  config: TrainConfig;
  weightsFile: string | null;
}

export type WorkerRequest =
  | { type: 'job'; home: string; job: EvalJob }
  | { type: 'saliency'; home: string; job: SaliencyJob }
  | { type: 'time'; home: string; jobs: TimingJob[] };

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'saliency'; maps: SaliencyMaps }
  | { type: 'timing'; timings: StepTiming[] }
  | { type: 'result'; ids: Int32Array; labels: Uint8Array; probs: Float32Array; tta: TtaSummary | null; backend: string; seconds: number }
  | { type: 'error'; code: string; message: string };

const id = z.number().int().positive();
const count = z.number().int().nonnegative();
/** Any number, NaN included (zod's z.number() refuses it): an untrained model can predict NaN, and it is reported as it is. */
const num = z.custom<number>((v) => typeof v === 'number', 'expected a number');
const home = z.string().min(1);

const ttaOptions = z.object({ augmented: count, flip: z.boolean(), rotation: num, zoom: num, shiftX: num, shiftY: num, seed: num });
const evalJob = z.object({
  runId: id,
  datasetId: id,
  split: z.enum(SPLITS),
  checkpoint: z.enum(['best', 'last']),
  tta: ttaOptions.nullable(),
  batch: z.number().int().positive().nullable(),
});
const saliencyJob = z.object({ runId: id, checkpoint: z.string(), sampleIds: z.array(id), targets: z.array(count) });

export const workerRequestSchema: z.ZodType<WorkerRequest> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), home, job: evalJob }),
  z.object({ type: z.literal('saliency'), home, job: saliencyJob }),
  z.object({ type: z.literal('time'), home, jobs: z.array(z.object({ config: trainConfigSchema, weightsFile: z.string().nullable() })) }),
]);

const ttaSummary = z.object({
  views: count,
  flip: z.boolean(),
  totalViews: count,
  seed: num,
  rotation: num,
  zoom: num,
  shiftX: num,
  shiftY: num,
  viewSpecs: z.array(z.object({ name: z.string(), flip: z.boolean(), angle: num, scale: num, dx: num, dy: num })),
});

export const workerMessageSchema: z.ZodType<WorkerMessage> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), done: count, total: count }),
  z.object({
    type: z.literal('saliency'),
    maps: z.object({ layer: z.string(), gradcam: z.instanceof(Uint8Array), hirescam: z.instanceof(Uint8Array), gradient: z.instanceof(Uint8Array) }),
  }),
  z.object({ type: z.literal('timing'), timings: z.array(z.object({ backend: z.string(), secondsPerStep: num })) }),
  z.object({
    type: z.literal('result'),
    ids: z.instanceof(Int32Array),
    labels: z.instanceof(Uint8Array),
    probs: z.instanceof(Float32Array),
    tta: ttaSummary.nullable(),
    backend: z.string(),
    seconds: num,
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
