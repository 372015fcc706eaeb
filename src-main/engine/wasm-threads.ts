/**
 * Multi-threaded wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a pthreads + SIMD build (XNNPACK on a pthreadpool), but never uses it in Node:
 * its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false there, and forcing the flag fails because its
 * init hands emscripten a `blob:` URL for the worker script (Node's Worker rejects it with ERR_WORKER_PATH) and a
 * Blob for the main script (which the worker's `importScripts` cannot read).
 *
 * Instead of patching node_modules we instantiate the threaded emscripten factory ourselves, from the files the
 * package installs (`wasm-out/*-threaded-simd.{js,worker.js}`, `dist/*-threaded-simd.wasm`), with a config that Node
 * can run: the worker script becomes a `data:` URL module (a URL object, which Node's Worker accepts) that evaluates
 * upstream's worker source with a real `require`, and the main script is the real file path. The resulting module
 * goes into the package's public `BackendWasm` class, registered under the name 'wasm' in place of upstream's
 * factory, so every wasm kernel (and our extra training kernels) runs on it unchanged.
 *
 * Call `setupWasmThreads()` BEFORE `tf.setBackend('wasm')`: once tfjs has initialised the wasm backend, the binary
 * (single- or multi-threaded) is fixed for the life of the process.
 *
 * Side effect to know about: emscripten's glue sets `globalThis.Worker = worker_threads.Worker` when the threaded
 * factory runs (it spawns pthreads through that global later), so after setup Node has a global `Worker`.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { AppError } from '../../src-shared/errors';
import { unpacked } from '../asar';

// Not named `require`: the electron-vite ESM bundle declares its own at the top of the chunk.
const requireHere = createRequire(import.meta.url);

/**
 * tfjs's C++ init caps XNNPACK's threadpool at 8 (backend.cc `max_num_threads`, matching the 8 workers its
 * emscripten build pre-spawns); more cannot be had without rebuilding the binary.
 */
export const MAX_WASM_THREADS = 8;
/** The largest count accepted as input at all; anything from 9 up to this is clamped to MAX_WASM_THREADS. */
const MAX_REQUEST = 256;
/** Worker start-up takes about a second even on a loaded 2-core machine; past this something is wrong: fall back. */
const INIT_TIMEOUT_MS = 60_000;
/** Upstream registers 'wasm' with this priority (tfjs-backend-wasm/dist/base.js); we keep it. */
const WASM_PRIORITY = 2;

export interface WasmThreadsResult {
  /** Threads the wasm backend will compute with (1 = upstream's single-threaded SIMD build). */
  threads: number;
  /** Of those, the threads XNNPACK's own ops run on (its pthreadpool; the rest serve the workbench's kernels). */
  xnnpackThreads: number;
  /** One sentence for `fer doctor` / the run record: why this many. */
  reason: string;
}

export interface SetupOptions {
  /** How long the pthread workers may take to start before we fall back (tests use a tiny value). */
  initTimeoutMs?: number;
  /**
   * XNNPACK's pool: 'all' threads (the default), or 'one', the calling thread only, for models whose heavy layers
   * all run on the workbench's kernels. XNNPACK's pool threads spin for a while after each op before they sleep,
   * and a spinning pool thread holds the core that a kernel worker needs next: on 2 cores that delayed kernel jobs
   * by ~0.5 ms each, and the baseline's training step ran 4% faster with XNNPACK on one thread. A model that leaves
   * convs to XNNPACK (ResNet's 1×1 convs) wants 'all': its step ran 15% slower on 'one'.
   */
  xnnpack?: 'all' | 'one';
}

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/** The parts of the emscripten module object (pthreads build) that we touch. */
interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: {
    unusedWorkers: Worker[];
    runningWorkers: Worker[];
    allocateUnusedWorker(): void;
    terminateAllThreads(): void;
  };
  tfjs?: Record<string, unknown>;
}

interface FactoryConfig {
  mainScriptUrlOrBlob: string;
  locateFile(path: string, prefix: string): string | URL;
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
  onAbort(what: unknown): void;
  PThread?: ThreadedModule['PThread'];
}

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

interface State {
  /** Upstream's factory, kept so that `threads: 1` (or a failure) can put it back. */
  upstream: Factory | null;
  /** A threaded backend built by setup but not yet handed to tfjs (disposed if setup runs again first). */
  pending: tf.KernelBackend | null;
  /** What the last setup decided, for `fer doctor`, the bench and run records. */
  last: WasmThreadsResult | null;
}
const state: State = { upstream: null, pending: null, last: null };

