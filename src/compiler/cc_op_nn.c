/*
 * cc_op_nn.c - neural-network operators: Conv, ConvTranspose, Gemm,
 * MatMul, MatMulInteger, pooling, BatchNormalization and the other
 * normalisations, and the Softmax family.
 *
 * Convolution and pooling share the geometry code (auto_pad, pads, ceil
 * mode).  Gemm needs B row-major: a transposed constant B is transposed
 * here, at compile time, so the payload never does it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc_ops.h"
#include "kernels/k_conv.h"

/* ---- convolution / pooling geometry ----------------------------------------- */

typedef struct cc_geom {
  int nsp;
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} cc_geom;

/* ksz: kernel dims (from W or kernel_shape); pool: ceil_mode allowed */
static clave_status cc_geom_init(cc_ctx *c, cc_node *n, const cc_value *x,
                                 const int64_t *ksz, bool pool, cc_geom *g) {
  int nsp = x->rank - 2;
  if (nsp < 1 || nsp > 3)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "%d spatial dimensions are not supported (1 to 3)", nsp);
  g->nsp = nsp;
  const int64_t *v;
  int cnt;
  for (int i = 0; i < 3; i++) {
    g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1;
    g->pb[i] = g->pe[i] = 0;
  }
  for (int i = 0; i < nsp; i++) {
    g->in[i] = x->dims[2 + i];
    g->k[i] = ksz[i];
    if (g->k[i] < 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "kernel dimension %d is %lld", i, (long long)g->k[i]);
  }
  if ((cnt = cc_attr_ints(n, "strides", &v)) >= 0) {
    if (cnt != nsp)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "strides has %d values for %d spatial dims", cnt, nsp);
    for (int i = 0; i < nsp; i++)
      g->s[i] = v[i];
  }
  if ((cnt = cc_attr_ints(n, "dilations", &v)) >= 0) {
    if (cnt != nsp)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "dilations has %d values for %d spatial dims", cnt, nsp);
    for (int i = 0; i < nsp; i++)
      g->d[i] = v[i];
  }
  for (int i = 0; i < nsp; i++)
    if (g->s[i] < 1 || g->d[i] < 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "strides and dilations must be positive");
  const char *ap = cc_attr_str(n, "auto_pad", "NOTSET");
  bool ceil_mode = pool && cc_attr_int(n, "ceil_mode", 0);
  if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
    for (int i = 0; i < nsp; i++) {
      int64_t o = (g->in[i] + g->s[i] - 1) / g->s[i];
      int64_t total = (o - 1) * g->s[i] + g->d[i] * (g->k[i] - 1) + 1 - g->in[i];
      if (total < 0)
        total = 0;
      g->pb[i] = ap[5] == 'U' ? total / 2 : total - total / 2;
      g->pe[i] = total - g->pb[i];
      g->out[i] = o;
    }
    return CLAVE_OK;
  }
  if (strcmp(ap, "VALID") != 0 && (cnt = cc_attr_ints(n, "pads", &v)) >= 0) {
    if (cnt != 2 * nsp)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "pads has %d values for %d spatial dims", cnt, nsp);
    for (int i = 0; i < nsp; i++) {
      g->pb[i] = v[i];
      g->pe[i] = v[nsp + i];
      if (g->pb[i] < 0 || g->pe[i] < 0)
        return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                            "negative pads are not supported");
    }
  } else if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0) {
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "unknown auto_pad '%s'",
                        ap);
  }
  for (int i = 0; i < nsp; i++) {
    int64_t span = g->in[i] + g->pb[i] + g->pe[i] - g->d[i] * (g->k[i] - 1) - 1;
    if (span < 0)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "the kernel (%lld) is larger than the padded input "
                          "(%lld) in spatial dim %d",
                          (long long)(g->d[i] * (g->k[i] - 1) + 1),
                          (long long)(g->in[i] + g->pb[i] + g->pe[i]), i);
    int64_t o = ceil_mode ? (span + g->s[i] - 1) / g->s[i] + 1 : span / g->s[i] + 1;
    if (ceil_mode && (o - 1) * g->s[i] >= g->in[i] + g->pb[i])
      o--;
    g->out[i] = o;
  }
  return CLAVE_OK;
}

static void cc_geom_params(const cc_geom *g, int64_t *p) {
  p[CK_CONV_NSP] = g->nsp;
  for (int i = 0; i < 3; i++) {
    p[CK_CONV_IN + i] = g->in[i];
    p[CK_CONV_OUT + i] = g->out[i];
    p[CK_CONV_K + i] = g->k[i];
    p[CK_CONV_S + i] = g->s[i];
    p[CK_CONV_D + i] = g->d[i];
    p[CK_CONV_PB + i] = g->pb[i];
  }
}

