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

/**
 * Config keys that only matter for training (tfjs reads only some of their Keras 1/2/3 spellings), and Keras 3's
 * LoRA and quantization settings, which are off in a saved float model: they go.
 */
const TRAINING_ONLY = /(_initializer|_regularizer|_constraint)$|^activity_regularizer$|^init$|^W_regularizer$|^b_regularizer$|^lora_rank$|^lora_alpha$|^quantization_config$/;

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
  const io = 'input_layers' in config ? { input_layers: tripleList(config.input_layers), output_layers: tripleList(config.output_layers) } : {};
  return { class_name: top.class_name, config: { ...config, ...io, layers: fixed } };
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
  const wired = Array.isArray(layer.inbound_nodes) ? { inbound_nodes: layer.inbound_nodes.map((n) => keras2Node(n, name, file)) } : {};
  const equivalent = INFERENCE_EQUIVALENTS[cls];
  if (equivalent) return { ...stripKeras3Keys(layer), ...wired, ...equivalent(cfg) };
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
  return { ...stripKeras3Keys(layer), ...wired, config: cfg };
}

/**
 * One inbound node in the Keras 2 form tfjs reads, `[[layer, node, tensor, {}], …]`. Keras 3 writes
 * `{args: [...], kwargs: {...}}` with each input a `__keras_tensor__` whose `keras_history` is [layer, node, tensor]
 * (a merge layer's inputs are a list inside args). Keyword arguments (masks, training flags) do not change inference.
 */
function keras2Node(node: unknown, name: string, file: string): unknown {
  if (Array.isArray(node)) return node;
  const found: unknown[][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object' && (v as { class_name?: unknown }).class_name === '__keras_tensor__') {
      const history = (v as { config?: { keras_history?: unknown } }).config?.keras_history;
      if (Array.isArray(history) && history.length === 3) found.push([...history, {}]);
    }
  };
  walk((node as { args?: unknown } | null)?.args);
  if (!found.length) throw new AppError('INVALID_DATA', `${file}: layer "${name}" has an inbound node with no input tensors this importer can read.`);
  return found;
}

/** Keras 3's input_layers / output_layers: one [name, node, tensor] triple when single, a list of them otherwise. */
function tripleList(v: unknown): unknown {
  return Array.isArray(v) && typeof v[0] === 'string' ? [v] : v;
}

/** Keras ≥ 2.13 adds `module`, `registered_name` and `build_config` beside a layer's class and config. */
function stripKeras3Keys(layer: LayerJson): LayerJson {
  const { module: _m, registered_name: _r, build_config: _b, ...rest } = layer;
  return rest;
}
