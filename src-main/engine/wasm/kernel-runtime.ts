import { Worker } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backendThreads } from '../wasm-threads';
import { kernelModule } from './kernel-module';
import { KERNEL_FNS, argRow, checkKernelExports, type ArgsOf, type KernelName, type ThreadedKernel } from './kernel-signatures';
import { CTL, CTL_SLOTS, WORKER_SOURCE } from './winograd-worker';

/** Tiles per block in kernels/conv_winograd.c (TB); thread shares are cut at block boundaries so blocks stay full. */
export const TILE_BLOCK = 16;
/** Per-instance stack: the compiled kernels use none today, but an instance must never share one with the heap's owner. */
const STACK_BYTES = 64 * 1024;
const WORKER_STALL_S = 120;
/** How long the caller spins on a job's done count before it sleeps on it. */
const CALLER_SPIN_MS = 20;
/**
 * How long an idle worker spins for the next job before it sleeps, where it spins at all: a training step posts
 * ~35 jobs with gaps well under this, and a sleeping worker takes ~50 µs to wake (5 µs spinning). Measured on the
 * baseline's step: ~3% faster.
 */
const WORKER_SPIN_MS = 2;

/** The instance's exports; checkKernelExports holds them to kernel-signatures.ts, and calls go through argRow. */
type Exports = Record<KernelName, (...args: number[]) => number> & { __stack_pointer: WebAssembly.Global };

interface EmscriptenHeap {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** A stride-1 3×3 conv's sizes: x [n, h, w, ci] → y [n, oh, ow, co] with (padTop, padLeft) zero padding. */
export interface ConvShape {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  padTop: number;
  padLeft: number;
}

/** Heap offsets: x, u (the transformed filter), bias (0 for none), y. */
export interface ConvCall extends ConvShape {
  x: number;
  u: number;
  bias: number;
  y: number;
  relu: boolean;
  /** y is the 2×2 stride-2 max pool of the conv, [n, oh/2, ow/2, co] (oh, ow even). */
  pool?: boolean;
}

/** Heap offsets: x, dy, and dw [3, 3, ci, co] for the result; db [co] for the bias gradient too (wgrad only). */
export interface WgradCall extends ConvShape {
  x: number;
  dy: number;
  dw: number;
  db?: number;
}

/** Heap offsets of one thread's float64 sums and their float32 scratch (KernelRuntime.threadSums). */
interface ThreadSumSlot {
  acc: number;
  part: number;
}

/** [start, end) ranges of `count` items for `parts` threads, cut at multiples of `align`; empty ranges at the end. */
export function splitRange(count: number, parts: number, align = 1): [number, number][] {
  const per = Math.ceil(Math.ceil(count / align) / parts) * align;
  return Array.from({ length: parts }, (_, i) => [Math.min(count, i * per), Math.min(count, (i + 1) * per)]);
}

/**
 * Runs kernels/*.c on the wasm backend's own heap: the kernels read tensors where tfjs keeps them and write
 * outputs tfjs allocated, with no copies. With the threaded backend (a shared heap) the calling thread and
 * `threads − 1` workers each hold an instance on the same memory and run one row of arguments per job; the caller
 * returns when all are done, like a tfjs kernel. With the single-threaded backend the kernels run on the caller.
 * Every kernel family of the module goes through here (convolutions, batch norm, pooling, dropout, Adam; see
 * kernels/README.md), not only the Winograd convolutions the file is named after.
 */
export class KernelRuntime {
  /** Threads the kernels run on: the backend's count with a shared heap, else 1. */
  readonly threads: number;
  /** Kernel calls so far, so tests can prove a case took this path. */
  readonly calls = { conv: 0, wgrad: 0, maxPoolGrad: 0, wgradC1: 0, batchNorm: 0, batchNormGrad: 0, convOneOut: 0, reluGrad: 0, maxPool: 0, convOneIn: 0, channelSum: 0, dropout: 0, adam: 0 };
  private readonly heap: EmscriptenHeap;
  private readonly local: Exports;
  private readonly ctl: Int32Array | null = null;
  /** The worker handles, held for the runtime's life (they are unref'd, so they never keep a process alive). */
  private readonly workers: Worker[] = [];
  private scratch = 0;
  private scratchBytes = 0;

