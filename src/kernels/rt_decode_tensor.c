/*
 * rt_decode_tensor.c - tensor files inside the payload: a serialized ONNX
 * TensorProto (.pb), a numpy .npy array, or raw little-endian elements.
 *
 * The protobuf reader is a minimal wire-format walker (no protobuf-c in the
 * payload): it knows the TensorProto fields that carry data and skips the
 * rest.  The element type must equal the input's, and the element count
 * must equal the input's; dims are checked when the file has them.
 */
#include <stdarg.h>
#include "rt_fmt.h"
#include <string.h>

#include "rt.h"
#include "rt_decode.h"

typedef struct rt_rd {
  const uint8_t *p, *end;
} rt_rd;

static int rt_varint(rt_rd *r, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end)
      return -1;
    uint8_t b = *r->p++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

static int rt_fail(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int rt_fail(char *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_vformat(err, RT_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

/* Each element of a repeated numeric field, packed or not, through put */
typedef struct rt_pb_out {
  uint8_t *dst;
  size_t count, max;
  int dtype;
} rt_pb_out;

static void rt_put_int(rt_pb_out *o, uint64_t v) {
  if (o->count < o->max) {
    size_t es = ck_dtype_size(o->dtype);
    if (o->dtype == CK_FLOAT) { /* int32_data cannot carry float */
      o->count = o->max + 1;
      return;
    }
    memcpy(o->dst + o->count * es, &v, es); /* little endian truncation */
  }
  o->count++;
}

int rt_decode_tensor(const uint8_t *d, size_t n, int format, int dtype,
                     int rank, const int64_t *dims, void *dst, size_t nbytes,
                     char *err);

static int rt_decode_pb(const uint8_t *d, size_t n, int dtype, int rank,
                        const int64_t *dims, void *dst, size_t nbytes,
                        char *err) {
  rt_rd r = {d, d + n};
  int64_t fdims[CK_MAX_RANK];
  int frank = 0, fdtype = 0, have_data = 0;
  size_t es = ck_dtype_size(dtype), numel = es ? nbytes / es : 0;
  rt_pb_out out = {dst, 0, numel, dtype};
  while (r.p < r.end) {
    uint64_t key, v;
    if (rt_varint(&r, &key))
      return rt_fail(err, "input is not a tensor file: bad protobuf at byte %lld", (long long)((long long)(r.p - d)));
    uint32_t field = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
    if (wt == 0) {
      if (rt_varint(&r, &v))
        return rt_fail(err, "TensorProto: truncated varint");
      if (field == 1) {
        if (frank >= CK_MAX_RANK)
          return rt_fail(err, "TensorProto: more than %lld dims", (long long)(CK_MAX_RANK));
        fdims[frank++] = (int64_t)v;
      } else if (field == 2) {
        fdtype = (int)v;
      } else if (field == 5 || field == 7 || field == 11) {
        rt_put_int(&out, v);
        have_data = 1;
      } else if (field == 14 && v == 1) {
        return rt_fail(err, "TensorProto: external data is not supported");
      }
    } else if (wt == 2) {
      if (rt_varint(&r, &v) || v > (uint64_t)(r.end - r.p))
        return rt_fail(err, "TensorProto: field %lld overruns the file", (long long)(field));
      rt_rd sub = {r.p, r.p + v};
      r.p += v;
      if (field == 9) { /* raw_data */
        if (v != nbytes)
          return rt_fail(err, "tensor file holds %lld bytes of data, the input needs %lld", (long long)((long long)v), (long long)((long long)nbytes));
        memcpy(dst, sub.p, nbytes);
        out.count = numel;
        have_data = 1;
      } else if (field == 1) {
        while (sub.p < sub.end) {
          if (rt_varint(&sub, &v) || frank >= CK_MAX_RANK)
            return rt_fail(err, "TensorProto: bad dims");
          fdims[frank++] = (int64_t)v;
        }
      } else if (field == 4 || field == 10) { /* packed float / double */
        size_t w = field == 4 ? 4 : 8;
        if ((size_t)(sub.end - sub.p) % w)
          return rt_fail(err, "TensorProto: bad packed data");
        size_t cnt = (size_t)(sub.end - sub.p) / w;
        if ((field == 4 && dtype != CK_FLOAT) || (field == 10 && dtype != CK_DOUBLE))
          return rt_fail(err, "TensorProto: float data for a %lld-typed input", (long long)(dtype));
        if (out.count + cnt <= numel)
          memcpy(out.dst + out.count * w, sub.p, cnt * w);
        out.count += cnt;
        have_data = 1;
      } else if (field == 5 || field == 7 || field == 11) {
        while (sub.p < sub.end) {
          if (rt_varint(&sub, &v))
            return rt_fail(err, "TensorProto: bad packed data");
          rt_put_int(&out, v);
        }
        have_data = 1;
      } else if (field == 6) {
        return rt_fail(err, "TensorProto: string tensors are not supported");
      }
    } else if (wt == 5 || wt == 1) {
      size_t w = wt == 5 ? 4 : 8;
      if ((size_t)(r.end - r.p) < w)
        return rt_fail(err, "TensorProto: truncated field %lld", (long long)(field));
      if ((field == 4 && dtype == CK_FLOAT) || (field == 10 && dtype == CK_DOUBLE)) {
        if (out.count < numel)
          memcpy(out.dst + out.count * w, r.p, w);
        out.count++;
        have_data = 1;
      }
      r.p += w;
    } else {
      return rt_fail(err, "input is not a tensor file: wire type %lld at byte %lld", (long long)(wt), (long long)((long long)(r.p - d)));
    }
  }
  if (fdtype != dtype)
    return rt_fail(err, "tensor file has element type %lld, the input needs %lld", (long long)(fdtype), (long long)(dtype));
  int64_t fnum = 1;
  for (int i = 0; i < frank; i++)
    fnum *= fdims[i];
  if ((size_t)fnum != numel)
    return rt_fail(err, "tensor file has %lld elements, the input needs %lld", (long long)((long long)fnum), (long long)((long long)numel));
  if (frank == rank)
    for (int i = 0; i < rank; i++)
      if (fdims[i] != dims[i])
        return rt_fail(err, "tensor file has dim %lld = %lld, which differs from the input", (long long)(i), (long long)((long long)fdims[i]));
  if (!have_data && numel)
    return rt_fail(err, "tensor file holds no data");
  if (out.count != numel)
    return rt_fail(err, "tensor file holds %lld values, the input needs %lld", (long long)((long long)out.count), (long long)((long long)numel));
  return 0;
}

static int rt_npy_dtype(const char *descr, size_t len) {
  static const struct {
    const char *s;
    int dt;
  } map[] = {{"<f4", CK_FLOAT},  {"<f8", CK_DOUBLE}, {"<f2", CK_FLOAT16},
             {"|u1", CK_UINT8},  {"|i1", CK_INT8},   {"<u2", CK_UINT16},
             {"<i2", CK_INT16},  {"<i4", CK_INT32},  {"<i8", CK_INT64},
             {"<u4", CK_UINT32}, {"<u8", CK_UINT64}, {"|b1", CK_BOOL},
             {"u1", CK_UINT8},   {"i1", CK_INT8},    {"b1", CK_BOOL}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strlen(map[i].s) == len && memcmp(map[i].s, descr, len) == 0)
      return map[i].dt;
  return -1;
}

static const char *rt_find(const char *h, size_t n, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(h + i, key, k) == 0)
      return h + i + k;
  return NULL;
}

static int rt_decode_npy(const uint8_t *d, size_t n, int dtype, void *dst,
                         size_t nbytes, char *err) {
  if (n < 10)
    return rt_fail(err, "npy file is truncated (%lld bytes)", (long long)((long long)n));
  size_t hlen, hoff;
  if (d[6] == 1) {
    hlen = (size_t)d[8] | (size_t)d[9] << 8;
    hoff = 10;
  } else if (d[6] == 2 || d[6] == 3) {
    if (n < 12)
      return rt_fail(err, "npy file is truncated");
    hlen = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 |
           (size_t)d[11] << 24;
    hoff = 12;
  } else {
    return rt_fail(err, "npy version %lld is not supported", (long long)(d[6]));
  }
  if (hlen > n - hoff)
    return rt_fail(err, "npy header overruns the file");
  const char *h = (const char *)d + hoff;
  const char *descr = rt_find(h, hlen, "'descr':");
  const char *fo = rt_find(h, hlen, "'fortran_order':");
  const char *shape = rt_find(h, hlen, "'shape':");
  if (!descr || !fo || !shape)
    return rt_fail(err, "npy header lacks descr, fortran_order or shape");
  const char *end = h + hlen;
  while (descr < end && (*descr == ' ' || *descr == '\''))
    descr++;
  const char *q = descr;
  while (q < end && *q != '\'')
    q++;
  int dt = rt_npy_dtype(descr, (size_t)(q - descr));
  if (dt < 0)
    return rt_fail(err, "npy element type is not supported");
  if (dt != dtype)
    return rt_fail(err, "npy file has element type %lld, the input needs %lld", (long long)(dt), (long long)(dtype));
  while (fo < end && *fo == ' ')
    fo++;
  if (end - fo >= 4 && memcmp(fo, "True", 4) == 0)
    return rt_fail(err, "npy files in Fortran order are not supported");
  while (shape < end && *shape != '(')
    shape++;
  long long num = 1;
  int any = 0;
  for (const char *p = shape + 1; p < end && *p != ')'; p++) {
    if (*p >= '0' && *p <= '9') {
      long long v = 0;
      while (p < end && *p >= '0' && *p <= '9' && v < (1ll << 40))
        v = v * 10 + (*p++ - '0');
      num *= v;
      any = 1;
      if (num > (1ll << 40))
        return rt_fail(err, "npy shape is too large");
      p--;
    }
  }
  (void)any;
  size_t es = ck_dtype_size(dtype);
  if ((size_t)num * es != nbytes)
    return rt_fail(err, "npy file has %lld elements, the input needs %lld", (long long)(num), (long long)((long long)(nbytes / es)));
  if (n - hoff - hlen < nbytes)
    return rt_fail(err, "npy data is truncated");
  memcpy(dst, d + hoff + hlen, nbytes);
  return 0;
}

int rt_decode_tensor(const uint8_t *d, size_t n, int format, int dtype,
                     int rank, const int64_t *dims, void *dst, size_t nbytes,
                     char *err) {
  if (format == RT_FMT_AUTO) {
    if (n >= 6 && memcmp(d, "\x93NUMPY", 6) == 0)
      format = RT_FMT_NPY;
    else if (n == nbytes)
      format = RT_FMT_RAW;
    else
      format = RT_FMT_PB;
  }
  switch (format) {
  case RT_FMT_NPY:
    if (n < 6 || memcmp(d, "\x93NUMPY", 6) != 0)
      return rt_fail(err, "input is not an npy file");
    return rt_decode_npy(d, n, dtype, dst, nbytes, err);
  case RT_FMT_RAW:
    if (n != nbytes)
      return rt_fail(err, "raw input has %lld bytes, the input needs %lld", (long long)((long long)n), (long long)((long long)nbytes));
    memcpy(dst, d, nbytes);
    return 0;
  default:
    return rt_decode_pb(d, n, dtype, rank, dims, dst, nbytes, err);
  }
}
