/*
 * rt_decode_jpeg.c - baseline JPEG decoding inside the payload.
 *
 * Supported: baseline and extended sequential Huffman (SOF0, SOF1), 8-bit
 * samples, 1 (gray) or 3 (YCbCr) components with any sampling factors up
 * to 4, restart intervals.  Progressive and arithmetic-coded files are
 * refused with a message.  The inverse DCT is the separable float form;
 * chroma is upsampled by nearest neighbour.  Every marker length, table
 * index and coefficient position is checked against its limits.
 */
#include <math.h>
#include <stdarg.h>
#include "rt_fmt.h"
#include <stdlib.h>
#include <string.h>

#include "rt_decode.h"

static int rt_jerr(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rt_jerr(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_vformat(err, RT_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

static const uint8_t rt_zigzag[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

typedef struct rt_jhuff {
  int present;
  int32_t mincode[17], maxcode[18], valptr[17];
  uint8_t vals[256];
} rt_jhuff;

typedef struct rt_jcomp {
  int id, h, v, tq, td, ta;
  int pw, ph; /* plane size in samples (whole MCUs) */
  uint8_t *plane;
  int dcpred;
} rt_jcomp;

typedef struct rt_jpeg {
  const uint8_t *d;
  size_t n, pos;
  uint32_t bitbuf;
  int bitcnt;
  int hit_marker;
  uint16_t qt[4][64];
  int qt_present[4];
  rt_jhuff dc[4], ac[4];
  rt_jcomp comp[3];
  int ncomp, w, h, hmax, vmax, restart;
  float cosv[8][8];
} rt_jpeg;

static int rt_jbuild(rt_jhuff *t, const uint8_t *counts, const uint8_t *vals,
                     int total) {
  int code = 0, k = 0;
  for (int l = 1; l <= 16; l++) {
    t->valptr[l] = k;
    t->mincode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    t->maxcode[l] = counts[l - 1] ? code - 1 : -1;
    if (code > (1 << l))
      return -1;
    code <<= 1;
  }
  t->maxcode[17] = 0x7fffffff;
  memcpy(t->vals, vals, (size_t)total);
  t->present = 1;
  return 0;
}

static int rt_jbit(rt_jpeg *j) {
  if (j->bitcnt == 0) {
    uint8_t b = 0;
    if (!j->hit_marker && j->pos < j->n) {
      b = j->d[j->pos];
      if (b == 0xFF) {
        uint8_t nx = j->pos + 1 < j->n ? j->d[j->pos + 1] : 0;
        if (nx == 0x00) {
          j->pos += 2;
        } else { /* a marker: feed zeros until resync */
          j->hit_marker = 1;
          b = 0;
        }
      } else {
        j->pos++;
      }
    }
    j->bitbuf = b;
    j->bitcnt = 8;
  }
  j->bitcnt--;
  return (int)((j->bitbuf >> j->bitcnt) & 1);
}

static int rt_jbits(rt_jpeg *j, int n) {
  int v = 0;
  for (int i = 0; i < n; i++)
    v = (v << 1) | rt_jbit(j);
  return v;
}

static int rt_jdecode(rt_jpeg *j, const rt_jhuff *t) {
  int code = 0;
  for (int l = 1; l <= 16; l++) {
    code = (code << 1) | rt_jbit(j);
    if (t->maxcode[l] >= 0 && code <= t->maxcode[l]) {
      int idx = t->valptr[l] + code - t->mincode[l];
      return idx >= 0 && idx < 256 ? t->vals[idx] : -1;
    }
  }
  return -1;
}

static int rt_jextend(int v, int s) {
  return s == 0 ? 0 : (v < (1 << (s - 1)) ? v - (1 << s) + 1 : v);
}

static int rt_jblock(rt_jpeg *j, rt_jcomp *c, float *blk, char *err) {
  int coef[64] = {0};
  const rt_jhuff *dc = &j->dc[c->td], *ac = &j->ac[c->ta];
  if (!dc->present || !ac->present || !j->qt_present[c->tq])
    return rt_jerr(err, "JPEG: a Huffman or quantisation table is missing");
  int s = rt_jdecode(j, dc);
  if (s < 0 || s > 11)
    return rt_jerr(err, "JPEG: corrupt entropy data (DC)");
  c->dcpred += rt_jextend(rt_jbits(j, s), s);
  coef[0] = c->dcpred * j->qt[c->tq][0];
  for (int k = 1; k < 64;) {
    int rs = rt_jdecode(j, ac);
    if (rs < 0)
      return rt_jerr(err, "JPEG: corrupt entropy data (AC)");
    int r = rs >> 4, sz = rs & 15;
    if (sz == 0) {
      if (r != 15)
        break; /* end of block */
      k += 16;
      continue;
    }
    k += r;
    if (k > 63)
      return rt_jerr(err, "JPEG: corrupt entropy data (run past the block)");
    coef[rt_zigzag[k]] = rt_jextend(rt_jbits(j, sz), sz) * j->qt[c->tq][k];
    k++;
  }
  /* separable float IDCT */
  float tmp[64];
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++) {
      float sum = 0;
      for (int u = 0; u < 8; u++)
        sum += j->cosv[x][u] * (float)coef[y * 8 + u];
      tmp[y * 8 + x] = sum;
    }
  for (int x = 0; x < 8; x++)
    for (int y = 0; y < 8; y++) {
      float sum = 0;
      for (int v = 0; v < 8; v++)
        sum += j->cosv[y][v] * tmp[v * 8 + x];
      blk[y * 8 + x] = sum / 4.0f + 128.0f;
    }
  return 0;
}

static uint8_t rt_clamp8(float v) {
  v += 0.5f;
  return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

static int rt_jscan(rt_jpeg *j, const uint8_t *sos, size_t len, char *err) {
  if (len < 1 || sos[0] != j->ncomp || len < 4 + 2 * (size_t)j->ncomp)
    return rt_jerr(err, "JPEG: only single interleaved scans are supported");
  for (int i = 0; i < j->ncomp; i++) {
    int id = sos[1 + 2 * i], tables = sos[2 + 2 * i];
    rt_jcomp *c = NULL;
    for (int k = 0; k < j->ncomp; k++)
      if (j->comp[k].id == id)
        c = &j->comp[k];
    if (!c || (tables >> 4) > 3 || (tables & 15) > 3)
      return rt_jerr(err, "JPEG: bad scan header");
    c->td = tables >> 4;
    c->ta = tables & 15;
  }
  int mcuw = 8 * j->hmax, mcuh = 8 * j->vmax;
  int mx = (j->w + mcuw - 1) / mcuw, my = (j->h + mcuh - 1) / mcuh;
  float blk[64];
  int left = j->restart;
  for (int k = 0; k < j->ncomp; k++)
    j->comp[k].dcpred = 0;
  for (int y = 0; y < my; y++)
    for (int x = 0; x < mx; x++) {
      if (j->restart && left == 0) { /* resync at RSTn */
        j->bitcnt = 0;
        j->hit_marker = 0;
        while (j->pos + 1 < j->n && !(j->d[j->pos] == 0xFF &&
                                     j->d[j->pos + 1] >= 0xD0 &&
                                     j->d[j->pos + 1] <= 0xD7))
          j->pos++;
        j->pos += 2;
        for (int k = 0; k < j->ncomp; k++)
          j->comp[k].dcpred = 0;
        left = j->restart;
      }
      for (int k = 0; k < j->ncomp; k++) {
        rt_jcomp *c = &j->comp[k];
        for (int by = 0; by < c->v; by++)
          for (int bx = 0; bx < c->h; bx++) {
            if (rt_jblock(j, c, blk, err))
              return -1;
            int px = (x * c->h + bx) * 8, py = (y * c->v + by) * 8;
            for (int r = 0; r < 8; r++)
              for (int q = 0; q < 8; q++)
                c->plane[(size_t)(py + r) * c->pw + px + q] = rt_clamp8(blk[r * 8 + q]);
          }
      }
      if (j->restart)
        left--;
    }
  return 0;
}

/* cos(k * pi / 16) from a table of the first quadrant: a payload that
 * decodes JPEG then needs no cosf (and none of libm's argument reduction,
 * 6 KB of code). */
static float rt_cos16(int k) {
  static const float q[9] = {1.0f,        0.98078528f, 0.92387953f,
                             0.83146961f, 0.70710678f, 0.55557023f,
                             0.38268343f, 0.19509032f, 0.0f};
  k %= 32;
  if (k > 16)
    k = 32 - k; /* cos(2pi - a) = cos(a) */
  return k <= 8 ? q[k] : -q[16 - k]; /* cos(pi - a) = -cos(a) */
}

int rt_decode_jpeg(const uint8_t *d, size_t n, rt_img *out, char *err) {
  memset(out, 0, sizeof *out);
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8)
    return rt_jerr(err, "JPEG: bad signature");
  rt_jpeg *j = calloc(1, sizeof *j);
  if (!j)
    return rt_jerr(err, "JPEG: out of memory");
  j->d = d;
  j->n = n;
  for (int x = 0; x < 8; x++)
    for (int u = 0; u < 8; u++)
      j->cosv[x][u] = (u == 0 ? 0.70710678f : 1.0f) * rt_cos16((2 * x + 1) * u);
  size_t at = 2;
  int rc = -1, have_frame = 0, done = 0;
  while (!done) {
    while (at < n && d[at] != 0xFF)
      at++; /* tolerate junk between markers */
    while (at < n && d[at] == 0xFF)
      at++;
    if (at >= n) {
      rt_jerr(err, "JPEG: no image data before the end of the file");
      goto out;
    }
    int m = d[at++];
    if (m == 0xD9) {
      rt_jerr(err, "JPEG: no image data");
      goto out;
    }
    if (m >= 0xD0 && m <= 0xD7)
      continue;
    if (at + 2 > n) {
      rt_jerr(err, "JPEG: truncated marker");
      goto out;
    }
    size_t len = (size_t)d[at] << 8 | d[at + 1];
    if (len < 2 || len > n - at) {
      rt_jerr(err, "JPEG: marker 0x%02X overruns the file", m);
      goto out;
    }
    const uint8_t *seg = d + at + 2;
    size_t sl = len - 2;
    at += len;
    switch (m) {
    case 0xC0: case 0xC1: {
      if (sl < 6 || seg[0] != 8) {
        rt_jerr(err, "JPEG: only 8-bit samples are supported");
        goto out;
      }
      j->h = seg[1] << 8 | seg[2];
      j->w = seg[3] << 8 | seg[4];
      j->ncomp = seg[5];
      if (j->w < 1 || j->h < 1 || (long long)j->w * j->h > RT_MAX_PIXELS) {
        rt_jerr(err, "JPEG: bad size %dx%d", j->w, j->h);
        goto out;
      }
      if ((j->ncomp != 1 && j->ncomp != 3) || sl < 6 + 3 * (size_t)j->ncomp) {
        rt_jerr(err, "JPEG: %d components are not supported (1 or 3)", j->ncomp);
        goto out;
      }
      j->hmax = j->vmax = 1;
      for (int i = 0; i < j->ncomp; i++) {
        rt_jcomp *c = &j->comp[i];
        c->id = seg[6 + 3 * i];
        c->h = seg[7 + 3 * i] >> 4;
        c->v = seg[7 + 3 * i] & 15;
        c->tq = seg[8 + 3 * i];
        if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->tq > 3) {
          rt_jerr(err, "JPEG: bad component header");
          goto out;
        }
        if (c->h > j->hmax) j->hmax = c->h;
        if (c->v > j->vmax) j->vmax = c->v;
      }
      int mx = (j->w + 8 * j->hmax - 1) / (8 * j->hmax);
      int my = (j->h + 8 * j->vmax - 1) / (8 * j->vmax);
      for (int i = 0; i < j->ncomp; i++) {
        rt_jcomp *c = &j->comp[i];
        c->pw = mx * c->h * 8;
        c->ph = my * c->v * 8;
        c->plane = malloc((size_t)c->pw * c->ph);
        if (!c->plane) {
          rt_jerr(err, "JPEG: out of memory");
          goto out;
        }
      }
      have_frame = 1;
      break;
    }
    case 0xC2: case 0xC6: case 0xCA: case 0xCE:
      rt_jerr(err, "JPEG: progressive JPEG is not supported");
      goto out;
    case 0xC3: case 0xC5: case 0xC7: case 0xC9: case 0xCB: case 0xCD: case 0xCF:
      rt_jerr(err, "JPEG: lossless, hierarchical and arithmetic-coded JPEG are "
                   "not supported");
      goto out;
    case 0xC4: { /* DHT */
      size_t p = 0;
      while (p < sl) {
        if (sl - p < 17) {
          rt_jerr(err, "JPEG: bad Huffman table");
          goto out;
        }
        int tc = seg[p] >> 4, th = seg[p] & 15;
        int total = 0;
        for (int i = 0; i < 16; i++)
          total += seg[p + 1 + i];
        if (tc > 1 || th > 3 || total > 256 || sl - p - 17 < (size_t)total) {
          rt_jerr(err, "JPEG: bad Huffman table");
          goto out;
        }
        rt_jhuff *t = tc ? &j->ac[th] : &j->dc[th];
        if (rt_jbuild(t, seg + p + 1, seg + p + 17, total)) {
          rt_jerr(err, "JPEG: bad Huffman table");
          goto out;
        }
        p += 17 + (size_t)total;
      }
      break;
    }
    case 0xDB: { /* DQT */
      size_t p = 0;
      while (p < sl) {
        int pq = seg[p] >> 4, tq = seg[p] & 15;
        size_t need = pq ? 129 : 65;
        if (pq > 1 || tq > 3 || sl - p < need) {
          rt_jerr(err, "JPEG: bad quantisation table");
          goto out;
        }
        for (int i = 0; i < 64; i++)
          j->qt[tq][i] = pq ? (uint16_t)(seg[p + 1 + 2 * i] << 8 | seg[p + 2 + 2 * i])
                            : seg[p + 1 + i];
        j->qt_present[tq] = 1;
        p += need;
      }
      break;
    }
    case 0xDD:
      if (sl < 2) {
        rt_jerr(err, "JPEG: bad restart interval");
        goto out;
      }
      j->restart = seg[0] << 8 | seg[1];
      break;
    case 0xDA:
      if (!have_frame) {
        rt_jerr(err, "JPEG: scan before frame header");
        goto out;
      }
      j->pos = at;
      if (rt_jscan(j, seg, sl, err))
        goto out;
      done = 1;
      break;
    default:
      break; /* APPn, COM and others: skipped */
    }
  }
  {
    int oc = j->ncomp == 3 ? 3 : 1;
    uint8_t *px = malloc((size_t)j->w * j->h * oc);
    if (!px) {
      rt_jerr(err, "JPEG: out of memory");
      goto out;
    }
    for (int y = 0; y < j->h; y++)
      for (int x = 0; x < j->w; x++) {
        float s[3];
        for (int k = 0; k < j->ncomp; k++) {
          rt_jcomp *c = &j->comp[k];
          int sx = x * c->h / j->hmax, sy = y * c->v / j->vmax;
          s[k] = c->plane[(size_t)sy * c->pw + sx];
        }
        uint8_t *o = px + ((size_t)y * j->w + x) * oc;
        if (oc == 1) {
          o[0] = (uint8_t)s[0];
        } else {
          float Y = s[0], cb = s[1] - 128, cr = s[2] - 128;
          o[0] = rt_clamp8(Y + 1.402f * cr);
          o[1] = rt_clamp8(Y - 0.344136f * cb - 0.714136f * cr);
          o[2] = rt_clamp8(Y + 1.772f * cb);
        }
      }
    out->w = j->w, out->h = j->h, out->c = oc, out->px = px;
    rc = 0;
  }
out:
  for (int i = 0; i < 3; i++)
    free(j->comp[i].plane);
  free(j);
  return rc;
}
