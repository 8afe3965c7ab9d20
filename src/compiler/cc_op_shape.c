/*
 * cc_op_shape.c - shape and data-movement operators: Reshape, Flatten,
 * Squeeze, Unsqueeze (aliases, no copy), Transpose, Concat, Split, Slice,
 * Expand, Tile, Pad, DepthToSpace, SpaceToDepth (strided views), Gather
 * and Scatter families, and the operators whose result the compiler knows
 * from shapes alone (Shape, Size, Constant, Range, EyeLike), which become
 * constants during inference.
 *
 * Operands that decide shapes (Reshape's shape, Slice's starts...) must be
 * constants by the time they are needed: folded, initializers, or bound
 * with --const.  The error says which input it was otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc_ops.h"

static clave_status cc_need(cc_ctx *c, cc_node *n, int count) {
  for (int i = 0; i < count; i++)
    if (!cc_in(c, n, i))
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "input %d is missing",
                          i);
  return CLAVE_OK;
}

static int64_t cc_prod_dims(const int64_t *d, int from, int to) {
  int64_t r = 1;
  for (int i = from; i < to; i++)
    r *= d[i];
  return r;
}

/* Output i becomes a constant holding data (taken over). */
static void cc_set_const_out(cc_ctx *c, cc_node *n, int i, int dtype, int rank,
                             const int64_t *dims, void *data) {
  cc_set_out(c, n, i, dtype, rank, dims);
  cc_value *v = cc_out(c, n, i);
  if (v) {
    free(v->data);
    v->data = data;
  } else {
    free(data);
  }
}

static clave_status cc_alias_lower(cc_ctx *c, cc_node *n) {
  cc_alias(c, n, 0, 0);
  return CLAVE_OK;
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze -------------------------------------- */

static clave_status cc_reshape_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t shape[CC_MAX_RANK + 1];
  int cnt;
  if (c->g->opset < 5) {
    const int64_t *v;
    cnt = cc_attr_ints(n, "shape", &v);
    if (cnt < 0 || cnt > CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "needs a 'shape' attribute of at most %d values",
                          CC_MAX_RANK);
    memcpy(shape, v, (size_t)cnt * sizeof(int64_t));
  } else if ((st = cc_need(c, n, 2)) ||
             (st = cc_const_ints(c, n, 1, shape, CC_MAX_RANK, &cnt))) {
    return st;
  }
  bool allowzero = cc_attr_int(n, "allowzero", 0);
  int64_t known = 1;
  int infer = -1;
  for (int i = 0; i < cnt; i++) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                            "shape copies dim %d of a rank-%d input", i, x->rank);
      shape[i] = x->dims[i];
    }
    if (shape[i] == -1) {
      if (infer >= 0)
        return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                            "shape has more than one -1");
      infer = i;
    } else if (shape[i] < 0) {
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "shape has the negative dimension %lld",
                          (long long)shape[i]);
    } else {
      known *= shape[i];
    }
  }
  int64_t total = cc_numel(x);
  if (infer >= 0) {
    if (known == 0 || total % known)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "cannot reshape %lld elements with a -1 dim",
                          (long long)total);
    shape[infer] = total / known;
    known *= shape[infer];
  }
  if (known != total) {
    char s[128];
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "cannot reshape %s (%lld elements) into %lld elements",
                        cc_shape_str(x, s, sizeof s), (long long)total,
                        (long long)known);
  }
  cc_set_out(c, n, 0, x->dtype, cnt, shape);
  return CLAVE_OK;
}

static clave_status cc_flatten_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t axis = cc_attr_int(n, "axis", 1);
  if (axis < 0)
    axis += x->rank;
  if (axis < 0 || axis > x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "axis %lld is outside rank %d", (long long)axis, x->rank);
  int64_t dims[2] = {cc_prod_dims(x->dims, 0, (int)axis),
                     cc_prod_dims(x->dims, (int)axis, x->rank)};
  cc_set_out(c, n, 0, x->dtype, 2, dims);
  return CLAVE_OK;
}

/* axes from the attribute (old opsets) or input 1 (opset 13) */
static clave_status cc_axes(cc_ctx *c, cc_node *n, int64_t *axes, int *cnt) {
  *cnt = -1;
  if (n->nin > 1 && n->in[1] >= 0)
    return cc_const_ints(c, n, 1, axes, CC_MAX_RANK, cnt);
  const int64_t *v;
  int k = cc_attr_ints(n, "axes", &v);
  if (k > CC_MAX_RANK)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "too many axes");
  if (k >= 0)
    memcpy(axes, v, (size_t)k * sizeof(int64_t));
  *cnt = k;
  return CLAVE_OK;
}

static clave_status cc_squeeze_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t axes[CC_MAX_RANK];
  int cnt;
  if ((st = cc_axes(c, n, axes, &cnt)))
    return st;
  bool drop[CC_MAX_RANK] = {false};
  if (cnt < 0) {
    for (int i = 0; i < x->rank; i++)
      drop[i] = x->dims[i] == 1;
  } else {
    for (int k = 0; k < cnt; k++) {
      int a;
      if ((st = cc_axis(c, n, axes[k], x->rank, &a)))
        return st;
      if (x->dims[a] != 1)
        return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                            "cannot squeeze axis %d of size %lld", a,
                            (long long)x->dims[a]);
      drop[a] = true;
    }
  }
  int64_t dims[CC_MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++)
    if (!drop[i])
      dims[r++] = x->dims[i];
  cc_set_out(c, n, 0, x->dtype, r, dims);
  return CLAVE_OK;
}

