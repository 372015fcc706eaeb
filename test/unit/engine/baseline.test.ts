import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../src-main/engine/backend';
import { prepareBatch } from '../../../src-main/engine/input';
import { getModel, xnnpackPoolFor } from '../../../src-main/engine/models/index';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { trainConfigSchema } from '../../../src-shared/contract/runs';
import { AppError } from '../../../src-shared/errors';

describe('model registry and the paper baseline', () => {
  beforeAll(async () => {
    await activateBackend('wasm');
  });

  it('builds torch_peer.py’s network: 4× conv3×3×32 same + BN + ReLU, 2 max-pools, dropout 0.5, dense 7 softmax', async () => {
    const cfg = trainConfigSchema.parse({ dataset: 'x' });
    const model = await getModel('baseline').build(cfg, { weightsFile: null });
    const kinds = model.layers.map((l) => l.getClassName());
    expect(kinds).toEqual([
      'InputLayer',
      ...['Conv2D', 'BatchNormalization', 'ReLU', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D'],
      ...['Conv2D', 'BatchNormalization', 'ReLU', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D'],
      'Flatten',
      'Dropout',
      'Dense',
    ]);
    for (const l of model.layers.filter((l) => l.getClassName() === 'Conv2D')) {
      const c = l.getConfig();
      expect([c.filters, c.kernelSize, c.padding]).toEqual([32, [3, 3], 'same']);
    }
    expect(model.getLayer('dropout').getConfig().rate).toBe(0.5);
    expect(model.getLayer('probs').getConfig().activation).toBe('softmax');
    expect(model.outputs[0]!.shape).toEqual([null, 7]);
    // The same parameter count as the PyTorch peer: 320 + 3×9,248 + 4×64 (BN γ, β) + 12·12·32·7 + 7.
    const trainable = model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(trainable).toBe(320 + 3 * 9248 + 4 * 64 + 4608 * 7 + 7);
    model.dispose();
  });

  it('hidden: N puts a FC N (no bias) + BN + ReLU before the dropout and output; 0 leaves the peer’s net', async () => {
    const model = await getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x', hidden: 64 }), { weightsFile: null });
    const names = model.layers.map((l) => l.name);
    expect(names.slice(names.indexOf('flatten'))).toEqual(['flatten', 'fc', 'bn_fc', 'relu_fc', 'dropout', 'probs']);
    expect(model.getLayer('fc').getWeights().map((w) => w.shape)).toEqual([[4608, 64]]);
    expect(model.getLayer('probs').getWeights()[0]!.shape).toEqual([64, 7]);
    const trainable = model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(trainable).toBe(320 + 3 * 9248 + 4 * 64 + 4608 * 64 + 2 * 64 + 64 * 7 + 7);
    model.dispose();
    expect(() => trainConfigSchema.parse({ dataset: 'x', hidden: -1 })).toThrow();
  });

  it('starts from PyTorch’s default weights, as torch_peer.py does: uniform ±1/√fan_in, zero biases', async () => {
    const model = await getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x', seed: 3 }), { weightsFile: null });
    for (const [layer, fanIn] of [['conv1', 9], ['conv2', 288], ['conv4', 288], ['probs', 4608]] as const) {
      const [kernel, bias] = model.getLayer(layer).getWeights();
      const w = Array.from(kernel!.dataSync());
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
      // A uniform on ±b has standard deviation b/√3 (He-normal's would be √2/√fan_in, 2.4× that).
      const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
      expect(std).toBeGreaterThan(0.9 * (bound / Math.sqrt(3)));
      expect(std).toBeLessThan(1.1 * (bound / Math.sqrt(3)));
      expect(Array.from(bias!.dataSync()).every((b) => b === 0)).toBe(true);
    }
    model.dispose();
  });

  it('the same seed builds the same weights; another seed does not', async () => {
    const build = (seed: number) => getModel('baseline').build(trainConfigSchema.parse({ dataset: 'x', seed }), { weightsFile: null });
    const [a, b, c] = await Promise.all([build(4), build(4), build(5)]);
    const first = (m: tf.LayersModel) => Array.from(m.getLayer('conv1').getWeights()[0]!.dataSync());
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects an unknown model with INVALID_INPUT naming it', () => {
    expect(() => getModel('lenet')).toThrowError(AppError);
    expect(() => getModel('lenet')).toThrowError(/Unknown model "lenet"/);
  });

  it('presets follow the paper: ResNet50/SeNet50 SGD lr 0.01 (ResNet50 freezes 170), VGG16 Adam with the base frozen', () => {
    const by = Object.fromEntries(MODEL_PRESETS.map((p) => [p.id, p.config]));
    expect(by.resnet50).toMatchObject({ model: 'resnet50', optimizer: 'sgd', lr: 0.01, freeze: 170 });
    expect(by.senet50).toMatchObject({ model: 'senet50', optimizer: 'sgd', lr: 0.01 });
    expect(by.vgg16).toMatchObject({ model: 'vgg16', optimizer: 'adam' });
    expect(by.baseline).toMatchObject({ model: 'baseline' });
    for (const p of MODEL_PRESETS) expect(() => trainConfigSchema.parse({ dataset: 'x', ...p.config })).not.toThrow();
  });

  it('prepareBatch scales to 0–1, replicates gray to 3 channels and resizes', () => {
    const pixels = new Uint8Array(2 * 2304).fill(255);
    pixels[0] = 0;
    const one = prepareBatch(pixels, 2, { size: 48, channels: 1, normalize: 'unit' });
    expect(one.shape).toEqual([2, 48, 48, 1]);
    expect(one.min().dataSync()[0]).toBe(0);
    expect(one.max().dataSync()[0]).toBe(1);
    const rgb = prepareBatch(pixels, 2, { size: 64, channels: 3, normalize: 'imagenet-caffe' });
    expect(rgb.shape).toEqual([2, 64, 64, 3]);
    // 255 minus each channel's BGR mean, on a white corner far from the one black pixel.
    expect(Array.from(rgb.slice([1, 63, 63, 0], [1, 1, 1, 3]).dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([151.06, 138.22, 131.32]);
    tf.dispose([one, rgb]);
  });

  it('gives XNNPACK one thread only where every heavy layer runs on the workbench kernels (the gray baseline)', () => {
    expect(xnnpackPoolFor(trainConfigSchema.parse({ dataset: 'x' }))).toBe('one');
    expect(xnnpackPoolFor(trainConfigSchema.parse({ dataset: 'x', channels: 3 }))).toBe('all');
    expect(xnnpackPoolFor(trainConfigSchema.parse({ dataset: 'x', model: 'resnet50', inputSize: 64, channels: 3 }))).toBe('all');
  });
});
