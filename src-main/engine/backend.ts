import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName, type BackendProbe } from '../../src-shared/contract';
import { AppError } from '../../src-shared/errors';
import { unpacked } from '../asar';
import { kernelSimd } from './wasm/kernel-module';
import { installPatches } from './patches';
import { backendThreads, setupWasmThreads, wasmThreadsStatus } from './wasm-threads';
import { DAWN_PACKAGE, describeAdapter, discoverWebGpu, installWebGpu, installedAdapter, type WebGpuDiscovery } from './webgpu';

// Not named `require`: the electron-vite ESM bundle declares its own at the top of the chunk.
const requireHere = createRequire(import.meta.url);

const PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

function packageVersion(pkg: string): string | undefined {
  try {
    return (requireHere(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Why a native TensorFlow package is absent: it is optional, and its install step downloads libtensorflow. */
function nativeMissingReason(pkg: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find (module|package)/.test(msg)) {
    return `${pkg} is not installed: it is an optional dependency whose install step downloads libtensorflow, which failed or was skipped on this machine.`;
  }
  return `${pkg} is installed but failed to load: ${msg.split('\n')[0]}`;
}

export function wasmDistDir(): string {
  return unpacked(join(dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')) + '/';
}

async function probeNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<BackendProbe> {
  const pkg = PACKAGES[name];
  const version = packageVersion(pkg);
  if (!version) return { name, packageName: pkg, usable: false, reason: nativeMissingReason(pkg, new Error('Cannot find module')) };
  try {
    await import(pkg);
  } catch (err) {
    return { name, packageName: pkg, usable: false, reason: nativeMissingReason(pkg, err), version };
  }
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu silently runs on the CPU when CUDA/cuDNN libraries are missing; only a listed GPU device counts.
    const gpu = await detectTfGpu();
    if (!gpu.ok) return { name, packageName: pkg, usable: false, reason: gpu.reason, version };
    return { name, packageName: pkg, usable: true, reason: gpu.reason, version };
  }
  return { name, packageName: pkg, usable: true, reason: `${pkg} ${version} loaded (native TensorFlow on the CPU).`, version };
}

/** Exported for tests: decides from the loaded tensorflow backend's binding whether TF really sees a GPU. */
export async function detectTfGpu(findBackend: (name: string) => unknown = (n) => tf.findBackend(n)): Promise<{ ok: boolean; reason: string }> {
  try {
    const backend = findBackend('tensorflow') as { binding?: { isUsingGpuDevice?: () => boolean } } | null;
    const usingGpu = backend?.binding?.isUsingGpuDevice?.();
    if (usingGpu) return { ok: true, reason: 'tfjs-node-gpu loaded and TensorFlow reports a CUDA GPU device.' };
    return { ok: false, reason: 'tfjs-node-gpu loaded but TensorFlow found no usable GPU (CUDA 11.2 / cuDNN 8.1 libraries missing?); it would silently run on the CPU.' };
  } catch (err) {
    return { ok: false, reason: `tfjs-node-gpu GPU check failed: ${(err as Error).message}` };
  }
}

async function probeWasm(): Promise<BackendProbe> {
  const pkg = PACKAGES.wasm;
  const version = packageVersion(pkg);
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
    return { name: 'wasm', packageName: pkg, usable: true, reason: `${pkg} ${version} (XNNPACK, SIMD) with the workbench's training kernels (Winograd convs, fused batch norm, dropout, Adam; ${kernelSimd()}).`, version };
  } catch (err) {
    return { name: 'wasm', packageName: pkg, usable: false, reason: `${pkg} failed to load: ${(err as Error).message}`, version };
  }
}

/**
 * Exported for tests: the webgpu probe from what was found. Both packages are optional; a software adapter is usable
 * only when forced (on a CPU it is slower than our wasm kernels), so automatic selection passes it over.
 */
export function webgpuProbe(found: WebGpuDiscovery, versions: { tfjs?: string; dawn?: string }): BackendProbe {
  const base = { name: 'webgpu' as const, packageName: PACKAGES.webgpu, ...(versions.tfjs ? { version: versions.tfjs } : {}) };
  const optional = 'an optional dependency; npm skips it where it cannot install';
  if (!versions.tfjs) return { ...base, usable: false, reason: `${PACKAGES.webgpu} is not installed (${optional}).` };
  if (!versions.dawn) return { ...base, usable: false, reason: `${DAWN_PACKAGE} (Dawn's WebGPU for Node) is not installed (${optional}).` };
  if (found.loadError) return { ...base, usable: false, reason: `${DAWN_PACKAGE} ${versions.dawn} (Dawn) failed to load: ${found.loadError}` };
  if (!found.adapter) {
    return { ...base, usable: false, reason: `Dawn (${DAWN_PACKAGE} ${versions.dawn}) found no WebGPU adapter: ${found.tried.join('; ') || 'no Dawn backend for this platform'}.` };
  }
  const on = describeAdapter(found.adapter);
  if (found.adapter.software) {
    return { ...base, usable: true, forcedOnly: true, adapter: found.adapter, reason: `Only a software adapter, ${on}: never picked automatically (slower than wasm on the same CPU); force it with FER_BACKEND=webgpu or the run's backend setting.` };
  }
  return { ...base, usable: true, adapter: found.adapter, reason: `${PACKAGES.webgpu} ${versions.tfjs} on ${on}, through ${DAWN_PACKAGE} ${versions.dawn}.` };
}

async function probeWebGpu(): Promise<BackendProbe> {
  const versions = { tfjs: packageVersion(PACKAGES.webgpu), dawn: packageVersion(DAWN_PACKAGE) };
  // Dawn is loaded only when both packages are there: without tfjs's backend an adapter is of no use.
  const found = versions.tfjs && versions.dawn ? await discoverWebGpu() : { adapter: null, tried: [] };
  return webgpuProbe(found, versions);
}

/** How each backend is probed; injectable so the selection logic can be tested on machines without native TF. */
export interface BackendProbers {
  native(name: 'tensorflow-gpu' | 'tensorflow'): Promise<BackendProbe>;
  webgpu(): Promise<BackendProbe>;
  wasm(): Promise<BackendProbe>;
  cpu(): BackendProbe;
}

export const realProbers: BackendProbers = {
  native: probeNative,
  webgpu: probeWebGpu,
  wasm: probeWasm,
  cpu: () => ({ name: 'cpu', packageName: PACKAGES.cpu, usable: true, reason: 'Pure JavaScript; always available, and slowest.', version: packageVersion(PACKAGES.cpu) }),
};

/** Every backend in preference order, each with whether it can run here and why. */
export async function probeBackends(probers: BackendProbers = realProbers): Promise<BackendProbe[]> {
  return [await probers.native('tensorflow-gpu'), await probers.webgpu(), await probers.native('tensorflow'), await probers.wasm(), probers.cpu()];
}

export interface BackendChoice {
  name: BackendName;
  reason: string;
  probes: BackendProbe[];
}

function isBackendName(v: string): v is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(v);
}

/**
 * Pure selection: a per-run forced backend wins, then FER_BACKEND, else the first usable one in BACKEND_NAMES that
 * may be picked automatically (not `forcedOnly`: a software WebGPU adapter).
 * A forced backend that cannot load is an error, never a silent fallback (the user asked for it by name).
 * The reason says why each better backend was passed over, so runs and `fer doctor` can show it.
 */
export function pickBackend(probes: BackendProbe[], forced: string | null | undefined, env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const envWant = env.FER_BACKEND?.trim();
  const source = forced ? 'the run settings' : 'FER_BACKEND';
  const want = forced || (envWant && envWant !== 'auto' ? envWant : null);
  if (want) {
    if (!isBackendName(want)) {
      throw new AppError('BACKEND_UNAVAILABLE', `Unknown backend "${want}" (from ${source}). Choose one of ${BACKEND_NAMES.join(', ')}${forced ? '' : ', or auto'}.`);
    }
    const probe = probes.find((p) => p.name === want);
    if (!probe || !probe.usable) {
      throw new AppError('BACKEND_UNAVAILABLE', `Backend ${want} was forced by ${source} but cannot load: ${probe?.reason ?? 'it was not probed.'}`);
    }
    return { name: want, reason: `Forced by ${source}. ${probe.reason}`, probes };
  }
  const chosen = probes.find((p) => p.usable && !p.forcedOnly);
  if (!chosen) throw new AppError('BACKEND_UNAVAILABLE', `No TensorFlow.js backend can load: ${probes.map((p) => `${p.name}: ${p.reason}`).join(' ')}`);
  const skipped = probes.slice(0, probes.indexOf(chosen)).map((p) => `${p.name}: ${p.reason}`);
  const reason = skipped.length ? `${chosen.reason} Skipped: ${skipped.join(' ')}` : chosen.reason;
  return { name: chosen.name, reason, probes };
}

/** The best usable backend (or the forced one), with a sentence saying why the better ones were passed over. */
export async function chooseBackend(
  forced?: BackendName | null,
  env: NodeJS.ProcessEnv = process.env,
  probers: BackendProbers = realProbers,
): Promise<BackendChoice> {
  return pickBackend(await probeBackends(probers), forced, env);
}

/**
 * Makes `name` the active tfjs backend in this process. xnnpack: the size of XNNPACK's own pool when this call
 * starts the threaded wasm build ('one' for models whose heavy layers all run on the workbench's kernels; see
 * SetupOptions.xnnpack).
 */
export async function activateBackend(name: BackendName, opts: { xnnpack?: 'all' | 'one' } = {}): Promise<void> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
    // After the package's import, which registers the upstream kernels the wasm patches replace.
    installPatches(name);
    // Threads must be chosen before tfjs first initialises wasm (FER_WASM_THREADS, else one per core); once the
    // backend exists this is a no-op that reports the count it has.
    if (!tf.engine().registry.wasm) await setupWasmThreads(undefined, { xnnpack: opts.xnnpack ?? 'all' });
  } else if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    await import(PACKAGES[name]);
  } else if (name === 'webgpu') {
    await activateWebGpuPackages();
  }
  // The tfjs patches for this backend (patches/registry.ts): the only place any is installed.
  if (name !== 'wasm') installPatches(name);
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  // tf.setBackend answers false without saying why (it logs the factory's error as a warning): keep that warning.
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } finally {
    console.warn = warn;
  }
  if (!ok) throw new AppError('BACKEND_UNAVAILABLE', `tfjs could not initialise the ${name} backend${warnings.length ? `: ${warnings.join(' ')}` : '.'}`);
  for (const w of warnings) warn(w);
  await tf.ready();
}

