/*
 * cc_ops.c - the operator registry and the graph passes around it: shape
 * inference with constant folding, dead-node elimination and lowering, plus
 * the helpers operator files use to describe kernel calls.
 *
 * Folding reuses lowering: a node whose inputs are all constant is lowered
 * into kernel calls which run at once, natively, on the same kernels the
 * payload links; the outputs become constants and the calls are dropped.
 * So every operator that can run can also fold, with identical results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc_ops.h"

/* ---- registry ------------------------------------------------------------ */

const cc_op *cc_op_find(const char *name) {
  static const cc_op *const tables[] = {cc_ops_elementwise, cc_ops_nn,
                                        cc_ops_shape, cc_ops_reduce};
  for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
    for (const cc_op *op = tables[t]; op->name; op++)
      if (strcmp(op->name, name) == 0)
        return op;
  return NULL;
}

/* ---- kernels ------------------------------------------------------------- */

typedef struct cc_kernel {
  const char *name;
  ck_fn fn;
} cc_kernel;

#define CK(name) {#name, ck_##name},
static const cc_kernel cc_kernels[] = {
#include "kernels/ck_list.h"
    {NULL, NULL}};
#undef CK

int cc_kernel_find(const char *name) {
  for (int i = 0; cc_kernels[i].name; i++)
    if (strcmp(cc_kernels[i].name, name) == 0)
      return i;
  return -1;
}

const char *cc_kernel_name(int k) { return cc_kernels[k].name; }

static const char *const cc_sfx[CK_DTYPE_COUNT] = {
    [CK_FLOAT] = "f32", [CK_DOUBLE] = "f64", [CK_INT8] = "i8",
    [CK_INT16] = "i16", [CK_INT32] = "i32", [CK_INT64] = "i64",
    [CK_UINT8] = "u8",  [CK_UINT16] = "u16", [CK_UINT32] = "u32",
    [CK_UINT64] = "u64", [CK_BOOL] = "b"};

const char *cc_dtype_sfx(int dtype) {
  if (dtype <= 0 || dtype >= CK_DTYPE_COUNT)
    return NULL;
  return cc_sfx[dtype];
}

const char *cc_size_sfx(int dtype) {
  switch (ck_dtype_size(dtype)) {
  case 1: return "e1";
  case 2: return "e2";
  case 4: return "e4";
  case 8: return "e8";
  default: return NULL;
  }
}

clave_status cc_kname(cc_ctx *c, cc_node *n, const char *base, int dtype,
                      char *buf, size_t len) {
  const char *sfx = cc_dtype_sfx(dtype);
  if (sfx) {
    snprintf(buf, len, "%s_%s", base, sfx);
    if (cc_kernel_find(buf) >= 0)
      return CLAVE_OK;
  }
  return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                      "data type %s is not supported", cc_dtype_name(dtype));
}

clave_status cc_emit_call(cc_ctx *c, cc_node *n, const char *kernel,
                          const int64_t *p, int np, const int *t, int nt) {
  cc_graph *g = c->g;
  int k = cc_kernel_find(kernel);
  if (k < 0)
    return cc_node_fail(g, n, c->err, CLAVE_EUNSUPPORTED,
                        "no kernel '%s' for this case", kernel);
  if (g->ncalls == g->capcalls) {
    g->capcalls = g->capcalls ? g->capcalls * 2 : 64;
    g->calls = cc_xrealloc(g->calls, (size_t)g->capcalls * sizeof *g->calls);
  }
  cc_call *call = &g->calls[g->ncalls++];
  call->kernel = k;
  call->np = np;
  call->p = cc_xmalloc((size_t)(np + 1) * sizeof(int64_t));
  if (np)
    memcpy(call->p, p, (size_t)np * sizeof(int64_t));
  call->nt = nt;
  call->t = cc_xmalloc((size_t)(nt + 1) * sizeof(int));
  if (nt)
    memcpy(call->t, t, (size_t)nt * sizeof(int));
  call->node = n ? n->index : -1;
  return CLAVE_OK;
}

