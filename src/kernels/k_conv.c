/*
 * k_conv.c - convolution and transposed convolution (1 to 3 spatial dims),
 * NCHW, with groups, strides, dilations, padding, bias and a fused
 * activation.
 *
 * A convolution is a matrix product: weights [M/G, C/G*k] times the input
 * gathered into columns [C/G*k, out].  The gathering (im2col) runs over
 * blocks of CK_CONV_NC output positions at a time, straight into the
 * panel layout of ck_sgemm_packed, so the scratch buffer stays small
 * (ck_conv_scratch_floats) and the product reads it sequentially; bias
 * and ReLU/clip are applied as the product stores its results.
 * Depthwise convolutions (one input and one output channel per group)
 * run a direct loop instead: per output row, the kernel rows that fall
 * inside the input are found once, the columns whose taps all fall inside
 * run without a bounds check (four or eight outputs per step with SIMD),
 * and only the border columns check each tap.  Taps are summed in the
 * same order (kernel row-major) on every path.
 *
 * Spatial parameters arrive with unused trailing dims set to 1; they are
 * moved to the front here, so the innermost spatial dim is always dim 2.
 * Parameters: see enum ck_conv_param; t = {X, W, B or NULL, Y, scratch}.
 */
#include "ck_internal.h"
#include "k_conv.h"
#include "k_gemm.h"

static int ck_conv_is_pointwise(const ck_conv_geom *g) {
  for (int i = 0; i < 3; i++)
    if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->in[i] != g->out[i])
      return 0;
  return 1;
}

/* ---- gathering columns ---------------------------------------------------- */

/* One gathered row (channel c of x, kernel position k0,k1,k2) over output
 * positions [p0, p0 + nc) into row[]. */
static void ck_gather_row(const float *xc, const ck_conv_geom *g, int64_t k0,
                          int64_t k1, int64_t k2, int64_t p0, int64_t nc,
                          float *row) {
  int64_t o2 = p0 % g->out[2], o1 = p0 / g->out[2] % g->out[1];
  int64_t o0 = p0 / (g->out[2] * g->out[1]);
  int64_t off2 = k2 * g->d[2] - g->pb[2], lo, hi;
  ck_valid_range(g->out[2], g->s[2], off2, g->in[2], &lo, &hi);
  for (int64_t j = 0; j < nc;) {
    int64_t len = g->out[2] - o2 < nc - j ? g->out[2] - o2 : nc - j;
    int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
    int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
    float *r = row + j;
    if (i0 < 0 || i0 >= g->in[0] || i1 < 0 || i1 >= g->in[1]) {
      memset(r, 0, (size_t)len * sizeof(float));
    } else {
      const float *xr = xc + (i0 * g->in[1] + i1) * g->in[2] + off2;
      int64_t a = lo - o2, b = hi - o2; /* valid part of this segment */
      if (a < 0)
        a = 0;
      if (b > len)
        b = len;
      if (b < a)
        b = a;
      int64_t s2 = g->s[2];
      for (int64_t t = 0; t < a; t++)
        r[t] = 0.0f;
      if (s2 == 1)
        memcpy(r + a, xr + o2 + a, (size_t)(b - a) * sizeof(float));
      else
        for (int64_t t = a; t < b; t++)
          r[t] = xr[(o2 + t) * s2];
      for (int64_t t = b; t < len; t++)
        r[t] = 0.0f;
    }
    j += len;
    o2 = 0;
    if (++o1 == g->out[1])
      o1 = 0, o0++;
  }
}

/* Columns [p0, p0 + nc) of the gathered input of cg channels, as panels
 * of CK_GEMM_NR columns (zero padded), K = cg * kk rows each. */
static void ck_gather(const float *x, int64_t cg, const ck_conv_geom *g,
                      int pointwise, int64_t p0, int64_t nc, float *panels) {
  enum { NR = CK_GEMM_NR };
  float row[CK_CONV_NC + NR];
  int64_t K = cg * g->kk, npanel = (nc + NR - 1) / NR, full = nc / NR;
  for (int64_t c = 0, k = 0; c < cg; c++) {
    const float *xc = x + c * g->pin;
    for (int64_t k0 = 0; k0 < g->k[0]; k0++)
      for (int64_t k1 = 0; k1 < g->k[1]; k1++)
        for (int64_t k2 = 0; k2 < g->k[2]; k2++, k++) {
          const float *src = row;
          if (pointwise) {
            src = xc + p0;
            if (full < npanel) { /* the last panel needs its padding */
              memcpy(row + full * NR, src + full * NR,
                     (size_t)(nc - full * NR) * sizeof(float));
              for (int64_t t = nc; t < npanel * NR; t++)
                row[t] = 0.0f;
            }
          } else {
            ck_gather_row(xc, g, k0, k1, k2, p0, nc, row);
            for (int64_t t = nc; t < npanel * NR; t++)
              row[t] = 0.0f;
          }
          float *dst = panels + k * NR;
          for (int64_t pj = 0; pj < npanel; pj++, dst += K * NR)
            memcpy(dst, (pj < full ? src : row) + pj * NR, NR * sizeof(float));
        }
  }
}