/** The last `setupWasmThreads` outcome in this process, or null if it never ran. */
export function wasmThreadsStatus(): WasmThreadsResult | null {
  return state.last;
}

/** The thread count asked for: explicit argument, then FER_WASM_THREADS, then one per core. */
export function requestedThreads(requested?: number, env: NodeJS.ProcessEnv = process.env): { n: number; source: string } {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > MAX_REQUEST) {
      throw new AppError('INVALID_INPUT', `wasm threads must be a whole number from 1 to ${MAX_REQUEST}, got ${requested}.`);
    }
    return { n: requested, source: 'the caller' };
  }
  const raw = env.FER_WASM_THREADS?.trim();
  if (raw) {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > MAX_REQUEST) {
      throw new AppError('INVALID_INPUT', `FER_WASM_THREADS must be a whole number from 1 to ${MAX_REQUEST} (1 disables threads), got "${raw}".`);
    }
    return { n, source: 'FER_WASM_THREADS' };
  }
  const cores = availableParallelism();
  return { n: cores, source: `the ${cores} logical core${cores === 1 ? '' : 's'} of this machine` };
}

/** Whether this runtime can run wasm threads + SIMD at all; null when it can, else why not. */
function runtimeUnsupported(): string | null {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable in this runtime.';
  // Tiny modules from wasm-feature-detect (the same bytes tfjs-backend-wasm's flags use).
  const simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11]);
  const threads = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]);
  if (!WebAssembly.validate(simd)) return 'this runtime has no WebAssembly SIMD.';
  if (!WebAssembly.validate(threads)) return 'this runtime has no WebAssembly threads (atomics).';
  return null;
}