/* ---- Conv -------------------------------------------------------------------- */

static clave_status cc_conv_check(cc_ctx *c, cc_node *n, cc_value **x,
                                  cc_value **w, cc_geom *g) {
  *x = cc_in(c, n, 0);
  *w = cc_in(c, n, 1);
  if (!*x || !*w)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs X and W");
  if ((*x)->dtype != CK_FLOAT || (*w)->dtype != CK_FLOAT)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %s is not supported",
                        cc_dtype_name((*x)->dtype));
  if ((*w)->rank != (*x)->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "W has rank %d, X has rank %d", (*w)->rank, (*x)->rank);
  int64_t ksz[3];
  const int64_t *ks;
  int cnt = cc_attr_ints(n, "kernel_shape", &ks);
  for (int i = 0; i < (*x)->rank - 2 && i < 3; i++)
    ksz[i] = cnt > i ? ks[i] : (*w)->dims[2 + i];
  return cc_geom_init(c, n, *x, ksz, false, g);
}

static clave_status cc_conv_infer(cc_ctx *c, cc_node *n) {
  cc_value *x, *w;
  cc_geom g;
  clave_status st = cc_conv_check(c, n, &x, &w, &g);
  if (st)
    return st;
  int64_t G = cc_attr_int(n, "group", 1);
  if (G < 1 || x->dims[1] % G || w->dims[0] % G || x->dims[1] / G != w->dims[1])
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "X has %lld channels, W expects %lld per group of %lld",
                        (long long)x->dims[1], (long long)w->dims[1],
                        (long long)G);
  int64_t dims[CC_MAX_RANK] = {x->dims[0], w->dims[0]};
  for (int i = 0; i < g.nsp; i++)
    dims[2 + i] = g.out[i];
  cc_set_out(c, n, 0, CK_FLOAT, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_conv_lower(cc_ctx *c, cc_node *n) {
  cc_value *x, *w;
  cc_geom g;
  clave_status st = cc_conv_check(c, n, &x, &w, &g);
  if (st)
    return st;
  cc_value *b = cc_in(c, n, 2);
  if (b && cc_numel(b) != w->dims[0])
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "bias has %lld values for %lld output channels",
                        (long long)cc_numel(b), (long long)w->dims[0]);
  int64_t G = cc_attr_int(n, "group", 1);
  int64_t p[CK_CONV_NP] = {0};
  cc_geom_params(&g, p);
  p[CK_CONV_N] = x->dims[0];
  p[CK_CONV_C] = x->dims[1];
  p[CK_CONV_M] = w->dims[0];
  p[CK_CONV_G] = G;
  p[CK_CONV_ACT] = n->act;
  p[CK_CONV_ACTA] = ck_fbits(n->act_a);
  p[CK_CONV_ACTB] = ck_fbits(n->act_b);
  int64_t nscratch = ck_conv_scratch_floats(p);
  int scratch = nscratch ? cc_scratch(c, (size_t)nscratch * sizeof(float)) : -1;
  int t[5] = {n->in[0], n->in[1], b ? n->in[2] : -1, n->out[0], scratch};
  return cc_emit_call(c, n, "conv_f32", p, CK_CONV_NP, t, 5);
}

/* ---- ConvTranspose -------------------------------------------------------------- */

