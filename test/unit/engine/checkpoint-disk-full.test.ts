import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { activateBackend } from '../../../src-main/engine/backend';
import { loadModelDir } from '../../../src-main/engine/checkpoint';
import { getModel } from '../../../src-main/engine/models/index';
import { readState, train } from '../../../src-main/engine/train';
import { diskFaults } from '../../helpers/disk-faults';
import { fillDisk, mountTmpfs } from '../../helpers/tmpfs';
import { tempDir } from '../../helpers/workbench';
import { synthSplits } from './train-helpers';

vi.mock('node:fs', async (original) => (await import('../../helpers/disk-faults')).withDiskFaults(await original()));

// 42 faces, 3 batches an epoch: what matters is the checkpoint after epoch 1, not what the model learns.
const { train: trainSet, held } = synthSplits(6, 21);
const config = trainConfigSchema.parse({ dataset: 'x', epochs: 2, batch: 14, seed: 7 });

/** Hashes of every file of a checkpoint folder. */
function digest(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

/**
 * Trains 2 epochs into `runDir`; `fill` runs once the epoch-1 checkpoints are written, so that epoch 2's cannot be.
 * Returns the error and the epoch-1 `last` checkpoint's file hashes.
 */
async function trainUntilFull(runDir: string, fill: () => void): Promise<{ err: AppError; saved: Record<string, string> }> {
  const def = getModel('baseline');
  const model = await def.build(config, { weightsFile: null });
  let saved: Record<string, string> = {};
  try {
    const err = await train({
      config,
      model,
      spec: def.inputSpec(config),
      train: trainSet,
      val: held,
      classWeights: null,
      dir: runDir,
      hooks: {
        onCheckpoint: (which, epoch, dir) => {
          if (which !== 'last' || epoch !== 1) return;
          saved = digest(dir);
          fill();
        },
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return { err: err as AppError, saved };
  } finally {
    model.dispose();
  }
}

/** The epoch-1 checkpoint is whole and loads; nothing of epoch 2's attempt is left; resuming finishes the run. */
async function expectEpochOneKeptAndResumable(runDir: string, saved: Record<string, string>): Promise<void> {
  const last = join(runDir, 'last');
  expect(digest(last)).toEqual(saved);
  expect(readState(last).epochsDone).toBe(1);
  (await loadModelDir(last)).dispose();
  expect(readdirSync(runDir).sort()).toEqual(['best', 'last']);
  const def = getModel('baseline');
  const model = await def.build(config, { weightsFile: null });
  try {
    const outcome = await train({ config, model, spec: def.inputSpec(config), train: trainSet, val: held, classWeights: null, dir: runDir, resume: true });
    expect(outcome.status).toBe('completed');
    expect(outcome.state.epochsDone).toBe(2);
  } finally {
    model.dispose();
  }
}

const message = (last: string) => `Cannot write checkpoint ${last}: the disk holding ${last} is full; the previous checkpoint is kept. Free some space, then resume the run.`;

describe('a full disk during a training checkpoint', () => {
  const tmp = tempDir('fer-ckpt-full-');
  beforeAll(async () => {
    await activateBackend('wasm');
  });
  beforeEach(() => diskFaults.disarm());
  afterAll(() => tmp.cleanup());

  it('injected ENOSPC: training fails with a clear error, the epoch-1 checkpoint stays whole, resume finishes', async () => {
    const runDir = join(tmp.dir, 'injected');
    const { err, saved } = await trainUntilFull(runDir, () => diskFaults.arm(1000)); // room for model.json's start only
    expect(diskFaults.refused).toBe(1);
    diskFaults.disarm();
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toBe(message(join(runDir, 'last')));
    await expectEpochOneKeptAndResumable(runDir, saved);
  });

  it('a real full tmpfs: the same error, the checkpoint kept, and resume works once space is freed', async (t) => {
    const disk = mountTmpfs(64 * 1024 * 1024);
    if ('skip' in disk) return t.skip(disk.skip);
    try {
      const runDir = join(disk.dir, 'run');
      const filler = join(disk.dir, 'filler');
      const { err, saved } = await trainUntilFull(runDir, () => void fillDisk(filler));
      expect(err.message).toBe(message(join(runDir, 'last')));
      rmSync(filler);
      await expectEpochOneKeptAndResumable(runDir, saved);
    } finally {
      disk.unmount();
    }
  });
});
