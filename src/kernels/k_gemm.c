/*
 * k_gemm.c - matrix products: Gemm, batched MatMul, and the single-precision
 * core (ck_sgemm, ck_sgemm_packed) that convolutions use too.
 *
 * The core computes C = A * B in register blocks of CK_GEMM_MR rows by
 * CK_GEMM_NR columns (4x8 in 128-bit vectors when CK_SIMD, 4x4 scalars
 * otherwise): each step over K loads one row of B's block and one value
 * of each row of A, broadcast, so the inner loop is loads, multiplies and
 * adds on accumulators that stay in registers.  Loops run B's column
 * panels outside A's row blocks, so a panel (CK_GEMM_KC rows of it) stays
 * in the first-level cache while all of A's rows pass over it.  Rows left
 * over (M not a multiple of MR) run a one-row kernel; columns left over
 * run through a small buffer when B is packed (panels are zero padded)
 * and through plain loops when it is not (B cannot be read past N).
 *
 * The sum over K is one multiply and one add per step, in order of k
 * within a KC block: no fused multiply-add, the same rounding on every
 * target, as WebAssembly requires.
 */
#include <math.h>

#include "ck_internal.h"
#include "k_gemm.h"

#define CK_MR CK_GEMM_MR
#define CK_NR CK_GEMM_NR
#define CK_KC CK_GEMM_KC

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
/* C[4, 8] (+)= A[4, K] * B[K, 8]: row r of A at a + r*ars, stepping by
 * acs; B's rows bks apart.  bias (4 values) and e only on the last K
 * block. */
static void ck_uk(int64_t K, const float *a, int64_t ars, int64_t acs,
                  const float *B, int64_t bks, float *C, int64_t ldc, int acc,
                  const float *bias, const ck_gemm_epi *e) {
  ck_v4 c00, c01, c10, c11, c20, c21, c30, c31;
  if (acc) {
    c00 = ck_v4_load(C), c01 = ck_v4_load(C + 4);
    c10 = ck_v4_load(C + ldc), c11 = ck_v4_load(C + ldc + 4);
    c20 = ck_v4_load(C + 2 * ldc), c21 = ck_v4_load(C + 2 * ldc + 4);
    c30 = ck_v4_load(C + 3 * ldc), c31 = ck_v4_load(C + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = ck_v4_splat(0);
  }
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    ck_v4 b0 = ck_v4_load(B), b1 = ck_v4_load(B + 4);
    B += bks;
    ck_v4 v = ck_v4_splat(*a0);
    c00 += v * b0, c01 += v * b1;
    v = ck_v4_splat(*a1);
    c10 += v * b0, c11 += v * b1;
    v = ck_v4_splat(*a2);
    c20 += v * b0, c21 += v * b1;
    v = ck_v4_splat(*a3);
    c30 += v * b0, c31 += v * b1;
    a0 += acs, a1 += acs, a2 += acs, a3 += acs;
  }
  if (e) {
    c00 = ck_v4_epi(c00, bias[0], e), c01 = ck_v4_epi(c01, bias[0], e);
    c10 = ck_v4_epi(c10, bias[1], e), c11 = ck_v4_epi(c11, bias[1], e);
    c20 = ck_v4_epi(c20, bias[2], e), c21 = ck_v4_epi(c21, bias[2], e);
    c30 = ck_v4_epi(c30, bias[3], e), c31 = ck_v4_epi(c31, bias[3], e);
  }
  ck_v4_store(C, c00), ck_v4_store(C + 4, c01);
  ck_v4_store(C + ldc, c10), ck_v4_store(C + ldc + 4, c11);
  ck_v4_store(C + 2 * ldc, c20), ck_v4_store(C + 2 * ldc + 4, c21);
  ck_v4_store(C + 3 * ldc, c30), ck_v4_store(C + 3 * ldc + 4, c31);
}

