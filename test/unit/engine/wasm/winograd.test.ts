import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateBackend } from '../../../../src-main/engine/backend';
import { splitRange, kernelRuntime } from '../../../../src-main/engine/wasm/kernel-runtime';
import { expectCloseNormwise, randn } from './compare';

/**
 * Winograd F(6×6, 3×3) (src-main/engine/wasm/kernels/conv_winograd.c) against the cpu backend: forward conv, the fused
 * bias + ReLU form, the input gradient and the filter gradient, over paddings, odd sizes that leave partial tiles,
 * images smaller than one tile, and channel counts that are not multiples of the 8-wide GEMM block.
 * Tolerance, normwise: max|wasm − cpu| ≤ 2e-5 · max|cpu| per output. Winograd's rounding scales with the size of
 * a whole tile's values (the transforms multiply by up to 32 and divide by up to 90), not with each output, so an
 * output that cancels to near zero can be off by 1e-4 of itself while the layer as a whole is off by ~5e-6.
 * Measured against the cpu backend (random normal data): normwise 1.8e-6 … 1.0e-5 for y, dx and dW over these
 * cases and [4,20,20,16]→8, [16,24,24,32]→32, [2,12,12,64]→64, [8,48,48,32]→32 (F(4×4, 3×3), used before:
 * 3e-6 … 8.4e-6); elementwise (1 + |cpu|) up to 5.3e-4 on y and 1.6e-3 on dW, whose entries sum every pixel of the
 * batch. Against float64 at [8,48,48,32] × 32 filters the Winograd dW's worst error is 0.0044 of values up to 510.
 */

const WINOGRAD_TOL = 2e-5;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  co: number;
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 7, 9, 8], co: 12, pad: 'same' },
  { x: [1, 13, 6, 16], co: 8, pad: 'valid' },
  { x: [3, 4, 4, 8], co: 8, pad: 'same' },
  { x: [1, 3, 5, 12], co: 16, pad: 'valid' },
  { x: [2, 11, 5, 12], co: 20, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { x: [5, 12, 12, 8], co: 8, pad: 'same' }, // 180 tiles: several blocks of 32
];

interface Results {
  y: Float32Array;
  fused: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function run(c: Case, xs: Float32Array, fs: Float32Array, bs: Float32Array): Results {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const f = tf.tensor4d(fs, [3, 3, c.x[3], c.co]);
    const b = tf.tensor1d(bs);
    const y = tf.conv2d(x, f, 1, c.pad);
    const fused = tf.fused.conv2d({ x, filter: f, strides: 1, pad: c.pad, bias: b, activation: 'relu' });
    const dy = tf.tensor4d(randn(y.shape, 3), y.shape as [number, number, number, number]);
    const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad), dy)))([x, f]);
    return {
      y: y.dataSync() as Float32Array,
      fused: fused.dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dw: dw!.dataSync() as Float32Array,
    };
  });
}

beforeAll(async () => {
  await activateBackend('wasm');
});