static clave_status cc_unsqueeze_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t axes[CC_MAX_RANK];
  int cnt;
  if ((st = cc_axes(c, n, axes, &cnt)))
    return st;
  if (cnt < 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs axes");
  int r = x->rank + cnt;
  if (r > CC_MAX_RANK)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "rank %d exceeds the limit of %d", r, CC_MAX_RANK);
  bool ins[CC_MAX_RANK] = {false};
  for (int k = 0; k < cnt; k++) {
    int a;
    if ((st = cc_axis(c, n, axes[k], r, &a)))
      return st;
    if (ins[a])
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "axis %d repeated", a);
    ins[a] = true;
  }
  int64_t dims[CC_MAX_RANK];
  for (int i = 0, j = 0; i < r; i++)
    dims[i] = ins[i] ? 1 : x->dims[j++];
  cc_set_out(c, n, 0, x->dtype, r, dims);
  return CLAVE_OK;
}

/* ---- Transpose ----------------------------------------------------------------- */

static clave_status cc_perm(cc_ctx *c, cc_node *n, const cc_value *x, int *perm) {
  const int64_t *v;
  int cnt = cc_attr_ints(n, "perm", &v);
  if (cnt < 0) {
    for (int i = 0; i < x->rank; i++)
      perm[i] = x->rank - 1 - i;
    return CLAVE_OK;
  }
  if (cnt != x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "perm has %d values for rank %d", cnt, x->rank);
  bool seen[CC_MAX_RANK] = {false};
  for (int i = 0; i < cnt; i++) {
    if (v[i] < 0 || v[i] >= x->rank || seen[v[i]])
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "perm is not a permutation");
    seen[v[i]] = true;
    perm[i] = (int)v[i];
  }
  return CLAVE_OK;
}

static clave_status cc_transpose_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int perm[CC_MAX_RANK];
  if ((st = cc_perm(c, n, x, perm)))
    return st;
  int64_t dims[CC_MAX_RANK];
  for (int i = 0; i < x->rank; i++)
    dims[i] = x->dims[perm[i]];
  cc_set_out(c, n, 0, x->dtype, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_transpose_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  int perm[CC_MAX_RANK];
  clave_status st = cc_perm(c, n, x, perm);
  if (st)
    return st;
  int64_t xs[CC_MAX_RANK], ss[CC_MAX_RANK], ds[CC_MAX_RANK];
  cc_strides(x->rank, x->dims, xs);
  for (int i = 0; i < x->rank; i++)
    ss[i] = xs[perm[i]];
  cc_strides(y->rank, y->dims, ds);
  if (cc_numel(y) == 0)
    return CLAVE_OK;
  return cc_emit_view(c, n, n->in[0], n->out[0], y->rank, y->dims, ss, 0, ds, 0);
}

/* ---- Concat, Split ------------------------------------------------------------- */

static clave_status cc_concat_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int axis;
  if ((st = cc_axis(c, n, cc_attr_int(n, "axis", 1), x->rank, &axis)))
    return st;
  int64_t dims[CC_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 0; i < n->nin; i++) {
    cc_value *v = cc_in(c, n, i);
    if (!v)
      continue;
    if (v->rank != x->rank || v->dtype != x->dtype)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "input '%s' differs in rank or type", v->name);
    for (int d = 0; d < x->rank; d++)
      if (d != axis && v->dims[d] != x->dims[d])
        return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                            "input '%s' differs in dim %d", v->name, d);
    dims[axis] += v->dims[axis];
  }
  cc_set_out(c, n, 0, x->dtype, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_concat_lower(cc_ctx *c, cc_node *n) {
  cc_value *y = cc_out(c, n, 0);
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", 1), y->rank, &axis);
  if (st)
    return st;
  int64_t ds[CC_MAX_RANK];
  cc_strides(y->rank, y->dims, ds);
  int64_t at = 0;
  for (int i = 0; i < n->nin; i++) {
    cc_value *v = cc_in(c, n, i);
    if (!v)
      continue;
    int64_t ss[CC_MAX_RANK];
    cc_strides(v->rank, v->dims, ss);
    if (cc_numel(v) &&
        (st = cc_emit_view(c, n, n->in[i], n->out[0], v->rank, v->dims, ss, 0,
                           ds, at * ds[axis])))
      return st;
    at += v->dims[axis];
  }
  return CLAVE_OK;
}

static clave_status cc_split_sizes(cc_ctx *c, cc_node *n, const cc_value *x,
                                   int axis, int64_t *sizes) {
  int cnt = -1;
  clave_status st;
  if (n->nin > 1 && n->in[1] >= 0) {
    if ((st = cc_const_ints(c, n, 1, sizes, 64, &cnt)))
      return st;
  } else {
    const int64_t *v;
    cnt = cc_attr_ints(n, "split", &v);
    if (cnt > 64)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED, "too many splits");
    if (cnt >= 0)
      memcpy(sizes, v, (size_t)cnt * sizeof(int64_t));
  }
  if (n->nout > 64)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED, "too many outputs");
  if (cnt < 0) {
    int64_t parts = cc_attr_int(n, "num_outputs", n->nout);
    int64_t dim = x->dims[axis];
    if (parts < 1 || parts != n->nout)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "num_outputs %lld for %d outputs", (long long)parts,
                          n->nout);
    int64_t each = (dim + parts - 1) / parts;
    for (int i = 0; i < n->nout; i++) {
      int64_t left = dim - each * i;
      sizes[i] = left < 0 ? 0 : (left < each ? left : each);
    }
    return CLAVE_OK;
  }
  if (cnt != n->nout)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "split has %d sizes for %d outputs", cnt, n->nout);
  int64_t total = 0;
  for (int i = 0; i < cnt; i++) {
    if (sizes[i] < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "negative split");
    total += sizes[i];
  }
  if (total != x->dims[axis])
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "splits add up to %lld, the axis has %lld",
                        (long long)total, (long long)x->dims[axis]);
  return CLAVE_OK;
}

