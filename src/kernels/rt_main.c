/*
 * rt_main.c - the payload's runtime: Teaclave's entry point and the direct
 * ABI around a compiled model.
 *
 * entrypoint(argc, argv) receives the task's arguments as [k1, v1, ...]:
 * with a single argument (besides an optional `output`) and a single model
 * input, its value is the input fid (the seed's MNIST payload:
 * {"input_img": "input_img"}); otherwise `input` (or one argument per model
 * input, keyed by its name) and an optional `output` name the files.  It reads each input through the teaclave_* host API, decodes it
 * (tensor file or image, by the format chosen at compile time or detected
 * from the data), runs the model, writes the outputs as JSON when an
 * output is bound, and returns the argmax of the first output for a
 * classifier, 0 otherwise.  Errors return a negative code with a message
 * on stderr (the task log):
 *   -1 bad arguments, -2 unreadable or undecodable input, -3 the model
 *   failed at run time, -4 the output could not be written.
 *
 * The direct ABI (clave_input_ptr, clave_output_ptr, clave_run) lets an
 * embedder or a benchmark fill the input buffers itself.
 */
#include "rt_fmt.h"
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "rt_decode.h"

#if defined(__wasm__)
#define RT_IMPORT(name) __attribute__((import_module("env"), import_name(name)))
#define RT_EXPORT(name) __attribute__((export_name(name), used))
#else
#define RT_IMPORT(name)
#define RT_EXPORT(name) __attribute__((visibility("default"), used))
#endif

/* the Teaclave host file API (the same as sdk/payload/clave.h) */
RT_IMPORT("teaclave_open_input") int teaclave_open_input(char *fid);
RT_IMPORT("teaclave_create_output") int teaclave_create_output(char *fid);
RT_IMPORT("teaclave_read_file") int teaclave_read_file(int fd, char *buf, int size);
RT_IMPORT("teaclave_write_file") int teaclave_write_file(int fd, char *buf, int size);
RT_IMPORT("teaclave_close_file") int teaclave_close_file(int fd);

#define RT_MAX_INPUT_BYTES ((size_t)256 << 20)
#define RT_MAX_IO 64

static char rt_error_msg[512];

void rt_set_error(const char *msg, const char *where) {
  rt_format(rt_error_msg, sizeof rt_error_msg, "%s: %s", where, msg);
}

RT_EXPORT("clave_error_message") const char *clave_error_message(void) {
  return rt_error_msg;
}

/* ---- direct ABI ----------------------------------------------------------- */

RT_EXPORT("clave_ninputs") int clave_ninputs(void) { return rt_model_desc.ninputs; }
RT_EXPORT("clave_noutputs") int clave_noutputs(void) { return rt_model_desc.noutputs; }

RT_EXPORT("clave_input_ptr") void *clave_input_ptr(int i) {
  return i >= 0 && i < rt_model_desc.ninputs ? rt_model_desc.inputs[i].data : NULL;
}
RT_EXPORT("clave_input_size") int clave_input_size(int i) {
  return i >= 0 && i < rt_model_desc.ninputs ? (int)rt_model_desc.inputs[i].nbytes : -1;
}
RT_EXPORT("clave_output_ptr") void *clave_output_ptr(int i) {
  return i >= 0 && i < rt_model_desc.noutputs ? rt_model_desc.outputs[i].data : NULL;
}
RT_EXPORT("clave_output_size") int clave_output_size(int i) {
  return i >= 0 && i < rt_model_desc.noutputs ? (int)rt_model_desc.outputs[i].nbytes
                                               : -1;
}
/* Run on the inputs already in place: 0, or -3 (clave_error_message). */
RT_EXPORT("clave_run") int clave_run(void) { return rt_model_run() ? -3 : 0; }

/* ---- entry point ---------------------------------------------------------- */

static int rt_read_input(const char *fid, uint8_t **out, size_t *len) {
  int fd = teaclave_open_input((char *)fid);
  if (fd < 0) {
    rt_log("clave model: cannot open input '%s'\n", fid);
    return -2;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      rt_log("clave model: out of memory reading input '%s'\n", fid);
      teaclave_close_file(fd);
      return -2;
    }
    if (n == cap) {
      if (cap >= RT_MAX_INPUT_BYTES) {
        rt_log("clave model: input '%s' is larger than %zu bytes\n", fid,
               RT_MAX_INPUT_BYTES);
        free(buf);
        teaclave_close_file(fd);
        return -2;
      }
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb)
        free(buf);
      buf = nb;
      cap *= 2;
      continue;
    }
    int got = teaclave_read_file(fd, (char *)buf + n, (int)(cap - n));
    if (got < 0) {
      rt_log("clave model: reading input '%s' failed\n", fid);
      free(buf);
      teaclave_close_file(fd);
      return -2;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  teaclave_close_file(fd);
  *out = buf;
  *len = n;
  return 0;
}