/* ---- depthwise ------------------------------------------------------------ */

/* one output position with a bounds check on every tap (3-d depthwise) */
static float ck_dw_point(const float *x, const float *w, const ck_conv_geom *g,
                         int64_t o0, int64_t o1, int64_t o2) {
  float s = 0;
  for (int64_t k0 = 0; k0 < g->k[0]; k0++) {
    int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
    if (i0 < 0 || i0 >= g->in[0])
      continue;
    for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
      int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
      if (i1 < 0 || i1 >= g->in[1])
        continue;
      const float *xr = x + (i0 * g->in[1] + i1) * g->in[2];
      const float *wr = w + (k0 * g->k[1] + k1) * g->k[2];
      for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
        int64_t i2 = o2 * g->s[2] - g->pb[2] + k2 * g->d[2];
        if (i2 >= 0 && i2 < g->in[2])
          s += xr[i2] * wr[k2];
      }
    }
  }
  return s;
}

static void ck_dw_generic(const float *x, const float *w, float bias, float *y,
                          const ck_conv_geom *g, const ck_gemm_epi *e) {
  for (int64_t o0 = 0; o0 < g->out[0]; o0++)
    for (int64_t o1 = 0; o1 < g->out[1]; o1++)
      for (int64_t o2 = 0; o2 < g->out[2]; o2++)
        *y++ = ck_act1(ck_dw_point(x, w, g, o0, o1, o2) + bias, e);
}

/* Copy one input plane into the zero-padded plane (k_conv.h). */
static void ck_dw_fill(const float *x, const ck_conv_geom *g, float *plane,
                       int64_t rows, int64_t cols) {
  int64_t lead = g->pb[2] < cols ? g->pb[2] : cols;
  int64_t n = g->in[2] < cols - lead ? g->in[2] : cols - lead;
  if (lead < 0)
    lead = 0;
  if (n < 0)
    n = 0;
  for (int64_t r = 0; r < rows; r++) {
    float *d = plane + r * cols;
    int64_t ir = r - g->pb[1];
    if (ir < 0 || ir >= g->in[1]) {
      memset(d, 0, (size_t)cols * sizeof(float));
      continue;
    }
    memset(d, 0, (size_t)lead * sizeof(float));
    memcpy(d + lead, x + ir * g->in[2], (size_t)n * sizeof(float));
    memset(d + lead + n, 0, (size_t)(cols - lead - n) * sizeof(float));
  }
}

#if CK_SIMD
/* eight outputs from yr (n of them stored) */
static inline void ck_dw_store(float *yr, int64_t n, ck_v4 a0, ck_v4 a1,
                               float bias, const ck_gemm_epi *e) {
  a0 = ck_v4_epi(a0, bias, e), a1 = ck_v4_epi(a1, bias, e);
  if (n >= 8) {
    ck_v4_store(yr, a0), ck_v4_store(yr + 4, a1);
    return;
  }
  float tmp[8];
  ck_v4_store(tmp, a0), ck_v4_store(tmp + 4, a1);
  memcpy(yr, tmp, (size_t)n * sizeof(float));
}
#endif

/* Every output of one channel from its padded plane: taps in kernel
 * row-major order, as ck_dw_point sums them (a padded zero adds 0). */