/* one row: C[1, 8] (+)= a[K] * B[K, 8] */
static void ck_uk1(int64_t K, const float *a, int64_t acs, const float *B,
                   int64_t bks, float *C, int acc, float bias,
                   const ck_gemm_epi *e) {
  ck_v4 c0, c1, d0, d1;
  c0 = c1 = d0 = d1 = ck_v4_splat(0);
  if (acc)
    c0 = ck_v4_load(C), c1 = ck_v4_load(C + 4);
  int64_t k = 0;
  /* two chains of accumulators: a one-row block is latency bound */
  for (; k + 2 <= K; k += 2) {
    ck_v4 v = ck_v4_splat(a[0]), w = ck_v4_splat(a[acs]);
    c0 += v * ck_v4_load(B), c1 += v * ck_v4_load(B + 4);
    d0 += w * ck_v4_load(B + bks), d1 += w * ck_v4_load(B + bks + 4);
    a += 2 * acs, B += 2 * bks;
  }
  if (k < K) {
    ck_v4 v = ck_v4_splat(a[0]);
    c0 += v * ck_v4_load(B), c1 += v * ck_v4_load(B + 4);
  }
  c0 += d0, c1 += d1;
  if (e)
    c0 = ck_v4_epi(c0, bias, e), c1 = ck_v4_epi(c1, bias, e);
  ck_v4_store(C, c0), ck_v4_store(C + 4, c1);
}
#else
/* C[4, 4] (+)= A[4, K] * B[K, 4], scalars (see the SIMD version) */
static void ck_uk(int64_t K, const float *a, int64_t ars, int64_t acs,
                  const float *B, int64_t bks, float *C, int64_t ldc, int acc,
                  const float *bias, const ck_gemm_epi *e) {
  float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0,
        c13 = 0, c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0,
        c32 = 0, c33 = 0;
  float *r0 = C, *r1 = C + ldc, *r2 = C + 2 * ldc, *r3 = C + 3 * ldc;
  if (acc) {
    c00 = r0[0], c01 = r0[1], c02 = r0[2], c03 = r0[3];
    c10 = r1[0], c11 = r1[1], c12 = r1[2], c13 = r1[3];
    c20 = r2[0], c21 = r2[1], c22 = r2[2], c23 = r2[3];
    c30 = r3[0], c31 = r3[1], c32 = r3[2], c33 = r3[3];
  }
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    float b0 = B[0], b1 = B[1], b2 = B[2], b3 = B[3];
    B += bks;
    float x = *a0;
    c00 += x * b0, c01 += x * b1, c02 += x * b2, c03 += x * b3;
    x = *a1;
    c10 += x * b0, c11 += x * b1, c12 += x * b2, c13 += x * b3;
    x = *a2;
    c20 += x * b0, c21 += x * b1, c22 += x * b2, c23 += x * b3;
    x = *a3;
    c30 += x * b0, c31 += x * b1, c32 += x * b2, c33 += x * b3;
    a0 += acs, a1 += acs, a2 += acs, a3 += acs;
  }
  if (e) {
    c00 = ck_act1(c00 + bias[0], e), c01 = ck_act1(c01 + bias[0], e);
    c02 = ck_act1(c02 + bias[0], e), c03 = ck_act1(c03 + bias[0], e);
    c10 = ck_act1(c10 + bias[1], e), c11 = ck_act1(c11 + bias[1], e);
    c12 = ck_act1(c12 + bias[1], e), c13 = ck_act1(c13 + bias[1], e);
    c20 = ck_act1(c20 + bias[2], e), c21 = ck_act1(c21 + bias[2], e);
    c22 = ck_act1(c22 + bias[2], e), c23 = ck_act1(c23 + bias[2], e);
    c30 = ck_act1(c30 + bias[3], e), c31 = ck_act1(c31 + bias[3], e);
    c32 = ck_act1(c32 + bias[3], e), c33 = ck_act1(c33 + bias[3], e);
  }
  r0[0] = c00, r0[1] = c01, r0[2] = c02, r0[3] = c03;
  r1[0] = c10, r1[1] = c11, r1[2] = c12, r1[3] = c13;
  r2[0] = c20, r2[1] = c21, r2[2] = c22, r2[3] = c23;
  r3[0] = c30, r3[1] = c31, r3[2] = c32, r3[3] = c33;
}

