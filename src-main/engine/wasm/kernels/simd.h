// The helpers every kernel file shares: the export marker, the SIMD vector type and its one-line arithmetic, and
// fold (float32 partial sums into float64). Header-only and `static inline`: each file compiles its own copy, which
// the compiler inlines as it did when all the kernels were one file (winograd.c, before the split by family).
//
// The module these files link into owns no memory and no data: it imports the backend's heap and the caller hands
// it every buffer, including per-thread scratch, so several instances (one per thread) can run on one shared heap.

#ifndef FER_KERNELS_SIMD_H
#define FER_KERNELS_SIMD_H

#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

typedef v128_t v;
typedef v128_t v32; // the same register, holding int32 lanes

static inline v add(v a, v b) { return wasm_f32x4_add(a, b); }
static inline v sub(v a, v b) { return wasm_f32x4_sub(a, b); }
static inline v mul(v a, v b) { return wasm_f32x4_mul(a, b); }
static inline v k(float c) { return wasm_f32x4_splat(c); }
// acc + a * b: one fused multiply-add where the build has relaxed SIMD (x86 FMA3, ARM FMLA), else mul then add.
// The GEMM loops are mul/add bound, so this is their speed; relaxed_madd may round once or twice by hardware.
#ifdef __wasm_relaxed_simd__
static inline v madd(v a, v b, v acc) { return __builtin_wasm_relaxed_madd_f32x4(a, b, acc); }
#else
static inline v madd(v a, v b, v acc) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif
static inline v ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, v x) { wasm_v128_store(p, x); }

// acc[i] += part[i] and part[i] = 0 for n entries: long sums run in float32 over chunks, then fold into float64, so
// a 150k-pixel batch keeps float32-level error per chunk instead of losing digits to one long running sum (the batch
// norm's moments and gradient sums, channel sums, and the Winograd filter gradient's bias sums).
static inline void fold(float *part, double *acc, int n) {
  for (int i = 0; i < n; i++) {
    acc[i] += part[i];
    part[i] = 0.f;
  }
}

#endif
