import type { WeightsFormat } from '../../../src-shared/contract/weights';

/** One weight array as a file stores it. */
export interface WeightTensor {
  /** The weight's short name ('kernel', 'bias', 'gamma', 'moving_mean', …) or its file name when unknown. */
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Weights read from any supported file, grouped by layer name, each layer's weights in file order. */
export interface WeightSet {
  format: WeightsFormat;
  file: string;
  layers: Map<string, WeightTensor[]>;
}

/** 'conv1/7x7_s2/bn/moving_mean:0' → 'moving_mean'. */
export function shortWeightName(fullName: string): string {
  const noIndex = fullName.replace(/:\d+$/, '');
  return noIndex.slice(noIndex.lastIndexOf('/') + 1);
}

export function countValues(set: WeightSet): number {
  let n = 0;
  for (const ws of set.layers.values()) for (const w of ws) n += w.data.length;
  return n;
}

export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}
