/*
 * cc_op_elementwise.c - element-wise operators: binary arithmetic,
 * comparisons and logic with broadcasting (including the opset-6
 * `broadcast`/`axis` form), variadic Sum/Mean/Max/Min, unary math and
 * activations, Clip, Where, Cast, Identity and Dropout.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compiler/cc_ops.h"

/* ---- binary ---------------------------------------------------------------- */

typedef struct cc_binary_def {
  const char *op;
  const char *kernel;
  int out_bool; /* comparisons */
} cc_binary_def;

static const cc_binary_def cc_binaries[] = {
    {"Add", "add", 0},          {"Sub", "sub", 0},
    {"Mul", "mul", 0},          {"Div", "div", 0},
    {"Pow", "pow", 0},          {"PRelu", "prelu", 0},
    {"Equal", "equal", 1},      {"Less", "less", 1},
    {"Greater", "greater", 1},  {"LessOrEqual", "less_equal", 1},
    {"GreaterOrEqual", "greater_equal", 1},
    {"And", "and", 1},          {"Or", "or", 1},
    {"Xor", "xor", 1},          {"BitwiseAnd", "bitand", 0},
    {"BitwiseOr", "bitor", 0},  {"BitwiseXor", "bitxor", 0},
    {"Mod", "mod", 0},          {"BitShift", "shl", 0},
    {NULL, NULL, 0}};

static const cc_binary_def *cc_binary_find(const char *op) {
  for (const cc_binary_def *d = cc_binaries; d->op; d++)
    if (strcmp(d->op, op) == 0)
      return d;
  return NULL;
}

/* b as seen by the op: opset < 7 with broadcast=1 and an axis aligns b's
 * dims at that axis of a instead of at the end. */
static void cc_legacy_b(cc_ctx *c, cc_node *n, const cc_value *a,
                        const cc_value *b, cc_value *view) {
  *view = *b;
  if (c->g->opset < 7 && strcmp(n->op, "PRelu") == 0 && b->rank == 1 &&
      a->rank > 2 && b->dims[0] == a->dims[1]) {
    /* opset 6 PRelu: one slope per channel (axis 1) */
    for (int i = 1; i < a->rank - 1; i++)
      view->dims[view->rank++] = 1;
    return;
  }
  if (c->g->opset >= 7 || !cc_attr_int(n, "broadcast", 0))
    return;
  const cc_attr *ax = cc_attr_get(n, "axis");
  if (!ax)
    return;
  int64_t axis = ax->i < 0 ? ax->i + a->rank : ax->i;
  int trailing = a->rank - (int)axis - b->rank;
  if (axis < 0 || trailing < 0)
    return;
  for (int i = 0; i < trailing; i++)
    view->dims[view->rank++] = 1;
}

static clave_status cc_binary_infer(cc_ctx *c, cc_node *n) {
  const cc_binary_def *d = cc_binary_find(n->op);
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1);
  if (!a || !b)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs two inputs");
  if (a->dtype != b->dtype && strcmp(n->op, "Pow") != 0 &&
      strcmp(n->op, "PRelu") != 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "inputs have different types (%s and %s)",
                        cc_dtype_name(a->dtype), cc_dtype_name(b->dtype));
  cc_value bv;
  cc_legacy_b(c, n, a, b, &bv);
  int rank;
  int64_t dims[CC_MAX_RANK];
  clave_status st = cc_broadcast(c, n, a, &bv, &rank, dims);
  if (st)
    return st;
  cc_set_out(c, n, 0, d->out_bool ? CK_BOOL : a->dtype, rank, dims);
  return CLAVE_OK;
}

