/*
 * k_pool.c - max, average and Lp pooling over 1 to 3 spatial dims (NCHW).
 *
 * Parameters: see enum ck_conv_param (the N slot holds N*C); t = {X, Y,
 * Indices or NULL} (MaxPool's optional second output, flat row-major
 * indices into X).  Padded positions never win a max; an average counts
 * them only with count_include_pad, and then only inside the padded area.
 */
#include <math.h>

#include "ck_internal.h"

enum { CK_POOL_MAX, CK_POOL_AVG, CK_POOL_LP };

static void ck_pool(const int64_t *p, void *const *t, int kind) {
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

CK_FN(maxpool_f32) {
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
