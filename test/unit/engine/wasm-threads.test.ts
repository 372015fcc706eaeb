import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedThreads, setupWasmThreads, wasmThreadsStatus } from '../../../src-main/engine/wasm-threads';
import { AppError } from '../../../src-shared/errors';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const MODULE_URL = pathToFileURL(fileURLToPath(new URL('../../../src-main/engine/wasm-threads.ts', import.meta.url))).href;

/** Deterministic pseudo-random values (the comparison must not depend on tf's RNG or on the backend). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** conv2d (same and strided valid) and matMul on whatever backend is active, read back to plain arrays. */
function workload(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(4 * 32 * 32 * 16, 1), [4, 32, 32, 16]);
    const w = tf.tensor4d(values(3 * 3 * 16 * 32, 2), [3, 3, 16, 32]);
    const a = tf.tensor2d(values(200 * 300, 3), [200, 300]);
    const b = tf.tensor2d(values(300 * 150, 4), [300, 150]);
    return [
      tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array,
      tf.conv2d(x, w, 2, 'valid').dataSync() as Float32Array,
      tf.matMul(a, b).dataSync() as Float32Array,
    ];
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('requestedThreads', () => {
  it('takes the caller, then FER_WASM_THREADS, then the core count', () => {
    expect(requestedThreads(3, { FER_WASM_THREADS: '5' })).toMatchObject({ n: 3, source: 'the caller' });
    expect(requestedThreads(undefined, { FER_WASM_THREADS: '5' })).toMatchObject({ n: 5, source: 'FER_WASM_THREADS' });
    expect(requestedThreads(undefined, { FER_WASM_THREADS: '1' }).n).toBe(1);
    expect(requestedThreads(undefined, {}).n).toBe(availableParallelism());
  });

  it('rejects counts that are not whole numbers from 1 up, naming the source', () => {
    for (const bad of ['0', 'two', '1.5', '-2', '999']) {
      expect(() => requestedThreads(undefined, { FER_WASM_THREADS: bad })).toThrow(/FER_WASM_THREADS must be a whole number/);
    }
    expect(() => requestedThreads(0, {})).toThrow(AppError);
    expect(() => requestedThreads(2.5, {})).toThrow(/wasm threads must be a whole number/);
  });
});

describe('setupWasmThreads', () => {
  let upstream: ReturnType<typeof tf.findBackendFactory>;

  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    upstream = tf.findBackendFactory('wasm');
    expect(upstream).toBeTruthy();
  });

  afterAll(() => {
    // Disposing terminates the pthread workers.
    for (const name of ['wasm', 'wasm-single']) if (tf.engine().registryFactory[name]) tf.removeBackend(name);
  });

  it('falls back to the single-threaded build, with the reason, when the workers do not start in time', async () => {
    const r = await setupWasmThreads(2, { initTimeoutMs: 1 });
    expect(r.threads).toBe(1);
    expect(r.reason).toMatch(/Single-threaded SIMD build: the 2-thread build failed to start \(pthread workers did not start within 1 ms\)/);
    // (tf.findBackend would start initialising the registered factory; the registry only looks.)
    expect(tf.engine().registry['wasm']).toBeUndefined();
    expect(tf.findBackendFactory('wasm')).toBe(upstream);
  });

  it('leaves the single-threaded build in place when FER_WASM_THREADS=1', async () => {
    const saved = process.env.FER_WASM_THREADS;
    process.env.FER_WASM_THREADS = '1';
    try {
      const r = await setupWasmThreads();
      expect(r).toEqual({ threads: 1, xnnpackThreads: 1, reason: 'Single-threaded SIMD build: 1 thread requested by FER_WASM_THREADS.' });
      expect(tf.findBackendFactory('wasm')).toBe(upstream);
    } finally {
      if (saved === undefined) delete process.env.FER_WASM_THREADS;
      else process.env.FER_WASM_THREADS = saved;
    }
  });

  it('runs the wasm backend on 2 threads when asked for 2', async () => {
    const r = await setupWasmThreads(2);
    expect(r).toEqual({ threads: 2, xnnpackThreads: 2, reason: 'Multi-threaded SIMD build with 2 threads (2 requested by the caller).' });
    expect(wasmThreadsStatus()).toEqual(r);
    expect(await tf.setBackend('wasm')).toBe(true);
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    expect(wasm.getThreadsCount()).toBe(2);
    // XNNPACK's threadpool: the calling thread plus one pthread running in a Node worker.
    const backend = tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number }; PThread: { runningWorkers: unknown[] } } };
    expect(backend.wasm.tfjs.getThreadsCount()).toBe(2);
    expect(backend.wasm.PThread.runningWorkers).toHaveLength(1);
  });

  it('computes conv2d and matMul the same as the single-threaded wasm build (and close to cpu)', async () => {
    await tf.setBackend('wasm');
    const threaded = workload();

    // Upstream's single-threaded build side by side, under another name with the same kernels.
    tf.registerBackend('wasm-single', upstream!);
    for (const k of tf.getKernelsForBackend('wasm')) tf.registerKernel({ ...k, backendName: 'wasm-single' });
    expect(await tf.setBackend('wasm-single')).toBe(true);
    expect((tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount()).toBe(1);
    const single = workload();

    await tf.setBackend('cpu');
    const cpu = workload();

    for (let i = 0; i < threaded.length; i++) {
      const scale = cpu[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // Same XNNPACK micro-kernels; threads split the output tiles, never a sum, so the results are bit-identical.
      expect(maxAbsDiff(threaded[i]!, single[i]!)).toBe(0);
      expect(maxAbsDiff(threaded[i]!, cpu[i]!)).toBeLessThanOrEqual(1e-4 * scale);
    }
    await tf.setBackend('wasm');
  });

  it('says it is too late once the wasm backend is initialised', async () => {
    await tf.setBackend('wasm');
    const r = await setupWasmThreads(3);
    expect(r.threads).toBe(2);
    expect(r.reason).toMatch(/already initialised \(with 2 threads\); setupWasmThreads must run before tf.setBackend\('wasm'\)/);
  });

  it('lets a process that used the threads exit on its own', async () => {
    // No removeBackend, no process.exit: the parked XNNPACK workers must not keep the event loop alive.
    const code = [
      `import * as tf from '@tensorflow/tfjs';`,
      `const { setupWasmThreads } = await import(${JSON.stringify(MODULE_URL)});`,
      `const r = await setupWasmThreads(2);`,
      `await tf.setBackend('wasm');`,
      `const y = tf.conv2d(tf.ones([2, 24, 24, 8]), tf.ones([3, 3, 8, 8]), 1, 'same');`,
      `console.log(JSON.stringify({ threads: r.threads, backend: tf.getBackend(), centre: y.dataSync()[(12 * 24 + 12) * 8] }));`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO,
      env: { ...process.env, FER_WASM_THREADS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const limitMs = 45_000;
    const exit = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, timedOut: true });
      }, limitMs);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve({ code: c, timedOut: false });
      });
    });
    expect(exit, `child output:\n${stdout}\n${stderr}`).toEqual({ code: 0, timedOut: false });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ threads: 2, backend: 'wasm', centre: 72 });
  });
});
