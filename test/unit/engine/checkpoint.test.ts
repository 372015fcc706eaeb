import { existsSync, mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { encodeOptimizer, loadModelDir, restoreOptimizer, saveModelDir, writeDirAtomic } from '../../../src-main/engine/checkpoint';
import { getModel } from '../../../src-main/engine/models/index';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { deadPid } from '../../helpers/pids';
import { tempDir } from '../../helpers/workbench';

describe('checkpoints', () => {
  const tmp = tempDir('fer-ckpt-');
  beforeAll(async () => {
    await activateBackend('wasm');
  });
  afterAll(() => tmp.cleanup());

  it('round-trips a model: the loaded one predicts exactly the same', async () => {
    const model = await getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x', seed: 3 }), { weightsFile: null });
    const dir = join(tmp.dir, 'rt');
    await saveModelDir(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await loadModelDir(dir);
    const x = tf.randomUniform([2, 48, 48, 1], 0, 1, 'float32', 1);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('names the file when a checkpoint is corrupt or missing', async () => {
    const model = await getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x' }), { weightsFile: null });
    const dir = join(tmp.dir, 'bad');
    await saveModelDir(model, dir);
    model.dispose();
    truncateSync(join(dir, 'weights.bin'), 100);
    await expect(loadModelDir(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', message: expect.stringContaining(join(dir, 'weights.bin')) });
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    await expect(loadModelDir(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', message: expect.stringContaining('model.json') });
    await expect(loadModelDir(join(tmp.dir, 'nothing-here'))).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
  });

  it('writes atomically: a failed write keeps the previous folder whole and leaves no temp folder', () => {
    const dir = join(tmp.dir, 'atomic');
    writeDirAtomic(dir, { 'a.txt': 'one' });
    const blocker = join(tmp.dir, 'atomic-blocked');
    mkdirSync(blocker);
    // A file name that is a directory path cannot be written: the write fails part-way.
    expect(() => writeDirAtomic(dir, { 'a.txt': 'two', 'sub/b.txt': 'x' })).toThrowError(/Cannot write checkpoint/);
    expect(readdirSync(dir)).toEqual(['a.txt']);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(existsSync(`${dir}.old`)).toBe(false);
  });

  it('removes the temp folder a trainer killed mid-write left, but not a live writer’s', () => {
    const parent = join(tmp.dir, 'run-killed');
    mkdirSync(parent);
    const dead = `.last.tmp-${deadPid()}-1700000000000`;
    const live = `.last.tmp-${process.ppid}-1700000000000`;
    for (const d of [dead, live]) {
      mkdirSync(join(parent, d));
      writeFileSync(join(parent, d, 'weights.bin'), 'half');
    }
    writeDirAtomic(join(parent, 'last'), { 'a.txt': 'whole' });
    expect(readdirSync(parent).sort()).toEqual([live, 'last'].sort());
  });

  it('saves and restores Adam’s slots so the next step is identical', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const step = (opt: tf.Optimizer) => opt.minimize(() => v.square().sum() as tf.Scalar, false, [v]);
    const a = tf.train.adam(0.1);
    step(a);
    step(a);
    const saved = await encodeOptimizer(a);
    const before = Array.from(v.dataSync());
    step(a);
    const expected = Array.from(v.dataSync());
    v.assign(tf.tensor1d(before));
    const b = tf.train.adam(0.1);
    await restoreOptimizer(b, saved.data, saved.specs, 'optimizer.bin');
    step(b);
    // Adam rebuilds beta^t from the saved step count, so rounding may differ in the last float bits.
    Array.from(v.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 5));
    // Without the slots, the step differs clearly (a fresh Adam moves every weight by exactly lr).
    v.assign(tf.tensor1d(before));
    step(tf.train.adam(0.1));
    expect(Math.abs(v.dataSync()[0]! - expected[0]!)).toBeGreaterThan(1e-3);
  });
});