static clave_status cc_split_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int axis;
  int64_t sizes[64];
  if ((st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis)) ||
      (st = cc_split_sizes(c, n, x, axis, sizes)))
    return st;
  for (int i = 0; i < n->nout; i++) {
    int64_t dims[CC_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sizes[i];
    cc_set_out(c, n, i, x->dtype, x->rank, dims);
  }
  return CLAVE_OK;
}

static clave_status cc_split_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int axis;
  int64_t sizes[64];
  clave_status st;
  if ((st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis)) ||
      (st = cc_split_sizes(c, n, x, axis, sizes)))
    return st;
  int64_t xs[CC_MAX_RANK];
  cc_strides(x->rank, x->dims, xs);
  int64_t at = 0;
  for (int i = 0; i < n->nout; i++) {
    cc_value *y = cc_out(c, n, i);
    if (y && cc_numel(y)) {
      int64_t ds[CC_MAX_RANK];
      cc_strides(y->rank, y->dims, ds);
      if ((st = cc_emit_view(c, n, n->in[0], n->out[i], y->rank, y->dims, xs,
                             at * xs[axis], ds, 0)))
        return st;
    }
    at += sizes[i];
  }
  return CLAVE_OK;
}

/* ---- Slice --------------------------------------------------------------------- */

typedef struct cc_slice {
  int64_t start[CC_MAX_RANK], step[CC_MAX_RANK], dims[CC_MAX_RANK];
} cc_slice;

static clave_status cc_slice_plan(cc_ctx *c, cc_node *n, const cc_value *x,
                                  cc_slice *s) {
  int64_t starts[CC_MAX_RANK], ends[CC_MAX_RANK], axes[CC_MAX_RANK],
      steps[CC_MAX_RANK];
  int ns, ne, na = -1, nst = -1;
  clave_status st;
  if (c->g->opset < 10) {
    const int64_t *v;
    ns = cc_attr_ints(n, "starts", &v);
    if (ns < 0 || ns > CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs starts");
    memcpy(starts, v, (size_t)ns * sizeof(int64_t));
    ne = cc_attr_ints(n, "ends", &v);
    if (ne != ns)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "starts and ends differ in length");
    memcpy(ends, v, (size_t)ne * sizeof(int64_t));
    na = cc_attr_ints(n, "axes", &v);
    if (na > CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "too many axes");
    if (na >= 0)
      memcpy(axes, v, (size_t)na * sizeof(int64_t));
  } else {
    if ((st = cc_need(c, n, 3)) ||
        (st = cc_const_ints(c, n, 1, starts, CC_MAX_RANK, &ns)) ||
        (st = cc_const_ints(c, n, 2, ends, CC_MAX_RANK, &ne)))
      return st;
    if (n->nin > 3 && n->in[3] >= 0 &&
        (st = cc_const_ints(c, n, 3, axes, CC_MAX_RANK, &na)))
      return st;
    if (n->nin > 4 && n->in[4] >= 0 &&
        (st = cc_const_ints(c, n, 4, steps, CC_MAX_RANK, &nst)))
      return st;
  }
  if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "starts, ends, axes and steps differ in length");
  for (int i = 0; i < x->rank; i++) {
    s->start[i] = 0;
    s->step[i] = 1;
    s->dims[i] = x->dims[i];
  }
  bool seen[CC_MAX_RANK] = {false};
  for (int k = 0; k < ns; k++) {
    int a;
    if ((st = cc_axis(c, n, na >= 0 ? axes[k] : k, x->rank, &a)))
      return st;
    if (seen[a])
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "axis %d repeated", a);
    seen[a] = true;
    int64_t d = x->dims[a], step = nst >= 0 ? steps[k] : 1;
    if (step == 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "step is 0");
    int64_t b = starts[k], e = ends[k];
    if (b < 0)
      b += d;
    if (e < 0)
      e += d;
    if (step > 0) {
      b = b < 0 ? 0 : (b > d ? d : b);
      e = e < 0 ? 0 : (e > d ? d : e);
      s->dims[a] = e > b ? (e - b + step - 1) / step : 0;
    } else {
      b = b < 0 ? -1 : (b > d - 1 ? d - 1 : b);
      e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
      s->dims[a] = b > e ? (b - e + (-step) - 1) / (-step) : 0;
    }
    s->start[a] = b < 0 ? 0 : b;
    s->step[a] = step;
  }
  return CLAVE_OK;
}

static clave_status cc_slice_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  cc_slice s;
  if ((st = cc_slice_plan(c, n, x, &s)))
    return st;
  cc_set_out(c, n, 0, x->dtype, x->rank, s.dims);
  return CLAVE_OK;
}

static clave_status cc_slice_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  cc_slice s;
  clave_status st = cc_slice_plan(c, n, x, &s);
  if (st || cc_numel(y) == 0)
    return st;
  int64_t xs[CC_MAX_RANK], ss[CC_MAX_RANK], ds[CC_MAX_RANK], off = 0;
  cc_strides(x->rank, x->dims, xs);
  for (int i = 0; i < x->rank; i++) {
    ss[i] = xs[i] * s.step[i];
    off += s.start[i] * xs[i];
  }
  cc_strides(y->rank, y->dims, ds);
  return cc_emit_view(c, n, n->in[0], n->out[0], y->rank, y->dims, ss, off, ds, 0);
}