/**
 * webgpu: Dawn's navigator.gpu first, then tfjs's backend, which registers itself only if navigator.gpu exists when
 * it is first imported. None of the workbench's wasm kernels or wasm-only layer patches are installed for it
 * (patches/registry.ts; those installed by an earlier wasm activation check the backend); the generic ones
 * (dropout's seeded mask, frozen batch norm) are.
 */
async function activateWebGpuPackages(): Promise<void> {
  try {
    await installWebGpu();
  } catch (err) {
    throw new AppError('BACKEND_UNAVAILABLE', `webgpu cannot start: ${(err as Error).message}`);
  }
  // By name from PACKAGES, like the native ones: an optional package the bundler must not pull in.
  await import(PACKAGES.webgpu);
  if (!tf.findBackendFactory('webgpu')) {
    throw new AppError('BACKEND_UNAVAILABLE', `${PACKAGES.webgpu} was loaded before navigator.gpu existed in this process, so it did not register its backend.`);
  }
}

/** The adapter line a run records for webgpu ("" for other backends). */
export function adapterNote(name: BackendName): string {
  const a = name === 'webgpu' ? installedAdapter() : null;
  return a ? `Adapter: ${describeAdapter(a)}.` : '';
}

/**
 * What a run on this backend can promise about reproducibility, for its record. On wasm the same seed gives the same
 * weights on the same thread count, idle or loaded; another thread count splits the kernels' sums differently (each
 * thread sums its share of the batch, then the shares are added), so the weights differ in the last bits from the
 * first step and the runs drift apart. Native TensorFlow makes no bit-for-bit promise.
 */
