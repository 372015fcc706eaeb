import type { BackendName, PatchState } from '../../../src-shared/contract';
import { PATCHES, type Patch } from './registry';
import { setComputeSwitches } from './switches';

export { PATCHES } from './registry';
export { ENV_SWITCHES, envSwitchStates } from './switches';

/** The patches activateBackend installs for `backend`, in install order. */
export function patchesFor(backend: BackendName): Patch[] {
  return PATCHES.filter((p) => p.backends.includes(backend));
}

/**
 * Installs every patch for `backend` (idempotent). Only activateBackend calls this: no engine module patches tfjs
 * when imported, so a process runs tfjs as shipped until it picks a backend. Patches are process-wide and cannot be
 * taken off; the wasm-only ones check the backend (or look up their kernel on it) at each call, so a process that
 * used wasm and then another backend runs tfjs's own code there.
 */
export function installPatches(backend: BackendName): void {
  for (const p of patchesFor(backend)) p.install();
}

function byName(name: string): Patch {
  const p = PATCHES.find((q) => q.name === name);
  if (!p) throw new Error(`No patch named ${name} in patches/registry.ts.`);
  return p;
}

function stateOf(p: Patch, backend: BackendName, live: boolean): PatchState {
  const base = { name: p.name, replaces: p.replaces, backends: [...p.backends], ...(p.envSwitch ? { envSwitch: p.envSwitch } : {}) };
  if (!p.backends.includes(backend)) return { ...base, active: false, reason: `Not on ${backend}: ${p.backends.join(', ')} only.` };
  if (p.enabled && !p.enabled()) return { ...base, active: false, reason: `Switched off by ${p.envSwitch}=0: it passes every call to tfjs's own code.` };
  const needed = p.needs ? byName(p.needs) : null;
  if (needed?.enabled && !needed.enabled()) return { ...base, active: false, reason: `Off with ${needed.name} (${needed.envSwitch}=0), which it works with.` };
  if (live && !p.installed()) return { ...base, active: false, reason: 'Not installed: this process did not activate the backend through activateBackend.' };
  return { ...base, active: true, reason: live ? 'Installed and on.' : `On for training on ${backend}.` };
}

/**
 * Every patch with whether it is on for `backend`. live: in a process that activated `backend` (a run), also read
 * from tfjs whether each is really installed; otherwise (`fer doctor`) what activating it would give.
 */
export function patchStates(backend: BackendName, opts: { live?: boolean } = {}): PatchState[] {
  return PATCHES.map((p) => stateOf(p, backend, opts.live ?? false));
}

/** The sentence a run records next to its backend: the patches on, those switched off, the compute switches set. */
export function patchNote(backend: BackendName, env: NodeJS.ProcessEnv = process.env): string {
  const states = patchStates(backend, { live: true });
  const on = states.filter((s) => s.active).map((s) => s.name);
  const off = states.filter((s) => !s.active && s.backends.includes(backend)).map((s) => s.name);
  const set = setComputeSwitches(env);
  return [
    `tfjs patches on: ${on.length ? on.join(', ') : 'none'}.`,
    off.length ? `Off: ${off.join(', ')}.` : '',
    set.length ? `Switches: ${set.join(' ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