static int rt_load_input(int i, const char *fid) {
  const rt_model *m = &rt_model_desc;
  const rt_tensor *t = &m->inputs[i];
  uint8_t *d;
  size_t n;
  int rc = rt_read_input(fid, &d, &n);
  if (rc)
    return rc;
  char err[RT_ERR_LEN];
  int image = m->input_format == RT_FMT_IMAGE ||
              (m->input_format == RT_FMT_AUTO && rt_is_image(d, n));
  if (image && !m->has_image) {
    rt_log("clave model: input '%s' is an image, but the model was compiled "
           "without --image; pass a tensor file\n",
           fid);
    free(d);
    return -2;
  }
  if (image) {
    rt_img img;
    rc = rt_decode_image(d, n, &img, err);
    if (rc == 0) {
      const rt_image *s = &m->image;
      rc = rt_image_to_tensor(&img, s->width, s->height, s->channels, s->nhwc,
                              s->scale, s->mean, s->std, t->dtype, t->data, err);
      free(img.px);
    }
  } else {
    rc = rt_decode_tensor(d, n, m->input_format, t->dtype, t->rank, t->dims,
                          t->data, (size_t)t->nbytes, err);
  }
  free(d);
  if (rc) {
    rt_log("clave model: input '%s' (%s): %s\n", fid, t->name, err);
    return -2;
  }
  return 0;
}

/* ---- JSON output ---------------------------------------------------------- */

typedef struct rt_out {
  int fd;
  char buf[4096];
  int len, failed;
} rt_out;

static void rt_flush(rt_out *o) {
  int at = 0;
  while (at < o->len && !o->failed) {
    int w = teaclave_write_file(o->fd, o->buf + at, o->len - at);
    if (w <= 0)
      o->failed = 1;
    else
      at += w;
  }
  o->len = 0;
}

static void rt_puts(rt_out *o, const char *s) {
  for (; *s; s++) {
    if (o->len == (int)sizeof o->buf)
      rt_flush(o);
    o->buf[o->len++] = *s;
  }
}

static void rt_put_json_string(rt_out *o, const char *s) {
  char tmp[8];
  rt_puts(o, "\"");
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      tmp[0] = '\\', tmp[1] = (char)ch, tmp[2] = 0;
      rt_puts(o, tmp);
    } else if (ch < 0x20) {
      rt_format(tmp, sizeof tmp, "\\u%04x", ch);
      rt_puts(o, tmp);
    } else {
      tmp[0] = (char)ch, tmp[1] = 0;
      rt_puts(o, tmp);
    }
  }
  rt_puts(o, "\"");
}

static const char *rt_dtype_name(int dt) {
  switch (dt) {
  case CK_FLOAT: return "float32";
  case CK_DOUBLE: return "float64";
  case CK_FLOAT16: return "float16";
  case CK_BFLOAT16: return "bfloat16";
  case CK_INT8: return "int8";
  case CK_INT16: return "int16";
  case CK_INT32: return "int32";
  case CK_INT64: return "int64";
  case CK_UINT8: return "uint8";
  case CK_UINT16: return "uint16";
  case CK_UINT32: return "uint32";
  case CK_UINT64: return "uint64";
  case CK_BOOL: return "bool";
  default: return "unknown";
  }
}

static double rt_elem(const rt_tensor *t, int64_t i) {
  const void *d = t->data;
  switch (t->dtype) {
  case CK_FLOAT: return ((const float *)d)[i];
  case CK_DOUBLE: return ((const double *)d)[i];
  case CK_FLOAT16: return ck_h2f(((const uint16_t *)d)[i]);
  case CK_BFLOAT16: return ck_bf2f(((const uint16_t *)d)[i]);
  case CK_INT8: return ((const int8_t *)d)[i];
  case CK_INT16: return ((const int16_t *)d)[i];
  case CK_INT32: return ((const int32_t *)d)[i];
  case CK_INT64: return (double)((const int64_t *)d)[i];
  case CK_UINT8: case CK_BOOL: return ((const uint8_t *)d)[i];
  case CK_UINT16: return ((const uint16_t *)d)[i];
  case CK_UINT32: return ((const uint32_t *)d)[i];
  case CK_UINT64: return (double)((const uint64_t *)d)[i];
  default: return 0;
  }
}

static int64_t rt_numel(const rt_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++)
    n *= t->dims[i];
  return n;
}

