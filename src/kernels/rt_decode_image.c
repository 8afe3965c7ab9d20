/*
 * rt_decode_image.c - image input inside the payload: format detection,
 * PGM/PPM (binary P5/P6 and text P2/P3), and preprocessing into the input
 * tensor (bilinear resize, gray/RGB conversion, scale, mean, std, layout).
 *
 * PNG and JPEG have their own files.  Sizes are capped (RT_MAX_PIXELS) so a
 * header cannot make the payload allocate gigabytes.
 */
#include <stdarg.h>
#include "rt_fmt.h"
#include <stdlib.h>
#include <string.h>

#include "ck.h"
#include "rt_decode.h"

static int rt_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rt_err(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_vformat(err, RT_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

int rt_is_image(const uint8_t *d, size_t n) {
  if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return 1;
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
    return 1;
  if (n >= 2 && d[0] == 'P' && d[1] >= '2' && d[1] <= '6' && d[1] != '4')
    return 1;
  return 0;
}

int rt_decode_image(const uint8_t *d, size_t n, rt_img *out, char *err) {
  memset(out, 0, sizeof *out);
  if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return rt_decode_png(d, n, out, err);
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8)
    return rt_decode_jpeg(d, n, out, err);
  if (n >= 2 && d[0] == 'P')
    return rt_decode_pnm(d, n, out, err);
  return rt_err(err, "input is not a PNG, JPEG, PGM or PPM image");
}

/* ---- PGM / PPM ---------------------------------------------------------- */

static int rt_pnm_int(const uint8_t *d, size_t n, size_t *at, long *v) {
  for (;;) { /* whitespace and comments */
    while (*at < n && (d[*at] == ' ' || d[*at] == '\t' || d[*at] == '\n' ||
                       d[*at] == '\r'))
      (*at)++;
    if (*at < n && d[*at] == '#') {
      while (*at < n && d[*at] != '\n')
        (*at)++;
      continue;
    }
    break;
  }
  if (*at >= n || d[*at] < '0' || d[*at] > '9')
    return -1;
  long x = 0;
  while (*at < n && d[*at] >= '0' && d[*at] <= '9') {
    x = x * 10 + (d[(*at)++] - '0');
    if (x > 1000000)
      return -1;
  }
  *v = x;
  return 0;
}

int rt_decode_pnm(const uint8_t *d, size_t n, rt_img *out, char *err) {
  memset(out, 0, sizeof *out);
  if (n < 2 || d[0] != 'P')
    return rt_err(err, "PNM: bad magic");
  int kind = d[1] - '0';
  if (kind != 2 && kind != 3 && kind != 5 && kind != 6)
    return rt_err(err, "PNM: type P%c is not supported (P2, P3, P5, P6)", d[1]);
  size_t at = 2;
  long w, h, maxv;
  if (rt_pnm_int(d, n, &at, &w) || rt_pnm_int(d, n, &at, &h) ||
      rt_pnm_int(d, n, &at, &maxv))
    return rt_err(err, "PNM: bad header");
  if (w < 1 || h < 1 || (long long)w * h > RT_MAX_PIXELS)
    return rt_err(err, "PNM: bad size %ldx%ld", w, h);
  if (maxv < 1 || maxv > 65535)
    return rt_err(err, "PNM: bad maximum value %ld", maxv);
  int c = (kind == 3 || kind == 6) ? 3 : 1;
  size_t count = (size_t)w * (size_t)h * (size_t)c;
  uint8_t *px = malloc(count);
  if (!px)
    return rt_err(err, "PNM: out of memory");
  if (kind == 5 || kind == 6) {
    at++; /* the single whitespace after maxval */
    size_t bps = maxv > 255 ? 2 : 1;
    if (at > n || (n - at) / bps < count) {
      free(px);
      return rt_err(err, "PNM: pixel data is truncated");
    }
    for (size_t i = 0; i < count; i++) {
      long v = bps == 2 ? (long)d[at + 2 * i] << 8 | d[at + 2 * i + 1] : d[at + i];
      px[i] = (uint8_t)(v > maxv ? 255 : v * 255 / maxv);
    }
  } else {
    for (size_t i = 0; i < count; i++) {
      long v;
      if (rt_pnm_int(d, n, &at, &v)) {
        free(px);
        return rt_err(err, "PNM: pixel data is truncated");
      }
      px[i] = (uint8_t)(v > maxv ? 255 : v * 255 / maxv);
    }
  }
  out->w = (int)w, out->h = (int)h, out->c = c, out->px = px;
  return 0;
}

/* ---- preprocessing ------------------------------------------------------ */

static float rt_sample(const rt_img *img, int ch, float x, float y) {
  /* bilinear, pixel centres at +0.5, edges clamped */
  float fx = x - 0.5f, fy = y - 0.5f;
  if (fx < 0)
    fx = 0;
  if (fy < 0)
    fy = 0;
  int x0 = (int)fx, y0 = (int)fy;
  if (x0 > img->w - 1)
    x0 = img->w - 1;
  if (y0 > img->h - 1)
    y0 = img->h - 1;
  int x1 = x0 + 1 < img->w ? x0 + 1 : x0, y1 = y0 + 1 < img->h ? y0 + 1 : y0;
  float ax = fx - (float)x0, ay = fy - (float)y0;
  if (ax > 1)
    ax = 1;
  if (ay > 1)
    ay = 1;
  const uint8_t *p = img->px;
  int c = img->c;
  float v00 = p[((size_t)y0 * img->w + x0) * c + ch];
  float v01 = p[((size_t)y0 * img->w + x1) * c + ch];
  float v10 = p[((size_t)y1 * img->w + x0) * c + ch];
  float v11 = p[((size_t)y1 * img->w + x1) * c + ch];
  return (v00 * (1 - ax) + v01 * ax) * (1 - ay) + (v10 * (1 - ax) + v11 * ax) * ay;
}

int rt_image_to_tensor(const rt_img *img, int width, int height, int channels,
                       int nhwc, float scale, const float *mean,
                       const float *std, int dtype, void *dst, char *err) {
  if (dtype != CK_FLOAT && dtype != CK_UINT8)
    return rt_err(err, "image input must be float32 or uint8");
  int same = img->w == width && img->h == height;
  float sx = (float)img->w / (float)width, sy = (float)img->h / (float)height;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      float rgb[3];
      for (int k = 0; k < img->c && k < 3; k++)
        rgb[k] = same ? img->px[((size_t)y * img->w + x) * img->c + k]
                      : rt_sample(img, k, ((float)x + 0.5f) * sx,
                                  ((float)y + 0.5f) * sy);
      if (img->c == 1)
        rgb[1] = rgb[2] = rgb[0];
      float gray = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
      if (img->c == 1)
        gray = rgb[0];
      for (int k = 0; k < channels; k++) {
        float v = channels == 1 ? gray : rgb[k];
        size_t at = nhwc ? ((size_t)y * width + x) * channels + k
                         : ((size_t)k * height + y) * width + x;
        if (dtype == CK_UINT8) {
          float r = v + 0.5f;
          ((uint8_t *)dst)[at] = (uint8_t)(r > 255 ? 255 : (r < 0 ? 0 : r));
        } else {
          ((float *)dst)[at] = (v * scale - mean[k]) / std[k];
        }
      }
    }
  return 0;
}
