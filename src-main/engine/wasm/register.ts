import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { batchMatMulConfig } from './batch-matmul';
import { fusedBatchNormGradConfig } from './batch-norm-grad';
import { conv2DBackpropFilterBiasConfig, conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { conv2DConfig, convMaxPoolConfig, fusedConv2DConfig } from './conv2d';
import { fusedBatchNormConfig } from './batch-norm';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './batch-norm-train';
import { castConfig, identityConfig } from './identity';
import { rememberOriginal, silenceOverrideWarning } from './kernel-call';
import { maxPoolGradConfig } from './max-pool-grad';
import { maxPoolConfig } from './max-pool';
import { meanGradConfig } from './mean-grad';
import { meanConfig, sumConfig } from './reduce';
import { sliceConfig } from './slice';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-grad';
import { dropoutConfig } from './dropout';
import { adamStepConfig } from './adam';
import { tileConfig } from './tile';
import { reluGradConfig, reluGradKernelConfig } from './relu-grad';

/** The kernels this module puts on the wasm backend, replacing upstream's where it has one. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  convMaxPoolConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropFilterBiasConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  maxPoolConfig,
  sumConfig,
  meanConfig,
  fusedBatchNormConfig,
  identityConfig,
  castConfig,
  tileConfig,
  batchMatMulConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  reluGradKernelConfig,
  sliceConfig,
  dropoutConfig,
  adamStepConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
];

let registered = false;

/**
 * Makes CNN training work, and fast, on the wasm backend. Idempotent; safe before or after the backend initialises
 * (these kernels have no setup step: they compose the backend's own kernels), but only after
 * @tensorflow/tfjs-backend-wasm is imported (its import registers the upstream kernels these replace). The layer and
 * optimizer patches that use these kernels are installed with it by patches/registry.ts.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of WASM_TRAINING_KERNELS) {
    const upstream = tf.getKernel(config.kernelName, 'wasm');
    if (upstream) {
      rememberOriginal(upstream);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
  }
  // Gradients are registered per kernel, not per backend; these are the same maths with broadcasts.
  const restore = silenceOverrideWarning();
  try {
    tf.registerGradient(fusedBatchNormGradConfig);
    tf.registerGradient(meanGradConfig);
    tf.registerGradient(reluGradConfig);
  } finally {
    restore();
  }
  registered = true;
}

/** The gradients registerWasmTrainingKernels replaces (for every backend: tfjs registers gradients per kernel). */
export const WASM_TRAINING_GRADIENTS: readonly string[] = [fusedBatchNormGradConfig.kernelName, meanGradConfig.kernelName, reluGradConfig.kernelName];

/** Whether every kernel above is the one registered on wasm now (read from tfjs's registry, for the patch report). */
export function wasmTrainingKernelsInstalled(): boolean {
  return WASM_TRAINING_KERNELS.every((c) => tf.getKernel(c.kernelName, 'wasm')?.kernelFunc === c.kernelFunc);
}
