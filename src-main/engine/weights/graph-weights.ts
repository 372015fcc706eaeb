import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';
import type { GraphConv, GraphSpec } from './graph-spec';
import { shapeText } from './types';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: { strides?: { list?: { i?: string[] } }; padding?: { s?: string }; fused_ops?: { list?: { s?: string[] } } };
}

interface GraphJson {
  modelTopology?: { node?: GraphNode[] };
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** One rebuilt layer's weights, in the layer's order (kernel, bias). */
export type LayerWeights = Map<string, { shape: number[]; data: Float32Array }[]>;

function readJson(file: string): GraphJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('NOT_FOUND', `Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as GraphJson;
  } catch (err) {
    throw new AppError('INVALID_DATA', `${file} is not a tfjs graph model (not JSON: ${(err as Error).message}).`);
  }
}

/** Bytes one value of a manifest entry takes in the shard (quantised: 1 for uint8, 2 for float16 / uint16). */
function bytesPerValue(w: tf.io.WeightsManifestEntry): number {
  const q = w.quantization?.dtype;
  if (q) return q === 'uint8' ? 1 : 2;
  return w.dtype === 'bool' ? 1 : 4;
}

/** Every constant of the graph, dequantised (the shipped ones are float16) to float32, by node name. */
function decodeAll(file: string, json: GraphJson): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of json.weightsManifest ?? []) {
    const parts = group.paths.map((p) => {
      const shard = join(dirname(file), p);
      try {
        const b = readFileSync(shard);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      } catch (err) {
        throw new AppError('NOT_FOUND', `Cannot read the weights shard ${shard} of ${file}: ${(err as Error).message}`);
      }
    });
    const buffer = tf.io.concatenateArrayBuffers(parts);
    const need = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * bytesPerValue(w), 0);
    if (buffer.byteLength < need) {
      throw new AppError('INVALID_DATA', `The weights of ${file} (${group.paths.join(', ')}) hold ${buffer.byteLength} bytes; its manifest needs ${need}: a shard is truncated.`);
    }
    const tensors = tf.io.decodeWeights(buffer, group.weights);
    for (const [name, t] of Object.entries(tensors)) {
      if (t.dtype === 'float32') out.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
      t.dispose();
    }
  }
  return out;
}

function stridesOf(node: GraphNode): number[] {
  return (node.attr?.strides?.list?.i ?? []).map(Number);
}

function paddingOf(node: GraphNode): string {
  const s = node.attr?.padding?.s;
  return s ? Buffer.from(s, 'base64').toString('utf8') : '';
}

function fusedOpsOf(node: GraphNode): string[] {
  return (node.attr?.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

/**
 * Reads the weights of `spec`'s layers from the graph model `file`, checking first that the graph is the one the
 * rebuilt architecture was written from: every op node there with its op, strides, 'SAME' padding and input;
 * every constant there with its shape; every ReLU6 clipping at 0 and 6. Anything else is WEIGHTS_MISMATCH naming
 * the node, before any weight is used. `label` names the source in messages (package, version, file).
 */
export function readGraphWeights(file: string, spec: GraphSpec, label: string): LayerWeights {
  const json = readJson(file);
  const nodes = new Map((json.modelTopology?.node ?? []).map((n) => [n.name, n]));
  if (!nodes.size || !json.weightsManifest) throw new AppError('INVALID_DATA', `${file} is not a tfjs graph model (no modelTopology.node or weightsManifest).`);
  const differs = (what: string) => new AppError('WEIGHTS_MISMATCH', `${label}: ${what}. This graph differs from the one the workbench's model was written against.`);
  const opNode = (name: string, op: string): GraphNode => {
    const n = nodes.get(name);
    if (!n) throw differs(`node "${name}" (${op}) is missing`);
    if (n.op !== op) throw differs(`node "${name}" is a ${n.op}, expected ${op}`);
    return n;
  };
  const takes = (n: GraphNode, inputs: string[]) => {
    if (inputs.some((x, i) => n.input?.[i] !== x)) throw differs(`node "${n.name}" takes [${(n.input ?? []).join(', ')}], expected [${inputs.join(', ')}]`);
  };
  for (const { node, op, inputs } of spec.nodes) {
    const n = opNode(node, op);
    if (inputs) takes(n, inputs);
  }
  const consts = decodeAll(file, json);
  const constant = (name: string, shape: number[]): Float32Array => {
    const c = consts.get(name);
    if (!c) throw differs(`node "${name}" (a constant of shape ${shapeText(shape)}) is missing`);
    if (c.shape.length !== shape.length || c.shape.some((d, i) => d !== shape[i])) throw differs(`node "${name}" has shape ${shapeText(c.shape)}, expected ${shapeText(shape)}`);
    return c.data;
  };
  const out: LayerWeights = new Map();
  for (const c of spec.convs) {
    const n = opNode(c.node, c.op);
    const strides = stridesOf(n);
    if (strides.join() !== `1,${c.strides},${c.strides},1`) throw differs(`node "${c.node}" has strides [${strides.join(', ')}], expected [1, ${c.strides}, ${c.strides}, 1]`);
    const padding = c.padding ?? 'SAME';
    if (paddingOf(n) !== padding) throw differs(`node "${c.node}" has padding ${paddingOf(n) || '(none)'}, expected ${padding}`);
    takes(n, c.fusedOps ? [c.from, c.kernel.node, c.bias] : [c.from, c.kernel.node]);
    if (c.fusedOps && fusedOpsOf(n).join() !== c.fusedOps.join()) {
      throw differs(`node "${c.node}" fuses [${fusedOpsOf(n).join(', ')}], expected [${c.fusedOps.join(', ')}]`);
    }
    out.set(c.layer, [{ shape: c.kernel.shape, data: kernelOf(c, constant) }, { shape: [c.channels], data: constant(c.bias, [c.channels]) }]);
    if (c.prelu) {
      takes(opNode(c.prelu.relu, 'Relu'), [c.node]);
      takes(opNode(c.prelu.add, 'Add'), [c.prelu.relu]);
      const scale = constant(c.prelu.scale, [c.channels]);
      out.set(`${c.layer}_prelu`, [{ shape: [1, 1, c.channels], data: scale.map((m) => 2 * m) }]);
    }
    if (c.clip) {
      const [max, min] = [constant(c.clip[0], [])[0], constant(c.clip[1], [])[0]];
      if (max !== 6 || min !== 0) throw differs(`the activation after "${c.node}" clips to [${min}, ${max}], expected ReLU6's [0, 6]`);
    }
  }
  return out;
}

/** The kernel, with a leftover per-channel scale (depthwise batch norm) multiplied in: the same function, one weight less. */
function kernelOf(c: GraphConv, constant: (name: string, shape: number[]) => Float32Array): Float32Array {
  const k = constant(c.kernel.node, c.kernel.shape);
  if (!c.scale) return k;
  const scale = constant(c.scale, [c.channels]);
  const out = new Float32Array(k.length);
  // [kh, kw, channels, 1]: the channel is the fastest-varying index.
  for (let i = 0; i < k.length; i++) out[i] = k[i]! * scale[i % c.channels]!;
  return out;
}

/** Sets the rebuilt layers' weights; every layer in `weights` must exist in `model` with those shapes. */
export function applyGraphWeights(model: tf.LayersModel, weights: LayerWeights): void {
  for (const [name, ws] of weights) {
    const layer = model.getLayer(name);
    const tensors = ws.map((w) => tf.tensor(w.data, w.shape));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}
