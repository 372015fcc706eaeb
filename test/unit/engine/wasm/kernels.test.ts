import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';
import { expectClose, onBoth } from './compare';

/**
 * The other replaced wasm kernels (Sum, Mean, MaxPoolGrad, FusedBatchNorm) against the cpu backend.
 * Tolerance: |wasm − cpu| ≤ 1e-4 · (1 + |cpu|), except sums of thousands of terms: 1e-4 · (1 + Σ|x|/√n).
 */



beforeAll(async () => {
  await activateBackend('wasm');
});

describe('Sum and Mean as matmuls', () => {
  const shape = [3, 5, 7, 8];
  const cases: [number | number[] | undefined, boolean][] = [
    [[0, 1, 2], false],
    [[0, 1, 2], true],
    [0, false],
    [[2, 1, 0], false],
    [3, false],
    [[2, 3], true],
    [undefined, false],
    [[1, 2], false], // middle axes: upstream's kernel
    [[0, 2], true],
  ];
  for (const op of ['sum', 'mean'] as const) {
    it(`${op} matches cpu over leading, trailing, all and middle axes, with and without keepDims`, async () => {
      for (const [axis, keepDims] of cases) {
        const r = await onBoth(() => tf.tidy(() => tf[op](tf.randomNormal(shape, 0, 1, 'float32', 1), axis, keepDims)));
        expect(r.shapes[1], `shape ${axis} ${keepDims}`).toEqual(r.shapes[0]);
        expectClose(r.wasm, r.cpu, `${op} ${axis} ${keepDims}`);
      }
    });
  }

  it('sums large tensors over all leading axes on the kernel threads (a conv bias gradient), matching cpu', async () => {
    const rt = kernelRuntime(tf.findBackend('wasm') as BackendWasm);
    for (const op of ['sum', 'mean'] as const) {
      for (const [shape, axis, keepDims] of [
        [[8, 24, 24, 32], [0, 1, 2], false],
        [[4, 40, 40, 12], [0, 1, 2], true],
        [[1000, 68], 0, false],
      ] as [number[], number | number[], boolean][]) {
        const before = rt.calls.channelSum;
        const r = await onBoth(() => tf.tidy(() => tf[op](tf.randomNormal(shape, 3, 1, 'float32', 2), axis, keepDims)));
        expect(rt.calls.channelSum - before, `${op} ${shape}`).toBe(1);
        expect(r.shapes[1], `shape ${shape}`).toEqual(r.shapes[0]);
        expectClose(r.wasm, r.cpu, `${op} ${shape} ${axis} ${keepDims}`);
      }
    }
  });

  it('int32 sums still go to upstream and stay exact', async () => {
    const r = await onBoth(() => tf.tidy(() => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0)));
    expect(Array.from(r.wasm)).toEqual([9, 12]);
  });
});

describe('MaxPoolGrad', () => {
  const cases: { shape: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
    { shape: [2, 6, 6, 3], size: 2, stride: 2, pad: 'valid' },
    { shape: [3, 7, 9, 1], size: 2, stride: 2, pad: 'same' },
    { shape: [1, 7, 5, 8], size: 3, stride: 1, pad: 'same' },
    { shape: [2, 9, 9, 3], size: 3, stride: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    it(`matches cpu for ${c.shape} pool ${c.size} stride ${c.stride} ${c.pad}, ties included`, async () => {
      const grad = () =>
        tf.tidy(() => {
          // After a ReLU whole windows are 0: the gradient must go to the same (first) position as on cpu.
          const x = tf.relu(tf.randomNormal(c.shape, 0, 1, "float32", 2)) as tf.Tensor4D;
          const y = tf.maxPool(x, c.size, c.stride, c.pad);
          const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
          return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), dy)))(x as tf.Tensor4D);
        });
      const r = await onBoth(grad);
      expectClose(r.wasm, r.cpu, 'dx');
    });
  }
});

