// 3x3 stride-1 convolutions where one side has a single channel (a network's first layer), NHWC: there
// Winograd's GEMMs would be one row thin, so these run direct, vectorised over the other side's channels.

#include "simd.h"

// y[n, oy, ox, co] = bias + sum over taps of x[n, oy + ky - pt, ox + kx - pl] w[ky][kx][co] (ReLU if asked): the
// forward of a 3x3 stride-1 conv with ONE input channel (a network's first layer), for the output rows [r0, r1) of
// the n*oh grid; co % 4 == 0. rows: scratch of 3 * (ow + 2) floats, the zero-padded input rows of one output row.
// Four pixels by eight channels a step: eight independent FMA chains hide the FMA latency, and each input value is
// loaded once per tap row for all four pixels. (XNNPACK's conv takes 2.5x as long on this shape.)
EXPORT void conv_c1(const float *x, const float *w, const float *bias, float *y, int h, int wd, int oh, int ow,
                    int co, int pt, int pl, int relu, int r0, int r1, float *rows) {
  int rw = ow + 2;
  v zero = k(0);
  for (int r = r0; r < r1; r++) {
    int n = r / oh, oy = r % oh;
    for (int ky = 0; ky < 3; ky++) {
      int iy = oy + ky - pt;
      float *dst = rows + ky * rw;
      for (int j = 0; j < rw; j++) {
        int ix = j - pl;
        dst[j] = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? x[((long)n * h + iy) * wd + ix] : 0.f;
      }
    }
    float *out = y + (long)r * ow * co;
    for (int o = 0; o < co; o += 8) {
      int two = o + 8 <= co;
      v b0 = bias ? ld(bias + o) : zero, b1 = two && bias ? ld(bias + o + 4) : zero;
      int ox = 0;
      for (; ox + 4 <= ow; ox += 4) {
        v a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        for (int ky = 0; ky < 3; ky++) {
          const float *rr = rows + ky * rw + ox;
          for (int kx = 0; kx < 3; kx++) {
            const float *wk = w + (ky * 3 + kx) * co + o;
            v w0 = ld(wk), w1 = two ? ld(wk + 4) : zero;
            v s0 = wasm_v128_load32_splat(rr + kx), s1 = wasm_v128_load32_splat(rr + kx + 1);
            v s2 = wasm_v128_load32_splat(rr + kx + 2), s3 = wasm_v128_load32_splat(rr + kx + 3);
            a00 = madd(s0, w0, a00); a01 = madd(s0, w1, a01);
            a10 = madd(s1, w0, a10); a11 = madd(s1, w1, a11);
            a20 = madd(s2, w0, a20); a21 = madd(s2, w1, a21);
            a30 = madd(s3, w0, a30); a31 = madd(s3, w1, a31);
          }
        }
        if (relu) {
          a00 = wasm_f32x4_max(a00, zero); a01 = wasm_f32x4_max(a01, zero); a10 = wasm_f32x4_max(a10, zero);
          a11 = wasm_f32x4_max(a11, zero); a20 = wasm_f32x4_max(a20, zero); a21 = wasm_f32x4_max(a21, zero);
          a30 = wasm_f32x4_max(a30, zero); a31 = wasm_f32x4_max(a31, zero);
        }
        float *d = out + ox * co + o;
        st(d, a00); st(d + co, a10); st(d + 2 * co, a20); st(d + 3 * co, a30);
        if (two) { st(d + 4, a01); st(d + co + 4, a11); st(d + 2 * co + 4, a21); st(d + 3 * co + 4, a31); }
      }
      for (; ox < ow; ox++) {
        v a0 = b0, a1 = b1;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            const float *wk = w + (ky * 3 + kx) * co + o;
            v s = wasm_v128_load32_splat(rows + ky * rw + ox + kx);
            a0 = madd(s, ld(wk), a0);
            if (two) a1 = madd(s, ld(wk + 4), a1);
          }
        if (relu) { a0 = wasm_f32x4_max(a0, zero); a1 = wasm_f32x4_max(a1, zero); }
        st(out + ox * co + o, a0);
        if (two) st(out + ox * co + o + 4, a1);
      }
    }
  }
}

