/*
 * cc_emit.c - C source for a planned graph, the model description JSON,
 * and the --image option parser.
 *
 * The generated file holds no weights: it declares the arena, the
 * parameter arrays of each kernel call, the calls in order, and the
 * tables the payload runtime (rt_main.c) reads: inputs, outputs, their
 * arena (or weights) addresses, and the preprocessing chosen at compile
 * time.  Weights come from a separate binary object (cc_build.c), so the
 * C compiler never parses megabytes of literals.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"

/* ---- a growing string --------------------------------------------------- */

typedef struct cc_buf {
  char *s;
  size_t len, cap;
} cc_buf;

static void cc_printf(cc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void cc_printf(cc_buf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    b->cap = b->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
    b->s = cc_xrealloc(b->s, b->cap);
  }
}

/* a C (and JSON) string literal body: printable ASCII, the rest escaped */
static void cc_quote(cc_buf *b, const char *s, bool json) {
  cc_printf(b, "\"");
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      cc_printf(b, "\\%c", ch);
    else if (ch >= 0x20 && ch < 0x7f && ch != '?')
      cc_printf(b, "%c", ch);
    else if (json)
      cc_printf(b, "\\u%04x", ch);
    else
      cc_printf(b, "\\%03o", ch);
  }
  cc_printf(b, "\"");
}

/* ---- --image ------------------------------------------------------------ */

static bool cc_parse_num(const char *s, size_t len, double *out) {
  char tmp[64];
  if (len == 0 || len >= sizeof tmp)
    return false;
  memcpy(tmp, s, len);
  tmp[len] = 0;
  char *slash = strchr(tmp, '/'), *end;
  if (slash) {
    *slash = 0;
    double a = strtod(tmp, &end);
    if (*end || end == tmp)
      return false;
    double b = strtod(slash + 1, &end);
    if (*end || end == slash + 1 || b == 0)
      return false;
    *out = a / b;
    return true;
  }
  *out = strtod(tmp, &end);
  return *end == 0 && end != tmp;
}

static bool cc_parse_triple(const char *s, size_t len, double *v) {
  int k = 0;
  const char *p = s, *end = s + len;
  while (p < end && k < 3) {
    const char *q = memchr(p, ':', (size_t)(end - p));
    size_t l = q ? (size_t)(q - p) : (size_t)(end - p);
    if (!cc_parse_num(p, l, &v[k++]))
      return false;
    p += l + (q ? 1 : 0);
    if (!q)
      break;
  }
  if (p < end)
    return false;
  if (k == 1)
    v[1] = v[2] = v[0];
  return k == 1 || k == 3;
}