/* ---- Expand, Tile ----------------------------------------------------------------- */

static clave_status cc_expand_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 2)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  cc_value sh = {0};
  int cnt;
  if ((st = cc_const_ints(c, n, 1, sh.dims, CC_MAX_RANK, &cnt)))
    return st;
  sh.rank = cnt;
  int rank;
  int64_t dims[CC_MAX_RANK];
  if ((st = cc_broadcast(c, n, x, &sh, &rank, dims)))
    return st;
  cc_set_out(c, n, 0, x->dtype, rank, dims);
  return CLAVE_OK;
}

static clave_status cc_expand_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  if (cc_numel(y) == 0)
    return CLAVE_OK;
  int64_t ss[CC_MAX_RANK], ds[CC_MAX_RANK], xs[CC_MAX_RANK];
  cc_strides(x->rank, x->dims, xs);
  for (int i = 0; i < y->rank; i++) {
    int ix = i - (y->rank - x->rank);
    ss[i] = (ix >= 0 && x->dims[ix] != 1) ? xs[ix] : 0;
  }
  cc_strides(y->rank, y->dims, ds);
  return cc_emit_view(c, n, n->in[0], n->out[0], y->rank, y->dims, ss, 0, ds, 0);
}

static clave_status cc_tile_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 2)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t rep[CC_MAX_RANK];
  int cnt;
  if ((st = cc_const_ints(c, n, 1, rep, CC_MAX_RANK, &cnt)))
    return st;
  if (cnt != x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "repeats has %d values for rank %d", cnt, x->rank);
  int64_t dims[CC_MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    if (rep[i] < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "negative repeat");
    dims[i] = x->dims[i] * rep[i];
  }
  cc_set_out(c, n, 0, x->dtype, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_tile_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  if (cc_numel(y) == 0)
    return CLAVE_OK;
  /* y viewed as [r0, d0, r1, d1, ...] reads x with stride 0 on each r */
  int64_t dims[2 * CC_MAX_RANK], ss[2 * CC_MAX_RANK], ds[2 * CC_MAX_RANK];
  int64_t xs[CC_MAX_RANK];
  cc_strides(x->rank, x->dims, xs);
  int r = 0;
  for (int i = 0; i < x->rank; i++) {
    int64_t rep = y->dims[i] / (x->dims[i] ? x->dims[i] : 1);
    if (rep != 1) {
      dims[r] = rep;
      ss[r++] = 0;
    }
    dims[r] = x->dims[i];
    ss[r++] = xs[i];
  }
  /* drop size-1 dims now so the view fits the kernel's rank limit */
  int m = 0;
  for (int i = 0; i < r; i++)
    if (dims[i] != 1) {
      dims[m] = dims[i];
      ss[m++] = ss[i];
    }
  if (m > CC_MAX_RANK)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "tiling this many dims is not supported");
  cc_strides(m, dims, ds);
  return cc_emit_view(c, n, n->in[0], n->out[0], m, dims, ss, 0, ds, 0);
}

/* ---- Pad --------------------------------------------------------------------------- */

static clave_status cc_pad_plan(cc_ctx *c, cc_node *n, const cc_value *x,
                                int64_t *begin, int64_t *dims) {
  int64_t pads[2 * CC_MAX_RANK];
  int cnt;
  clave_status st;
  if (c->g->opset < 11) {
    const int64_t *v;
    cnt = cc_attr_ints(n, "pads", &v);
    if (cnt < 0)
      cnt = cc_attr_ints(n, "paddings", &v);
    if (cnt < 0 || cnt > 2 * CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs pads");
    memcpy(pads, v, (size_t)cnt * sizeof(int64_t));
  } else if ((st = cc_need(c, n, 2)) ||
             (st = cc_const_ints(c, n, 1, pads, 2 * CC_MAX_RANK, &cnt))) {
    return st;
  }
  int64_t axes[CC_MAX_RANK];
  int na = -1;
  if (n->nin > 3 && n->in[3] >= 0 &&
      (st = cc_const_ints(c, n, 3, axes, CC_MAX_RANK, &na)))
    return st;
  int k = na >= 0 ? na : x->rank;
  if (cnt != 2 * k)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "pads has %d values for %d axes", cnt, k);
  for (int i = 0; i < x->rank; i++) {
    begin[i] = 0;
    dims[i] = x->dims[i];
  }
  for (int j = 0; j < k; j++) {
    int a = j;
    if (na >= 0 && (st = cc_axis(c, n, axes[j], x->rank, &a)))
      return st;
    begin[a] = pads[j];
    dims[a] = x->dims[a] + pads[j] + pads[k + j];
    if (dims[a] < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "pads crop axis %d below zero", a);
  }
  return CLAVE_OK;
}