static clave_status cc_convt_geom(cc_ctx *c, cc_node *n, cc_geom *g,
                                  int64_t *M) {
  cc_value *x = cc_in(c, n, 0), *w = cc_in(c, n, 1);
  if (!x || !w)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs X and W");
  if (x->dtype != CK_FLOAT)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %s is not supported", cc_dtype_name(x->dtype));
  int nsp = x->rank - 2;
  if (nsp < 1 || nsp > 3 || w->rank != x->rank)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "%d spatial dimensions are not supported", nsp);
  int64_t G = cc_attr_int(n, "group", 1);
  if (G < 1 || x->dims[1] != w->dims[0] || x->dims[1] % G)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "X has %lld channels, W has %lld", (long long)x->dims[1],
                        (long long)w->dims[0]);
  *M = w->dims[1] * G;
  g->nsp = nsp;
  const int64_t *v;
  int cnt;
  int64_t op[3] = {0, 0, 0}, os[3] = {-1, -1, -1};
  for (int i = 0; i < 3; i++) {
    g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1;
    g->pb[i] = g->pe[i] = 0;
  }
  const int64_t *ks;
  int kc = cc_attr_ints(n, "kernel_shape", &ks);
  for (int i = 0; i < nsp; i++) {
    g->in[i] = x->dims[2 + i];
    g->k[i] = kc > i ? ks[i] : w->dims[2 + i];
  }
  if ((cnt = cc_attr_ints(n, "strides", &v)) >= 0)
    for (int i = 0; i < nsp && i < cnt; i++)
      g->s[i] = v[i];
  if ((cnt = cc_attr_ints(n, "dilations", &v)) >= 0)
    for (int i = 0; i < nsp && i < cnt; i++)
      g->d[i] = v[i];
  if ((cnt = cc_attr_ints(n, "output_padding", &v)) >= 0)
    for (int i = 0; i < nsp && i < cnt; i++)
      op[i] = v[i];
  if ((cnt = cc_attr_ints(n, "output_shape", &v)) >= 0)
    for (int i = 0; i < nsp && i < cnt; i++)
      os[i] = v[cnt - nsp + i];
  const char *ap = cc_attr_str(n, "auto_pad", "NOTSET");
  bool same = strncmp(ap, "SAME", 4) == 0;
  for (int i = 0; i < nsp; i++) {
    if (g->s[i] < 1 || g->d[i] < 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "strides and dilations must be positive");
    int64_t full = g->s[i] * (g->in[i] - 1) + op[i] + (g->k[i] - 1) * g->d[i] + 1;
    if (os[i] >= 0 || same) {
      int64_t o = os[i] >= 0 ? os[i] : g->in[i] * g->s[i];
      int64_t total = full - o;
      if (total < 0)
        total = 0;
      if (strcmp(ap, "SAME_UPPER") == 0) {
        g->pb[i] = total / 2;
        g->pe[i] = total - total / 2;
      } else {
        g->pb[i] = total - total / 2;
        g->pe[i] = total / 2;
      }
      g->out[i] = o;
    } else {
      if ((cnt = cc_attr_ints(n, "pads", &v)) >= 0 && cnt == 2 * nsp) {
        g->pb[i] = v[i];
        g->pe[i] = v[nsp + i];
      }
      g->out[i] = full - g->pb[i] - g->pe[i];
    }
    if (g->out[i] < 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "output spatial dim %d would be %lld", i,
                          (long long)g->out[i]);
  }
  return CLAVE_OK;
}

static clave_status cc_convt_infer(cc_ctx *c, cc_node *n) {
  cc_geom g;
  int64_t M;
  clave_status st = cc_convt_geom(c, n, &g, &M);
  if (st)
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t dims[CC_MAX_RANK] = {x->dims[0], M};
  for (int i = 0; i < g.nsp; i++)
    dims[2 + i] = g.out[i];
  cc_set_out(c, n, 0, CK_FLOAT, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_convt_lower(cc_ctx *c, cc_node *n) {
  cc_geom g;
  int64_t M;
  clave_status st = cc_convt_geom(c, n, &g, &M);
  if (st)
    return st;
  cc_value *x = cc_in(c, n, 0), *b = cc_in(c, n, 2);
  int64_t G = cc_attr_int(n, "group", 1);
  int64_t p[CK_CONV_NP] = {0};
  cc_geom_params(&g, p);
  p[CK_CONV_N] = x->dims[0];
  p[CK_CONV_C] = x->dims[1];
  p[CK_CONV_M] = M;
  p[CK_CONV_G] = G;
  p[CK_CONV_ACT] = n->act;
  p[CK_CONV_ACTA] = ck_fbits(n->act_a);
  p[CK_CONV_ACTB] = ck_fbits(n->act_b);
  int64_t kk = g.k[0] * g.k[1] * g.k[2], pin = g.in[0] * g.in[1] * g.in[2];
  int scratch = cc_scratch(c, (size_t)((M / G) * kk * pin) * sizeof(float));
  int t[5] = {n->in[0], n->in[1], b ? n->in[2] : -1, n->out[0], scratch};
  return cc_emit_call(c, n, "conv_transpose_f32", p, CK_CONV_NP, t, 5);
}

/* ---- Gemm -------------------------------------------------------------------- */

static clave_status cc_gemm_dims(cc_ctx *c, cc_node *n, int64_t *M, int64_t *N,
                                 int64_t *K) {
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1);
  if (!a || !b)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs A and B");
  if (a->rank != 2 || b->rank != 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "A and B must be matrices (ranks %d and %d)", a->rank,
                        b->rank);
  bool ta = cc_attr_int(n, "transA", 0), tb = cc_attr_int(n, "transB", 0);
  *M = ta ? a->dims[1] : a->dims[0];
  *K = ta ? a->dims[0] : a->dims[1];
  *N = tb ? b->dims[0] : b->dims[1];
  int64_t kb = tb ? b->dims[1] : b->dims[0];
  if (kb != *K)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "A has %lld columns, B has %lld rows", (long long)*K,
                        (long long)kb);
  return CLAVE_OK;
}

