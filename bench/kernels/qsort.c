/*
 * qsort.c - quicksort of 1,000,000 random 32-bit ints.
 *
 * The sort is our own (not libc's qsort, whose speed differs between glibc
 * and wasi-libc and which calls a comparator through a pointer): Hoare
 * partition around a median of three, insertion sort below 16 elements,
 * recursion on the smaller side only so the stack stays O(log n).  prepare
 * copies the unsorted input back, untimed.  check verifies the order and
 * hashes the sorted array.
 */
#include "harness.h"

#define QS_N 1000000
#define QS_SMALL 16

typedef struct qs_ctx {
  int32_t *input; /* unsorted, made once */
  int32_t *work;  /* sorted in place by every run */
} qs_ctx;

static void qs_insertion(int32_t *a, long lo, long hi) {
  for (long i = lo + 1; i <= hi; i++) {
    int32_t v = a[i];
    long j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static inline void qs_swap(int32_t *a, long i, long j) {
  int32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void qs_sort(int32_t *a, long lo, long hi) {
  while (hi - lo >= QS_SMALL) {
    long mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) qs_swap(a, mid, lo);
    if (a[hi] < a[lo]) qs_swap(a, hi, lo);
    if (a[hi] < a[mid]) qs_swap(a, hi, mid);
    int32_t pivot = a[mid];
    long i = lo - 1, j = hi + 1;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      qs_swap(a, i, j);
    }
    /* [lo, j] <= pivot <= [j+1, hi]: recurse on the smaller part */
    if (j - lo < hi - j) {
      qs_sort(a, lo, j);
      lo = j + 1;
    } else {
      qs_sort(a, j + 1, hi);
      hi = j;
    }
  }
  qs_insertion(a, lo, hi);
}

static void qs_prepare(void *ctx) {
  qs_ctx *g = ctx;
  memcpy(g->work, g->input, sizeof(int32_t) * QS_N);
}

static void qs_run(void *ctx) {
  qs_ctx *g = ctx;
  qs_sort(g->work, 0, QS_N - 1);
}

static bool qs_check(void *ctx, uint32_t *sum) {
  qs_ctx *g = ctx;
  for (long i = 1; i < QS_N; i++) {
    if (g->work[i - 1] > g->work[i]) {
      fprintf(stderr, "qsort: output not sorted at index %ld (%d > %d)\n", i,
              (int)g->work[i - 1], (int)g->work[i]);
      return false;
    }
  }
  *sum = bench_hash_finish(
      bench_hash_words(0x811c9dc5u, (const uint32_t *)g->work, QS_N));
  return true;
}

int main(int argc, char **argv) {
  qs_ctx g = {bench_alloc("qsort", sizeof(int32_t) * QS_N),
              bench_alloc("qsort", sizeof(int32_t) * QS_N)};
  uint32_t seed = 0xbb67ae85u;
  for (long i = 0; i < QS_N; i++) g.input[i] = (int32_t)bench_rand_next(&seed);
  bench_kernel k = {"qsort", &g, qs_prepare, qs_run, qs_check};
  int rc = bench_main(argc, argv, &k);
  free(g.input);
  free(g.work);
  return rc;
}
