import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { getModel } from '../../../src-main/engine/models/index';
import { train, type TrainOutcome } from '../../../src-main/engine/train';
import { trainConfigSchema, type EpochMetrics, type TrainConfigInput } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

// Small on purpose: 42 faces, 3 batches an epoch. What matters here is exactness, not accuracy.
const { train: trainSet, held } = synthSplits(6, 21);

async function runOnce(over: Partial<TrainConfigInput>, dir: string | null, opts: { stopAt?: { epoch: number; batch: number }; resume?: boolean } = {}) {
  const config = trainConfigSchema.parse({ dataset: 'x', epochs: 3, batch: 14, augment: {}, classWeights: true, ...over });
  const def = getModel('baseline');
  const model = await def.build(config, { weightsFile: null });
  const epochs: EpochMetrics[] = [];
  const tensorsAtEpoch: number[] = [];
  let last = { epoch: 0, batch: 0 };
  const outcome: TrainOutcome = await train({
    config,
    model,
    spec: def.inputSpec(config),
    train: trainSet,
    val: held,
    classWeights: [1, 1.5, 1, 1, 1, 1, 1],
    dir,
    resume: opts.resume ?? false,
    progressEveryMs: 0,
    hooks: {
      onProgress: (p) => (last = { epoch: p.epoch, batch: p.batch }),
      onEpoch: (m) => {
        epochs.push(m);
        tensorsAtEpoch.push(tf.memory().numTensors);
      },
      shouldStop: () => Boolean(opts.stopAt && last.epoch === opts.stopAt.epoch && last.batch === opts.stopAt.batch),
    },
  });
  // A digest, not the arrays: a failing deep-equal over 60k floats would spend minutes rendering its diff.
  const weights = createHash('sha256');
  for (const w of model.getWeights()) weights.update(Buffer.from((w.dataSync() as Float32Array).buffer));
  const digest = weights.digest('hex');
  model.dispose();
  return { outcome, epochs, tensorsAtEpoch, weights: digest };
}

const core = (m: EpochMetrics) => [m.epoch, m.loss, m.acc, m.valLoss, m.valAcc, m.lr];

describe('the training loop on wasm', () => {
  const tmp = tempDir('fer-train-');
  let first: Awaited<ReturnType<typeof runOnce>>;
  beforeAll(async () => {
    await activateBackend('wasm');
    first = await runOnce({ seed: 5 }, join(tmp.dir, 'a'));
  });
  afterAll(() => tmp.cleanup());

  it('leaks no tensors: the live count is the same after every epoch, and falls back after training', () => {
    expect(first.epochs).toHaveLength(3);
    expect(new Set(first.tensorsAtEpoch).size).toBe(1);
    // Only the model's own weights stay once the loop (optimizer, class-weight tensor) is done.
    expect(tf.memory().numTensors).toBeLessThan(first.tensorsAtEpoch[0]!);
  });

  it('a resume that fails (a checkpoint of another architecture) leaves no tensor behind: optimizer and class weights go too', async () => {
    const config = trainConfigSchema.parse({ dataset: 'x', epochs: 3, batch: 14, hidden: 32, seed: 5 });
    const def = getModel('baseline');
    const model = await def.build(config, { weightsFile: null });
    const before = tf.memory().numTensors;
    const run = { config, model, spec: def.inputSpec(config), train: trainSet, val: held, classWeights: [1, 1.5, 1, 1, 1, 1, 1], dir: join(tmp.dir, 'a'), resume: true };
    await expect(train(run)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('monitor valAcc keeps the epoch of the best validation accuracy, valLoss that of the lowest validation loss', async () => {
    // Overfits a small set on purpose, so the lowest validation loss and the best validation accuracy fall on different epochs.
    const over = { seed: 3, epochs: 8, lr: 0.01, augment: null, classWeights: false } as const;
    const byLoss = await runOnce({ ...over, monitor: 'valLoss' }, join(tmp.dir, 'by-loss'));
    const byAcc = await runOnce({ ...over, monitor: 'valAcc' }, join(tmp.dir, 'by-acc'));
    // The same training either way: the monitor changes only which epoch is kept.
    expect(byAcc.epochs.map(core)).toEqual(byLoss.epochs.map(core));
    const valAcc = byAcc.epochs.map((m) => m.valAcc!);
    const valLoss = byLoss.epochs.map((m) => m.valLoss!);
    const bestAcc = valAcc.indexOf(Math.max(...valAcc)) + 1;
    const bestLoss = valLoss.indexOf(Math.min(...valLoss)) + 1;
    expect(bestAcc).not.toBe(bestLoss);
    expect(byAcc.outcome.state.best).toMatchObject({ epoch: bestAcc, valAcc: Math.max(...valAcc) });
    expect(byLoss.outcome.state.best).toMatchObject({ epoch: bestLoss, loss: Math.min(...valLoss) });
  });

  it('is reproducible: the same seed gives the same metrics and weights; another seed does not', async () => {
    const again = await runOnce({ seed: 5 }, join(tmp.dir, 'again'));
    expect(again.epochs.map(core)).toEqual(first.epochs.map(core));
    expect(again.weights).toEqual(first.weights);
    const other = await runOnce({ seed: 6, epochs: 1 }, null);
    expect(core(other.epochs[0]!)).not.toEqual(core(first.epochs[0]!));
  });

  it('a graceful stop mid-epoch checkpoints, and resuming finishes with the uninterrupted run’s results', async () => {
    const dir = join(tmp.dir, 'stopped');
    const stopped = await runOnce({ seed: 5 }, dir, { stopAt: { epoch: 2, batch: 1 } });
    expect(stopped.outcome.status).toBe('stopped');
    // The stop is seen on the batch after epoch 2's first progress report: two of three batches are done.
    expect(stopped.outcome.state).toMatchObject({ epochsDone: 1, batchInEpoch: 2 });
    expect(existsSync(join(dir, 'last', 'optimizer.bin'))).toBe(true);
    const resumed = await runOnce({ seed: 5 }, dir, { resume: true });
    expect(resumed.outcome.status).toBe('completed');
    expect(resumed.outcome.state.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    // Same shuffles, augmentations and dropout masks (all functions of seed, epoch, batch) and the same
    // optimizer slots: equal up to Adam's rebuilt beta^t rounding.
    resumed.epochs.forEach((m, i) => {
      const ref = first.epochs[i + 1]!;
      expect(m.epoch).toBe(ref.epoch);
      expect(m.loss).toBeCloseTo(ref.loss, 3);
      expect(m.valLoss!).toBeCloseTo(ref.valLoss!, 3);
    });
  });
});