static void ck_uk1(int64_t K, const float *a, int64_t acs, const float *B,
                   int64_t bks, float *C, int acc, float bias,
                   const ck_gemm_epi *e) {
  float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  if (acc)
    c0 = C[0], c1 = C[1], c2 = C[2], c3 = C[3];
  for (int64_t k = 0; k < K; k++) {
    float x = *a;
    c0 += x * B[0], c1 += x * B[1], c2 += x * B[2], c3 += x * B[3];
    a += acs, B += bks;
  }
  if (e) {
    c0 = ck_act1(c0 + bias, e), c1 = ck_act1(c1 + bias, e);
    c2 = ck_act1(c2 + bias, e), c3 = ck_act1(c3 + bias, e);
  }
  C[0] = c0, C[1] = c1, C[2] = c2, C[3] = c3;
}
#endif

/* ---- B read in place: row k of B is the NR floats at Bb + off[k] ---- */

#if CK_SIMD
static void ck_uk_ind(int64_t K, const float *a, int64_t ars, const float *Bb,
                      const int32_t *off, float *C, int64_t ldc,
                      const float *bias, const ck_gemm_epi *e) {
  ck_v4 c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = ck_v4_splat(0);
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    const float *b = Bb + off[k];
    ck_v4 b0 = ck_v4_load(b), b1 = ck_v4_load(b + 4);
    ck_v4 v = ck_v4_splat(a0[k]);
    c00 += v * b0, c01 += v * b1;
    v = ck_v4_splat(a1[k]);
    c10 += v * b0, c11 += v * b1;
    v = ck_v4_splat(a2[k]);
    c20 += v * b0, c21 += v * b1;
    v = ck_v4_splat(a3[k]);
    c30 += v * b0, c31 += v * b1;
  }
  c00 = ck_v4_epi(c00, bias[0], e), c01 = ck_v4_epi(c01, bias[0], e);
  c10 = ck_v4_epi(c10, bias[1], e), c11 = ck_v4_epi(c11, bias[1], e);
  c20 = ck_v4_epi(c20, bias[2], e), c21 = ck_v4_epi(c21, bias[2], e);
  c30 = ck_v4_epi(c30, bias[3], e), c31 = ck_v4_epi(c31, bias[3], e);
  ck_v4_store(C, c00), ck_v4_store(C + 4, c01);
  ck_v4_store(C + ldc, c10), ck_v4_store(C + ldc + 4, c11);
  ck_v4_store(C + 2 * ldc, c20), ck_v4_store(C + 2 * ldc + 4, c21);
  ck_v4_store(C + 3 * ldc, c30), ck_v4_store(C + 3 * ldc + 4, c31);
}

