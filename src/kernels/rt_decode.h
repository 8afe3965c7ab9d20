/*
 * rt_decode.h - decoders that run inside the payload: tensor files (.pb
 * TensorProto, .npy, raw) and images (PNG, baseline JPEG, PGM/PPM), plus
 * image preprocessing into an input tensor.
 *
 * Every decoder takes untrusted bytes: each read is bounds-checked, sizes
 * are limited (RT_MAX_PIXELS), and a failure returns -1 with a message in
 * err (never a trap, never a read outside the buffer).  They are also
 * compiled into libclave so that tests can feed them hostile inputs under
 * the sanitizers.
 */
#ifndef RT_DECODE_H
#define RT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define RT_MAX_PIXELS (4096 * 4096)
#define RT_ERR_LEN 256

/* An 8-bit image, channels 1 (gray) or 3 (RGB), rows top to bottom. */
typedef struct rt_img {
  int w, h, c;
  uint8_t *px; /* malloc'ed, w*h*c bytes */
} rt_img;

int rt_is_image(const uint8_t *d, size_t n);
int rt_decode_image(const uint8_t *d, size_t n, rt_img *out, char *err);
int rt_decode_png(const uint8_t *d, size_t n, rt_img *out, char *err);
int rt_decode_jpeg(const uint8_t *d, size_t n, rt_img *out, char *err);
int rt_decode_pnm(const uint8_t *d, size_t n, rt_img *out, char *err);
/* zlib stream -> out (at most cap bytes); bytes written or -1 */
long rt_inflate_zlib(const uint8_t *d, size_t n, uint8_t *out, size_t cap,
                     char *err);

/* Resize (bilinear) to width x height, convert channels, scale and
 * normalise into dst (float32 or uint8, nchw or nhwc). */
int rt_image_to_tensor(const rt_img *img, int width, int height, int channels,
                       int nhwc, float scale, const float *mean,
                       const float *std, int dtype, void *dst, char *err);

/* A tensor file into dst: dtype and element count must match. format is
 * enum rt_format (RT_FMT_AUTO detects). */
int rt_decode_tensor(const uint8_t *d, size_t n, int format, int dtype,
                     int rank, const int64_t *dims, void *dst, size_t nbytes,
                     char *err);

#endif
