// Training-mode dropout.

#include "simd.h"

// y = x * (hash(i) >= threshold ? kept : 0) for elements [i0, i1): training-mode dropout with a counter-based mask,
// hash(i) = murmur3's 32-bit finaliser of s + i * 0x9e3779b9, compared as signed after flipping the sign bit (the JS
// twin, engine/dropout-mask.ts dropoutMask, computes the same mask bit for bit). The gradient is the same call
// on dy: the mask is a function of (s, i) alone.
static inline v32 dropout_hash(v32 h) {
  h = wasm_i32x4_mul(wasm_v128_xor(h, wasm_u32x4_shr(h, 16)), wasm_i32x4_splat((int)0x85ebca6b));
  h = wasm_i32x4_mul(wasm_v128_xor(h, wasm_u32x4_shr(h, 13)), wasm_i32x4_splat((int)0xc2b2ae35));
  return wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
}

// kept_bits: the float's bits (the threads' job rows carry int32 arguments only).
EXPORT void dropout_apply(const float *x, float *y, int s, int threshold, int kept_bits, int i0, int i1) {
  const unsigned golden = 0x9e3779b9u;
  float kept = __builtin_bit_cast(float, kept_bits);
  v32 sign = wasm_i32x4_splat((int)0x80000000), thr = wasm_i32x4_splat(threshold), kv = k(kept);
  v32 stride = wasm_i32x4_splat((int)(golden * 4u));
  v32 base = wasm_i32x4_add(wasm_i32x4_splat((int)((unsigned)s + golden * (unsigned)i0)),
                            wasm_i32x4_mul(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat((int)golden)));
  int i = i0;
  for (; i + 4 <= i1; i += 4, base = wasm_i32x4_add(base, stride)) {
    v32 keep = wasm_i32x4_ge(wasm_v128_xor(dropout_hash(base), sign), thr);
    st(y + i, mul(ld(x + i), wasm_v128_and(kv, keep)));
  }
  for (; i < i1; i++) {
    unsigned h = (unsigned)s + (unsigned)i * golden;
    h = (h ^ (h >> 16)) * 0x85ebca6bu;
    h = (h ^ (h >> 13)) * 0xc2b2ae35u;
    h ^= h >> 16;
    y[i] = x[i] * ((int)(h ^ 0x80000000u) >= threshold ? kept : 0.f);
  }
}

