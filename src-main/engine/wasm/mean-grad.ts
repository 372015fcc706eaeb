import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

/**
 * Mean's gradient is dy/n broadcast back to x's shape. Upstream materialises ones(x.shape) and multiplies and
 * divides at full size (three passes, ~25 ms per batch-norm statistic of a 64×48×48×32 activation on wasm). When the
 * reduced axes are leading (batch-norm statistics over N,H,W), the broadcast is a Tile of a [1,…,1,C] tensor, one
 * memcpy-speed pass with the wasm Tile in ./tile. Other axis sets keep upstream's formula. Same maths everywhere,
 * so it is registered for every backend.
 */
export const meanGradConfig: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const [x] = saved as [Tensor];
    const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
    const reduceSize = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const leading = [...axes].sort((a, b) => a - b).every((a, i) => a === i);
    return {
      x: () =>
        leading && x.dtype === 'float32'
          ? tf.broadcastTo(tf.div(tf.reshape(g, expanded), reduceSize), x.shape)
          : tf.div(tf.mul(tf.reshape(g, expanded), tf.ones(x.shape, 'float32')), reduceSize),
    };
  },
};
