/*
 * cc_passes.c - the pipeline from ONNX bytes to a planned graph: binding
 * --shape and --const options, inference with folding, dead-node
 * elimination, fusion, lowering and the memory plan.
 *
 * Fusion folds into a Conv the constant per-channel Add that follows it (a
 * bias, as CNTK exports write it), a BatchNormalization (rescaling the
 * constant weights), and a final activation; into a Gemm an activation.
 * A fused node takes over the output value of the last node it absorbed,
 * so names of graph outputs never change.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc_ops.h"

clave_status cc_read_file(const char *path, uint8_t **out, size_t *len,
                                clave_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return cc_fail(err, CLAVE_EIO, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = cc_xmalloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = cc_xrealloc(buf, cap *= 2);
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return cc_fail(err, CLAVE_EIO, "cannot read %s", path);
  }
  *out = buf;
  *len = n;
  return CLAVE_OK;
}

static int cc_input_index(const cc_graph *g, const char *name, size_t len) {
  for (int i = 0; i < g->ninputs; i++) {
    const char *nm = g->vals[g->inputs[i]]->name;
    if (strlen(nm) == len && strncmp(nm, name, len) == 0)
      return i;
  }
  return -1;
}

clave_status cc_apply_options(cc_ctx *c) {
  cc_graph *g = c->g;
  const clave_compile_options *o = c->opts;
  for (size_t i = 0; o && i < o->nshapes; i++) {
    const char *s = o->shapes[i], *eq = strchr(s, '=');
    if (!eq)
      return cc_fail(c->err, CLAVE_EARG, "--shape %s: expected NAME=DIMS", s);
    int k = cc_input_index(g, s, (size_t)(eq - s));
    if (k < 0)
      return cc_fail(c->err, CLAVE_EARG, "--shape %s: the model has no input '%.*s'",
                     s, (int)(eq - s), s);
    cc_value *v = g->vals[g->inputs[k]];
    int64_t dims[CC_MAX_RANK];
    int r = 0;
    const char *p = eq + 1;
    while (*p) {
      char *end;
      errno = 0;
      long long d = strtoll(p, &end, 10);
      if (end == p || d < 0 || errno || r == CC_MAX_RANK)
        return cc_fail(c->err, CLAVE_EARG,
                       "--shape %s: dims must be non-negative integers "
                       "separated by 'x'",
                       s);
      dims[r++] = d;
      p = end;
      if (*p == 'x' || *p == 'X' || *p == ',')
        p++;
      else if (*p)
        return cc_fail(c->err, CLAVE_EARG, "--shape %s: unexpected '%c'", s, *p);
    }
    if (v->rank >= 0 && v->rank != r)
      return cc_fail(c->err, CLAVE_EARG, "--shape %s: input '%s' has rank %d, not %d",
                     s, v->name, v->rank, r);
    for (int d = 0; d < r; d++)
      if (v->rank >= 0 && v->dims[d] >= 0 && v->dims[d] != dims[d])
        return cc_fail(c->err, CLAVE_EARG,
                       "--shape %s: dim %d of input '%s' is fixed at %lld", s, d,
                       v->name, (long long)v->dims[d]);
    v->rank = r;
    memcpy(v->dims, dims, sizeof dims);
  }
  for (size_t i = 0; o && i < o->nconsts; i++) {
    const char *s = o->consts[i], *eq = strchr(s, '=');
    if (!eq)
      return cc_fail(c->err, CLAVE_EARG, "--const %s: expected NAME=FILE.pb", s);
    int k = cc_input_index(g, s, (size_t)(eq - s));
    if (k < 0)
      return cc_fail(c->err, CLAVE_EARG, "--const %s: the model has no input '%.*s'",
                     s, (int)(eq - s), s);
    cc_value *v = g->vals[g->inputs[k]];
    uint8_t *bytes;
    size_t len;
    clave_status st = cc_read_file(eq + 1, &bytes, &len, c->err);
    if (st)
      return st;
    int dtype, rank;
    int64_t dims[CC_MAX_RANK];
    void *data;
    st = cc_tensor_pb_decode(bytes, len, eq + 1, NULL, &dtype, &rank, dims, &data,
                             NULL, c->err);
    free(bytes);
    if (st)
      return st;
    if (dtype != v->dtype) {
      free(data);
      return cc_fail(c->err, CLAVE_EARG, "--const %s: input '%s' is %s, the file holds %s",
                     s, v->name, cc_dtype_name(v->dtype), cc_dtype_name(dtype));
    }
    v->rank = rank;
    memcpy(v->dims, dims, sizeof dims);
    v->data = data;
    v->is_input = false;
    memmove(&g->inputs[k], &g->inputs[k + 1],
            (size_t)(g->ninputs - k - 1) * sizeof(int));
    g->ninputs--;
  }
  for (int i = 0; i < g->ninputs; i++) {
    cc_value *v = g->vals[g->inputs[i]];
    if (v->rank < 0)
      return cc_fail(c->err, CLAVE_EUNSUPPORTED,
                     "%s: input '%s' has no shape (fix it with --shape %s=DIMS)",
                     g->source, v->name, v->name);
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0)
        return cc_fail(c->err, CLAVE_EUNSUPPORTED,
                       "%s: input '%s' has the symbolic dimension #%d (fix it "
                       "with --shape %s=DIMS)",
                       g->source, v->name, d, v->name);
  }
  return CLAVE_OK;
}

/* ---- fusion ----------------------------------------------------------------- */

