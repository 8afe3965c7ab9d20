/*
 * k_gemm.c - matrix products: Gemm, batched MatMul, and the single-precision
 * core (ck_sgemm) that convolutions use too.
 *
 * The core computes C = A * B with B row-major and A read through row and
 * column strides (so a transposed A costs nothing).  It works in register
 * blocks: 4x8 with 128-bit vectors when CK_SIMD, 4x4 scalars otherwise,
 * with plain loops for the edges.  Blocks over K keep a panel of B in
 * cache for larger products.  Callers that need a transposed B pack it
 * first (the compiler does it at compile time for constant weights).
 */
#include <math.h>

#include "ck_internal.h"
#include "k_gemm.h"

#define CK_KC 256 /* K block */

static void ck_sgemm_edge(int64_t mr, int64_t nr, int64_t K, const float *A,
                          int64_t ars, int64_t acs, const float *B,
                          int64_t ldb, float *C, int64_t ldc, int acc) {
  for (int64_t i = 0; i < mr; i++)
    for (int64_t j = 0; j < nr; j++) {
      float s = acc ? C[i * ldc + j] : 0.0f;
      for (int64_t k = 0; k < K; k++)
        s += A[i * ars + k * acs] * B[k * ldb + j];
      C[i * ldc + j] = s;
    }
}

#if CK_SIMD
#define CK_NR 8
static void ck_sgemm_block(int64_t K, const float *A, int64_t ars,
                           int64_t acs, const float *B, int64_t ldb,
                           float *C, int64_t ldc, int acc) {
  ck_v4 c00, c01, c10, c11, c20, c21, c30, c31;
  if (acc) {
    c00 = ck_v4_load(C), c01 = ck_v4_load(C + 4);
    c10 = ck_v4_load(C + ldc), c11 = ck_v4_load(C + ldc + 4);
    c20 = ck_v4_load(C + 2 * ldc), c21 = ck_v4_load(C + 2 * ldc + 4);
    c30 = ck_v4_load(C + 3 * ldc), c31 = ck_v4_load(C + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = ck_v4_splat(0);
  }
  const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    ck_v4 b0 = ck_v4_load(B + k * ldb), b1 = ck_v4_load(B + k * ldb + 4);
    ck_v4 v;
    v = ck_v4_splat(a0[k * acs]);
    c00 += v * b0, c01 += v * b1;
    v = ck_v4_splat(a1[k * acs]);
    c10 += v * b0, c11 += v * b1;
    v = ck_v4_splat(a2[k * acs]);
    c20 += v * b0, c21 += v * b1;
    v = ck_v4_splat(a3[k * acs]);
    c30 += v * b0, c31 += v * b1;
  }
  ck_v4_store(C, c00), ck_v4_store(C + 4, c01);
  ck_v4_store(C + ldc, c10), ck_v4_store(C + ldc + 4, c11);
  ck_v4_store(C + 2 * ldc, c20), ck_v4_store(C + 2 * ldc + 4, c21);
  ck_v4_store(C + 3 * ldc, c30), ck_v4_store(C + 3 * ldc + 4, c31);
}
#else
#define CK_NR 4
static void ck_sgemm_block(int64_t K, const float *A, int64_t ars,
                           int64_t acs, const float *B, int64_t ldb,
                           float *C, int64_t ldc, int acc) {
  float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0,
        c13 = 0, c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0,
        c32 = 0, c33 = 0;
  const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    const float *b = B + k * ldb;
    float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    float x = a0[k * acs];
    c00 += x * b0, c01 += x * b1, c02 += x * b2, c03 += x * b3;
    x = a1[k * acs];
    c10 += x * b0, c11 += x * b1, c12 += x * b2, c13 += x * b3;
    x = a2[k * acs];
    c20 += x * b0, c21 += x * b1, c22 += x * b2, c23 += x * b3;
    x = a3[k * acs];
    c30 += x * b0, c31 += x * b1, c32 += x * b2, c33 += x * b3;
  }
  float *r0 = C, *r1 = C + ldc, *r2 = C + 2 * ldc, *r3 = C + 3 * ldc;
  if (acc) {
    r0[0] += c00, r0[1] += c01, r0[2] += c02, r0[3] += c03;
    r1[0] += c10, r1[1] += c11, r1[2] += c12, r1[3] += c13;
    r2[0] += c20, r2[1] += c21, r2[2] += c22, r2[3] += c23;
    r3[0] += c30, r3[1] += c31, r3[2] += c32, r3[3] += c33;
  } else {
    r0[0] = c00, r0[1] = c01, r0[2] = c02, r0[3] = c03;
    r1[0] = c10, r1[1] = c11, r1[2] = c12, r1[3] = c13;
    r2[0] = c20, r2[1] = c21, r2[2] = c22, r2[3] = c23;
    r3[0] = c30, r3[1] = c31, r3[2] = c32, r3[3] = c33;
  }
}
#endif

