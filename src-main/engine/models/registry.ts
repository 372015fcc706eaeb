import type * as tf from '@tensorflow/tfjs';
import type { ModelName, TrainConfig } from '../../../src-shared/contract/runs';
import { AppError } from '../../../src-shared/errors';

/** What a model wants its input to look like; `prepareBatch` turns packed 48×48 gray pixels into it. */
export interface InputSpec {
  size: number;
  channels: 1 | 3;
  /**
   * 'unit': x/255. 'vggface' / 'imagenet-caffe': BGR mean subtraction on 0–255 values, as those weights expect.
   * The rest are what external models declare: 'minus1to1': x/127.5 − 1; 'raw255': x as is (0–255);
   * 'meanstd': (x − mean) / std per channel, on the 0–255 scale.
   */
  normalize: 'unit' | 'vggface' | 'imagenet-caffe' | 'minus1to1' | 'raw255' | 'meanstd';
  /** For 'meanstd': one value, or one per channel. */
  mean?: readonly number[];
  std?: readonly number[];
}

export interface ModelDefinition {
  name: ModelName;
  /** Smallest input side the architecture accepts (pooling depth). */
  minInputSize: number;
  inputSpec(cfg: TrainConfig): InputSpec;
  /**
   * Throws a clear AppError when this machine cannot build the model (an optional package it reads its weights from
   * is missing). Run creation and resume ask; inputSpec does not, so a stored run's checkpoints still evaluate.
   */
  checkAvailable?(): void;
  /** Whether it offers `features: 'multilevel'` and 'grid' (intermediate pools beside the final features); absent: no. */
  multilevel?: boolean;
  /** Builds a fresh model; weight initialisers are seeded from cfg.seed so a run is reproducible. */
  build(cfg: TrainConfig, opts: { weightsFile: string | null }): Promise<tf.LayersModel>;
  /**
   * Whether, for this config, every layer with real work (3×3 stride-1 convs, 2×2 pools, batch norm) runs on the
   * workbench's wasm kernels, so XNNPACK's pool gets one thread on the threaded wasm build (SetupOptions.xnnpack in
   * wasm-threads.ts). Absent: no.
   */
  ownKernelsOnly?(cfg: TrainConfig): boolean;
}

const MODELS = new Map<ModelName, ModelDefinition>();

export function registerModel(def: ModelDefinition): void {
  MODELS.set(def.name, def);
}

export function getModel(name: string): ModelDefinition {
  const def = MODELS.get(name as ModelName);
  if (!def) {
    const known = [...MODELS.keys()].join(', ') || '(none registered)';
    throw new AppError('INVALID_INPUT', `Unknown model "${name}": this build knows ${known}.`);
  }
  return def;
}

/** The XNNPACK pool a process that trains or evaluates this config's model on wasm should start with. */
export function xnnpackPoolFor(cfg: TrainConfig): 'all' | 'one' {
  return getModel(cfg.model).ownKernelsOnly?.(cfg) === true ? 'one' : 'all';
}