static cc_node *cc_sole_consumer(cc_graph *g, int id) {
  cc_value *v = g->vals[id];
  if (v->is_output || v->nuses != 1)
    return NULL;
  for (int i = 0; i < g->nnodes; i++) {
    cc_node *m = g->nodes[i];
    if (m->dead)
      continue;
    for (int k = 0; k < m->nin; k++)
      if (m->in[k] == id)
        return m;
  }
  return NULL;
}

/* The consumer's output replaces the producer's. */
static void cc_absorb(cc_graph *g, cc_node *n, cc_node *m) {
  g->vals[n->out[0]]->nuses = 0;
  n->out[0] = m->out[0];
  g->vals[m->out[0]]->producer = n->index;
  m->dead = true;
}

/* a constant that broadcasts onto [N, M, ...] as one value per channel */
static bool cc_per_channel(const cc_value *b, const cc_value *y) {
  if (!b->data || b->dtype != CK_FLOAT || b->rank > y->rank || y->rank < 2)
    return false;
  int64_t M = y->dims[1];
  if (cc_numel(b) != M)
    return false;
  for (int i = 0; i < b->rank; i++) {
    int iy = i + (y->rank - b->rank);
    if (iy != 1 && b->dims[i] != 1)
      return false;
    if (iy == 1 && b->dims[i] != M)
      return false;
  }
  return b->rank >= y->rank - 1 || M == 1;
}

static bool cc_try_act(cc_graph *g, cc_node *n, cc_node *m) {
  if (n->act != CK_ACT_NONE || m->nout != 1)
    return false;
  if (strcmp(m->op, "Relu") == 0) {
    n->act = CK_ACT_RELU;
  } else if (strcmp(m->op, "LeakyRelu") == 0) {
    n->act = CK_ACT_LEAKYRELU;
    n->act_a = cc_attr_float(m, "alpha", 0.01);
  } else if (strcmp(m->op, "Sigmoid") == 0) {
    n->act = CK_ACT_SIGMOID;
  } else if (strcmp(m->op, "Tanh") == 0) {
    n->act = CK_ACT_TANH;
  } else if (strcmp(m->op, "Clip") == 0) {
    double lo = -INFINITY, hi = INFINITY;
    if (g->opset < 11) {
      lo = cc_attr_float(m, "min", -INFINITY);
      hi = cc_attr_float(m, "max", INFINITY);
    } else {
      for (int k = 1; k < m->nin && k < 3; k++) {
        if (m->in[k] < 0)
          continue;
        cc_value *b = g->vals[m->in[k]];
        if (!b->data || b->dtype != CK_FLOAT || cc_numel(b) != 1)
          return false;
        if (k == 1)
          lo = *(float *)b->data;
        else
          hi = *(float *)b->data;
      }
    }
    n->act = CK_ACT_CLIP;
    n->act_a = lo;
    n->act_b = hi;
  } else {
    return false;
  }
  cc_absorb(g, n, m);
  return true;
}

static bool cc_try_bias(cc_graph *g, cc_node *n, cc_node *m) {
  if (strcmp(m->op, "Add") != 0 || n->act != CK_ACT_NONE ||
      (n->nin > 2 && n->in[2] >= 0) || strcmp(n->op, "Conv") != 0)
    return false;
  if (g->opset < 7 && cc_attr_int(m, "broadcast", 0) && cc_attr_get(m, "axis"))
    return false;
  int other = m->in[0] == n->out[0] ? m->in[1] : m->in[0];
  if (other < 0 || other == n->out[0])
    return false;
  cc_value *b = g->vals[other], *y = g->vals[n->out[0]];
  if (!cc_per_channel(b, y) || !cc_same_shape(g->vals[m->out[0]], y->rank, y->dims))
    return false;
  int64_t M = y->dims[1];
  float *d = cc_xmalloc((size_t)M * sizeof(float) + 1);
  memcpy(d, b->data, (size_t)M * sizeof(float));
  int bias = cc_const_add(g, NULL, CK_FLOAT, 1, &M, d);
  if (n->nin < 3) {
    n->in = cc_xrealloc(n->in, 3 * sizeof(int));
    for (int k = n->nin; k < 3; k++)
      n->in[k] = -1;
    n->nin = 3;
  }
  n->in[2] = bias;
  cc_absorb(g, n, m);
  return true;
}

