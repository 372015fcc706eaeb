/**
 * Where one of our conv layers finds its weights in a shipped tfjs graph model (graph-weights.ts reads them).
 * A graph model is inference-only: its converter folded each batch norm into the conv before it (a
 * "merged_input" kernel and a bias) or, after depthwise convs, left it as a per-channel Mul and Add. The
 * rebuilt layer is a conv with a bias that computes the same function, and trains.
 */
export interface GraphConv {
  /** Our layer's name. */
  layer: string;
  /** The graph's op node for this conv. */
  node: string;
  op: 'Conv2D' | 'DepthwiseConv2dNative' | '_FusedConv2D' | 'FusedDepthwiseConv2dNative';
  strides: number;
  /** 'SAME' unless given. */
  padding?: 'SAME' | 'VALID';
  /** A fused op's fused_ops (its bias is then the op's third input): ['BiasAdd'], or ['BiasAdd', 'Relu']. */
  fusedOps?: string[];
  /** The activation after the conv as the graph computes it: a fused or separate ReLU, ReLU6, PReLU, or none. */
  activation: 'relu' | 'relu6' | 'prelu' | 'linear';
  /** The node feeding the conv: the topology check that nothing (a preprocessing step, a skipped block) sits between. */
  from: string;
  /** The kernel constant: [k, k, in, out] (Conv2D) or [k, k, channels, 1] (depthwise). */
  kernel: { node: string; shape: number[] };
  /** A per-channel scale the converter left unfolded (batch norm after a depthwise conv); folded into the kernel here. */
  scale?: string;
  /** The per-channel bias constant (the folded batch norm's shift). */
  bias: string;
  channels: number;
  /** The clip constants of a ReLU6 after the conv ([max, min] nodes), checked to be 6 and 0. */
  clip?: [string, string];
  /**
   * A PReLU written out by the converter: `add` = `relu` (Relu of the conv) + scale · (x − |x|), i.e. slope 2·scale
   * for negative inputs. Read into a PReLU layer named `${layer}_prelu`.
   */
  prelu?: { relu: string; scale: string; add: string };
}

/** What the workbench rebuilds from one graph model. */
export interface GraphSpec {
  /** The model file inside the package, e.g. models/faceres.json. */
  file: string;
  convs: GraphConv[];
  /** Further op nodes that must be there (e.g. the global pool whose output is the features, residual adds), with their inputs when given. */
  nodes: { node: string; op: string; inputs?: string[] }[];
}