static clave_status cc_gemm_infer(cc_ctx *c, cc_node *n) {
  int64_t M, N, K;
  clave_status st = cc_gemm_dims(c, n, &M, &N, &K);
  if (st)
    return st;
  cc_value *a = cc_in(c, n, 0);
  if (a->dtype != CK_FLOAT)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %s is not supported", cc_dtype_name(a->dtype));
  int64_t dims[2] = {M, N};
  cc_set_out(c, n, 0, a->dtype, 2, dims);
  return CLAVE_OK;
}

/* A transposed copy of the [rows, cols] matrix value id: at compile time
 * for a constant, as a view copy otherwise. */
static clave_status cc_transposed(cc_ctx *c, cc_node *n, int id, int *out) {
  cc_value *v = c->g->vals[id];
  int64_t rows = v->dims[0], cols = v->dims[1];
  int64_t td[2] = {cols, rows};
  if (v->data) {
    size_t es = ck_dtype_size(v->dtype);
    uint8_t *d = cc_xmalloc((size_t)(rows * cols) * es + 1);
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < cols; j++)
        memcpy(d + (j * rows + i) * es, (uint8_t *)v->data + (i * cols + j) * es,
               es);
    *out = cc_const_add(c->g, NULL, v->dtype, 2, td, d);
    return CLAVE_OK;
  }
  *out = cc_temp(c, v->dtype, 2, td);
  int64_t sstr[2] = {1, cols}, dstr[2] = {rows, 1};
  return cc_emit_view(c, n, id, *out, 2, td, sstr, 0, dstr, 0);
}

static clave_status cc_gemm_lower(cc_ctx *c, cc_node *n) {
  int64_t M, N, K;
  clave_status st = cc_gemm_dims(c, n, &M, &N, &K);
  if (st)
    return st;
  cc_value *cv = cc_in(c, n, 2);
  int bmode = 0;
  if (cv) {
    int64_t cn = cc_numel(cv);
    if (cn == 1)
      bmode = 1;
    else if (cv->rank == 1 && cv->dims[0] == N)
      bmode = 2;
    else if (cv->rank == 2 && cv->dims[0] == 1 && cv->dims[1] == N)
      bmode = 2;
    else if (cv->rank == 2 && cv->dims[0] == M && cv->dims[1] == 1)
      bmode = 3;
    else if (cv->rank == 2 && cv->dims[0] == M && cv->dims[1] == N)
      bmode = 4;
    else {
      char s[64];
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "C of shape %s does not broadcast to [%lld,%lld]",
                          cc_shape_str(cv, s, sizeof s), (long long)M,
                          (long long)N);
    }
  }
  int b = n->in[1];
  if (cc_attr_int(n, "transB", 0) && (st = cc_transposed(c, n, b, &b)))
    return st;
  int64_t p[10] = {M, N, K, cc_attr_int(n, "transA", 0),
                   ck_fbits(cc_attr_float(n, "alpha", 1.0)),
                   ck_fbits(cc_attr_float(n, "beta", 1.0)), bmode, n->act,
                   ck_fbits(n->act_a), ck_fbits(n->act_b)};
  int t[4] = {n->in[0], b, cv ? n->in[2] : -1, n->out[0]};
  return cc_emit_call(c, n, "gemm_f32", p, 10, t, 4);
}

/* ---- MatMul -------------------------------------------------------------------- */

typedef struct cc_mm {
  int orank;
  int64_t odims[CC_MAX_RANK];
  int nb;
  int64_t bd[CC_MAX_RANK], as[CC_MAX_RANK], bs[CC_MAX_RANK];
  int64_t M, N, K;
} cc_mm;

static clave_status cc_matmul_shape(cc_ctx *c, cc_node *n, cc_mm *m) {
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1);
  if (!a || !b)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs A and B");
  if (a->rank < 1 || b->rank < 1)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "inputs must have rank 1 or more");
  int ra = a->rank, rb = b->rank;
  m->M = ra == 1 ? 1 : a->dims[ra - 2];
  m->K = a->dims[ra - 1];
  int64_t kb = rb == 1 ? b->dims[0] : b->dims[rb - 2];
  m->N = rb == 1 ? 1 : b->dims[rb - 1];
  if (kb != m->K)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "A has %lld columns, B has %lld rows", (long long)m->K,
                        (long long)kb);
  int na = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
  m->nb = na > nbb ? na : nbb;
  int64_t sa = m->M * m->K, sb = m->K * m->N;
  for (int i = m->nb - 1; i >= 0; i--) {
    int ia = i - (m->nb - na), ib = i - (m->nb - nbb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "batch dims %lld and %lld do not broadcast",
                          (long long)da, (long long)db);
    m->bd[i] = da == 1 ? db : da;
    m->as[i] = da == 1 ? 0 : sa;
    m->bs[i] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  m->orank = 0;
  for (int i = 0; i < m->nb; i++)
    m->odims[m->orank++] = m->bd[i];
  if (ra > 1)
    m->odims[m->orank++] = m->M;
  if (rb > 1)
    m->odims[m->orank++] = m->N;
  return CLAVE_OK;
}