static int rt_write_outputs(const char *fid) {
  const rt_model *m = &rt_model_desc;
  rt_out o = {0};
  o.fd = teaclave_create_output((char *)fid);
  if (o.fd < 0) {
    rt_log("clave model: cannot create output '%s'\n", fid);
    return -4;
  }
  char tmp[64];
  rt_puts(&o, "{\"outputs\":[");
  for (int i = 0; i < m->noutputs; i++) {
    const rt_tensor *t = &m->outputs[i];
    rt_puts(&o, i ? ",{\"name\":" : "{\"name\":");
    rt_put_json_string(&o, t->name);
    rt_puts(&o, ",\"dtype\":\"");
    rt_puts(&o, rt_dtype_name(t->dtype));
    rt_puts(&o, "\",\"shape\":[");
    for (int d = 0; d < t->rank; d++) {
      rt_format(tmp, sizeof tmp, "%s%lld", d ? "," : "", (long long)t->dims[d]);
      rt_puts(&o, tmp);
    }
    rt_puts(&o, "],\"data\":[");
    int64_t n = rt_numel(t);
    for (int64_t k = 0; k < n; k++) {
      if (t->dtype == CK_INT64)
        rt_format(tmp, sizeof tmp, "%s%lld", k ? "," : "",
                 (long long)((const int64_t *)t->data)[k]);
      else if (t->dtype == CK_UINT64)
        rt_format(tmp, sizeof tmp, "%s%llu", k ? "," : "",
                 (unsigned long long)((const uint64_t *)t->data)[k]);
      else if (t->dtype == CK_BOOL)
        rt_format(tmp, sizeof tmp, "%s%s", k ? "," : "",
                 ((const uint8_t *)t->data)[k] ? "true" : "false");
      else {
        double v = rt_elem(t, k);
        if (v != v || v - v != 0) /* NaN or infinity: not JSON numbers */
          rt_format(tmp, sizeof tmp, "%snull", k ? "," : "");
        else
          rt_format(tmp, sizeof tmp, "%s%.9g", k ? "," : "", v);
      }
      rt_puts(&o, tmp);
    }
    rt_puts(&o, "]}");
  }
  rt_puts(&o, "]}\n");
  rt_flush(&o);
  if (teaclave_close_file(o.fd) < 0 || o.failed) {
    rt_log("clave model: writing output '%s' failed\n", fid);
    return -4;
  }
  return 0;
}

static int rt_classify(void) {
  const rt_model *m = &rt_model_desc;
  if (m->noutputs < 1)
    return 0;
  const rt_tensor *t = &m->outputs[0];
  int64_t n = rt_numel(t);
  int ok = t->rank >= 1 && t->dims[t->rank - 1] == n && n > 1 &&
           (t->dtype == CK_FLOAT || t->dtype == CK_DOUBLE || t->dtype == CK_FLOAT16);
  if (!ok)
    return 0;
  int64_t best = 0;
  for (int64_t i = 1; i < n; i++)
    if (rt_elem(t, i) > rt_elem(t, best))
      best = i;
  return (int)best;
}

RT_EXPORT("entrypoint") int entrypoint(int argc, char **argv) {
  const rt_model *m = &rt_model_desc;
  const char *in_fid[RT_MAX_IO] = {0};
  const char *out_fid = NULL;
  if (argc < 0 || argc % 2 || (argc && !argv)) {
    rt_log("clave model: arguments must be key/value pairs\n");
    return -1;
  }
  if (m->ninputs > RT_MAX_IO) {
    rt_log("clave model: too many inputs\n");
    return -1;
  }
  int others = 0, other = -1;
  for (int k = 0; k + 1 < argc; k += 2)
    if (strcmp(argv[k], "output") != 0)
      others++, other = k;
  if (m->ninputs == 1 && others == 1) {
    /* one argument besides `output`: its value names the input, whatever
     * its key (the seed's {"input_img": "input_img"}) */
    in_fid[0] = argv[other + 1];
    for (int k = 0; k + 1 < argc; k += 2)
      if (strcmp(argv[k], "output") == 0)
        out_fid = argv[k + 1];
  } else {
    for (int k = 0; k + 1 < argc; k += 2) {
      if (strcmp(argv[k], "output") == 0) {
        out_fid = argv[k + 1];
        continue;
      }
      if (strcmp(argv[k], "input") == 0 && m->ninputs == 1) {
        in_fid[0] = argv[k + 1];
        continue;
      }
      for (int i = 0; i < m->ninputs; i++)
        if (strcmp(argv[k], m->inputs[i].name) == 0)
          in_fid[i] = argv[k + 1];
    }
  }
  for (int i = 0; i < m->ninputs; i++) {
    if (!in_fid[i]) {
      rt_log("clave model: no file for input '%s': pass {\"input\": FID} or "
             "{\"%s\": FID}\n",
             m->inputs[i].name, m->inputs[i].name);
      return -1;
    }
    int rc = rt_load_input(i, in_fid[i]);
    if (rc)
      return rc;
  }
  if (rt_model_run()) {
    rt_log("clave model: %s\n", rt_error_msg);
    return -3;
  }
  if (out_fid) {
    int rc = rt_write_outputs(out_fid);
    if (rc)
      return rc;
  }
  return rt_classify();
}
