/*
 * cc_op_reduce.c - reductions (Reduce*), ArgMax/ArgMin and CumSum.
 *
 * The kernels reduce the middle axis of an [outer, L, inner] view.  When
 * the reduced axes are not one contiguous run, the input is first
 * transposed (a view copy into a temporary) so that they are last.
 */
#include <stdio.h>
#include <string.h>

#include "compiler/cc_ops.h"

typedef struct cc_red {
  bool mask[CC_MAX_RANK];
  bool noop;
  bool keep;
} cc_red;

static const char *cc_reduce_kernel(const char *op) {
  static const char *const map[][2] = {
      {"ReduceSum", "reduce_sum"},       {"ReduceMean", "reduce_mean"},
      {"ReduceMax", "reduce_max"},       {"ReduceMin", "reduce_min"},
      {"ReduceProd", "reduce_prod"},     {"ReduceL1", "reduce_l1"},
      {"ReduceL2", "reduce_l2"},         {"ReduceSumSquare", "reduce_sumsq"},
      {"ReduceLogSum", "reduce_logsum"}, {"ReduceLogSumExp", "reduce_logsumexp"}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strcmp(map[i][0], op) == 0)
      return map[i][1];
  return NULL;
}

static clave_status cc_reduce_plan(cc_ctx *c, cc_node *n, const cc_value *x,
                                   cc_red *r) {
  int64_t axes[CC_MAX_RANK];
  int cnt = -1;
  clave_status st;
  if (n->nin > 1 && n->in[1] >= 0) {
    if ((st = cc_const_ints(c, n, 1, axes, CC_MAX_RANK, &cnt)))
      return st;
  } else {
    const int64_t *v;
    cnt = cc_attr_ints(n, "axes", &v);
    if (cnt > CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "too many axes");
    if (cnt > 0)
      memcpy(axes, v, (size_t)cnt * sizeof(int64_t));
  }
  r->keep = cc_attr_int(n, "keepdims", 1) != 0;
  r->noop = false;
  for (int i = 0; i < CC_MAX_RANK; i++)
    r->mask[i] = false;
  if (cnt <= 0) {
    if (cnt == 0 && cc_attr_int(n, "noop_with_empty_axes", 0)) {
      r->noop = true;
      return CLAVE_OK;
    }
    for (int i = 0; i < x->rank; i++)
      r->mask[i] = true;
    return CLAVE_OK;
  }
  for (int k = 0; k < cnt; k++) {
    int a;
    if ((st = cc_axis(c, n, axes[k], x->rank, &a)))
      return st;
    r->mask[a] = true;
  }
  return CLAVE_OK;
}

static clave_status cc_reduce_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  cc_red r;
  clave_status st = cc_reduce_plan(c, n, x, &r);
  if (st)
    return st;
  if (r.noop) {
    cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
    return CLAVE_OK;
  }
  int64_t dims[CC_MAX_RANK];
  int k = 0;
  for (int i = 0; i < x->rank; i++) {
    if (!r.mask[i])
      dims[k++] = x->dims[i];
    else if (r.keep)
      dims[k++] = 1;
  }
  cc_set_out(c, n, 0, x->dtype, k, dims);
  return CLAVE_OK;
}

/* outer/L/inner of x for the mask, transposing into a temp when needed;
 * *src receives the value to reduce. */
static clave_status cc_reduce_view(cc_ctx *c, cc_node *n, int xid,
                                   const bool *mask, int *src, int64_t *oli) {
  cc_value *x = c->g->vals[xid];
  int first = -1, last = -1;
  bool contiguous = true;
  for (int i = 0; i < x->rank; i++) {
    if (!mask[i] || x->dims[i] == 1)
      continue;
    if (first < 0)
      first = i;
    else if (last != i - 1) {
      /* a gap: only size-1 kept dims may sit inside the run */
      for (int j = last + 1; j < i; j++)
        if (x->dims[j] != 1)
          contiguous = false;
    }
    last = i;
  }
  *src = xid;
  if (first < 0) { /* nothing of size > 1 is reduced */
    oli[0] = cc_numel(x);
    oli[1] = 1;
    oli[2] = 1;
    return CLAVE_OK;
  }
  if (contiguous) {
    int64_t o = 1, l = 1, in = 1;
    for (int i = 0; i < x->rank; i++) {
      if (i < first)
        o *= x->dims[i];
      else if (i <= last)
        l *= x->dims[i];
      else
        in *= x->dims[i];
    }
    oli[0] = o, oli[1] = l, oli[2] = in;
    return CLAVE_OK;
  }
  /* transpose kept dims first, reduced dims last */
  int64_t dims[CC_MAX_RANK], ss[CC_MAX_RANK], xs[CC_MAX_RANK], ds[CC_MAX_RANK];
  cc_strides(x->rank, x->dims, xs);
  int k = 0;
  int64_t o = 1, l = 1;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < x->rank; i++)
      if (mask[i] == (pass == 1)) {
        dims[k] = x->dims[i];
        ss[k++] = xs[i];
        if (pass)
          l *= x->dims[i];
        else
          o *= x->dims[i];
      }
  int t = cc_temp(c, x->dtype, x->rank, dims);
  cc_strides(x->rank, dims, ds);
  clave_status st = cc_emit_view(c, n, xid, t, x->rank, dims, ss, 0, ds, 0);
  if (st)
    return st;
  *src = t;
  oli[0] = o, oli[1] = l, oli[2] = 1;
  return CLAVE_OK;
}

