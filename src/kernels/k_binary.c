/*
 * k_binary.c - element-wise binary operators with numpy broadcasting.
 *
 * Parameters: p = {rank, dims[rank], astr[rank], bstr[rank]} with element
 * strides of each operand over the output's index space (0 where it is
 * broadcast); t = {a, b, out}.  The compiler merges dimensions first, so
 * the innermost stride of each operand is 0 or 1 and the inner loop is one
 * of four plain loops the C compiler can vectorise.
 *
 * Integer division and modulo by zero give 0 (and INT_MIN / -1 wraps)
 * rather than trapping: data must never stop a payload with a trap.
 */
#include <math.h>

#include "ck_internal.h"

#define CK_BINARY(name, T, U, EXPR)                                          \
  CK_FN(name) {                                                              \
    const T *a = t[0], *b = t[1];                                            \
    U *y = t[2];                                                             \
    int64_t rank = p[0];                                                     \
    const int64_t *dims = p + 1;                                             \
    const int64_t *str[2] = {p + 1 + rank, p + 1 + 2 * rank};                \
    int64_t outer = ck_prod(dims, rank - 1), n = dims[rank - 1];             \
    int64_t sa = str[0][rank - 1], sb = str[1][rank - 1];                    \
    int64_t idx[CK_MAX_RANK] = {0}, off[2] = {0, 0};                         \
    for (int64_t o = 0; o < outer; o++) {                                    \
      const T *pa = a + off[0], *pb = b + off[1];                            \
      if (sa && sb) {                                                        \
        for (int64_t i = 0; i < n; i++) {                                    \
          T x = pa[i], z = pb[i];                                            \
          y[i] = (U)(EXPR);                                                  \
        }                                                                    \
      } else if (sa) {                                                       \
        T z = pb[0];                                                         \
        for (int64_t i = 0; i < n; i++) {                                    \
          T x = pa[i];                                                       \
          y[i] = (U)(EXPR);                                                  \
        }                                                                    \
      } else if (sb) {                                                       \
        T x = pa[0];                                                         \
        for (int64_t i = 0; i < n; i++) {                                    \
          T z = pb[i];                                                       \
          y[i] = (U)(EXPR);                                                  \
        }                                                                    \
      } else {                                                               \
        T x = pa[0], z = pb[0];                                              \
        U v = (U)(EXPR);                                                     \
        for (int64_t i = 0; i < n; i++)                                      \
          y[i] = v;                                                          \
      }                                                                      \
      y += n;                                                                \
      ck_step(rank, dims, idx, 2, off, str);                                 \
    }                                                                        \
    return NULL;                                                             \
  }

/* integer helpers: no traps, no signed overflow UB */
#define CK_SDIV(T, x, z)                                                     \
  ((z) == 0 ? (T)0 : ((z) == -1 ? (T)(0u - (uint64_t)(x)) : (T)((x) / (z))))
#define CK_UDIV(T, x, z) ((z) == 0 ? (T)0 : (T)((x) / (z)))

static inline int64_t ck_smod(int64_t x, int64_t z) {
  if (z == 0 || z == -1)
    return 0;
  int64_t r = x % z;
  if (r != 0 && ((r < 0) != (z < 0)))
    r += z;
  return r;
}
static inline int64_t ck_sfmod(int64_t x, int64_t z) {
  if (z == 0 || z == -1)
    return 0;
  return x % z;
}
static inline double ck_pymodf(double x, double z) {
  double r = fmod(x, z);
  if (r != 0 && ((r < 0) != (z < 0)))
    r += z;
  return r;
}
static inline int64_t ck_ipow(int64_t b, int64_t e) {
  if (e < 0)
    return b == 1 ? 1 : (b == -1 ? ((e & 1) ? -1 : 1) : 0);
  uint64_t r = 1, ub = (uint64_t)b;
  while (e) {
    if (e & 1)
      r *= ub;
    ub *= ub;
    e >>= 1;
  }
  return (int64_t)r;
}

