/*
 * tp.h - the platform tests' tiny harness: checks that count failures and
 * say where, and a main that runs each test function in turn.
 *
 * A failed check prints file:line and the expression and the test goes on,
 * so one run shows every broken expectation; the exit status is the number
 * of failures (capped), which is what ctest looks at.
 */
#ifndef CLAVE_TESTS_TP_H
#define CLAVE_TESTS_TP_H

#include <stdio.h>
#include <string.h>

static int tp_failures;
static int tp_checks;

#define TP_CHECK(cond)                                                   \
  do {                                                                   \
    tp_checks++;                                                         \
    if (!(cond)) {                                                       \
      tp_failures++;                                                     \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
              #cond);                                                    \
    }                                                                    \
  } while (0)

#define TP_CHECK_STR(got, want)                                          \
  do {                                                                   \
    const char *tp_g = (got), *tp_w = (want);                            \
    tp_checks++;                                                         \
    if (!tp_g || strcmp(tp_g, tp_w) != 0) {                              \
      tp_failures++;                                                     \
      fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__,   \
              __LINE__, #got, tp_g ? tp_g : "(null)", tp_w);             \
    }                                                                    \
  } while (0)

#define TP_CHECK_INT(got, want)                                          \
  do {                                                                   \
    long long tp_g = (long long)(got), tp_w = (long long)(want);         \
    tp_checks++;                                                         \
    if (tp_g != tp_w) {                                                  \
      tp_failures++;                                                     \
      fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__,         \
              __LINE__, #got, tp_g, tp_w);                               \
    }                                                                    \
  } while (0)

#define TP_RUN(fn)                                                       \
  do {                                                                   \
    int tp_before = tp_failures;                                         \
    fn();                                                                \
    fprintf(stderr, "%s %s\n", tp_failures == tp_before ? "ok  " : "FAIL", \
            #fn);                                                        \
  } while (0)

static inline int tp_finish(void) {
  fprintf(stderr, "%d checks, %d failed\n", tp_checks, tp_failures);
  return tp_failures > 100 ? 100 : tp_failures;
}

#endif