static void ck_uk1_ind(int64_t K, const float *a, const float *Bb,
                       const int32_t *off, float *C, float bias,
                       const ck_gemm_epi *e) {
  ck_v4 c0 = ck_v4_splat(0), c1 = ck_v4_splat(0);
  for (int64_t k = 0; k < K; k++) {
    const float *b = Bb + off[k];
    ck_v4 v = ck_v4_splat(a[k]);
    c0 += v * ck_v4_load(b), c1 += v * ck_v4_load(b + 4);
  }
  ck_v4_store(C, ck_v4_epi(c0, bias, e)), ck_v4_store(C + 4, ck_v4_epi(c1, bias, e));
}
#else
static void ck_uk_ind(int64_t K, const float *a, int64_t ars, const float *Bb,
                      const int32_t *off, float *C, int64_t ldc,
                      const float *bias, const ck_gemm_epi *e) {
  float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0,
        c13 = 0, c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0,
        c32 = 0, c33 = 0;
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int64_t k = 0; k < K; k++) {
    const float *b = Bb + off[k];
    float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    float x = a0[k];
    c00 += x * b0, c01 += x * b1, c02 += x * b2, c03 += x * b3;
    x = a1[k];
    c10 += x * b0, c11 += x * b1, c12 += x * b2, c13 += x * b3;
    x = a2[k];
    c20 += x * b0, c21 += x * b1, c22 += x * b2, c23 += x * b3;
    x = a3[k];
    c30 += x * b0, c31 += x * b1, c32 += x * b2, c33 += x * b3;
  }
  float *r0 = C, *r1 = C + ldc, *r2 = C + 2 * ldc, *r3 = C + 3 * ldc;
  r0[0] = ck_act1(c00 + bias[0], e), r0[1] = ck_act1(c01 + bias[0], e);
  r0[2] = ck_act1(c02 + bias[0], e), r0[3] = ck_act1(c03 + bias[0], e);
  r1[0] = ck_act1(c10 + bias[1], e), r1[1] = ck_act1(c11 + bias[1], e);
  r1[2] = ck_act1(c12 + bias[1], e), r1[3] = ck_act1(c13 + bias[1], e);
  r2[0] = ck_act1(c20 + bias[2], e), r2[1] = ck_act1(c21 + bias[2], e);
  r2[2] = ck_act1(c22 + bias[2], e), r2[3] = ck_act1(c23 + bias[2], e);
  r3[0] = ck_act1(c30 + bias[3], e), r3[1] = ck_act1(c31 + bias[3], e);
  r3[2] = ck_act1(c32 + bias[3], e), r3[3] = ck_act1(c33 + bias[3], e);
}

static void ck_uk1_ind(int64_t K, const float *a, const float *Bb,
                       const int32_t *off, float *C, float bias,
                       const ck_gemm_epi *e) {
  float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (int64_t k = 0; k < K; k++) {
    const float *b = Bb + off[k];
    float x = a[k];
    c0 += x * b[0], c1 += x * b[1], c2 += x * b[2], c3 += x * b[3];
  }
  C[0] = ck_act1(c0 + bias, e), C[1] = ck_act1(c1 + bias, e);
  C[2] = ck_act1(c2 + bias, e), C[3] = ck_act1(c3 + bias, e);
}
#endif

void ck_sgemm_ind(int64_t M, int64_t n, int64_t K, const float *A, int64_t lda,
                  const float *Bb, const int32_t *off, float *C, int64_t ldc,
                  const ck_gemm_epi *e) {
  static const float zero[CK_MR];
  float tmp[CK_MR * CK_NR];
  for (int64_t j = 0; j < n; j += CK_NR) {
    int64_t nr = n - j < CK_NR ? n - j : CK_NR;
    for (int64_t i = 0; i < M; i += CK_MR) {
      int64_t mr = M - i < CK_MR ? M - i : CK_MR;
      const float *bias = e->bias ? e->bias + i : zero;
      const float *a = A + i * lda;
      float *c = C + i * ldc + j;
      /* whole blocks in place; partial ones through tmp (ldc NR) */
      int whole = nr == CK_NR;
      float *dst = whole ? c : tmp;
      int64_t ld = whole ? ldc : CK_NR;
      if (mr == CK_MR)
        ck_uk_ind(K, a, lda, Bb + j, off, dst, ld, bias, e);
      else
        for (int64_t r = 0; r < mr; r++)
          ck_uk1_ind(K, a + r * lda, Bb + j, off, dst + r * ld, bias[r], e);
      if (!whole)
        for (int64_t r = 0; r < mr; r++)
          for (int64_t q = 0; q < nr; q++)
            c[r * ldc + q] = tmp[r * CK_NR + q];
    }
  }
}

