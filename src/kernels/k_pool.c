/*
 * k_pool.c - max, average and Lp pooling over 1 to 3 spatial dims (NCHW).
 *
 * Parameters: see enum ck_conv_param (the N slot holds N*C); t = {X, Y,
 * Indices or NULL} (MaxPool's optional second output, flat row-major
 * indices into X).  Padded positions never win a max; an average counts
 * them only with count_include_pad, and then only inside the padded area.
 *
 * MaxPool over 2-d planes without Indices (what image networks use) has a
 * faster path: per output row the kernel rows inside the input are found
 * once, and the columns whose taps all fall inside run without checks,
 * four at a time with SIMD for strides 1 and 2.  It takes the same
 * maximum: the first tap, then every later tap that is greater.
 */
#include <math.h>

#include "ck_internal.h"
#include "k_conv.h"

enum { CK_POOL_MAX, CK_POOL_AVG, CK_POOL_LP };

/* inlined into each kernel, so that MaxPool and AveragePool never link pow */
static inline __attribute__((always_inline)) void ck_pool(const int64_t *p,
                                                          void *const *t,
                                                          int kind) {
  const float *X = t[0];
  float *Y = t[1];
  int64_t *I = kind == CK_POOL_MAX ? t[2] : NULL;
  int64_t nc = p[CK_CONV_N], in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
  for (int i = 0; i < 3; i++) {
    in[i] = p[CK_CONV_IN + i], out[i] = p[CK_CONV_OUT + i];
    k[i] = p[CK_CONV_K + i], s[i] = p[CK_CONV_S + i];
    d[i] = p[CK_CONV_D + i], pb[i] = p[CK_CONV_PB + i];
    pe[i] = p[CK_POOL_PE + i];
  }
  int incpad = (int)p[CK_POOL_INCPAD];
  double lp = kind == CK_POOL_LP ? (double)p[CK_POOL_P] : 0;
  int64_t pin = in[0] * in[1] * in[2], pout = out[0] * out[1] * out[2];
  for (int64_t c = 0; c < nc; c++) {
    const float *x = X + c * pin;
    float *y = Y + c * pout;
    for (int64_t o0 = 0; o0 < out[0]; o0++)
      for (int64_t o1 = 0; o1 < out[1]; o1++)
        for (int64_t o2 = 0; o2 < out[2]; o2++) {
          double acc = kind == CK_POOL_MAX ? -INFINITY : 0;
          int64_t best = -1, cnt = 0, padcnt = 0;
          for (int64_t k0 = 0; k0 < k[0]; k0++) {
            int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
            int in0 = i0 >= 0 && i0 < in[0];
            int pad0 = i0 >= -pb[0] && i0 < in[0] + pe[0];
            for (int64_t k1 = 0; k1 < k[1]; k1++) {
              int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
              int in1 = in0 && i1 >= 0 && i1 < in[1];
              int pad1 = pad0 && i1 >= -pb[1] && i1 < in[1] + pe[1];
              for (int64_t k2 = 0; k2 < k[2]; k2++) {
                int64_t i2 = o2 * s[2] - pb[2] + k2 * d[2];
                if (pad1 && i2 >= -pb[2] && i2 < in[2] + pe[2])
                  padcnt++;
                if (!in1 || i2 < 0 || i2 >= in[2])
                  continue;
                int64_t off = (i0 * in[1] + i1) * in[2] + i2;
                double v = x[off];
                cnt++;
                if (kind == CK_POOL_MAX) {
                  if (v > acc || best < 0) {
                    acc = v;
                    best = off;
                  }
                } else if (kind == CK_POOL_AVG) {
                  acc += v;
                } else {
                  acc += pow(fabs(v), lp);
                }
              }
            }
          }
          int64_t oi = (o0 * out[1] + o1) * out[2] + o2;
          if (kind == CK_POOL_MAX) {
            y[oi] = (float)acc;
            if (I)
              I[c * pout + oi] = best < 0 ? 0 : c * pin + best;
          } else if (kind == CK_POOL_AVG) {
            int64_t div = incpad ? padcnt : cnt;
            y[oi] = div ? (float)(acc / (double)div) : 0.0f;
          } else {
            y[oi] = (float)pow(acc, 1.0 / lp);
          }
        }
  }
}

