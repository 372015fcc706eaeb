import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, it } from 'vitest';
import type { ExternalModelInfo } from '../../../../src-shared/contract/models';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempDir, tempWorkbench } from '../../../helpers/workbench';
import { kerasConfigOf, sequentialModel, writeKerasModelH5 } from './fixtures';

const run = promisify(execFile);
const FER = join(__dirname, '../../../../bin/fer.mjs');
const files = tempDir('fer-models-cli-');
const home = tempWorkbench();
afterAll(async () => {
  await home.cleanup();
  files.cleanup();
});

async function fer(...args: string[]) {
  return run(process.execPath, [FER, ...args, '--home', home.dir], { timeout: 120_000 }).then(
    (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as unknown;

it('fer models import / list', async () => {
  await tf.setBackend('cpu');
  await createSyntheticDataset(home.wb, { perClass: 4, seed: 2, name: 'syn' });
  const seq = sequentialModel();
  const file = join(files.dir, 'fer_model.h5');
  await writeKerasModelH5(seq, file, await kerasConfigOf(seq));
  seq.dispose();

  const out = await fer('models', 'import', file, '--name', 'kaggle-cnn', '--dataset', 'syn', '--input', '48', '--channels', '1', '--scale', 'minus1to1', '--labels', 'alphabetical');
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toMatch(/imported: #1 "kaggle-cnn" {2}run 1 {2}keras-h5, [\d,]+ params, input 48×48×1 minus1to1, outputs angry,disgust,fear,happy,neutral,sad,surprise/);
  expect(out.stdout).toMatch(/evaluate it with: fer eval 1 --split PrivateTest/);
  // (Import errors through the contract are covered in import.test.ts; each fer process takes seconds to start.)
  const list = lastJson((await fer('models', 'list', '--json')).stdout) as ExternalModelInfo[];
  expect(list.map((m) => [m.name, m.format, m.runId])).toEqual([['kaggle-cnn', 'keras-h5', 1]]);
});
