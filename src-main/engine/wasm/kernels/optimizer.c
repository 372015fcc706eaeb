// Optimizer steps (run on the calling thread only: variables are small, a hand-off costs more).

#include "simd.h"

// One Adam step for n parameters, op for op as tfjs's AdamOptimizer computes it in float32 (each product, sum,
// quotient and root rounded once, no fused multiply-add), so the result is bit for bit tfjs's:
//   m' = m b1 + g (1 - b1);  v' = v b2 + g^2 (1 - b2);  w' = (m'/a1) / (sqrt(v'/a2) + eps) * (-lr) + w
// p = [b1, 1 - b1, b2, 1 - b2, a1 = 1 - b1^t, a2 = 1 - b2^t, eps, -lr], float32 each.
EXPORT void adam_update(const float *w, const float *m, const float *vv, const float *g, float *w2, float *m2, float *v2,
                        const float *p, int n) {
#pragma clang fp contract(off)
  v b1 = k(p[0]), c1 = k(p[1]), b2 = k(p[2]), c2 = k(p[3]), a1 = k(p[4]), a2 = k(p[5]), eps = k(p[6]), nlr = k(p[7]);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v gi = ld(g + i);
    v mi = add(mul(ld(m + i), b1), mul(gi, c1));
    v vi = add(mul(ld(vv + i), b2), mul(mul(gi, gi), c2));
    st(m2 + i, mi);
    st(v2 + i, vi);
    st(w2 + i, add(mul(wasm_f32x4_div(wasm_f32x4_div(mi, a1), add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, a2)), eps)), nlr), ld(w + i)));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * p[0] + gi * p[1];
    float vi = vv[i] * p[2] + (gi * gi) * p[3];
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = (mi / p[4]) / (__builtin_sqrtf(vi / p[5]) + p[6]) * p[7] + w[i];
  }
}