describe('Winograd conv kernels on wasm', () => {
  it('match the cpu backend forward, fused, and in both gradients', async () => {
    for (const c of CASES) {
      const label = `x ${c.x} co ${c.co} pad ${JSON.stringify(c.pad)}`;
      const xs = randn(c.x, 1);
      const fs = randn([3, 3, c.x[3], c.co], 2);
      const bs = randn([c.co], 4);
      await tf.setBackend('cpu');
      const ref = run(c, xs, fs, bs);
      await tf.setBackend('wasm');
      const rt = kernelRuntime(tf.backend() as BackendWasm);
      const before = { ...rt.calls };
      const got = run(c, xs, fs, bs);
      // forward, fused forward, the forward inside tf.grads, dx (a conv on the rotated filter); one filter gradient
      expect(rt.calls.conv - before.conv, label).toBe(4);
      expect(rt.calls.wgrad - before.wgrad, label).toBe(1);
      expectCloseNormwise(got.y, ref.y, `y ${label}`, WINOGRAD_TOL);
      expectCloseNormwise(got.fused, ref.fused, `fused ${label}`, WINOGRAD_TOL);
      expectCloseNormwise(got.dx, ref.dx, `dx ${label}`, WINOGRAD_TOL);
      expectCloseNormwise(got.dw, ref.dw, `dW ${label}`, WINOGRAD_TOL);
    }
  });

  it('leaves shapes it does not cover to the other kernels', async () => {
    await tf.setBackend('wasm');
    const rt = kernelRuntime(tf.backend() as BackendWasm);
    const before = { ...rt.calls };
    tf.tidy(() => {
      tf.conv2d(tf.ones([1, 8, 8, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 8]) as tf.Tensor4D, 2, 'same').dataSync(); // stride 2
      tf.conv2d(tf.ones([1, 8, 8, 8]) as tf.Tensor4D, tf.ones([5, 5, 8, 8]) as tf.Tensor4D, 1, 'same').dataSync(); // 5×5
      tf.conv2d(tf.ones([1, 8, 8, 10]) as tf.Tensor4D, tf.ones([3, 3, 10, 8]) as tf.Tensor4D, 1, 'same').dataSync(); // 10 channels
      tf.conv2d(tf.ones([1, 8, 8, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 6]) as tf.Tensor4D, 1, 'same').dataSync(); // 1 → 6 channels
      tf.conv2d(tf.ones([1, 8, 8, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 8]) as tf.Tensor4D, 2, 'same').dataSync(); // 1 channel, stride 2
    });
    expect(rt.calls).toEqual(before);
  });

  it('runs ReLU\'s gradient as one SIMD pass, equal to tfjs\'s mul(dy, step(x)) including x = 0 and odd lengths', async () => {
    for (const n of [4099, 16]) {
      const xs = Float32Array.from(randn([n], 21), (v, i) => (i % 7 === 0 ? 0 : v));
      const dys = randn([n], 22);
      const go = () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), tf.tensor1d(dys))))(tf.tensor1d(xs)).dataSync() as Float32Array);
      await tf.setBackend('cpu');
      const want = go();
      await tf.setBackend('wasm');
      const rt = kernelRuntime(tf.backend() as BackendWasm);
      const before = rt.calls.reluGrad;
      const got = go();
      expect(rt.calls.reluGrad - before).toBe(1);
      // (+0 where tfjs has dy·0 = −0 for negative dy: equal as numbers)
      expect(Array.from(got, (v) => v + 0)).toEqual(Array.from(want, (v) => v + 0));
    }
  });

  it('splits work into aligned per-thread ranges', () => {
    expect(splitRange(100, 2, 32)).toEqual([
      [0, 64],
      [64, 100],
    ]);
    expect(splitRange(20, 2, 32)).toEqual([
      [0, 20],
      [20, 20],
    ]);
    expect(splitRange(9216, 4, 32).map(([a, b]) => b - a)).toEqual([2304, 2304, 2304, 2304]);
    expect(splitRange(7, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
  });

  it('runs the first layer (1 input channel) forward and in both gradients, and the 2×2 max pool and its gradient, as SIMD kernels', async () => {
    for (const [pad, co] of [['same', 8], ['valid', 12]] as const) {
      const label = `pad ${pad} co ${co}`;
      const xs = randn([3, 9, 7, 1], 5);
      // Rounded to quarters and ReLU'd so that max-pool windows hold ties (all-zero windows included).
      const ps = Float32Array.from(randn([3, 8, 6, 12], 6), (v) => Math.max(0, Math.round(v * 4) / 4));
      const go = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, [3, 9, 7, 1]);
          const f = tf.tensor4d(randn([3, 3, 1, co], 7), [3, 3, 1, co]);
          const y = tf.conv2d(x, f, 1, pad);
          // Width 7 (same) / 5 (valid): four-pixel steps and the single-pixel tail; 12 outputs: a 4-channel tail.
          const fused = tf.fused.conv2d({ x, filter: f, strides: 1, pad, bias: tf.tensor1d(randn([co], 9)), activation: 'relu' });
          const dy = tf.tensor4d(randn(y.shape, 8), y.shape as [number, number, number, number]);
          const dw = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 1, pad), dy)))(f);
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f, 1, pad), dy)))(x);
          const p = tf.tensor4d(ps, [3, 8, 6, 12]);
          const dp = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.range(1, 3 * 4 * 3 * 12 + 1).reshape([3, 4, 3, 12]))))(p);
          const pooled = tf.maxPool(p, 2, 2, 'valid');
          return [dw, dp, dx, pooled, y, fused].map((t) => t.dataSync() as Float32Array);
        });
      await tf.setBackend('cpu');
      const [refW, refP, refX, refPool, refY, refFused] = go();
      await tf.setBackend('wasm');
      const rt = kernelRuntime(tf.backend() as BackendWasm);
      const before = { ...rt.calls };
      const [gotW, gotP, gotX, gotPool, gotY, gotFused] = go();
      expect(rt.calls.convOneIn - before.convOneIn, label).toBe(4); // y, fused, and the forwards inside both tf.grad
      expect(rt.calls.wgradC1 - before.wgradC1, label).toBe(1);
      expect(rt.calls.maxPoolGrad - before.maxPoolGrad, label).toBe(1);
      expect(rt.calls.convOneOut - before.convOneOut, label).toBe(1);
      expect(rt.calls.maxPool - before.maxPool, label).toBe(2); // inside tf.grad and on its own
      expect(Array.from(gotPool!), `max pool ${label}`).toEqual(Array.from(refPool!));
      expectCloseNormwise(gotY!, refY!, `y ${label}`, 1e-6);
      expectCloseNormwise(gotFused!, refFused!, `fused ${label}`, 1e-6);
      expectCloseNormwise(gotX!, refX!, `dx ${label}`, 1e-5);
      expectCloseNormwise(gotW!, refW!, `dW ${label}`, 1e-5);
      expect(Array.from(gotP!), `max-pool dx ${label}`).toEqual(Array.from(refP!));
    }
  });
});

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describe('Winograd on the threaded backend', () => {
  // 'all': XNNPACK's pool has both threads; 'one': XNNPACK on the calling thread, the kernels still on two (workers spin).
  it.each(['all', 'one'] as const)('gives the single-thread results with 2 worker threads (XNNPACK pool: %s) and lets the process exit', (xnnpack) => {
    // Its own process: this file's backend is single-threaded (FER_WASM_THREADS=1), and the threaded heap is shared.
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { wasmThreadsStatus } from './src-main/engine/wasm-threads';
      import { activateBackend } from './src-main/engine/backend';
      import { kernelRuntime } from './src-main/engine/wasm/kernel-runtime';
      await activateBackend('wasm', { xnnpack: '${xnnpack}' });
      const r = wasmThreadsStatus();
      const xnnpackThreads = tf.backend().wasm.tfjs.getThreadsCount();
      const rt = kernelRuntime(tf.backend());
      const x = tf.randomNormal([4, 20, 20, 16], 0, 1, 'float32', 1);
      const f = tf.randomNormal([3, 3, 16, 8], 0, 1, 'float32', 2);
      const dy = tf.randomNormal([4, 20, 20, 8], 0, 1, 'float32', 3);
      const x1 = tf.randomNormal([4, 20, 20, 1], 0, 1, 'float32', 4);
      const f1 = tf.randomNormal([3, 3, 1, 8], 0, 1, 'float32', 5);
      const pooled = tf.relu(tf.round(tf.randomNormal([4, 20, 20, 8], 0, 1, 'float32', 6)));
      const go = () => {
        const [dx, dw] = tf.grads((a, w) => tf.sum(tf.mul(tf.conv2d(a, w, 1, 'same'), dy)))([x, f]);
        const dw1 = tf.grad((w) => tf.sum(tf.mul(tf.conv2d(x1, w, 1, 'same'), dy)))(f1);
        const dp = tf.grad((a) => tf.sum(tf.mul(tf.maxPool(a, 2, 2, 'valid'), tf.range(1, 801).reshape([4, 10, 10, 2]).tile([1, 1, 1, 4]))))(pooled);
        // Dropout at rate 0.25: the kernel's float argument (4/3) crosses to the worker as its bits.
        const dropped = tf.layers.dropout({ rate: 0.25, seed: 5 }).apply(x, { training: true });
        return [tf.conv2d(x, f, 1, 'same'), dx, dw, dw1, dp, tf.conv2d(x1, f1, 1, 'same'), dropped].map((t) => Array.from(t.dataSync()));
      };
      const wasm = go();
      const calls = { ...rt.calls };
      await tf.setBackend('cpu');
      const cpu = go();
      let worst = 0; // normwise, as above
      wasm.forEach((a, i) => { const scale = Math.max(...cpu[i].map(Math.abs)); a.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - cpu[i][j]) / scale); }); });
      console.log(JSON.stringify({ backendThreads: r.threads, xnnpackThreads, reported: r.xnnpackThreads, kernelThreads: rt.threads, calls, worst }));
    `;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, FER_WASM_THREADS: '2' },
      timeout: 120_000,
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as { backendThreads: number; xnnpackThreads: number; reported: number; kernelThreads: number; calls: Record<string, number>; worst: number };
    expect(out.backendThreads).toBe(2);
    expect(out.xnnpackThreads).toBe(xnnpack === 'one' ? 1 : 2);
    expect(out.reported).toBe(out.xnnpackThreads);
    expect(out.kernelThreads).toBe(2);
    // conv: forward inside tf.grads, dx, forward; convOneIn: the first-layer forward inside tf.grad and on its own
    expect(out.calls).toMatchObject({ conv: 3, wgrad: 1, maxPoolGrad: 1, wgradC1: 1, convOneIn: 2, dropout: 1 });
    expect(out.worst).toBeLessThanOrEqual(2e-5);
  }, 130_000);
});

// scripts/build-kernels.mjs compiles with Debian's clang-19 + lld-19 (.ci/run installs them).
const hasClang = existsSync(process.env.FER_CLANG ?? '/usr/lib/llvm-19/bin/clang') && existsSync('/usr/lib/llvm-19/bin/wasm-ld');

describe('kernel binaries', () => {
  it.skipIf(!hasClang)('are what kernels/*.c compile to (npm run build:kernels)', () => {
    expect(execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' })).toMatch(/match/);
  });
});
