/*
 * stats.c - summary statistics with printf: a function and a command.
 *
 * Built with wasi-libc, one module serves both ways Clave runs code:
 *
 *   clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -I sdk/payload \
 *     stats.c -o stats.wasm
 *
 *   clave wasm run stats.wasm 3 1 4 1 5     main(): a WASI command; prints
 *                                           the summary, exit status 0
 *   clave exec stats.wasm --arg a=3 --arg b=4
 *                                           entrypoint(): prints each
 *                                           argument and the summary into
 *                                           the log, returns the sum
 *
 * Non-numeric values are reported and skipped by the function (its
 * arguments are named values, some may be text); the command treats them
 * as a usage error and exits with status 2.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clave.h"

typedef struct summary {
  int count;
  double sum, min, max;
} summary;

static void summary_add(summary *s, double v) {
  if (s->count == 0 || v < s->min) s->min = v;
  if (s->count == 0 || v > s->max) s->max = v;
  s->sum += v;
  s->count++;
}

static void summary_print(const summary *s) {
  if (s->count == 0) {
    printf("no numbers\n");
    return;
  }
  printf("count %d\nsum %g\nmean %g\nmin %g\nmax %g\n", s->count, s->sum,
         s->sum / s->count, s->min, s->max);
}

/* Is text a number?  Stores it in *v. */
static int parse_number(const char *text, double *v) {
  char *end;
  *v = strtod(text, &end);
  return end != text && *end == '\0';
}

int main(int argc, char **argv) {
  summary s = {0, 0, 0, 0};
  for (int i = 1; i < argc; i++) {
    double v;
    if (!parse_number(argv[i], &v)) {
      fprintf(stderr, "%s: '%s' is not a number\n", argv[0], argv[i]);
      return 2;
    }
    summary_add(&s, v);
  }
  summary_print(&s);
  return 0;
}

/* argv is [k1, v1, k2, v2, ...]; returns the sum rounded toward zero
 * (clamped to the int range). */
CLAVE_ENTRYPOINT {
  summary s = {0, 0, 0, 0};
  for (int i = 0; i + 1 < argc; i += 2) {
    double v;
    if (parse_number(argv[i + 1], &v)) {
      printf("%s = %g\n", argv[i], v);
      summary_add(&s, v);
    } else {
      printf("%s = '%s' (not a number, skipped)\n", argv[i], argv[i + 1]);
    }
  }
  summary_print(&s);
  if (s.sum >= 2147483647.0) return 2147483647;
  if (s.sum <= -2147483648.0) return -2147483647 - 1;
  return (int)s.sum;
}
