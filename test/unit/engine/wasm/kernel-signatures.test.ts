import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelModule } from '../../../../src-main/engine/wasm/kernel-module';
import { KERNEL_FNS, KERNEL_SIGNATURES, argRow, checkKernelExports, type KernelName } from '../../../../src-main/engine/wasm/kernel-signatures';

const C_DIR = join(__dirname, '../../../../src-main/engine/wasm/kernels');

/**
 * `EXPORT <ret> name(params) {` declarations of the C files (they may span lines): file by file in name order, as
 * scripts/build-kernels.mjs links them, each file's in order.
 */
function cExports(): { name: string; returns: string; params: { name: string; pointer: boolean }[] }[] {
  const files = readdirSync(C_DIR).filter((f) => f.endsWith('.c')).sort();
  const src = files.map((f) => readFileSync(join(C_DIR, f), 'utf8')).join('\n');
  return [...src.matchAll(/^EXPORT\s+(\w+)\s+(\w+)\(([^)]*)\)/gm)].map((m) => ({
    returns: m[1]!,
    name: m[2]!,
    params: m[3]!.trim() === 'void' ? [] : m[3]!.split(',').map((p) => ({ name: p.trim().split(/[\s*]+/).pop()!, pointer: p.includes('*') })),
  }));
}

function instance(shared: boolean): WebAssembly.Exports {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
  return new WebAssembly.Instance(kernelModule(shared), { env: { memory } }).exports;
}

describe('the kernel signature table', () => {
  it('matches kernels/*.c: every EXPORT, in order, with its parameters named and typed as in C', () => {
    const c = cExports();
    expect(c.length).toBeGreaterThan(15);
    expect(Object.keys(KERNEL_SIGNATURES)).toEqual(c.map((f) => f.name));
    for (const f of c) {
      const sig = KERNEL_SIGNATURES[f.name as KernelName];
      expect(sig.returns, f.name).toBe(f.returns === 'int' ? 'i32' : 'void');
      expect(Object.keys(sig.params), f.name).toEqual(f.params.map((p) => p.name));
      expect(Object.values(sig.params).map((t) => t === 'ptr'), f.name).toEqual(f.params.map((p) => p.pointer));
    }
  });

  it('matches the compiled modules (plain and shared heap), and names what does not', () => {
    for (const shared of [false, true]) expect(() => checkKernelExports(instance(shared))).not.toThrow();
    const real = instance(false);
    const { relu_grad: _dropped, ...missing } = real;
    expect(() => checkKernelExports(missing)).toThrow(/relu_grad is in the signature table but not exported by the module/);
    expect(() => checkKernelExports({ ...real, bn_extra: () => 0 })).toThrow(/bn_extra is exported by the module but missing from the signature table/);
    expect(() => checkKernelExports({ ...real, maxpool2: (a: number, b: number) => a + b })).toThrow(/maxpool2 takes 2 parameters in the module, 6 in the signature table/);
  });

  it('builds rows in C order from names: flags as 0/1, an f32bits float as its bits; a wrong name is an error', () => {
    expect(argRow('bn_affine', { p1: 7, p0: 6, relu: true, c: 4, coef: 3, y: 2, x: 1 })).toEqual([1, 2, 3, 4, 1, 6, 7]);
    expect(argRow('wino_conv', { x: 1, u: 2, bias: 0, y: 3, h: 8, w: 9, ci: 4, oh: 8, ow: 9, co: 5, pt: 1, pl: 1, relu: false, pool: true, t0: 0, t1: 2, scratch: 64 })).toEqual([
      1, 2, 0, 3, 8, 9, 4, 8, 9, 5, 1, 1, 0, 1, 0, 2, 64,
    ]);
    const row = argRow('dropout_apply', { x: 1, y: 2, s: -5, threshold: 3, kept_bits: 2, i0: 0, i1: 9 });
    expect(row).toEqual([1, 2, -5, 3, 0x40000000, 0, 9]);
    expect(() => argRow('relu_grad', { x: 1, dy: 2, dx: 3, i0: 0 } as never)).toThrow('relu_grad: argument i1 missing');
    expect(() => argRow('relu_grad', { x: 1, dy: 2, dx: 3, i0: 0, i1: 1, n: 4 } as never)).toThrow('relu_grad has no parameter n');
  });

  it('gives the worker threads exactly the kernels marked threaded', () => {
    expect(KERNEL_FNS).toEqual((Object.keys(KERNEL_SIGNATURES) as KernelName[]).filter((f) => KERNEL_SIGNATURES[f].threaded));
    expect(KERNEL_FNS).toContain('wino_conv');
    expect(KERNEL_FNS).not.toContain('adam_update');
  });
});