static void ck_dw_plane_run(const float *plane, int64_t cols, const float *w,
                            float bias, float *y, const ck_conv_geom *g,
                            const ck_gemm_epi *e) {
  int64_t K1 = g->k[1], K2 = g->k[2], s1 = g->s[1], s2 = g->s[2];
  int64_t d1 = g->d[1], d2 = g->d[2], OW = g->out[2];
  int k33 = K1 == 3 && K2 == 3 && d1 == 1 && d2 == 1;
  for (int64_t o1 = 0; o1 < g->out[1]; o1++) {
    const float *base = plane + o1 * s1 * cols;
    float *yr = y + o1 * OW;
#if CK_SIMD
    if (s2 <= 2 && k33) {
      const float *r0 = base, *r1 = base + cols, *r2 = base + 2 * cols;
      ck_v4 w0 = ck_v4_splat(w[0]), w1 = ck_v4_splat(w[1]), w2 = ck_v4_splat(w[2]);
      ck_v4 w3 = ck_v4_splat(w[3]), w4 = ck_v4_splat(w[4]), w5 = ck_v4_splat(w[5]);
      ck_v4 w6 = ck_v4_splat(w[6]), w7 = ck_v4_splat(w[7]), w8 = ck_v4_splat(w[8]);
      for (int64_t o2 = 0; o2 < OW; o2 += 8) {
        int64_t c0 = o2 * s2, c1 = c0 + 4 * s2;
        ck_v4 a0 = ck_v4_splat(0), a1 = ck_v4_splat(0);
        a0 += w0 * ck_v4_load_s(r0 + c0, s2), a1 += w0 * ck_v4_load_s(r0 + c1, s2);
        a0 += w1 * ck_v4_load_s(r0 + c0 + 1, s2), a1 += w1 * ck_v4_load_s(r0 + c1 + 1, s2);
        a0 += w2 * ck_v4_load_s(r0 + c0 + 2, s2), a1 += w2 * ck_v4_load_s(r0 + c1 + 2, s2);
        a0 += w3 * ck_v4_load_s(r1 + c0, s2), a1 += w3 * ck_v4_load_s(r1 + c1, s2);
        a0 += w4 * ck_v4_load_s(r1 + c0 + 1, s2), a1 += w4 * ck_v4_load_s(r1 + c1 + 1, s2);
        a0 += w5 * ck_v4_load_s(r1 + c0 + 2, s2), a1 += w5 * ck_v4_load_s(r1 + c1 + 2, s2);
        a0 += w6 * ck_v4_load_s(r2 + c0, s2), a1 += w6 * ck_v4_load_s(r2 + c1, s2);
        a0 += w7 * ck_v4_load_s(r2 + c0 + 1, s2), a1 += w7 * ck_v4_load_s(r2 + c1 + 1, s2);
        a0 += w8 * ck_v4_load_s(r2 + c0 + 2, s2), a1 += w8 * ck_v4_load_s(r2 + c1 + 2, s2);
        ck_dw_store(yr + o2, OW - o2, a0, a1, bias, e);
      }
      continue;
    }
    if (s2 <= 2) {
      for (int64_t o2 = 0; o2 < OW; o2 += 8) {
        ck_v4 a0 = ck_v4_splat(0), a1 = ck_v4_splat(0);
        for (int64_t k1 = 0; k1 < K1; k1++) {
          const float *r = base + k1 * d1 * cols + o2 * s2;
          const float *wr = w + k1 * K2;
          for (int64_t k2 = 0; k2 < K2; k2++) {
            ck_v4 wv = ck_v4_splat(wr[k2]);
            a0 += wv * ck_v4_load_s(r + k2 * d2, s2);
            a1 += wv * ck_v4_load_s(r + k2 * d2 + 4 * s2, s2);
          }
        }
        ck_dw_store(yr + o2, OW - o2, a0, a1, bias, e);
      }
      continue;
    }
#endif
    if (k33) {
      const float *r0 = base, *r1 = base + cols, *r2 = base + 2 * cols;
      float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
      float w6 = w[6], w7 = w[7], w8 = w[8];
      for (int64_t o2 = 0; o2 < OW; o2++) {
        int64_t c = o2 * s2;
        float v = 0;
        v += w0 * r0[c], v += w1 * r0[c + 1], v += w2 * r0[c + 2];
        v += w3 * r1[c], v += w4 * r1[c + 1], v += w5 * r1[c + 2];
        v += w6 * r2[c], v += w7 * r2[c + 1], v += w8 * r2[c + 2];
        yr[o2] = ck_act1(v + bias, e);
      }
      continue;
    }
    for (int64_t o2 = 0; o2 < OW; o2++) {
      float v = 0;
      for (int64_t k1 = 0; k1 < K1; k1++) {
        const float *r = base + k1 * d1 * cols + o2 * s2;
        const float *wr = w + k1 * K2;
        for (int64_t k2 = 0; k2 < K2; k2++)
          v += wr[k2] * r[k2 * d2];
      }
      yr[o2] = ck_act1(v + bias, e);
    }
  }
}

static void ck_conv_depthwise(const float *x, const float *w, float bias,
                              float *y, float *scratch, const ck_conv_geom *g,
                              const ck_gemm_epi *e) {
  if (!ck_conv_dw_padded(g) || !scratch) {
    ck_dw_generic(x, w, bias, y, g, e);
    return;
  }
  int64_t rows, cols;
  ck_conv_dw_plane(g, &rows, &cols);
  ck_dw_fill(x, g, scratch, rows, cols);
  ck_dw_plane_run(scratch, cols, w, bias, y, g, e);
}