static clave_status cc_binary_lower(cc_ctx *c, cc_node *n) {
  const cc_binary_def *d = cc_binary_find(n->op);
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1), *y = cc_out(c, n, 0);
  cc_value bv;
  cc_legacy_b(c, n, a, b, &bv);
  const cc_value *ops[2] = {a, &bv};
  int64_t p[1 + 3 * CC_MAX_RANK];
  int np = cc_bcast_params(y->rank, y->dims, ops, 2, p);
  char name[48];
  clave_status st;
  int dt = a->dtype;
  if (dt == CK_BOOL) {
    snprintf(name, sizeof name, "%s_b", d->kernel);
  } else if (a->dtype != b->dtype) { /* Pow with an integer exponent */
    snprintf(name, sizeof name, "%s_%s_%s", d->kernel, cc_dtype_sfx(a->dtype)
             ? cc_dtype_sfx(a->dtype) : "x",
             cc_dtype_sfx(b->dtype) ? cc_dtype_sfx(b->dtype) : "x");
    if (cc_kernel_find(name) < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "data types %s and %s are not supported",
                          cc_dtype_name(a->dtype), cc_dtype_name(b->dtype));
  } else {
    const char *base = d->kernel;
    if (strcmp(n->op, "Mod") == 0 && cc_attr_int(n, "fmod", 0))
      base = "fmod";
    if (strcmp(n->op, "BitShift") == 0 &&
        strcmp(cc_attr_str(n, "direction", ""), "RIGHT") == 0)
      base = "shr";
    if ((st = cc_kname(c, n, base, dt, name, sizeof name)))
      return st;
  }
  int t[3] = {n->in[0], n->in[1], n->out[0]};
  return cc_emit_call(c, n, name, p, np, t, 3);
}

/* ---- variadic: Sum, Mean, Max, Min ------------------------------------------ */

static const char *cc_variadic_kernel(const char *op) {
  if (strcmp(op, "Sum") == 0 || strcmp(op, "Mean") == 0)
    return "add";
  if (strcmp(op, "Max") == 0)
    return "max";
  return "min";
}

static clave_status cc_variadic_infer(cc_ctx *c, cc_node *n) {
  cc_value *a = cc_in(c, n, 0);
  if (!a)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  int rank = a->rank;
  int64_t dims[CC_MAX_RANK];
  memcpy(dims, a->dims, sizeof dims);
  for (int i = 1; i < n->nin; i++) {
    cc_value *b = cc_in(c, n, i);
    if (!b)
      continue;
    if (b->dtype != a->dtype)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "inputs have different types (%s and %s)",
                          cc_dtype_name(a->dtype), cc_dtype_name(b->dtype));
    cc_value cur = *a;
    cur.rank = rank;
    memcpy(cur.dims, dims, sizeof dims);
    clave_status st = cc_broadcast(c, n, &cur, b, &rank, dims);
    if (st)
      return st;
  }
  cc_set_out(c, n, 0, a->dtype, rank, dims);
  return CLAVE_OK;
}

