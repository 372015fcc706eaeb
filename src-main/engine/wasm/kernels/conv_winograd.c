// Winograd F(6x6, 3x3) convolution kernels for the wasm backend: forward (also the input gradient, run on the
// rotated filter) and filter gradient, NHWC, stride 1, channels a multiple of 4.
//
// Why: XNNPACK's direct conv on 128-bit wasm SIMD (no FMA) is the ceiling of the wasm backend; Winograd does the
// same 3x3 correlation with 64 instead of 324 multiplies per 6x6 output tile and channel pair (F(4x4, 3x3), used
// before, needs 36 per 4x4: 27% more GEMM work per output, with transforms that cost about the same per output).
//
// Matrices are the Toom-Cook construction of Lavin & Gray for the points 0, 1, -1, 2, -2, 1/2, -1/2, inf: the rows of
// B^T are the Lagrange numerators prod_{l != j} (x - p_l) (and prod_l (x - p_l) for inf), G's rows are
// [1, p, p^2] over those numerators' values at p, and A^T[i][j] = p_j^i. Points pair up as +-p, so every transform
// below evaluates an even and an odd part once and returns their sum and difference.

#include "simd.h"

#define MT 6  // output tile side
#define AL 8  // transformed tile side, MT + 3 - 1
#define NP 64 // positions of a transformed tile, AL * AL
#define TB 16 // tiles per block: V, M and U blocks stay in L2 (16, 24, 32 measured within 2%; 48 and 12 slower)
// Floats of padding after each of the NP per-position blocks: with TB * 32 channels a block is exactly 4 KiB, and
// the NP stores of one tile's transform would all land in the same L1 set (4K aliasing).
#define PAD 16

// B^T d, 8 values -> 8
static inline void bt(const v *d, v *o) {
  o[0] = madd(k(5.25f), sub(d[2], d[4]), sub(d[6], d[0]));
  o[7] = madd(k(5.25f), sub(d[3], d[5]), sub(d[7], d[1]));
  v e = madd(k(-4.25f), d[4], add(d[2], d[6]));
  v f = madd(k(-4.25f), d[3], add(d[1], d[5]));
  o[1] = add(e, f);
  o[2] = sub(e, f);
  e = madd(k(0.25f), d[2], madd(k(-1.25f), d[4], d[6]));
  f = madd(k(0.5f), d[1], madd(k(-2.5f), d[3], mul(k(2.f), d[5])));
  o[3] = add(e, f);
  o[4] = sub(e, f);
  e = madd(k(4.f), d[2], madd(k(-5.f), d[4], d[6]));
  f = madd(k(2.f), d[1], madd(k(-2.5f), d[3], mul(k(0.5f), d[5])));
  o[5] = add(e, f);
  o[6] = sub(e, f);
}

// A^T m, 8 values -> 6
static inline void at(const v *m, v *o) {
  v s1 = add(m[1], m[2]), d1 = sub(m[1], m[2]);
  v s2 = add(m[3], m[4]), d2 = sub(m[3], m[4]);
  v s3 = add(m[5], m[6]), d3 = sub(m[5], m[6]);
  o[0] = add(add(m[0], s1), add(s2, s3));
  o[1] = madd(k(2.f), d2, madd(k(0.5f), d3, d1));
  o[2] = madd(k(4.f), s2, madd(k(0.25f), s3, s1));
  o[3] = madd(k(8.f), d2, madd(k(0.125f), d3, d1));
  o[4] = madd(k(16.f), s2, madd(k(0.0625f), s3, s1));
  o[5] = add(madd(k(32.f), d2, madd(k(0.03125f), d3, d1)), m[7]);
}

// A y, 6 values -> 8 (transpose of the output transform, for the filter gradient)
static inline void a8(const v *y, v *o) {
  o[0] = y[0];
  o[7] = y[5];
  v e = add(y[0], add(y[2], y[4])), f = add(y[1], add(y[3], y[5]));
  o[1] = add(e, f);
  o[2] = sub(e, f);
  e = madd(k(4.f), y[2], madd(k(16.f), y[4], y[0]));
  f = madd(k(2.f), y[1], madd(k(8.f), y[3], mul(k(32.f), y[5])));
  o[3] = add(e, f);
  o[4] = sub(e, f);
  e = madd(k(0.25f), y[2], madd(k(0.0625f), y[4], y[0]));
  f = madd(k(0.5f), y[1], madd(k(0.125f), y[3], mul(k(0.03125f), y[5])));
  o[5] = add(e, f);
  o[6] = sub(e, f);
}

