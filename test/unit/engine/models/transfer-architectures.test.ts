import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { trainConfigSchema, type TrainConfigInput } from '../../../../src-shared/contract/runs';
import { BASE_LAYER_COUNTS } from '../../../../src-shared/contract/weights';
import { AppError } from '../../../../src-shared/errors';
import { buildBase } from '../../../../src-main/engine/models/blocks/architectures';
import { getModel } from '../../../../src-main/engine/models/index';

function cfg(over: Partial<TrainConfigInput>) {
  return trainConfigSchema.parse({ dataset: 'x', ...over });
}

function countOf(arch: 'resnet50' | 'senet50' | 'vgg16', variant: 'vggface' | 'keras') {
  const m = buildBase(arch, variant, 48, 0, { zeros: true });
  const out = { params: m.countParams(), layers: m.layers.length };
  // The shared constants the UI uses for freeze limits and cache hints must match the real bases.
  expect(BASE_LAYER_COUNTS[arch][variant]).toBe(out.layers);
  m.dispose();
  return out;
}

// Sum of the output channels of ResNet-50's 53 convolutions (= its BatchNorm channels): 64 + stage sums.
const RESNET50_CONV_CHANNELS = 64 + (3 * 384 + 256) + (4 * 768 + 512) + (6 * 1536 + 1024) + (3 * 3072 + 2048);

describe('conv bases match published parameter counts (weights shapes do not depend on input size)', () => {
  it('VGG16 notop: 14,714,688 (Keras Applications VGG16(include_top=False).count_params()), in both namings', () => {
    expect(countOf('vgg16', 'keras')).toEqual({ params: 14_714_688, layers: 19 });
    expect(countOf('vgg16', 'vggface')).toEqual({ params: 14_714_688, layers: 19 });
  });

  it('ResNet50 notop, Keras Applications: 23,587,712 (ResNet50(include_top=False).count_params())', () => {
    // 175 Keras layers (input … conv5_block3_out) + our 'avg_pool'.
    expect(countOf('resnet50', 'keras')).toEqual({ params: 23_587_712, layers: 176 });
  });

  it('ResNet50 notop, keras-vggface: the Keras count minus the conv biases keras-vggface leaves out', () => {
    expect(RESNET50_CONV_CHANNELS).toBe(26_560);
    // Also = torchvision resnet50's 25,557,032 − its fc (2048·1000 + 1000) + BN running mean/var (2 · 26,560).
    expect(25_557_032 - 2_049_000 + 2 * RESNET50_CONV_CHANNELS).toBe(23_587_712 - RESNET50_CONV_CHANNELS);
    expect(countOf('resnet50', 'vggface')).toEqual({ params: 23_587_712 - RESNET50_CONV_CHANNELS, layers: 174 });
  });

  it('SE-ResNet-50 notop (keras-vggface SENET50): Hu et al.\'s 28.09M SE-ResNet-50 without its fc, plus BN statistics', () => {
    // Hu et al. 2018 (Squeeze-and-Excitation Networks, Table 2/7): SE-ResNet-50 has ~28.1M parameters;
    // timm's seresnet50 (same design, reduction 16, biased SE convs) counts exactly 28,088,024 of them with
    // the 1000-way fc (2,049,000) and BN as (γ, β). Keras also counts BN moving mean/variance (2 · 26,560).
    const seParams = [
      [256, 3],
      [512, 4],
      [1024, 6],
      [2048, 3],
    ].reduce((s, [c, n]) => s + n! * (c! * (c! / 16) + c! / 16 + (c! / 16) * c! + c!), 0);
    expect(seParams).toBe(2_530_992);
    const expected = 28_088_024 - 2_049_000 + 2 * RESNET50_CONV_CHANNELS;
    expect(expected).toBe(23_561_152 + seParams);
    // 16 blocks × 7 SE layers (pool, reshape, down, relu, up, sigmoid, scale) on top of ResNet50's 174.
    expect(countOf('senet50', 'vggface')).toEqual({ params: expected, layers: 174 + 16 * 7 });
  });
});