/* one output with every tap checked (the border of ck_maxpool_2d) */
static float ck_max_point(const float *x, const ck_conv_geom *g, int64_t o1,
                          int64_t o2) {
  float acc = -INFINITY;
  int first = 1;
  for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
    int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
    if (i1 < 0 || i1 >= g->in[1])
      continue;
    for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
      int64_t i2 = o2 * g->s[2] - g->pb[2] + k2 * g->d[2];
      if (i2 < 0 || i2 >= g->in[2])
        continue;
      float v = x[i1 * g->in[2] + i2];
      if (first || v > acc)
        acc = v;
      first = 0;
    }
  }
  return acc;
}

static void ck_maxpool_2d(const float *X, float *Y, int64_t nc,
                          const ck_conv_geom *g) {
  int64_t clo, chi, lo2, hi2;
  ck_valid_range(g->out[2], g->s[2], -g->pb[2], g->in[2], &clo, &hi2);
  ck_valid_range(g->out[2], g->s[2], -g->pb[2] + (g->k[2] - 1) * g->d[2],
                 g->in[2], &lo2, &chi);
  if (lo2 > clo)
    clo = lo2;
  if (hi2 < chi)
    chi = hi2;
  if (chi < clo)
    chi = clo;
  int64_t s2 = g->s[2], d2 = g->d[2], K2 = g->k[2];
  for (int64_t c = 0; c < nc; c++) {
    const float *x = X + c * g->pin;
    float *y = Y + c * g->pout;
    for (int64_t o1 = 0; o1 < g->out[1]; o1++, y += g->out[2]) {
      int64_t k1lo, k1hi, b1 = o1 * g->s[1] - g->pb[1];
      ck_valid_range(g->k[1], g->d[1], b1, g->in[1], &k1lo, &k1hi);
      for (int64_t o2 = 0; o2 < clo; o2++)
        y[o2] = ck_max_point(x, g, o1, o2);
      for (int64_t o2 = chi; o2 < g->out[2]; o2++)
        y[o2] = ck_max_point(x, g, o1, o2);
      if (k1lo >= k1hi) { /* no row inside: no tap at all */
        for (int64_t o2 = clo; o2 < chi; o2++)
          y[o2] = -INFINITY;
        continue;
      }
      const float *xb = x + (b1 + k1lo * g->d[1]) * g->in[2] - g->pb[2];
      int64_t o2 = clo;
#if CK_SIMD
      if (s2 <= 2)
        for (; o2 + 4 <= chi; o2 += 4) {
          const float *r = xb + o2 * s2;
          ck_v4 acc = ck_v4_load_s(r, s2);
          for (int64_t k1 = k1lo; k1 < k1hi; k1++, r += g->d[1] * g->in[2])
            for (int64_t k2 = k1 == k1lo; k2 < K2; k2++) {
              ck_v4 v = ck_v4_load_s(r + k2 * d2, s2);
              ck_i4 m = v > acc;
              acc = (ck_v4)(((ck_i4)v & m) | ((ck_i4)acc & ~m));
            }
          ck_v4_store(y + o2, acc);
        }
#endif
      for (; o2 < chi; o2++) {
        const float *r = xb + o2 * s2;
        float acc = r[0];
        for (int64_t k1 = k1lo; k1 < k1hi; k1++, r += g->d[1] * g->in[2])
          for (int64_t k2 = k1 == k1lo; k2 < K2; k2++) {
            float v = r[k2 * d2];
            if (v > acc)
              acc = v;
          }
        y[o2] = acc;
      }
    }
  }
}

CK_FN(maxpool_f32) {
  ck_conv_geom g;
  ck_conv_geom_init(&g, p);
  if (!t[2] && g.in[0] == 1 && g.out[0] == 1 && g.k[0] == 1 && g.pb[0] == 0) {
    ck_maxpool_2d(t[0], t[1], p[CK_CONV_N], &g);
    return NULL;
  }
  ck_pool(p, t, CK_POOL_MAX);
  return NULL;
}
CK_FN(avgpool_f32) {
  ck_pool(p, t, CK_POOL_AVG);
  return NULL;
}
CK_FN(lppool_f32) {
  ck_pool(p, t, CK_POOL_LP);
  return NULL;
}