int cc_scratch(cc_ctx *c, size_t nbytes) {
  int64_t d = (int64_t)nbytes;
  int id = cc_temp(c, CK_UINT8, 1, &d);
  c->g->vals[id]->is_scratch = true;
  return id;
}

int cc_temp(cc_ctx *c, int dtype, int rank, const int64_t *dims) {
  int id = cc_value_add(c->g, NULL);
  cc_value *v = c->g->vals[id];
  v->dtype = dtype;
  v->rank = rank;
  for (int i = 0; i < rank; i++)
    v->dims[i] = dims[i];
  return id;
}

/* ---- helpers for operator files ------------------------------------------ */

cc_value *cc_in(const cc_ctx *c, const cc_node *n, int i) {
  if (i >= n->nin || n->in[i] < 0)
    return NULL;
  return c->g->vals[n->in[i]];
}

cc_value *cc_out(const cc_ctx *c, const cc_node *n, int i) {
  if (i >= n->nout || n->out[i] < 0)
    return NULL;
  return c->g->vals[n->out[i]];
}

void cc_set_out(cc_ctx *c, cc_node *n, int i, int dtype, int rank,
                const int64_t *dims) {
  cc_value *v = cc_out(c, n, i);
  if (!v)
    return;
  v->dtype = dtype;
  v->rank = rank;
  for (int k = 0; k < rank; k++)
    v->dims[k] = dims[k];
}

clave_status cc_const_ints(cc_ctx *c, cc_node *n, int i, int64_t *out, int max,
                           int *count) {
  cc_value *v = cc_in(c, n, i);
  if (!v)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "input %d is missing",
                        i);
  if (!v->data)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "input '%s' decides a shape but is not a constant "
                        "(bind it with --const %s=FILE.pb)",
                        v->name, v->name);
  int64_t num = cc_numel(v);
  if (num > max)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "input '%s' has %lld values, at most %d expected",
                        v->name, (long long)num, max);
  for (int64_t k = 0; k < num; k++) {
    switch (v->dtype) {
    case CK_INT64: out[k] = ((const int64_t *)v->data)[k]; break;
    case CK_INT32: out[k] = ((const int32_t *)v->data)[k]; break;
    case CK_INT16: out[k] = ((const int16_t *)v->data)[k]; break;
    case CK_INT8: out[k] = ((const int8_t *)v->data)[k]; break;
    case CK_UINT8: out[k] = ((const uint8_t *)v->data)[k]; break;
    case CK_UINT16: out[k] = ((const uint16_t *)v->data)[k]; break;
    case CK_UINT32: out[k] = ((const uint32_t *)v->data)[k]; break;
    case CK_UINT64: out[k] = (int64_t)((const uint64_t *)v->data)[k]; break;
    case CK_FLOAT: out[k] = (int64_t)((const float *)v->data)[k]; break;
    case CK_DOUBLE: out[k] = (int64_t)((const double *)v->data)[k]; break;
    default:
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "input '%s' must be an integer tensor, not %s",
                          v->name, cc_dtype_name(v->dtype));
    }
  }
  *count = (int)num;
  return CLAVE_OK;
}

clave_status cc_broadcast(cc_ctx *c, cc_node *n, const cc_value *a,
                          const cc_value *b, int *rank, int64_t *dims) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[128], sb[128];
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "shapes %s ('%s') and %s ('%s') do not broadcast",
                          cc_shape_str(a, sa, sizeof sa), a->name,
                          cc_shape_str(b, sb, sizeof sb), b->name);
    }
    dims[i] = da == 1 ? db : da;
  }
  *rank = r;
  return CLAVE_OK;
}

void cc_strides(int rank, const int64_t *dims, int64_t *str) {
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    str[i] = s;
    s *= dims[i];
  }
}

