/*
 * ck.h - Clave's kernel library: the contract between generated model code
 * and the kernels.
 *
 * Every kernel has one signature:
 *
 *     const char *ck_NAME(const int64_t *p, void *const *t);
 *
 * p holds the kernel's parameters (shapes, strides, attributes; floats are
 * stored as the bit pattern of a double, read back with ck_pf), fixed at
 * compile time; t holds the tensor pointers, inputs first, then outputs,
 * then scratch buffers.  A kernel returns NULL, or a static message when
 * the data makes the operation impossible (an index out of range); it
 * never reads or writes outside the tensors it was given.
 *
 * One signature lets the compiler run the same kernels natively (constant
 * folding, differential tests) through a static table (ck_list.h), and lets
 * the generated C call them with nothing but constant arrays.  Kernels are
 * specialised by element type in their names (ck_add_f32), so a payload
 * links only the ones it calls.  This file is compiled into payloads for
 * wasm32 and into libclave natively: it must stay freestanding C.
 */
#ifndef CK_H
#define CK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Element types: the values of ONNX's TensorProto.DataType. */
enum ck_dtype {
  CK_UNDEFINED = 0,
  CK_FLOAT = 1,
  CK_UINT8 = 2,
  CK_INT8 = 3,
  CK_UINT16 = 4,
  CK_INT16 = 5,
  CK_INT32 = 6,
  CK_INT64 = 7,
  CK_STRING = 8,
  CK_BOOL = 9,
  CK_FLOAT16 = 10,
  CK_DOUBLE = 11,
  CK_UINT32 = 12,
  CK_UINT64 = 13,
  CK_COMPLEX64 = 14,
  CK_COMPLEX128 = 15,
  CK_BFLOAT16 = 16,
  CK_DTYPE_COUNT = 17
};

#define CK_MAX_RANK 8

/* Fused activations of Conv and Gemm (p[...] "act", then two float args). */
enum ck_act {
  CK_ACT_NONE = 0,
  CK_ACT_RELU = 1,
  CK_ACT_CLIP = 2,      /* min(max(x, a), b) */
  CK_ACT_SIGMOID = 3,
  CK_ACT_LEAKYRELU = 4, /* x < 0 ? a * x : x */
  CK_ACT_TANH = 5
};

/* Parameter layout of convolutions and pools: spatial arrays hold three
 * entries, unused trailing dims set to 1 (kernel, stride, dilation) or 0
 * (padding). */
enum ck_conv_param {
  CK_CONV_NSP = 0, /* spatial dims: 1..3 */
  CK_CONV_N = 1,   /* batch */
  CK_CONV_C = 2,   /* input channels */
  CK_CONV_M = 3,   /* output channels */
  CK_CONV_G = 4,   /* groups */
  CK_CONV_IN = 5,  /* input spatial dims [3] */
  CK_CONV_OUT = 8, /* output spatial dims [3] */
  CK_CONV_K = 11,  /* kernel [3] */
  CK_CONV_S = 14,  /* strides [3] */
  CK_CONV_D = 17,  /* dilations [3] */
  CK_CONV_PB = 20, /* padding at the start [3] */
  CK_CONV_ACT = 23, /* fused activation, then its two float args */
  CK_CONV_ACTA = 24,
  CK_CONV_ACTB = 25,
  CK_CONV_NP = 26,
  /* pools reuse the spatial layout; N is N*C, C and M are unused */
  CK_POOL_INCPAD = 23, /* AveragePool count_include_pad */
  CK_POOL_P = 24,      /* LpPool p */
  CK_POOL_PE = 25,     /* padding at the end [3] */
  CK_POOL_NP = 28
};

typedef const char *(*ck_fn)(const int64_t *p, void *const *t);

#define CK_FN(name) const char *ck_##name(const int64_t *p, void *const *t)

/* A double parameter stored as its bits. */
static inline double ck_pf(int64_t bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}
static inline int64_t ck_fbits(double d) {
  int64_t bits;
  memcpy(&bits, &d, sizeof bits);
  return bits;
}

/* IEEE half and bfloat16 conversions (round to nearest even). */
static inline float ck_h2f(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: renormalise */
      exp = 127 - 15 + 1;
      while (!(man & 0x400)) {
        man <<= 1;
        exp--;
      }
      man &= 0x3ff;
      bits = sign | (exp << 23) | (man << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline uint16_t ck_f2h(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) /* inf or nan */
    return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
  int32_t e = (int32_t)exp - 127 + 15;
  if (e >= 31)
    return (uint16_t)(sign | 0x7c00);
  if (e <= 0) { /* subnormal or zero */
    if (e < -10)
      return (uint16_t)sign;
    man |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13);
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    half++; /* may carry into the exponent: still correct */
  return (uint16_t)half;
}

static inline float ck_bf2f(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline uint16_t ck_f2bf(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  if ((x & 0x7fffffff) > 0x7f800000)
    return (uint16_t)((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

/* Element size of a dtype in bytes, 0 for unsupported ones. */
static inline size_t ck_dtype_size(int dt) {
  switch (dt) {
  case CK_FLOAT: case CK_INT32: case CK_UINT32: return 4;
  case CK_UINT8: case CK_INT8: case CK_BOOL: return 1;
  case CK_UINT16: case CK_INT16: case CK_FLOAT16: case CK_BFLOAT16: return 2;
  case CK_INT64: case CK_DOUBLE: case CK_UINT64: case CK_COMPLEX64: return 8;
  case CK_COMPLEX128: return 16;
  default: return 0;
  }
}

/* Every kernel, declared from the list. */
#define CK(name) CK_FN(name);
#include "ck_list.h"
#undef CK

#endif /* CK_H */
