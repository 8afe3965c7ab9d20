/*
 * rt_decode_png.c - PNG decoding inside the payload, with its own DEFLATE
 * decoder (no zlib in the sandbox).
 *
 * Supported: bit depths 1, 2, 4, 8 and 16; gray, gray+alpha, RGB, RGBA and
 * palette images; non-interlaced.  Alpha is dropped; 16-bit samples keep
 * their high byte.  The inflater decodes canonical Huffman codes one bit at
 * a time (counts per length, symbols by code order): slow-ish but small
 * and easy to check.  Every length, distance and count is validated, and
 * output never exceeds the size the header implies.
 */
#include <stdarg.h>
#include "rt_fmt.h"
#include <stdlib.h>
#include <string.h>

#include "rt_decode.h"

static int rt_perr(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rt_perr(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_vformat(err, RT_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

/* ---- inflate ------------------------------------------------------------ */

typedef struct rt_bits {
  const uint8_t *d;
  size_t n, pos; /* byte position */
  uint32_t buf;
  int cnt;
  int over; /* read past the end */
} rt_bits;

static int rt_bit(rt_bits *s) {
  if (s->cnt == 0) {
    if (s->pos >= s->n) {
      s->over = 1;
      return 0;
    }
    s->buf = s->d[s->pos++];
    s->cnt = 8;
  }
  int b = (int)(s->buf & 1);
  s->buf >>= 1;
  s->cnt--;
  return b;
}

static uint32_t rt_bitsn(rt_bits *s, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++)
    v |= (uint32_t)rt_bit(s) << i;
  return v;
}

typedef struct rt_huff {
  short count[16];
  short sym[320];
} rt_huff;

/* build from code lengths; 0 ok, -1 over-subscribed */
static int rt_huff_build(rt_huff *h, const uint8_t *len, int n) {
  short offs[16];
  memset(h->count, 0, sizeof h->count);
  for (int i = 0; i < n; i++)
    h->count[len[i]]++;
  if (h->count[0] == n)
    return 0; /* no codes: decoding will fail if used */
  int left = 1;
  for (int l = 1; l < 16; l++) {
    left <<= 1;
    left -= h->count[l];
    if (left < 0)
      return -1;
  }
  offs[1] = 0;
  for (int l = 1; l < 15; l++)
    offs[l + 1] = (short)(offs[l] + h->count[l]);
  for (int i = 0; i < n; i++)
    if (len[i])
      h->sym[offs[len[i]]++] = (short)i;
  return 0;
}

static int rt_huff_decode(rt_bits *s, const rt_huff *h) {
  int code = 0, first = 0, index = 0;
  for (int l = 1; l < 16; l++) {
    code |= rt_bit(s);
    int count = h->count[l];
    if (code - count < first)
      return s->over ? -1 : h->sym[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  return -1;
}

static const short rt_lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
                                   227, 258};
static const short rt_lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short rt_dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                   193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                   4097, 6145, 8193, 12289, 16385, 24577};
static const short rt_dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int rt_codes(rt_bits *s, uint8_t *out, size_t cap, size_t *at,
                    const rt_huff *lit, const rt_huff *dist, char *err) {
  for (;;) {
    int sym = rt_huff_decode(s, lit);
    if (sym < 0)
      return rt_perr(err, "PNG: corrupt compressed data (bad code)");
    if (sym < 256) {
      if (*at >= cap)
        return rt_perr(err, "PNG: decompressed data is larger than the image");
      out[(*at)++] = (uint8_t)sym;
    } else if (sym == 256) {
      return 0;
    } else {
      sym -= 257;
      if (sym >= 29)
        return rt_perr(err, "PNG: corrupt compressed data (bad length)");
      size_t len = (size_t)rt_lbase[sym] + rt_bitsn(s, rt_lext[sym]);
      int ds = rt_huff_decode(s, dist);
      if (ds < 0 || ds >= 30)
        return rt_perr(err, "PNG: corrupt compressed data (bad distance)");
      size_t d = (size_t)rt_dbase[ds] + rt_bitsn(s, rt_dext[ds]);
      if (d > *at)
        return rt_perr(err, "PNG: corrupt compressed data (distance too far)");
      if (len > cap - *at)
        return rt_perr(err, "PNG: decompressed data is larger than the image");
      for (size_t i = 0; i < len; i++, (*at)++)
        out[*at] = out[*at - d];
    }
    if (s->over)
      return rt_perr(err, "PNG: compressed data is truncated");
  }
}

long rt_inflate_zlib(const uint8_t *d, size_t n, uint8_t *out, size_t cap,
                     char *err) {
  if (n < 2 || (d[0] & 0x0f) != 8 || ((d[0] << 8) | d[1]) % 31 || (d[1] & 0x20))
    return rt_perr(err, "PNG: bad zlib header");
  rt_bits s = {d, n, 2, 0, 0, 0};
  size_t at = 0;
  int last;
  do {
    last = rt_bit(&s);
    int type = (int)rt_bitsn(&s, 2);
    if (s.over)
      return rt_perr(err, "PNG: compressed data is truncated");
    if (type == 0) {
      s.cnt = 0; /* to a byte boundary */
      if (s.n - s.pos < 4)
        return rt_perr(err, "PNG: compressed data is truncated");
      unsigned len = s.d[s.pos] | s.d[s.pos + 1] << 8;
      unsigned nlen = s.d[s.pos + 2] | s.d[s.pos + 3] << 8;
      s.pos += 4;
      if ((len ^ 0xffff) != nlen)
        return rt_perr(err, "PNG: corrupt stored block");
      if (s.n - s.pos < len)
        return rt_perr(err, "PNG: compressed data is truncated");
      if (len > cap - at)
        return rt_perr(err, "PNG: decompressed data is larger than the image");
      memcpy(out + at, s.d + s.pos, len);
      s.pos += len;
      at += len;
    } else if (type == 1 || type == 2) {
      rt_huff lit, dist;
      uint8_t lens[320];
      if (type == 1) {
        int i = 0;
        for (; i < 144; i++) lens[i] = 8;
        for (; i < 256; i++) lens[i] = 9;
        for (; i < 280; i++) lens[i] = 7;
        for (; i < 288; i++) lens[i] = 8;
        rt_huff_build(&lit, lens, 288);
        for (i = 0; i < 30; i++) lens[i] = 5;
        rt_huff_build(&dist, lens, 30);
      } else {
        int nlen = (int)rt_bitsn(&s, 5) + 257, ndist = (int)rt_bitsn(&s, 5) + 1;
        int ncode = (int)rt_bitsn(&s, 4) + 4;
        static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                          11, 4, 12, 3, 13, 2, 14, 1, 15};
        if (nlen > 286 || ndist > 30)
          return rt_perr(err, "PNG: corrupt dynamic block");
        memset(lens, 0, sizeof lens);
        for (int i = 0; i < ncode; i++)
          lens[order[i]] = (uint8_t)rt_bitsn(&s, 3);
        rt_huff lenc;
        if (rt_huff_build(&lenc, lens, 19))
          return rt_perr(err, "PNG: corrupt dynamic block");
        int i = 0;
        while (i < nlen + ndist) {
          int sym = rt_huff_decode(&s, &lenc);
          if (sym < 0)
            return rt_perr(err, "PNG: corrupt dynamic block");
          if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
          }
          int rep, val = 0;
          if (sym == 16) {
            if (i == 0)
              return rt_perr(err, "PNG: corrupt dynamic block");
            val = lens[i - 1];
            rep = 3 + (int)rt_bitsn(&s, 2);
          } else if (sym == 17) {
            rep = 3 + (int)rt_bitsn(&s, 3);
          } else {
            rep = 11 + (int)rt_bitsn(&s, 7);
          }
          if (i + rep > nlen + ndist)
            return rt_perr(err, "PNG: corrupt dynamic block");
          while (rep--)
            lens[i++] = (uint8_t)val;
        }
        if (lens[256] == 0 || rt_huff_build(&lit, lens, nlen) ||
            rt_huff_build(&dist, lens + nlen, ndist))
          return rt_perr(err, "PNG: corrupt dynamic block");
      }
      if (rt_codes(&s, out, cap, &at, &lit, &dist, err))
        return -1;
    } else {
      return rt_perr(err, "PNG: corrupt compressed data (block type 3)");
    }
  } while (!last);
  return (long)at;
}