static clave_status cc_matmul_infer(cc_ctx *c, cc_node *n) {
  cc_mm m;
  clave_status st = cc_matmul_shape(c, n, &m);
  if (st)
    return st;
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1);
  int dt = a->dtype;
  if (strcmp(n->op, "MatMulInteger") == 0)
    dt = CK_INT32;
  else if (a->dtype != b->dtype)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "inputs have different types (%s and %s)",
                        cc_dtype_name(a->dtype), cc_dtype_name(b->dtype));
  cc_set_out(c, n, 0, dt, m.orank, m.odims);
  return CLAVE_OK;
}

static clave_status cc_matmul_lower(cc_ctx *c, cc_node *n) {
  cc_mm m;
  clave_status st = cc_matmul_shape(c, n, &m);
  if (st)
    return st;
  int64_t p[4 + 3 * CC_MAX_RANK];
  int np = 0;
  p[np++] = m.nb;
  for (int i = 0; i < m.nb; i++) p[np++] = m.bd[i];
  for (int i = 0; i < m.nb; i++) p[np++] = m.as[i];
  for (int i = 0; i < m.nb; i++) p[np++] = m.bs[i];
  p[np++] = m.M;
  p[np++] = m.N;
  p[np++] = m.K;
  cc_value *a = cc_in(c, n, 0), *b = cc_in(c, n, 1);
  char name[48];
  if (strcmp(n->op, "MatMulInteger") == 0) {
    for (int k = 2; k < 4; k++) {
      cc_value *z = cc_in(c, n, k);
      if (z && cc_numel(z) != 1)
        return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                            "per-axis zero points are not supported");
    }
    const char *ta = a->dtype == CK_UINT8 ? "u8" : a->dtype == CK_INT8 ? "i8" : NULL;
    const char *tb = b->dtype == CK_UINT8 ? "u8" : b->dtype == CK_INT8 ? "i8" : NULL;
    if (!ta || !tb)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "data types %s and %s are not supported",
                          cc_dtype_name(a->dtype), cc_dtype_name(b->dtype));
    snprintf(name, sizeof name, "matmul_integer_%s%s", ta, tb);
    int t[5] = {n->in[0], n->in[1], n->nin > 2 ? n->in[2] : -1,
                n->nin > 3 ? n->in[3] : -1, n->out[0]};
    return cc_emit_call(c, n, name, p, np, t, 5);
  }
  if ((st = cc_kname(c, n, "matmul", a->dtype, name, sizeof name)))
    return st;
  int t[3] = {n->in[0], n->in[1], n->out[0]};
  return cc_emit_call(c, n, name, p, np, t, 3);
}

/* ---- pooling ------------------------------------------------------------------- */

static clave_status cc_pool_geom(cc_ctx *c, cc_node *n, cc_geom *g,
                                 bool *global) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  if (x->dtype != CK_FLOAT)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data type %s is not supported", cc_dtype_name(x->dtype));
  *global = strncmp(n->op, "Global", 6) == 0;
  int64_t ksz[3];
  if (*global) {
    for (int i = 0; i < x->rank - 2 && i < 3; i++)
      ksz[i] = x->dims[2 + i];
    if (x->rank - 2 > 3)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "%d spatial dimensions are not supported", x->rank - 2);
    if (x->rank < 3)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "input rank %d < 3",
                          x->rank);
    g->nsp = x->rank - 2;
    for (int i = 0; i < 3; i++) {
      g->in[i] = i < g->nsp ? x->dims[2 + i] : 1;
      g->k[i] = i < g->nsp ? ksz[i] : 1;
      g->out[i] = g->s[i] = g->d[i] = 1;
      g->pb[i] = g->pe[i] = 0;
    }
    return CLAVE_OK;
  }
  const int64_t *ks;
  int cnt = cc_attr_ints(n, "kernel_shape", &ks);
  if (cnt != x->rank - 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "kernel_shape has %d values for %d spatial dims", cnt,
                        x->rank - 2);
  for (int i = 0; i < cnt && i < 3; i++)
    ksz[i] = ks[i];
  return cc_geom_init(c, n, x, ksz, true, g);
}

