import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import { decodeTensors, encodeTensors } from './checkpoint';

/** The averaged weights' part of a training state: how many batches fed them, and their layout in `average.bin`. */
export interface AverageState {
  updates: number;
  weights: tf.io.WeightsManifestEntry[];
}

/** The file beside a checkpoint's weights that holds the running average. */
export const AVERAGE_FILE = 'average.bin';

/**
 * An exponential moving average of the weights that train (Polyak averaging; TensorFlow's ExponentialMovingAverage,
 * timm's model EMA): after every batch avg ← d·avg + (1 − d)·w. The trained weights keep following the gradient;
 * validation, the best checkpoint and the finished model use the average, which sits in the middle of the noisy
 * path that the last few hundred steps took instead of at its latest point.
 *
 * d = min(decay, (1 + n) / (10 + n)) after n updates, as TensorFlow's num_updates form does: the first epochs'
 * average forgets the random start within tens of batches instead of thousands.
 *
 * Every weight of every trainable layer is averaged, the non-trainable ones too (batch norm's moving statistics,
 * as timm does): the averaged network then normalises as the one it averages did. Frozen layers never change and
 * are left out.
 */
export class WeightAverage {
  private constructor(
    private readonly decay: number,
    private readonly vars: tf.LayerVariable[],
    private readonly shadow: tf.Variable[],
    private updates: number,
  ) {}

  /** Starts the average at the network's present weights. */
  static start(net: tf.LayersModel, decay: number): WeightAverage {
    const vars = averagedWeights(net);
    return new WeightAverage(decay, vars, vars.map((v) => tf.variable(v.read(), false)), 0);
  }

  /** Continues an average saved by `encode` (a resumed run); a checkpoint whose layout differs is refused. */
  static restore(net: tf.LayersModel, decay: number, state: AverageState, data: Uint8Array, file: string): WeightAverage {
    const vars = averagedWeights(net);
    const map = decodeTensors(data, state.weights, `Averaged weights ${file}`);
    // By position, as the optimizer's slots are restored: layer names are numbered per process and may differ.
    const saved = vars.map((_, i) => map[slotName(i)]);
    const bad = vars.find((v, i) => !saved[i] || !tf.util.arraysEqual(saved[i]!.shape, v.read().shape));
    if (bad || state.weights.length !== vars.length) {
      tf.dispose(Object.values(map));
      throw new AppError('CHECKPOINT_CORRUPT', `Averaged weights ${file} do not fit this model${bad ? ` (weight ${bad.name})` : ` (${state.weights.length} weights saved, ${vars.length} in the model)`}.`);
    }
    const shadow = saved.map((t) => tf.variable(t!, false));
    tf.dispose(Object.values(map));
    return new WeightAverage(decay, vars, shadow, state.updates);
  }

  /** After a batch: folds the weights it left into the average. */
  update(): void {
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        const s = this.shadow[i]!;
        s.assign(s.mul(d).add(v.read().mul(1 - d)));
      });
    });
    this.updates++;
  }

  /** Runs `fn` with the averaged weights in the network, then puts the trained ones back (also when fn throws). */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    const trained = this.vars.map((v) => tf.clone(v.read()));
    try {
      this.apply();
      return await fn();
    } finally {
      this.vars.forEach((v, i) => v.write(trained[i]!));
      tf.dispose(trained);
    }
  }

  /** Leaves the averaged weights in the network for good (a run that ends without a best checkpoint to load). */
  apply(): void {
    this.vars.forEach((v, i) => v.write(this.shadow[i]!));
  }

  async encode(): Promise<{ data: Uint8Array; state: AverageState }> {
    const { data, specs } = await encodeTensors(this.shadow.map((tensor, i) => ({ name: slotName(i), tensor })));
    return { data, state: { updates: this.updates, weights: specs } };
  }

  dispose(): void {
    tf.dispose(this.shadow);
  }
}

function slotName(i: number): string {
  return `average/${i}`;
}

/** The weights of the layers that train, nested models included, each once. */
function averagedWeights(net: tf.LayersModel): tf.LayerVariable[] {
  const out: tf.LayerVariable[] = [];
  const seen = new Set<number>();
  const visit = (layer: tf.layers.Layer) => {
    if (!layer.trainable) return;
    const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (inner) return inner.forEach(visit);
    for (const v of layer.weights) {
      if (seen.has(v.id)) continue;
      seen.add(v.id);
      out.push(v);
    }
  };
  (net as unknown as { layers: tf.layers.Layer[] }).layers.forEach(visit);
  return out;
}