static clave_status cc_pad_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t begin[CC_MAX_RANK], dims[CC_MAX_RANK];
  if ((st = cc_pad_plan(c, n, x, begin, dims)))
    return st;
  cc_set_out(c, n, 0, x->dtype, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_pad_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  int64_t begin[CC_MAX_RANK], dims[CC_MAX_RANK];
  clave_status st = cc_pad_plan(c, n, x, begin, dims);
  if (st)
    return st;
  const char *mode = cc_attr_str(n, "mode", "constant");
  int m = strcmp(mode, "constant") == 0  ? 0
          : strcmp(mode, "reflect") == 0 ? 1
          : strcmp(mode, "edge") == 0    ? 2
          : strcmp(mode, "wrap") == 0    ? 3
                                         : -1;
  if (m < 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED, "mode '%s'", mode);
  uint64_t bits = 0;
  size_t es = ck_dtype_size(x->dtype);
  cc_value *cv = cc_in(c, n, 2);
  if (c->g->opset < 11) {
    double v = cc_attr_float(n, "value", 0.0);
    if (x->dtype == CK_FLOAT) {
      float f = (float)v;
      memcpy(&bits, &f, 4);
    } else if (x->dtype == CK_DOUBLE) {
      memcpy(&bits, &v, 8);
    }
  } else if (cv) {
    if (!cv->data)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "constant_value must be a constant");
    memcpy(&bits, cv->data, es < 8 ? es : 8);
  }
  if (cc_numel(y) == 0)
    return CLAVE_OK;
  int64_t p[3 + 3 * CC_MAX_RANK];
  int np = 0;
  p[np++] = x->rank;
  p[np++] = m;
  p[np++] = (int64_t)bits;
  for (int i = 0; i < x->rank; i++) p[np++] = y->dims[i];
  for (int i = 0; i < x->rank; i++) p[np++] = x->dims[i];
  for (int i = 0; i < x->rank; i++) p[np++] = begin[i];
  char name[16];
  snprintf(name, sizeof name, "pad_%s", cc_size_sfx(x->dtype));
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, name, p, np, t, 2);
}

/* ---- DepthToSpace, SpaceToDepth ----------------------------------------------------- */

static clave_status cc_d2s_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t bs = cc_attr_int(n, "blocksize", 0);
  if (x->rank != 4 || bs < 1)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "needs a rank-4 input and a positive blocksize");
  int64_t dims[4];
  if (strcmp(n->op, "DepthToSpace") == 0) {
    if (x->dims[1] % (bs * bs))
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "channels not divisible by blocksize^2");
    dims[0] = x->dims[0], dims[1] = x->dims[1] / (bs * bs);
    dims[2] = x->dims[2] * bs, dims[3] = x->dims[3] * bs;
  } else {
    if (x->dims[2] % bs || x->dims[3] % bs)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "height or width not divisible by blocksize");
    dims[0] = x->dims[0], dims[1] = x->dims[1] * bs * bs;
    dims[2] = x->dims[2] / bs, dims[3] = x->dims[3] / bs;
  }
  cc_set_out(c, n, 0, x->dtype, 4, dims);
  return CLAVE_OK;
}

static clave_status cc_d2s_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int64_t bs = cc_attr_int(n, "blocksize", 0);
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t dims[6], ss[6], ds[6];
  if (strcmp(n->op, "DepthToSpace") == 0) {
    int64_t Co = C / (bs * bs);
    bool crd = strcmp(cc_attr_str(n, "mode", "DCR"), "CRD") == 0;
    /* out as [N, Co, H, b1, W, b2] */
    int64_t sc, sb1, sb2;
    if (crd) { /* in as [N, Co, b1, b2, H, W] */
      sc = bs * bs * H * W, sb1 = bs * H * W, sb2 = H * W;
    } else { /* in as [N, b1, b2, Co, H, W] */
      sb1 = bs * Co * H * W, sb2 = Co * H * W, sc = H * W;
    }
    int64_t d[6] = {N, Co, H, bs, W, bs};
    int64_t s[6] = {C * H * W, sc, W, sb1, 1, sb2};
    memcpy(dims, d, sizeof d);
    memcpy(ss, s, sizeof s);
  } else {
    int64_t Ho = H / bs, Wo = W / bs;
    /* out as [N, b1, b2, C, Ho, Wo]; in as [N, C, Ho, b1, Wo, b2] */
    int64_t d[6] = {N, bs, bs, C, Ho, Wo};
    int64_t s[6] = {C * H * W, W, 1, H * W, bs * W, bs};
    memcpy(dims, d, sizeof d);
    memcpy(ss, s, sizeof s);
  }
  cc_strides(6, dims, ds);
  return cc_emit_view(c, n, n->in[0], n->out[0], 6, dims, ss, 0, ds, 0);
}

/* ---- Gather family -------------------------------------------------------------------- */

static clave_status cc_gather_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 2)))
    return st;
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  int axis;
  if ((st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis)))
    return st;
  if (x->rank == 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "data is a scalar");
  int r = x->rank - 1 + ix->rank;
  if (r > CC_MAX_RANK)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED, "rank %d too large", r);
  int64_t dims[CC_MAX_RANK];
  int k = 0;
  for (int i = 0; i < axis; i++)
    dims[k++] = x->dims[i];
  for (int i = 0; i < ix->rank; i++)
    dims[k++] = ix->dims[i];
  for (int i = axis + 1; i < x->rank; i++)
    dims[k++] = x->dims[i];
  cc_set_out(c, n, 0, x->dtype, r, dims);
  return CLAVE_OK;
}

static const char *cc_index_sfx(int dtype) {
  return dtype == CK_INT32 ? "i32" : dtype == CK_INT64 ? "i64" : NULL;
}

static clave_status cc_gather_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis);
  if (st)
    return st;
  if (!cc_index_sfx(ix->dtype))
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "indices must be int32 or int64, not %s",
                        cc_dtype_name(ix->dtype));
  int64_t p[4] = {cc_prod_dims(x->dims, 0, axis), x->dims[axis],
                  cc_prod_dims(x->dims, axis + 1, x->rank), cc_numel(ix)};
  char name[40];
  snprintf(name, sizeof name, "gather_%s_%s", cc_index_sfx(ix->dtype),
           cc_size_sfx(x->dtype));
  int t[3] = {n->in[0], n->in[1], n->out[0]};
  return cc_emit_call(c, n, name, p, 4, t, 3);
}