static clave_status cc_pool_infer(cc_ctx *c, cc_node *n) {
  cc_geom g;
  bool global;
  clave_status st = cc_pool_geom(c, n, &g, &global);
  if (st)
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t dims[CC_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 0; i < g.nsp; i++)
    dims[2 + i] = g.out[i];
  cc_set_out(c, n, 0, x->dtype, x->rank, dims);
  cc_set_out(c, n, 1, CK_INT64, x->rank, dims);
  return CLAVE_OK;
}

static clave_status cc_pool_lower(cc_ctx *c, cc_node *n) {
  cc_geom g;
  bool global;
  clave_status st = cc_pool_geom(c, n, &g, &global);
  if (st)
    return st;
  cc_value *x = cc_in(c, n, 0);
  int64_t p[CK_POOL_NP] = {0};
  cc_geom_params(&g, p);
  p[CK_CONV_N] = x->dims[0] * x->dims[1];
  for (int i = 0; i < 3; i++)
    p[CK_POOL_PE + i] = g.pe[i];
  p[CK_POOL_INCPAD] = cc_attr_int(n, "count_include_pad", 0);
  p[CK_POOL_P] = cc_attr_int(n, "p", 2);
  const char *k = strstr(n->op, "MaxPool") ? "maxpool_f32"
                  : strstr(n->op, "LpPool") ? "lppool_f32"
                                            : "avgpool_f32";
  if (strstr(n->op, "MaxPool") && n->nout > 1 && n->out[1] >= 0 &&
      cc_attr_int(n, "storage_order", 0))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "column-major indices (storage_order=1) are not supported");
  int t[3] = {n->in[0], n->out[0], n->nout > 1 ? n->out[1] : -1};
  return cc_emit_call(c, n, k, p, CK_POOL_NP, t, 3);
}

/* ---- normalisations --------------------------------------------------------------- */

static clave_status cc_same_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  return CLAVE_OK;
}

static int64_t cc_inner(const cc_value *x, int from) {
  int64_t r = 1;
  for (int i = from; i < x->rank; i++)
    r *= x->dims[i];
  return r;
}

static double cc_elem(const cc_value *v, int64_t i) {
  return v->dtype == CK_DOUBLE ? ((const double *)v->data)[i]
                               : ((const float *)v->data)[i];
}

static clave_status cc_batchnorm_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x || x->rank < 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "needs an input of rank 2 or more");
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  for (int k = 1; k < n->nout; k++)
    cc_set_out(c, n, k, x->dtype, 1, &x->dims[1]);
  return CLAVE_OK;
}

static clave_status cc_batchnorm_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  for (int k = 1; k < n->nout; k++) {
    cc_value *o = cc_out(c, n, k);
    if (o && (o->is_output || o->nuses))
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "training outputs (running mean, variance) are not "
                          "supported");
  }
  if (x->rank < 2 || (x->dtype != CK_FLOAT && x->dtype != CK_DOUBLE))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "input of rank %d and type %s is not supported", x->rank,
                        cc_dtype_name(x->dtype));
  if (cc_attr_int(n, "training_mode", 0))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "training mode is not supported");
  int64_t C = x->dims[1];
  for (int k = 1; k <= 4; k++) {
    cc_value *v = cc_in(c, n, k);
    if (!v || !v->data)
      return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                          "scale, bias, mean and variance must be constants");
    if (cc_numel(v) != C || v->dtype != x->dtype)
      return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                          "'%s' must hold %lld values of type %s", v->name,
                          (long long)C, cc_dtype_name(x->dtype));
  }
  double eps = cc_attr_float(n, "epsilon", 1e-5);
  size_t es = ck_dtype_size(x->dtype);
  void *sc = cc_xmalloc((size_t)C * es + 1), *sh = cc_xmalloc((size_t)C * es + 1);
  for (int64_t i = 0; i < C; i++) {
    double a = cc_elem(cc_in(c, n, 1), i) / sqrt(cc_elem(cc_in(c, n, 4), i) + eps);
    double b = cc_elem(cc_in(c, n, 2), i) - cc_elem(cc_in(c, n, 3), i) * a;
    if (x->dtype == CK_FLOAT) {
      ((float *)sc)[i] = (float)a;
      ((float *)sh)[i] = (float)b;
    } else {
      ((double *)sc)[i] = a;
      ((double *)sh)[i] = b;
    }
  }
  int ks = cc_const_add(c->g, NULL, x->dtype, 1, &C, sc);
  int kb = cc_const_add(c->g, NULL, x->dtype, 1, &C, sh);
  int64_t p[3] = {x->dims[0], C, cc_inner(x, 2)};
  int t[4] = {n->in[0], ks, kb, n->out[0]};
  return cc_emit_call(c, n, x->dtype == CK_FLOAT ? "scale_shift_f32" : "scale_shift_f64",
                      p, 3, t, 4);
}

