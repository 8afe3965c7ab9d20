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
 * 3x3 convolutions with stride 1 and enough channels run as Winograd
 * F(2x2, 3x3) instead (2.25 times fewer multiplications; see below).
 * Depthwise convolutions (one input and one output channel per group)
 * run a direct loop over a zero-padded copy of each plane: 3x3 kernels
 * with their weights in registers, eight outputs per step with SIMD
 * (strides 1 and 2), taps summed in kernel row-major order.
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
      if (s2 == 1) { /* a window sliding along the rows: 3 loads an output */
        float a0 = r0[0], a1 = r0[1], b0 = r1[0], b1 = r1[1], c0 = r2[0], c1 = r2[1];
        for (int64_t o2 = 0; o2 < OW; o2++) {
          float a2 = r0[o2 + 2], b2 = r1[o2 + 2], c2 = r2[o2 + 2];
          float v = 0;
          v += w0 * a0, v += w1 * a1, v += w2 * a2;
          v += w3 * b0, v += w4 * b1, v += w5 * b2;
          v += w6 * c0, v += w7 * c1, v += w8 * c2;
          yr[o2] = ck_act1(v + bias, e);
          a0 = a1, a1 = a2, b0 = b1, b1 = b2, c0 = c1, c1 = c2;
        }
        continue;
      }
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

/* ---- Winograd F(2x2, 3x3) ----------------------------------------------- */

/* Each 2x2 block ("tile") of outputs comes from a 4x4 block d of the input:
 * Y = A' [ (G g G') .* (B' d B) ] A, with
 *
 *   B' = | 1  0 -1  0 |   G = | 1    0    0  |   A' = | 1  1  1  0 |
 *        | 0  1  1  0 |       | 1/2  1/2  1/2 |        | 0  1 -1 -1 |
 *        | 0 -1  1  0 |       | 1/2 -1/2  1/2 |
 *        | 0  1  0 -1 |       | 0    0    1  |
 *
 * so the sum over input channels becomes 16 matrix products (one per
 * element xi of the 4x4 transformed tile) of the transformed weights
 * [M, C] by the transformed input [C, tiles], run by the GEMM core on
 * panels.  The input is transformed once, straight into panel layout;
 * the weights CK_WINO_MB output channels at a time. */

/* V[xi] in panel layout: element (c, j) of matrix xi, tb columns */
static inline float *ck_wino_v(float *V, int64_t cg, int64_t tb, int xi,
                               int64_t c, int64_t j) {
  return V + (int64_t)xi * (tb * cg + CK_WINO_GAP) +
         (j / CK_GEMM_NR) * cg * CK_GEMM_NR + c * CK_GEMM_NR + j % CK_GEMM_NR;
}

#if CK_SIMD
/* Four tiles side by side in one row of tiles, all inside the input, as
 * vectors (lane = tile): 0 when they are not. */
static int ck_wino_input4(const float *xc, const ck_conv_geom *g, int64_t tile,
                          int64_t left, float *V, int64_t tb, int64_t c,
                          int64_t j) {
  int64_t H = g->in[1], W = g->in[2], tw = (g->out[2] + 1) / 2;
  if (left < 4 || tile % tw + 4 > tw)
    return 0;
  int64_t r0 = (tile / tw) * 2 - g->pb[1], c0 = (tile % tw) * 2 - g->pb[2];
  if (r0 < 0 || c0 < 0 || r0 + 4 > H || c0 + 10 > W)
    return 0;
  const float *s = xc + r0 * W + c0;
  ck_v4 d[4][4], t[4][4];
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 4; k++)
      d[i][k] = ck_v4_load_s(s + i * W + k, 2);
  for (int k = 0; k < 4; k++) {
    t[0][k] = d[0][k] - d[2][k];
    t[1][k] = d[1][k] + d[2][k];
    t[2][k] = d[2][k] - d[1][k];
    t[3][k] = d[1][k] - d[3][k];
  }
  for (int i = 0; i < 4; i++) {
    ck_v4_store(ck_wino_v(V, g->cg, tb, i * 4 + 0, c, j), t[i][0] - t[i][2]);
    ck_v4_store(ck_wino_v(V, g->cg, tb, i * 4 + 1, c, j), t[i][1] + t[i][2]);
    ck_v4_store(ck_wino_v(V, g->cg, tb, i * 4 + 2, c, j), t[i][2] - t[i][1]);
    ck_v4_store(ck_wino_v(V, g->cg, tb, i * 4 + 3, c, j), t[i][1] - t[i][3]);
  }
  return 1;
}
#endif