static clave_status cc_reduce_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  cc_red r;
  clave_status st = cc_reduce_plan(c, n, x, &r);
  if (st)
    return st;
  if (r.noop) {
    cc_alias(c, n, 0, 0);
    return CLAVE_OK;
  }
  char name[48];
  if ((st = cc_kname(c, n, cc_reduce_kernel(n->op), x->dtype, name, sizeof name)))
    return st;
  int src;
  int64_t p[3];
  if ((st = cc_reduce_view(c, n, n->in[0], r.mask, &src, p)))
    return st;
  int t[2] = {src, n->out[0]};
  return cc_emit_call(c, n, name, p, 3, t, 2);
}

/* ---- ArgMax, ArgMin ----------------------------------------------------------- */

static clave_status cc_arg_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis);
  if (st)
    return st;
  bool keep = cc_attr_int(n, "keepdims", 1) != 0;
  int64_t dims[CC_MAX_RANK];
  int k = 0;
  for (int i = 0; i < x->rank; i++) {
    if (i != axis)
      dims[k++] = x->dims[i];
    else if (keep)
      dims[k++] = 1;
  }
  cc_set_out(c, n, 0, CK_INT64, k, dims);
  return CLAVE_OK;
}

static void cc_oli(const cc_value *x, int axis, int64_t *p) {
  p[0] = p[1] = p[2] = 1;
  for (int i = 0; i < x->rank; i++)
    p[i < axis ? 0 : (i == axis ? 1 : 2)] *= x->dims[i];
}

static clave_status cc_arg_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis);
  if (st)
    return st;
  char name[48];
  if ((st = cc_kname(c, n, strcmp(n->op, "ArgMax") == 0 ? "argmax" : "argmin",
                     x->dtype, name, sizeof name)))
    return st;
  int64_t p[4];
  cc_oli(x, axis, p);
  p[3] = cc_attr_int(n, "select_last_index", 0);
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, name, p, 4, t, 2);
}

/* ---- CumSum --------------------------------------------------------------------- */

static clave_status cc_cumsum_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x || !cc_in(c, n, 1))
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs x and axis");
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  return CLAVE_OK;
}

static clave_status cc_cumsum_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int64_t av[1];
  int cnt, axis;
  clave_status st;
  if ((st = cc_const_ints(c, n, 1, av, 1, &cnt)))
    return st;
  if (cnt != 1)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "axis must be a scalar");
  if ((st = cc_axis(c, n, av[0], x->rank, &axis)))
    return st;
  char name[48];
  if ((st = cc_kname(c, n, "cumsum", x->dtype, name, sizeof name)))
    return st;
  int64_t p[5];
  cc_oli(x, axis, p);
  p[3] = cc_attr_int(n, "exclusive", 0);
  p[4] = cc_attr_int(n, "reverse", 0);
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, name, p, 5, t, 2);
}

const cc_op cc_ops_reduce[] = {
    {"ReduceSum", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceMean", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceMax", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceMin", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceProd", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceL1", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceL2", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceSumSquare", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceLogSum", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ReduceLogSumExp", 1, cc_reduce_infer, cc_reduce_lower, false},
    {"ArgMax", 1, cc_arg_infer, cc_arg_lower, false},
    {"ArgMin", 1, cc_arg_infer, cc_arg_lower, false},
    {"CumSum", 11, cc_cumsum_infer, cc_cumsum_lower, false},
    {NULL, 0, NULL, NULL, false}};
