/*
 * interp_simd.h - 128-bit values and the lane operations of wasm SIMD, for
 * the interpreter (internal; included by interp.c only).
 *
 * A v128 is a union of GCC vector types, so that lane-wise arithmetic the
 * host does exactly as wasm wants (integer add/sub/mul and shifts, bitwise
 * ops, compares, IEEE f32/f64 add/sub/mul/div/sqrt, whose NaN results are
 * canonical or arithmetic just as the scalar ops') compiles to SSE2 on
 * x86-64 and to plain code elsewhere.  Operations whose host instructions
 * differ from wasm (min/max and their NaNs and signed zeros, rounding,
 * saturating conversions, q15mulr, narrowing to unsigned 16 bits...) are
 * written lane by lane.  SSE2 intrinsics are used only where the
 * instruction is exactly the wasm operation (saturating add/sub, rounding
 * average, pmaddwd, packs, movemask); every one of them has a portable
 * twin for other hosts.  Nothing here needs more than baseline x86-64.
 *
 * Values move between frame slots (8-byte aligned) and these unions with
 * memcpy, which compiles to unaligned 16-byte loads and stores.
 */
#ifndef CLAVE_ENGINE_INTERP_SIMD_H
#define CLAVE_ENGINE_INTERP_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define CL_SIMD_SSE2 1
#endif

typedef int8_t cl_i8x16 __attribute__((vector_size(16)));
typedef uint8_t cl_u8x16 __attribute__((vector_size(16)));
typedef int16_t cl_i16x8 __attribute__((vector_size(16)));
typedef uint16_t cl_u16x8 __attribute__((vector_size(16)));
typedef int32_t cl_i32x4 __attribute__((vector_size(16)));
typedef uint32_t cl_u32x4 __attribute__((vector_size(16)));
typedef int64_t cl_i64x2 __attribute__((vector_size(16)));
typedef uint64_t cl_u64x2 __attribute__((vector_size(16)));
typedef float cl_f32x4 __attribute__((vector_size(16)));
typedef double cl_f64x2 __attribute__((vector_size(16)));

typedef union cl_v128 {
  cl_i8x16 i8;
  cl_u8x16 u8;
  cl_i16x8 i16;
  cl_u16x8 u16;
  cl_i32x4 i32;
  cl_u32x4 u32;
  cl_i64x2 i64;
  cl_u64x2 u64;
  cl_f32x4 f32;
  cl_f64x2 f64;
#ifdef CL_SIMD_SSE2
  __m128i m;
#endif
  uint8_t b[16];
} cl_v128;

static inline cl_v128 v128_load(const void *p) {
  cl_v128 v;
  memcpy(&v, p, 16);
  return v;
}
static inline void v128_store(void *p, cl_v128 v) {
  memcpy(p, &v, 16);
}
static inline cl_v128 v128_zero(void) {
  cl_v128 v;
  v.u64 = (cl_u64x2){0, 0};
  return v;
}

/* mask ? a : b, lane-wise, for masks of all-ones / all-zeros lanes */
static inline cl_v128 v128_blend(cl_v128 mask, cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
  r.u64 = (mask.u64 & a.u64) | (~mask.u64 & b.u64);
  return r;
}

/* ---- floats ---- */

/* wasm min/max: a NaN operand gives a NaN (a + b: quiet, canonical when
 * the operands are), -0 is below +0.  Lanes where a == b (both zeros of
 * either sign included) take a | b (min) or a & b (max) of the bits. */
