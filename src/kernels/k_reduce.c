/*
 * k_reduce.c - reductions, arg-max/min, softmax family, cumulative sums
 * and normalisations.
 *
 * Reductions work on a [outer, L, inner] view and reduce the middle axis:
 * p = {outer, L, inner}, t = {x, y} with y [outer, inner].  The compiler
 * merges adjacent reduced axes and transposes first when the reduced axes
 * are not adjacent, so one simple loop serves every axis set.  An empty
 * reduction gives the operator's identity (0 for a sum, -inf for a max).
 */
#include <math.h>

#include "ck_internal.h"

#define CK_REDUCE(name, T, ACC, INIT, STEP, FINAL)                           \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t outer = p[0], L = p[1], inner = p[2];                            \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        ACC acc = INIT;                                                      \
        for (int64_t l = 0; l < L; l++) {                                    \
          ACC v = (ACC)xr[l * inner];                                        \
          STEP;                                                              \
        }                                                                    \
        y[o * inner + i] = (T)(FINAL);                                       \
      }                                                                      \
    return NULL;                                                             \
  }

#define CK_FLOAT_REDUCE(T, sfx, F)                                           \
  CK_REDUCE(reduce_sum_##sfx, T, double, 0, acc += v, acc)                   \
  CK_REDUCE(reduce_mean_##sfx, T, double, 0, acc += v, L ? acc / (double)L : NAN) \
  CK_REDUCE(reduce_max_##sfx, T, T, -INFINITY, acc = v > acc ? v : acc, acc) \
  CK_REDUCE(reduce_min_##sfx, T, T, INFINITY, acc = v < acc ? v : acc, acc)  \
  CK_REDUCE(reduce_prod_##sfx, T, double, 1, acc *= v, acc)                  \
  CK_REDUCE(reduce_l1_##sfx, T, double, 0, acc += fabs(v), acc)              \
  CK_REDUCE(reduce_l2_##sfx, T, double, 0, acc += v * v, sqrt(acc))          \
  CK_REDUCE(reduce_sumsq_##sfx, T, double, 0, acc += v * v, acc)             \
  CK_REDUCE(reduce_logsum_##sfx, T, double, 0, acc += v, log(acc))
CK_FLOAT_REDUCE(float, f32, f)
CK_FLOAT_REDUCE(double, f64, )

#define CK_INT_REDUCE(T, UT, sfx, MINV, MAXV)                                \
  CK_REDUCE(reduce_sum_##sfx, T, UT, 0, acc += (UT)v, acc)                   \
  CK_REDUCE(reduce_mean_##sfx, T, int64_t, 0, acc += v, L ? acc / L : 0)     \
  CK_REDUCE(reduce_max_##sfx, T, T, MINV, acc = v > acc ? v : acc, acc)      \
  CK_REDUCE(reduce_min_##sfx, T, T, MAXV, acc = v < acc ? v : acc, acc)      \
  CK_REDUCE(reduce_prod_##sfx, T, UT, 1, acc *= (UT)v, acc)
CK_INT_REDUCE(int32_t, uint32_t, i32, INT32_MIN, INT32_MAX)
CK_INT_REDUCE(int64_t, uint64_t, i64, INT64_MIN, INT64_MAX)
CK_REDUCE(reduce_max_u8, uint8_t, uint8_t, 0, acc = v > acc ? v : acc, acc)
CK_REDUCE(reduce_min_u8, uint8_t, uint8_t, 255, acc = v < acc ? v : acc, acc)
CK_REDUCE(reduce_max_i8, int8_t, int8_t, -128, acc = v > acc ? v : acc, acc)
CK_REDUCE(reduce_min_i8, int8_t, int8_t, 127, acc = v < acc ? v : acc, acc)

/* log(sum(exp(x))) with the max taken out first for range */
#define CK_LOGSUMEXP(name, T)                                                \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t outer = p[0], L = p[1], inner = p[2];                            \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        double m = -INFINITY, s = 0;                                         \
        for (int64_t l = 0; l < L; l++)                                      \
          m = xr[l * inner] > m ? xr[l * inner] : m;                         \
        for (int64_t l = 0; l < L; l++)                                      \
          s += exp(xr[l * inner] - m);                                       \
        y[o * inner + i] = (T)(L ? m + log(s) : -INFINITY);                  \
      }                                                                      \
    return NULL;                                                             \
  }
CK_LOGSUMEXP(reduce_logsumexp_f32, float)
CK_LOGSUMEXP(reduce_logsumexp_f64, double)

/* argmax/argmin: p = {outer, L, inner, select_last_index}; y int64. */
#define CK_ARG(name, T, CMP)                                                 \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    int64_t *y = t[1];                                                       \
    int64_t outer = p[0], L = p[1], inner = p[2], last = p[3];               \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        int64_t best = 0;                                                    \
        for (int64_t l = 1; l < L; l++) {                                    \
          T v = xr[l * inner], b = xr[best * inner];                         \
          if ((v CMP b) || (last && v == b))                                 \
            best = l;                                                        \
        }                                                                    \
        y[o * inner + i] = best;                                             \
      }                                                                      \
    return NULL;                                                             \
  }
#define CK_ARGS(T, sfx) CK_ARG(argmax_##sfx, T, >) CK_ARG(argmin_##sfx, T, <)
CK_ARGS(float, f32)
CK_ARGS(double, f64)
CK_ARGS(int8_t, i8)
CK_ARGS(int16_t, i16)
CK_ARGS(int32_t, i32)
CK_ARGS(int64_t, i64)
CK_ARGS(uint8_t, u8)
CK_ARGS(uint16_t, u16)
CK_ARGS(uint32_t, u32)
CK_ARGS(uint64_t, u64)

/* softmax family: p = {outer, L, inner}, over the middle axis */
#define CK_SOFTMAX(name, T, LOG)                                             \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t outer = p[0], L = p[1], inner = p[2];                            \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        T *yr = y + o * L * inner + i;                                       \
        double m = -INFINITY, s = 0;                                         \
        for (int64_t l = 0; l < L; l++)                                      \
          m = xr[l * inner] > m ? xr[l * inner] : m;                         \
        for (int64_t l = 0; l < L; l++)                                      \
          s += exp((double)xr[l * inner] - m);                               \
        for (int64_t l = 0; l < L; l++)                                      \
          yr[l * inner] = LOG ? (T)((double)xr[l * inner] - m - log(s))      \
                              : (T)(exp((double)xr[l * inner] - m) / s);     \
      }                                                                      \
    return NULL;                                                             \
  }
CK_SOFTMAX(softmax_f32, float, 0)
CK_SOFTMAX(softmax_f64, double, 0)
CK_SOFTMAX(logsoftmax_f32, float, 1)
CK_SOFTMAX(logsoftmax_f64, double, 1)

#define CK_HARDMAX(name, T)                                                  \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t outer = p[0], L = p[1], inner = p[2];                            \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        T *yr = y + o * L * inner + i;                                       \
        int64_t best = 0;                                                    \
        for (int64_t l = 1; l < L; l++)                                      \
          if (xr[l * inner] > xr[best * inner])                              \
            best = l;                                                        \
        for (int64_t l = 0; l < L; l++)                                      \
          yr[l * inner] = l == best;                                         \
      }                                                                      \
    return NULL;                                                             \
  }
CK_HARDMAX(hardmax_f32, float)
CK_HARDMAX(hardmax_f64, double)

/* cumsum: p = {outer, L, inner, exclusive, reverse} */
#define CK_CUMSUM(name, T)                                                   \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t outer = p[0], L = p[1], inner = p[2], ex = p[3], rev = p[4];     \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t i = 0; i < inner; i++) {                                  \
        const T *xr = x + o * L * inner + i;                                 \
        T *yr = y + o * L * inner + i;                                       \
        T acc = 0;                                                           \
        for (int64_t j = 0; j < L; j++) {                                    \
          int64_t l = rev ? L - 1 - j : j;                                   \
          T v = xr[l * inner];                                               \
          if (ex) {                                                          \
            yr[l * inner] = acc;                                             \
            acc = (T)(acc + v);                                              \
          } else {                                                           \
            acc = (T)(acc + v);                                              \
            yr[l * inner] = acc;                                             \
          }                                                                  \
        }                                                                    \
      }                                                                      \
    return NULL;                                                             \
  }
CK_CUMSUM(cumsum_f32, float)
CK_CUMSUM(cumsum_f64, double)
CK_CUMSUM(cumsum_i32, int32_t)
CK_CUMSUM(cumsum_i64, int64_t)
CK_CUMSUM(cumsum_u32, uint32_t)
CK_CUMSUM(cumsum_u64, uint64_t)

/* scale_shift: y[n, c, i] = x[n, c, i] * scale[c] + shift[c];
 * p = {N, C, inner}; t = {x, scale, shift, y}.  BatchNormalization in
 * inference mode becomes this after folding its four constants. */
#define CK_SCALE_SHIFT(name, T)                                              \
  CK_FN(name) {                                                              \
    const T *x = t[0], *sc = t[1], *sh = t[2];                               \
    T *y = t[3];                                                             \
    int64_t N = p[0], C = p[1], inner = p[2];                                \
    for (int64_t n = 0; n < N; n++)                                          \
      for (int64_t c = 0; c < C; c++) {                                      \
        const T *xr = x + (n * C + c) * inner;                               \
        T *yr = y + (n * C + c) * inner;                                     \
        T a = sc[c], b = sh[c];                                              \
        for (int64_t i = 0; i < inner; i++)                                  \
          yr[i] = xr[i] * a + b;                                             \
      }                                                                      \
    return NULL;                                                             \
  }
CK_SCALE_SHIFT(scale_shift_f32, float)
CK_SCALE_SHIFT(scale_shift_f64, double)

/* instance_norm: p = {N, C, inner, eps}; t = {x, scale, bias, y} */
CK_FN(instance_norm_f32) {
  const float *x = t[0], *sc = t[1], *b = t[2];
  float *y = t[3];
  int64_t N = p[0], C = p[1], inner = p[2];
  double eps = ck_pf(p[3]);
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) {
      const float *xr = x + (n * C + c) * inner;
      float *yr = y + (n * C + c) * inner;
      double m = 0, v = 0;
      for (int64_t i = 0; i < inner; i++)
        m += xr[i];
      m = inner ? m / (double)inner : 0;
      for (int64_t i = 0; i < inner; i++)
        v += (xr[i] - m) * (xr[i] - m);
      v = inner ? v / (double)inner : 0;
      double k = sc[c] / sqrt(v + eps);
      for (int64_t i = 0; i < inner; i++)
        yr[i] = (float)((xr[i] - m) * k + b[c]);
    }
  return NULL;
}

/* layer_norm: p = {outer, L, eps}; t = {x, scale [L], bias [L] or NULL, y} */
CK_FN(layer_norm_f32) {
  const float *x = t[0], *sc = t[1], *b = t[2];
  float *y = t[3];
  int64_t outer = p[0], L = p[1];
  double eps = ck_pf(p[2]);
  for (int64_t o = 0; o < outer; o++) {
    const float *xr = x + o * L;
    float *yr = y + o * L;
    double m = 0, v = 0;
    for (int64_t l = 0; l < L; l++)
      m += xr[l];
    m = L ? m / (double)L : 0;
    for (int64_t l = 0; l < L; l++)
      v += (xr[l] - m) * (xr[l] - m);
    v = L ? v / (double)L : 0;
    double r = 1.0 / sqrt(v + eps);
    for (int64_t l = 0; l < L; l++)
      yr[l] = (float)((xr[l] - m) * r * sc[l] + (b ? b[l] : 0));
  }
  return NULL;
}

/* lrn: p = {N, C, inner, size, alpha, beta, bias}; t = {x, y} */
CK_FN(lrn_f32) {
  const float *x = t[0];
  float *y = t[1];
  int64_t N = p[0], C = p[1], inner = p[2], size = p[3];
  double alpha = ck_pf(p[4]), beta = ck_pf(p[5]), bias = ck_pf(p[6]);
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t i = 0; i < inner; i++) {
        double s = 0;
        for (int64_t j = c - lo; j <= c + hi; j++)
          if (j >= 0 && j < C) {
            double v = x[(n * C + j) * inner + i];
            s += v * v;
          }
        int64_t at = (n * C + c) * inner + i;
        y[at] = (float)(x[at] / pow(bias + alpha / (double)size * s, beta));
      }
  return NULL;
}

/* nll_loss: p = {N, C, D, reduction (0 none, 1 sum, 2 mean), ignore_index,
 * has_ignore}; t = {logprob [N, C, D], target [N, D] (int64), weight [C]
 * or NULL, loss}.  A target outside [0, C) that is not ignored is an
 * error. */
#define CK_NLL(name, T, I)                                                   \
  CK_FN(name) {                                                              \
    const T *x = t[0], *w = t[2];                                            \
    const I *tg = t[1];                                                      \
    T *y = t[3];                                                             \
    int64_t N = p[0], C = p[1], D = p[2], red = p[3], ign = p[4], hi = p[5]; \
    double sum = 0, wsum = 0;                                                \
    for (int64_t n = 0; n < N; n++)                                          \
      for (int64_t d = 0; d < D; d++) {                                      \
        int64_t c = (int64_t)tg[n * D + d];                                  \
        double l = 0, wt = 0;                                                \
        if (!(hi && c == ign)) {                                             \
          if (c < 0 || c >= C)                                               \
            return "NegativeLogLikelihoodLoss: target out of range";         \
          wt = w ? (double)w[c] : 1.0;                                       \
          l = -(double)x[(n * C + c) * D + d] * wt;                          \
        }                                                                    \
        if (red == 0)                                                        \
          y[n * D + d] = (T)l;                                               \
        sum += l;                                                            \
        wsum += wt;                                                          \
      }                                                                      \
    if (red == 1)                                                            \
      y[0] = (T)sum;                                                         \
    else if (red == 2)                                                       \
      y[0] = (T)(wsum != 0 ? sum / wsum : 0);                                \
    return NULL;                                                             \
  }
CK_NLL(nll_loss_f32_i64, float, int64_t)
CK_NLL(nll_loss_f64_i64, double, int64_t)
CK_NLL(nll_loss_f32_i32, float, int32_t)
CK_NLL(nll_loss_f64_i32, double, int32_t)

/* layer_norm_stats: as layer_norm, also writing mean and 1/std per row:
 * t = {x, scale, bias or NULL, y, mean or NULL, invstd or NULL} */
CK_FN(layer_norm_stats_f32) {
  const float *x = t[0], *sc = t[1], *b = t[2];
  float *y = t[3], *mo = t[4], *io = t[5];
  int64_t outer = p[0], L = p[1];
  double eps = ck_pf(p[2]);
  for (int64_t o = 0; o < outer; o++) {
    const float *xr = x + o * L;
    double m = 0, v = 0;
    for (int64_t l = 0; l < L; l++)
      m += xr[l];
    m = L ? m / (double)L : 0;
    for (int64_t l = 0; l < L; l++)
      v += (xr[l] - m) * (xr[l] - m);
    v = L ? v / (double)L : 0;
    double r = 1.0 / sqrt(v + eps);
    for (int64_t l = 0; l < L; l++)
      y[o * L + l] = (float)((xr[l] - m) * r * sc[l] + (b ? b[l] : 0));
    if (mo)
      mo[o] = (float)m;
    if (io)
      io[o] = (float)r;
  }
  return NULL;
}

/* trilu: p = {batch, rows, cols, k, upper}; t = {x, y} */
#define CK_TRILU(name, T)                                                    \
  CK_FN(name) {                                                              \
    const T *x = t[0];                                                       \
    T *y = t[1];                                                             \
    int64_t B = p[0], R = p[1], C = p[2], k = p[3], up = p[4];               \
    for (int64_t b = 0; b < B; b++)                                          \
      for (int64_t i = 0; i < R; i++)                                        \
        for (int64_t j = 0; j < C; j++) {                                    \
          int64_t at = (b * R + i) * C + j;                                  \
          int keep = up ? (j - i >= k) : (j - i <= k);                       \
          y[at] = keep ? x[at] : (T)0;                                       \
        }                                                                    \
    return NULL;                                                             \
  }
CK_TRILU(trilu_e1, uint8_t)
CK_TRILU(trilu_e2, uint16_t)
CK_TRILU(trilu_e4, uint32_t)
CK_TRILU(trilu_e8, uint64_t)