/* ---- PNG ----------------------------------------------------------------- */

static uint32_t rt_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int rt_paeth(int a, int b, int c) {
  int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p,
      pc = p > c ? p - c : c - p;
  return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

int rt_decode_png(const uint8_t *d, size_t n, rt_img *out, char *err) {
  memset(out, 0, sizeof *out);
  if (n < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0)
    return rt_perr(err, "PNG: bad signature");
  size_t at = 8;
  uint32_t w = 0, h = 0;
  int depth = 0, ctype = -1, seen_hdr = 0;
  uint8_t pal[256 * 3];
  int npal = 0;
  uint8_t *z = NULL;
  size_t zlen = 0, zcap = 0;
  int ok = 0;
  while (at + 12 <= n) {
    uint32_t len = rt_be32(d + at);
    const uint8_t *type = d + at + 4, *body = d + at + 8;
    if (len > n - at - 12) {
      free(z);
      return rt_perr(err, "PNG: chunk overruns the file");
    }
    if (memcmp(type, "IHDR", 4) == 0) {
      if (len != 13) {
        free(z);
        return rt_perr(err, "PNG: bad IHDR");
      }
      w = rt_be32(body), h = rt_be32(body + 4);
      depth = body[8], ctype = body[9];
      if (body[12] != 0) {
        free(z);
        return rt_perr(err, "PNG: interlaced images are not supported");
      }
      seen_hdr = 1;
    } else if (memcmp(type, "PLTE", 4) == 0) {
      if (len % 3 || len > 768) {
        free(z);
        return rt_perr(err, "PNG: bad palette");
      }
      npal = (int)(len / 3);
      memcpy(pal, body, len);
    } else if (memcmp(type, "IDAT", 4) == 0) {
      if (zlen + len > zcap) {
        zcap = (zlen + len) * 2;
        uint8_t *nz = realloc(z, zcap);
        if (!nz) {
          free(z);
          return rt_perr(err, "PNG: out of memory");
        }
        z = nz;
      }
      memcpy(z + zlen, body, len);
      zlen += len;
    } else if (memcmp(type, "IEND", 4) == 0) {
      ok = 1;
      break;
    }
    at += 12 + len;
  }
  if (!seen_hdr || !z) {
    free(z);
    return rt_perr(err, "PNG: missing IHDR or IDAT");
  }
  (void)ok; /* a missing IEND is tolerated */
  int spp; /* samples per pixel */
  switch (ctype) {
  case 0: spp = 1; break;
  case 2: spp = 3; break;
  case 3: spp = 1; break;
  case 4: spp = 2; break;
  case 6: spp = 4; break;
  default:
    free(z);
    return rt_perr(err, "PNG: bad color type %d", ctype);
  }
  int okdepth = (depth == 8 || depth == 16) ||
                ((ctype == 0 || ctype == 3) && (depth == 1 || depth == 2 || depth == 4));
  if (!okdepth || (ctype == 3 && depth == 16)) {
    free(z);
    return rt_perr(err, "PNG: bit depth %d is not valid for color type %d", depth,
                   ctype);
  }
  if (w == 0 || h == 0 || (uint64_t)w * h > RT_MAX_PIXELS) {
    free(z);
    return rt_perr(err, "PNG: bad size %ux%u", (unsigned)w, (unsigned)h);
  }
  if (ctype == 3 && npal == 0) {
    free(z);
    return rt_perr(err, "PNG: palette image without a palette");
  }
  size_t bpp = ((size_t)spp * depth + 7) / 8; /* bytes per pixel for filters */
  size_t stride = ((size_t)w * spp * depth + 7) / 8;
  size_t raw_len = (stride + 1) * h;
  uint8_t *raw = malloc(raw_len);
  if (!raw) {
    free(z);
    return rt_perr(err, "PNG: out of memory");
  }
  long got = rt_inflate_zlib(z, zlen, raw, raw_len, err);
  free(z);
  if (got < 0) {
    free(raw);
    return -1;
  }
  if ((size_t)got != raw_len) {
    free(raw);
    return rt_perr(err, "PNG: image data is truncated (%ld of %zu bytes)", got,
                   raw_len);
  }
  /* unfilter in place: row y's bytes start at raw + y*(stride+1) + 1 */
  for (uint32_t y = 0; y < h; y++) {
    uint8_t *row = raw + y * (stride + 1);
    int f = row[0];
    uint8_t *cur = row + 1;
    const uint8_t *prev = y ? raw + (y - 1) * (stride + 1) + 1 : NULL;
    for (size_t i = 0; i < stride; i++) {
      int a = i >= bpp ? cur[i - bpp] : 0, b = prev ? prev[i] : 0,
          c = (prev && i >= bpp) ? prev[i - bpp] : 0;
      switch (f) {
      case 0: break;
      case 1: cur[i] = (uint8_t)(cur[i] + a); break;
      case 2: cur[i] = (uint8_t)(cur[i] + b); break;
      case 3: cur[i] = (uint8_t)(cur[i] + ((a + b) >> 1)); break;
      case 4: cur[i] = (uint8_t)(cur[i] + rt_paeth(a, b, c)); break;
      default:
        free(raw);
        return rt_perr(err, "PNG: bad filter type %d in row %u", f, (unsigned)y);
      }
    }
  }
  int oc = (ctype == 2 || ctype == 3 || ctype == 6) ? 3 : 1;
  uint8_t *px = malloc((size_t)w * h * oc);
  if (!px) {
    free(raw);
    return rt_perr(err, "PNG: out of memory");
  }
  for (uint32_t y = 0; y < h; y++) {
    const uint8_t *row = raw + y * (stride + 1) + 1;
    for (uint32_t x = 0; x < w; x++) {
      uint8_t *o = px + ((size_t)y * w + x) * oc;
      if (depth < 8) {
        size_t bit = (size_t)x * depth;
        int v = (row[bit / 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1);
        if (ctype == 3) {
          if (v >= npal) {
            free(raw);
            free(px);
            return rt_perr(err, "PNG: palette index %d out of range", v);
          }
          memcpy(o, pal + 3 * v, 3);
        } else {
          o[0] = (uint8_t)(v * 255 / ((1 << depth) - 1));
        }
        continue;
      }
      size_t bs = depth / 8; /* bytes per sample; keep the high byte */
      const uint8_t *s = row + (size_t)x * spp * bs;
      if (ctype == 3) {
        if (s[0] >= npal) {
          free(raw);
          free(px);
          return rt_perr(err, "PNG: palette index %d out of range", s[0]);
        }
        memcpy(o, pal + 3 * s[0], 3);
      } else {
        for (int k = 0; k < oc; k++)
          o[k] = s[k * bs];
      }
    }
  }
  free(raw);
  out->w = (int)w, out->h = (int)h, out->c = oc, out->px = px;
  return 0;
}
