import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { loadModelDir } from '../../../src-main/engine/checkpoint';
import { DivergenceGuard, firstNonFinite } from '../../../src-main/engine/divergence';
import { getModel } from '../../../src-main/engine/models/index';
import { readState, train } from '../../../src-main/engine/train';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { AppError } from '../../../src-shared/errors';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

const ctx = () => ({ lr: 0.001, best: { epoch: 3, valAcc: 0.4681 } });

async function thrown(f: () => Promise<void>): Promise<AppError> {
  try {
    await f();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected the guard to throw');
}

describe('the divergence guard', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ends the run on a non-finite loss, naming where and what was kept', async () => {
    const g = new DivergenceGuard(ctx);
    await g.batch(1.9, [], { epoch: 1, batch: 1 });
    const err = await thrown(() => g.batch(NaN, [], { epoch: 11, batch: 37 }));
    expect(err.code).toBe('TRAINING_DIVERGED');
    expect(err.message).toBe(
      'Training diverged at epoch 11, batch 37: the loss became NaN. The best checkpoint (epoch 3, validation accuracy 46.81%) is kept. Try a lower learning rate (this epoch\'s was 0.001).',
    );
    expect((await thrown(() => new DivergenceGuard(ctx).batch(Infinity, [], { epoch: 1, batch: 1 }))).code).toBe('TRAINING_DIVERGED');
  });

  it('ends it on a batch loss far above the running level (the collapse to −ln 1e-7), but not on ordinary scatter', async () => {
    const g = new DivergenceGuard(ctx);
    // A healthy run: falling from chance with ±0.3 scatter, then settling; a noisy first batch during warm-up.
    await g.batch(9, [], { epoch: 1, batch: 1 });
    for (let i = 0; i < 300; i++) await g.batch(1.95 - i * 0.002 + 0.3 * Math.sin(i * 1.7), [], { epoch: 1, batch: i + 2 });
    expect(g.runningLoss!).toBeGreaterThan(1.2);
    expect(g.runningLoss!).toBeLessThan(1.5);
    await g.batch(3.2, [], { epoch: 2, batch: 1 }); // above 2× the level, but within 2 nats of it
    const err = await thrown(() => g.batch(10.994, [], { epoch: 11, batch: 37 }));
    expect(err.message).toMatch(/^Training diverged at epoch 11, batch 37: the batch loss jumped to 10\.994 from a running level of 1\.\d{3}\./);
  });

  it('a resumed run judges against the level its checkpoint kept, with no second warm-up', async () => {
    const g = new DivergenceGuard(ctx);
    for (let i = 0; i < 40; i++) await g.batch(1, [], { epoch: 1, batch: i + 1 });
    const resumed = new DivergenceGuard(ctx);
    resumed.restore(JSON.parse(JSON.stringify(g.snapshot())));
    expect(resumed.runningLoss).toBe(1);
    await expect(resumed.batch(5, [], { epoch: 2, batch: 1 })).rejects.toThrow(/jumped to 5\.000 from a running level of 1\.000/);
    await expect(new DivergenceGuard(ctx).batch(5, [], { epoch: 2, batch: 1 })).resolves.toBeUndefined();
  });

  it('judges no jump during warm-up (the first batches fall fast from a random start)', async () => {
    const g = new DivergenceGuard(ctx);
    await g.batch(0.5, [], { epoch: 1, batch: 1 });
    await expect(g.batch(8, [], { epoch: 1, batch: 2 })).resolves.toBeUndefined();
  });

  it('ends it when the validation loss jumps far above its best, or a weight is not finite', async () => {
    const g = new DivergenceGuard(ctx);
    const w = [tf.tensor([1, -2, 3]), tf.tensor([[0.5]])];
    const named = (ts: tf.Tensor[]) => ts.map((t, i) => ({ name: `layer${i}/kernel`, read: () => t }));
    await expect(g.epoch(0.9, 0.8, named(w), { epoch: 4 })).resolves.toBeUndefined();
    await expect(g.epoch(2.5, 0.8, named(w), { epoch: 4 })).resolves.toBeUndefined(); // 3× the best but only 1.7 above it
    expect((await thrown(() => g.epoch(2.52, 0.245, named(w), { epoch: 3 }))).message).toMatch(/^Training diverged after epoch 3: the validation loss jumped to 2\.520 from its best of 0\.245\./);
    expect((await thrown(() => g.epoch(NaN, 0.8, named(w), { epoch: 3 }))).message).toMatch(/the validation loss became NaN/);
    const bad = [w[0]!, tf.tensor([1, Infinity]), tf.tensor([NaN])];
    expect(await firstNonFinite(bad)).toBe(1);
    expect(await firstNonFinite(w)).toBeNull();
    // Opposite infinities and huge values of opposite sign: |w| keeps them from cancelling to something finite.
    expect(await firstNonFinite([tf.tensor([Infinity, -Infinity])])).toBe(0);
    expect(await firstNonFinite([tf.tensor([3e38, -3e38, 3e38])])).toBe(0);
    expect((await thrown(() => g.epoch(0.9, 0.8, named(bad), { epoch: 5 }))).message).toMatch(/^Training diverged after epoch 5: weight layer1\/kernel holds NaN or infinite values\./);
    expect((await thrown(() => g.batch(0.9, named(bad), { epoch: 6, batch: 2 }))).message).toMatch(/^Training diverged at epoch 6, batch 2: weight layer1\/kernel holds NaN or infinite values\./);
    tf.dispose([...w, ...bad]);
  });
});

describe('a run that breaks', () => {
  const tmp = tempDir('fer-diverge-');
  afterAll(() => tmp.cleanup());

  it('fails with the reason at the first broken batch, and keeps the best checkpoint of the epochs before it', async () => {
    await activateBackend('wasm');
    const { train: trainSet, held } = synthSplits(6, 21);
    const config = trainConfigSchema.parse({ dataset: 'x', epochs: 4, batch: 14, augment: {}, seed: 5 });
    const def = getModel('baseline');
    const model = await def.build(config, { weightsFile: null });
    const dir = join(tmp.dir, 'run');
    const seenEpochs: number[] = [];
    const run = train({
      config,
      model,
      spec: def.inputSpec(config),
      train: trainSet,
      val: held,
      classWeights: null,
      dir,
      hooks: {
        onEpoch: (m) => {
          seenEpochs.push(m.epoch);
          // What a corrupted kernel or a too-high rate leaves behind: a poisoned weight after epoch 2.
          if (m.epoch === 2) {
            const k = model.getLayer('conv3').getWeights()[0]!;
            const poisoned = tf.tidy(() => k.mul(tf.scalar(NaN)));
            model.getLayer('conv3').setWeights([poisoned, model.getLayer('conv3').getWeights()[1]!]);
            poisoned.dispose();
          }
        },
      },
    });
    const err = (await run.then(() => null, (e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('TRAINING_DIVERGED');
    expect(err.message).toMatch(/^Training diverged at epoch 3, batch 1: the loss became NaN\. The best checkpoint \(epoch [12], validation accuracy \d+\.\d\d%\) is kept\./);
    expect(seenEpochs).toEqual([1, 2]); // it trained no further
    // best/ and last/ are what epoch 2 left: finite weights, loadable, no trace of the broken batch.
    const state = readState(join(dir, 'last'));
    expect(state.epochsDone).toBe(2);
    expect(existsSync(join(dir, 'best', 'state.json'))).toBe(true);
    const best = await loadModelDir(join(dir, 'best'));
    expect(await firstNonFinite(best.getWeights())).toBeNull();
    best.dispose();
    model.dispose();
  });
});
