/*
 * rt_fmt.c - printf-style formatting for the payload runtime, without
 * libc's printf.
 *
 * wasi-libc's printf family brings about 11 KB of code into a payload (the
 * general float conversion, positional arguments, the stdio buffers), a
 * tenth of an MNIST-sized payload.  The runtime formats only error
 * messages and the numbers of its JSON output, so it has this small
 * formatter instead:
 *
 *   flags '-' and '0', a width, a precision ('.N'), lengths hh h l ll z;
 *   conversions d i u x X c s g and %%.
 *
 * %g prints a double with `precision` significant digits (6 by default,
 * at most 17), in fixed or exponent form as C's %g chooses, trailing zeros
 * removed.  The digits come from scaling by exact powers of ten in double
 * arithmetic, rounded to nearest with ties to even: for float32 values at
 * the precision the runtime uses (9) every text reads back as the same
 * float, and the last digit differs from glibc's only where the exact
 * value lies within about 10^-16 (relative) of a rounding boundary
 * (test_rt_fmt counts them: a handful in two million).  Doubles printed
 * with more than 15 digits get their last digits from the scaling, not
 * from the exact value: the runtime never asks for that.
 */
#include "rt_fmt.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Formatting is off every hot path: clang builds it for size (without the
 * attribute it unrolls and inlines it into 7 KB of wasm). */
#if defined(__clang__)
#define RT_SMALL __attribute__((minsize, noinline))
#else
#define RT_SMALL
#endif

typedef struct rt_sink {
  char *s;
  size_t cap, len;
} rt_sink;

RT_SMALL static void rt_putc(rt_sink *k, char c) {
  if (k->len + 1 < k->cap) k->s[k->len] = c;
  k->len++;
}

RT_SMALL static void rt_pad(rt_sink *k, char c, int n) {
  for (; n > 0; n--) rt_putc(k, c);
}

/* text of length n, right-aligned in width (or left with '-'); zero
 * padding goes after a leading sign */
RT_SMALL static void rt_field(rt_sink *k, const char *t, int n, int width, int left,
                     int zero) {
  int pad = width > n ? width - n : 0;
  if (left) {
    for (int i = 0; i < n; i++) rt_putc(k, t[i]);
    rt_pad(k, ' ', pad);
    return;
  }
  if (zero && n > 0 && t[0] == '-') {
    rt_putc(k, '-');
    t++, n--;
  }
  rt_pad(k, zero ? '0' : ' ', pad);
  for (int i = 0; i < n; i++) rt_putc(k, t[i]);
}

/* digits of v in base 10 or 16, backwards into the end of buf */
RT_SMALL static int rt_utoa(char *end, uint64_t v, int base, int upper) {
  const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    *--end = dig[v % (unsigned)base];
    v /= (unsigned)base;
    n++;
  } while (v);
  return n;
}

/* v * 10^p, in steps of exact powers of ten */
RT_SMALL static double rt_scale10(double v, int p) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  while (p > 22) v *= 1e22, p -= 22;
  while (p < -22) v /= 1e22, p += 22;
  return p >= 0 ? v * pow10[p] : v / pow10[-p];
}

/* %g of a finite, positive v into t (at least 32 bytes); its length */
RT_SMALL static int rt_gtoa(char *t, double v, int prec) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  int e2 = (int)((bits >> 52) & 0x7FF);
  if (e2 == 0) { /* subnormal: scale into the normal range first */
    double w = v * 18014398509481984.0; /* 2^54 */
    memcpy(&bits, &w, 8);
    e2 = (int)((bits >> 52) & 0x7FF) - 54;
  }
  e2 -= 1023;
  /* floor(e2 * log10(2)), possibly one off: the loop corrects it */
  int e10 = e2 >= 0 ? e2 * 78913 / 262144 : -((-e2 * 78913 + 262143) / 262144);
  uint64_t lim = 1;
  for (int i = 0; i < prec; i++) lim *= 10;
  uint64_t n = 0;
  for (int tries = 0; tries < 4; tries++) {
    double s = rt_scale10(v, prec - 1 - e10);
    n = (uint64_t)s;
    double frac = s - (double)n; /* exact: s < 2^57 */
    if (frac > 0.5 || (frac == 0.5 && (n & 1))) /* to nearest, ties to even */
      n++;
    if (n >= lim)
      e10++;
    else if (n < lim / 10)
      e10--;
    else
      break;
  }
  if (n >= lim) /* rounded up to the next power of ten */
    n = lim / 10, e10++;
  char dig[24];
  int nd = rt_utoa(dig + sizeof dig, n, 10, 0);
  const char *d = dig + sizeof dig - nd;
  while (nd > 1 && d[nd - 1] == '0') /* %g drops trailing zeros */
    nd--;
  int len = 0;
  if (e10 < -4 || e10 >= prec) {
    t[len++] = d[0];
    if (nd > 1) {
      t[len++] = '.';
      for (int i = 1; i < nd; i++) t[len++] = d[i];
    }
    t[len++] = 'e';
    t[len++] = e10 < 0 ? '-' : '+';
    int x = e10 < 0 ? -e10 : e10;
    char xd[8];
    int nx = rt_utoa(xd + sizeof xd, (uint64_t)x, 10, 0);
    if (nx < 2) t[len++] = '0';
    memcpy(t + len, xd + sizeof xd - nx, (size_t)nx);
    len += nx;
  } else if (e10 >= 0) {
    for (int i = 0; i <= e10; i++) t[len++] = i < nd ? d[i] : '0';
    if (nd > e10 + 1) {
      t[len++] = '.';
      for (int i = e10 + 1; i < nd; i++) t[len++] = d[i];
    }
  } else {
    t[len++] = '0';
    t[len++] = '.';
    for (int i = 0; i < -e10 - 1; i++) t[len++] = '0';
    for (int i = 0; i < nd; i++) t[len++] = d[i];
  }
  return len;
}

