// Activation gradients.

#include "simd.h"

// ReLU's gradient in one pass: dx = dy where x > 0, else 0, for elements [i0, i1) (tfjs: mul(dy, step(x)), two
// full passes and a temporary).
EXPORT void relu_grad(const float *x, const float *dy, float *dx, int i0, int i1) {
  int i = i0;
  v zero = k(0);
  for (; i + 4 <= i1; i += 4) st(dx + i, wasm_v128_and(ld(dy + i), wasm_f32x4_gt(ld(x + i), zero)));
  for (; i < i1; i++) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}
