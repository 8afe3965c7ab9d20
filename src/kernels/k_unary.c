/*
 * k_unary.c - element-wise unary operators and activations.
 *
 * Parameters: p = {n, a, b} where a and b are the operator's attributes
 * (alpha, beta, min, max...) as double bits for float kernels and as plain
 * integers for integer kernels (Clip of int8 must not round through a
 * double); t = {x, y}.  y may be x (in place).  Float kernels of f32 call
 * the float versions of libm (expf), f64 the double ones.
 */
#include <math.h>

#include "ck_internal.h"

#define CK_UNARY(name, T, U, EXPR)                                           \
  CK_FN(name) {                                                              \
    const T *xs = t[0];                                                      \
    U *y = t[1];                                                             \
    int64_t n = p[0];                                                        \
    double fa = ck_pf(p[1]), fb = ck_pf(p[2]);                               \
    (void)fa;                                                                \
    (void)fb;                                                                \
    for (int64_t i = 0; i < n; i++) {                                        \
      T x = xs[i];                                                           \
      y[i] = (U)(EXPR);                                                      \
    }                                                                        \
    return NULL;                                                             \
  }

/* integer attributes come as integers */
#define CK_UNARY_I(name, T, EXPR)                                            \
  CK_FN(name) {                                                              \
    const T *xs = t[0];                                                      \
    T *y = t[1];                                                             \
    int64_t n = p[0], ia = p[1], ib = p[2];                                  \
    (void)ia;                                                                \
    (void)ib;                                                                \
    for (int64_t i = 0; i < n; i++) {                                        \
      T x = xs[i];                                                           \
      y[i] = (T)(EXPR);                                                      \
    }                                                                        \
    return NULL;                                                             \
  }

static inline double ck_softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

