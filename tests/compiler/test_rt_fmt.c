/*
 * test_rt_fmt.c - the payload runtime's formatter (src/kernels/rt_fmt.c)
 * against the C library's snprintf.
 *
 * Every conversion the runtime uses is compared with glibc's output, text
 * for text.  %.9g, which writes the JSON numbers of float32 outputs, is
 * checked on two million seeded random floats and on hand-picked edges
 * (subnormals, powers of ten, the largest float, rounding carries): every
 * text must read back as the same float, and all but a handful (digits of
 * a value within ~1e-16 of a rounding boundary, see rt_fmt.c) must equal
 * glibc's.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rt_fmt.h"

static int checks, failures;

#define CHECK(c)                                                           \
  do {                                                                     \
    checks++;                                                              \
    if (!(c)) {                                                            \
      failures++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
    }                                                                      \
  } while (0)

/* the same format and arguments through both formatters */
#define SAME(...)                                                          \
  do {                                                                     \
    char a_[256], b_[256];                                                 \
    int na_ = rt_format(a_, sizeof a_, __VA_ARGS__);                       \
    int nb_ = snprintf(b_, sizeof b_, __VA_ARGS__);                        \
    checks++;                                                              \
    if (na_ != nb_ || strcmp(a_, b_) != 0) {                               \
      failures++;                                                          \
      fprintf(stderr, "%s:%d: rt_format gave '%s' (%d), snprintf '%s' (%d)\n", \
              __FILE__, __LINE__, a_, na_, b_, nb_);                       \
    }                                                                      \
  } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t next32(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* %.9g of f: round trip always; the count of texts unlike glibc's */
static int g9(float f, int *roundtrip_bad) {
  char a[64], b[64];
  rt_format(a, sizeof a, "%.9g", (double)f);
  snprintf(b, sizeof b, "%.9g", (double)f);
  float back = strtof(a, NULL);
  if (memcmp(&back, &f, 4) != 0) {
    if (++*roundtrip_bad <= 5)
      fprintf(stderr, "%.9g printed as '%s', reads back as %.9g\n", (double)f, a,
              (double)back);
  }
  return strcmp(a, b) != 0;
}

int main(void) {
  /* integers, strings, characters, widths */
  SAME("%d %d %d", 0, -1, 2147483647);
  SAME("%d", (int)-2147483647 - 1);
  SAME("%u %x %X", 4294967295u, 0xdeadbeefu, 0xdeadbeefu);
  SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
  SAME("%ld|%zu", -123456789L, (size_t)268435456);
  SAME("[%04x] [%02X] [%5d] [%-5d] [%05d]", 0x1fu, 0xau, 42, 42, -42);
  SAME("%s=%c%%", "key", 'v');
  SAME("[%.3s] [%8s] [%-8s]", "abcdef", "ab", "ab");
  SAME("P%c marker 0x%02X at %lld", '7', 0xD9u, 12345LL);
  /* truncation: the length of the whole text, a NUL within the buffer */
  char small[6];
  CHECK(rt_format(small, sizeof small, "%s", "0123456789") == 10);
  CHECK(strcmp(small, "01234") == 0);
  CHECK(rt_format(NULL, 0, "%d", 12345) == 5);

  /* %g edges */
  SAME("%g %g %g %g", 0.0, -0.0, 1.0, -1.5);
  SAME("%.9g %.9g %.9g", 100000000.0, 1e9, 123456789.0);
  SAME("%.9g %.9g %.9g %.9g", 1e-4, 1e-5, 0.000123456789, 9.9999999996);
  SAME("%.9g %.9g", (double)3.40282347e38f, (double)1.17549435e-38f);
  SAME("%.9g %.9g", (double)1.4e-45f, (double)-2.5e-40f);
  SAME("%g %g %g", 1e100, 1.5e-300, 4.9e-324);
  SAME("%.15g %.15g", 0.1, 2.0 / 3.0);
  SAME("%g %g %g", 123456.0, 1234567.0, 0.5);
  SAME("%.1g %.2g %.0g %.3g", 0.25, 0.125, 7.5, 1.0625);
  SAME("%g %g %g", (double)NAN, (double)INFINITY, -(double)INFINITY);

  /* %.9g on random floats: every bit pattern class */
  int differ = 0, bad = 0, n = 2000000;
  for (int i = 0; i < n; i++) {
    uint32_t bits = next32();
    float f;
    memcpy(&f, &bits, 4);
    if (f != f || isinf(f))
      continue;
    differ += g9(f, &bad);
  }
  for (int e = -45; e <= 38; e++) /* powers of ten and their neighbours */
    for (int d = -2; d <= 2; d++) {
      float f = strtof("1", NULL) * (float)pow(10.0, e);
      uint32_t bits;
      memcpy(&bits, &f, 4);
      bits += (uint32_t)d;
      memcpy(&f, &bits, 4);
      if (f == f && !isinf(f))
        differ += g9(f, &bad);
    }
  printf("%%.9g on %d random floats: %d read back wrong, %d differ from glibc\n", n,
         bad, differ);
  CHECK(bad == 0);
  CHECK(differ <= 20);
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