static clave_status cc_gather_el_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 2)))
    return st;
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  if (ix->rank != x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "indices and data differ in rank");
  cc_set_out(c, n, 0, x->dtype, ix->rank, ix->dims);
  return CLAVE_OK;
}

static clave_status cc_elements_lower(cc_ctx *c, cc_node *n, bool scatter) {
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", 0), x->rank, &axis);
  if (st)
    return st;
  if (!cc_index_sfx(ix->dtype))
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "indices must be int32 or int64");
  if (scatter && strcmp(cc_attr_str(n, "reduction", "none"), "none") != 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "reduction '%s' is not supported",
                        cc_attr_str(n, "reduction", ""));
  int64_t p[2 + 2 * CC_MAX_RANK];
  int np = 0;
  p[np++] = x->rank;
  p[np++] = axis;
  for (int i = 0; i < x->rank; i++) p[np++] = ix->dims[i];
  for (int i = 0; i < x->rank; i++) p[np++] = x->dims[i];
  char name[48];
  snprintf(name, sizeof name, "%s_elements_%s_%s", scatter ? "scatter" : "gather",
           cc_index_sfx(ix->dtype), cc_size_sfx(x->dtype));
  if (scatter) {
    int t[4] = {n->in[0], n->in[1], n->in[2], n->out[0]};
    return cc_emit_call(c, n, name, p, np, t, 4);
  }
  int t[3] = {n->in[0], n->in[1], n->out[0]};
  return cc_emit_call(c, n, name, p, np, t, 3);
}

static clave_status cc_gather_el_lower(cc_ctx *c, cc_node *n) {
  return cc_elements_lower(c, n, false);
}

static clave_status cc_scatter_el_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 3)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  return CLAVE_OK;
}

static clave_status cc_scatter_el_lower(cc_ctx *c, cc_node *n) {
  return cc_elements_lower(c, n, true);
}

static clave_status cc_gather_nd_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 2)))
    return st;
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  int64_t b = cc_attr_int(n, "batch_dims", 0);
  if (ix->rank < 1 || b < 0 || b >= ix->rank || b >= x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "bad batch_dims");
  int64_t q = ix->dims[ix->rank - 1];
  if (q < 1 || b + q > x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "index tuples of length %lld for rank %d",
                        (long long)q, x->rank);
  int64_t dims[CC_MAX_RANK];
  int r = 0;
  for (int i = 0; i < ix->rank - 1; i++)
    dims[r++] = ix->dims[i];
  for (int i = (int)(b + q); i < x->rank; i++) {
    if (r >= CC_MAX_RANK)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED, "rank too large");
    dims[r++] = x->dims[i];
  }
  cc_set_out(c, n, 0, x->dtype, r, dims);
  return CLAVE_OK;
}

static clave_status cc_gather_nd_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  if (ix->dtype != CK_INT64)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "indices must be int64");
  int b = (int)cc_attr_int(n, "batch_dims", 0);
  int64_t q = ix->dims[ix->rank - 1];
  int64_t batch = cc_prod_dims(x->dims, 0, b);
  int64_t nsl = cc_prod_dims(ix->dims, b, ix->rank - 1);
  int64_t sl = cc_prod_dims(x->dims, (int)(b + q), x->rank);
  int64_t p[5 + CC_MAX_RANK] = {nsl, q, sl, batch, cc_prod_dims(x->dims, b, x->rank)};
  for (int i = 0; i < q; i++)
    p[5 + i] = x->dims[b + i];
  char name[32];
  snprintf(name, sizeof name, "gather_nd_%s", cc_size_sfx(x->dtype));
  int t[3] = {n->in[0], n->in[1], n->out[0]};
  return cc_emit_call(c, n, name, p, 5 + (int)q, t, 3);
}

static clave_status cc_scatter_nd_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *ix = cc_in(c, n, 1);
  if (ix->dtype != CK_INT64 || ix->rank < 1)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "indices must be int64");
  if (strcmp(cc_attr_str(n, "reduction", "none"), "none") != 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "reduction '%s' is not supported",
                        cc_attr_str(n, "reduction", ""));
  int64_t q = ix->dims[ix->rank - 1];
  if (q < 1 || q > x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "bad index tuple length");
  int64_t p[4 + CC_MAX_RANK] = {cc_prod_dims(ix->dims, 0, ix->rank - 1), q,
                                cc_prod_dims(x->dims, (int)q, x->rank),
                                cc_numel(x)};
  for (int i = 0; i < q; i++)
    p[4 + i] = x->dims[i];
  char name[32];
  snprintf(name, sizeof name, "scatter_nd_%s", cc_size_sfx(x->dtype));
  int t[4] = {n->in[0], n->in[1], n->in[2], n->out[0]};
  return cc_emit_call(c, n, name, p, 4 + (int)q, t, 4);
}

/* ---- known from shapes: Shape, Size, Constant, ConstantOfShape, Range, EyeLike --- */

static clave_status cc_noop_lower(cc_ctx *c, cc_node *n) {
  return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                      "could not be computed at compile time");
}

