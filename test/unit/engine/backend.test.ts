import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, type BackendName, type BackendProbe } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { chooseBackend, detectTfGpu, pickBackend, probeBackends, type BackendProbers } from '../../../src-main/engine/backend';

function probe(name: BackendName, usable: boolean, reason = `${name} ${usable ? 'ok' : 'missing'}.`): BackendProbe {
  return { name, packageName: `pkg-${name}`, usable, reason };
}

function probers(usable: Partial<Record<BackendName, boolean>>): BackendProbers {
  return {
    native: async (name) => probe(name, usable[name] ?? false),
    wasm: async () => probe('wasm', usable.wasm ?? true),
    cpu: () => probe('cpu', true),
  };
}

describe('pickBackend', () => {
  it('prefers tensorflow-gpu, then tensorflow, then wasm, then cpu', () => {
    const all = BACKEND_NAMES.map((n) => probe(n, true));
    expect(pickBackend(all, null, {}).name).toBe('tensorflow-gpu');
    expect(pickBackend([probe('tensorflow-gpu', false), ...all.slice(1)], null, {}).name).toBe('tensorflow');
    expect(pickBackend([probe('tensorflow-gpu', false), probe('tensorflow', false), ...all.slice(2)], null, {}).name).toBe('wasm');
    const onlyCpu = BACKEND_NAMES.map((n) => probe(n, n === 'cpu'));
    expect(pickBackend(onlyCpu, null, {}).name).toBe('cpu');
  });

  it('records why every better backend was skipped', () => {
    const probes = [probe('tensorflow-gpu', false, 'no CUDA GPU.'), probe('tensorflow', false, 'tfjs-node not installed.'), probe('wasm', true, 'wasm ok.'), probe('cpu', true)];
    const choice = pickBackend(probes, null, {});
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toContain('wasm ok.');
    expect(choice.reason).toContain('tensorflow-gpu: no CUDA GPU.');
    expect(choice.reason).toContain('tensorflow: tfjs-node not installed.');
    expect(choice.probes).toBe(probes);
  });

  it('honours FER_BACKEND, and a per-run setting over it', () => {
    const all = BACKEND_NAMES.map((n) => probe(n, true));
    expect(pickBackend(all, null, { FER_BACKEND: 'cpu' })).toMatchObject({ name: 'cpu', reason: expect.stringContaining('FER_BACKEND') });
    expect(pickBackend(all, 'wasm', { FER_BACKEND: 'cpu' })).toMatchObject({ name: 'wasm', reason: expect.stringContaining('run settings') });
    expect(pickBackend(all, null, { FER_BACKEND: 'auto' }).name).toBe('tensorflow-gpu');
    expect(pickBackend(all, null, { FER_BACKEND: '' }).name).toBe('tensorflow-gpu');
  });

  it('refuses a forced backend that cannot load, naming why, instead of falling back', () => {
    const probes = [probe('tensorflow-gpu', false, 'no CUDA GPU.'), probe('tensorflow', false), probe('wasm', true), probe('cpu', true)];
    expect(() => pickBackend(probes, 'tensorflow-gpu', {})).toThrow(/tensorflow-gpu was forced by the run settings but cannot load: no CUDA GPU/);
    expect(() => pickBackend(probes, null, { FER_BACKEND: 'tensorflow' })).toThrow(/forced by FER_BACKEND/);
    try {
      pickBackend(probes, null, { FER_BACKEND: 'webgpu' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('BACKEND_UNAVAILABLE');
      expect((err as AppError).message).toMatch(/Unknown backend "webgpu".*tensorflow-gpu, tensorflow, wasm, cpu/);
    }
  });
});

describe('chooseBackend with injected probes', () => {
  it('probes in order and picks the best usable', async () => {
    await expect(chooseBackend(null, {}, probers({ tensorflow: true }))).resolves.toMatchObject({ name: 'tensorflow' });
    await expect(chooseBackend(null, {}, probers({ wasm: false }))).resolves.toMatchObject({ name: 'cpu' });
    await expect(chooseBackend('cpu', {}, probers({ tensorflow: true }))).resolves.toMatchObject({ name: 'cpu' });
  });
});

describe('tfjs-node-gpu is accepted only when TensorFlow really sees a GPU', () => {
  it('reads isUsingGpuDevice from the loaded binding', async () => {
    await expect(detectTfGpu(() => ({ binding: { isUsingGpuDevice: () => true } }))).resolves.toMatchObject({ ok: true });
    await expect(detectTfGpu(() => ({ binding: { isUsingGpuDevice: () => false } }))).resolves.toMatchObject({ ok: false, reason: expect.stringMatching(/CUDA 11.2 \/ cuDNN 8.1/) });
    await expect(detectTfGpu(() => null)).resolves.toMatchObject({ ok: false });
    await expect(
      detectTfGpu(() => {
        throw new Error('binding exploded');
      }),
    ).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('binding exploded') });
  });
});

describe('real probes on this machine', () => {
  it('report every backend with a reason, wasm and cpu usable', async () => {
    const probes = await probeBackends();
    expect(probes.map((p) => p.name)).toEqual([...BACKEND_NAMES]);
    for (const p of probes) expect(p.reason.length).toBeGreaterThan(10);
    expect(probes.find((p) => p.name === 'wasm')!.usable).toBe(true);
    expect(probes.find((p) => p.name === 'cpu')!.usable).toBe(true);
  });
});