void ck_sgemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t ars,
              int64_t acs, const float *B, int64_t ldb, float *C,
              int64_t ldc) {
  if (K == 0) {
    for (int64_t i = 0; i < M; i++)
      memset(C + i * ldc, 0, (size_t)N * sizeof(float));
    return;
  }
  for (int64_t k0 = 0; k0 < K; k0 += CK_KC) {
    int64_t kc = K - k0 < CK_KC ? K - k0 : CK_KC;
    int acc = k0 > 0;
    const float *Ak = A + k0 * acs, *Bk = B + k0 * ldb;
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {
      int64_t j = 0;
      for (; j + CK_NR <= N; j += CK_NR)
        ck_sgemm_block(kc, Ak + i * ars, ars, acs, Bk + j, ldb,
                       C + i * ldc + j, ldc, acc);
      if (j < N)
        ck_sgemm_edge(4, N - j, kc, Ak + i * ars, ars, acs, Bk + j, ldb,
                      C + i * ldc + j, ldc, acc);
    }
    if (i < M)
      ck_sgemm_edge(M - i, N, kc, Ak + i * ars, ars, acs, Bk, ldb,
                    C + i * ldc, ldc, acc);
  }
}

static inline float ck_act(float v, int act, float a, float b) {
  switch (act) {
  case CK_ACT_RELU: return v > 0 ? v : 0;
  case CK_ACT_CLIP: return v < a ? a : (v > b ? b : v);
  case CK_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
  case CK_ACT_LEAKYRELU: return v < 0 ? a * v : v;
  case CK_ACT_TANH: return tanhf(v);
  default: return v;
  }
}

void ck_epilogue(float *Y, int64_t M, int64_t N, int64_t ldy, float alpha,
                 const float *bias, int bias_mode, float beta, int act,
                 float a, float b) {
  if (alpha == 1.0f && bias_mode == CK_BIAS_NONE && act == CK_ACT_NONE)
    return;
  for (int64_t i = 0; i < M; i++) {
    float *y = Y + i * ldy;
    for (int64_t j = 0; j < N; j++) {
      float v = alpha * y[j];
      switch (bias_mode) {
      case CK_BIAS_SCALAR: v += beta * bias[0]; break;
      case CK_BIAS_ROW: v += beta * bias[j]; break;
      case CK_BIAS_COL: v += beta * bias[i]; break;
      case CK_BIAS_FULL: v += beta * bias[i * N + j]; break;
      default: break;
      }
      y[j] = ck_act(v, act, a, b);
    }
  }
}

/* gemm: p = {M, N, K, transA, alpha, beta, bias_mode, act, act_a, act_b};
 * t = {A, B (row-major K x N), C (bias) or NULL, Y}. */
CK_FN(gemm_f32) {
  int64_t M = p[0], N = p[1], K = p[2];
  const float *A = t[0], *B = t[1], *C = t[2];
  float *Y = t[3];
  if (p[3])
    ck_sgemm(M, N, K, A, 1, M, B, N, Y, N);
  else
    ck_sgemm(M, N, K, A, K, 1, B, N, Y, N);
  ck_epilogue(Y, M, N, N, (float)ck_pf(p[4]), C, C ? (int)p[6] : 0,
              (float)ck_pf(p[5]), (int)p[7], (float)ck_pf(p[8]),
              (float)ck_pf(p[9]));
  return NULL;
}

/* matmul: p = {nb, bdims[nb], astr[nb], bstr[nb], M, N, K}; t = {A, B, Y}
 * with A and B row-major per batch, batch offsets by element strides
 * (0 where broadcast), Y contiguous. */
#define CK_MATMUL_HEAD(T)                                                    \
  const T *A = t[0], *B = t[1];                                              \
  T *Y = t[2];                                                               \
  int64_t nb = p[0];                                                         \
  const int64_t *bd = p + 1, *as = p + 1 + nb, *bs = p + 1 + 2 * nb;         \
  int64_t M = p[1 + 3 * nb], N = p[2 + 3 * nb], K = p[3 + 3 * nb];           \
  int64_t nbatch = ck_prod(bd, nb), idx[CK_MAX_RANK] = {0};                  \
  (void)idx;