  /** spin: workers poll for the next job for WORKER_SPIN_MS before sleeping (only where no XNNPACK pool thread needs the cores). */
  constructor(backend: BackendWasm, threads: number, spin = false) {
    this.heap = (backend as unknown as { wasm: EmscriptenHeap }).wasm;
    if (!this.heap.wasmMemory && !this.heap.asm?.memory) throw new Error('the wasm backend exposes no heap memory');
    const memory = this.memory();
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const module = kernelModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    checkKernelExports(instance.exports);
    this.local = instance.exports as unknown as Exports;
    this.local.__stack_pointer.value = this.malloc(STACK_BYTES) + STACK_BYTES;
    this.threads = shared ? Math.min(Math.max(1, threads), CTL.maxThreads) : 1;
    if (this.threads > 1) {
      this.ctl = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
      // The calling thread computes row 0 itself (it would only wait otherwise); workers take rows 1.. .
      for (let i = 1; i < this.threads; i++) {
        const stack = this.malloc(STACK_BYTES) + STACK_BYTES;
        // execArgv []: the parent's flags (e.g. --input-type=module, loaders) would change how the source is read.
        const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory, ctl: this.ctl.buffer, index: i, stack, spinMs: spin ? WORKER_SPIN_MS : 0 } });
        // Idle workers sit in Atomics.wait; they must not keep a finished process alive.
        worker.unref();
        this.workers.push(worker);
      }
    }
  }

  malloc(bytes: number): number {
    // >>> 0: emscripten returns the address as a signed i32, negative once the heap is past 2 GiB.
    const p = this.heap._malloc(bytes) >>> 0;
    if (!p) throw new Error(`wasm heap: cannot allocate ${bytes} bytes`);
    return p;
  }

  free(ptr: number): void {
    this.heap._free(ptr);
  }

  /** Output tile side of the module's Winograd F(m×m, 3×3), and the positions (floats per channel pair) of a transformed tile. */
  get tile(): number {
    return this.call('wino_tile', {});
  }

  /** Floats of a transformed filter [positions][ci][co] (transformFilter's u). */
  filterFloats(ci: number, co: number): number {
    return this.call('wino_positions', {}) * ci * co;
  }

  /** u [positions][ci][co] from an HWIO 3×3 filter; u must hold filterFloats(ci, co) floats. */
  transformFilter(w: number, u: number, ci: number, co: number): void {
    this.call('wino_filter', { w, u, ci, co });
  }

  conv(c: ConvCall): void {
    this.calls.conv++;
    const tiles = c.n * Math.ceil(c.oh / this.tile) * Math.ceil(c.ow / this.tile);
    const per = this.scratchFloats(c.ci, c.co) * 4;
    const scratch = this.scratchFor(per);
    const args = { x: c.x, u: c.u, bias: c.bias, y: c.y, h: c.h, w: c.w, ci: c.ci, oh: c.oh, ow: c.ow, co: c.co, pt: c.padTop, pl: c.padLeft, relu: c.relu, pool: !!c.pool };
    this.run(
      'wino_conv',
      splitRange(tiles, this.threads, TILE_BLOCK).map(([t0, t1], i) => (t0 < t1 ? { ...args, t0, t1, scratch: scratch + i * per } : null)),
    );
  }

  /** dW, and with c.db (heap offset of [co] floats) the bias gradient Σdy per channel from the same pass over dy. */
  wgrad(c: WgradCall): void {
    this.calls.wgrad++;
    const tiles = c.n * Math.ceil(c.oh / this.tile) * Math.ceil(c.ow / this.tile);
    const per = this.scratchFloats(c.ci, c.co) * 4;
    const accFloats = this.filterFloats(c.ci, c.co);
    const scratch = this.scratchFor(per);
    const pass = (biasSlot?: (thread: number) => ThreadSumSlot): void =>
      this.withAccumulators(accFloats, (acc) => {
        const args = { x: c.x, dy: c.dy, h: c.h, w: c.w, ci: c.ci, oh: c.oh, ow: c.ow, co: c.co, pt: c.padTop, pl: c.padLeft };
        this.run(
          'wino_wgrad',
          splitRange(tiles, this.threads, TILE_BLOCK).map(([t0, t1], i) => {
            const b = biasSlot?.(i);
            return t0 < t1 ? { ...args, acc: acc + i * accFloats * 4, t0, t1, scratch: scratch + i * per, bpart: b?.part ?? 0, bacc: b?.acc ?? 0 } : null;
          }),
        );
        this.call('wino_wgrad_finish', { acc, parts: this.threads, stride: accFloats, dw: c.dw, ci: c.ci, co: c.co });
      });
    if (!c.db) return pass();
    const sums = this.threadSums(c.co, pass);
    this.f32(c.db, c.co).set(sums); // a view made after threadSums' allocation (a heap growth detaches older ones)
  }

  /** y [n, oh, ow, c] = the 2×2 stride-2 max pool of x [n, 2·oh, 2·ow, c], c a multiple of 4. */
  maxPool(x: number, y: number, n: number, oh: number, ow: number, c: number): void {
    this.calls.maxPool++;
    this.run('maxpool2', splitRange(n * oh, this.threads).map(([r0, r1]) => (r0 < r1 ? { x, y, ow, c, r0, r1 } : null)));
  }

  /** dx of a 2×2 stride-2 max pool over [n, 2·oh, 2·ow, c], c a multiple of 4. */
  maxPoolGrad(x: number, dy: number, dx: number, n: number, oh: number, ow: number, c: number): void {
    this.calls.maxPoolGrad++;
    this.run(
      'maxpool2_grad',
      splitRange(n * oh, this.threads).map(([r0, r1]) => (r0 < r1 ? { x, dy, dx, ow, c, r0, r1 } : null)),
    );
  }

  /** y [n, oh, ow, co] of a stride-1 3×3 conv with one input channel (+ bias, ReLU); c.u is the filter itself, [3, 3, 1, co]. */
  convOneChannel(c: ConvCall): void {
    this.calls.convOneIn++;
    const rowBytes = 3 * (c.ow + 2) * 4;
    const rows = this.scratchFor(rowBytes);
    const args = { x: c.x, w: c.u, bias: c.bias, y: c.y, h: c.h, wd: c.w, oh: c.oh, ow: c.ow, co: c.co, pt: c.padTop, pl: c.padLeft, relu: c.relu };
    this.run('conv_c1', splitRange(c.n * c.oh, this.threads).map(([r0, r1], i) => (r0 < r1 ? { ...args, r0, r1, rows: rows + i * rowBytes } : null)));
  }

  /** dW [3, 3, 1, co] of a stride-1 3×3 conv with one input channel. */
  wgradOneChannel(c: WgradCall): void {
    this.calls.wgradC1++;
    const accFloats = 9 * c.co;
    const rowBytes = (c.ow + 2) * 4;
    const rows = this.scratchFor(rowBytes);
    this.withAccumulators(accFloats, (acc) => {
      this.run(
        'wgrad_c1',
        splitRange(c.n * c.oh, this.threads).map(([r0, r1], i) =>
          r0 < r1 ? { x: c.x, dy: c.dy, acc: acc + i * accFloats * 4, row: rows + i * rowBytes, h: c.h, w: c.w, oh: c.oh, ow: c.ow, co: c.co, pt: c.padTop, pl: c.padLeft, r0, r1 } : null,
        ),
      );
      this.call('sum_parts', { acc, parts: this.threads, stride: accFloats, out: c.dw, n: accFloats });
    });
  }

  /** Σx per channel over [pixels, c], in float64. */
  channelSum(x: number, pixels: number, c: number): Float64Array {
    this.calls.channelSum++;
    return this.channelSums(pixels, c, 'chan_sums', (p0, p1, part, acc) => ({ x, c, p0, p1, part, acc })).subarray(0, c);
  }

  /** Σ(x − k) and Σ(x − k)² per channel over [pixels, c] (k = pixel 0's values), in float64: 2c sums. */
  momentSums(x: number, pixels: number, c: number): Float64Array {
    this.calls.batchNorm++;
    return this.channelSums(pixels, c, 'bn_moments', (p0, p1, part, acc) => ({ x, c, p0, p1, part, acc }));
  }

  /**
   * Σ g and Σ g·(x − mean) per channel, in float64: 2c sums. g = dy, or with `act` (heap offset of [mean | scale |
   * beta] of a fused ReLU) dy where the forward output was positive; 0 for none.
   */
  gradSums(x: number, dy: number, mean: number, act: number, pixels: number, c: number): Float64Array {
    this.calls.batchNormGrad++;
    return this.channelSums(pixels, c, 'bn_grad_sums', (p0, p1, part, acc) => ({ x, dy, mean, act, c, p0, p1, part, acc }));
  }

  /** y = (x − mean)·scale + beta per channel, coef = [mean | scale | beta]; relu: max(y, 0). */
  affine(x: number, y: number, coef: number, relu: boolean, pixels: number, c: number): void {
    this.run('bn_affine', splitRange(pixels, this.threads, 64).map(([p0, p1]) => (p0 < p1 ? { x, y, coef, c, relu, p0, p1 } : null)));
  }

  /** dx = a·g + b·(x − mean) + d per channel, coef = [a | b | mean | d], g as in gradSums. */
  gradApply(x: number, dy: number, dx: number, coef: number, act: number, pixels: number, c: number): void {
    this.run('bn_grad_apply', splitRange(pixels, this.threads, 64).map(([p0, p1]) => (p0 < p1 ? { x, dy, dx, coef, act, c, p0, p1 } : null)));
  }

  /** A float32 view of heap floats (valid until the next allocation, which may grow the heap). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory().buffer, ptr, n);
  }

  private memory(): WebAssembly.Memory {
    return (this.heap.wasmMemory ?? this.heap.asm?.memory)!;
  }

  private channelSums<F extends 'bn_moments' | 'bn_grad_sums' | 'chan_sums'>(
    pixels: number,
    c: number,
    fn: F,
    args: (p0: number, p1: number, part: number, acc: number) => ArgsOf<F>,
  ): Float64Array {
    return this.threadSums(2 * c, (slot) =>
      this.run(
        fn,
        splitRange(pixels, this.threads, 64).map(([p0, p1], i) => (p0 < p1 ? args(p0, p1, slot(i).part, slot(i).acc) : null)),
      ),
    );
  }

  /**
   * Zeroed per-thread slots for `n` sums (float64 accumulators and the float32 scratch the kernels' fold() empties
   * into them), handed to `f`; returns the slots' totals over all threads, added in float64.
   */
  private threadSums(n: number, f: (slot: (thread: number) => ThreadSumSlot) => void): Float64Array {
    const accBytes = n * 8;
    const per = accBytes + n * 4;
    const base = this.malloc(per * this.threads + 8);
    try {
      const at = Math.ceil(base / 8) * 8;
      new Uint8Array(this.memory().buffer, at, per * this.threads).fill(0);
      f((i) => ({ acc: at + i * per, part: at + i * per + accBytes }));
      const out = new Float64Array(n);
      for (let i = 0; i < this.threads; i++) {
        const acc = new Float64Array(this.memory().buffer, at + i * per, n);
        for (let j = 0; j < n; j++) out[j]! += acc[j]!;
      }
      return out;
    } finally {
      this.free(base);
    }
  }

  /** y [n, oh, ow, 1] of a stride-1 3×3 conv with one output channel; w is [3, 3, ci, 1], ci a multiple of 4. */
  convOneOutput(x: number, w: number, y: number, n: number, h: number, wd: number, ci: number, oh: number, ow: number, padTop: number, padLeft: number): void {
    this.calls.convOneOut++;
    this.run(
      'conv_co1',
      splitRange(n * oh, this.threads).map(([r0, r1]) => (r0 < r1 ? { x, w, y, h, wd, ci, oh, ow, pt: padTop, pl: padLeft, r0, r1 } : null)),
    );
  }

  /** y = x · mask over n elements, the mask from (s, threshold, kept) as in kernels/dropout.c dropout_apply. */
  dropout(x: number, y: number, n: number, s: number, threshold: number, kept: number): void {
    this.calls.dropout++;
    // kept_bits is an f32bits parameter: argRow passes the float as its int32 bits (job rows are int32).
    this.run('dropout_apply', splitRange(n, this.threads, 1024).map(([i0, i1]) => (i0 < i1 ? { x, y, s, threshold, kept_bits: kept, i0, i1 } : null)));
  }

  /** One Adam step (kernels/optimizer.c adam_update) on the calling thread: variables are small, a hand-off costs more. */
  adamUpdate(w: number, m: number, v: number, g: number, out: [number, number, number], params: number, n: number): void {
    this.calls.adam++;
    this.call('adam_update', { w, m, vv: v, g, w2: out[0], m2: out[1], v2: out[2], p: params, n });
  }

  /** dx = dy where x > 0, else 0, over n elements. */
  reluGrad(x: number, dy: number, dx: number, n: number): void {
    this.calls.reluGrad++;
    this.run('relu_grad', splitRange(n, this.threads, 1024).map(([i0, i1]) => (i0 < i1 ? { x, dy, dx, i0, i1 } : null)));
  }

  /** Zeroed per-thread accumulators of `floats` floats each, freed after `f`. */
  private withAccumulators(floats: number, f: (acc: number) => void): void {
    const acc = this.malloc(floats * 4 * this.threads);
    try {
      new Float32Array(this.memory().buffer, acc, floats * this.threads).fill(0);
      f(acc);
    } finally {
      this.free(acc);
    }
  }

  /** One scratch region per thread, kept between calls and grown on demand. */
  private scratchFor(perThread: number): number {
    const need = perThread * this.threads;
    if (need > this.scratchBytes) {
      if (this.scratch) this.free(this.scratch);
      this.scratch = this.malloc(need);
      this.scratchBytes = need;
    }
    return this.scratch;
  }

  /** Floats of one thread's scratch for a Winograd conv or filter gradient. */
  private scratchFloats(ci: number, co: number): number {
    return this.call('wino_scratch_floats', { ci, co });
  }

  /** One call on this thread's instance, from named arguments. */
  private call<F extends KernelName>(fn: F, args: ArgsOf<F>): number {
    return this.local[fn](...argRow(fn, args));
  }

  /** Runs `fn` once per thread's arguments (null: nothing for that thread): on the workers in parallel, or here in order. */
  private run<F extends ThreadedKernel>(fn: F, named: (ArgsOf<F> | null)[]): void {
    const rows = named.map((a) => (a ? argRow(fn, a) : []));
    if (!this.ctl) {
      for (const row of rows) if (row.length) this.local[fn](...row);
      return;
    }
    const ctl = this.ctl;
    ctl[CTL.fn] = KERNEL_FNS.indexOf(fn);
    for (let i = 0; i < this.threads; i++) {
      const row = rows[i] ?? [];
      if (row.length >= CTL.rowSize) throw new Error(`${fn}: ${row.length} arguments do not fit a control row`);
      const at = CTL.rows + i * CTL.rowSize;
      ctl[at] = row.length;
      for (let j = 0; j < row.length; j++) ctl[at + 1 + j] = row[j]!;
    }
    Atomics.store(ctl, CTL.failed, 0);
    const generation = Atomics.add(ctl, CTL.generation, 1) + 1;
    Atomics.notify(ctl, CTL.generation);
    let localError: unknown = null;
    try {
      const own = rows[0] ?? [];
      if (own.length) this.local[fn](...own);
    } catch (err) {
      localError = err; // reported once the workers are done with the same buffers
    }
    // Spin first: the caller has nothing else to do, and being woken costs ~50 µs a job.
    const spinUntil = performance.now() + CALLER_SPIN_MS;
    for (let i = 1; i < this.threads; i++) {
      const ack = CTL.acks + i;
      let waited = 0;
      while (Atomics.load(ctl, ack) !== generation) {
        if (performance.now() < spinUntil) continue;
        // A worker that died cannot acknowledge; a healthy one finishes any row in far less than this.
        const seen = Atomics.load(ctl, ack);
        if (seen !== generation && Atomics.wait(ctl, ack, seen, 1000) === 'timed-out' && ++waited >= WORKER_STALL_S) {
          throw new Error(`a wasm kernel worker stopped answering (${WORKER_STALL_S} s)`);
        }
      }
    }
    if (localError) throw localError;
    if (Atomics.load(ctl, CTL.failed)) throw new Error(`wasm kernel ${fn} failed on a worker thread`);
  }
}

const runtimes = new WeakMap<object, KernelRuntime>();

/** The runtime bound to this backend instance, started on first use with the backend's own thread count. */
export function kernelRuntime(backend: BackendWasm): KernelRuntime {
  let rt = runtimes.get(backend);
  if (!rt) {
    const { threads, xnnpackThreads } = backendThreads(backend);
    // Workers spin between jobs only where no XNNPACK pool thread competes for the same cores.
    rt = new KernelRuntime(backend, threads, xnnpackThreads === 1);
    runtimes.set(backend, rt);
  }
  return rt;
}