static clave_status cc_shape_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t b = cc_attr_int(n, "start", 0), e = cc_attr_int(n, "end", x->rank);
  if (b < 0) b += x->rank;
  if (e < 0) e += x->rank;
  b = b < 0 ? 0 : (b > x->rank ? x->rank : b);
  e = e < 0 ? 0 : (e > x->rank ? x->rank : e);
  int64_t cnt = e > b ? e - b : 0;
  int64_t *d = cc_xmalloc((size_t)(cnt + 1) * sizeof(int64_t));
  for (int64_t i = 0; i < cnt; i++)
    d[i] = x->dims[b + i];
  cc_set_const_out(c, n, 0, CK_INT64, 1, &cnt, d);
  return CLAVE_OK;
}

static clave_status cc_size_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  int64_t *d = cc_xmalloc(sizeof(int64_t));
  *d = cc_numel(cc_in(c, n, 0));
  cc_set_const_out(c, n, 0, CK_INT64, 0, NULL, d);
  return CLAVE_OK;
}

static clave_status cc_constant_infer(cc_ctx *c, cc_node *n) {
  const cc_attr *a;
  if ((a = cc_attr_get(n, "value")) && a->tensor >= 0) {
    cc_value *t = c->g->vals[a->tensor];
    size_t nb = cc_nbytes(t);
    void *d = cc_xmalloc(nb + 1);
    if (nb)
      memcpy(d, t->data, nb);
    cc_set_const_out(c, n, 0, t->dtype, t->rank, t->dims, d);
    return CLAVE_OK;
  }
  if ((a = cc_attr_get(n, "value_float"))) {
    float *d = cc_xmalloc(sizeof *d);
    *d = (float)a->f;
    cc_set_const_out(c, n, 0, CK_FLOAT, 0, NULL, d);
    return CLAVE_OK;
  }
  if ((a = cc_attr_get(n, "value_int"))) {
    int64_t *d = cc_xmalloc(sizeof *d);
    *d = a->i;
    cc_set_const_out(c, n, 0, CK_INT64, 0, NULL, d);
    return CLAVE_OK;
  }
  if ((a = cc_attr_get(n, "value_floats"))) {
    int64_t cnt = (int64_t)a->n;
    float *d = cc_xmalloc((size_t)cnt * sizeof *d + 1);
    for (int64_t i = 0; i < cnt; i++)
      d[i] = (float)a->floats[i];
    cc_set_const_out(c, n, 0, CK_FLOAT, 1, &cnt, d);
    return CLAVE_OK;
  }
  if ((a = cc_attr_get(n, "value_ints"))) {
    int64_t cnt = (int64_t)a->n;
    int64_t *d = cc_xmalloc((size_t)cnt * sizeof *d + 1);
    if (cnt)
      memcpy(d, a->ints, (size_t)cnt * sizeof *d);
    cc_set_const_out(c, n, 0, CK_INT64, 1, &cnt, d);
    return CLAVE_OK;
  }
  return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                      "only tensor, float and int values are supported");
}

static clave_status cc_cos_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  int64_t dims[CC_MAX_RANK];
  int cnt;
  if ((st = cc_const_ints(c, n, 0, dims, CC_MAX_RANK, &cnt)))
    return st;
  for (int i = 0; i < cnt; i++)
    if (dims[i] < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "negative dimension");
  const cc_attr *a = cc_attr_get(n, "value");
  int dt = a && a->tensor >= 0 ? c->g->vals[a->tensor]->dtype : CK_FLOAT;
  cc_set_out(c, n, 0, dt, cnt, dims);
  return CLAVE_OK;
}

static clave_status cc_cos_lower(cc_ctx *c, cc_node *n) {
  cc_value *y = cc_out(c, n, 0);
  const cc_attr *a = cc_attr_get(n, "value");
  uint64_t bits = 0;
  if (a && a->tensor >= 0) {
    cc_value *t = c->g->vals[a->tensor];
    if (cc_numel(t) != 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "value must hold one element");
    memcpy(&bits, t->data, ck_dtype_size(t->dtype));
  }
  char name[16];
  snprintf(name, sizeof name, "fill_%s", cc_size_sfx(y->dtype));
  int64_t p[2] = {cc_numel(y), (int64_t)bits};
  int t[1] = {n->out[0]};
  return cc_emit_call(c, n, name, p, 2, t, 1);
}

static clave_status cc_range_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 3)))
    return st;
  cc_value *s = cc_in(c, n, 0), *l = cc_in(c, n, 1), *d = cc_in(c, n, 2);
  for (int k = 0; k < 3; k++) {
    cc_value *v = cc_in(c, n, k);
    if (!v->data)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "input '%s' decides a shape but is not a constant "
                          "(bind it with --const %s=FILE.pb)",
                          v->name, v->name);
  }
  int dt = s->dtype;
  double vs, vl, vd;
  int64_t tmp[1];
  int cnt;
  if (cc_is_float(dt)) {
    vs = dt == CK_FLOAT ? *(float *)s->data : *(double *)s->data;
    vl = dt == CK_FLOAT ? *(float *)l->data : *(double *)l->data;
    vd = dt == CK_FLOAT ? *(float *)d->data : *(double *)d->data;
  } else {
    if ((st = cc_const_ints(c, n, 0, tmp, 1, &cnt)))
      return st;
    vs = (double)tmp[0];
    if ((st = cc_const_ints(c, n, 1, tmp, 1, &cnt)))
      return st;
    vl = (double)tmp[0];
    if ((st = cc_const_ints(c, n, 2, tmp, 1, &cnt)))
      return st;
    vd = (double)tmp[0];
  }
  if (vd == 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "delta is 0");
  double cntd = ceil((vl - vs) / vd);
  int64_t num = cntd > 0 ? (int64_t)cntd : 0;
  if (num > (1 << 26))
    return cc_node_fail(c->g, n, c->err, CLAVE_ELIMIT, "range too long");
  size_t es = ck_dtype_size(dt);
  uint8_t *out = cc_xmalloc((size_t)num * es + 1);
  for (int64_t i = 0; i < num; i++) {
    double v = vs + (double)i * vd;
    switch (dt) {
    case CK_FLOAT: ((float *)out)[i] = (float)v; break;
    case CK_DOUBLE: ((double *)out)[i] = v; break;
    case CK_INT16: ((int16_t *)out)[i] = (int16_t)v; break;
    case CK_INT32: ((int32_t *)out)[i] = (int32_t)v; break;
    case CK_INT64: ((int64_t *)out)[i] = (int64_t)v; break;
    default:
      free(out);
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "data type %s is not supported", cc_dtype_name(dt));
    }
  }
  cc_set_const_out(c, n, 0, dt, 1, &num, out);
  return CLAVE_OK;
}