static void ck_batch_offsets(int64_t nb, const int64_t *bd, const int64_t *as,
                             const int64_t *bs, int64_t b, int64_t *ao,
                             int64_t *bo) {
  *ao = *bo = 0;
  for (int64_t r = nb - 1; r >= 0; r--) {
    int64_t i = b % bd[r];
    b /= bd[r];
    *ao += i * as[r];
    *bo += i * bs[r];
  }
}

CK_FN(matmul_f32) {
  CK_MATMUL_HEAD(float)
  for (int64_t b = 0; b < nbatch; b++) {
    int64_t ao, bo;
    ck_batch_offsets(nb, bd, as, bs, b, &ao, &bo);
    ck_sgemm(M, N, K, A + ao, K, 1, B + bo, N, Y + b * M * N, N);
  }
  return NULL;
}

#define CK_MATMUL_GENERIC(name, T, ACC)                                      \
  CK_FN(name) {                                                              \
    CK_MATMUL_HEAD(T)                                                        \
    for (int64_t b = 0; b < nbatch; b++) {                                   \
      int64_t ao, bo;                                                        \
      ck_batch_offsets(nb, bd, as, bs, b, &ao, &bo);                         \
      const T *a = A + ao, *bb = B + bo;                                     \
      T *y = Y + b * M * N;                                                  \
      for (int64_t i = 0; i < M; i++)                                        \
        for (int64_t j = 0; j < N; j++) {                                    \
          ACC s = 0;                                                         \
          for (int64_t k = 0; k < K; k++)                                    \
            s += (ACC)a[i * K + k] * (ACC)bb[k * N + j];                     \
          y[i * N + j] = (T)s;                                               \
        }                                                                    \
    }                                                                        \
    return NULL;                                                             \
  }
CK_MATMUL_GENERIC(matmul_f64, double, double)
CK_MATMUL_GENERIC(matmul_i32, int32_t, uint32_t)
CK_MATMUL_GENERIC(matmul_i64, int64_t, uint64_t)
CK_MATMUL_GENERIC(matmul_u32, uint32_t, uint32_t)
CK_MATMUL_GENERIC(matmul_u64, uint64_t, uint64_t)

/* matmul_integer: as matmul, t = {A, B, a_zero (scalar or NULL), b_zero
 * (scalar or NULL), Y (int32)}. */
#define CK_MATMUL_INT(name, TA, TB)                                          \
  CK_FN(name) {                                                              \
    const TA *A = t[0];                                                      \
    const TB *B = t[1];                                                      \
    const TA *az = t[2];                                                     \
    const TB *bz = t[3];                                                     \
    int32_t *Y = t[4];                                                       \
    int64_t nb = p[0];                                                       \
    const int64_t *bd = p + 1, *as = p + 1 + nb, *bs = p + 1 + 2 * nb;       \
    int64_t M = p[1 + 3 * nb], N = p[2 + 3 * nb], K = p[3 + 3 * nb];         \
    int64_t nbatch = ck_prod(bd, nb);                                        \
    int32_t za = az ? az[0] : 0, zb = bz ? bz[0] : 0;                        \
    for (int64_t b = 0; b < nbatch; b++) {                                   \
      int64_t ao, bo;                                                        \
      ck_batch_offsets(nb, bd, as, bs, b, &ao, &bo);                         \
      for (int64_t i = 0; i < M; i++)                                        \
        for (int64_t j = 0; j < N; j++) {                                    \
          int32_t s = 0;                                                     \
          for (int64_t k = 0; k < K; k++)                                    \
            s += ((int32_t)A[ao + i * K + k] - za) *                         \
                 ((int32_t)B[bo + k * N + j] - zb);                          \
          Y[b * M * N + i * N + j] = s;                                      \
        }                                                                    \
    }                                                                        \
    return NULL;                                                             \
  }
CK_MATMUL_INT(matmul_integer_u8u8, uint8_t, uint8_t)
CK_MATMUL_INT(matmul_integer_i8i8, int8_t, int8_t)
CK_MATMUL_INT(matmul_integer_u8i8, uint8_t, int8_t)
CK_MATMUL_INT(matmul_integer_i8u8, int8_t, uint8_t)
