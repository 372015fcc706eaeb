import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';

/**
 * Training never goes on silently after it breaks. The guard ends a run when its loss is not finite, when a batch's
 * loss jumps far above the level of the batches before it, when the validation loss jumps far above its best, or
 * when a weight is not finite. The thresholds are wide on purpose: a healthy run's batch losses scatter by a few
 * tenths around their running mean; a broken one jumps by whole nats (a collapsed 7-class network sits at
 * −ln 1e-7 = 16.1 per face, chance is ln 7 = 1.95).
 */
/** A trainable weight as tfjs-layers holds it (LayerVariable). */
export interface NamedWeight {
  readonly name: string;
  read(): tf.Tensor;
}

export interface DivergenceLimits {
  /** Batches whose loss only feeds the running level before any jump is judged (the first ones fall fast). */
  warmupBatches: number;
  /** A batch diverged when its loss is above factor × level AND above level + margin (both: robust at low and high loss). */
  factor: number;
  margin: number;
  /** Weight of each new batch in the running level (an exponential moving average). */
  smoothing: number;
}

export const DEFAULT_LIMITS: DivergenceLimits = { warmupBatches: 20, factor: 3, margin: 2, smoothing: 0.05 };

/** The running level and how many batches fed it. */
export interface GuardState {
  level: number | null;
  seen: number;
}

/** What the message tells about the run: the learning rate in force and the best epoch so far. */
export interface GuardContext {
  lr: number;
  best: { epoch: number; valAcc: number | null } | null;
}

/** Where the run was when it broke, for the message. */
export interface At {
  epoch: number;
  /** 1-based batch within the epoch; absent for end-of-epoch checks. */
  batch?: number;
}

function where(at: At): string {
  return at.batch === undefined ? `after epoch ${at.epoch}` : `at epoch ${at.epoch}, batch ${at.batch}`;
}

export function divergedError(at: At, what: string, hint: string): AppError {
  return new AppError('TRAINING_DIVERGED', `Training diverged ${where(at)}: ${what}. ${hint}`, { epoch: at.epoch, batch: at.batch ?? null });
}

export class DivergenceGuard {
  private level: number | null = null;
  private seen = 0;

  constructor(
    private readonly context: () => GuardContext,
    private readonly limits: DivergenceLimits = DEFAULT_LIMITS,
  ) {}

  /** The running batch-loss level the next batch is judged against (null before the first batch). */
  get runningLoss(): number | null {
    return this.level;
  }

  /** What a checkpoint keeps, so that a resumed run judges its batches against where it left off. */
  snapshot(): GuardState {
    return { level: this.level, seen: this.seen };
  }

  restore(state: GuardState): void {
    this.level = state.level;
    this.seen = state.seen;
  }

  private tooHigh(loss: number, level: number): boolean {
    return loss > this.limits.factor * level && loss > level + this.limits.margin;
  }

  /**
   * Throws TRAINING_DIVERGED for a non-finite loss or weight or a jump above the running level; else folds the loss
   * in. The weights are checked every batch (one reduction per tensor and one read-back: ~0.3 ms on the baseline).
   */
  async batch(loss: number, weights: readonly NamedWeight[], at: At): Promise<void> {
    if (!Number.isFinite(loss)) throw divergedError(at, `the loss became ${loss}`, this.lowerLr());
    await this.weights(weights, at);
    const level = this.level;
    if (level !== null && this.seen >= this.limits.warmupBatches && this.tooHigh(loss, level)) {
      throw divergedError(at, `the batch loss jumped to ${loss.toFixed(3)} from a running level of ${level.toFixed(3)}`, this.lowerLr());
    }
    this.level = level === null ? loss : level + this.limits.smoothing * (loss - level);
    this.seen++;
  }

  /** End of epoch: the validation loss against the best so far, and every weight finite. */
  async epoch(valLoss: number | null, bestValLoss: number | null, weights: readonly NamedWeight[], at: At): Promise<void> {
    if (valLoss !== null && !Number.isFinite(valLoss)) throw divergedError(at, `the validation loss became ${valLoss}`, this.lowerLr());
    if (valLoss !== null && bestValLoss !== null && this.tooHigh(valLoss, bestValLoss)) {
      throw divergedError(at, `the validation loss jumped to ${valLoss.toFixed(3)} from its best of ${bestValLoss.toFixed(3)}`, this.lowerLr());
    }
    await this.weights(weights, at);
  }

  private async weights(weights: readonly NamedWeight[], at: At): Promise<void> {
    const bad = await firstNonFinite(weights.map((w) => w.read()));
    if (bad !== null) throw divergedError(at, `weight ${weights[bad]!.name} holds NaN or infinite values`, this.lowerLr());
  }

  private lowerLr(): string {
    const { lr, best } = this.context();
    const kept = best
      ? `The best checkpoint (epoch ${best.epoch}${best.valAcc === null ? '' : `, validation accuracy ${(100 * best.valAcc).toFixed(2)}%`}) is kept.`
      : 'No epoch finished, so there is no checkpoint to keep.';
    return `${kept} Try a lower learning rate (this epoch's was ${lr}).`;
  }
}

/**
 * Index of the first tensor holding a NaN or ±Infinity, or null: one reduction per tensor, read back together.
 * Read with data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
 */
export async function firstNonFinite(weights: tf.Tensor[]): Promise<number | null> {
  if (!weights.length) return null;
  // A sum is NaN or ±Inf exactly when it meets one (or overflows, which is as broken); |w| avoids +Inf − Inf = NaN
  // hiding nothing and a finite sum of huge values of opposite signs passing.
  const stacked = tf.tidy(() => tf.stack(weights.map((w) => tf.sum(tf.abs(w.toFloat())))));
  const sums = await stacked.data();
  stacked.dispose();
  const i = sums.findIndex((s) => !Number.isFinite(s));
  return i < 0 ? null : i;
}