// G g, 3 values -> 8
static inline void gg(const v *g, v *o) {
  v s = add(g[0], g[2]);
  o[0] = mul(k(-1.f), g[0]);
  o[1] = mul(k(-2.f / 9), add(s, g[1]));
  o[2] = mul(k(-2.f / 9), sub(s, g[1]));
  v p = madd(k(1.f / 90), g[0], mul(k(2.f / 45), g[2])), q = mul(k(1.f / 45), g[1]);
  o[3] = add(p, q);
  o[4] = sub(p, q);
  p = madd(k(32.f / 45), g[0], mul(k(8.f / 45), g[2]));
  q = mul(k(16.f / 45), g[1]);
  o[5] = add(p, q);
  o[6] = sub(p, q);
  o[7] = g[2];
}

// G^T m, 8 values -> 3
static inline void gt(const v *m, v *o) {
  v s1 = add(m[1], m[2]), d1 = sub(m[1], m[2]);
  v s2 = add(m[3], m[4]), d2 = sub(m[3], m[4]);
  v s3 = add(m[5], m[6]), d3 = sub(m[5], m[6]);
  o[0] = madd(k(-2.f / 9), s1, madd(k(1.f / 90), s2, madd(k(32.f / 45), s3, mul(k(-1.f), m[0]))));
  o[1] = madd(k(-2.f / 9), d1, madd(k(1.f / 45), d2, mul(k(16.f / 45), d3)));
  o[2] = madd(k(-2.f / 9), s1, madd(k(2.f / 45), s2, madd(k(8.f / 45), s3, m[7])));
}

// The tile size the caller must lay out its grid with, and the positions of a transformed tile.
EXPORT int wino_tile(void) { return MT; }
EXPORT int wino_positions(void) { return NP; }

// w [3][3][ci][co] (HWIO) -> u [NP][ci][co]
EXPORT void wino_filter(const float *w, float *u, int ci, int co) {
  for (int i = 0; i < ci; i++) {
    for (int o = 0; o < co; o += 4) {
      v g[3][3], t[AL][3], r[AL];
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) g[y][x] = ld(w + ((y * 3 + x) * ci + i) * co + o);
      for (int x = 0; x < 3; x++) {
        v col[3] = {g[0][x], g[1][x], g[2][x]};
        gg(col, r);
        for (int y = 0; y < AL; y++) t[y][x] = r[y];
      }
      for (int y = 0; y < AL; y++) {
        gg(t[y], r);
        for (int x = 0; x < AL; x++) st(u + ((y * AL + x) * ci + i) * co + o, r[x]);
      }
    }
  }
}

// The second pass of a separable tile transform, in place: each of the AL rows of the tile in dst (slots `stride`
// floats apart) has its first `nin` entries transformed by f into AL. (Inlined with f a constant.)
static inline void transform_rows(float *dst, int stride, int nin, void (*f)(const v *, v *)) {
  v d[AL], r[AL];
  for (int y = 0; y < AL; y++) {
    for (int x = 0; x < nin; x++) d[x] = ld(dst + (y * AL + x) * stride);
    f(d, r);
    for (int x = 0; x < AL; x++) st(dst + (y * AL + x) * stride, r[x]);
  }
}

// One input tile (AL x AL window at r0, c0 of image n) for 4 channels starting at c -> NP vectors, `vs` floats apart.
static inline void input_tile(const float *x, int h, int w, int ci, int r0, int c0, int c, float *dst, int vs) {
  // Two passes through dst itself (L1), a column or row at a time: holding all NP would spill the 16 SIMD registers.
  v d[AL], r[AL];
  int inside = r0 >= 0 && c0 >= 0 && r0 + AL <= h && c0 + AL <= w;
  for (int xx = 0; xx < AL; xx++) {
    int xc = c0 + xx;
    for (int y = 0; y < AL; y++) {
      int yy = r0 + y;
      d[y] = (inside || (yy >= 0 && yy < h && xc >= 0 && xc < w)) ? ld(x + (yy * w + xc) * ci + c) : wasm_f32x4_splat(0.f);
    }
    bt(d, r);
    for (int y = 0; y < AL; y++) st(dst + (y * AL + xx) * vs, r[y]);
  }
  transform_rows(dst, vs, AL, bt);
}