static clave_status cc_variadic_lower(cc_ctx *c, cc_node *n) {
  cc_value *y = cc_out(c, n, 0);
  char name[48];
  clave_status st;
  if ((st = cc_kname(c, n, cc_variadic_kernel(n->op), y->dtype, name, sizeof name)))
    return st;
  int count = 0, last = -1;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] >= 0)
      count++, last = i;
  bool mean = strcmp(n->op, "Mean") == 0;
  int acc = n->in[0];
  if (count == 1 && !mean) {
    int64_t p[1 + 3 * CC_MAX_RANK];
    const cc_value *ops[1] = {cc_in(c, n, 0)};
    int np = cc_bcast_params(y->rank, y->dims, ops, 1, p);
    /* a broadcasting copy: add zero-stride view */
    int64_t sp[4 + 3 * CC_MAX_RANK];
    int r = (int)p[0], k = 0;
    sp[k++] = r;
    for (int i = 0; i < r; i++) sp[k++] = p[1 + i];
    for (int i = 0; i < r; i++) sp[k++] = p[1 + r + i];
    sp[k++] = 0;
    int64_t ds[CC_MAX_RANK];
    cc_strides(r, p + 1, ds);
    for (int i = 0; i < r; i++) sp[k++] = ds[i];
    sp[k++] = 0;
    (void)np;
    char vname[16];
    snprintf(vname, sizeof vname, "view_%s", cc_size_sfx(y->dtype));
    int t[2] = {n->in[0], n->out[0]};
    return cc_emit_call(c, n, vname, sp, k, t, 2);
  }
  for (int i = 1; i < n->nin; i++) {
    if (n->in[i] < 0)
      continue;
    cc_value *a = c->g->vals[acc], *b = cc_in(c, n, i);
    int rank;
    int64_t dims[CC_MAX_RANK];
    if ((st = cc_broadcast(c, n, a, b, &rank, dims)))
      return st;
    int dst = (i == last && !mean) ? n->out[0] : cc_temp(c, y->dtype, rank, dims);
    cc_value *d = c->g->vals[dst];
    const cc_value *ops[2] = {c->g->vals[acc], b};
    int64_t p[1 + 3 * CC_MAX_RANK];
    int np = cc_bcast_params(d->rank, d->dims, ops, 2, p);
    int t[3] = {acc, n->in[i], dst};
    if ((st = cc_emit_call(c, n, name, p, np, t, 3)))
      return st;
    acc = dst;
  }
  if (mean) {
    if (!cc_is_float(y->dtype))
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "Mean of %s is not supported", cc_dtype_name(y->dtype));
    int64_t one = 1;
    void *cnt = cc_xmalloc(8);
    if (y->dtype == CK_FLOAT)
      *(float *)cnt = (float)count;
    else
      *(double *)cnt = (double)count;
    int k = cc_const_add(c->g, NULL, y->dtype, 1, &one, cnt);
    const cc_value *ops[2] = {c->g->vals[acc], c->g->vals[k]};
    int64_t p[1 + 3 * CC_MAX_RANK];
    int np = cc_bcast_params(y->rank, y->dims, ops, 2, p);
    char dname[48];
    if ((st = cc_kname(c, n, "div", y->dtype, dname, sizeof dname)))
      return st;
    int t[3] = {acc, k, n->out[0]};
    return cc_emit_call(c, n, dname, p, np, t, 3);
  }
  return CLAVE_OK;
}

/* ---- unary ------------------------------------------------------------------ */

typedef struct cc_unary_def {
  const char *op;
  const char *kernel;
  const char *attr_a; /* attribute names and defaults of the two params */
  double def_a;
  const char *attr_b;
  double def_b;
  int out_bool;
} cc_unary_def;

static const cc_unary_def cc_unaries[] = {
    {"Abs", "abs", 0, 0, 0, 0, 0},
    {"Neg", "neg", 0, 0, 0, 0, 0},
    {"Sign", "sign", 0, 0, 0, 0, 0},
    {"Relu", "relu", 0, 0, 0, 0, 0},
    {"Exp", "exp", 0, 0, 0, 0, 0},
    {"Log", "log", 0, 0, 0, 0, 0},
    {"Sqrt", "sqrt", 0, 0, 0, 0, 0},
    {"Reciprocal", "reciprocal", 0, 0, 0, 0, 0},
    {"Sigmoid", "sigmoid", 0, 0, 0, 0, 0},
    {"Tanh", "tanh", 0, 0, 0, 0, 0},
    {"Sin", "sin", 0, 0, 0, 0, 0},
    {"Cos", "cos", 0, 0, 0, 0, 0},
    {"Tan", "tan", 0, 0, 0, 0, 0},
    {"Asin", "asin", 0, 0, 0, 0, 0},
    {"Acos", "acos", 0, 0, 0, 0, 0},
    {"Atan", "atan", 0, 0, 0, 0, 0},
    {"Sinh", "sinh", 0, 0, 0, 0, 0},
    {"Cosh", "cosh", 0, 0, 0, 0, 0},
    {"Asinh", "asinh", 0, 0, 0, 0, 0},
    {"Acosh", "acosh", 0, 0, 0, 0, 0},
    {"Atanh", "atanh", 0, 0, 0, 0, 0},
    {"Floor", "floor", 0, 0, 0, 0, 0},
    {"Ceil", "ceil", 0, 0, 0, 0, 0},
    {"Round", "round", 0, 0, 0, 0, 0},
    {"Erf", "erf", 0, 0, 0, 0, 0},
    {"Softplus", "softplus", 0, 0, 0, 0, 0},
    {"Softsign", "softsign", 0, 0, 0, 0, 0},
    {"Elu", "elu", "alpha", 1.0, 0, 0, 0},
    {"Selu", "selu", "alpha", 1.67326319217681884765625, "gamma",
     1.05070102214813232421875, 0},
    {"Celu", "celu", "alpha", 1.0, 0, 0, 0},
    {"LeakyRelu", "leakyrelu", "alpha", 0.01, 0, 0, 0},
    {"HardSigmoid", "hardsigmoid", "alpha", 0.2, "beta", 0.5, 0},
    {"HardSwish", "hardswish", 0, 0, 0, 0, 0},
    {"ThresholdedRelu", "thresholdedrelu", "alpha", 1.0, 0, 0, 0},
    {"Mish", "mish", 0, 0, 0, 0, 0},
    {"Shrink", "shrink", "bias", 0.0, "lambd", 0.5, 0},
    {"IsNaN", "isnan", 0, 0, 0, 0, 1},
    {"IsInf", "isinf", "detect_negative", 1, "detect_positive", 1, 1},
    {"Not", "not", 0, 0, 0, 0, 0},
    {"BitwiseNot", "bitnot", 0, 0, 0, 0, 0},
    {"Gelu", "gelu", 0, 0, 0, 0, 0},
    {NULL, NULL, 0, 0, 0, 0, 0}};

