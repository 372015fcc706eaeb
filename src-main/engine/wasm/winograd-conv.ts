import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelRuntime, type ConvShape, type WgradCall } from './kernel-runtime';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

let enabled = process.env.FER_WINOGRAD !== '0';
/** Turns the Winograd path off (FER_WINOGRAD=0 at start-up does the same): the bench's A/B and the tests' reference. */
export function setWinogradEnabled(on: boolean): void {
  enabled = on;
}

/** 3×3, stride 1, undilated, float32: the only convolutions the kernels here are written for. */
function plain3x3(info: ConvInfo, dtypes: string[]): boolean {
  return (
    enabled &&
    dtypes.every((d) => d === 'float32') &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  );
}

/**
 * Winograd: channel counts a multiple of 4 (the kernels' vector width). Below 8 channels the Winograd GEMMs are too
 * thin to beat XNNPACK's direct conv (the peer net's first conv has 1 input channel).
 */
export function winogradApplies(info: ConvInfo, ...dtypes: string[]): boolean {
  const { inChannels: ci, outChannels: co } = info;
  return plain3x3(info, dtypes) && ci % 4 === 0 && co % 4 === 0 && ci >= 8 && co >= 8;
}

/** A first layer (one input channel, outputs a multiple of 4): its forward and both gradients as direct SIMD sums. */
export function firstLayerApplies(info: ConvInfo, ...dtypes: string[]): boolean {
  return plain3x3(info, dtypes) && info.inChannels === 1 && info.outChannels % 4 === 0;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  const data = (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } | undefined } }).dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor data is not on the wasm backend');
  return data.memoryOffset;
}

export interface WinogradConvArgs {
  x: TensorInfo;
  /** HWIO [3, 3, ci, co] at this heap offset (the input gradient passes its rotated copy). */
  filter: number;
  bias: TensorInfo | null;
  relu: boolean;
  ci: number;
  co: number;
  oh: number;
  ow: number;
  padTop: number;
  padLeft: number;
  /** Return the conv's 2×2 stride-2 max pool instead (oh, ow even). */
  pool?: boolean;
}

/** The forward conv described by info (x, filter and bias as the kernel got them), optionally pooled. */
export function winogradForward(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, relu: boolean, info: ConvInfo, pool = false): TensorInfo {
  return winogradConv(backend, {
    x,
    filter: heapOffset(backend, filter),
    bias,
    relu,
    ci: info.inChannels,
    co: info.outChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    pool,
  });
}

/** y [n, oh, ow, co] of a first layer (firstLayerApplies), + bias and ReLU if given, a new backend output. */
export function oneChannelForward(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, relu: boolean, info: ConvInfo): TensorInfo {
  const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  kernelRuntime(backend).convOneChannel({
    ...convShape(info),
    x: heapOffset(backend, x),
    u: heapOffset(backend, filter),
    bias: bias ? heapOffset(backend, bias) : 0,
    y: heapOffset(backend, y),
    relu,
  });
  return y;
}

/** y [n, oh, ow, co] (pooled: [n, oh/2, ow/2, co]), a new backend output. */
export function winogradConv(backend: BackendWasm, a: WinogradConvArgs): TensorInfo {
  const [n, h, w] = a.x.shape as [number, number, number, number];
  const rt = kernelRuntime(backend);
  const y = backend.makeOutput(a.pool ? [n, a.oh / 2, a.ow / 2, a.co] : [n, a.oh, a.ow, a.co], 'float32');
  const u = rt.malloc(rt.filterFloats(a.ci, a.co) * 4);
  try {
    rt.transformFilter(a.filter, u, a.ci, a.co);
    rt.conv({
      x: heapOffset(backend, a.x),
      u,
      bias: a.bias ? heapOffset(backend, a.bias) : 0,
      y: heapOffset(backend, y),
      n,
      h,
      w,
      ci: a.ci,
      oh: a.oh,
      ow: a.ow,
      co: a.co,
      padTop: a.padTop,
      padLeft: a.padLeft,
      relu: a.relu,
      pool: a.pool ?? false,
    });
  } finally {
    rt.free(u);
  }
  return y;
}

/** The runtime's view of a stride-1 3×3 conv's sizes. */
function convShape(info: ConvInfo): ConvShape {
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The heap offsets and shape of a filter gradient, for the runtime. */
function wgradCall(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, dw: TensorInfo, info: ConvInfo): WgradCall {
  return { ...convShape(info), x: heapOffset(backend, x), dy: heapOffset(backend, dy), dw: heapOffset(backend, dw) };
}

/** dW [3, 3, ci, co] of the stride-1 3×3 conv described by info. */
export function winogradFilterGrad(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const dw = backend.makeOutput([3, 3, info.inChannels, info.outChannels], 'float32');
  kernelRuntime(backend).wgrad(wgradCall(backend, x, dy, dw, info));
  return dw;
}

/** [dW, db]: the filter gradient and the bias gradient (Σdy per channel) from one pass over dy. */
export function winogradFilterBiasGrad(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): [TensorInfo, TensorInfo] {
  const dw = backend.makeOutput([3, 3, info.inChannels, info.outChannels], 'float32');
  const db = backend.makeOutput([info.outChannels], 'float32');
  kernelRuntime(backend).wgrad({ ...wgradCall(backend, x, dy, dw, info), db: heapOffset(backend, db) });
  return [dw, db];
}

/** dW [3, 3, 1, co] of a first layer by a direct SIMD sum (Winograd's GEMMs would be one row thin). */
export function oneChannelFilterGrad(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const dw = backend.makeOutput([3, 3, 1, info.outChannels], 'float32');
  kernelRuntime(backend).wgradOneChannel(wgradCall(backend, x, dy, dw, info));
  return dw;
}