clave_status cc_image_spec_parse(const char *s, cc_image_spec *spec,
                                 clave_error *err) {
  memset(spec, 0, sizeof *spec);
  spec->channels = 0;
  spec->scale = 1.0;
  for (int i = 0; i < 3; i++)
    spec->std[i] = 1.0;
  const char *p = s;
  int field = 0;
  while (*p) {
    const char *q = strchr(p, ',');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    char tok[128];
    if (len >= sizeof tok)
      return cc_fail(err, CLAVE_EARG, "--image %s: field too long", s);
    memcpy(tok, p, len);
    tok[len] = 0;
    if (field == 0) {
      char *x = strchr(tok, 'x'), *end;
      if (!x)
        return cc_fail(err, CLAVE_EARG,
                       "--image %s: starts with WIDTHxHEIGHT (e.g. 28x28)", s);
      long w = strtol(tok, &end, 10);
      long h = end == x ? strtol(x + 1, &end, 10) : -1;
      if (end == x + 1 || *end || w < 1 || h < 1 || w > 16384 || h > 16384)
        return cc_fail(err, CLAVE_EARG,
                       "--image %s: bad size '%s' (WIDTHxHEIGHT, 1 to 16384)", s,
                       tok);
      spec->width = (int)w;
      spec->height = (int)h;
    } else if (strcmp(tok, "gray") == 0 || strcmp(tok, "grey") == 0) {
      spec->channels = 1;
    } else if (strcmp(tok, "rgb") == 0) {
      spec->channels = 3;
    } else if (strcmp(tok, "nchw") == 0) {
      spec->nhwc = 0;
    } else if (strcmp(tok, "nhwc") == 0) {
      spec->nhwc = 1;
    } else if (strncmp(tok, "scale=", 6) == 0) {
      if (!cc_parse_num(tok + 6, len - 6, &spec->scale))
        return cc_fail(err, CLAVE_EARG, "--image %s: bad scale '%s'", s, tok + 6);
    } else if (strncmp(tok, "mean=", 5) == 0) {
      if (!cc_parse_triple(tok + 5, len - 5, spec->mean))
        return cc_fail(err, CLAVE_EARG, "--image %s: bad mean '%s' (M or R:G:B)", s,
                       tok + 5);
    } else if (strncmp(tok, "std=", 4) == 0) {
      if (!cc_parse_triple(tok + 4, len - 4, spec->std))
        return cc_fail(err, CLAVE_EARG, "--image %s: bad std '%s' (S or R:G:B)", s,
                       tok + 4);
      for (int i = 0; i < 3; i++)
        if (spec->std[i] == 0)
          return cc_fail(err, CLAVE_EARG, "--image %s: std must not be 0", s);
    } else {
      return cc_fail(err, CLAVE_EARG,
                     "--image %s: unknown field '%s' (gray, rgb, nchw, nhwc, "
                     "scale=, mean=, std=)",
                     s, tok);
    }
    field++;
    p += len + (q ? 1 : 0);
    if (q && !*p)
      break;
  }
  if (field == 0)
    return cc_fail(err, CLAVE_EARG, "--image: empty specification");
  return CLAVE_OK;
}

/* Check the image fits the first input; fill in channels if unset. */
static clave_status cc_image_check(const cc_graph *g, cc_image_spec *im,
                                   clave_error *err) {
  if (g->ninputs < 1)
    return cc_fail(err, CLAVE_EARG, "--image: the model has no input");
  const cc_value *v = g->vals[g->inputs[0]];
  int64_t want[4];
  int r = v->rank;
  if (v->dtype != CK_FLOAT && v->dtype != CK_UINT8)
    return cc_fail(err, CLAVE_EARG,
                   "--image: input '%s' is %s; images feed float32 or uint8 inputs",
                   v->name, cc_dtype_name(v->dtype));
  int ch = im->channels;
  if (!ch) { /* from the model's shape */
    if (r == 4)
      ch = (int)(im->nhwc ? v->dims[3] : v->dims[1]);
    else if (r == 3)
      ch = (int)(im->nhwc ? v->dims[2] : v->dims[0]);
    else
      ch = 1;
    if (ch != 1 && ch != 3)
      ch = 1;
    im->channels = ch;
  }
  if (r == 4 && !im->nhwc) {
    want[0] = 1, want[1] = ch, want[2] = im->height, want[3] = im->width;
  } else if (r == 4) {
    want[0] = 1, want[1] = im->height, want[2] = im->width, want[3] = ch;
  } else if (r == 3 && !im->nhwc) {
    want[0] = ch, want[1] = im->height, want[2] = im->width;
  } else if (r == 3) {
    want[0] = im->height, want[1] = im->width, want[2] = ch;
  } else if (r == 2 && ch == 1) {
    want[0] = im->height, want[1] = im->width;
  } else {
    r = -1;
  }
  bool ok = r == v->rank;
  for (int i = 0; ok && i < r; i++)
    ok = want[i] == v->dims[i];
  if (!ok) {
    char s[128];
    return cc_fail(err, CLAVE_EARG,
                   "--image %dx%d with %d channel(s) (%s) does not fit input '%s' "
                   "of shape %s",
                   im->width, im->height, ch, im->nhwc ? "nhwc" : "nchw",
                   v->name, cc_shape_str(v, s, sizeof s));
  }
  return CLAVE_OK;
}