static const cc_unary_def *cc_unary_find(const char *op) {
  for (const cc_unary_def *d = cc_unaries; d->op; d++)
    if (strcmp(d->op, op) == 0)
      return d;
  return NULL;
}

static clave_status cc_unary_infer(cc_ctx *c, cc_node *n) {
  const cc_unary_def *d = cc_unary_find(n->op);
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  cc_set_out(c, n, 0, d->out_bool ? CK_BOOL : x->dtype, x->rank, x->dims);
  return CLAVE_OK;
}

static clave_status cc_unary_emit(cc_ctx *c, cc_node *n, const char *kernel,
                                  int dtype, int64_t a, int64_t b, int src,
                                  int dst) {
  char name[48];
  clave_status st;
  if (dtype == CK_BOOL)
    snprintf(name, sizeof name, "%s_b", kernel);
  else if ((st = cc_kname(c, n, kernel, dtype, name, sizeof name)))
    return st;
  if (cc_kernel_find(name) < 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %s is not supported", cc_dtype_name(dtype));
  int64_t p[3] = {cc_numel(c->g->vals[src]), a, b};
  int t[2] = {src, dst};
  return cc_emit_call(c, n, name, p, 3, t, 2);
}

static clave_status cc_unary_lower(cc_ctx *c, cc_node *n) {
  const cc_unary_def *d = cc_unary_find(n->op);
  cc_value *x = cc_in(c, n, 0);
  double a = d->attr_a ? cc_attr_float(n, d->attr_a, d->def_a) : 0;
  double b = d->attr_b ? cc_attr_float(n, d->attr_b, d->def_b) : 0;
  return cc_unary_emit(c, n, d->kernel, x->dtype, ck_fbits(a), ck_fbits(b),
                       n->in[0], n->out[0]);
}

/* Gelu (opset 20): approximate "none" or "tanh" */
static clave_status cc_gelu_lower(cc_ctx *c, cc_node *n) {
  const char *k =
      strcmp(cc_attr_str(n, "approximate", "none"), "tanh") == 0 ? "gelu_tanh" : "gelu";
  return cc_unary_emit(c, n, k, cc_in(c, n, 0)->dtype, 0, 0, n->in[0], n->out[0]);
}

/* ---- Clip ------------------------------------------------------------------- */

static clave_status cc_clip_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  cc_value *lo = cc_in(c, n, 1), *hi = cc_in(c, n, 2);
  bool is_f = cc_is_float(x->dtype);
  if (c->g->opset < 11) {
    double a = cc_attr_float(n, "min", -INFINITY), b = cc_attr_float(n, "max", INFINITY);
    return cc_unary_emit(c, n, "clip", x->dtype, ck_fbits(a), ck_fbits(b),
                         n->in[0], n->out[0]);
  }
  if ((!lo || lo->data) && (!hi || hi->data)) {
    double fa = -INFINITY, fb = INFINITY;
    int64_t ia = INT64_MIN, ib = INT64_MAX;
    int64_t tmp[1];
    int cnt;
    clave_status st;
    if (is_f) {
      if (lo)
        fa = x->dtype == CK_FLOAT ? *(float *)lo->data : *(double *)lo->data;
      if (hi)
        fb = x->dtype == CK_FLOAT ? *(float *)hi->data : *(double *)hi->data;
      return cc_unary_emit(c, n, "clip", x->dtype, ck_fbits(fa), ck_fbits(fb),
                           n->in[0], n->out[0]);
    }
    if (lo && (st = cc_const_ints(c, n, 1, tmp, 1, &cnt)) == CLAVE_OK)
      ia = tmp[0];
    else if (lo)
      return st;
    if (hi && (st = cc_const_ints(c, n, 2, tmp, 1, &cnt)) == CLAVE_OK)
      ib = tmp[0];
    else if (hi)
      return st;
    return cc_unary_emit(c, n, "clip", x->dtype, ia, ib, n->in[0], n->out[0]);
  }
  /* runtime bounds: max then min, broadcasting the scalars */
  char name[48];
  clave_status st;
  int cur = n->in[0];
  for (int k = 1; k <= 2; k++) {
    cc_value *bnd = cc_in(c, n, k);
    if (!bnd)
      continue;
    bool last = k == 2 || !hi;
    int dst = last ? n->out[0] : cc_temp(c, x->dtype, x->rank, x->dims);
    const cc_value *ops[2] = {c->g->vals[cur], bnd};
    int64_t p[1 + 3 * CC_MAX_RANK];
    int np = cc_bcast_params(y->rank, y->dims, ops, 2, p);
    if ((st = cc_kname(c, n, k == 1 ? "max" : "min", x->dtype, name, sizeof name)))
      return st;
    int t[3] = {cur, n->in[k], dst};
    if ((st = cc_emit_call(c, n, name, p, np, t, 3)))
      return st;
    cur = dst;
  }
  if (cur == n->in[0])
    return cc_emit_copy(c, n, n->in[0], n->out[0]);
  return CLAVE_OK;
}

