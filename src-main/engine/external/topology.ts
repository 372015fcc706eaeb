import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../../src-shared/errors';

/** A Keras model config as JSON: `{ class_name, config }`. */
export interface KerasModelJson {
  class_name: string;
  config: Record<string, unknown> | unknown[];
}
type LayerJson = { class_name?: unknown; config?: Record<string, unknown>; name?: unknown; inbound_nodes?: unknown; [k: string]: unknown };

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Layers that tfjs has no class for but that are the identity at inference, so they become a plain layer that is:
 * SpatialDropout2D drops whole feature maps while training only.
 */
const INFERENCE_EQUIVALENTS: Record<string, (cfg: Record<string, unknown>) => LayerJson> = {
  SpatialDropout2D: (cfg) => ({ class_name: 'Dropout', config: { name: cfg.name, trainable: cfg.trainable ?? true, rate: cfg.rate ?? 0 } }),
};

/** Config keys that only matter for training; tfjs reads only some of their Keras 1/2/3 spellings, so they go. */
const TRAINING_ONLY = /(_initializer|_regularizer|_constraint)$|^activity_regularizer$|^init$|^W_regularizer$|^b_regularizer$/;

function layerName(layer: LayerJson): string {
  const n = layer.config?.name ?? layer.name;
  return typeof n === 'string' ? n : '(unnamed)';
}

/**
 * Finds the model config in what a file holds (Keras' `{class_name, config}` or a tfjs converter's
 * `{keras_version, model_config}` wrapper), checks every layer against what tfjs can build, and rewrites the
 * Keras 1/2/3 spellings tfjs does not read. Throws INVALID_DATA naming the layer class and the layer's name for
 * an unsupported layer, and refuses Lambda layers and custom objects (both are Python code the file does not hold).
 */
export function prepareTopology(raw: unknown, file: string): KerasModelJson {
  let top = raw as Record<string, unknown> | null;
  if (top && typeof top === 'object' && 'model_config' in top && !('class_name' in top)) top = top.model_config as Record<string, unknown>;
  if (!top || typeof top !== 'object' || typeof top.class_name !== 'string' || !top.config) {
    throw new AppError('INVALID_DATA', `${file}: no Keras model config (expected {"class_name": "Sequential" | "Functional", "config": …}).`);
  }
  if (!MODEL_CLASSES.has(top.class_name)) {
    throw new AppError('INVALID_DATA', `${file}: the model config's class is ${top.class_name}; only Sequential and functional (Functional / Model) models can be imported.`);
  }
  const config = structuredClone(top.config) as Record<string, unknown> | unknown[];
  // Keras ≤ 2.2.4 wrote a Sequential's config as the bare list of its layers.
  const layers = (Array.isArray(config) ? config : config.layers) as LayerJson[] | undefined;
  if (!Array.isArray(layers) || !layers.length) throw new AppError('INVALID_DATA', `${file}: the model config lists no layers.`);
  const fixed = layers.map((layer) => prepareLayer(layer, file));
  if (Array.isArray(config)) return { class_name: top.class_name, config: fixed };
  return { class_name: top.class_name, config: { ...config, layers: fixed } };
}

function prepareLayer(layer: LayerJson, file: string): LayerJson {
  const cls = typeof layer.class_name === 'string' ? layer.class_name : '';
  const name = layerName(layer);
  const cfg = { ...(layer.config ?? {}) };
  if (cls === 'Lambda' || cls === 'TFOpLambda' || cls === 'SlicingOpLambda') {
    throw new AppError(
      'INVALID_DATA',
      `${file}: layer "${name}" is a ${cls} layer, which holds Python code that cannot be loaded here. Rebuild the model without it (a standard layer or preprocessing outside the model) and save again.`,
    );
  }
  if (MODEL_CLASSES.has(cls)) {
    throw new AppError('INVALID_DATA', `${file}: layer "${name}" is a nested ${cls} model; only flat models can be imported. Flatten it in Keras (rebuild with the inner model's layers inline) and save again.`);
  }
  const registered = typeof layer.registered_name === 'string' ? layer.registered_name : null;
  const module = typeof layer.module === 'string' ? layer.module : null;
  if ((registered && registered !== cls) || (module && !module.startsWith('keras'))) {
    throw new AppError('INVALID_DATA', `${file}: layer "${name}" is a custom object (${registered ?? cls}${module ? ` from ${module}` : ''}); its code is not in the file. Replace it with standard Keras layers.`);
  }
  if (Array.isArray(layer.inbound_nodes) && layer.inbound_nodes.some((n) => n && typeof n === 'object' && !Array.isArray(n))) {
    throw new AppError('INVALID_DATA', `${file}: layer "${name}" is wired in the Keras 3 format, which this importer does not read yet; save the model with Keras 2 / tf.keras (model.save('model.h5')).`);
  }
  const equivalent = INFERENCE_EQUIVALENTS[cls];
  if (equivalent) return { ...stripKeras3Keys(layer), ...equivalent(cfg) };
  if (!(cls in tf.serialization.SerializationMap.getMap().classNameMap)) {
    throw new AppError('INVALID_DATA', `${file}: layer "${name}" is a ${cls || '(missing class_name)'}, a layer class this importer cannot build (a custom layer, or one TensorFlow.js lacks).`);
  }
  for (const key of Object.keys(cfg)) if (TRAINING_ONLY.test(key)) delete cfg[key];
  // Mixed-precision policies and Keras 3's DTypePolicy objects: inference here is float32.
  if (cfg.dtype !== undefined && typeof cfg.dtype !== 'string') cfg.dtype = 'float32';
  if (cls === 'InputLayer') {
    if (cfg.batch_shape && !cfg.batch_input_shape) cfg.batch_input_shape = cfg.batch_shape;
    delete cfg.batch_shape;
    delete cfg.ragged;
    delete cfg.optional;
  }
  return { ...stripKeras3Keys(layer), config: cfg };
}

/** Keras ≥ 2.13 adds `module`, `registered_name` and `build_config` beside a layer's class and config. */
function stripKeras3Keys(layer: LayerJson): LayerJson {
  const { module: _m, registered_name: _r, build_config: _b, ...rest } = layer;
  return rest;
}