function packageFiles(): { mainScript: string; workerSource: string; binary: string } {
  // Unpacked in the installed app (electron-builder.config.ts): the worker threads read these files.
  const pkgDir = unpacked(dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')));
  const mainScript = join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerModule = requireHere(join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents?: unknown };
  if (typeof workerModule.wasmWorkerContents !== 'string') throw new Error('tfjs-backend-wasm no longer exports wasmWorkerContents');
  return { mainScript, workerSource: workerModule.wasmWorkerContents, binary: join(pkgDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm') };
}

/**
 * The pthread worker as a `data:` URL ES module. Emscripten passes whatever locateFile returns straight to
 * `new Worker(...)`, and Node accepts a data: URL only as a URL object (a string gives ERR_WORKER_PATH). Upstream's
 * worker source is CommonJS (`require`, `__filename`), so the module runs it inside a function that receives both;
 * `require` is rooted at the threaded main script so its `importScripts(mainScript)` reads the real file.
 */
function workerUrl(mainScript: string, workerSource: string): URL {
  // The exported string holds real newlines inside "..." literals (upstream escapes them the same way before
  // making its Blob), which would be a syntax error as source.
  const source = workerSource.replace(/\n/g, '\\n');
  const src = [
    `import { createRequire } from 'node:module';`,
    `const file = ${JSON.stringify(mainScript)};`,
    `new Function('require', '__filename', ${JSON.stringify(source)})(createRequire(file), file);`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

/**
 * Instantiates the threaded emscripten module with exactly `threads - 1` pthread workers (the calling thread is
 * XNNPACK's thread 0). The pool must be complete before XNNPACK creates its threadpool: that call blocks the main
 * thread until every pthread checks in, and a worker that still had to load would need this blocked thread's event
 * loop, so an undersized pool would deadlock rather than fail.
 *
 * tfjs's C++ also caps the threadpool at `emscripten_num_logical_cores() / 2` (it assumes 2 hyper-threads per core),
 * read once at start-up; that would give 1 thread on a 2-vCPU machine whatever setThreadsCount says. The count comes
 * from a JS import of the module, so we answer it with `2 × threads` and the cap becomes the count we chose.
 */
async function instantiateThreaded(threads: number, timeoutMs: number): Promise<ThreadedModule> {
  const files = packageFiles();
  const wasmBytes = readFileSync(files.binary);
  const factory = requireHere(files.mainScript) as (cfg: FactoryConfig) => Promise<ThreadedModule>;
  const url = workerUrl(files.mainScript, files.workerSource);
  const listenersBefore = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };

  let fail: (err: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  /** Emscripten's handler for a worker 'error' event throws from the listener, i.e. crashes the process. */
  const savedOnError = new Map<Worker, unknown>();
  const config: FactoryConfig = {
    mainScriptUrlOrBlob: files.mainScript,
    locateFile: (path, prefix) => (path.endsWith('.worker.js') ? url : path.endsWith('.wasm') ? files.binary : prefix + path),
    instantiateWasm(imports, receive) {
      const env = imports.env as Record<string, unknown> | undefined;
      if (!env || typeof env.emscripten_num_logical_cores !== 'function') {
        throw new Error('the threaded module no longer imports emscripten_num_logical_cores');
      }
      env.emscripten_num_logical_cores = () => 2 * threads;
      const pt = config.PThread;
      if (!pt) throw new Error('the threaded module did not set up PThread before instantiating');
      // Emscripten pre-spawned a fixed pool of 8; size it to what XNNPACK will ask for.
      for (const extra of pt.unusedWorkers.splice(threads - 1)) void extra.terminate();
      while (pt.unusedWorkers.length < threads - 1) pt.allocateUnusedWorker();
      WebAssembly.instantiate(wasmBytes, imports).then(({ instance, module }) => {
        receive(instance, module); // attaches emscripten's message/error handlers and posts 'load' to each worker
        // During start-up a worker error means "threads do not work here": fall back instead of crashing.
        for (const w of pt.unusedWorkers) {
          const handle = w as unknown as { onerror: unknown };
          savedOnError.set(w, handle.onerror);
          handle.onerror = (e: unknown) => fail(e);
        }
      }, fail);
      return {};
    },
    onAbort: (what) => fail(new Error(`the threaded wasm module aborted: ${String(what)}`)),
  };

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pthread workers did not start within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const module = await Promise.race([factory(config), failed, timedOut]);
    for (const [w, onerror] of savedOnError) (w as unknown as { onerror: unknown }).onerror = onerror;
    return module;
  } catch (err) {
    // Workers are ref'd until they load: left alone they would keep the process alive.
    const pt = config.PThread;
    for (const w of [...(pt?.unusedWorkers ?? []), ...(pt?.runningWorkers ?? [])]) void w.terminate();
    throw err;
  } finally {
    clearTimeout(timer);
    // The emscripten glue installs process-wide handlers that rethrow every uncaught error and rejection; they
    // change how the host (vitest, the CLI) reports errors, and tfjs only removes them on dispose (with a bug that
    // removes everyone's). Take back exactly the ones it added.
    for (const l of process.listeners('uncaughtException')) {
      if (!listenersBefore.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!listenersBefore.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
    }
  }
}

/** The same `module.tfjs` bridge that upstream's init() adds (tfjs-backend-wasm/dist/backend_wasm.js). */
function addTfjsBridge(module: ThreadedModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * XNNPACK's pthreads never exit: they park in Atomics.wait between ops, and emscripten `ref()`s a worker while its
 * pthread runs, so they would keep the event loop (tests, CLIs) alive forever. Unreferenced, they still compute, and
 * Node terminates them at exit.
 */
function unrefWorkers(module: ThreadedModule): void {
  for (const w of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) w.unref();
}

async function createThreadedBackend(wasmPkg: WasmPackage, threads: number, xnnpackThreads: number, timeoutMs: number): Promise<tf.KernelBackend> {
  // The module always gets its `threads − 1` pthreads (a shared heap needs the threaded build, and emscripten's
  // start-up waits for its pool); XNNPACK then builds its threadpool with `xnnpackThreads` of them.
  const module = await instantiateThreaded(threads, timeoutMs);
  addTfjsBridge(module);
  wasmPkg.setThreadsCount(xnnpackThreads);
  let backend: tf.KernelBackend;
  try {
    // BackendWasm's constructor creates XNNPACK's threadpool with the count set above.
    backend = new wasmPkg.BackendWasm(module as unknown as ConstructorParameters<WasmPackage['BackendWasm']>[0]);
  } catch (err) {
    module.PThread.terminateAllThreads();
    throw err;
  }
  unrefWorkers(module);
  threadCounts.set(backend, { threads, xnnpackThreads: wasmPkg.getThreadsCount() });
  return backend;
}

const threadCounts = new WeakMap<object, { threads: number; xnnpackThreads: number }>();

/**
 * The threads a wasm backend instance computes with, and how many of them XNNPACK's pool has: from our own record
 * for a threaded backend built here, else its module's count (upstream's builds: XNNPACK has them all).
 */
export function backendThreads(backend: object): { threads: number; xnnpackThreads: number } {
  const own = threadCounts.get(backend);
  if (own) return own;
  const n = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.() ?? 1;
  return { threads: n, xnnpackThreads: n };
}

/** The initialised wasm backend, if any. (Not tf.findBackend: that starts initialising a registered backend.) */
function liveWasmBackend(): tf.KernelBackend | undefined {
  return tf.engine().registry['wasm'];
}

function register(factory: Factory): void {
  if (state.pending) {
    state.pending.dispose(); // terminates its workers
    state.pending = null;
  }
  if (tf.engine().registryFactory['wasm']) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
}

/**
 * Makes the next `tf.setBackend('wasm')` use the multi-threaded SIMD build with `requested` threads (else
 * FER_WASM_THREADS, else one per logical core; at most 8, tfjs's own cap).
 *
 * Must run BEFORE `tf.setBackend('wasm')`, and before any tf op or `tf.ready()` (those initialise the
 * highest-priority backend, which is upstream's single-threaded wasm when tfjs-node is absent).
 *
 * It starts the worker threads now, so the result is the truth: `threads` is the count XNNPACK reports, or 1 with
 * the reason when threads were disabled or could not start (the backend then stays upstream's single-threaded SIMD
 * build). It never throws for a runtime that cannot do threads; it throws AppError INVALID_INPUT for a bad count.
 */
export async function setupWasmThreads(requested?: number, opts: SetupOptions = {}): Promise<WasmThreadsResult> {
  const result = await setup(requested, opts);
  state.last = result;
  return result;
}

async function setup(requested: number | undefined, opts: SetupOptions): Promise<WasmThreadsResult> {
  const { n, source } = requestedThreads(requested);
  const timeoutMs = opts.initTimeoutMs ?? INIT_TIMEOUT_MS;
  const wasmPkg = await import('@tensorflow/tfjs-backend-wasm');

  const live = liveWasmBackend();
  if (live) {
    // Ask this backend itself: the package-level getThreadsCount() is whatever BackendWasm was built last.
    const { threads: current, xnnpackThreads } = backendThreads(live);
    return { threads: current, xnnpackThreads, reason: `The wasm backend was already initialised (with ${current} thread${current === 1 ? '' : 's'}); setupWasmThreads must run before tf.setBackend('wasm').` };
  }

  if (!state.upstream) {
    const upstream = tf.findBackendFactory('wasm');
    if (!upstream) return { threads: 1, xnnpackThreads: 1, reason: 'The wasm backend is not registered (tfjs-backend-wasm failed to load).' };
    state.upstream = upstream as Factory;
  }
  const upstream = state.upstream;
  const single = (why: string): WasmThreadsResult => {
    register(upstream);
    wasmPkg.setThreadsCount(-1);
    return { threads: 1, xnnpackThreads: 1, reason: why };
  };

  if (n === 1) return single(`Single-threaded SIMD build: 1 thread requested by ${source}.`);
  const threads = Math.min(n, MAX_WASM_THREADS);
  const clamp = threads < n ? `; tfjs-backend-wasm caps XNNPACK at ${MAX_WASM_THREADS}` : '';
  const unsupported = runtimeUnsupported();
  if (unsupported) return single(`Single-threaded SIMD build: ${unsupported}`);

  const xnnpackThreads = opts.xnnpack === 'one' ? 1 : threads;
  let prepared: tf.KernelBackend;
  try {
    prepared = await createThreadedBackend(wasmPkg, threads, xnnpackThreads, timeoutMs);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return single(`Single-threaded SIMD build: the ${threads}-thread build failed to start (${msg.split('\n')[0]}).`);
  }
  const actual = wasmPkg.getThreadsCount();
  if (actual < Math.min(2, xnnpackThreads)) {
    prepared.dispose();
    return single(`Single-threaded SIMD build: the threaded build started but XNNPACK made ${actual} thread(s) of ${xnnpackThreads}.`);
  }

  // The first setBackend gets the backend built above; a later re-initialisation (tf.engine().reset(),
  // removeBackend + setup again) builds a fresh one, falling back to upstream's if that fails.
  register(async () => {
    if (state.pending) {
      const b = state.pending;
      state.pending = null;
      return b;
    }
    try {
      return await createThreadedBackend(wasmPkg, threads, xnnpackThreads, timeoutMs);
    } catch {
      wasmPkg.setThreadsCount(-1);
      return upstream();
    }
  });
  state.pending = prepared;
  const pool = actual === threads ? '' : `; XNNPACK's own ops on ${actual} of them${xnnpackThreads === 1 ? ", the heavy layers on the workbench's kernels" : ''}`;
  return { threads, xnnpackThreads: actual, reason: `Multi-threaded SIMD build with ${threads} threads (${n} requested by ${source}${clamp}${pool}).` };
}