static bool cc_try_bn(cc_graph *g, cc_node *n, cc_node *m) {
  if (strcmp(m->op, "BatchNormalization") != 0 || strcmp(n->op, "Conv") != 0 ||
      n->act != CK_ACT_NONE || cc_attr_int(m, "training_mode", 0) ||
      m->in[0] != n->out[0])
    return false;
  for (int k = 1; k < m->nout; k++)
    if (m->out[k] >= 0 && (g->vals[m->out[k]]->nuses || g->vals[m->out[k]]->is_output))
      return false;
  cc_value *w = g->vals[n->in[1]];
  int64_t M = w->dims[0];
  if (!w->data || w->dtype != CK_FLOAT)
    return false;
  for (int k = 1; k <= 4; k++) {
    if (k >= m->nin || m->in[k] < 0)
      return false;
    cc_value *v = g->vals[m->in[k]];
    if (!v->data || v->dtype != CK_FLOAT || cc_numel(v) != M)
      return false;
  }
  cc_value *b = n->nin > 2 && n->in[2] >= 0 ? g->vals[n->in[2]] : NULL;
  const float *sc = g->vals[m->in[1]]->data, *be = g->vals[m->in[2]]->data;
  const float *mu = g->vals[m->in[3]]->data, *var = g->vals[m->in[4]]->data;
  double eps = cc_attr_float(m, "epsilon", 1e-5);
  int64_t per = cc_numel(w) / M;
  float *nw = cc_xmalloc(cc_nbytes(w) + 1), *nb = cc_xmalloc((size_t)M * 4 + 1);
  for (int64_t i = 0; i < M; i++) {
    double a = sc[i] / sqrt((double)var[i] + eps);
    for (int64_t j = 0; j < per; j++)
      nw[i * per + j] = (float)(((const float *)w->data)[i * per + j] * a);
    double bi = b ? ((const float *)b->data)[i] : 0.0;
    nb[i] = (float)((bi - mu[i]) * a + be[i]);
  }
  n->in[1] = cc_const_add(g, NULL, CK_FLOAT, w->rank, w->dims, nw);
  int bias = cc_const_add(g, NULL, CK_FLOAT, 1, &M, nb);
  if (n->nin < 3) {
    n->in = cc_xrealloc(n->in, 3 * sizeof(int));
    for (int k = n->nin; k < 3; k++)
      n->in[k] = -1;
    n->nin = 3;
  }
  n->in[2] = bias;
  cc_absorb(g, n, m);
  return true;
}

clave_status cc_fuse(cc_ctx *c) {
  cc_graph *g = c->g;
  for (int i = 0; i < g->nnodes; i++) {
    cc_node *n = g->nodes[i];
    if (n->dead || n->nout < 1 || n->out[0] < 0)
      continue;
    bool conv = strcmp(n->op, "Conv") == 0, gemm = strcmp(n->op, "Gemm") == 0;
    if (!conv && !gemm && strcmp(n->op, "ConvTranspose") != 0)
      continue;
    if (cc_val(g, n->in[0])->dtype != CK_FLOAT)
      continue;
    for (;;) {
      cc_node *m = cc_sole_consumer(g, n->out[0]);
      if (!m)
        break;
      if (conv && (cc_try_bias(g, n, m) || cc_try_bn(g, n, m)))
        continue;
      if (!cc_try_act(g, n, m))
        break;
    }
  }
  return CLAVE_OK;
}

clave_status cc_prepare(const uint8_t *bytes, size_t len, const char *source,
                        const clave_compile_options *opts, cc_graph **out,
                        clave_error *err) {
  cc_graph *g;
  *out = NULL;
  clave_status st = cc_import_onnx(bytes, len, source,
                                   opts ? opts->weights_dir : NULL, &g, err);
  if (st)
    return st;
  cc_ctx c = {g, err, opts};
  if ((st = cc_apply_options(&c)) || (st = cc_infer_all(&c))) {
    cc_graph_free(g);
    return st;
  }
  cc_dce(g);
  if ((st = cc_fuse(&c)) || (st = cc_lower_all(&c)) || (st = cc_plan(&c))) {
    cc_graph_free(g);
    return st;
  }
  *out = g;
  return CLAVE_OK;
}