static inline cl_v128 v128_f32_min(cl_v128 a, cl_v128 b) {
  cl_v128 lt, eq, nan, r, nanv, eqv;
  lt.i32 = a.f32 < b.f32;
  eq.i32 = a.f32 == b.f32;
  nan.i32 = (a.f32 != a.f32) | (b.f32 != b.f32);
  nanv.f32 = a.f32 + b.f32;
  eqv.u32 = a.u32 | b.u32;
  r = v128_blend(lt, a, b);
  r = v128_blend(eq, eqv, r);
  return v128_blend(nan, nanv, r);
}
static inline cl_v128 v128_f32_max(cl_v128 a, cl_v128 b) {
  cl_v128 gt, eq, nan, r, nanv, eqv;
  gt.i32 = a.f32 > b.f32;
  eq.i32 = a.f32 == b.f32;
  nan.i32 = (a.f32 != a.f32) | (b.f32 != b.f32);
  nanv.f32 = a.f32 + b.f32;
  eqv.u32 = a.u32 & b.u32;
  r = v128_blend(gt, a, b);
  r = v128_blend(eq, eqv, r);
  return v128_blend(nan, nanv, r);
}
static inline cl_v128 v128_f64_min(cl_v128 a, cl_v128 b) {
  cl_v128 lt, eq, nan, r, nanv, eqv;
  lt.i64 = a.f64 < b.f64;
  eq.i64 = a.f64 == b.f64;
  nan.i64 = (a.f64 != a.f64) | (b.f64 != b.f64);
  nanv.f64 = a.f64 + b.f64;
  eqv.u64 = a.u64 | b.u64;
  r = v128_blend(lt, a, b);
  r = v128_blend(eq, eqv, r);
  return v128_blend(nan, nanv, r);
}
static inline cl_v128 v128_f64_max(cl_v128 a, cl_v128 b) {
  cl_v128 gt, eq, nan, r, nanv, eqv;
  gt.i64 = a.f64 > b.f64;
  eq.i64 = a.f64 == b.f64;
  nan.i64 = (a.f64 != a.f64) | (b.f64 != b.f64);
  nanv.f64 = a.f64 + b.f64;
  eqv.u64 = a.u64 & b.u64;
  r = v128_blend(gt, a, b);
  r = v128_blend(eq, eqv, r);
  return v128_blend(nan, nanv, r);
}

/* pmin: b < a ? b : a; pmax: a < b ? b : a (operands pass unchanged, NaNs
 * included) */
static inline cl_v128 v128_f32_pmin(cl_v128 a, cl_v128 b) {
  cl_v128 m;
  m.i32 = b.f32 < a.f32;
  return v128_blend(m, b, a);
}
static inline cl_v128 v128_f32_pmax(cl_v128 a, cl_v128 b) {
  cl_v128 m;
  m.i32 = a.f32 < b.f32;
  return v128_blend(m, b, a);
}
static inline cl_v128 v128_f64_pmin(cl_v128 a, cl_v128 b) {
  cl_v128 m;
  m.i64 = b.f64 < a.f64;
  return v128_blend(m, b, a);
}
static inline cl_v128 v128_f64_pmax(cl_v128 a, cl_v128 b) {
  cl_v128 m;
  m.i64 = a.f64 < b.f64;
  return v128_blend(m, b, a);
}

static inline cl_v128 v128_f32_sqrt(cl_v128 a) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.f32 = (cl_f32x4)_mm_sqrt_ps((__m128)a.f32);
#else
  for (int i = 0; i < 4; i++) r.f32[i] = sqrtf(a.f32[i]);
#endif
  return r;
}
static inline cl_v128 v128_f64_sqrt(cl_v128 a) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.f64 = (cl_f64x2)_mm_sqrt_pd((__m128d)a.f64);
#else
  for (int i = 0; i < 2; i++) r.f64[i] = sqrt(a.f64[i]);
#endif
  return r;
}

/* Rounding lane by lane; a NaN comes out quiet (libm may return it as it
 * came in). */
#define CL_V128_ROUND(NAME, LANES, FIELD, FN) \
  static inline cl_v128 NAME(cl_v128 a) {     \
    cl_v128 r = v128_zero();                  \
    for (int i = 0; i < LANES; i++) {         \
      __typeof__(a.FIELD[0]) x = a.FIELD[i];  \
      r.FIELD[i] = x != x ? x + x : FN(x);    \
    }                                         \
    return r;                                 \
  }
