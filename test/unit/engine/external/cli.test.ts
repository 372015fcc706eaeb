import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, it } from 'vitest';
import type { ExternalModelInfo } from '../../../../src-shared/contract/models';
import { inProcessFer, lastJson } from '../../../helpers/cli';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempDir, tempWorkbench } from '../../../helpers/workbench';
import { kerasConfigOf, sequentialModel, writeKerasModelH5 } from './fixtures';

const files = tempDir('fer-models-cli-');
const home = tempWorkbench();
const fer = inProcessFer(home.dir);
afterAll(async () => {
  await home.cleanup();
  files.cleanup();
});

it('fer models import / list, with usage and import errors', async () => {
  await tf.setBackend('cpu');
  await createSyntheticDataset(home.wb, { perClass: 4, seed: 2, name: 'syn' });
  const seq = sequentialModel();
  const file = join(files.dir, 'fer_model.h5');
  await writeKerasModelH5(seq, file, await kerasConfigOf(seq));
  seq.dispose();
  const flags = ['--dataset', 'syn', '--input', '48', '--channels', '1', '--scale', 'minus1to1'];

  const out = await fer('models', 'import', file, '--name', 'kaggle-cnn', ...flags, '--labels', 'alphabetical');
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toMatch(/imported: #1 "kaggle-cnn" {2}run 1 {2}keras-h5, [\d,]+ params, input 48×48×1 minus1to1, outputs angry,disgust,fear,happy,neutral,sad,surprise/);
  expect(out.stdout).toMatch(/evaluate it with: fer eval 1 --split PrivateTest/);
  expect((await fer('run', '1')).stdout).toMatch(/model {4}external on syn[\s\S]*external #1 "kaggle-cnn"/);

  const usage = await fer('models', 'import', file, '--name', 'x');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/needs --dataset, --input, --channels, --scale/);
  const bad = await fer('models', 'import', file, '--name', 'y', ...flags, '--labels', 'ferplus', '--json');
  expect(bad.code).toBe(1);
  expect(lastJson(bad.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/labels names 8 outputs, but the model has 7/) } });
  const list = lastJson((await fer('models', 'list', '--json')).stdout) as ExternalModelInfo[];
  expect(list.map((m) => [m.name, m.format, m.runId])).toEqual([['kaggle-cnn', 'keras-h5', 1]]);
});