describe('full models: base + the paper head, registered in the model registry', () => {
  const HEAD = 2048 * 4096 + 4096 + 4096 * 1024 + 1024 + 1024 * 7 + 7;

  it('ResNet50 at 64×64: base + FC4096 → FC1024 → softmax 7; freezes the first N layers', async () => {
    const def = getModel('resnet50');
    const c = cfg({ model: 'resnet50', inputSize: 64, freeze: 170 });
    expect(def.inputSpec(c)).toEqual({ size: 64, channels: 3, normalize: 'vggface' });
    const m = await def.build(c, { weightsFile: null });
    expect(m.inputs[0]!.shape).toEqual([null, 64, 64, 3]);
    expect(m.outputs[0]!.shape).toEqual([null, 7]);
    expect(m.countParams()).toBe(23_561_152 + HEAD);
    expect(m.layers.length).toBe(174 + 3);
    expect(m.layers.slice(0, 170).every((l) => !l.trainable)).toBe(true);
    // What the paper's "first 170 layers frozen" leaves trainable in keras-vggface's layer order: the last
    // BN of the last block (its conv, index 169, is frozen), the add/ReLU/pool, and the head.
    expect(m.layers.slice(169).map((l) => l.name)).toEqual(['conv5_3_1x1_increase', 'conv5_3_1x1_increase/bn', 'conv5_3/add', 'conv5_3/relu', 'avg_pool', 'head_fc4096', 'head_fc1024', 'head_softmax']);
    expect(m.layers.slice(170).every((l) => l.trainable)).toBe(true);
    const probs = tf.tidy(() => (m.predict(tf.randomNormal([2, 64, 64, 3], 0, 50, 'float32', 1)) as tf.Tensor).sum(1).dataSync());
    expect(Array.from(probs).map((p) => Math.round(p * 1e4) / 1e4)).toEqual([1, 1]);
    m.dispose();
  });

  it('VGG16 at 48×48 has 50% dropout after both head FC layers; SeNet50 builds at 64×64', async () => {
    const vgg = await getModel('vgg16').build(cfg({ model: 'vgg16', inputSize: 48, freeze: 19 }), { weightsFile: null });
    const drops = vgg.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => (l.getConfig() as { rate: number }).rate);
    expect(drops).toEqual([0.5, 0.5]);
    expect(vgg.countParams()).toBe(14_714_688 + 512 * 4096 + HEAD - 2048 * 4096);
    expect(vgg.trainableWeights.length).toBe(6); // the base is frozen whole: only the three head dense layers train
    vgg.dispose();
    const se = await getModel('senet50').build(cfg({ model: 'senet50', inputSize: 64 }), { weightsFile: null });
    expect(se.countParams()).toBe(26_092_144 + HEAD);
    se.dispose();
  });

  it('refuses a freeze count beyond the base and an input below the architecture minimum', async () => {
    const err = await getModel('resnet50')
      .build(cfg({ model: 'resnet50', inputSize: 32, freeze: 175 }), { weightsFile: null })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_INPUT');
    expect((err as AppError).message).toMatch(/freeze 175 is beyond resnet50's depth: its pretrained base has 174 layers/);
    // The input spec refuses it too, so run creation can reject the config before queueing a run.
    expect(() => getModel('senet50').inputSpec(cfg({ model: 'senet50', freeze: 287 }))).toThrow(/freeze 287 is beyond senet50's depth: its pretrained base has 286 layers/);
    expect(getModel('senet50').inputSpec(cfg({ model: 'senet50', freeze: 286, inputSize: 197 }))).toEqual({ size: 197, channels: 3, normalize: 'vggface' });

    const small = cfg({ model: 'vgg16', inputSize: 40 });
    expect(() => getModel('vgg16').inputSpec(small)).toThrow(/inputSize 40 is too small for vgg16: it needs at least 48×48/);
    await expect(getModel('vgg16').build(small, { weightsFile: null })).rejects.toThrow(/too small for vgg16/);
    // Past the config schema (which stops at 32), the model's own check still holds.
    await expect(getModel('senet50').build({ ...cfg({ model: 'senet50' }), inputSize: 16 }, { weightsFile: null })).rejects.toThrow(/too small for senet50/);
  });
});
