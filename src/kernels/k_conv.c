/*
 * k_conv.c - convolution and transposed convolution (1 to 3 spatial dims),
 * NCHW, with groups, strides, dilations, padding, bias and a fused
 * activation.
 *
 * Convolution is im2col into the scratch buffer followed by the GEMM core
 * (weights [M/G, C/G*k] times columns [C/G*k, out]); a 1x1 convolution
 * with unit stride and no padding skips im2col.  Depthwise convolutions
 * (one input channel per group) run a direct loop, which beats im2col
 * there.  Parameters: see enum ck_conv_param; t = {X, W, B or NULL, Y,
 * scratch}.
 */
#include "ck_internal.h"
#include "k_gemm.h"

typedef struct ck_conv_geom {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
  int64_t pin, pout, kk; /* products */
} ck_conv_geom;

static void ck_conv_geom_init(ck_conv_geom *g, const int64_t *p) {
  for (int i = 0; i < 3; i++) {
    g->in[i] = p[CK_CONV_IN + i];
    g->out[i] = p[CK_CONV_OUT + i];
    g->k[i] = p[CK_CONV_K + i];
    g->s[i] = p[CK_CONV_S + i];
    g->d[i] = p[CK_CONV_D + i];
    g->pb[i] = p[CK_CONV_PB + i];
  }
  g->pin = g->in[0] * g->in[1] * g->in[2];
  g->pout = g->out[0] * g->out[1] * g->out[2];
  g->kk = g->k[0] * g->k[1] * g->k[2];
}

static int ck_conv_is_pointwise(const ck_conv_geom *g) {
  for (int i = 0; i < 3; i++)
    if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->in[i] != g->out[i])
      return 0;
  return 1;
}

/* col[(c*kk + kpos), opos] for cg channels of x */
static void ck_im2col(const float *x, int64_t cg, const ck_conv_geom *g,
                      float *col) {
  int64_t P = g->pout;
  for (int64_t c = 0; c < cg; c++) {
    const float *xc = x + c * g->pin;
    for (int64_t k0 = 0; k0 < g->k[0]; k0++)
      for (int64_t k1 = 0; k1 < g->k[1]; k1++)
        for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
          float *dst = col + (((c * g->k[0] + k0) * g->k[1] + k1) * g->k[2] + k2) * P;
          for (int64_t o0 = 0; o0 < g->out[0]; o0++) {
            int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
            float *d0 = dst + o0 * g->out[1] * g->out[2];
            if (i0 < 0 || i0 >= g->in[0]) {
              memset(d0, 0, (size_t)(g->out[1] * g->out[2]) * sizeof(float));
              continue;
            }
            for (int64_t o1 = 0; o1 < g->out[1]; o1++) {
              int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
              float *d1 = d0 + o1 * g->out[2];
              if (i1 < 0 || i1 >= g->in[1]) {
                memset(d1, 0, (size_t)g->out[2] * sizeof(float));
                continue;
              }
              const float *xr = xc + (i0 * g->in[1] + i1) * g->in[2];
              int64_t i2 = k2 * g->d[2] - g->pb[2];
              for (int64_t o2 = 0; o2 < g->out[2]; o2++, i2 += g->s[2])
                d1[o2] = (i2 >= 0 && i2 < g->in[2]) ? xr[i2] : 0.0f;
            }
          }
        }
  }
}

static void ck_conv_depthwise(const float *x, const float *w, float *y,
                              const ck_conv_geom *g) {
  for (int64_t o0 = 0; o0 < g->out[0]; o0++)
    for (int64_t o1 = 0; o1 < g->out[1]; o1++)
      for (int64_t o2 = 0; o2 < g->out[2]; o2++) {
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
        y[(o0 * g->out[1] + o1) * g->out[2] + o2] = s;
      }
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
  for (int64_t n = 0; n < N; n++) {
    for (int64_t gi = 0; gi < G; gi++) {
      const float *x = X + (n * C + gi * cg) * g.pin;
      const float *w = W + gi * mg * Kc;
      float *y = Y + (n * M + gi * mg) * g.pout;
      if (cg == 1 && mg == 1) {
        ck_conv_depthwise(x, w, y, &g);
        continue;
      }
      const float *b = x;
      if (!pointwise) {
        ck_im2col(x, cg, &g, col);
        b = col;
      }
      ck_sgemm(mg, g.pout, Kc, w, Kc, 1, b, g.pout, y, g.pout);
    }
    ck_epilogue(Y + n * M * g.pout, M, g.pout, g.pout, 1.0f, B,
                B ? CK_BIAS_COL : CK_BIAS_NONE, 1.0f, (int)p[CK_CONV_ACT],
                (float)ck_pf(p[CK_CONV_ACTA]), (float)ck_pf(p[CK_CONV_ACTB]));
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
