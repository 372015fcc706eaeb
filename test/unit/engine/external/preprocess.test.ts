import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { PIXELS_PER_IMAGE } from '../../../../src-shared/labels';
import { externalInputSpec } from '../../../../src-main/engine/external/catalog';
import { outputMapOf, parseLabelsArg, resolveLabels } from '../../../../src-main/engine/external/labels';
import { prepareBatch } from '../../../../src-main/engine/input';
import { mapOutputs } from '../../../../src-main/engine/predict';

beforeAll(() => tf.setBackend('cpu'));

/** One face, every pixel 51 (0.2 of 255): the declared scalings, worked by hand. */
const face = new Uint8Array(PIXELS_PER_IMAGE).fill(51);
const first = (spec: Parameters<typeof externalInputSpec>[0]) => {
  const x = prepareBatch(face, 1, externalInputSpec(spec));
  const out = { shape: x.shape, pixel: Array.from(x.slice([0, 0, 0, 0], [1, 1, 1, -1]).dataSync()) };
  x.dispose();
  return out;
};

it('scales faces as declared: [0,1], [-1,1], 0–255, and a per-channel mean/std on 3 replicated channels', () => {
  const base = { inputSize: 48, channels: 1 as const, mean: null, std: null };
  expect(first({ ...base, scale: 'unit' }).pixel[0]).toBeCloseTo(0.2, 6);
  expect(first({ ...base, scale: 'minus1to1' }).pixel[0]).toBeCloseTo(51 / 127.5 - 1, 6);
  expect(first({ ...base, scale: 'raw255' }).pixel[0]).toBe(51);
  const rgb = first({ inputSize: 64, channels: 3, scale: 'meanstd', mean: [50, 41, 31], std: [1, 2, 4] });
  expect(rgb.shape).toEqual([1, 64, 64, 3]);
  expect(rgb.pixel).toEqual([1, 5, 5]);
  expect(first({ ...base, scale: 'meanstd', mean: [1], std: [10] }).pixel[0]).toBeCloseTo(5, 6);
});

it('maps a model’s output order to FER2013’s, dropping unmapped outputs and renormalising', () => {
  const ferplus = parseLabelsArg('ferplus');
  const map = outputMapOf(resolveLabels(ferplus, 8));
  // FER+ order: neutral, happy, surprise, sad, angry, disgust, fear, contempt.
  expect(map).toEqual([4, 5, 6, 1, 3, 2, 0]);
  const p = tf.tensor2d([[0.1, 0.2, 0.05, 0.05, 0.1, 0.1, 0.2, 0.2]]);
  const got = Array.from(mapOutputs(p, map).dataSync());
  const expected = [0.1, 0.1, 0.2, 0.2, 0.05, 0.05, 0.1].map((v) => v / 0.8);
  got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  expect(parseLabelsArg('Angry, disgust,fear,happy,sad,surprise,neutral')).toEqual(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
  expect(() => resolveLabels(null, 8)).toThrow(/8 outputs, not FER2013's 7/);
  expect(() => resolveLabels(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', '-'], 7)).toThrow(/"neutral" appears 0 times/);
});