/* the input transform of tiles [t0, t0 + nt) into V (tb columns) */
static void ck_wino_input(const float *x, const ck_conv_geom *g, int64_t t0,
                          int64_t nt, float *V, int64_t tb) {
  int64_t H = g->in[1], W = g->in[2], tw = (g->out[2] + 1) / 2, cg = g->cg;
  for (int64_t c = 0; c < cg; c++) {
    const float *xc = x + c * g->pin;
    for (int64_t j = 0; j < tb; j++) {
      float d[4][4], t[4][4];
#if CK_SIMD
      if (j % 4 == 0 && ck_wino_input4(xc, g, t0 + j, nt - j, V, tb, c, j)) {
        j += 3;
        continue;
      }
#endif
      if (j >= nt) { /* panel padding */
        for (int xi = 0; xi < 16; xi++)
          *ck_wino_v(V, cg, tb, xi, c, j) = 0.0f;
        continue;
      }
      int64_t tile = t0 + j;
      int64_t r0 = (tile / tw) * 2 - g->pb[1], c0 = (tile % tw) * 2 - g->pb[2];
      if (r0 >= 0 && c0 >= 0 && r0 + 4 <= H && c0 + 4 <= W) {
        const float *s = xc + r0 * W + c0;
        for (int i = 0; i < 4; i++)
          for (int k = 0; k < 4; k++)
            d[i][k] = s[i * W + k];
      } else {
        for (int i = 0; i < 4; i++)
          for (int k = 0; k < 4; k++) {
            int64_t r = r0 + i, q = c0 + k;
            d[i][k] = r >= 0 && r < H && q >= 0 && q < W ? xc[r * W + q] : 0.0f;
          }
      }
      for (int k = 0; k < 4; k++) { /* B' d */
        t[0][k] = d[0][k] - d[2][k];
        t[1][k] = d[1][k] + d[2][k];
        t[2][k] = d[2][k] - d[1][k];
        t[3][k] = d[1][k] - d[3][k];
      }
      for (int i = 0; i < 4; i++) { /* (B' d) B */
        *ck_wino_v(V, cg, tb, i * 4 + 0, c, j) = t[i][0] - t[i][2];
        *ck_wino_v(V, cg, tb, i * 4 + 1, c, j) = t[i][1] + t[i][2];
        *ck_wino_v(V, cg, tb, i * 4 + 2, c, j) = t[i][2] - t[i][1];
        *ck_wino_v(V, cg, tb, i * 4 + 3, c, j) = t[i][1] - t[i][3];
      }
    }
  }
}

