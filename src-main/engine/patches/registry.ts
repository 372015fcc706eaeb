import { BACKEND_NAMES, type BackendName } from '../../../src-shared/contract';
import { WASM_TRAINING_GRADIENTS, WASM_TRAINING_KERNELS, registerWasmTrainingKernels, wasmTrainingKernelsInstalled } from '../wasm/register';
import { fastDropoutInstalled, installFastDropout } from './fast-dropout';
import { frozenBatchNormInstalled, installFrozenBatchNorm } from './frozen-bn';
import { fusedAdamEnabled, fusedAdamInstalled, installFusedAdam } from './fused-adam';
import {
  fusedBatchNormEnabled,
  fusedBatchNormTrainingInstalled,
  fusedReluEnabled,
  installFusedBatchNormTraining,
  installReluPassThrough,
  reluPassThroughInstalled,
} from './fused-bn-training';
import { installLazyConvGrad, lazyConvGradEnabled, lazyConvGradInstalled } from './lazy-conv-grad';

/** One change the workbench makes to tfjs: a prototype method, kernels or gradients replaced for the process. */
export interface Patch {
  name: string;
  /** What of tfjs it replaces. */
  replaces: string;
  /** The backends activateBackend installs it for. */
  backends: readonly BackendName[];
  /** FER_* variable whose value 0 turns it off (it stays installed and passes every call through). */
  envSwitch?: string;
  /** Idempotent. */
  install(): void;
  /** Read from tfjs itself (prototype markers, the kernel registry), not from a flag kept here. */
  installed(): boolean;
  /** False while its switch is off (FER_*=0 at start-up, or the bench's setter). */
  enabled?(): boolean;
  /** Another patch this one only works with: off when that one is. */
  needs?: string;
}

/** Patches that only make sense with the workbench's wasm kernels: they check the backend or need its kernels. */
const WASM_ONLY: readonly BackendName[] = ['wasm'];

/**
 * Every patch, in install order. Generic ones go on every backend; the rest on wasm only, so webgpu, native
 * TensorFlow and cpu run tfjs's own kernels with just the two layer fixes every backend needs.
 */
export const PATCHES: readonly Patch[] = [
  {
    name: 'frozen-batch-norm',
    replaces: 'BatchNormalization.prototype.call: a frozen (trainable = false) layer normalises with its stored statistics in training too, as Keras does',
    backends: BACKEND_NAMES,
    install: installFrozenBatchNorm,
    installed: frozenBatchNormInstalled,
  },
  {
    name: 'fast-dropout',
    replaces: 'Dropout.prototype.call for seeded training-mode layers (a counter-based mask, the FerDropout kernel where the backend has it) and that kernel’s gradient',
    backends: BACKEND_NAMES,
    install: installFastDropout,
    installed: fastDropoutInstalled,
  },
  {
    name: 'wasm-training-kernels',
    replaces: `wasm kernels ${WASM_TRAINING_KERNELS.map((k) => k.kernelName).join(', ')}; the gradients of ${WASM_TRAINING_GRADIENTS.join(', ')} (for every backend once installed)`,
    backends: WASM_ONLY,
    install: registerWasmTrainingKernels,
    installed: wasmTrainingKernelsInstalled,
  },
  {
    name: 'fused-batch-norm-training',
    replaces: 'BatchNormalization.prototype.call in training mode: one BN_TRAIN kernel and its gradient instead of moments + batchNorm',
    backends: WASM_ONLY,
    envSwitch: 'FER_FUSED_BN',
    install: installFusedBatchNormTraining,
    installed: fusedBatchNormTrainingInstalled,
    enabled: fusedBatchNormEnabled,
  },
  {
    name: 'relu-pass-through',
    replaces: 'ReLU.prototype.call and Activation.prototype.call: a ReLU fed by a fused batch norm passes its already rectified output through',
    backends: WASM_ONLY,
    envSwitch: 'FER_FUSED_BN_RELU',
    install: installReluPassThrough,
    installed: reluPassThroughInstalled,
    enabled: fusedReluEnabled,
    needs: 'fused-batch-norm-training',
  },
  {
    name: 'lazy-conv-grad',
    replaces: 'Conv2D.prototype.call and the FusedConv2D gradient: only the gradients the tape needs, the bias’s from the filter gradient’s pass',
    backends: WASM_ONLY,
    envSwitch: 'FER_LAZY_CONV_GRAD',
    install: installLazyConvGrad,
    installed: lazyConvGradInstalled,
    enabled: lazyConvGradEnabled,
  },
  {
    name: 'fused-adam',
    replaces: 'AdamOptimizer.prototype.applyGradients: one FerAdamStep kernel a variable',
    backends: WASM_ONLY,
    envSwitch: 'FER_FUSED_ADAM',
    install: installFusedAdam,
    installed: fusedAdamInstalled,
    enabled: fusedAdamEnabled,
  },
];
