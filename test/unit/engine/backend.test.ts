import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, type BackendName, type BackendProbe } from '../../../src-shared/contract';
import { AppError } from '../../../src-shared/errors';
import { chooseBackend, detectTfGpu, pickBackend, probeBackends, webgpuProbe, type BackendProbers } from '../../../src-main/engine/backend';
import { dawnCandidates, isSoftwareAdapter } from '../../../src-main/engine/webgpu';

function probe(name: BackendName, usable: boolean, reason = `${name} ${usable ? 'ok' : 'missing'}.`): BackendProbe {
  return { name, packageName: `pkg-${name}`, usable, reason };
}

function probers(usable: Partial<Record<BackendName, boolean>>): BackendProbers {
  return {
    native: async (name) => probe(name, usable[name] ?? false),
    webgpu: async () => probe('webgpu', usable.webgpu ?? false),
    wasm: async () => probe('wasm', usable.wasm ?? true),
    cpu: () => probe('cpu', true),
  };
}

describe('pickBackend', () => {
  it('prefers tensorflow-gpu, then webgpu, then tensorflow, then wasm, then cpu', () => {
    expect([...BACKEND_NAMES]).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    const all = BACKEND_NAMES.map((n) => probe(n, true));
    const without = (...off: BackendName[]) => BACKEND_NAMES.map((n) => probe(n, !off.includes(n)));
    expect(pickBackend(all, null, {}).name).toBe('tensorflow-gpu');
    expect(pickBackend(without('tensorflow-gpu'), null, {}).name).toBe('webgpu');
    expect(pickBackend(without('tensorflow-gpu', 'webgpu'), null, {}).name).toBe('tensorflow');
    expect(pickBackend(without('tensorflow-gpu', 'webgpu', 'tensorflow'), null, {}).name).toBe('wasm');
    const onlyCpu = BACKEND_NAMES.map((n) => probe(n, n === 'cpu'));
    expect(pickBackend(onlyCpu, null, {}).name).toBe('cpu');
  });

  it('records why every better backend was skipped', () => {
    const probes = [probe('tensorflow-gpu', false, 'no CUDA GPU.'), probe('webgpu', false, 'no adapter.'), probe('tensorflow', false, 'tfjs-node not installed.'), probe('wasm', true, 'wasm ok.'), probe('cpu', true)];
    const choice = pickBackend(probes, null, {});
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toContain('wasm ok.');
    expect(choice.reason).toContain('tensorflow-gpu: no CUDA GPU.');
    expect(choice.reason).toContain('tensorflow: tfjs-node not installed.');
    expect(choice.reason).toContain('webgpu: no adapter.');
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
    const probes = [probe('tensorflow-gpu', false, 'no CUDA GPU.'), probe('webgpu', false), probe('tensorflow', false), probe('wasm', true), probe('cpu', true)];
    expect(() => pickBackend(probes, 'tensorflow-gpu', {})).toThrow(/tensorflow-gpu was forced by the run settings but cannot load: no CUDA GPU/);
    expect(() => pickBackend(probes, null, { FER_BACKEND: 'tensorflow' })).toThrow(/forced by FER_BACKEND/);
    try {
      pickBackend(probes, null, { FER_BACKEND: 'webgl' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('BACKEND_UNAVAILABLE');
      expect((err as AppError).message).toMatch(/Unknown backend "webgl".*tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    }
  });
});

const llvmpipe = {
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6',
  dawnBackend: 'opengl',
  featureLevel: 'compatibility' as const,
  fallback: false,
  software: true,
};
const h200 = { ...llvmpipe, vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA 550.54', dawnBackend: 'vulkan', featureLevel: 'core' as const, software: false };

describe('the webgpu probe and the software-adapter rule', () => {
  const versions = { tfjs: '4.22.0', dawn: '0.6.2' };

  it('says which optional package is missing, or that Dawn failed or found no adapter', () => {
    expect(webgpuProbe({ adapter: null, tried: [] }, { dawn: '0.6.2' })).toMatchObject({ usable: false, reason: expect.stringMatching(/^@tensorflow\/tfjs-backend-webgpu is not installed \(an optional dependency/) });
    expect(webgpuProbe({ adapter: null, tried: [] }, { tfjs: '4.22.0' })).toMatchObject({ usable: false, reason: expect.stringMatching(/^webgpu \(Dawn's WebGPU for Node\) is not installed/) });
    expect(webgpuProbe({ adapter: null, tried: [], loadError: 'libEGL.so: cannot open' }, versions)).toMatchObject({ usable: false, reason: expect.stringContaining('failed to load: libEGL.so: cannot open') });
    const none = webgpuProbe({ adapter: null, tried: ['vulkan: no adapter', 'opengl: no adapter'] }, versions);
    expect(none).toMatchObject({ usable: false, reason: expect.stringContaining('found no WebGPU adapter: vulkan: no adapter; opengl: no adapter') });
    expect(none.adapter).toBeUndefined();
  });

  it('a hardware adapter is picked automatically, ahead of tensorflow and wasm, and named in the reason', () => {
    const gpu = webgpuProbe({ adapter: h200, tried: [] }, versions);
    expect(gpu).toMatchObject({ usable: true, adapter: h200 });
    expect(gpu.forcedOnly).toBeFalsy();
    const probes = [probe('tensorflow-gpu', false), gpu, probe('tensorflow', true), probe('wasm', true), probe('cpu', true)];
    const choice = pickBackend(probes, null, {});
    expect(choice.name).toBe('webgpu');
    expect(choice.reason).toMatch(/nvidia hopper NVIDIA H200 \(NVIDIA 550\.54; Dawn vulkan\)/);
  });

  it('a software adapter (llvmpipe) is never picked automatically, but can be forced by name', () => {
    const soft = webgpuProbe({ adapter: llvmpipe, tried: [] }, versions);
    expect(soft).toMatchObject({ usable: true, forcedOnly: true, adapter: llvmpipe });
    const probes = [probe('tensorflow-gpu', false), soft, probe('tensorflow', false), probe('wasm', true), probe('cpu', true)];
    const auto = pickBackend(probes, null, {});
    expect(auto.name).toBe('wasm');
    expect(auto.reason).toMatch(/webgpu: Only a software adapter, llvmpipe.*never picked automatically/);
    expect(pickBackend(probes, null, { FER_BACKEND: 'auto' }).name).toBe('wasm');
    expect(pickBackend(probes, null, { FER_BACKEND: 'webgpu' })).toMatchObject({ name: 'webgpu', reason: expect.stringContaining('Forced by FER_BACKEND') });
    expect(pickBackend(probes, 'webgpu', {}).name).toBe('webgpu');
    // Only forced-only backends left usable: nothing is picked behind the user's back.
    expect(() => pickBackend([soft], null, {})).toThrow(/No TensorFlow.js backend can load/);
  });

  it('knows software adapters by Dawn\'s flag or their drivers\' names, and GPUs as hardware', () => {
    const named = (device: string, description = '') => isSoftwareAdapter({ vendor: '', architecture: '', device, description });
    expect(named('llvmpipe-llvm-15-0-6-256-bits-')).toBe(true);
    expect(named('SwiftShader Device (Subzero)')).toBe(true);
    expect(named('', 'Microsoft Basic Render Driver')).toBe(true);
    expect(named('llvmpipe (LLVM 15.0.6, 256 bits)', 'lavapipe')).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'x', architecture: '', device: 'y', description: '', isFallbackAdapter: true })).toBe(true);
    expect(named('NVIDIA H200', 'NVIDIA 550.54')).toBe(false);
    expect(named('AMD Radeon RX 7900 XTX')).toBe(false);
    expect(named('Apple M2 Max')).toBe(false);
  });

  it('tries each platform\'s own Dawn backends, OpenGL (compatibility) last on Linux', () => {
    expect(dawnCandidates('linux')).toEqual([{ backend: 'vulkan', featureLevel: 'core' }, { backend: 'opengl', featureLevel: 'compatibility' }]);
    expect(dawnCandidates('darwin').map((c) => c.backend)).toEqual(['metal']);
    expect(dawnCandidates('win32').map((c) => c.backend)).toEqual(['d3d12', 'vulkan']);
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
  it('report every backend with a reason, wasm and cpu usable, webgpu with its adapter when it has one', async () => {
    const probes = await probeBackends();
    expect(probes.map((p) => p.name)).toEqual([...BACKEND_NAMES]);
    for (const p of probes) expect(p.reason.length).toBeGreaterThan(10);
    expect(probes.find((p) => p.name === 'wasm')!.usable).toBe(true);
    expect(probes.find((p) => p.name === 'cpu')!.usable).toBe(true);
    const webgpu = probes.find((p) => p.name === 'webgpu')!;
    expect(webgpu.usable).toBe(webgpu.adapter !== undefined);
  });
});