export function determinismNote(name: BackendName): string {
  if (name === 'wasm') {
    const n = wasmThreadCount();
    return `Reproducible: the same seed gives the same weights on ${n} wasm thread${n === 1 ? '' : 's'}, whatever the load; another thread count adds partial sums in another order, so its weights differ.`;
  }
  if (name === 'cpu') return 'Reproducible: the same seed gives the same weights.';
  if (name === 'webgpu') return 'Not bit-for-bit reproducible across adapters or drivers: GPU kernels may split and order sums differently.';
  return 'Not bit-for-bit reproducible: native TensorFlow may reorder sums between runs.';
}

/** Threads the wasm backend computes with: asks the live backend (1 = single-threaded build). */
export function wasmThreadCount(): number {
  const live = tf.engine().registry.wasm;
  return live ? backendThreads(live).threads : (wasmThreadsStatus()?.threads ?? 1);
}

/**
 * For `fer doctor`: the threads wasm computes with in this process, starting (and so verifying) the threaded build
 * if wasm is not initialised yet. The started backend is kept for this process's later wasm use.
 */
export async function wasmThreadsForDoctor(): Promise<number> {
  if (tf.engine().registry.wasm) return wasmThreadCount();
  try {
    return (await setupWasmThreads()).threads;
  } catch {
    return 1;
  }
}
