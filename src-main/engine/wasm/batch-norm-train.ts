import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset } from './winograd-conv';
import { kernelRuntime } from './kernel-runtime';

/** Names of the two kernels behind the fused training-mode batch norm (patches/fused-bn-training.ts). */
export const BN_TRAIN = 'FerBatchNormTrain';
export const BN_TRAIN_GRAD = 'FerBatchNormTrainGrad';

interface Attrs {
  epsilon: number;
  /** A ReLU right after the batch norm, fused: the forward returns max(y, 0) and the backward masks dy by y > 0. */
  relu?: boolean;
}

function channelsOf(x: TensorInfo): { c: number; pixels: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { c, pixels: x.shape.reduce((a, b) => a * b, 1) / c };
}

function writeVector(backend: BackendWasm, values: ArrayLike<number>): TensorInfo {
  const out = backend.makeOutput([values.length], 'float32');
  (backend.typedArrayFromHeap(out) as Float32Array).set(values);
  return out;
}

function read(backend: BackendWasm, t: TensorInfo): Float32Array {
  return (backend.typedArrayFromHeap(t) as Float32Array).slice();
}

/**
 * [mean | scale | beta], scale = γ/√(var + ε), from the float32 statistics: the forward's affine and the backward's
 * recomputed ReLU mask both take their coefficients from here, so the mask is the forward's sign bit for bit.
 */
function affineCoef(mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: Float32Array, beta: Float32Array, epsilon: number): Float32Array {
  const c = gamma.length;
  const coef = new Float32Array(3 * c);
  for (let j = 0; j < c; j++) {
    coef[j] = mean[j]!;
    coef[c + j] = gamma[j]! / Math.sqrt(Math.fround(variance[j]!) + epsilon);
    coef[2 * c + j] = beta[j]!;
  }
  return coef;
}

/**
 * [y, mean, variance] of batch norm over every axis but the last, in two passes over x (one for the moments, one
 * for y = (x − mean)·scale + beta) instead of tf.moments' four kernels, batch norm's own, and their full-size temporaries.
 * Variance is the biased one, as tf.moments computes it.
 */
function batchNormTrain(args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, gamma, beta } = inputs;
  const { c, pixels } = channelsOf(x);
  const rt = kernelRuntime(backend);
  const sums = rt.momentSums(heapOffset(backend, x), pixels, c);
  const k = (backend.typedArrayFromHeap(x) as Float32Array).slice(0, c);
  const g = read(backend, gamma);
  const b = read(backend, beta);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const m1 = sums[j]! / pixels;
    mean[j] = k[j]! + m1;
    variance[j] = Math.max(0, sums[c + j]! / pixels - m1 * m1);
  }
  const meanOut = writeVector(backend, mean);
  const varOut = writeVector(backend, variance);
  const coefT = writeVector(backend, affineCoef(mean, variance, g, b, attrs.epsilon));
  const y = backend.makeOutput(x.shape, 'float32');
  rt.affine(heapOffset(backend, x), heapOffset(backend, y), heapOffset(backend, coefT), attrs.relu === true, pixels, c);
  backend.disposeData(coefT.dataId);
  return [y, meanOut, varOut];
}

/**
 * [dx, dgamma, dbeta] of batchNormTrain's y, with the batch statistics' own dependence on x included:
 * dx = γs·(dy − Σdy/M − x̂·Σdy·x̂/M), s = 1/√(var + ε), x̂ = (x − mean)·s; one pass for the two sums, one for dx.
 */
function batchNormTrainGrad(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { dy, x, mean, variance, gamma, beta } = inputs;
  const { c, pixels } = channelsOf(x);
  const rt = kernelRuntime(backend);
  const m = read(backend, mean);
  const v = read(backend, variance);
  const g = read(backend, gamma);
  // The fused ReLU's mask is recomputed from x with the forward's own coefficients: no saved output to read.
  const act = attrs.relu === true ? writeVector(backend, affineCoef(m, v, g, read(backend, beta), attrs.epsilon)) : null;
  const actOff = act ? heapOffset(backend, act) : 0;
  const sums = rt.gradSums(heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, mean), actOff, pixels, c);
  const dgamma = new Float32Array(c);
  const dbeta = new Float32Array(c);
  const coef = new Float32Array(4 * c); // [a | b | mean | d]: dx = a·dy + b·(x − mean) + d
  for (let j = 0; j < c; j++) {
    const s = 1 / Math.sqrt(v[j]! + attrs.epsilon);
    const db = sums[j]!;
    const dg = sums[c + j]! * s;
    dbeta[j] = db;
    dgamma[j] = dg;
    const a = g[j]! * s;
    coef[j] = a;
    coef[c + j] = (-a * s * dg) / pixels;
    coef[2 * c + j] = m[j]!;
    coef[3 * c + j] = (-a * db) / pixels;
  }
  const coefT = writeVector(backend, coef);
  const dgOut = writeVector(backend, dgamma);
  const dbOut = writeVector(backend, dbeta);
  const dx = backend.makeOutput(x.shape, 'float32');
  rt.gradApply(heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dx), heapOffset(backend, coefT), actOff, pixels, c);
  backend.disposeData(coefT.dataId);
  if (act) backend.disposeData(act.dataId);
  return [dx, dgOut, dbOut];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BN_TRAIN,
  backendName: 'wasm',
  kernelFunc: batchNormTrain as unknown as KernelFunc,
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BN_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelFunc,
};