/* ---- model JSON --------------------------------------------------------- */

static void cc_json_tensor(cc_buf *b, const cc_value *v) {
  cc_printf(b, "{\"name\":");
  cc_quote(b, v->name, true);
  cc_printf(b, ",\"dtype\":\"%s\",\"shape\":[", cc_dtype_name(v->dtype));
  for (int i = 0; i < v->rank; i++)
    cc_printf(b, "%s%lld", i ? "," : "", (long long)v->dims[i]);
  cc_printf(b, "]}");
}

char *cc_model_json(const cc_graph *g, const cc_image_spec *image) {
  cc_buf b = {0};
  cc_printf(&b, "{\"format\":\"clave.model/1\",\"source\":");
  const char *base = strrchr(g->source, '/');
  cc_quote(&b, base ? base + 1 : g->source, true);
  cc_printf(&b, ",\"opset\":%lld,\"inputs\":[", (long long)g->opset);
  for (int i = 0; i < g->ninputs; i++) {
    if (i)
      cc_printf(&b, ",");
    cc_json_tensor(&b, g->vals[g->inputs[i]]);
  }
  cc_printf(&b, "],\"outputs\":[");
  for (int i = 0; i < g->noutputs; i++) {
    if (i)
      cc_printf(&b, ",");
    cc_json_tensor(&b, g->vals[g->outputs[i]]);
  }
  cc_printf(&b, "]");
  if (image) {
    cc_printf(&b,
              ",\"image\":{\"width\":%d,\"height\":%d,\"channels\":%d,"
              "\"layout\":\"%s\",\"scale\":%.9g,\"mean\":[%.9g,%.9g,%.9g],"
              "\"std\":[%.9g,%.9g,%.9g]}",
              image->width, image->height, image->channels,
              image->nhwc ? "nhwc" : "nchw", image->scale, image->mean[0],
              image->mean[1], image->mean[2], image->std[0], image->std[1],
              image->std[2]);
  }
  cc_printf(&b, ",\"arena_bytes\":%lld,\"weights_bytes\":%lld}",
            (long long)g->arena_size, (long long)g->weights_size);
  return b.s;
}

/* ---- C source ----------------------------------------------------------- */

/* pointer expression of value id in the generated code */
static void cc_ptr(cc_buf *b, const cc_graph *g, int id) {
  if (id < 0) {
    cc_printf(b, "0");
    return;
  }
  const cc_value *v = g->vals[cc_root(g, id)];
  if (v->data)
    cc_printf(b, "(void *)(W + %lld)", (long long)v->offset);
  else
    cc_printf(b, "(void *)(A + %lld)", (long long)v->offset);
}

static void cc_tensor_table(cc_buf *b, const cc_graph *g, const char *name,
                            const int *ids, int n) {
  for (int i = 0; i < n; i++) {
    const cc_value *v = g->vals[ids[i]];
    cc_printf(b, "static const int64_t %s_dims%d[] = {", name, i);
    for (int d = 0; d < v->rank; d++)
      cc_printf(b, "%s%lld", d ? ", " : "", (long long)v->dims[d]);
    cc_printf(b, "%s};\n", v->rank ? "" : "0");
  }
  cc_printf(b, "static const rt_tensor %s[] = {\n", name);
  for (int i = 0; i < n; i++) {
    const cc_value *v = g->vals[ids[i]];
    cc_printf(b, "    {");
    cc_quote(b, v->name, false);
    cc_printf(b, ", %d, %d, %s_dims%d, ", v->dtype, v->rank, name, i);
    cc_ptr(b, g, ids[i]);
    cc_printf(b, ", %lld},\n", (long long)cc_nbytes(v));
  }
  if (n == 0)
    cc_printf(b, "    {0, 0, 0, 0, 0, 0},\n");
  cc_printf(b, "};\n");
}