CL_V128_ROUND(v128_f32_ceil, 4, f32, ceilf)
CL_V128_ROUND(v128_f32_floor, 4, f32, floorf)
CL_V128_ROUND(v128_f32_trunc, 4, f32, truncf)
CL_V128_ROUND(v128_f32_nearest, 4, f32, nearbyintf)
CL_V128_ROUND(v128_f64_ceil, 2, f64, ceil)
CL_V128_ROUND(v128_f64_floor, 2, f64, floor)
CL_V128_ROUND(v128_f64_trunc, 2, f64, trunc)
CL_V128_ROUND(v128_f64_nearest, 2, f64, nearbyint)
#undef CL_V128_ROUND

/* saturating float -> integer (NaN: 0) */
static inline int32_t v128_sat_i32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483647.0) return INT32_MAX;
  return (int32_t)x;
}
static inline uint32_t v128_sat_u32(double x) {
  if (x != x || x <= 0) return 0;
  if (x >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)x;
}

/* ---- integers ---- */

static inline int32_t v128_sat16(int32_t x) {
  return x < INT16_MIN ? INT16_MIN : x > INT16_MAX ? INT16_MAX : x;
}

static inline cl_v128 v128_i8_add_sat_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_adds_epi8(a.m, b.m);
#else
  for (int i = 0; i < 16; i++) {
    int x = a.i8[i] + b.i8[i];
    r.i8[i] = (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
  }
#endif
  return r;
}
static inline cl_v128 v128_i8_add_sat_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_adds_epu8(a.m, b.m);
#else
  for (int i = 0; i < 16; i++) {
    int x = a.u8[i] + b.u8[i];
    r.u8[i] = (uint8_t)(x > 255 ? 255 : x);
  }
#endif
  return r;
}
static inline cl_v128 v128_i8_sub_sat_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_subs_epi8(a.m, b.m);
#else
  for (int i = 0; i < 16; i++) {
    int x = a.i8[i] - b.i8[i];
    r.i8[i] = (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
  }
#endif
  return r;
}
static inline cl_v128 v128_i8_sub_sat_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_subs_epu8(a.m, b.m);
#else
  for (int i = 0; i < 16; i++) {
    int x = a.u8[i] - b.u8[i];
    r.u8[i] = (uint8_t)(x < 0 ? 0 : x);
  }
#endif
  return r;
}
static inline cl_v128 v128_i16_add_sat_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_adds_epi16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++)
    r.i16[i] = (int16_t)v128_sat16(a.i16[i] + b.i16[i]);
#endif
  return r;
}
static inline cl_v128 v128_i16_add_sat_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_adds_epu16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++) {
    int32_t x = a.u16[i] + b.u16[i];
    r.u16[i] = (uint16_t)(x > 65535 ? 65535 : x);
  }
#endif
  return r;
}
static inline cl_v128 v128_i16_sub_sat_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_subs_epi16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++)
    r.i16[i] = (int16_t)v128_sat16(a.i16[i] - b.i16[i]);
#endif
  return r;
}
static inline cl_v128 v128_i16_sub_sat_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_subs_epu16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++) {
    int32_t x = a.u16[i] - b.u16[i];
    r.u16[i] = (uint16_t)(x < 0 ? 0 : x);
  }
#endif
  return r;
}

/* (a + b + 1) >> 1 without overflow */
static inline cl_v128 v128_i8_avgr_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_avg_epu8(a.m, b.m);
#else
  for (int i = 0; i < 16; i++)
    r.u8[i] = (uint8_t)((a.u8[i] + b.u8[i] + 1) >> 1);
#endif
  return r;
}
static inline cl_v128 v128_i16_avgr_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_avg_epu16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++)
    r.u16[i] = (uint16_t)(((uint32_t)a.u16[i] + b.u16[i] + 1) >> 1);
#endif
  return r;
}

/* i32x4.dot_i16x8_s: pairs of products summed, wrapping (the one
 * overflowing case, all four -32768, wraps to INT32_MIN as pmaddwd does) */