static const float ck_zero_bias[CK_MR];

/* One block of rows [i, i+mr) by the column panel at B (full NR columns
 * readable, nr of them stored). */
static void ck_block(int64_t mr, int64_t nr, int64_t K, const float *A,
                     int64_t ars, int64_t acs, const float *B, int64_t bks,
                     float *C, int64_t ldc, int acc, const float *bias,
                     const ck_gemm_epi *e) {
  if (!bias)
    bias = ck_zero_bias;
  if (nr == CK_NR) {
    if (mr == CK_MR) {
      ck_uk(K, A, ars, acs, B, bks, C, ldc, acc, bias, e);
      return;
    }
    for (int64_t r = 0; r < mr; r++)
      ck_uk1(K, A + r * ars, acs, B, bks, C + r * ldc, acc, bias[e ? r : 0], e);
    return;
  }
  float tmp[CK_NR];
  for (int64_t r = 0; r < mr; r++) {
    float *c = C + r * ldc;
    if (acc)
      for (int64_t j = 0; j < nr; j++)
        tmp[j] = c[j];
    ck_uk1(K, A + r * ars, acs, B, bks, tmp, acc, bias[e ? r : 0], e);
    for (int64_t j = 0; j < nr; j++)
      c[j] = tmp[j];
  }
}

void ck_sgemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t ars,
              int64_t acs, const float *B, int64_t ldb, float *C,
              int64_t ldc) {
  if (K == 0) {
    for (int64_t i = 0; i < M; i++)
      memset(C + i * ldc, 0, (size_t)N * sizeof(float));
    return;
  }
  int64_t nfull = N - N % CK_NR;
  for (int64_t k0 = 0; k0 < K; k0 += CK_KC) {
    int64_t kc = K - k0 < CK_KC ? K - k0 : CK_KC;
    int acc = k0 > 0;
    const float *Ak = A + k0 * acs, *Bk = B + k0 * ldb;
    for (int64_t j = 0; j < nfull; j += CK_NR)
      for (int64_t i = 0; i < M; i += CK_MR)
        ck_block(M - i < CK_MR ? M - i : CK_MR, CK_NR, kc, Ak + i * ars, ars,
                 acs, Bk + j, ldb, C + i * ldc + j, ldc, acc, NULL, NULL);
    if (nfull < N)
      ck_sgemm_edge(M, N - nfull, kc, Ak, ars, acs, Bk + nfull, ldb,
                    C + nfull, ldc, acc);
  }
}

void ck_sgemm_packed(int64_t M, int64_t nc, int64_t K, const float *A,
                     int64_t lda, const float *Bp, float *C, int64_t ldc,
                     const ck_gemm_epi *epi) {
  if (K == 0) {
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < nc; j++)
        C[i * ldc + j] = epi ? ck_act1(epi->bias ? epi->bias[i] : 0.0f, epi) : 0.0f;
    return;
  }
  int64_t npanel = (nc + CK_NR - 1) / CK_NR;
  for (int64_t k0 = 0; k0 < K; k0 += CK_KC) {
    int64_t kc = K - k0 < CK_KC ? K - k0 : CK_KC;
    int acc = k0 > 0;
    const ck_gemm_epi *e = k0 + kc == K ? epi : NULL;
    for (int64_t pj = 0; pj < npanel; pj++) {
      int64_t j = pj * CK_NR, nr = nc - j < CK_NR ? nc - j : CK_NR;
      const float *Bk = Bp + pj * K * CK_NR + k0 * CK_NR;
      for (int64_t i = 0; i < M; i += CK_MR) {
        int64_t mr = M - i < CK_MR ? M - i : CK_MR;
        const float *bias = e && e->bias ? e->bias + i : NULL;
        ck_block(mr, nr, kc, A + i * lda + k0, lda, 1, Bk, CK_NR,
                 C + i * ldc + j, ldc, acc, bias, e);
      }
    }
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