static clave_status cc_instnorm_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *s = cc_in(c, n, 1), *b = cc_in(c, n, 2);
  if (x->dtype != CK_FLOAT || x->rank < 2 || !s || !b)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "input of type %s is not supported", cc_dtype_name(x->dtype));
  if (cc_numel(s) != x->dims[1] || cc_numel(b) != x->dims[1])
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "scale and bias must hold %lld values", (long long)x->dims[1]);
  int64_t p[4] = {x->dims[0], x->dims[1], cc_inner(x, 2),
                  ck_fbits(cc_attr_float(n, "epsilon", 1e-5))};
  int t[4] = {n->in[0], n->in[1], n->in[2], n->out[0]};
  return cc_emit_call(c, n, "instance_norm_f32", p, 4, t, 4);
}

static clave_status cc_layernorm_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (!x)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs an input");
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", -1), x->rank, &axis);
  if (st)
    return st;
  cc_set_out(c, n, 0, x->dtype, x->rank, x->dims);
  int64_t d[CC_MAX_RANK];
  for (int i = 0; i < x->rank; i++)
    d[i] = i < axis ? x->dims[i] : 1;
  cc_set_out(c, n, 1, CK_FLOAT, x->rank, d);
  cc_set_out(c, n, 2, CK_FLOAT, x->rank, d);
  return CLAVE_OK;
}

static clave_status cc_layernorm_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *s = cc_in(c, n, 1), *b = cc_in(c, n, 2);
  if (x->dtype != CK_FLOAT || !s)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "input of type %s is not supported", cc_dtype_name(x->dtype));
  int axis;
  clave_status st = cc_axis(c, n, cc_attr_int(n, "axis", -1), x->rank, &axis);
  if (st)
    return st;
  int64_t L = cc_inner(x, axis);
  if (cc_numel(s) != L || (b && cc_numel(b) != L))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "broadcast scale or bias is not supported");
  int64_t p[3] = {cc_numel(x) / (L ? L : 1), L,
                  ck_fbits(cc_attr_float(n, "epsilon", 1e-5))};
  int mo = n->nout > 1 ? n->out[1] : -1, io = n->nout > 2 ? n->out[2] : -1;
  if (mo >= 0 || io >= 0) {
    int t6[6] = {n->in[0], n->in[1], b ? n->in[2] : -1, n->out[0], mo, io};
    return cc_emit_call(c, n, "layer_norm_stats_f32", p, 3, t6, 6);
  }
  int t[4] = {n->in[0], n->in[1], b ? n->in[2] : -1, n->out[0]};
  return cc_emit_call(c, n, "layer_norm_f32", p, 3, t, 4);
}

static clave_status cc_lrn_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  if (x->dtype != CK_FLOAT || x->rank < 2)
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "input of type %s is not supported", cc_dtype_name(x->dtype));
  int64_t p[7] = {x->dims[0], x->dims[1], cc_inner(x, 2), cc_attr_int(n, "size", 1),
                  ck_fbits(cc_attr_float(n, "alpha", 1e-4)),
                  ck_fbits(cc_attr_float(n, "beta", 0.75)),
                  ck_fbits(cc_attr_float(n, "bias", 1.0))};
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, "lrn_f32", p, 7, t, 2);
}

/* ---- Softmax family ----------------------------------------------------------------- */

static clave_status cc_softmax_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0);
  bool legacy = c->g->opset < 13;
  int axis;
  clave_status st =
      cc_axis(c, n, cc_attr_int(n, "axis", legacy ? 1 : -1), x->rank, &axis);
  if (st)
    return st;
  int64_t outer = 1;
  for (int i = 0; i < axis; i++)
    outer *= x->dims[i];
  int64_t L = legacy ? cc_inner(x, axis) : (x->rank ? x->dims[axis] : 1);
  int64_t inner = legacy ? 1 : cc_inner(x, axis + 1);
  int64_t p[3] = {outer, L, inner};
  const char *base = strcmp(n->op, "Softmax") == 0      ? "softmax"
                     : strcmp(n->op, "LogSoftmax") == 0 ? "logsoftmax"
                                                        : "hardmax";
  char name[48];
  if ((st = cc_kname(c, n, base, x->dtype, name, sizeof name)))
    return st;
  int t[2] = {n->in[0], n->out[0]};
  return cc_emit_call(c, n, name, p, 3, t, 2);
}

/* ---- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss ------------------- */

