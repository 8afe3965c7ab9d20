/*
 * gemm.c - single-precision matrix multiply, C = A * B, 256 x 256.
 *
 * The loop order is i-k-j: the innermost loop is a row update
 * (C[i][:] += A[i][k] * B[k][:]) that a native compiler vectorises, which
 * is exactly what makes GEMM the hardest case for an interpreter.  Each
 * element of C is summed in the same order (k ascending) whether or not the
 * loop is vectorised, and neither x86-64 -O2 nor wasm32 fuses multiply and
 * add, so the result is bit-identical everywhere and the checksum hashes
 * the exact bit patterns of C.
 */
#include "harness.h"

#define GEMM_N 256

typedef struct gemm_ctx {
  float *a, *b, *c;
} gemm_ctx;

static void gemm_prepare(void *ctx) { (void)ctx; }

static void gemm_run(void *ctx) {
  gemm_ctx *g = ctx;
  float *restrict c = g->c;
  const float *restrict a = g->a;
  const float *restrict b = g->b;
  for (int i = 0; i < GEMM_N; i++) {
    float *restrict ci = c + i * GEMM_N;
    for (int j = 0; j < GEMM_N; j++) ci[j] = 0.0f;
    for (int k = 0; k < GEMM_N; k++) {
      const float aik = a[i * GEMM_N + k];
      const float *restrict bk = b + k * GEMM_N;
      for (int j = 0; j < GEMM_N; j++) ci[j] += aik * bk[j];
    }
  }
}

static bool gemm_check(void *ctx, uint32_t *sum) {
  gemm_ctx *g = ctx;
  *sum = bench_hash_floats(g->c, (size_t)GEMM_N * GEMM_N);
  return true;
}

int main(int argc, char **argv) {
  const size_t bytes = sizeof(float) * GEMM_N * GEMM_N;
  gemm_ctx g = {bench_alloc("gemm", bytes), bench_alloc("gemm", bytes),
                bench_alloc("gemm", bytes)};
  uint32_t seed = 0x9e3779b9u;
  for (int i = 0; i < GEMM_N * GEMM_N; i++) g.a[i] = bench_rand_float(&seed);
  for (int i = 0; i < GEMM_N * GEMM_N; i++) g.b[i] = bench_rand_float(&seed);
  bench_kernel k = {"gemm", &g, gemm_prepare, gemm_run, gemm_check};
  int rc = bench_main(argc, argv, &k);
  free(g.a);
  free(g.b);
  free(g.c);
  return rc;
}
