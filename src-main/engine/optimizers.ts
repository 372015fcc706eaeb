import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../src-shared/contract/runs';

export function makeOptimizer(cfg: Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum'>): tf.Optimizer {
  switch (cfg.optimizer) {
    case 'adam':
      // Keras' and PyTorch's defaults, which the paper's setups inherit.
      return tf.train.adam(cfg.lr, 0.9, 0.999, 1e-7);
    case 'sgd':
      return tf.train.momentum(cfg.lr, cfg.momentum);
  }
}

/** Changes the rate between epochs without rebuilding the optimizer (its slots must survive). */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  // SGD and Momentum cache -lr in a kept scalar, so they need their setter; Adam reads the field each step.
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
