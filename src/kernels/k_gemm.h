/*
 * k_gemm.h - the single-precision matrix product core shared by Gemm,
 * MatMul and the convolutions, and the epilogue that applies scale, bias
 * and a fused activation.
 *
 * Two entry points: ck_sgemm reads B where it lies (any row stride), and
 * ck_sgemm_packed reads B from panels of CK_GEMM_NR columns laid out one
 * after the other (what the convolutions build while gathering their
 * columns), which keeps every load of the inner loop sequential.  Both
 * work in register blocks of CK_GEMM_MR rows by CK_GEMM_NR columns and in
 * blocks of CK_GEMM_KC over K.
 */
#ifndef K_GEMM_H
#define K_GEMM_H

#include <stdint.h>

#include "ck_internal.h"

#define CK_GEMM_MR 4
#if CK_SIMD
#define CK_GEMM_NR 8
#else
#define CK_GEMM_NR 4
#endif
#define CK_GEMM_KC 256

enum ck_bias_mode {
  CK_BIAS_NONE = 0,
  CK_BIAS_SCALAR = 1,
  CK_BIAS_ROW = 2, /* [N], broadcast over rows */
  CK_BIAS_COL = 3, /* [M], broadcast over columns */
  CK_BIAS_FULL = 4 /* [M, N] */
};

/* What the GEMM core applies as it stores its last K block: a bias per
 * row of C and a ReLU or a clip.  Other activations go through
 * ck_epilogue afterwards. */
typedef struct ck_gemm_epi {
  const float *bias; /* M values, or NULL */
  int act;           /* CK_ACT_NONE, CK_ACT_RELU or CK_ACT_CLIP */
  float lo, hi;      /* the clip's bounds */
} ck_gemm_epi;

static inline int ck_gemm_epi_can(int act) {
  return act == CK_ACT_NONE || act == CK_ACT_RELU || act == CK_ACT_CLIP;
}

/* The epilogue on one value, and on four (the same lane by lane: a NaN
 * becomes 0 under ReLU and stays NaN under clip). */
static inline float ck_act1(float v, const ck_gemm_epi *e) {
  if (e->act == CK_ACT_RELU)
    return v > 0 ? v : 0;
  if (e->act == CK_ACT_CLIP)
    return v < e->lo ? e->lo : (v > e->hi ? e->hi : v);
  return v;
}

#if CK_SIMD
static inline ck_v4 ck_v4_epi(ck_v4 v, float bias, const ck_gemm_epi *e) {
  v += ck_v4_splat(bias);
  if (e->act == CK_ACT_RELU) {
    ck_i4 m = v > ck_v4_splat(0.0f);
    v = (ck_v4)((ck_i4)v & m);
  } else if (e->act == CK_ACT_CLIP) {
    ck_v4 lo = ck_v4_splat(e->lo), hi = ck_v4_splat(e->hi);
    ck_i4 m = v < lo;
    v = (ck_v4)(((ck_i4)lo & m) | ((ck_i4)v & ~m));
    m = v > hi;
    v = (ck_v4)(((ck_i4)hi & m) | ((ck_i4)v & ~m));
  }
  return v;
}
#endif

/* C[M,N] (row stride ldc) = A * B; A[i,k] = A[i*ars + k*acs]; B row-major
 * with row stride ldb. */
void ck_sgemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t ars,
              int64_t acs, const float *B, int64_t ldb, float *C,
              int64_t ldc);

/* C[M,nc] = epi(A * B) with A row-major (row stride lda) and B packed:
 * panel p holds columns [p*NR, p*NR + NR) as K rows of NR floats, at
 * Bp + p*K*NR; columns past nc are zero.  epi may be NULL. */
void ck_sgemm_packed(int64_t M, int64_t nc, int64_t K, const float *A,
                     int64_t lda, const float *Bp, float *C, int64_t ldc,
                     const ck_gemm_epi *epi);

/* C[M,n] = epi(A * B) with A row-major (row stride lda) and B read in
 * place: columns [j, j + NR) of B's row k are the floats at Bb + j +
 * off[k], readable a whole NR wide even past n.  For convolutions over a
 * padded copy of their input (no gathering).  epi must not be NULL. */
void ck_sgemm_ind(int64_t M, int64_t n, int64_t K, const float *A, int64_t lda,
                  const float *Bb, const int32_t *off, float *C, int64_t ldc,
                  const ck_gemm_epi *epi);

/* Y = act(alpha * Y + beta * bias) */
void ck_epilogue(float *Y, int64_t M, int64_t N, int64_t ldy, float alpha,
                 const float *bias, int bias_mode, float beta, int act,
                 float a, float b);

#endif
