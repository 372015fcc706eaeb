// Training-mode batch norm over the channel axis (c % 4 == 0), pixels = n*h*w rows of c, and plain channel sums.
// Sums run in float32 over chunks of BN_CHUNK pixels, then fold (simd.h) into float64, so a 150k-pixel batch
// keeps float32-level error per chunk instead of losing digits to one long running sum.

#include "simd.h"

#define BN_CHUNK 256

// acc[0..c) += sum (x - k), acc[c..2c) += sum (x - k)^2 over pixels [p0, p1); k = pixel 0 (a shift against
// cancellation when |mean| >> std). part: 2c floats of scratch, zeroed.
EXPORT void bn_moments(const float *x, int c, int p0, int p1, float *part, double *acc) {
  for (int q = p0; q < p1; q += BN_CHUNK) {
    int end = q + BN_CHUNK < p1 ? q + BN_CHUNK : p1;
    for (int p = q; p < end; p++) {
      const float *row = x + (long)p * c;
      for (int ch = 0; ch < c; ch += 4) {
        v d = sub(ld(row + ch), ld(x + ch));
        st(part + ch, add(ld(part + ch), d));
        st(part + c + ch, add(ld(part + c + ch), mul(d, d)));
      }
    }
    fold(part, acc, 2 * c);
  }
}

// acc[0..c) += sum x over pixels [p0, p1): per-channel sums over the leading axes (a conv bias's gradient).
EXPORT void chan_sums(const float *x, int c, int p0, int p1, float *part, double *acc) {
  for (int q = p0; q < p1; q += BN_CHUNK) {
    int end = q + BN_CHUNK < p1 ? q + BN_CHUNK : p1;
    for (int p = q; p < end; p++) {
      const float *row = x + (long)p * c;
      for (int ch = 0; ch < c; ch += 4) st(part + ch, add(ld(part + ch), ld(row + ch)));
    }
    fold(part, acc, c);
  }
}

// (x - mean) * scale + beta: the one expression both the forward and the ReLU mask of the backward evaluate, so
// the mask is exactly the forward's sign.
static inline v bn_out(const float *x, const float *coef, int c, int ch) {
  return add(mul(sub(ld(x + ch), ld(coef + ch)), ld(coef + c + ch)), ld(coef + 2 * c + ch));
}

// y = (x - mean) * scale + beta with coef = [mean | scale | beta], pixels [p0, p1); relu: max(y, 0) too (a ReLU layer
// right after the batch norm, fused). Centred first: folding it into x * scale + shift cancels catastrophically when
// |mean| >> std.
EXPORT void bn_affine(const float *x, float *y, const float *coef, int c, int relu, int p0, int p1) {
  v zero = k(0);
  for (int p = p0; p < p1; p++) {
    const float *row = x + (long)p * c;
    float *out = y + (long)p * c;
    if (relu)
      for (int ch = 0; ch < c; ch += 4) st(out + ch, wasm_f32x4_max(bn_out(row, coef, c, ch), zero));
    else
      for (int ch = 0; ch < c; ch += 4) st(out + ch, bn_out(row, coef, c, ch));
  }
}

// dy, or with act = [mean | scale | beta] of a fused ReLU, dy where the forward output was > 0.
static inline v masked(const float *g, const float *row, const float *act, int c, int ch) {
  v gv = ld(g + ch);
  return act ? wasm_v128_and(gv, wasm_f32x4_gt(bn_out(row, act, c, ch), k(0))) : gv;
}

// acc[0..c) += sum g, acc[c..2c) += sum g * (x - mean), pixels [p0, p1); g = masked(dy).
EXPORT void bn_grad_sums(const float *x, const float *dy, const float *mean, const float *act, int c, int p0, int p1,
                         float *part, double *acc) {
  for (int q = p0; q < p1; q += BN_CHUNK) {
    int end = q + BN_CHUNK < p1 ? q + BN_CHUNK : p1;
    for (int p = q; p < end; p++) {
      const float *row = x + (long)p * c, *g = dy + (long)p * c;
      for (int ch = 0; ch < c; ch += 4) {
        v gv = masked(g, row, act, c, ch);
        st(part + ch, add(ld(part + ch), gv));
        st(part + c + ch, add(ld(part + c + ch), mul(gv, sub(ld(row + ch), ld(mean + ch)))));
      }
    }
    fold(part, acc, 2 * c);
  }
}

// dx = a g + b (x - mean) + d with coef = [a | b | mean | d], g = masked(dy), pixels [p0, p1)
EXPORT void bn_grad_apply(const float *x, const float *dy, float *dx, const float *coef, const float *act, int c, int p0,
                          int p1) {
  for (int p = p0; p < p1; p++) {
    const float *row = x + (long)p * c, *g = dy + (long)p * c;
    float *out = dx + (long)p * c;
    for (int ch = 0; ch < c; ch += 4) {
      v centred = sub(ld(row + ch), ld(coef + 2 * c + ch));
      st(out + ch, add(add(mul(ld(coef + ch), masked(g, row, act, c, ch)), mul(ld(coef + c + ch), centred)), ld(coef + 3 * c + ch)));
    }
  }
}