/* U[xi][m][c] = (G g G')[xi] for output channels [m0, m0 + mb) */
static void ck_wino_weights(const float *w, int64_t cg, int64_t m0, int64_t mb,
                            float *U) {
  int64_t us = mb * cg + CK_WINO_GAP;
  for (int64_t m = 0; m < mb; m++) {
    int64_t c = 0;
#if CK_SIMD
    /* four input channels at a time (lane = channel): the same operations
     * as below, so the same results */
    for (; c + 4 <= cg; c += 4) {
      const float *k = w + ((m0 + m) * cg + c) * 9;
      ck_v4 K[9], t[4][3], h = ck_v4_splat(0.5f);
      for (int j = 0; j < 9; j++)
        K[j] = (ck_v4){k[j], k[9 + j], k[18 + j], k[27 + j]};
      for (int j = 0; j < 3; j++) {
        t[0][j] = K[j];
        t[1][j] = h * (K[j] + K[3 + j] + K[6 + j]);
        t[2][j] = h * (K[j] - K[3 + j] + K[6 + j]);
        t[3][j] = K[6 + j];
      }
      for (int i = 0; i < 4; i++) {
        float *u = U + (int64_t)(i * 4) * us + m * cg + c;
        ck_v4_store(u, t[i][0]);
        ck_v4_store(u + us, h * (t[i][0] + t[i][1] + t[i][2]));
        ck_v4_store(u + 2 * us, h * (t[i][0] - t[i][1] + t[i][2]));
        ck_v4_store(u + 3 * us, t[i][2]);
      }
    }
#endif
    for (; c < cg; c++) {
      const float *k = w + ((m0 + m) * cg + c) * 9;
      float t[4][3];
      for (int j = 0; j < 3; j++) { /* G g */
        t[0][j] = k[j];
        t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
        t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
        t[3][j] = k[6 + j];
      }
      for (int i = 0; i < 4; i++) { /* (G g) G' */
        float *u = U + (int64_t)(i * 4) * us + m * cg + c;
        u[0] = t[i][0];
        u[us] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[2 * us] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[3 * us] = t[i][2];
      }
    }
  }
}

#if CK_SIMD
/* Four whole tiles side by side in one row of tiles as vectors (lane =
 * tile), written as two rows of eight outputs: 0 when they are not. */
static int ck_wino_output4(const float *o, int64_t xs, int64_t left,
                           const ck_conv_geom *g, int64_t tile, int64_t j,
                           float *y, float bias, const ck_gemm_epi *e) {
  int64_t OH = g->out[1], OW = g->out[2], tw = (OW + 1) / 2;
  int64_t r = (tile / tw) * 2, q = (tile % tw) * 2;
  if (left < 4 || tile % tw + 4 > tw || q + 8 > OW || r + 2 > OH)
    return 0;
  ck_v4 v[4][4], t[2][4];
  for (int xi = 0; xi < 16; xi++)
    v[xi / 4][xi % 4] = ck_v4_load(o + xi * xs + j);
  for (int k = 0; k < 4; k++) {
    t[0][k] = v[0][k] + v[1][k] + v[2][k];
    t[1][k] = v[1][k] - v[2][k] - v[3][k];
  }
  for (int i = 0; i < 2; i++) {
    ck_v4 a = ck_v4_epi(t[i][0] + t[i][1] + t[i][2], bias, e);
    ck_v4 b = ck_v4_epi(t[i][1] - t[i][2] - t[i][3], bias, e);
    float *yr = y + (r + i) * OW + q;
    ck_v4_store(yr, __builtin_shufflevector(a, b, 0, 4, 1, 5));
    ck_v4_store(yr + 4, __builtin_shufflevector(a, b, 2, 6, 3, 7));
  }
  return 1;
}
#endif

/* outputs of channels [m0, m0 + mb), tiles [t0, t0 + nt), from the 16
 * products O[xi][m][j] (tb columns) */
static void ck_wino_output(const float *O, int64_t mb, int64_t tb, int64_t t0,
                           int64_t nt, const ck_conv_geom *g, int64_t m0,
                           float *Y, const ck_gemm_epi *e) {
  int64_t OH = g->out[1], OW = g->out[2], tw = (OW + 1) / 2;
  for (int64_t m = 0; m < mb; m++) {
    float bias = e->bias ? e->bias[m0 + m] : 0.0f;
    float *y = Y + (m0 + m) * g->pout;
    const float *o = O + m * tb;
    for (int64_t j = 0; j < nt; j++) {
      float v[4][4], t[2][4];
#if CK_SIMD
      if (j % 4 == 0 && ck_wino_output4(o, mb * tb + CK_WINO_GAP, nt - j, g,
                                        t0 + j, j, y, bias, e)) {
        j += 3;
        continue;
      }
#endif
      for (int xi = 0; xi < 16; xi++)
        v[xi / 4][xi % 4] = o[(int64_t)xi * (mb * tb + CK_WINO_GAP) + j];
      for (int k = 0; k < 4; k++) { /* A' v */
        t[0][k] = v[0][k] + v[1][k] + v[2][k];
        t[1][k] = v[1][k] - v[2][k] - v[3][k];
      }
      int64_t tile = t0 + j, r = (tile / tw) * 2, q = (tile % tw) * 2;
      for (int i = 0; i < 2 && r + i < OH; i++) { /* (A' v) A */
        float *yr = y + (r + i) * OW + q;
        yr[0] = ck_act1(t[i][0] + t[i][1] + t[i][2] + bias, e);
        if (q + 1 < OW)
          yr[1] = ck_act1(t[i][1] - t[i][2] - t[i][3] + bias, e);
      }
    }
  }
}