// m [nt][k] x u [k][co] -> out [nt][co], nt <= TB; co a multiple of 4.
static void gemm_block(const float *m, const float *u, float *out, int nt, int kk, int co) {
  int t = 0;
  for (; t + 4 <= nt; t += 4) {
    const float *a0 = m + t * kk, *a1 = a0 + kk, *a2 = a1 + kk, *a3 = a2 + kk;
    int o = 0;
    for (; o + 8 <= co; o += 8) {
      v c00 = k(0), c01 = k(0), c10 = k(0), c11 = k(0), c20 = k(0), c21 = k(0), c30 = k(0), c31 = k(0);
      const float *b = u + o;
      for (int i = 0; i < kk; i++, b += co) {
        v b0 = ld(b), b1 = ld(b + 4);
        v x0 = wasm_v128_load32_splat(a0 + i), x1 = wasm_v128_load32_splat(a1 + i);
        v x2 = wasm_v128_load32_splat(a2 + i), x3 = wasm_v128_load32_splat(a3 + i);
        c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
        c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
        c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
        c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
      }
      float *d = out + t * co + o;
      st(d, c00); st(d + 4, c01); st(d + co, c10); st(d + co + 4, c11);
      st(d + 2 * co, c20); st(d + 2 * co + 4, c21); st(d + 3 * co, c30); st(d + 3 * co + 4, c31);
    }
    for (; o < co; o += 4) {
      v c0 = k(0), c1 = k(0), c2 = k(0), c3 = k(0);
      const float *b = u + o;
      for (int i = 0; i < kk; i++, b += co) {
        v b0 = ld(b);
        c0 = madd(wasm_v128_load32_splat(a0 + i), b0, c0);
        c1 = madd(wasm_v128_load32_splat(a1 + i), b0, c1);
        c2 = madd(wasm_v128_load32_splat(a2 + i), b0, c2);
        c3 = madd(wasm_v128_load32_splat(a3 + i), b0, c3);
      }
      float *d = out + t * co + o;
      st(d, c0); st(d + co, c1); st(d + 2 * co, c2); st(d + 3 * co, c3);
    }
  }
  for (; t < nt; t++) {
    const float *a0 = m + t * kk;
    for (int o = 0; o < co; o += 4) {
      v c0 = k(0);
      const float *b = u + o;
      for (int i = 0; i < kk; i++, b += co) c0 = madd(wasm_v128_load32_splat(a0 + i), ld(b), c0);
      st(out + t * co + o, c0);
    }
  }
}

// Scratch floats one thread needs for wino_conv / wino_wgrad.
EXPORT int wino_scratch_floats(int ci, int co) { return NP * (TB * (ci + co) + 2 * PAD); }

// The input transforms of tiles [b0, b0 + nt) into vb (NP blocks, vs floats apart): shared by the conv and the
// filter gradient. The tile grid is n x th x tw with per = th * tw tiles an image.
static void input_block(const float *x, int h, int w, int ci, int pt, int pl, int tw, int per, int b0, int nt,
                        float *vb, int vs) {
  for (int t = 0; t < nt; t++) {
    int id = b0 + t, n = id / per, rem = id % per, ty = rem / tw, tx = rem % tw;
    const float *xn = x + (long)n * h * w * ci;
    for (int c = 0; c < ci; c += 4) input_tile(xn, h, w, ci, ty * MT - pt, tx * MT - pl, c, vb + t * ci + c, vs);
  }
}

// Row yy of an output tile whose columns are already transformed (M entries `ms` floats apart): A^T across, + bias,
// ReLU if asked.
static inline void output_row(const float *src, int yy, int ms, v bias, int relu, v *out) {
  v row[AL];
  for (int xx = 0; xx < AL; xx++) row[xx] = ld(src + (yy * AL + xx) * ms);
  at(row, out);
  for (int xx = 0; xx < MT; xx++) {
    v s = add(out[xx], bias);
    out[xx] = relu ? wasm_f32x4_max(s, k(0)) : s;
  }
}