clave_status cc_emit_c(cc_ctx *c, const cc_image_spec *image_in,
                       int input_format, char **out_c, clave_error *err) {
  cc_graph *g = c->g;
  cc_image_spec image;
  if (image_in) {
    image = *image_in;
    clave_status st = cc_image_check(g, &image, err);
    if (st)
      return st;
  }
  cc_buf b = {0};
  cc_printf(&b, "/* Generated by clave compile from ");
  const char *base = strrchr(g->source, '/');
  base = base ? base + 1 : g->source;
  for (const char *s = base; *s; s++) /* keep the comment closed */
    cc_printf(&b, "%c", (*s == '*' || (unsigned char)*s < 0x20) ? '_' : *s);
  cc_printf(&b, ": do not edit.\n * %d kernel calls, arena %lld bytes, "
                "weights %lld bytes. */\n",
            g->ncalls, (long long)g->arena_size, (long long)g->weights_size);
  cc_printf(&b, "#include \"rt.h\"\n\n");
  cc_printf(&b, "static unsigned char A[%lld] __attribute__((aligned(64)));\n",
            (long long)g->arena_size + 64);
  cc_printf(&b, "extern const unsigned char clave_weights[];\n");
  cc_printf(&b, "#define W clave_weights\n\n");
  for (int i = 0; i < g->ncalls; i++) {
    const cc_call *call = &g->calls[i];
    cc_printf(&b, "static const int64_t P%d[] = {", i);
    for (int k = 0; k < call->np; k++) {
      if (call->p[k] == INT64_MIN)
        cc_printf(&b, "%sINT64_MIN", k ? ", " : "");
      else
        cc_printf(&b, "%s%lld", k ? ", " : "", (long long)call->p[k]);
    }
    cc_printf(&b, "%s};\n", call->np ? "" : "0");
  }
  cc_printf(&b, "\nint rt_model_run(void) {\n");
  for (int i = 0; i < g->ncalls; i++) {
    const cc_call *call = &g->calls[i];
    cc_printf(&b, "  {\n    void *const T[] = {");
    for (int k = 0; k < call->nt; k++) {
      if (k)
        cc_printf(&b, ", ");
      cc_ptr(&b, g, call->t[k]);
    }
    cc_printf(&b, "%s};\n    RT_CALL(ck_%s(P%d, T), ", call->nt ? "" : "0",
              cc_kernel_name(call->kernel), i);
    if (call->node >= 0) {
      const cc_node *n = g->nodes[call->node];
      char label[300];
      snprintf(label, sizeof label, "%s (%s)", n->name[0] ? n->name : "unnamed",
               n->op);
      cc_quote(&b, label, false);
    } else {
      cc_printf(&b, "\"graph\"");
    }
    cc_printf(&b, ");\n  }\n");
  }
  cc_printf(&b, "  return 0;\n}\n\n");
  cc_tensor_table(&b, g, "rt_inputs", g->inputs, g->ninputs);
  cc_tensor_table(&b, g, "rt_outputs", g->outputs, g->noutputs);
  char *json = cc_model_json(g, image_in ? &image : NULL);
  cc_printf(&b, "\nconst rt_model rt_model_desc = {\n  %d, rt_inputs, %d, "
                "rt_outputs, %d,\n",
            g->ninputs, g->noutputs, input_format);
  if (image_in)
    cc_printf(&b,
              "  1, {%d, %d, %d, %d, %.9g, {%.9g, %.9g, %.9g}, "
              "{%.9g, %.9g, %.9g}},\n",
              image.width, image.height, image.channels, image.nhwc,
              image.scale, image.mean[0], image.mean[1], image.mean[2],
              image.std[0], image.std[1], image.std[2]);
  else
    cc_printf(&b, "  0, {0, 0, 0, 0, 1.0, {0, 0, 0}, {1, 1, 1}},\n");
  cc_printf(&b, "  ");
  cc_quote(&b, json, false);
  cc_printf(&b, "};\n");
  free(json);
  *out_c = b.s;
  return CLAVE_OK;
}
