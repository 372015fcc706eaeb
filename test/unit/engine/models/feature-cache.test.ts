import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { trainConfigSchema, type TrainConfigInput } from '../../../../src-shared/contract/runs';
import { featureCacheHint } from '../../../../src-shared/contract/weights';
import { CachedFeatures, featureCacheMaxBytes, planFeatureCache, splitAtHead } from '../../../../src-main/engine/feature-cache';
import { prepareBatch } from '../../../../src-main/engine/input';
import { getModel } from '../../../../src-main/engine/models/index';

const cfg = (over: Partial<TrainConfigInput>) => trainConfigSchema.parse({ dataset: 'x', model: 'resnet50', inputSize: 32, ...over });

function crossEntropy(probs: tf.Tensor, labels: Int32Array): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 7), probs.clipByValue(1e-7, 1).log()) as tf.Scalar;
}

describe('feature cache for a frozen base', () => {
  // As the trainer does: activating the backend installs the frozen batch-norm patch the full-model path relies on
  // (a frozen base's batch norm must use its moving statistics in a training step too).
  beforeAll(async () => {
    await activateBackend('cpu');
  });

  it('applies with pretrained layers frozen, no augmentation but a flip, and the option on', async () => {
    const c = cfg({ freeze: 174, cacheFeatures: true });
    const model = await getModel('resnet50').build(c, { weightsFile: null });
    expect(planFeatureCache(c, model, 1000)).toMatchObject({ applies: true, featureSize: 2048 });
    expect(planFeatureCache({ ...c, cacheFeatures: false }, model, 1000).applies).toBe(false);
    const aug = planFeatureCache({ ...c, augment: { flip: true, rotation: 10, zoom: 0.1, shiftX: 0.1, shiftY: 0.1 } }, model, 1000);
    expect(aug).toMatchObject({ applies: false });
    expect(aug.reason).toMatch(/rotation, zoom or shift changes the base's input/);
    // An all-zero augmentation changes nothing, so the cache still applies.
    expect(planFeatureCache({ ...c, augment: { flip: false, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 } }, model, 1000).applies).toBe(true);
    // Part of the base frozen: its outputs at the cut (the last block's input and the shortcut it adds) are cached.
    expect(planFeatureCache({ ...c, freeze: 170 }, model, 1000)).toMatchObject({ applies: true, reason: expect.stringMatching(/frozen layers .*each epoch trains from/) });
    expect(planFeatureCache({ ...c, freeze: 0 }, model, 1000)).toMatchObject({ applies: false, reason: expect.stringContaining('no pretrained layer frozen') });
    expect(planFeatureCache(c, model, 10_000_000).reason).toMatch(/GiB/);
    // A flip alone: the training faces are cached twice (as they are and mirrored), which the budget counts.
    const flip = { ...c, augment: { flip: true, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 } };
    expect(planFeatureCache(flip, model, 1000, 800)).toMatchObject({ applies: true, mirror: true });
    const fits = Math.floor(featureCacheMaxBytes() / (2048 * 4));
    expect(planFeatureCache(c, model, fits).applies).toBe(true);
    expect(planFeatureCache(flip, model, fits, 1000).reason).toMatch(/GiB/);
    // The renderer's hint (shared, no tfjs) agrees with the trainer's decision on the built model.
    for (const variant of [c, { ...c, cacheFeatures: false }, { ...c, freeze: 170 }, { ...c, freeze: 0 }, { ...c, freeze: 1 }, { ...c, augment: { flip: true, rotation: 0, zoom: 0, shiftX: 0, shiftY: 0 } }]) {
      expect(featureCacheHint(variant).applies).toBe(planFeatureCache(variant, model, 1000).applies);
    }
    expect(featureCacheHint({ ...c, cacheFeatures: false }).reason).toMatch(/turn it on/);
    model.dispose();
  });

  it('training the head on cached features follows the same trajectory as training the whole model', async () => {
    const c = cfg({ freeze: 174, cacheFeatures: true, seed: 4 });
    const def = getModel('resnet50');
    const spec = def.inputSpec(c);
    const n = 12;
    const pixels = new Uint8Array(n * 2304).map((_, i) => (i * 131 + (i >> 7) * 17) % 256);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 5) % 7);
    const order = [3, 7, 1, 0, 11, 5, 9, 2, 4, 10, 6, 8];
    const batches: [number, number][] = [[0, 6], [6, 12], [0, 6]];

    // Path A: the full model, the frozen base (and its BN layers) running inside every step.
    const full = await def.build(c, { weightsFile: null });
    const optA = tf.train.sgd(0.05);
    const lossesA = batches.map(([from, to]) => {
      const rows = new Uint8Array((to - from) * 2304);
      order.slice(from, to).forEach((r, i) => rows.set(pixels.subarray(r * 2304, (r + 1) * 2304), i * 2304));
      const y = Int32Array.from(order.slice(from, to), (r) => labels[r]!);
      const loss = tf.tidy(() => {
        const x = prepareBatch(rows, to - from, spec);
        return optA.minimize(() => crossEntropy(full.apply(x, { training: true }) as tf.Tensor, y), true, full.trainableWeights.map((w) => w.read() as tf.Variable))!;
      });
      return loss.dataSync()[0]!;
    });

    // Path B: the same initial weights (same seed), features computed once, only the head trained.
    const twin = await def.build(c, { weightsFile: null });
    const { base, head } = splitAtHead(twin);
    const cache = await CachedFeatures.compute(base, pixels, n, spec, 5);
    expect(cache.shapes).toEqual([[2048]]);
    const optB = tf.train.sgd(0.05);
    const lossesB = batches.map(([from, to]) => {
      const y = Int32Array.from(order.slice(from, to), (r) => labels[r]!);
      const loss = tf.tidy(() => {
        const feats = cache.gather(order, from, to);
        return optB.minimize(() => crossEntropy(head.apply(feats, { training: true }) as tf.Tensor, y), true, head.trainableWeights.map((w) => w.read() as tf.Variable))!;
      });
      return loss.dataSync()[0]!;
    });

    expect(lossesA[0]).toBeGreaterThan(0.5);
    // Training moved the loss, and both paths moved it identically.
    expect(Math.abs(lossesA[2]! - lossesA[0]!)).toBeGreaterThan(1e-4);
    lossesB.forEach((l, i) => expect(Math.abs(l - lossesA[i]!) / lossesA[i]!).toBeLessThan(1e-4));
    // The head trained through the split is the twin model's own head: its weights moved with it.
    const wA = full.getLayer('head_softmax').getWeights()[0]!;
    const wB = twin.getLayer('head_softmax').getWeights()[0]!;
    expect(tf.tidy(() => wA.sub(wB).abs().max().dataSync()[0]!)).toBeLessThan(1e-5);
    full.dispose();
    twin.dispose();
  });
});
