import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callOriginal } from './kernel-call';

/**
 * Tensors are immutable, so Identity, and a Cast to the dtype a tensor already has, can share the buffer
 * (ref-counted, as Reshape does and as the cpu backend's Identity does) instead of copying it. Autodiff calls both
 * on full-size activations every step (ReLU's gradient is dy · cast(step(x), 'float32')).
 */
function share(x: TensorInfo, backend: BackendWasm): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  return share(args.inputs.x, args.backend);
}

function cast(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { dtype: string } }): TensorInfo {
  if (args.attrs.dtype === args.inputs.x.dtype) return share(args.inputs.x, args.backend);
  return callOriginal('Cast', args);
}

export const identityConfig: KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as KernelFunc };
export const castConfig: KernelConfig = { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as unknown as KernelFunc };
