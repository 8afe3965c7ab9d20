/*
 * harness.h - the timing loop shared by every benchmark kernel.
 *
 * Each kernel is a plain C program that builds unchanged natively and as a
 * wasm32-wasi command, so the same source measures the machine and every
 * WebAssembly engine.  The kernel fills a bench_kernel with three hooks:
 *
 *   prepare  untimed, before every run (reset the input a run destroys)
 *   run      the timed work itself
 *   check    untimed, after every run: the checksum of the output
 *
 * bench_main does one warm-up run (so lazy engines have translated or
 * compiled the code and the caches are warm), then repeats timed runs
 * until both a minimum number of runs and a minimum total time are
 * reached.  Every run must give the warm-up's checksum; a difference is an
 * error, exit status 1.  Time is taken with clock_gettime(CLOCK_MONOTONIC)
 * around run() alone, so setup and input generation are never counted.
 * The thread's CPU time (CLOCK_THREAD_CPUTIME_ID) is taken beside it: on a
 * machine shared with other work it leaves out the time the kernel spent
 * waiting for a core.
 *
 * The one line printed on success is meant for machines (bench/run reads
 * it) and for people (one line; wrapped here):
 *
 *   bench kernel=NAME checksum=XXXXXXXX runs=N median_ns=N mean_ns=N min_ns=N
 *         cpu_median_ns=N cpu_min_ns=N
 *
 * Usage: KERNEL [MIN_SECONDS [MIN_RUNS]]   (defaults 1.0 and 3)
 *
 * The header is only ever included once per program (one kernel per
 * program), hence static functions and no separate .c file.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_RUNS 1000

typedef struct bench_kernel {
  const char *name;
  void *ctx;
  void (*prepare)(void *ctx);
  void (*run)(void *ctx);
  /* Sets *sum to the checksum of the last run's output; false (after
   * printing why to stderr) when the output is wrong. */
  bool (*check)(void *ctx, uint32_t *sum);
} bench_kernel;

/* ---- small helpers the kernels share ----------------------------------- */

/* A xorshift32 generator: the same sequence on every platform, so native
 * and wasm kernels work on identical inputs. */
static inline uint32_t bench_rand_next(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* A float in [-1, 1) with 24 significant bits, exact in f32. */
static inline float bench_rand_float(uint32_t *state) {
  return (float)((int32_t)(bench_rand_next(state) >> 8) - (1 << 23)) /
         (float)(1 << 23);
}

/* Folds 32-bit words into a checksum (FNV-1a over words with a final mix):
 * any change of a bit in any word changes the result with high odds. */
static inline uint32_t bench_hash_words(uint32_t h, const uint32_t *w,
                                        size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ w[i]) * 0x01000193u;
  return h;
}

static inline uint32_t bench_hash_finish(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Bit patterns of floats, hashed exactly (no rounding to decimal). */
static inline uint32_t bench_hash_floats(const float *f, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &f[i], sizeof bits);
    h = (h ^ bits) * 0x01000193u;
  }
  return bench_hash_finish(h);
}

/* Allocation for setup code: a benchmark without its memory cannot run,
 * so failure ends the program with a message naming the kernel. */
static inline void *bench_alloc(const char *kernel, size_t size) {
  void *p = malloc(size);
  if (!p) {
    fprintf(stderr, "%s: cannot allocate %zu bytes\n", kernel, size);
    exit(1);
  }
  return p;
}

/* ---- the timing loop --------------------------------------------------- */

static int64_t bench_clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int bench_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int64_t bench_median(int64_t *v, int n) {
  qsort(v, (size_t)n, sizeof v[0], bench_cmp_i64);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool bench_parse_args(const char *name, int argc, char **argv,
                             double *min_seconds, int *min_runs) {
  *min_seconds = 1.0;
  *min_runs = 3;
  if (argc > 3) {
    fprintf(stderr, "usage: %s [MIN_SECONDS [MIN_RUNS]]\n", name);
    return false;
  }
  if (argc > 1) {
    char *end;
    double v = strtod(argv[1], &end);
    if (end == argv[1] || *end || !(v >= 0 && v <= 3600)) {
      fprintf(stderr, "%s: MIN_SECONDS '%s' is not a number in [0, 3600]\n",
              name, argv[1]);
      return false;
    }
    *min_seconds = v;
  }
  if (argc > 2) {
    char *end;
    long v = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end || v < 1 || v > BENCH_MAX_RUNS) {
      fprintf(stderr, "%s: MIN_RUNS '%s' is not an integer in [1, %d]\n",
              name, argv[2], BENCH_MAX_RUNS);
      return false;
    }
    *min_runs = (int)v;
  }
  return true;
}

static int bench_main(int argc, char **argv, const bench_kernel *k) {
  double min_seconds;
  int min_runs;
  if (!bench_parse_args(k->name, argc, argv, &min_seconds, &min_runs))
    return 2;

  /* warm-up: its checksum is the reference for every timed run */
  uint32_t want;
  k->prepare(k->ctx);
  k->run(k->ctx);
  if (!k->check(k->ctx, &want)) return 1;

  static int64_t times[BENCH_MAX_RUNS], cpu_times[BENCH_MAX_RUNS];
  int runs = 0;
  int64_t total = 0, min_ns = INT64_MAX, cpu_min_ns = INT64_MAX;
  const int64_t min_total = (int64_t)(min_seconds * 1e9);
  while (runs < BENCH_MAX_RUNS && (runs < min_runs || total < min_total)) {
    k->prepare(k->ctx);
    int64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    int64_t t0 = bench_clock_ns(CLOCK_MONOTONIC);
    k->run(k->ctx);
    int64_t dt = bench_clock_ns(CLOCK_MONOTONIC) - t0;
    int64_t dc = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    uint32_t got;
    if (!k->check(k->ctx, &got)) return 1;
    if (got != want) {
      fprintf(stderr,
              "%s: run %d gave checksum %08x, the warm-up gave %08x\n",
              k->name, runs + 1, (unsigned)got, (unsigned)want);
      return 1;
    }
    times[runs] = dt;
    cpu_times[runs] = dc;
    runs++;
    total += dt;
    if (dt < min_ns) min_ns = dt;
    if (dc < cpu_min_ns) cpu_min_ns = dc;
  }
  int64_t median = bench_median(times, runs);
  int64_t cpu_median = bench_median(cpu_times, runs);
  printf("bench kernel=%s checksum=%08x runs=%d median_ns=%lld mean_ns=%lld "
         "min_ns=%lld cpu_median_ns=%lld cpu_min_ns=%lld\n",
         k->name, (unsigned)want, runs, (long long)median,
         (long long)(total / runs), (long long)min_ns, (long long)cpu_median,
         (long long)cpu_min_ns);
  return 0;
}

#endif /* BENCH_HARNESS_H */