#define CK_FLOAT_UNARY(T, sfx, F)                                            \
  CK_UNARY(abs_##sfx, T, T, fabs##F(x))                                      \
  CK_UNARY(neg_##sfx, T, T, -x)                                              \
  CK_UNARY(sign_##sfx, T, T, x > 0 ? 1 : (x < 0 ? -1 : x))                   \
  CK_UNARY(relu_##sfx, T, T, x > 0 ? x : 0)                                  \
  CK_UNARY(clip_##sfx, T, T, x < fa ? (T)fa : (x > fb ? (T)fb : x))          \
  CK_UNARY(exp_##sfx, T, T, exp##F(x))                                       \
  CK_UNARY(log_##sfx, T, T, log##F(x))                                       \
  CK_UNARY(sqrt_##sfx, T, T, sqrt##F(x))                                     \
  CK_UNARY(reciprocal_##sfx, T, T, (T)1 / x)                                 \
  CK_UNARY(sigmoid_##sfx, T, T, (T)1 / ((T)1 + exp##F(-x)))                  \
  CK_UNARY(tanh_##sfx, T, T, tanh##F(x))                                     \
  CK_UNARY(sin_##sfx, T, T, sin##F(x))                                       \
  CK_UNARY(cos_##sfx, T, T, cos##F(x))                                       \
  CK_UNARY(tan_##sfx, T, T, tan##F(x))                                       \
  CK_UNARY(asin_##sfx, T, T, asin##F(x))                                     \
  CK_UNARY(acos_##sfx, T, T, acos##F(x))                                     \
  CK_UNARY(atan_##sfx, T, T, atan##F(x))                                     \
  CK_UNARY(sinh_##sfx, T, T, sinh##F(x))                                     \
  CK_UNARY(cosh_##sfx, T, T, cosh##F(x))                                     \
  CK_UNARY(asinh_##sfx, T, T, asinh##F(x))                                   \
  CK_UNARY(acosh_##sfx, T, T, acosh##F(x))                                   \
  CK_UNARY(atanh_##sfx, T, T, atanh##F(x))                                   \
  CK_UNARY(floor_##sfx, T, T, floor##F(x))                                   \
  CK_UNARY(ceil_##sfx, T, T, ceil##F(x))                                     \
  CK_UNARY(round_##sfx, T, T, nearbyint##F(x))                               \
  CK_UNARY(erf_##sfx, T, T, erf##F(x))                                       \
  CK_UNARY(softplus_##sfx, T, T, ck_softplus(x))                             \
  CK_UNARY(softsign_##sfx, T, T, x / ((T)1 + fabs##F(x)))                    \
  CK_UNARY(elu_##sfx, T, T, x < 0 ? fa * (exp##F(x) - 1) : x)                \
  CK_UNARY(selu_##sfx, T, T, x <= 0 ? fb * (fa * exp##F(x) - fa) : fb * x)   \
  CK_UNARY(celu_##sfx, T, T,                                                 \
           (x > 0 ? x : 0) + fmin(0.0, fa * (exp((double)x / fa) - 1)))      \
  CK_UNARY(leakyrelu_##sfx, T, T, x < 0 ? (T)fa * x : x)                     \
  CK_UNARY(hardsigmoid_##sfx, T, T, fmax(0.0, fmin(1.0, fa * x + fb)))       \
  CK_UNARY(hardswish_##sfx, T, T,                                            \
           x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5)))                          \
  CK_UNARY(thresholdedrelu_##sfx, T, T, x > fa ? x : 0)                      \
  CK_UNARY(mish_##sfx, T, T, x * tanh(ck_softplus(x)))                       \
  CK_UNARY(gelu_##sfx, T, T, 0.5 * x * (1 + erf(x / 1.4142135623730951)))    \
  CK_UNARY(gelu_tanh_##sfx, T, T,                                            \
           0.5 * x *                                                         \
               (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))))  \
  CK_UNARY(shrink_##sfx, T, T, x < -fb ? x + fa : (x > fb ? x - fa : 0))     \
  CK_UNARY(isnan_##sfx, T, uint8_t, x != x)                                  \
  CK_UNARY(isinf_##sfx, T, uint8_t,                                          \
           (fb != 0 && x == (T)INFINITY) || (fa != 0 && x == -(T)INFINITY))
CK_FLOAT_UNARY(float, f32, f)
CK_FLOAT_UNARY(double, f64, )

#define CK_SINT_UNARY(T, UT, sfx)                                            \
  CK_UNARY_I(abs_##sfx, T, x < 0 ? (T)(0u - (UT)x) : x)                      \
  CK_UNARY_I(neg_##sfx, T, (T)(0u - (UT)x))                                  \
  CK_UNARY_I(sign_##sfx, T, x > 0 ? 1 : (x < 0 ? -1 : 0))                    \
  CK_UNARY_I(relu_##sfx, T, x > 0 ? x : 0)                                   \
  CK_UNARY_I(clip_##sfx, T, x < ia ? ia : (x > ib ? ib : x))                 \
  CK_UNARY_I(bitnot_##sfx, T, ~x)
CK_SINT_UNARY(int8_t, uint8_t, i8)
CK_SINT_UNARY(int16_t, uint16_t, i16)
CK_SINT_UNARY(int32_t, uint32_t, i32)
CK_SINT_UNARY(int64_t, uint64_t, i64)

#define CK_UINT_UNARY(T, sfx)                                                \
  CK_UNARY_I(abs_##sfx, T, x)                                                \
  CK_UNARY_I(neg_##sfx, T, 0u - x)                                           \
  CK_UNARY_I(sign_##sfx, T, x > 0)                                           \
  CK_UNARY_I(relu_##sfx, T, x)                                               \
  CK_UNARY_I(clip_##sfx, T,                                                  \
             x < (uint64_t)ia ? (uint64_t)ia : (x > (uint64_t)ib ? (uint64_t)ib : x)) \
  CK_UNARY_I(bitnot_##sfx, T, ~x)
CK_UINT_UNARY(uint8_t, u8)
CK_UINT_UNARY(uint16_t, u16)
CK_UINT_UNARY(uint32_t, u32)
CK_UINT_UNARY(uint64_t, u64)

CK_UNARY(not_b, uint8_t, uint8_t, !x)
