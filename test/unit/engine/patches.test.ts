import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES } from '../../../src-shared/contract';
import { ENV_SWITCHES, PATCHES, patchNote, patchStates, patchesFor } from '../../../src-main/engine/patches';

const SRC_MAIN = join(__dirname, '../../../src-main');
const GENERIC = ['frozen-batch-norm', 'fast-dropout'];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const installedNames = () => PATCHES.filter((p) => p.installed()).map((p) => p.name);

describe('the tfjs patch registry', () => {
  // First in the file, before anything calls activateBackend: vitest gives each file a fresh module graph.
  it('no engine module patches tfjs when imported: nothing is installed before activateBackend', async () => {
    const modules = import.meta.glob(['../../../src-main/engine/**/*.ts']);
    expect(Object.keys(modules).length).toBeGreaterThan(60);
    for (const load of Object.values(modules)) await load();
    // The wasm package registers its upstream kernels on import; ours replace them only when installed.
    await import('@tensorflow/tfjs-backend-wasm');
    expect(installedNames()).toEqual([]);
  });

  it('lists each patch once, each switch once, and ties every patch switch to its patch', () => {
    const names = PATCHES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(PATCHES.map((p) => p.install)).size).toBe(names.length);
    const switches = ENV_SWITCHES.map((s) => s.name);
    expect(new Set(switches).size).toBe(switches.length);
    for (const p of PATCHES.filter((q) => q.envSwitch)) expect(ENV_SWITCHES.find((s) => s.name === p.envSwitch)?.patch, p.name).toBe(p.name);
    for (const s of ENV_SWITCHES.filter((t) => t.patch)) expect(names, s.name).toContain(s.patch);
  });

  it('lists every FER_* variable src-main reads', () => {
    const texts = tsFiles(SRC_MAIN).map((f) => readFileSync(f, 'utf8'));
    // Constants named FER_* (FER_TEST_FRACTION) are not environment variables.
    const constants = new Set(texts.flatMap((t) => [...t.matchAll(/\bconst (FER_[A-Z0-9_]+)/g)].map((m) => m[1]!)));
    const seen = new Set(texts.flatMap((t) => [...t.matchAll(/\bFER_[A-Z0-9_]+/g)].map((m) => m[0]).filter((n) => !constants.has(n))));
    expect([...seen].sort()).toEqual(ENV_SWITCHES.map((s) => s.name).sort());
  });

  it('wasm gets every patch; cpu, webgpu and native TensorFlow only the generic ones', () => {
    expect(patchesFor('wasm').map((p) => p.name)).toEqual(PATCHES.map((p) => p.name));
    for (const b of BACKEND_NAMES.filter((n) => n !== 'wasm')) expect(patchesFor(b).map((p) => p.name), b).toEqual(GENERIC);
  });

  it('activateBackend installs them per backend, and the live report says which are on', async () => {
    const { activateBackend } = await import('../../../src-main/engine/backend');
    await activateBackend('cpu');
    expect(installedNames()).toEqual(GENERIC);
    const cpu = patchStates('cpu', { live: true });
    expect(cpu.filter((s) => s.active).map((s) => s.name)).toEqual(GENERIC);
    expect(cpu.find((s) => s.name === 'fused-adam')!.reason).toBe('Not on cpu: wasm only.');
    expect(patchNote('cpu', {})).toBe('tfjs patches on: frozen-batch-norm, fast-dropout.');
    // Before wasm is activated the live report does not claim its patches.
    expect(patchStates('wasm', { live: true }).find((s) => s.name === 'lazy-conv-grad')).toMatchObject({ active: false, reason: expect.stringMatching(/^Not installed/) });

    await activateBackend('wasm');
    try {
      expect(installedNames()).toEqual(PATCHES.map((p) => p.name));
      expect(patchStates('wasm', { live: true }).every((s) => s.active)).toBe(true);
      expect(patchNote('wasm', { FER_WINOGRAD: '0', FER_BACKEND: 'wasm' })).toBe(`tfjs patches on: ${PATCHES.map((p) => p.name).join(', ')}. Switches: FER_WINOGRAD=0.`);
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('a switched-off patch is reported off, and so is the one that works with it', async () => {
    const { setFusedBatchNormEnabled } = await import('../../../src-main/engine/patches/fused-bn-training');
    setFusedBatchNormEnabled(false);
    try {
      const states = patchStates('wasm');
      expect(states.find((s) => s.name === 'fused-batch-norm-training')).toMatchObject({ active: false, reason: expect.stringMatching(/FER_FUSED_BN=0/) });
      expect(states.find((s) => s.name === 'relu-pass-through')).toMatchObject({ active: false, reason: expect.stringMatching(/fused-batch-norm-training \(FER_FUSED_BN=0\)/) });
      expect(patchNote('wasm', {})).toMatch(/Off: fused-batch-norm-training, relu-pass-through\.$/);
    } finally {
      setFusedBatchNormEnabled(true);
    }
  });
});