static clave_status cc_eyelike_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  if (x->rank != 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "input must be 2-D");
  int dt = (int)cc_attr_int(n, "dtype", x->dtype);
  size_t es = ck_dtype_size(dt);
  if (!es || dt == CK_STRING)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %d is not supported", dt);
  int64_t k = cc_attr_int(n, "k", 0), R = x->dims[0], C = x->dims[1];
  uint8_t *d = cc_xcalloc((size_t)(R * C) * es + 1, 1);
  int64_t one = 1;
  for (int64_t i = 0; i < R; i++) {
    int64_t j = i + k;
    if (j < 0 || j >= C)
      continue;
    uint8_t *e = d + (i * C + j) * es;
    switch (dt) {
    case CK_FLOAT: { float f = 1; memcpy(e, &f, 4); break; }
    case CK_DOUBLE: { double f = 1; memcpy(e, &f, 8); break; }
    case CK_FLOAT16: { uint16_t h = ck_f2h(1.0f); memcpy(e, &h, 2); break; }
    default: memcpy(e, &one, es); break; /* little endian integer 1 */
    }
  }
  cc_set_const_out(c, n, 0, dt, 2, x->dims, d);
  return CLAVE_OK;
}

/* ---- Trilu -------------------------------------------------------------------- */

static clave_status cc_trilu_infer(cc_ctx *c, cc_node *n) {
  clave_status st;
  if ((st = cc_need(c, n, 1)))
    return st;
  cc_value *x = cc_in(c, n, 0);
  if (x->rank < 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "input rank must be 2 or more");
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  return CLAVE_OK;
}

static clave_status cc_trilu_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int64_t k = 0;
  int cnt;
  clave_status st;
  if (n->nin > 1 && n->in[1] >= 0 && (st = cc_const_ints(c, n, 1, &k, 1, &cnt)))
    return st;
  int64_t R = x->dims[x->rank - 2], C = x->dims[x->rank - 1];
  int64_t p[5] = {cc_prod_dims(x->dims, 0, x->rank - 2), R, C, k,
                  cc_attr_int(n, "upper", 1)};
  char name[16];
  snprintf(name, sizeof name, "trilu_%s", cc_size_sfx(x->dtype));
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, name, p, 5, t, 2);
}

const cc_op cc_ops_shape[] = {
    {"Trilu", 14, cc_trilu_infer, cc_trilu_lower, false},
    {"Reshape", 1, cc_reshape_infer, cc_alias_lower, false},
    {"Flatten", 1, cc_flatten_infer, cc_alias_lower, false},
    {"Squeeze", 1, cc_squeeze_infer, cc_alias_lower, false},
    {"Unsqueeze", 1, cc_unsqueeze_infer, cc_alias_lower, false},
    {"Transpose", 1, cc_transpose_infer, cc_transpose_lower, false},
    {"Concat", 1, cc_concat_infer, cc_concat_lower, false},
    {"Split", 1, cc_split_infer, cc_split_lower, false},
    {"Slice", 1, cc_slice_infer, cc_slice_lower, false},
    {"Expand", 8, cc_expand_infer, cc_expand_lower, false},
    {"Tile", 1, cc_tile_infer, cc_tile_lower, false},
    {"Pad", 1, cc_pad_infer, cc_pad_lower, false},
    {"DepthToSpace", 1, cc_d2s_infer, cc_d2s_lower, false},
    {"SpaceToDepth", 1, cc_d2s_infer, cc_d2s_lower, false},
    {"Gather", 1, cc_gather_infer, cc_gather_lower, false},
    {"GatherElements", 11, cc_gather_el_infer, cc_gather_el_lower, false},
    {"ScatterElements", 11, cc_scatter_el_infer, cc_scatter_el_lower, false},
    {"Scatter", 9, cc_scatter_el_infer, cc_scatter_el_lower, false},
    {"GatherND", 11, cc_gather_nd_infer, cc_gather_nd_lower, false},
    {"ScatterND", 11, cc_scatter_el_infer, cc_scatter_nd_lower, false},
    {"Shape", 1, cc_shape_infer, cc_noop_lower, false},
    {"Size", 1, cc_size_infer, cc_noop_lower, false},
    {"Constant", 1, cc_constant_infer, cc_noop_lower, false},
    {"ConstantOfShape", 9, cc_cos_infer, cc_cos_lower, false},
    {"Range", 11, cc_range_infer, cc_noop_lower, false},
    {"EyeLike", 9, cc_eyelike_infer, cc_noop_lower, false},
    {NULL, 0, NULL, NULL, false}};