// y[n, oh, ow, co] = sum x[n, oh + ky - pt, ow + kx - pl, ci] w[ky, kx, ci, co] (+ bias, relu) for the tiles
// [t0, t1) of the N x ceil(OH/MT) x ceil(OW/MT) tile grid. u from wino_filter; bias may be 0.
// pool: y is instead the 2x2 stride-2 max pool of that, [n, oh/2, ow/2, co] (oh, ow even; inference only): a tile
// (MT even) holds whole pool windows, so the full-size conv output is never written or read back.
EXPORT void wino_conv(const float *x, const float *u, const float *bias, float *y, int h, int w, int ci, int oh,
                      int ow, int co, int pt, int pl, int relu, int pool, int t0, int t1, float *scratch) {
  int th = (oh + MT - 1) / MT, tw = (ow + MT - 1) / MT, per = th * tw;
  int vs = TB * ci + PAD, ms = TB * co + PAD;
  float *vb = scratch, *mb = scratch + NP * vs;
  for (int b0 = t0; b0 < t1; b0 += TB) {
    int nt = t1 - b0 < TB ? t1 - b0 : TB;
    input_block(x, h, w, ci, pt, pl, tw, per, b0, nt, vb, vs);
    for (int e = 0; e < NP; e++) gemm_block(vb + e * vs, u + e * ci * co, mb + e * ms, nt, ci, co);
    for (int t = 0; t < nt; t++) {
      int id = b0 + t, n = id / per, rem = id % per, ty = rem / tw, tx = rem % tw;
      float *yn = y + (long)n * oh * ow * co;
      int r0 = ty * MT, c0 = tx * MT;
      int rows = oh - r0 < MT ? oh - r0 : MT, cols = ow - c0 < MT ? ow - c0 : MT;
      for (int o = 0; o < co; o += 4) {
        // Two passes through this tile's M entries (L1), as in input_tile: columns in place, then rows.
        v col[AL], r[MT], a[MT], b[MT];
        float *src = mb + t * co + o;
        for (int xx = 0; xx < AL; xx++) {
          for (int yy = 0; yy < AL; yy++) col[yy] = ld(src + (yy * AL + xx) * ms);
          at(col, r);
          for (int yy = 0; yy < MT; yy++) st(src + (yy * AL + xx) * ms, r[yy]);
        }
        v bv = bias ? ld(bias + o) : k(0);
        if (pool) {
          int pw = ow / 2;
          float *pn = y + (long)n * (oh / 2) * pw * co;
          for (int yy = 0; yy < rows; yy += 2) {
            output_row(src, yy, ms, bv, relu, a);
            output_row(src, yy + 1, ms, bv, relu, b);
            for (int xx = 0; xx < cols; xx += 2)
              st(pn + ((r0 + yy) / 2 * pw + (c0 + xx) / 2) * co + o,
                 wasm_f32x4_max(wasm_f32x4_max(a[xx], a[xx + 1]), wasm_f32x4_max(b[xx], b[xx + 1])));
          }
        } else {
          for (int yy = 0; yy < rows; yy++) {
            output_row(src, yy, ms, bv, relu, a);
            for (int xx = 0; xx < cols; xx++) st(yn + ((r0 + yy) * ow + c0 + xx) * co + o, a[xx]);
          }
        }
      }
    }
  }
}

