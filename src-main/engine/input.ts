import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../../src-shared/labels';
import type { InputSpec } from './models/registry';

/** Per-channel means (BGR order, 0–255) the pretrained weights were trained with. */
const MEANS: Record<'vggface' | 'imagenet-caffe', [number, number, number]> = {
  // keras-vggface v2 (ResNet50 / SeNet50 on VGGFace2).
  vggface: [91.4953, 103.8827, 131.0912],
  // Keras applications' 'caffe' mode (ImageNet VGG16 / ResNet50).
  'imagenet-caffe': [103.939, 116.779, 123.68],
};

/** Packed uint8 48×48 gray rows → float32 [n, 48, 48, 1] in 0–255, the form augmentation works on. */
export function pixelsToImages(pixels: Uint8Array, n: number): tf.Tensor4D {
  if (pixels.length < n * PIXELS_PER_IMAGE) {
    throw new Error(`pixelsToImages: ${pixels.length} bytes cannot hold ${n} images of ${PIXELS_PER_IMAGE}.`);
  }
  const view = pixels.length === n * PIXELS_PER_IMAGE ? pixels : pixels.subarray(0, n * PIXELS_PER_IMAGE);
  // int32 upload then cast: tfjs has no uint8 dtype, and Float32Array.from on the JS side is slower.
  return tf.tidy(() => tf.tensor4d(Int32Array.from(view), [n, IMAGE_SIZE, IMAGE_SIZE, 1], 'int32').toFloat());
}

/** 0–255 gray [n, h, w, 1] → what the model expects: channels replicated, resized, normalised per spec. */
export function finishInput(images: tf.Tensor4D, spec: InputSpec): tf.Tensor4D {
  return tf.tidy(() => {
    let x = images;
    if (x.shape[1] !== spec.size || x.shape[2] !== spec.size) x = tf.image.resizeBilinear(x, [spec.size, spec.size], true);
    if (spec.normalize === 'unit' || spec.normalize === 'minus1to1' || spec.normalize === 'raw255' || spec.normalize === 'meanstd') {
      return scaleExternal(spec.channels === 3 ? tf.tile(x, [1, 1, 1, 3]) : x, spec);
    }
    if (spec.channels !== 3) throw new Error(`normalize '${spec.normalize}' needs 3 channels.`);
    // Gray replicated into B, G, R: subtracting each channel's mean is the whole of the Caffe-style preprocessing.
    return x.sub(tf.tensor1d(MEANS[spec.normalize]).reshape([1, 1, 1, 3])) as tf.Tensor4D;
  });
}

/** The scalings external models declare; a gray face replicated into 3 channels gets a per-channel mean/std after tiling. */
function scaleExternal(x: tf.Tensor4D, spec: InputSpec): tf.Tensor4D {
  if (spec.normalize === 'unit') return x.div(255);
  if (spec.normalize === 'minus1to1') return x.div(127.5).sub(1);
  if (spec.normalize === 'raw255') return x;
  const c = x.shape[3];
  const per = (v: readonly number[] | undefined, fallback: number) => {
    const vals = v?.length ? v : [fallback];
    return tf.tensor1d(Array.from({ length: c }, (_, i) => vals[vals.length === c ? i : 0]!)).reshape([1, 1, 1, c]);
  };
  return x.sub(per(spec.mean, 0)).div(per(spec.std, 1));
}

/** Packed pixels → a ready model input batch. */
export function prepareBatch(pixels: Uint8Array, n: number, spec: InputSpec): tf.Tensor4D {
  return tf.tidy(() => finishInput(pixelsToImages(pixels, n), spec));
}

/** Copies the rows `order[from..to)` of a packed pixel array into one contiguous batch buffer. */
export function gatherRows(pixels: Uint8Array, order: ArrayLike<number>, from: number, to: number, out?: Uint8Array): Uint8Array {
  const n = to - from;
  const buf = out && out.length >= n * PIXELS_PER_IMAGE ? out.subarray(0, n * PIXELS_PER_IMAGE) : new Uint8Array(n * PIXELS_PER_IMAGE);
  for (let i = 0; i < n; i++) {
    const row = order[from + i]!;
    buf.set(pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
  }
  return buf;
}