CK_FN(conv_f32) {
  const float *X = t[0], *W = t[1], *B = t[2];
  float *Y = t[3], *col = t[4];
  int64_t N = p[CK_CONV_N], C = p[CK_CONV_C], M = p[CK_CONV_M];
  int64_t G = p[CK_CONV_G], cg = C / G, mg = M / G;
  ck_conv_geom g;
  ck_conv_geom_init(&g, p);
  int64_t Kc = cg * g.kk;
  int pointwise = ck_conv_is_pointwise(&g);
  int act = (int)p[CK_CONV_ACT];
  /* bias and ReLU/clip go with the product's stores; other activations
   * run afterwards over the output */
  ck_gemm_epi epi = {NULL, ck_gemm_epi_can(act) ? act : CK_ACT_NONE,
                     (float)ck_pf(p[CK_CONV_ACTA]), (float)ck_pf(p[CK_CONV_ACTB])};
  for (int64_t n = 0; n < N; n++) {
    for (int64_t gi = 0; gi < G; gi++) {
      const float *x = X + (n * C + gi * cg) * g.pin;
      const float *w = W + gi * mg * Kc;
      float *y = Y + (n * M + gi * mg) * g.pout;
      epi.bias = B ? B + gi * mg : NULL;
      if (cg == 1 && mg == 1) {
        ck_conv_depthwise(x, w, B ? B[gi] : 0.0f, y, col, &g, &epi);
        continue;
      }
      for (int64_t p0 = 0; p0 < g.pout; p0 += CK_CONV_NC) {
        int64_t nc = g.pout - p0 < CK_CONV_NC ? g.pout - p0 : CK_CONV_NC;
        ck_gather(x, cg, &g, pointwise, p0, nc, col);
        ck_sgemm_packed(mg, nc, Kc, w, Kc, col, y + p0, g.pout, &epi);
      }
    }
    if (!ck_gemm_epi_can(act))
      ck_epilogue(Y + n * M * g.pout, M, g.pout, g.pout, 1.0f, NULL,
                  CK_BIAS_NONE, 1.0f, act, (float)ck_pf(p[CK_CONV_ACTA]),
                  (float)ck_pf(p[CK_CONV_ACTB]));
  }
  return NULL;
}

/* Transposed convolution: C input channels, M output channels, W is
 * [C, M/G, k...]; in/out are the input and output spatial dims. */
CK_FN(conv_transpose_f32) {
  const float *X = t[0], *W = t[1], *B = t[2];
  float *Y = t[3], *col = t[4];
  int64_t N = p[CK_CONV_N], C = p[CK_CONV_C], M = p[CK_CONV_M];
  int64_t G = p[CK_CONV_G], cg = C / G, mg = M / G;
  ck_conv_geom g;
  ck_conv_geom_init(&g, p);
  int64_t rows = mg * g.kk;
  memset(Y, 0, (size_t)(N * M * g.pout) * sizeof(float));
  for (int64_t n = 0; n < N; n++)
    for (int64_t gi = 0; gi < G; gi++) {
      const float *x = X + (n * C + gi * cg) * g.pin;
      const float *w = W + gi * cg * rows;
      float *y = Y + (n * M + gi * mg) * g.pout;
      /* col[rows, pin] = w^T[rows, cg] * x[cg, pin] */
      ck_sgemm(rows, g.pin, cg, w, 1, rows, x, g.pin, col, g.pin);
      for (int64_t m = 0; m < mg; m++)
        for (int64_t k0 = 0; k0 < g.k[0]; k0++)
          for (int64_t k1 = 0; k1 < g.k[1]; k1++)
            for (int64_t k2 = 0; k2 < g.k[2]; k2++) {
              const float *c =
                  col + (((m * g.k[0] + k0) * g.k[1] + k1) * g.k[2] + k2) * g.pin;
              float *ym = y + m * g.pout;
              for (int64_t i0 = 0; i0 < g.in[0]; i0++) {
                int64_t o0 = i0 * g.s[0] - g.pb[0] + k0 * g.d[0];
                if (o0 < 0 || o0 >= g.out[0])
                  continue;
                for (int64_t i1 = 0; i1 < g.in[1]; i1++) {
                  int64_t o1 = i1 * g.s[1] - g.pb[1] + k1 * g.d[1];
                  if (o1 < 0 || o1 >= g.out[1])
                    continue;
                  for (int64_t i2 = 0; i2 < g.in[2]; i2++) {
                    int64_t o2 = i2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                    if (o2 < 0 || o2 >= g.out[2])
                      continue;
                    ym[(o0 * g.out[1] + o1) * g.out[2] + o2] +=
                        c[(i0 * g.in[1] + i1) * g.in[2] + i2];
                  }
                }
              }
            }
    }
  for (int64_t n = 0; n < N; n++)
    ck_epilogue(Y + n * M * g.pout, M, g.pout, g.pout, 1.0f, B,
                B ? CK_BIAS_COL : CK_BIAS_NONE, 1.0f, (int)p[CK_CONV_ACT],
                (float)ck_pf(p[CK_CONV_ACTA]), (float)ck_pf(p[CK_CONV_ACTB]));
  return NULL;
}
