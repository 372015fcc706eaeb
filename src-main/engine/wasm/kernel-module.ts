import { setFlagsFromString } from 'node:v8';
import { KERNELS_PLAIN_RELAXED_WASM, KERNELS_PLAIN_WASM, KERNELS_SHARED_RELAXED_WASM, KERNELS_SHARED_WASM } from './kernels/binaries';

export type KernelSimd = 'relaxed-simd' | 'simd128';

let relaxed: boolean | null = null;

/**
 * Whether this engine runs relaxed SIMD (the fused multiply-add the GEMM loops are bound by). V8 ships it from 11.4
 * (Node 22, current Electron); Node 20's V8 11.3 has the final opcodes behind a flag, which we turn on here, before
 * any relaxed module is compiled. FER_RELAXED_SIMD=0 keeps plain SIMD128 (for A/B timing).
 */
export function kernelSimd(): KernelSimd {
  if (relaxed === null) {
    const bytes = Buffer.from(KERNELS_PLAIN_RELAXED_WASM, 'base64');
    relaxed = false;
    if (process.env.FER_RELAXED_SIMD !== '0') {
      if (!WebAssembly.validate(bytes)) {
        try {
          setFlagsFromString('--experimental-wasm-relaxed-simd');
        } catch {
          // an engine without the flag: plain SIMD128 below
        }
      }
      relaxed = WebAssembly.validate(bytes);
    }
  }
  return relaxed ? 'relaxed-simd' : 'simd128';
}

/** The kernels compiled for a heap of this kind (a shared heap needs the shared-memory import). */
export function kernelModule(shared: boolean): WebAssembly.Module {
  const fast = kernelSimd() === 'relaxed-simd';
  const b64 = shared ? (fast ? KERNELS_SHARED_RELAXED_WASM : KERNELS_SHARED_WASM) : fast ? KERNELS_PLAIN_RELAXED_WASM : KERNELS_PLAIN_WASM;
  return new WebAssembly.Module(Buffer.from(b64, 'base64'));
}
