import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

export const RELU_GRAD = 'FerReluGrad';

function reluGrad(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const n = inputs.x.shape.reduce((a, b) => a * b, 1);
  kernelRuntime(backend).reluGrad(heapOffset(backend, inputs.x), heapOffset(backend, inputs.dy), heapOffset(backend, dx), n);
  return dx;
}

export const reluGradKernelConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};

/**
 * Relu's gradient, registered for every backend (gradients are per kernel, not per backend): on wasm one pass of
 * RELU_GRAD; elsewhere tfjs's own mul(dy, step(x)). The two agree except at NaN inputs (tfjs: NaN, here: 0).
 */
export const reluGradConfig: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    const d = dy as tf.Tensor;
    return {
      x: () =>
        tf.getBackend() === 'wasm' && x.dtype === 'float32' && d.dtype === 'float32' && tf.getKernel(RELU_GRAD, 'wasm')
          ? (tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor)
          : tf.mul(d, tf.cast(tf.step(x), 'float32')),
    };
  },
};