int cc_bcast_params(int orank, const int64_t *odims,
                    const cc_value *const *ops, int nops, int64_t *p) {
  int64_t dims[CC_MAX_RANK], str[4][CC_MAX_RANK];
  int r = 0;
  for (int i = 0; i < orank; i++) {
    if (odims[i] == 1)
      continue;
    dims[r] = odims[i];
    for (int k = 0; k < nops; k++) {
      const cc_value *v = ops[k];
      int iv = i - (orank - v->rank);
      int64_t s = 0;
      if (iv >= 0 && v->dims[iv] != 1) {
        s = 1;
        for (int j = iv + 1; j < v->rank; j++)
          s *= v->dims[j];
      }
      str[k][r] = s;
    }
    r++;
  }
  /* merge dim r-1 into r when every operand is contiguous across them */
  int m = 0;
  for (int i = 0; i < r; i++) {
    if (m > 0) {
      bool ok = true;
      for (int k = 0; k < nops; k++)
        if (str[k][m - 1] != str[k][i] * dims[i])
          ok = false;
      if (ok) {
        dims[m - 1] *= dims[i];
        for (int k = 0; k < nops; k++)
          str[k][m - 1] = str[k][i];
        continue;
      }
    }
    dims[m] = dims[i];
    for (int k = 0; k < nops; k++)
      str[k][m] = str[k][i];
    m++;
  }
  if (m == 0) {
    dims[0] = 1;
    for (int k = 0; k < nops; k++)
      str[k][0] = 0;
    m = 1;
  }
  int np = 0;
  p[np++] = m;
  for (int i = 0; i < m; i++)
    p[np++] = dims[i];
  for (int k = 0; k < nops; k++)
    for (int i = 0; i < m; i++)
      p[np++] = str[k][i];
  return np;
}

clave_status cc_emit_view(cc_ctx *c, cc_node *n, int src, int dst, int rank,
                          const int64_t *dims, const int64_t *sstr,
                          int64_t soff, const int64_t *dstr, int64_t doff) {
  int64_t p[4 + 3 * CC_MAX_RANK];
  int64_t d[CC_MAX_RANK], ss[CC_MAX_RANK], ds[CC_MAX_RANK];
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0)
      return CLAVE_OK; /* nothing to move */
    if (dims[i] == 1)
      continue;
    /* merge with the previous kept dim when both sides are contiguous */
    if (r > 0 && ss[r - 1] == sstr[i] * dims[i] && ds[r - 1] == dstr[i] * dims[i]) {
      d[r - 1] *= dims[i];
      ss[r - 1] = sstr[i];
      ds[r - 1] = dstr[i];
      continue;
    }
    d[r] = dims[i], ss[r] = sstr[i], ds[r] = dstr[i];
    r++;
  }
  int np = 0;
  p[np++] = r;
  for (int i = 0; i < r; i++)
    p[np++] = d[i];
  for (int i = 0; i < r; i++)
    p[np++] = ss[i];
  p[np++] = soff;
  for (int i = 0; i < r; i++)
    p[np++] = ds[i];
  p[np++] = doff;
  char name[32];
  snprintf(name, sizeof name, "view_%s", cc_size_sfx(c->g->vals[src]->dtype));
  int t[2] = {src, dst};
  return cc_emit_call(c, n, name, p, np, t, 2);
}

clave_status cc_emit_copy(cc_ctx *c, cc_node *n, int src, int dst) {
  int64_t p[1] = {(int64_t)cc_nbytes(c->g->vals[src])};
  int t[2] = {src, dst};
  return cc_emit_call(c, n, "copy", p, 1, t, 2);
}

clave_status cc_axis(cc_ctx *c, cc_node *n, int64_t axis, int rank, int *out) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= (rank ? rank : 1))
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "axis %lld is outside rank %d", (long long)axis, rank);
  *out = (int)a;
  return CLAVE_OK;
}

void cc_alias(cc_ctx *c, cc_node *n, int out_index, int in_index) {
  cc_value *o = cc_out(c, n, out_index);
  o->alias = n->in[in_index];
}

