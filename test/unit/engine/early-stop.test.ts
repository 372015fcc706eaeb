import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { loadModelDir } from '../../../src-main/engine/checkpoint';
import { train } from '../../../src-main/engine/train';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

/** A small dense net: early stopping is loop logic, so a cheap model that overfits fast shows it best. */
function tinyModel(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [48, 48, 1] }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

describe('early stopping on validation loss', () => {
  const tmp = tempDir('fer-early-');
  beforeAll(async () => {
    await activateBackend('wasm');
  });
  afterAll(() => tmp.cleanup());

  it('stops after `patience` epochs without a better val loss and leaves the best epoch’s weights in the model', async () => {
    const { train: tr } = synthSplits(6, 4);
    // Validation labels shuffled against the images: nothing carries over, so val loss worsens as it overfits.
    const { held } = synthSplits(6, 99);
    const noise = { ...held, labels: held.labels.map((_, i) => (i * 3) % 7) };
    const config = trainConfigSchema.parse({ dataset: 'x', epochs: 40, batch: 14, lr: 0.01, patience: 2, seed: 2 });
    const model = tinyModel(2);
    const dir = join(tmp.dir, 'run');
    const seen: number[] = [];
    const out = await train({ config, model, spec: { size: 48, channels: 1, normalize: 'unit' }, train: tr, val: noise, classWeights: null, dir, hooks: { onEpoch: (m) => seen.push(m.valLoss!) } });
    expect(out.status).toBe('completed');
    expect(out.earlyStopped).toBe(true);
    const best = out.state.best!;
    expect(out.state.epochsDone).toBe(best.epoch + 2);
    expect(out.state.epochsDone).toBeLessThan(40);
    expect(Math.min(...seen)).toBe(best.loss);
    // Best-weights restore: the model now equals the `best` checkpoint, not the last epoch.
    const saved = await loadModelDir(join(dir, 'best'));
    const x = tf.randomUniform([4, 48, 48, 1], 0, 1, 'float32', 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (saved.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const last = await loadModelDir(join(dir, 'last'));
    expect(Array.from((last.predict(x) as tf.Tensor).dataSync())).not.toEqual(Array.from(a));
    x.dispose();
    [model, saved, last].forEach((m) => m.dispose());
  });
});