// acc [NP][ci][co] += sum over tiles [t0, t1) of V^T Yhat: the filter gradient of wino_conv's correlation in the
// Winograd domain (exact: the transforms are linear). dy is [n, oh, ow, co]; acc must start zeroed.
// With bpart (co floats, zeroed) and bacc (co doubles), bacc += the sum of dy per channel over these tiles: the
// bias gradient, from the dy values this kernel loads anyway.
EXPORT void wino_wgrad(const float *x, const float *dy, float *acc, int h, int w, int ci, int oh, int ow, int co,
                       int pt, int pl, int t0, int t1, float *scratch, float *bpart, double *bacc) {
  int th = (oh + MT - 1) / MT, tw = (ow + MT - 1) / MT, per = th * tw;
  int vs = TB * ci + PAD, ys = TB * co + PAD;
  float *vb = scratch, *yb = scratch + NP * vs;
  for (int b0 = t0; b0 < t1; b0 += TB) {
    int nt = t1 - b0 < TB ? t1 - b0 : TB;
    input_block(x, h, w, ci, pt, pl, tw, per, b0, nt, vb, vs);
    for (int t = 0; t < nt; t++) {
      int id = b0 + t, n = id / per, rem = id % per, ty = rem / tw, tx = rem % tw;
      const float *dn = dy + (long)n * oh * ow * co;
      int r0 = ty * MT, c0 = tx * MT;
      int rows = oh - r0 < MT ? oh - r0 : MT, cols = ow - c0 < MT ? ow - c0 : MT;
      for (int o = 0; o < co; o += 4) {
        // Columns then rows through this tile's slots in yb, a column or row live at a time (see input_tile).
        v d[MT], r[AL], bs = k(0);
        float *dst = yb + t * co + o;
        for (int xx = 0; xx < MT; xx++) {
          for (int yy = 0; yy < MT; yy++) d[yy] = (yy < rows && xx < cols) ? ld(dn + ((r0 + yy) * ow + c0 + xx) * co + o) : k(0);
          if (bpart)
            for (int yy = 0; yy < MT; yy++) bs = add(bs, d[yy]);
          a8(d, r);
          for (int yy = 0; yy < AL; yy++) st(dst + (yy * AL + xx) * ys, r[yy]);
        }
        transform_rows(dst, ys, MT, a8);
        if (bpart) st(bpart + o, add(ld(bpart + o), bs));
      }
    }
    if (bpart) fold(bpart, bacc, co);
    // acc[e] (ci x co) += vb[e]^T (ci x nt) * yb[e] (nt x co)
    for (int e = 0; e < NP; e++) {
      const float *va = vb + e * vs, *ya = yb + e * ys;
      float *ac = acc + e * ci * co;
      int i = 0;
      for (; i + 4 <= ci; i += 4) {
        for (int o = 0; o < co; o += 8) {
          int two = o + 8 <= co;
          float *d = ac + i * co + o;
          v c00 = ld(d), c10 = ld(d + co), c20 = ld(d + 2 * co), c30 = ld(d + 3 * co);
          v c01 = two ? ld(d + 4) : k(0), c11 = two ? ld(d + co + 4) : k(0);
          v c21 = two ? ld(d + 2 * co + 4) : k(0), c31 = two ? ld(d + 3 * co + 4) : k(0);
          for (int t = 0; t < nt; t++) {
            const float *a = va + t * ci + i, *b = ya + t * co + o;
            v b0 = ld(b), b1 = two ? ld(b + 4) : k(0);
            v x0 = wasm_v128_load32_splat(a), x1 = wasm_v128_load32_splat(a + 1);
            v x2 = wasm_v128_load32_splat(a + 2), x3 = wasm_v128_load32_splat(a + 3);
            c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
            c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
            c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
            c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
          }
          st(d, c00); st(d + co, c10); st(d + 2 * co, c20); st(d + 3 * co, c30);
          if (two) { st(d + 4, c01); st(d + co + 4, c11); st(d + 2 * co + 4, c21); st(d + 3 * co + 4, c31); }
          if (!two) o -= 4;
        }
      }
    }
  }
}

// dw [3][3][ci][co] = G^T (sum of `parts` accumulators, `stride` floats apart) G
EXPORT void wino_wgrad_finish(const float *acc, int parts, int stride, float *dw, int ci, int co) {
  for (int i = 0; i < ci; i++) {
    for (int o = 0; o < co; o += 4) {
      v col[AL], t3[3][AL], r[3];
      for (int xx = 0; xx < AL; xx++) {
        for (int yy = 0; yy < AL; yy++) {
          const float *p = acc + ((yy * AL + xx) * ci + i) * co + o;
          v s = ld(p);
          for (int q = 1; q < parts; q++) s = add(s, ld(p + q * stride));
          col[yy] = s;
        }
        gt(col, r);
        for (int yy = 0; yy < 3; yy++) t3[yy][xx] = r[yy];
      }
      for (int yy = 0; yy < 3; yy++) {
        gt(t3[yy], r);
        for (int xx = 0; xx < 3; xx++) st(dw + ((yy * 3 + xx) * ci + i) * co + o, r[xx]);
      }
    }
  }
}