bool cc_same_shape(const cc_value *v, int rank, const int64_t *dims) {
  if (v->rank != rank)
    return false;
  for (int i = 0; i < rank; i++)
    if (v->dims[i] != dims[i])
      return false;
  return true;
}

bool cc_is_float(int dtype) {
  return dtype == CK_FLOAT || dtype == CK_DOUBLE || dtype == CK_FLOAT16 ||
         dtype == CK_BFLOAT16;
}

bool cc_is_int(int dtype) {
  return dtype == CK_INT8 || dtype == CK_INT16 || dtype == CK_INT32 ||
         dtype == CK_INT64 || dtype == CK_UINT8 || dtype == CK_UINT16 ||
         dtype == CK_UINT32 || dtype == CK_UINT64;
}

/* ---- passes --------------------------------------------------------------- */

static clave_status cc_check_known(cc_ctx *c, cc_node *n) {
  for (int i = 0; i < n->nin; i++) {
    cc_value *v = cc_in(c, n, i);
    if (!v)
      continue;
    if (v->rank < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "input '%s' has an unknown shape (fix it with "
                          "--shape %s=DIMS)",
                          v->name, v->name);
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0)
        return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                            "input '%s' has the symbolic dimension #%d (fix "
                            "it with --shape %s=DIMS)",
                            v->name, d, v->name);
  }
  return CLAVE_OK;
}

static clave_status cc_check_outputs(cc_ctx *c, cc_node *n) {
  for (int i = 0; i < n->nout; i++) {
    cc_value *v = cc_out(c, n, i);
    if (!v)
      continue;
    if (v->rank < 0 || v->dtype <= 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "output '%s' is not supported", v->name);
    uint64_t num = 1;
    for (int d = 0; d < v->rank; d++) {
      if (v->dims[d] < 0)
        return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                            "output '%s' gets the negative dimension %lld",
                            v->name, (long long)v->dims[d]);
      if (v->dims[d] && num > ((uint64_t)1 << 32) / (uint64_t)v->dims[d])
        return cc_node_fail(c->g, n, c->err, CLAVE_ELIMIT,
                            "output '%s' exceeds 4 GiB", v->name);
      num *= (uint64_t)v->dims[d];
    }
    if (num * ck_dtype_size(v->dtype) > ((uint64_t)1 << 32))
      return cc_node_fail(c->g, n, c->err, CLAVE_ELIMIT,
                          "output '%s' exceeds 4 GiB", v->name);
  }
  return CLAVE_OK;
}

clave_status cc_infer_all(cc_ctx *c) {
  cc_graph *g = c->g;
  clave_status st;
  for (int i = 0; i < g->nnodes; i++) {
    cc_node *n = g->nodes[i];
    if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
      return cc_node_fail(g, n, c->err, CLAVE_EUNSUPPORTED,
                          "operator domain '%s' is not supported", n->domain);
    const cc_op *op = cc_op_find(n->op);
    if (!op)
      return cc_node_fail(g, n, c->err, CLAVE_EUNSUPPORTED,
                          "unsupported operator '%s'", n->op);
    for (int k = 0; k < n->nattrs; k++)
      if (n->attrs[k].type == CC_ATTR_GRAPH)
        return cc_node_fail(g, n, c->err, CLAVE_EUNSUPPORTED,
                            "subgraphs (control flow) are not supported");
    if ((st = cc_check_known(c, n)) || (st = op->infer(c, n)) ||
        (st = cc_check_outputs(c, n)))
      return st;
    bool all_const = !op->no_fold;
    for (int k = 0; k < n->nin; k++) {
      cc_value *v = cc_in(c, n, k);
      if (v && !v->data)
        all_const = false;
    }
    bool outs_const = true;
    for (int k = 0; k < n->nout; k++) {
      cc_value *v = cc_out(c, n, k);
      if (v && !v->data)
        outs_const = false;
    }
    if (outs_const) { /* infer computed the outputs (Shape, Constant) */
      n->dead = true;
      g->nfolded++;
      continue;
    }
    if (all_const) {
      bool folded;
      if ((st = cc_fold_node(c, n, &folded)))
        return st;
    }
  }
  return CLAVE_OK;
}