static clave_status cc_nll_infer(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *tg = cc_in(c, n, 1);
  if (!x || !tg)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "needs input and target");
  if (x->rank < 2 || tg->rank != x->rank - 1)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID,
                        "input must be [N, C, ...] and target [N, ...]");
  const char *red = cc_attr_str(n, "reduction", "mean");
  if (strcmp(red, "none") == 0)
    cc_set_out(c, n, 0, x->dtype, tg->rank, tg->dims);
  else
    cc_set_out(c, n, 0, x->dtype, 0, NULL);
  cc_set_out(c, n, 1, x->dtype, x->rank, x->dims); /* log_prob */
  return CLAVE_OK;
}

static clave_status cc_nll_lower(cc_ctx *c, cc_node *n) {
  cc_value *x = cc_in(c, n, 0), *tg = cc_in(c, n, 1), *w = cc_in(c, n, 2);
  const char *red = cc_attr_str(n, "reduction", "mean");
  int r = strcmp(red, "none") == 0 ? 0 : strcmp(red, "sum") == 0 ? 1
          : strcmp(red, "mean") == 0 ? 2 : -1;
  if (r < 0)
    return cc_node_fail(c->g, n, c->err, CLAVE_EINVALID, "unknown reduction '%s'", red);
  if ((x->dtype != CK_FLOAT && x->dtype != CK_DOUBLE) ||
      (tg->dtype != CK_INT64 && tg->dtype != CK_INT32))
    return cc_node_fail(c->g, n, c->err, CLAVE_EUNSUPPORTED,
                        "data types %s and %s are not supported",
                        cc_dtype_name(x->dtype), cc_dtype_name(tg->dtype));
  int64_t N = x->dims[0], C = x->dims[1], D = cc_inner(x, 2);
  int src = n->in[0];
  clave_status st;
  if (strcmp(n->op, "SoftmaxCrossEntropyLoss") == 0) {
    src = n->nout > 1 && n->out[1] >= 0 ? n->out[1] : cc_temp(c, x->dtype, x->rank, x->dims);
    int64_t sp[3] = {N, C, D};
    int ts[2] = {n->in[0], src};
    if ((st = cc_emit_call(c, n, x->dtype == CK_FLOAT ? "logsoftmax_f32" : "logsoftmax_f64",
                           sp, 3, ts, 2)))
      return st;
  }
  const cc_attr *ig = cc_attr_get(n, "ignore_index");
  int64_t p[6] = {N, C, D, r, ig ? ig->i : 0, ig != NULL};
  char name[40];
  snprintf(name, sizeof name, "nll_loss_%s_%s", cc_dtype_sfx(x->dtype),
           cc_dtype_sfx(tg->dtype));
  int t[4] = {src, n->in[1], w ? n->in[2] : -1, n->out[0]};
  return cc_emit_call(c, n, name, p, 6, t, 4);
}

const cc_op cc_ops_nn[] = {
    {"Conv", 1, cc_conv_infer, cc_conv_lower, false},
    {"ConvTranspose", 1, cc_convt_infer, cc_convt_lower, false},
    {"Gemm", 1, cc_gemm_infer, cc_gemm_lower, false},
    {"MatMul", 1, cc_matmul_infer, cc_matmul_lower, false},
    {"MatMulInteger", 10, cc_matmul_infer, cc_matmul_lower, false},
    {"MaxPool", 1, cc_pool_infer, cc_pool_lower, false},
    {"AveragePool", 1, cc_pool_infer, cc_pool_lower, false},
    {"LpPool", 1, cc_pool_infer, cc_pool_lower, false},
    {"GlobalMaxPool", 1, cc_pool_infer, cc_pool_lower, false},
    {"GlobalAveragePool", 1, cc_pool_infer, cc_pool_lower, false},
    {"GlobalLpPool", 2, cc_pool_infer, cc_pool_lower, false},
    {"BatchNormalization", 1, cc_batchnorm_infer, cc_batchnorm_lower, false},
    {"InstanceNormalization", 1, cc_same_infer, cc_instnorm_lower, false},
    {"LayerNormalization", 17, cc_layernorm_infer, cc_layernorm_lower, false},
    {"NegativeLogLikelihoodLoss", 12, cc_nll_infer, cc_nll_lower, false},
    {"SoftmaxCrossEntropyLoss", 12, cc_nll_infer, cc_nll_lower, false},
    {"LRN", 1, cc_same_infer, cc_lrn_lower, false},
    {"Softmax", 1, cc_same_infer, cc_softmax_lower, false},
    {"LogSoftmax", 1, cc_same_infer, cc_softmax_lower, false},
    {"Hardmax", 1, cc_same_infer, cc_softmax_lower, false},
    {NULL, 0, NULL, NULL, false}};