/* ---- Identity, Dropout ------------------------------------------------------- */

static clave_status cc_identity_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  cc_set_out(c, n, 1, CK_BOOL, x->rank, x->dims); /* Dropout mask */
  return CLAVE_OK;
}

static clave_status cc_identity_lower(cc_ctx *c, cc_node *n) {
  cc_value *train = cc_in(c, n, 2);
  if (strcmp(n->op, "Dropout") == 0 &&
      (cc_attr_int(n, "training_mode", 0) ||
       (train && (!train->data || ((uint8_t *)train->data)[0]))))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "training mode (random dropout) is not supported");
  cc_alias(c, n, 0, 0);
  cc_value *mask = cc_out(c, n, 1);
  if (mask) { /* inference: nothing is dropped */
    int64_t p[2] = {cc_numel(mask), 1};
    int t[1] = {n->out[1]};
    return cc_emit_call(c, n, "fill_e1", p, 2, t, 1);
  }
  return CLAVE_OK;
}

/* ---- Where -------------------------------------------------------------------- */

static clave_status cc_where_infer(cc_ctx *c, cc_node *n) {
  cc_value *cnd = cc_in(c, n, 0), *a = cc_in(c, n, 1), *b = cc_in(c, n, 2);
  if (!cnd || !a || !b)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs three inputs");
  int rank;
  int64_t dims[CC_MAX_RANK];
  clave_status st = cc_broadcast(c, n, a, b, &rank, dims);
  if (st)
    return st;
  cc_value ab = *a;
  ab.rank = rank;
  memcpy(ab.dims, dims, sizeof dims);
  if ((st = cc_broadcast(c, n, cnd, &ab, &rank, dims)))
    return st;
  cc_set_out(c, n, 0, a->dtype, rank, dims);
  return CLAVE_OK;
}

