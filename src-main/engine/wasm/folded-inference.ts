import * as tf from '@tensorflow/tfjs';
import { CONV_MAXPOOL } from './conv2d';

/**
 * Inference with every conv → batch-norm (→ ReLU) run folded into one fused conv: at inference BN is the affine
 * y = x·a + b per channel (a = γ/√(var+ε), b = β − μ·a), so it folds into the conv's filter (W·a) and bias
 * ((bias − μ)·a + β), and a following ReLU becomes the fused conv's activation. That removes two full passes over
 * each conv's output (on wasm ~7% of an eval batch for the peer net). On wasm a 2×2 max pool after it joins the
 * same kernel (CONV_MAXPOOL), so the full-size activation is never stored. Numerically equal to
 * model.predict up to float32 rounding (test/unit/engine/wasm/folded-inference.test.ts).
 *
 * Only single-input, single-output chains of layers qualify (Sequential models and functional ones built as a
 * chain, like every model in models/); anything else returns null and the caller uses model.predict.
 * Weights are read on every call, so it stays right while the model trains.
 */
export function foldedPredict(model: tf.LayersModel, x: tf.Tensor): tf.Tensor | null {
  const chain = layerChain(model);
  if (!chain) return null;
  return tf.tidy(() => {
    let y = x;
    for (let i = 0; i < chain.length; i++) {
      const layer = chain[i]!;
      const bn = chain[i + 1];
      if (isFoldableConv(layer) && bn && isFoldableBatchNorm(bn)) {
        const act = chain[i + 2] && isRelu(chain[i + 2]!) ? 'relu' : 'linear';
        i += act === 'relu' ? 2 : 1;
        const pool = !!chain[i + 1] && isPool2x2(chain[i + 1]!) && tf.getKernel(CONV_MAXPOOL, tf.getBackend()) !== undefined;
        y = foldedConv(layer, bn, y as tf.Tensor4D, act, pool);
        if (pool) i += 1;
      } else {
        y = layer.apply(y, { training: false }) as tf.Tensor;
      }
    }
    return y;
  });
}

type Layer = tf.layers.Layer;
interface NodeLike {
  inboundLayers: Layer[];
}

/** The model's layers in order if each one feeds only the next; null otherwise. */
function layerChain(model: tf.LayersModel): Layer[] | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (layers.length === 0) return null;
  for (let i = 0; i < layers.length; i++) {
    const nodes = (layers[i] as unknown as { inboundNodes: NodeLike[] }).inboundNodes;
    // A layer reused elsewhere, or one with several inputs, is not a chain link.
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1) return null;
    const from = nodes[0]!.inboundLayers[0]!;
    if (i > 0 ? from !== layers[i - 1] : from.getClassName() !== 'InputLayer' && !isSequentialInput(model, from)) return null;
  }
  // Each layer must feed exactly the next one: the last is the model's output.
  const outLayer = (model.outputs[0] as unknown as { sourceLayer: Layer }).sourceLayer;
  return outLayer === layers[layers.length - 1] ? layers : null;
}

function isSequentialInput(model: tf.LayersModel, layer: Layer): boolean {
  return (model.inputs[0] as unknown as { sourceLayer: Layer }).sourceLayer === layer;
}

function isFoldableConv(layer: Layer): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const c = layer.getConfig();
  const dil = c.dilationRate;
  const dilOne = dil === undefined || dil === 1 || (Array.isArray(dil) && dil.every((d) => d === 1));
  return c.activation === 'linear' && (c.dataFormat ?? 'channelsLast') === 'channelsLast' && dilOne && (c.padding === 'same' || c.padding === 'valid');
}

function isFoldableBatchNorm(layer: Layer): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const axis = layer.getConfig().axis;
  return axis === -1 || axis === 3;
}

/** A plain ReLU layer (no cap, slope or threshold); fused-bn-training.ts folds the same ones into batch norm. */
export function isRelu(layer: Layer): boolean {
  const name = layer.getClassName();
  const c = layer.getConfig();
  if (name === 'ReLU') return c.maxValue == null && (c.negativeSlope ?? 0) === 0 && (c.threshold ?? 0) === 0;
  return name === 'Activation' && c.activation === 'relu';
}

/** A 2×2 stride-2 'valid' max pool, which the wasm backend can fuse into the conv before it (CONV_MAXPOOL). */
function isPool2x2(layer: Layer): boolean {
  if (layer.getClassName() !== 'MaxPooling2D') return false;
  const c = layer.getConfig();
  const two = (v: unknown) => v === 2 || (Array.isArray(v) && v.length === 2 && v.every((d) => d === 2));
  return two(c.poolSize) && (c.strides == null || two(c.strides)) && c.padding === 'valid' && (c.dataFormat ?? 'channelsLast') === 'channelsLast';
}

function foldedConv(conv: Layer, bn: Layer, x: tf.Tensor4D, activation: 'relu' | 'linear', pool: boolean): tf.Tensor4D {
  const cc = conv.getConfig();
  const bc = bn.getConfig();
  const [kernel, convBias] = conv.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
  // BN's weights in build order: gamma (if scale), beta (if center), moving mean, moving variance.
  const w = bn.getWeights();
  let k = 0;
  const gamma = bc.scale !== false ? w[k++]! : null;
  const beta = bc.center !== false ? w[k++]! : null;
  const mean = w[k++]!;
  const variance = w[k++]!;
  const a = tf.div(gamma ?? 1, tf.sqrt(tf.add(variance, bc.epsilon as number)));
  const shifted = cc.useBias !== false && convBias ? tf.sub(convBias, mean) : tf.neg(mean);
  const bias = tf.add(tf.mul(shifted, a), beta ?? 0) as tf.Tensor1D;
  const filter = tf.mul(kernel, a) as tf.Tensor4D;
  const strides = cc.strides as number | [number, number];
  const pad = cc.padding as 'same' | 'valid';
  if (pool) return tf.engine().runKernel(CONV_MAXPOOL, { x, filter, bias }, { strides, pad, dataFormat: 'NHWC', dilations: 1, activation }) as tf.Tensor4D;
  return tf.fused.conv2d({ x, filter, bias, strides, pad, dataFormat: 'NHWC', activation });
}
