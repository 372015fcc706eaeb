import { z } from 'zod';
import { invoke, returns } from './define';

/**
 * Every tfjs backend the workbench knows, best first: the order training picks from when none is forced, the values
 * a run's `backend` setting accepts, and the choices the CLI and the New run form offer.
 */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The WebGPU adapter Dawn offers here, as read from GPUAdapterInfo plus what the workbench asked Dawn for. */
export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's backend the adapter came from ('vulkan', 'metal', 'd3d12', 'opengl', ...). */
  dawnBackend: string;
  featureLevel: 'core' | 'compatibility';
  /** GPUAdapterInfo.isFallbackAdapter: Dawn's own flag for a CPU implementation. */
  fallback: boolean;
  /** A CPU rasteriser (llvmpipe, SwiftShader, lavapipe, ...) whether or not Dawn flags it: never picked automatically. */
  software: boolean;
}

/** The adapter's facts as label/value pairs, in the order `fer doctor` and the System view show them. */
export function adapterFacts(a: GpuAdapterReport): [string, string][] {
  return [
    ['vendor', a.vendor || '(not given)'],
    ['architecture', a.architecture || '(not given)'],
    ['device', a.device || '(not given)'],
    ['description', a.description || '(not given)'],
    ['Dawn backend', `${a.dawnBackend} (${a.featureLevel} feature level)`],
    ['software', a.software ? `yes${a.fallback ? ' (Dawn fallback adapter)' : ''}: never picked automatically` : 'no (hardware)'],
  ];
}

export interface BackendProbe {
  name: BackendName;
  /** npm package that provides it. */
  packageName: string;
  usable: boolean;
  /** Why it is usable or not, in one sentence a user can act on. */
  reason: string;
  version?: string;
  /** Usable only when asked for by name (a software WebGPU adapter: slower than wasm), never picked automatically. */
  forcedOnly?: boolean;
  /** webgpu only: the adapter it would run on, when Dawn offered one. */
  adapter?: GpuAdapterReport;
}

/** A native addon the app loads: Node-API ones load in Node and Electron alike, V8 ones need a build per ABI. */
export interface NativeAddonReport {
  package: string;
  version?: string;
  file?: string;
  abi: 'node-api' | 'v8' | 'unknown' | 'absent';
  /** What was read from the file and what it means for Electron, in one sentence. */
  detail: string;
}

/** One of the workbench's tfjs patches (src-main/engine/patches/registry.ts) and whether it is on for a backend. */
export interface PatchState {
  name: string;
  /** What of tfjs it replaces (a prototype method, kernels, gradients). */
  replaces: string;
  /** The backends it is installed on. */
  backends: BackendName[];
  /** The FER_* variable that turns it off with the value 0, if it has one. */
  envSwitch?: string;
  active: boolean;
  /** Why it is on or off, in one sentence. */
  reason: string;
}

/** A FER_* environment variable the workbench reads, with its value in this process (null when unset). */
export interface EnvSwitchState {
  name: string;
  value: string | null;
  /** What it does. */
  effect: string;
}

export interface DoctorReport {
  appVersion: string;
  node: string;
  sqlite: string;
  tfjs: string;
  platform: string;
  cpus: number;
  home: string;
  electron: { present: boolean; reason: string; version?: string };
  backends: BackendProbe[];
  /** The backend training would pick now, and why the better ones were skipped. */
  chosen: { name: BackendName; reason: string };
  wasmThreads: number;
  /** The tfjs patches training on the chosen backend would run with. */
  patches: PatchState[];
  /** Every FER_* switch the workbench reads, with this process's value. */
  switches: EnvSwitchState[];
  nativeAddons: NativeAddonReport[];
  /** Face backbones whose weights come from an optional npm package: whether each can be built here, and why not. */
  backbones: { model: string; package: string; present: boolean; reason: string }[];
  /** The frozen-base feature store (`fer features list`): its folder, keys and size on disk; enabled: FER_FEATURE_STORE is not off. */
  featureStore: { dir: string; keys: number; bytes: number; enabled: boolean };
}

export const systemInvoke = {
  'system.doctor': invoke(z.strictObject({}), returns<DoctorReport>()),
  /** A native file/folder dialog: Electron only (the bridge answers UNSUPPORTED; its page takes a typed path). */
  'system.pickPath': invoke(
    z.strictObject({ kind: z.enum(['file', 'folder']), title: z.string().max(200).optional() }),
    returns<{ path: string | null }>(),
  ),
  'system.ping': invoke(z.strictObject({ echo: z.string().max(1000).optional() }), returns<{ pong: true; echo?: string; at: string }>()),
};

export const systemEvents = {
  'system.log': returns<{ level: 'info' | 'warn' | 'error'; message: string; at: string }>(),
};