static clave_status cc_where_lower(cc_ctx *c, cc_node *n) {
  cc_value *y = cc_out(c, n, 0);
  const cc_value *ops[3] = {cc_in(c, n, 0), cc_in(c, n, 1), cc_in(c, n, 2)};
  int64_t p[1 + 4 * CC_MAX_RANK];
  int np = cc_bcast_params(y->rank, y->dims, ops, 3, p);
  char name[32];
  snprintf(name, sizeof name, "where_%s", cc_size_sfx(y->dtype));
  int t[4] = {n->in[0], n->in[1], n->in[2], n->out[0]};
  return cc_emit_call(c, n, name, p, np, t, 4);
}

/* ---- Cast, CastLike ------------------------------------------------------------ */

static clave_status cc_cast_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  int to;
  if (strcmp(n->op, "CastLike") == 0) {
    cc_value *like = cc_in(c, n, 1);
    if (!like)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs two inputs");
    to = like->dtype;
  } else {
    const cc_attr *a = cc_attr_get(n, "to");
    if (!a)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "has no 'to' attribute");
    to = (int)a->i;
    if (a->type == CC_ATTR_STRING) /* opset 1 spelled the type */
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "'to' given as a string");
  }
  if (to == CK_STRING || x->dtype == CK_STRING)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "casts from or to strings are not supported");
  if (to == CK_BFLOAT16 || x->dtype == CK_BFLOAT16)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type bfloat16 is not supported");
  if (to <= 0 || to >= CK_DTYPE_COUNT || ck_dtype_size(to) == 0 ||
      to == CK_COMPLEX64 || to == CK_COMPLEX128)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "cast to data type %d is not supported", to);
  cc_set_out(c, n, 0, to, x->rank, x->dims);
  return CLAVE_OK;
}

static clave_status cc_cast_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *y = cc_out(c, n, 0);
  if (x->dtype == y->dtype) {
    cc_alias(c, n, 0, 0);
    return CLAVE_OK;
  }
  int64_t p[3] = {cc_numel(x), x->dtype, y->dtype};
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, "cast", p, 3, t, 2);
}