RT_SMALL int rt_vformat(char *buf, size_t cap, const char *fmt, va_list ap) {
  rt_sink k = {buf, cap, 0};
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      rt_putc(&k, *p);
      continue;
    }
    p++;
    int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
    for (;; p++) {
      if (*p == '-')
        left = 1;
      else if (*p == '0')
        zero = 1;
      else
        break;
    }
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == '.') {
      prec = 0;
      for (p++; *p >= '0' && *p <= '9'; p++) prec = prec * 10 + (*p - '0');
    }
    for (;; p++) { /* length: 1 = l (or z), 2 = ll; hh and h change nothing */
      if (*p == 'l')
        lng++;
      else if (*p == 'z')
        lng = sizeof(size_t) == 8 ? 2 : 1;
      else if (*p != 'h')
        break;
    }
    char t[40];
    char *end = t + sizeof t;
    switch (*p) {
      case 'd':
      case 'i': {
        int64_t v = lng == 2   ? va_arg(ap, long long)
                    : lng == 1 ? va_arg(ap, long)
                               : va_arg(ap, int);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        int n = rt_utoa(end, u, 10, 0);
        if (v < 0) end[-++n] = '-';
        rt_field(&k, end - n, n, width, left, zero);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t u = lng == 2   ? va_arg(ap, unsigned long long)
                     : lng == 1 ? va_arg(ap, unsigned long)
                                : va_arg(ap, unsigned);
        int n = rt_utoa(end, u, *p == 'u' ? 10 : 16, *p == 'X');
        rt_field(&k, end - n, n, width, left, zero);
        break;
      }
      case 'c':
        t[0] = (char)va_arg(ap, int);
        rt_field(&k, t, 1, width, left, 0);
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        size_t n = strlen(s);
        if (prec >= 0 && (size_t)prec < n) n = (size_t)prec;
        rt_field(&k, s, (int)n, width, left, 0);
        break;
      }
      case 'g': {
        double v = va_arg(ap, double);
        uint64_t bits;
        memcpy(&bits, &v, 8);
        int n = 0;
        if (bits >> 63) t[n++] = '-', v = -v;
        if (v != v)
          memcpy(t + n, "nan", 3), n += 3;
        else if (v > 1.79769313486231570815e308)
          memcpy(t + n, "inf", 3), n += 3;
        else if (v == 0)
          t[n++] = '0';
        else
          n += rt_gtoa(t + n, v,
                       prec < 0    ? 6
                       : prec == 0 ? 1
                       : prec > 17 ? 17
                                   : prec);
        rt_field(&k, t, n, width, left, zero);
        break;
      }
      case '%':
        rt_putc(&k, '%');
        break;
      default: /* unknown conversion: printed as it is */
        rt_putc(&k, '%');
        if (!*p) goto done;
        rt_putc(&k, *p);
    }
  }
done:
  if (cap > 0) buf[k.len < cap ? k.len : cap - 1] = 0;
  return (int)k.len;
}

int rt_format(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = rt_vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

void rt_log(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = rt_vformat(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
  for (size_t at = 0; at < len;) {
    ssize_t w = write(2, msg + at, len - at);
    if (w <= 0) break;
    at += (size_t)w;
  }
}
