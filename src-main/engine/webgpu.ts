import type { GpuAdapterReport } from '../../src-shared/contract';

/**
 * WebGPU in Node through Dawn's bindings (the optional npm package `webgpu`). tfjs-backend-webgpu registers its
 * backend only if `navigator.gpu` exists when it is imported, and Node has no WebGPU of its own, so this module finds
 * an adapter, then puts a `navigator.gpu` and Dawn's GPU* classes on globalThis before backend.ts imports tfjs's.
 *
 * Only the few members used here are typed (the package's types pull in @webgpu/types, which tsconfig leaves out).
 */
interface DawnAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface DawnAdapter {
  info: DawnAdapterInfo;
}
interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
  getPreferredCanvasFormat(): string;
  wgslLanguageFeatures: unknown;
}
export interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** One place Dawn may find an adapter: its backend and the feature level to ask it for. */
export interface DawnCandidate {
  backend: string;
  featureLevel: 'core' | 'compatibility';
}

/**
 * Dawn backends to try, best first. Linux: Vulkan, then OpenGL, which Dawn offers at the compatibility feature level
 * only (that is how Mesa's llvmpipe shows up on a headless machine: CI's adapter). Lavapipe (Vulkan on the CPU) from
 * Debian bookworm is rejected by Dawn, so llvmpipe over OpenGL is the software path that works.
 */
export function dawnCandidates(platform: NodeJS.Platform = process.platform): DawnCandidate[] {
  if (platform === 'darwin') return [{ backend: 'metal', featureLevel: 'core' }];
  if (platform === 'win32') return [{ backend: 'd3d12', featureLevel: 'core' }, { backend: 'vulkan', featureLevel: 'core' }];
  return [{ backend: 'vulkan', featureLevel: 'core' }, { backend: 'opengl', featureLevel: 'compatibility' }];
}

const SOFTWARE = /llvmpipe|softpipe|lavapipe|swiftshader|basic render|software/i;

/**
 * A CPU implementation, from Dawn's flag or the names drivers give them: Dawn does not flag llvmpipe behind OpenGL
 * (isFallbackAdapter is false there), so the device and description strings decide too.
 */
export function isSoftwareAdapter(info: Pick<DawnAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>): boolean {
  return !!info.isFallbackAdapter || SOFTWARE.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

export function adapterReport(info: DawnAdapterInfo, where: DawnCandidate): GpuAdapterReport {
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    dawnBackend: where.backend,
    featureLevel: where.featureLevel,
    fallback: !!info.isFallbackAdapter,
    software: isSoftwareAdapter(info),
  };
}

/** One line for reasons and run records: "llvmpipe-llvm-15… (OpenGL version 4.5 …; Dawn opengl, compatibility, software)". */
export function describeAdapter(a: GpuAdapterReport): string {
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const traits = [`Dawn ${a.dawnBackend}`, a.featureLevel === 'compatibility' ? 'compatibility feature level' : null, a.fallback ? 'fallback adapter' : null, a.software ? 'software' : null];
  return `${name} (${[a.description, ...traits].filter(Boolean).join('; ')})`;
}

export interface WebGpuDiscovery {
  /** The adapter webgpu would run on: the first hardware one, else the first software one; null if Dawn found none. */
  adapter: GpuAdapterReport | null;
  /** Dawn backends tried, with what each gave, for the "why not" line. */
  tried: string[];
  /** Set when Dawn itself failed to load. */
  loadError?: string;
}

interface Found {
  report: GpuAdapterReport;
  gpu: DawnGpu;
}

let dawn: DawnModule | null = null;
let discovery: Promise<{ public: WebGpuDiscovery; found: Found | null }> | null = null;

/**
 * Mesa's EGL picks a window-system platform by default and fails without one; a headless machine (CI, a server) needs
 * the surfaceless platform. Set only when nothing says otherwise and there is no display to talk to.
 */
function preferSurfacelessEgl(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'linux' && !env.EGL_PLATFORM && !env.DISPLAY && !env.WAYLAND_DISPLAY) env.EGL_PLATFORM = 'surfaceless';
}

async function discover(load: () => Promise<DawnModule>, candidates: DawnCandidate[]): Promise<{ public: WebGpuDiscovery; found: Found | null }> {
  const tried: string[] = [];
  try {
    dawn = await load();
  } catch (err) {
    return { public: { adapter: null, tried, loadError: (err as Error).message.split('\n')[0] }, found: null };
  }
  let software: Found | null = null;
  for (const where of candidates) {
    if (where.backend === 'opengl') preferSurfacelessEgl();
    try {
      const gpu = dawn.create([`backend=${where.backend}`]);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: where.featureLevel });
      if (!adapter) {
        tried.push(`${where.backend}: no adapter`);
        continue;
      }
      const report = adapterReport(adapter.info, where);
      tried.push(`${where.backend}: ${describeAdapter(report)}`);
      if (!report.software) return { public: { adapter: report, tried }, found: { report, gpu } };
      software ??= { report, gpu };
    } catch (err) {
      tried.push(`${where.backend}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { public: { adapter: software?.report ?? null, tried }, found: software };
}

/** npm's name for Dawn's Node bindings. A variable, not a literal: the bundler must leave this optional package out. */
export const DAWN_PACKAGE = 'webgpu';
const loadDawn = async (): Promise<DawnModule> => (await import(DAWN_PACKAGE)) as DawnModule;

/** Finds the adapter once per process (Dawn's start-up costs tens of ms; doctor and training both ask). */
export async function discoverWebGpu(load: () => Promise<DawnModule> = loadDawn, candidates = dawnCandidates()): Promise<WebGpuDiscovery> {
  discovery ??= discover(load, candidates);
  return (await discovery).public;
}

let installed: GpuAdapterReport | null = null;

/**
 * Puts `navigator.gpu` (answering with the discovered adapter's backend and feature level, which tfjs does not ask
 * for) and Dawn's GPU* classes (tfjs checks `instanceof GPUBuffer`) on globalThis. Must run before
 * `@tensorflow/tfjs-backend-webgpu` is first imported. Returns the adapter it installed.
 */
export async function installWebGpu(): Promise<GpuAdapterReport> {
  if (installed) return installed;
  await discoverWebGpu();
  const found = (await discovery!).found;
  const pub = (await discovery!).public;
  if (!found || !dawn) throw new Error(pub.loadError ?? `Dawn found no WebGPU adapter (${pub.tried.join('; ') || 'nothing tried'}).`);
  const g = globalThis as Record<string, unknown>;
  for (const k of Object.keys(dawn.globals)) if (!(k in g)) g[k] = dawn.globals[k];
  const gpu = found.gpu;
  const featureLevel = found.report.featureLevel;
  const facade = {
    requestAdapter: (options?: Record<string, unknown>) => gpu.requestAdapter({ ...options, featureLevel }),
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
  };
  // Node 21+ has a navigator of its own; Node 20 has none. Kept for the process's life: the trainer and the evaluation
  // worker exit explicitly when done (a live navigator.gpu can keep Dawn, and so Node, running).
  if (g.navigator === undefined) Object.defineProperty(g, 'navigator', { value: { gpu: facade }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator as object, 'gpu', { value: facade, configurable: true, writable: true });
  installed = found.report;
  return found.report;
}

/** The adapter the webgpu backend runs on in this process, once installed. */
export function installedAdapter(): GpuAdapterReport | null {
  return installed;
}
