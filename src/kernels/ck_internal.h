/*
 * ck_internal.h - helpers shared by the kernel files (not by generated
 * code): an N-d index walker over strided operands, and the SIMD switch.
 *
 * CK_SIMD is set when the target has 128-bit vectors (wasm32 with
 * -msimd128, x86-64); the kernels then use GCC vector extensions, which
 * clang lowers to wasm SIMD128 or SSE.  Scalar builds (--no-simd) use
 * plain loops written to keep their accumulators in locals; CK_FORCE_SCALAR
 * selects them natively too (tests/compiler/test_kernels.c).
 */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H

#include "ck.h"

#if (defined(__wasm_simd128__) || defined(__SSE2__)) && !defined(CK_FORCE_SCALAR)
#define CK_SIMD 1
typedef float ck_v4 __attribute__((vector_size(16)));
typedef int32_t ck_i4 __attribute__((vector_size(16))); /* lane masks */
static inline ck_v4 ck_v4_load(const float *p) {
  ck_v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void ck_v4_store(float *p, ck_v4 v) { memcpy(p, &v, sizeof v); }
static inline ck_v4 ck_v4_splat(float x) { return (ck_v4){x, x, x, x}; }
/* p[0], p[s], p[2s], p[3s] for s 1 or 2, reading nothing past the last */
static inline ck_v4 ck_v4_load_s(const float *p, int64_t s) {
  if (s == 1)
    return ck_v4_load(p);
  ck_v4 a = ck_v4_load(p), b = ck_v4_load(p + 3);
  return __builtin_shufflevector(a, b, 0, 2, 5, 7);
}
#else
#define CK_SIMD 0
#endif

/* Walk the outer rank-1 dimensions of an index space: idx counts, and
 * each of the nops offsets moves by its stride.  After the call, the
 * offsets point at the start of the next innermost row. */
static inline void ck_step(int64_t rank, const int64_t *dims, int64_t *idx,
                           int nops, int64_t *off, const int64_t *const *str) {
  for (int64_t r = rank - 2; r >= 0; r--) {
    idx[r]++;
    for (int k = 0; k < nops; k++)
      off[k] += str[k][r];
    if (idx[r] < dims[r])
      return;
    for (int k = 0; k < nops; k++)
      off[k] -= str[k][r] * dims[r];
    idx[r] = 0;
  }
}

static inline int64_t ck_prod(const int64_t *d, int64_t n) {
  int64_t r = 1;
  for (int64_t i = 0; i < n; i++)
    r *= d[i];
  return r;
}

#endif /* CK_INTERNAL_H */