const cc_op cc_ops_elementwise[] = {
    {"Add", 1, cc_binary_infer, cc_binary_lower, false},
    {"Sub", 1, cc_binary_infer, cc_binary_lower, false},
    {"Mul", 1, cc_binary_infer, cc_binary_lower, false},
    {"Div", 1, cc_binary_infer, cc_binary_lower, false},
    {"Pow", 1, cc_binary_infer, cc_binary_lower, false},
    {"PRelu", 1, cc_binary_infer, cc_binary_lower, false},
    {"Equal", 1, cc_binary_infer, cc_binary_lower, false},
    {"Less", 1, cc_binary_infer, cc_binary_lower, false},
    {"Greater", 1, cc_binary_infer, cc_binary_lower, false},
    {"LessOrEqual", 12, cc_binary_infer, cc_binary_lower, false},
    {"GreaterOrEqual", 12, cc_binary_infer, cc_binary_lower, false},
    {"And", 1, cc_binary_infer, cc_binary_lower, false},
    {"Or", 1, cc_binary_infer, cc_binary_lower, false},
    {"Xor", 1, cc_binary_infer, cc_binary_lower, false},
    {"BitwiseAnd", 18, cc_binary_infer, cc_binary_lower, false},
    {"BitwiseOr", 18, cc_binary_infer, cc_binary_lower, false},
    {"BitwiseXor", 18, cc_binary_infer, cc_binary_lower, false},
    {"Mod", 10, cc_binary_infer, cc_binary_lower, false},
    {"BitShift", 11, cc_binary_infer, cc_binary_lower, false},
    {"Sum", 1, cc_variadic_infer, cc_variadic_lower, false},
    {"Mean", 1, cc_variadic_infer, cc_variadic_lower, false},
    {"Max", 1, cc_variadic_infer, cc_variadic_lower, false},
    {"Min", 1, cc_variadic_infer, cc_variadic_lower, false},
    {"Abs", 1, cc_unary_infer, cc_unary_lower, false},
    {"Neg", 1, cc_unary_infer, cc_unary_lower, false},
    {"Sign", 9, cc_unary_infer, cc_unary_lower, false},
    {"Relu", 1, cc_unary_infer, cc_unary_lower, false},
    {"Exp", 1, cc_unary_infer, cc_unary_lower, false},
    {"Log", 1, cc_unary_infer, cc_unary_lower, false},
    {"Sqrt", 1, cc_unary_infer, cc_unary_lower, false},
    {"Reciprocal", 1, cc_unary_infer, cc_unary_lower, false},
    {"Sigmoid", 1, cc_unary_infer, cc_unary_lower, false},
    {"Tanh", 1, cc_unary_infer, cc_unary_lower, false},
    {"Sin", 7, cc_unary_infer, cc_unary_lower, false},
    {"Cos", 7, cc_unary_infer, cc_unary_lower, false},
    {"Tan", 7, cc_unary_infer, cc_unary_lower, false},
    {"Asin", 7, cc_unary_infer, cc_unary_lower, false},
    {"Acos", 7, cc_unary_infer, cc_unary_lower, false},
    {"Atan", 7, cc_unary_infer, cc_unary_lower, false},
    {"Sinh", 9, cc_unary_infer, cc_unary_lower, false},
    {"Cosh", 9, cc_unary_infer, cc_unary_lower, false},
    {"Asinh", 9, cc_unary_infer, cc_unary_lower, false},
    {"Acosh", 9, cc_unary_infer, cc_unary_lower, false},
    {"Atanh", 9, cc_unary_infer, cc_unary_lower, false},
    {"Floor", 1, cc_unary_infer, cc_unary_lower, false},
    {"Ceil", 1, cc_unary_infer, cc_unary_lower, false},
    {"Round", 11, cc_unary_infer, cc_unary_lower, false},
    {"Erf", 9, cc_unary_infer, cc_unary_lower, false},
    {"Softplus", 1, cc_unary_infer, cc_unary_lower, false},
    {"Softsign", 1, cc_unary_infer, cc_unary_lower, false},
    {"Elu", 1, cc_unary_infer, cc_unary_lower, false},
    {"Selu", 1, cc_unary_infer, cc_unary_lower, false},
    {"Celu", 12, cc_unary_infer, cc_unary_lower, false},
    {"LeakyRelu", 1, cc_unary_infer, cc_unary_lower, false},
    {"HardSigmoid", 1, cc_unary_infer, cc_unary_lower, false},
    {"HardSwish", 14, cc_unary_infer, cc_unary_lower, false},
    {"ThresholdedRelu", 10, cc_unary_infer, cc_unary_lower, false},
    {"Mish", 18, cc_unary_infer, cc_unary_lower, false},
    {"Shrink", 9, cc_unary_infer, cc_unary_lower, false},
    {"IsNaN", 9, cc_unary_infer, cc_unary_lower, false},
    {"IsInf", 10, cc_unary_infer, cc_unary_lower, false},
    {"Not", 1, cc_unary_infer, cc_unary_lower, false},
    {"BitwiseNot", 18, cc_unary_infer, cc_unary_lower, false},
    {"Gelu", 20, cc_unary_infer, cc_gelu_lower, false},
    {"Clip", 1, cc_identity_infer, cc_clip_lower, false},
    {"Identity", 1, cc_identity_infer, cc_identity_lower, false},
    {"Dropout", 1, cc_identity_infer, cc_identity_lower, false},
    {"Where", 9, cc_where_infer, cc_where_lower, false},
    {"Cast", 1, cc_cast_infer, cc_cast_lower, false},
    {"CastLike", 15, cc_cast_infer, cc_cast_lower, false},
    {NULL, 0, NULL, NULL, false}};