/* Output channels a block at a time (their weights transformed once),
 * tiles a block at a time within (their input transformed per channel
 * block), so that every buffer stays in the caches. */
static void ck_conv_winograd(const float *x, const float *w, float *y,
                             float *scratch, const ck_conv_geom *g,
                             const ck_gemm_epi *e) {
  int64_t cg = g->cg, mg = g->mg, T = ck_conv_wino_tiles(g), TB, MB;
  ck_conv_wino_blocks(g, &TB, &MB);
  int64_t vs = TB * cg + CK_WINO_GAP, us = MB * cg + CK_WINO_GAP;
  float *V = scratch, *U = V + 16 * vs, *O = U + 16 * us;
  for (int64_t m0 = 0; m0 < mg; m0 += MB) {
    int64_t mb = mg - m0 < MB ? mg - m0 : MB;
    ck_wino_weights(w, cg, m0, mb, U);
    for (int64_t t0 = 0; t0 < T; t0 += TB) {
      int64_t nt = T - t0 < TB ? T - t0 : TB;
      ck_wino_input(x, g, t0, nt, V, TB);
      for (int xi = 0; xi < 16; xi++)
        ck_sgemm_packed(mb, nt, cg, U + xi * (mb * cg + CK_WINO_GAP), cg, V + xi * vs,
                        O + xi * (mb * TB + CK_WINO_GAP), TB, NULL);
      ck_wino_output(O, mb, TB, t0, nt, g, m0, y, e);
    }
  }
}

/* A stride-1 convolution reading its input in place (k_conv.h): output
 * row o1's columns are contiguous in every padded plane, so row (c, k1,
 * k2) of the product is plane c at row o1 + k1*d1, column k2*d2. */
static void ck_conv_inplace(const float *x, const float *w, float *y,
                            float *scratch, const ck_conv_geom *g,
                            const ck_gemm_epi *e) {
  int64_t rows, cols, K = g->cg * g->kk;
  ck_conv_dw_plane(g, &rows, &cols);
  int32_t *off = (int32_t *)(void *)scratch;
  float *planes = scratch + ck_conv_inplace_table(g);
  for (int64_t c = 0, k = 0; c < g->cg; c++) {
    ck_dw_fill(x + c * g->pin, g, planes + c * rows * cols, rows, cols);
    for (int64_t k1 = 0; k1 < g->k[1]; k1++)
      for (int64_t k2 = 0; k2 < g->k[2]; k2++, k++)
        off[k] = (int32_t)(c * rows * cols + k1 * g->d[1] * cols + k2 * g->d[2]);
  }
  for (int64_t o1 = 0; o1 < g->out[1]; o1++)
    ck_sgemm_ind(g->mg, g->out[2], K, w, K, planes + o1 * cols, off,
                 y + o1 * g->out[2], g->pout, e);
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
      if (ck_conv_use_winograd(&g)) {
        ck_conv_winograd(x, w, y, col, &g, &epi);
        continue;
      }
      if (ck_conv_use_inplace(&g) && col) {
        ck_conv_inplace(x, w, y, col, &g, &epi);
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