/* wrap-around signed arithmetic done in unsigned */
#define CK_WRAP(T, UT, x, op, z) ((T)((UT)(x) op (UT)(z)))

#define CK_ARITH_F(T, sfx)                                                   \
  CK_BINARY(add_##sfx, T, T, x + z)                                          \
  CK_BINARY(sub_##sfx, T, T, x - z)                                          \
  CK_BINARY(mul_##sfx, T, T, x * z)                                          \
  CK_BINARY(div_##sfx, T, T, x / z)                                          \
  CK_BINARY(min_##sfx, T, T, (x != x || z != z) ? x + z : (x < z ? x : z))   \
  CK_BINARY(max_##sfx, T, T, (x != x || z != z) ? x + z : (x > z ? x : z))   \
  CK_BINARY(pow_##sfx, T, T, pow((double)x, (double)z))                      \
  CK_BINARY(mod_##sfx, T, T, ck_pymodf(x, z))                                \
  CK_BINARY(fmod_##sfx, T, T, fmod(x, z))                                    \
  CK_BINARY(prelu_##sfx, T, T, x < 0 ? x * z : x)                            \
  CK_BINARY(equal_##sfx, T, uint8_t, x == z)                                 \
  CK_BINARY(less_##sfx, T, uint8_t, x < z)                                   \
  CK_BINARY(greater_##sfx, T, uint8_t, x > z)                                \
  CK_BINARY(less_equal_##sfx, T, uint8_t, x <= z)                            \
  CK_BINARY(greater_equal_##sfx, T, uint8_t, x >= z)
CK_ARITH_F(float, f32)
CK_ARITH_F(double, f64)

#define CK_ARITH_I(T, UT, sfx, DIV, MOD, FMOD)                               \
  CK_BINARY(add_##sfx, T, T, CK_WRAP(T, UT, x, +, z))                        \
  CK_BINARY(sub_##sfx, T, T, CK_WRAP(T, UT, x, -, z))                        \
  CK_BINARY(mul_##sfx, T, T, CK_WRAP(T, UT, x, *, z))                        \
  CK_BINARY(div_##sfx, T, T, DIV(T, x, z))                                   \
  CK_BINARY(min_##sfx, T, T, x < z ? x : z)                                  \
  CK_BINARY(max_##sfx, T, T, x > z ? x : z)                                  \
  CK_BINARY(pow_##sfx, T, T, ck_ipow((int64_t)x, (int64_t)z))                \
  CK_BINARY(mod_##sfx, T, T, MOD)                                            \
  CK_BINARY(fmod_##sfx, T, T, FMOD)                                          \
  CK_BINARY(equal_##sfx, T, uint8_t, x == z)                                 \
  CK_BINARY(less_##sfx, T, uint8_t, x < z)                                   \
  CK_BINARY(greater_##sfx, T, uint8_t, x > z)                                \
  CK_BINARY(less_equal_##sfx, T, uint8_t, x <= z)                            \
  CK_BINARY(greater_equal_##sfx, T, uint8_t, x >= z)                         \
  CK_BINARY(bitand_##sfx, T, T, x & z)                                       \
  CK_BINARY(bitor_##sfx, T, T, x | z)                                        \
  CK_BINARY(bitxor_##sfx, T, T, x ^ z)

#define CK_SMOD(x, z) ck_smod((int64_t)(x), (int64_t)(z))
#define CK_SFMOD(x, z) ck_sfmod((int64_t)(x), (int64_t)(z))
#define CK_UMOD(x, z) ((z) == 0 ? 0 : (x) % (z))
CK_ARITH_I(int8_t, uint8_t, i8, CK_SDIV, CK_SMOD(x, z), CK_SFMOD(x, z))
CK_ARITH_I(int16_t, uint16_t, i16, CK_SDIV, CK_SMOD(x, z), CK_SFMOD(x, z))
CK_ARITH_I(int32_t, uint32_t, i32, CK_SDIV, CK_SMOD(x, z), CK_SFMOD(x, z))
CK_ARITH_I(int64_t, uint64_t, i64, CK_SDIV, CK_SMOD(x, z), CK_SFMOD(x, z))
CK_ARITH_I(uint8_t, uint8_t, u8, CK_UDIV, CK_UMOD(x, z), CK_UMOD(x, z))
CK_ARITH_I(uint16_t, uint16_t, u16, CK_UDIV, CK_UMOD(x, z), CK_UMOD(x, z))
CK_ARITH_I(uint32_t, uint32_t, u32, CK_UDIV, CK_UMOD(x, z), CK_UMOD(x, z))
CK_ARITH_I(uint64_t, uint64_t, u64, CK_UDIV, CK_UMOD(x, z), CK_UMOD(x, z))

#define CK_PRELU_I(T, UT, sfx)                                               \
  CK_BINARY(prelu_##sfx, T, T, x < 0 ? CK_WRAP(T, UT, x, *, z) : x)
CK_PRELU_I(int8_t, uint8_t, i8)
CK_PRELU_I(int16_t, uint16_t, i16)
CK_PRELU_I(int32_t, uint32_t, i32)
CK_PRELU_I(int64_t, uint64_t, i64)
CK_BINARY(prelu_u8, uint8_t, uint8_t, x + 0 * z)
CK_BINARY(prelu_u16, uint16_t, uint16_t, x + 0 * z)
CK_BINARY(prelu_u32, uint32_t, uint32_t, x + 0 * z)
CK_BINARY(prelu_u64, uint64_t, uint64_t, x + 0 * z)

CK_BINARY(equal_b, uint8_t, uint8_t, (x != 0) == (z != 0))
CK_BINARY(and_b, uint8_t, uint8_t, x && z)
CK_BINARY(or_b, uint8_t, uint8_t, x || z)
CK_BINARY(xor_b, uint8_t, uint8_t, (x != 0) != (z != 0))

#define CK_SHIFTS(T, sfx, BITS)                                              \
  CK_BINARY(shl_##sfx, T, T, z >= BITS ? 0 : (T)((uint64_t)x << z))          \
  CK_BINARY(shr_##sfx, T, T, z >= BITS ? 0 : (T)((uint64_t)x >> z))
CK_SHIFTS(uint8_t, u8, 8)
CK_SHIFTS(uint16_t, u16, 16)
CK_SHIFTS(uint32_t, u32, 32)
CK_SHIFTS(uint64_t, u64, 64)

/* Pow with an integer exponent tensor. */
#define CK_BINARY2(name, T, E, U, EXPR)                                      \
  CK_FN(name) {                                                              \
    const T *a = t[0];                                                       \
    const E *b = t[1];                                                       \
    U *y = t[2];                                                             \
    int64_t rank = p[0];                                                     \
    const int64_t *dims = p + 1;                                             \
    const int64_t *str[2] = {p + 1 + rank, p + 1 + 2 * rank};                \
    int64_t outer = ck_prod(dims, rank - 1), n = dims[rank - 1];             \
    int64_t sa = str[0][rank - 1], sb = str[1][rank - 1];                    \
    int64_t idx[CK_MAX_RANK] = {0}, off[2] = {0, 0};                         \
    for (int64_t o = 0; o < outer; o++) {                                    \
      for (int64_t i = 0; i < n; i++) {                                      \
        T x = a[off[0] + i * sa];                                            \
        E z = b[off[1] + i * sb];                                            \
        y[i] = (U)(EXPR);                                                    \
      }                                                                      \
      y += n;                                                                \
      ck_step(rank, dims, idx, 2, off, str);                                 \
    }                                                                        \
    return NULL;                                                             \
  }
CK_BINARY2(pow_f32_i32, float, int32_t, float, pow((double)x, (double)z))
CK_BINARY2(pow_f32_i64, float, int64_t, float, pow((double)x, (double)z))
CK_BINARY2(pow_f64_i64, double, int64_t, double, pow(x, (double)z))
