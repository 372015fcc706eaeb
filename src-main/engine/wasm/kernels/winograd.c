// Winograd F(6x6, 3x3) convolution kernels for the wasm backend: forward (also the input gradient, run on the
// rotated filter) and filter gradient, NHWC, stride 1, channels a multiple of 4.
//
// Why: XNNPACK's direct conv on 128-bit wasm SIMD (no FMA) is the ceiling of the wasm backend; Winograd does the
// same 3x3 correlation with 64 instead of 324 multiplies per 6x6 output tile and channel pair (F(4x4, 3x3), used
// before, needs 36 per 4x4: 27% more GEMM work per output, with transforms that cost about the same per output).
//
// The module owns no memory and no data: it imports the backend's heap and the caller hands it every buffer,
// including per-thread scratch, so several instances (one per thread) can run on one shared heap.
// Matrices are the Toom-Cook construction of Lavin & Gray for the points 0, 1, -1, 2, -2, 1/2, -1/2, inf: the rows of
// B^T are the Lagrange numerators prod_{l != j} (x - p_l) (and prod_l (x - p_l) for inf), G's rows are
// [1, p, p^2] over those numerators' values at p, and A^T[i][j] = p_j^i. Points pair up as +-p, so every transform
// below evaluates an even and an odd part once and returns their sum and difference.

#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define MT 6  // output tile side
#define AL 8  // transformed tile side, MT + 3 - 1
#define NP 64 // positions of a transformed tile, AL * AL
#define TB 16 // tiles per block: V, M and U blocks stay in L2 (16, 24, 32 measured within 2%; 48 and 12 slower)
// Floats of padding after each of the NP per-position blocks: with TB * 32 channels a block is exactly 4 KiB, and
// the NP stores of one tile's transform would all land in the same L1 set (4K aliasing).
#define PAD 16

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

static void fold(float *part, double *acc, int n);

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

// ---- Companion kernels that share the module (and its threads) ----

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

// dw [9][co] = the sum of `parts` accumulators `stride` floats apart.
EXPORT void sum_parts(const float *acc, int parts, int stride, float *out, int n) {
  for (int i = 0; i < n; i += 4) {
    v s = ld(acc + i);
    for (int q = 1; q < parts; q++) s = add(s, ld(acc + i + q * stride));
    st(out + i, s);
  }
}

// ---- Training-mode batch norm over the channel axis (c % 4 == 0), pixels = n*h*w rows of c ----
// Sums run in float32 over chunks of BN_CHUNK pixels, then fold into float64, so a 150k-pixel batch keeps
// float32-level error per chunk instead of losing digits to one long running sum.

#define BN_CHUNK 256

static void fold(float *part, double *acc, int n) {
  for (int i = 0; i < n; i++) {
    acc[i] += part[i];
    part[i] = 0.f;
  }
}

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

// ---- A 3x3 stride-1 conv with ONE output channel: the input gradient of a network's first layer ----
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

// ReLU's gradient in one pass: dx = dy where x > 0, else 0, for elements [i0, i1) (tfjs: mul(dy, step(x)), two
// full passes and a temporary).
EXPORT void relu_grad(const float *x, const float *dy, float *dx, int i0, int i1) {
  int i = i0;
  v zero = k(0);
  for (; i + 4 <= i1; i += 4) st(dx + i, wasm_v128_and(ld(dy + i), wasm_f32x4_gt(ld(x + i), zero)));
  for (; i < i1; i++) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

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