static inline cl_v128 v128_i32_dot_i16(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_madd_epi16(a.m, b.m);
#else
  for (int i = 0; i < 4; i++)
    r.u32[i] = (uint32_t)(a.i16[2 * i] * b.i16[2 * i]) +
               (uint32_t)(a.i16[2 * i + 1] * b.i16[2 * i + 1]);
#endif
  return r;
}

static inline cl_v128 v128_i16_q15mulr_sat_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
  for (int i = 0; i < 8; i++)
    r.i16[i] = (int16_t)v128_sat16((a.i16[i] * b.i16[i] + 0x4000) >> 15);
  return r;
}

/* narrowing with signed saturation (a's lanes first, then b's) */
static inline cl_v128 v128_i8_narrow_i16_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_packs_epi16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++) {
    int x = a.i16[i], y = b.i16[i];
    r.i8[i] = (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
    r.i8[i + 8] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
  }
#endif
  return r;
}
static inline cl_v128 v128_i8_narrow_i16_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_packus_epi16(a.m, b.m);
#else
  for (int i = 0; i < 8; i++) {
    int x = a.i16[i], y = b.i16[i];
    r.u8[i] = (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
    r.u8[i + 8] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
  }
#endif
  return r;
}
static inline cl_v128 v128_i16_narrow_i32_s(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
#ifdef CL_SIMD_SSE2
  r.m = _mm_packs_epi32(a.m, b.m);
#else
  for (int i = 0; i < 4; i++) {
    r.i16[i] = (int16_t)v128_sat16(a.i32[i]);
    r.i16[i + 4] = (int16_t)v128_sat16(b.i32[i]);
  }
#endif
  return r;
}
static inline cl_v128 v128_i16_narrow_i32_u(cl_v128 a, cl_v128 b) {
  cl_v128 r = v128_zero();
  for (int i = 0; i < 4; i++) {
    int32_t x = a.i32[i], y = b.i32[i];
    r.u16[i] = (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x);
    r.u16[i + 4] = (uint16_t)(y < 0 ? 0 : y > 65535 ? 65535 : y);
  }
  return r;
}

/* bitmask: the top bit of each lane, lane 0 in bit 0 */
static inline uint32_t v128_i8_bitmask(cl_v128 a) {
#ifdef CL_SIMD_SSE2
  return (uint32_t)_mm_movemask_epi8(a.m);
#else
  uint32_t r = 0;
  for (int i = 0; i < 16; i++) r |= (uint32_t)(a.u8[i] >> 7) << i;
  return r;
#endif
}
static inline uint32_t v128_i16_bitmask(cl_v128 a) {
  uint32_t r = 0;
  for (int i = 0; i < 8; i++) r |= (uint32_t)(a.u16[i] >> 15) << i;
  return r;
}
static inline uint32_t v128_i32_bitmask(cl_v128 a) {
#ifdef CL_SIMD_SSE2
  return (uint32_t)_mm_movemask_ps((__m128)a.f32);
#else
  uint32_t r = 0;
  for (int i = 0; i < 4; i++) r |= (a.u32[i] >> 31) << i;
  return r;
#endif
}
static inline uint32_t v128_i64_bitmask(cl_v128 a) {
  return (uint32_t)(a.u64[0] >> 63) | (uint32_t)(a.u64[1] >> 63) << 1;
}

static inline cl_v128 v128_swizzle(cl_v128 a, cl_v128 s) {
  cl_v128 r = v128_zero();
  for (int i = 0; i < 16; i++) r.u8[i] = s.u8[i] < 16 ? a.u8[s.u8[i] & 15] : 0;
  return r;
}

/* lanes 0-15 from a, 16-31 from b */
static inline cl_v128 v128_shuffle(cl_v128 a, cl_v128 b, const uint8_t m[16]) {
  uint8_t ab[32];
  memcpy(ab, &a, 16);
  memcpy(ab + 16, &b, 16);
  cl_v128 r = v128_zero();
  for (int i = 0; i < 16; i++) r.u8[i] = ab[m[i] & 31];
  return r;
}

#endif /* CLAVE_ENGINE_INTERP_SIMD_H */
