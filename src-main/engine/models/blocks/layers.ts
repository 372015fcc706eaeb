import * as tf from '@tensorflow/tfjs';

export type Sym = tf.SymbolicTensor;

/**
 * Builds layers with distinct, seed-derived initialiser seeds, so the same seed always yields the same
 * random weights (a run without pretrained weights is still reproducible).
 */
export class LayerFactory {
  private n = 0;
  /** `zeros`: skip random initialisation (for reading a topology's weight shapes, or before loading weights). */
  constructor(
    private readonly seed: number,
    private readonly opts: { zeros?: boolean } = {},
  ) {}

  private nextSeed(): number {
    return (this.seed * 7919 + ++this.n * 104729) % 2147483647;
  }

  /** He-normal: keeps activations of these deep ReLU stacks in range when no pretrained weights are loaded. */
  heNormal(): ReturnType<typeof tf.initializers.zeros> {
    if (this.opts.zeros) return tf.initializers.zeros();
    return tf.initializers.heNormal({ seed: this.nextSeed() });
  }

  glorot(): ReturnType<typeof tf.initializers.zeros> {
    if (this.opts.zeros) return tf.initializers.zeros();
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  conv(
    x: Sym,
    o: { filters: number; kernel: number; strides?: number; padding?: 'same' | 'valid'; useBias: boolean; name: string; activation?: 'relu' },
  ): Sym {
    return tf.layers
      .conv2d({
        filters: o.filters,
        kernelSize: o.kernel,
        strides: o.strides ?? 1,
        padding: o.padding ?? 'valid',
        useBias: o.useBias,
        activation: o.activation ?? 'linear',
        kernelInitializer: this.heNormal(),
        name: o.name,
      })
      .apply(x) as Sym;
  }

  /** A depthwise conv (one filter per channel, depth multiplier 1), as MobileNet's separable blocks use. */
  depthwise(x: Sym, o: { kernel: number; strides?: number; padding?: 'same' | 'valid'; useBias: boolean; name: string }): Sym {
    return tf.layers
      .depthwiseConv2d({
        kernelSize: o.kernel,
        strides: o.strides ?? 1,
        padding: o.padding ?? 'valid',
        useBias: o.useBias,
        depthwiseInitializer: this.heNormal(),
        name: o.name,
      })
      .apply(x) as Sym;
  }

  bn(x: Sym, name: string, epsilon: number): Sym {
    // Keras' default momentum (0.99): the pretrained statistics move slowly when the layer is fine-tuned.
    return tf.layers.batchNormalization({ axis: 3, epsilon, momentum: 0.99, name }).apply(x) as Sym;
  }

  relu(x: Sym, name?: string): Sym {
    return tf.layers.activation({ activation: 'relu', ...(name ? { name } : {}) }).apply(x) as Sym;
  }

  /** PReLU with one slope per channel (shared over height and width), as MobileFaceNet uses. */
  prelu(x: Sym, name: string): Sym {
    return tf.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: 0.25 }), name }).apply(x) as Sym;
  }

  /** min(max(x, 0), 6): MobileNet's activation. */
  relu6(x: Sym, name: string): Sym {
    return tf.layers.activation({ activation: 'relu6', name }).apply(x) as Sym;
  }

  dense(x: Sym, units: number, name: string, activation: 'relu' | 'softmax' | 'linear'): Sym {
    return tf.layers.dense({ units, activation, kernelInitializer: this.glorot(), name }).apply(x) as Sym;
  }

  add(xs: Sym[], name?: string): Sym {
    return tf.layers.add(name ? { name } : {}).apply(xs) as Sym;
  }
}
