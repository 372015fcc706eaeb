// Optimizer steps (run on the calling thread only: variables are small, a hand-off costs more).

#include "simd.h"

// One Adam step for n parameters, op for op as tfjs's AdamOptimizer computes it in float32 (each product, sum,
// quotient and root rounded once, no fused multiply-add), so the result is bit for bit tfjs's:
//   m' = m b1 + g (1 - b1);  v' = v b2 + g^2 (1 - b2);  w' = (m'/a1) / (sqrt(v'/a2) + eps) * (-lr) + w
// p = [b1, 1 - b1, b2, 1 - b2, a1 = 1 - b1^t, a2 = 1 - b2^t, eps, -lr], float32 each.
// One difference: m' and v' below FLT_MIN are stored as 0. A parameter whose gradient stays 0 (a dead ReLU unit's
// weights) has its m decay by b1 each step into the subnormal range after ~800 steps, and x86 computes on subnormals
// many times slower (wasm cannot set flush-to-zero): a frozen-feature head's epochs ran 3x slower from the third on.
// Its update at that point is below 1e-30 of the rate, far under a weight's last bit, so the weights do not change.
static inline v flush(v x) { return wasm_v128_and(x, wasm_f32x4_ge(wasm_f32x4_abs(x), k(__FLT_MIN__))); }
static inline float flush1(float x) { return __builtin_fabsf(x) < __FLT_MIN__ ? 0.f : x; }

EXPORT void adam_update(const float *w, const float *m, const float *vv, const float *g, float *w2, float *m2, float *v2,
                        const float *p, int n) {
#pragma clang fp contract(off)
  v b1 = k(p[0]), c1 = k(p[1]), b2 = k(p[2]), c2 = k(p[3]), a1 = k(p[4]), a2 = k(p[5]), eps = k(p[6]), nlr = k(p[7]);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v gi = ld(g + i);
    v mi = flush(add(mul(ld(m + i), b1), mul(gi, c1)));
    v vi = flush(add(mul(ld(vv + i), b2), mul(mul(gi, gi), c2)));
    st(m2 + i, mi);
    st(v2 + i, vi);
    st(w2 + i, add(mul(wasm_f32x4_div(wasm_f32x4_div(mi, a1), add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, a2)), eps)), nlr), ld(w + i)));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = flush1(m[i] * p[0] + gi * p[1]);
    float vi = flush1(vv[i] * p[2] + (gi * gi) * p[3]);
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = (mi / p[4]) / (__builtin_sqrtf(vi / p[5]) + p[6]) * p[7] + w[i];
  }
}
