// 2x2 stride-2 max pooling, forward and gradient, NHWC with c % 4 == 0.

#include "simd.h"

// 2x2 stride-2 'valid' max pool for the output rows [r0, r1) of the n*oh grid (h = 2 oh, w = 2 ow, c % 4 == 0).
EXPORT void maxpool2(const float *x, float *y, int ow, int c, int r0, int r1) {
  long row = (long)2 * ow * c;
  for (int r = r0; r < r1; r++) {
    const float *xa = x + r * 2 * row, *xb = xa + row;
    float *out = y + (long)r * ow * c;
    for (int ox = 0; ox < ow; ox++)
      for (int ch = 0; ch < c; ch += 4) {
        int i = 2 * ox * c + ch;
        st(out + ox * c + ch, wasm_f32x4_max(wasm_f32x4_max(ld(xa + i), ld(xa + i + c)), wasm_f32x4_max(ld(xb + i), ld(xb + i + c))));
      }
  }
}

// 2x2 stride-2 max-pool gradient for the output rows [r0, r1) of the n*oh grid (h = 2 oh, w = 2 ow, c % 4 == 0).
// Each dy goes to the first maximum of its window in row-major order (the cpu backend's rule, which matters after
// ReLU where whole windows are 0); every dx element is written once, so dx needs no zeroing.
EXPORT void maxpool2_grad(const float *x, const float *dy, float *dx, int ow, int c, int r0, int r1) {
  long row = (long)2 * ow * c;
  v ones = wasm_i32x4_splat(-1);
  for (int r = r0; r < r1; r++) {
    const float *xa = x + r * 2 * row, *xb = xa + row, *g = dy + (long)r * ow * c;
    float *da = dx + r * 2 * row, *db = da + row;
    for (int ox = 0; ox < ow; ox++) {
      for (int ch = 0; ch < c; ch += 4) {
        int i = 2 * ox * c + ch, j = i + c;
        v p0 = ld(xa + i), p1 = ld(xa + j), p2 = ld(xb + i), p3 = ld(xb + j);
        v m = wasm_f32x4_max(wasm_f32x4_max(p0, p1), wasm_f32x4_max(p2, p3));
        v gv = ld(g + ox * c + ch);
        v e0 = wasm_f32x4_eq(p0, m);
        v e1 = wasm_v128_andnot(wasm_f32x4_eq(p1, m), e0);
        v taken = wasm_v128_or(e0, e1);
        v e2 = wasm_v128_andnot(wasm_f32x4_eq(p2, m), taken);
        v e3 = wasm_v128_andnot(ones, wasm_v128_or(taken, e2));
        st(da + i, wasm_v128_and(gv, e0));
        st(da + j, wasm_v128_and(gv, e1));
        st(db + i, wasm_v128_and(gv, e2));
        st(db + j, wasm_v128_and(gv, e3));
      }
    }
  }
}
