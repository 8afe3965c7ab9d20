/*
 * peak.c - the most multiply-adds per second one core of this machine
 * can do, for bench/models: the ceiling of any kernel, in any tier.
 *
 *     peak [--seconds S]
 *
 * prints one line
 *
 *     peak sse_muladd=G avx2_fma=G avx512_fma=G
 *
 * in G multiply-adds per second (float32, the thread's CPU time), "-"
 * where the CPU lacks the instructions:
 *
 *   sse_muladd  128-bit vectors, a multiply and an add each rounded: what
 *               WebAssembly SIMD128 code can become (f32x4.mul, f32x4.add;
 *               the spec has no fused multiply-add), in Clave's AOT tier or
 *               in V8
 *   avx2_fma    256-bit fused multiply-adds
 *   avx512_fma  512-bit fused multiply-adds (what onnxruntime's x86
 *               kernels use where the CPU has them)
 *
 * Each measures 12 independent accumulator chains (more than the
 * latency times the throughput of any current core), so the figure is
 * the issue rate, not the latency.  x86-64 only; elsewhere every figure
 * is "-".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double pk_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* every chain in the result: a chain left out would be removed as dead */
#define PK_SUM12(ADD)                                                         \
  ADD(ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))),       \
      ADD(ADD(a8, a9), ADD(a10, a11)))

/* the loops: 12 chains, `lanes` multiply-adds per chain and iteration;
 * the result is printed so that nothing is optimised away */
#define PK_LOOP(T, SET, STEP, LANES, SUM)                                     \
  double pk_start = pk_cpu();                                                 \
  T a0 = SET(1), a1 = SET(2), a2 = SET(3), a3 = SET(4), a4 = SET(5),          \
    a5 = SET(6), a6 = SET(7), a7 = SET(8), a8 = SET(9), a9 = SET(10),         \
    a10 = SET(11), a11 = SET(12);                                             \
  for (long k = 0; k < iters; k++) {                                          \
    STEP(a0); STEP(a1); STEP(a2); STEP(a3); STEP(a4); STEP(a5);               \
    STEP(a6); STEP(a7); STEP(a8); STEP(a9); STEP(a10); STEP(a11);             \
  }                                                                           \
  double pk_t = pk_cpu() - pk_start;                                          \
  *sink = SUM;                                                                \
  return (double)iters * 12 * LANES / pk_t / 1e9;

static double pk_sse(long iters, float *sink) {
  __m128 b = _mm_set1_ps(0.999999f), c = _mm_set1_ps(1e-7f);
#define PK_SSE(x) x = _mm_add_ps(_mm_mul_ps(x, b), c)
  PK_LOOP(__m128, _mm_set1_ps, PK_SSE, 4, _mm_cvtss_f32(PK_SUM12(_mm_add_ps)))
}

__attribute__((target("avx2,fma"))) static double pk_avx2(long iters, float *sink) {
  __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
#define PK_AVX2(x) x = _mm256_fmadd_ps(x, b, c)
  PK_LOOP(__m256, _mm256_set1_ps, PK_AVX2, 8, _mm256_cvtss_f32(PK_SUM12(_mm256_add_ps)))
}

__attribute__((target("avx512f"))) static double pk_avx512(long iters, float *sink) {
  __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define PK_AVX512(x) x = _mm512_fmadd_ps(x, b, c)
  PK_LOOP(__m512, _mm512_set1_ps, PK_AVX512, 16, _mm512_reduce_add_ps(PK_SUM12(_mm512_add_ps)))
}

/* runs f with more iterations until it takes `seconds`; the best of 3 */
static double pk_measure(double (*f)(long, float *), double seconds) {
  float sink;
  long iters = 1 << 16;
  double best = 0;
  for (;;) {
    double t0 = pk_cpu();
    f(iters, &sink);
    if (pk_cpu() - t0 >= seconds / 10 || iters > (1L << 40))
      break;
    iters *= 4;
  }
  iters = (long)((double)iters * 3.0);
  for (int r = 0; r < 3; r++) {
    double g = f(iters, &sink);
    if (g > best)
      best = g;
  }
  if (sink == 12345.0f) /* never true; keeps sink alive */
    puts("");
  return best;
}
#endif

int main(int argc, char **argv) {
  double seconds = 0.3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = atof(argv[++i]);
      if (seconds <= 0) {
        fprintf(stderr, "peak: --seconds: '%s' is not a positive number\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "usage: peak [--seconds S]\n");
      return 2;
    }
  }
  char sse[32] = "-", avx2[32] = "-", avx512[32] = "-";
#if defined(__x86_64__)
  __builtin_cpu_init();
  snprintf(sse, sizeof sse, "%.1f", pk_measure(pk_sse, seconds));
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    snprintf(avx2, sizeof avx2, "%.1f", pk_measure(pk_avx2, seconds));
  if (__builtin_cpu_supports("avx512f"))
    snprintf(avx512, sizeof avx512, "%.1f", pk_measure(pk_avx512, seconds));
#else
  (void)seconds;
  (void)pk_cpu;
#endif
  printf("peak sse_muladd=%s avx2_fma=%s avx512_fma=%s\n", sse, avx2, avx512);
  return 0;
}
