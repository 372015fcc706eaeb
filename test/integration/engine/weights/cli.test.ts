import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { WeightsInfo } from '../../../../src-shared/contract/weights';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { lastJson, fer as runFer } from '../../../helpers/fer-cli';
import { tempDir } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5 } from '../../../unit/engine/weights/fixtures';

const home = tempDir('fer-weights-cli-');
// The weights files live outside the home: a home is an empty folder or a workbench's (home.ts refuses others).
const files = tempDir('fer-weights-files-');
afterAll(() => {
  home.cleanup();
  files.cleanup();
});

const fer = (...args: string[]) => runFer([...args, '--home', home.dir], { timeout: 120_000 });

it('fer weights import / list / delete, with a clear error for a bad file', async () => {
  const file = join(files.dir, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  await writeKerasH5(file, randomWeights(baseSpecs({ architecture: 'vgg16', variant: 'keras' }), 2), 'weights');

  const human = await fer('weights', 'import', file, '--name', 'imagenet-vgg16');
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/imported: vgg16-keras-[0-9a-f]{12} {2}"imagenet-vgg16" {2}vgg16\/keras \(imagenet-caffe input\) {2}13 layers, 14,714,688 values/);
  expect(human.stdout).toMatch(/use it with: fer train --model vgg16 --weights vgg16-keras-/);

  const list = lastJson((await fer('weights', 'list', '--json')).stdout) as WeightsInfo[];
  expect(list).toHaveLength(1);
  expect(existsSync(join(list[0]!.path, 'weights.bin'))).toBe(true);

  const bad = await fer('weights', 'import', join(files.dir, 'missing.h5'), '--name', 'x', '--json');
  expect(bad.code).toBe(1);
  expect(lastJson(bad.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  const usage = await fer('weights', 'import', file);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/needs --name NAME/);

  expect(lastJson((await fer('weights', 'delete', list[0]!.id, '--json')).stdout)).toEqual({ deleted: true });
  expect(existsSync(list[0]!.path)).toBe(false);
  expect(lastJson((await fer('weights', 'list', '--json')).stdout)).toEqual([]);
});