clave_status cc_fold_node(cc_ctx *c, cc_node *n, bool *folded) {
  cc_graph *g = c->g;
  const cc_op *op = cc_op_find(n->op);
  *folded = false;
  for (int k = 0; k < n->nout; k++) {
    cc_value *v = cc_out(c, n, k);
    if (v && (int64_t)cc_nbytes(v) > CC_FOLD_LIMIT)
      return CLAVE_OK;
  }
  int start = g->ncalls, nv0 = g->nvals;
  clave_status st = op->lower(c, n);
  void **ptrs = NULL;
  bool *owned = NULL;
  int nalloc = g->nvals;
  (void)nv0;
  if (st == CLAVE_OK) {
    ptrs = cc_xcalloc((size_t)g->nvals, sizeof *ptrs);
    owned = cc_xcalloc((size_t)g->nvals, sizeof *owned);
    for (int i = start; i < g->ncalls; i++)
      for (int k = 0; k < g->calls[i].nt; k++) {
        int id = g->calls[i].t[k];
        if (id < 0 || ptrs[id])
          continue;
        int r = cc_root(g, id);
        if (g->vals[r]->data) {
          ptrs[id] = g->vals[r]->data;
        } else {
          if (!ptrs[r]) {
            ptrs[r] = cc_xcalloc(cc_nbytes(g->vals[r]) + 16, 1);
            owned[r] = true;
          }
          ptrs[id] = ptrs[r];
        }
      }
    st = cc_exec_calls(g, start, g->ncalls, ptrs, c->err);
  }
  if (st == CLAVE_OK) {
    for (int k = 0; k < n->nout; k++) {
      int id = k < n->nout ? n->out[k] : -1;
      if (id < 0)
        continue;
      cc_value *v = g->vals[id];
      int r = cc_root(g, id);
      size_t nb = cc_nbytes(v);
      void *src = g->vals[r]->data ? g->vals[r]->data : ptrs[r];
      v->data = cc_xmalloc(nb + 1);
      if (nb && src)
        memcpy(v->data, src, nb);
      else if (nb)
        memset(v->data, 0, nb);
      v->alias = -1;
    }
    n->dead = true;
    g->nfolded++;
    *folded = true;
  }
  if (ptrs)
    for (int i = 0; i < nalloc; i++)
      if (owned[i])
        free(ptrs[i]);
  free(ptrs);
  free(owned);
  for (int i = start; i < g->ncalls; i++) {
    free(g->calls[i].p);
    free(g->calls[i].t);
  }
  g->ncalls = start;
  return st;
}

void cc_dce(cc_graph *g) {
  for (int i = 0; i < g->nvals; i++)
    g->vals[i]->nuses = 0;
  for (int i = g->nnodes - 1; i >= 0; i--) {
    cc_node *n = g->nodes[i];
    if (n->dead)
      continue;
    bool live = false;
    for (int k = 0; k < n->nout; k++) {
      if (n->out[k] < 0)
        continue;
      cc_value *v = g->vals[n->out[k]];
      if (v->is_output || v->nuses > 0)
        live = true;
    }
    if (!live) {
      n->dead = true;
      g->nremoved++;
      continue;
    }
    for (int k = 0; k < n->nin; k++)
      if (n->in[k] >= 0)
        g->vals[n->in[k]]->nuses++;
  }
}

clave_status cc_lower_all(cc_ctx *c) {
  cc_graph *g = c->g;
  for (int i = 0; i < g->nnodes; i++) {
    cc_node *n = g->nodes[i];
    if (n->dead)
      continue;
    clave_status st = cc_op_find(n->op)->lower(c, n);
    if (st)
      return st;
  }
  return CLAVE_OK;
}
