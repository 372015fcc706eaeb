import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import { prepareBatch } from './input';
import type { InputSpec } from './models/registry';

/** Layers that keep a conv block's spatial map: Grad-CAM reads the block's output after them. */
const BLOCK_TAIL = new Set(['BatchNormalization', 'ReLU', 'Activation', 'LeakyReLU', 'FusedBatchNormTraining']);

export interface SaliencyMaps {
  /** Name of the layer whose activations Grad-CAM weighs: the last conv block's output. */
  layer: string;
  /** Grad-CAM: channels weighted by their spatially averaged gradient. n × 48 × 48, 0–255, each face scaled to its own maximum. */
  gradcam: Uint8Array;
  /**
   * HiResCAM (Draelos & Carin 2020): activations times their gradient position by position, summed over channels.
   * The same map as Grad-CAM when the head is global average pooling + a linear layer; with the baseline's
   * flatten + dense head, averaging the gradient over positions mixes up where it pointed, and Grad-CAM can light
   * up the background the model does not use (test/unit/engine/saliency.test.ts measures both).
   */
  hirescam: Uint8Array;
  /** |∂ score / ∂ input|, n × 48 × 48, 0–255, each face scaled to its own maximum. */
  gradient: Uint8Array;
}

/**
 * The model as a chain: Grad-CAM needs to re-run the layers after the last conv block on given activations,
 * which a plain chain of single-input layers allows (the baseline CNN). A model with branches (ResNet's skips)
 * is refused with a clear error rather than given a wrong map.
 */
function chainSplit(model: tf.LayersModel): { head: tf.layers.Layer[]; blockEnd: number } {
  const layers = model.layers;
  for (let i = 1; i < layers.length; i++) {
    const inbound = (layers[i] as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    const from = inbound[0]?.inboundLayers ?? [];
    if (inbound.length !== 1 || from.length !== 1 || from[0] !== layers[i - 1]) {
      throw new AppError('INVALID_INPUT', `Saliency maps need a model that is a chain of layers; ${model.name}'s layer ${layers[i]!.name} has other inputs (a branch or skip connection).`);
    }
  }
  let lastConv = -1;
  layers.forEach((l, i) => {
    if (l.getClassName() === 'Conv2D' || l.getClassName() === 'DepthwiseConv2D' || l.getClassName() === 'SeparableConv2D') lastConv = i;
  });
  if (lastConv < 0) {
    // No conv layer: take the last layer that still has a spatial map.
    layers.forEach((l, i) => {
      const shape = l.outputShape as number[];
      if (i > 0 && Array.isArray(shape) && shape.length === 4) lastConv = i;
    });
  }
  if (lastConv < 0) throw new AppError('INVALID_INPUT', `${model.name} has no convolutional layer to take Grad-CAM from.`);
  let blockEnd = lastConv;
  while (blockEnd + 1 < layers.length && BLOCK_TAIL.has(layers[blockEnd + 1]!.getClassName())) blockEnd++;
  return { head: layers.slice(blockEnd + 1), blockEnd };
}

/** Runs `layers` on x in inference mode; the last softmax Dense gives its logits instead (Grad-CAM's class score). */
function applyHead(layers: tf.layers.Layer[], x: tf.Tensor): tf.Tensor {
  let y = x;
  layers.forEach((l, i) => {
    const cfg = l.getConfig() as { activation?: string };
    if (i === layers.length - 1 && l.getClassName() === 'Dense' && cfg.activation === 'softmax') {
      const [kernel, bias] = l.getWeights();
      y = tf.matMul(y as tf.Tensor2D, kernel as tf.Tensor2D);
      if (bias) y = tf.add(y, bias);
    } else {
      y = l.apply(y, { training: false }) as tf.Tensor;
    }
  });
  return y;
}

/** Each face's map (n × h × w, any size) resized to 48×48 and scaled to 0–255 by its own maximum. */
async function toBytes(maps: tf.Tensor3D): Promise<Uint8Array> {
  const out = tf.tidy(() => {
    const resized = maps.shape[1] === IMAGE_SIZE && maps.shape[2] === IMAGE_SIZE ? maps : tf.image.resizeBilinear(maps.expandDims(3) as tf.Tensor4D, [IMAGE_SIZE, IMAGE_SIZE]).squeeze([3]);
    const max = tf.max(resized, [1, 2], true);
    return tf.mul(tf.div(resized, tf.maximum(max, 1e-12)), 255).round().clipByValue(0, 255);
  });
  // data(), not dataSync(): a GPU backend (webgpu in Node) cannot read back synchronously.
  const bytes = Uint8Array.from(await out.data());
  out.dispose();
  return bytes;
}

/**
 * Grad-CAM (Selvaraju et al.) and HiResCAM on the last conv block, and plain input-gradient saliency, for class `targets[i]`
 * of face i. Grad-CAM: the block's channels weighted by the spatial mean of the class score's gradient, summed,
 * ReLU'd, upsampled. The class score is the logit (the softmax would flatten the gradient of confident faces).
 */
export async function saliencyMaps(model: tf.LayersModel, pixels: Uint8Array, n: number, spec: InputSpec, targets: ArrayLike<number>, batch = 32): Promise<SaliencyMaps> {
  const { head, blockEnd } = chainSplit(model);
  const body = tf.model({ inputs: model.inputs, outputs: model.layers[blockEnd]!.output as tf.SymbolicTensor });
  const gradcam = new Uint8Array(n * PIXELS_PER_IMAGE);
  const hirescam = new Uint8Array(n * PIXELS_PER_IMAGE);
  const gradient = new Uint8Array(n * PIXELS_PER_IMAGE);
  for (let from = 0; from < n; from += batch) {
    const m = Math.min(batch, n - from);
    const px = pixels.subarray(from * PIXELS_PER_IMAGE, (from + m) * PIXELS_PER_IMAGE);
    const mask = tf.oneHot(tf.tensor1d(Array.from({ length: m }, (_, i) => targets[from + i]!), 'int32'), model.outputs[0]!.shape[1] as number);
    const x = prepareBatch(px, m, spec);
    const [cam, hires] = tf.tidy(() => {
      const acts = body.predict(x) as tf.Tensor4D;
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(applyHead(head, a), mask)))(acts) as tf.Tensor4D;
      const weights = tf.mean(g, [1, 2], true);
      return [tf.relu(tf.sum(tf.mul(acts, weights), 3)) as tf.Tensor3D, tf.relu(tf.sum(tf.mul(acts, g), 3)) as tf.Tensor3D];
    });
    const sal = tf.tidy(() => {
      const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(applyHead(head, body.apply(input, { training: false }) as tf.Tensor), mask)))(x);
      return tf.max(tf.abs(g), 3) as tf.Tensor3D;
    });
    gradcam.set(await toBytes(cam), from * PIXELS_PER_IMAGE);
    hirescam.set(await toBytes(hires), from * PIXELS_PER_IMAGE);
    gradient.set(await toBytes(sal), from * PIXELS_PER_IMAGE);
    tf.dispose([cam, hires, sal, x, mask]);
  }
  return { layer: model.layers[blockEnd]!.name, gradcam, hirescam, gradient };
}
