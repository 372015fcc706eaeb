import type { BackendName } from '../../src-shared/contract/system';
import type { EpochMetrics, TrainConfig } from '../../src-shared/contract/runs';
import type { ErrorInfo } from '../../src-shared/errors';
import type { BatchProgress } from '../engine/train';

/**
 * The typed messages between the runs queue (parent) and one training process (child). The child never
 * writes the database: it reports, and the parent records, so SQLite keeps a single writer.
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

export function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isParentMessage(m: unknown): m is ParentMessage {
  return typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === 'start' || (m as { type?: unknown }).type === 'stop');
}
