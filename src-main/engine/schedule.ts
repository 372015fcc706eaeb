import type { TrainConfig } from '../../src-shared/contract/runs';

/** Learning-rate schedule state that survives a checkpoint (plateau needs memory of past epochs). */
export interface ScheduleState {
  lr: number;
  bestLoss: number | null;
  badEpochs: number;
}

export function initialSchedule(cfg: Pick<TrainConfig, 'lr'>): ScheduleState {
  return { lr: cfg.lr, bestLoss: null, badEpochs: 0 };
}

/**
 * The rate for epoch `epoch` (1-based), given the state after the previous epoch. Step and cosine are pure
 * functions of the epoch; plateau is decided in `afterEpoch` from the validation loss.
 */
export function lrForEpoch(cfg: Pick<TrainConfig, 'lr' | 'epochs' | 'schedule'>, epoch: number, state: ScheduleState): number {
  const s = cfg.schedule;
  switch (s.kind) {
    case 'constant':
      return cfg.lr;
    case 'step':
      return cfg.lr * s.gamma ** Math.floor((epoch - 1) / s.every);
    case 'cosine': {
      const t = cfg.epochs > 1 ? (epoch - 1) / (cfg.epochs - 1) : 0;
      return s.minLr + 0.5 * (cfg.lr - s.minLr) * (1 + Math.cos(Math.PI * t));
    }
    case 'plateau':
      return state.lr;
  }
}

/** Updates plateau's memory with this epoch's monitored loss (validation loss, or training loss without one). */
export function afterEpoch(cfg: Pick<TrainConfig, 'schedule'>, state: ScheduleState, lr: number, loss: number): ScheduleState {
  const s = cfg.schedule;
  if (s.kind !== 'plateau') return { ...state, lr };
  if (state.bestLoss === null || loss < state.bestLoss - 1e-4) return { lr, bestLoss: loss, badEpochs: 0 };
  const bad = state.badEpochs + 1;
  if (bad >= s.patience) return { lr: Math.max(s.minLr, lr * s.factor), bestLoss: state.bestLoss, badEpochs: 0 };
  return { lr, bestLoss: state.bestLoss, badEpochs: bad };
}
