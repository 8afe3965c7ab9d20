/*
 * k_gemm.h - the single-precision matrix product core shared by Gemm,
 * MatMul and the convolutions, and the epilogue that applies scale, bias
 * and a fused activation.
 */
#ifndef K_GEMM_H
#define K_GEMM_H

#include <stdint.h>

enum ck_bias_mode {
  CK_BIAS_NONE = 0,
  CK_BIAS_SCALAR = 1,
  CK_BIAS_ROW = 2, /* [N], broadcast over rows */
  CK_BIAS_COL = 3, /* [M], broadcast over columns */
  CK_BIAS_FULL = 4 /* [M, N] */
};

/* C[M,N] (row stride ldc) = A * B; A[i,k] = A[i*ars + k*acs]; B row-major
 * with row stride ldb. */
void ck_sgemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t ars,
              int64_t acs, const float *B, int64_t ldb, float *C,
              int64_t ldc);

/* Y = act(alpha * Y + beta * bias) */
void ck_epilogue(float *Y, int64_t M, int64_t N, int64_t ldy, float alpha,
                 const float *bias, int bias_mode, float beta, int act,
                 float a, float b);

#endif
