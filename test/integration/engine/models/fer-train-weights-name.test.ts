import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../../../src-shared/contract/runs';
import type { WeightsInfo } from '../../../../src-shared/contract/weights';
import { baseSpecs } from '../../../../src-main/engine/weights/detect';
import { ferOk } from '../../../helpers/fer-cli';
import { createSyntheticDataset } from '../../../helpers/fixtures';
import { tempWorkbench } from '../../../helpers/workbench';
import { randomWeights, writeKerasH5 } from '../../../unit/engine/weights/fixtures';

const t = tempWorkbench();
afterAll(() => t.cleanup());

const fer = (...args: string[]) => ferOk([...args, '--home', t.dir, '--json'], { timeout: 300_000 });

/**
 * `fer weights import FILE --name NAME`, then `fer train --weights NAME`: the name resolves to the import,
 * whose Keras (ImageNet) layer naming sets the input normalisation. With the whole base frozen, no
 * augmentation and --cache-features on, the head trains on cached features and the run says so.
 */
it('fer train --weights NAME trains on imported weights, and a frozen base uses the feature cache', async () => {
  await createSyntheticDataset(t.wb, { perClass: 3, seed: 5, balanced: true, name: 'tiny' });
  await t.wb.close(); // the CLI opens the home itself
  const file = join(t.dir, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  await writeKerasH5(file, randomWeights(baseSpecs({ architecture: 'vgg16', variant: 'keras' }), 4), 'weights');
  const info = (await fer('weights', 'import', file, '--name', 'imagenet-vgg16')).json as WeightsInfo;
  expect(info).toMatchObject({ architecture: 'vgg16', variant: 'keras' });

  const args = ['train', '--dataset', 'tiny', '--model', 'vgg16', '--weights', 'imagenet-vgg16', '--freeze', '19', '--cache-features', 'on', '--augment', 'off'];
  const [summary] = (await fer(...args, '--input-size', '48', '--epochs', '1', '--batch', '7', '--backend', 'wasm')).json as RunSummary[];
  expect(summary).toMatchObject({ status: 'completed', epochsDone: 1, model: 'vgg16' });
  expect(summary!.backendReason).toMatch(/Caching the frozen base's 512 features per image/);
  const detail = (await fer('run', String(summary!.id))).json as RunDetail;
  // The run records the import's id, not the name (a name can later point at other weights).
  expect(detail.config).toMatchObject({ weights: info.id, freeze: 19, cacheFeatures: true, augment: null });
  expect(Number.isFinite(detail.epochs[0]!.valLoss)).toBe(true);
});