describe('FusedBatchNorm forward', () => {
  it('matches cpu with and without scale and offset', async () => {
    for (const withParams of [true, false]) {
      const r = await onBoth(() =>
        tf.tidy(() => {
          const x = tf.randomNormal([3, 5, 4, 8], 1, 2, 'float32', 4) as tf.Tensor4D;
          const mean = tf.randomNormal([8], 0, 1, 'float32', 5) as tf.Tensor1D;
          const variance = tf.randomUniform([8], 0.5, 2, 'float32', 6) as tf.Tensor1D;
          const offset = withParams ? (tf.randomNormal([8], 0, 1, 'float32', 7) as tf.Tensor1D) : undefined;
          const scale = withParams ? (tf.randomNormal([8], 1, 0.5, 'float32', 8) as tf.Tensor1D) : undefined;
          return tf.batchNorm4d(x, mean, variance, offset, scale, 1e-3);
        }),
      );
      expectClose(r.wasm, r.cpu, `batchNorm params=${withParams}`);
    }
  });

  it('falls back to upstream for non-channel-vector parameters', async () => {
    const r = await onBoth(() =>
      tf.tidy(() => tf.batchNorm(tf.randomNormal([2, 3, 4], 0, 1, 'float32', 9), tf.scalar(0.5), tf.scalar(2), tf.scalar(1), tf.scalar(3), 1e-3)),
    );
    expectClose(r.wasm, r.cpu, 'scalar params');
  });
});

describe('a whole training step on wasm', () => {
  it('keeps tensors and backend buffers constant across steps (no kernel leaks)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.5, seed: 1 }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const opt = tf.train.adam(0.01);
    const x = tf.randomNormal([5, 12, 12, 1], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    const losses: number[] = [];
    const step = () =>
      tf.tidy(() => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
        losses.push(loss.dataSync()[0]!);
      });
    step();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
    // And it learns: memorising 5 samples drives the loss well down.
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    tf.dispose([x, y]);
    model.dispose();
    opt.dispose();
  });
});

describe('Tile and the Mean gradient', () => {
  it('Tile matches cpu for leading-dim broadcasts (fast path) and other tilings (upstream)', async () => {
    const cases: [number[], number[]][] = [
      [[1, 1, 1, 5], [3, 4, 2, 1]],
      [[1, 3], [7, 1]],
      [[1, 1, 2, 3], [2, 3, 1, 1]],
      [[2, 3], [2, 2]],
      [[1, 3], [1, 2]],
    ];
    for (const [shape, reps] of cases) {
      const r = await onBoth(() => tf.tidy(() => tf.tile(tf.randomNormal(shape, 0, 1, 'float32', 5), reps)));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expectClose(r.wasm, r.cpu, `tile ${shape} × ${reps}`);
    }
  });

  it('the Mean gradient equals the Sum gradient / n (upstream Sum gradient as the reference)', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      for (const axis of [[0, 1, 2], [0], [1, 2], [3], [0, 2]]) {
        const [viaMean, viaSum] = tf.tidy(() => {
          const x = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 6);
          const w = tf.randomNormal(tf.mean(x, axis).shape, 0, 1, 'float32', 7);
          const n = axis.reduce((p, a) => p * x.shape[a]!, 1);
          const gm = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axis), w)))(x);
          const gs = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.div(tf.sum(a, axis), n), w)))(x);
          return [gm.dataSync() as Float32Array, gs.dataSync() as Float32Array];
        });
        expectClose(viaMean, viaSum, `${backend} mean grad over ${axis}`);
      }
    }
  });
});

describe('Slice', () => {
  it('copies contiguous slices without reading the whole input back, and matches cpu for strided ones too', async () => {
    const x = () => tf.tensor4d(Float32Array.from({ length: 6 * 5 * 4 * 3 }, (_, i) => i * 0.5 - 7), [6, 5, 4, 3]);
    const cases: [number[], number[]][] = [
      [[2, 0, 0, 0], [3, 5, 4, 3]], // rows of a batch: contiguous
      [[1, 2, 0, 0], [1, 2, 4, 3]], // contiguous inside one image
      [[0, 1, 1, 0], [6, 3, 2, 3]], // strided: upstream
      [[5, 4, 3, 2], [-1, -1, -1, -1]],
    ];
    for (const [begin, size] of cases) {
      const r = await onBoth(() => tf.tidy(() => tf.slice(x(), begin, size)));
      expect(r.shapes[1]).toEqual(r.shapes[0]);
      expect(Array.from(r.wasm), `${begin} ${size}`).toEqual(Array.from(r.cpu));
    }
    const ints = await onBoth(() => tf.tidy(() => tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), [1, 0], [2, 2]).toFloat()));
    expect(Array.from(ints.wasm)).toEqual([3, 4, 5, 6]);
    // The wasm side must not have read its input back: readSync is upstream's whole-tensor copy.
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { readSync(id: object): unknown };
    const read = backend.readSync.bind(backend);
    let reads = 0;
    backend.readSync = (id: object) => {
      reads++;
      return read(id);
    };
    try {
      tf.tidy(() => tf.slice(tf.zeros([64, 48, 48, 1]), [8, 0, 0, 0], [8, 48, 48, 1]));
    } finally {
      backend.readSync = read;
    }
    expect(reads).toBe(0);
  });
});