// Filter gradient of a 3x3 stride-1 conv with ONE input channel (a network's first layer), where Winograd's GEMMs
// would be one row thin: acc [9][co] += over output rows [r0, r1) of the n*oh grid. row holds ow + 2 floats.
EXPORT void wgrad_c1(const float *x, const float *dy, float *acc, float *row, int h, int w, int oh, int ow, int co,
                     int pt, int pl, int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    int n = r / oh, oy = r % oh;
    const float *g = dy + (long)r * ow * co;
    for (int ky = 0; ky < 3; ky++) {
      int iy = oy + ky - pt;
      if (iy < 0 || iy >= h) continue;
      const float *xr = x + ((long)n * h + iy) * w;
      for (int j = 0; j < ow + 2; j++) {
        int ix = j - pl;
        row[j] = (ix >= 0 && ix < w) ? xr[ix] : 0.f;
      }
      float *a = acc + ky * 3 * co;
      int o = 0;
      for (; o + 8 <= co; o += 8) {
        v a00 = ld(a + o), a01 = ld(a + o + 4), a10 = ld(a + co + o), a11 = ld(a + co + o + 4);
        v a20 = ld(a + 2 * co + o), a21 = ld(a + 2 * co + o + 4);
        for (int ox = 0; ox < ow; ox++) {
          v g0 = ld(g + ox * co + o), g1 = ld(g + ox * co + o + 4);
          v s0 = wasm_v128_load32_splat(row + ox), s1 = wasm_v128_load32_splat(row + ox + 1);
          v s2 = wasm_v128_load32_splat(row + ox + 2);
          a00 = madd(s0, g0, a00); a01 = madd(s0, g1, a01);
          a10 = madd(s1, g0, a10); a11 = madd(s1, g1, a11);
          a20 = madd(s2, g0, a20); a21 = madd(s2, g1, a21);
        }
        st(a + o, a00); st(a + o + 4, a01); st(a + co + o, a10); st(a + co + o + 4, a11);
        st(a + 2 * co + o, a20); st(a + 2 * co + o + 4, a21);
      }
      for (; o < co; o += 4) {
        v a0 = ld(a + o), a1 = ld(a + co + o), a2 = ld(a + 2 * co + o);
        for (int ox = 0; ox < ow; ox++) {
          v g0 = ld(g + ox * co + o);
          a0 = madd(wasm_v128_load32_splat(row + ox), g0, a0);
          a1 = madd(wasm_v128_load32_splat(row + ox + 1), g0, a1);
          a2 = madd(wasm_v128_load32_splat(row + ox + 2), g0, a2);
        }
        st(a + o, a0); st(a + co + o, a1); st(a + 2 * co + o, a2);
      }
    }
  }
}

// dw [9][co] = the sum of `parts` accumulators `stride` floats apart.
EXPORT void sum_parts(const float *acc, int parts, int stride, float *out, int n) {
  for (int i = 0; i < n; i += 4) {
    v s = ld(acc + i);
    for (int q = 1; q < parts; q++) s = add(s, ld(acc + i + q * stride));
    st(out + i, s);
  }
}

// A 3x3 stride-1 conv with ONE output channel: the input gradient of a network's first layer.
// y[r, ox] = sum over taps and ci of x[n, oy + ky - pt, ox + kx - pl, ci] * w[ky][kx][ci], for the rows [r0, r1) of the
// n*oh grid; ci % 4 == 0. (tfjs's fused conv gradient computes this dx even though nothing uses the image's gradient.)
EXPORT void conv_co1(const float *x, const float *w, float *y, int h, int wd, int ci, int oh, int ow, int pt, int pl,
                     int r0, int r1) {
  for (int r = r0; r < r1; r++) {
    int n = r / oh, oy = r % oh;
    for (int ox = 0; ox < ow; ox++) {
      v acc0 = k(0), acc1 = k(0);
      for (int ky = 0; ky < 3; ky++) {
        int iy = oy + ky - pt;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < 3; kx++) {
          int ix = ox + kx - pl;
          if (ix < 0 || ix >= wd) continue;
          const float *xp = x + (((long)n * h + iy) * wd + ix) * ci, *wp = w + (ky * 3 + kx) * ci;
          int c = 0;
          for (; c + 8 <= ci; c += 8) {
            acc0 = madd(ld(xp + c), ld(wp + c), acc0);
            acc1 = madd(ld(xp + c + 4), ld(wp + c + 4), acc1);
          }
          if (c < ci) acc0 = madd(ld(xp + c), ld(wp + c), acc0);
        }
      }
      v s = add(acc0, acc1);
      y[(long)r * ow + ox] = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) +
                             wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
    }
  }
}
