import type { TrainConfig } from './contract/runs';

/**
 * What a run did to its training targets, in words ("mixup α 0.2, label smoothing 0.1"), or '' for plain one-hot
 * targets: one wording for the run page and `fer run`. Configs stored before these fields lack them: read as off.
 */
export function targetsText(c: Partial<Pick<TrainConfig, 'mixup' | 'labelSmoothing'>>): string {
  return [c.mixup ? `mixup α ${c.mixup}` : '', c.labelSmoothing ? `label smoothing ${c.labelSmoothing}` : ''].filter(Boolean).join(', ');
}

/** Whether validation and the checkpoints used averaged weights ("EMA 0.999"), or '' (configs from before: off). */
export function averagingText(c: Partial<Pick<TrainConfig, 'ema'>>): string {
  return c.ema ? `EMA ${c.ema}` : '';
}
