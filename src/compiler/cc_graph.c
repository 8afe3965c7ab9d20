/*
 * cc_graph.c - the compiler's graph IR: values, nodes, names, attributes,
 * and the error helpers every stage uses.
 *
 * Allocation failures of the small bookkeeping structures abort (the host
 * is out of memory, nothing sensible is left to do); every size that comes
 * from a model is checked by the stages before anything that large is
 * allocated, so a hostile model gets an error, never an abort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"

/* ---- errors and memory ---------------------------------------------------- */

clave_status cc_fail(clave_error *err, clave_status st, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = st;
    err->trap = CLAVE_TRAP_NONE;
  }
  return st;
}

clave_status cc_node_fail(const cc_graph *g, const cc_node *n, clave_error *err,
                          clave_status st, const char *fmt, ...) {
  if (err) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n->name && n->name[0])
      snprintf(err->message, sizeof err->message, "%s: node '%s' (%s): %s",
               g->source, n->name, n->op, msg);
    else
      snprintf(err->message, sizeof err->message, "%s: node #%d (%s): %s",
               g->source, n->index, n->op, msg);
    err->status = st;
    err->trap = CLAVE_TRAP_NONE;
  }
  return st;
}

void *cc_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    abort();
  return p;
}

void *cc_xcalloc(size_t n, size_t m) {
  void *p = calloc(n ? n : 1, m ? m : 1);
  if (!p)
    abort();
  return p;
}

void *cc_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    abort();
  return q;
}

char *cc_xstrdup(const char *s) {
  size_t n = strlen(s ? s : "");
  char *d = cc_xmalloc(n + 1);
  memcpy(d, s ? s : "", n + 1);
  return d;
}

/* ---- names: open addressing, string -> value id ----------------------- */

typedef struct cc_names {
  char **keys; /* borrowed from the values */
  int *ids;
  size_t cap, count;
} cc_names;

static uint64_t cc_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void cc_names_put(cc_names *m, char *key, int id);

static void cc_names_grow(cc_names *m) {
  cc_names old = *m;
  m->cap = old.cap ? old.cap * 2 : 64;
  m->keys = cc_xcalloc(m->cap, sizeof *m->keys);
  m->ids = cc_xcalloc(m->cap, sizeof *m->ids);
  m->count = 0;
  for (size_t i = 0; i < old.cap; i++)
    if (old.keys[i])
      cc_names_put(m, old.keys[i], old.ids[i]);
  free(old.keys);
  free(old.ids);
}

static void cc_names_put(cc_names *m, char *key, int id) {
  if ((m->count + 1) * 2 > m->cap)
    cc_names_grow(m);
  size_t i = cc_hash(key) & (m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key) != 0)
    i = (i + 1) & (m->cap - 1);
  if (!m->keys[i])
    m->count++;
  m->keys[i] = key;
  m->ids[i] = id;
}

static int cc_names_get(const cc_names *m, const char *key) {
  if (!m->cap)
    return -1;
  size_t i = cc_hash(key) & (m->cap - 1);
  while (m->keys[i]) {
    if (strcmp(m->keys[i], key) == 0)
      return m->ids[i];
    i = (i + 1) & (m->cap - 1);
  }
  return -1;
}

/* ---- graph ---------------------------------------------------------------- */

cc_graph *cc_graph_new(const char *source) {
  cc_graph *g = cc_xcalloc(1, sizeof *g);
  g->source = cc_xstrdup(source ? source : "model");
  g->names = cc_xcalloc(1, sizeof *g->names);
  return g;
}

static void cc_attr_free(cc_attr *a) {
  free(a->name);
  free(a->s);
  free(a->floats);
  free(a->ints);
}

void cc_graph_free(cc_graph *g) {
  if (!g)
    return;
  for (int i = 0; i < g->nvals; i++) {
    free(g->vals[i]->name);
    free(g->vals[i]->data);
    free(g->vals[i]);
  }
  for (int i = 0; i < g->nnodes; i++) {
    cc_node *n = g->nodes[i];
    free(n->name);
    free(n->op);
    free(n->domain);
    free(n->in);
    free(n->out);
    for (int k = 0; k < n->nattrs; k++)
      cc_attr_free(&n->attrs[k]);
    free(n->attrs);
    free(n);
  }
  for (int i = 0; i < g->ncalls; i++) {
    free(g->calls[i].p);
    free(g->calls[i].t);
  }
  free(g->calls);
  free(g->vals);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  free(g->names->keys);
  free(g->names->ids);
  free(g->names);
  free(g->source);
  free(g);
}

int cc_value_find(const cc_graph *g, const char *name) {
  return cc_names_get(g->names, name);
}

int cc_value_add(cc_graph *g, const char *name) {
  if (g->nvals == g->capvals) {
    g->capvals = g->capvals ? g->capvals * 2 : 64;
    g->vals = cc_xrealloc(g->vals, (size_t)g->capvals * sizeof *g->vals);
  }
  cc_value *v = cc_xcalloc(1, sizeof *v);
  int id = g->nvals++;
  if (name) {
    v->name = cc_xstrdup(name);
  } else {
    char buf[32];
    snprintf(buf, sizeof buf, "_t%d", id);
    v->name = cc_xstrdup(buf);
  }
  v->rank = -1;
  v->producer = -1;
  v->alias = -1;
  v->offset = -1;
  v->first = v->last = -1;
  g->vals[id] = v;
  if (name)
    cc_names_put(g->names, v->name, id);
  return id;
}

int cc_const_add(cc_graph *g, const char *name, int dtype, int rank,
                 const int64_t *dims, void *data) {
  int id = cc_value_add(g, name);
  cc_value *v = g->vals[id];
  v->dtype = dtype;
  v->rank = rank;
  for (int i = 0; i < rank; i++)
    v->dims[i] = dims[i];
  v->data = data ? data : cc_xcalloc(1, 1);
  return id;
}

cc_node *cc_node_add(cc_graph *g, const char *name, const char *op) {
  if (g->nnodes == g->capnodes) {
    g->capnodes = g->capnodes ? g->capnodes * 2 : 64;
    g->nodes = cc_xrealloc(g->nodes, (size_t)g->capnodes * sizeof *g->nodes);
  }
  cc_node *n = cc_xcalloc(1, sizeof *n);
  n->name = cc_xstrdup(name ? name : "");
  n->op = cc_xstrdup(op);
  n->domain = cc_xstrdup("");
  n->index = g->nnodes;
  g->nodes[g->nnodes++] = n;
  return n;
}

int64_t cc_numel(const cc_value *v) {
  int64_t n = 1;
  for (int i = 0; i < v->rank; i++)
    n *= v->dims[i];
  return n;
}

size_t cc_nbytes(const cc_value *v) {
  return (size_t)cc_numel(v) * ck_dtype_size(v->dtype);
}

const char *cc_dtype_name(int dtype) {
  static const char *const names[CK_DTYPE_COUNT] = {
      "undefined", "float32", "uint8", "int8", "uint16", "int16",
      "int32", "int64", "string", "bool", "float16", "float64",
      "uint32", "uint64", "complex64", "complex128", "bfloat16"};
  if (dtype < 0 || dtype >= CK_DTYPE_COUNT)
    return "unknown type";
  return names[dtype];
}

const char *cc_shape_str(const cc_value *v, char *buf, size_t len) {
  size_t at = 0;
  if (v->rank < 0) {
    snprintf(buf, len, "[?]");
    return buf;
  }
  at += (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < v->rank && at < len; i++)
    at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? "," : "",
                           (long long)v->dims[i]);
  if (at < len)
    snprintf(buf + at, len - at, "]");
  return buf;
}

int cc_root(const cc_graph *g, int id) {
  while (id >= 0 && g->vals[id]->alias >= 0)
    id = g->vals[id]->alias;
  return id;
}

/* ---- attributes ------------------------------------------------------- */

const cc_attr *cc_attr_get(const cc_node *n, const char *name) {
  for (int i = 0; i < n->nattrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int64_t cc_attr_int(const cc_node *n, const char *name, int64_t def) {
  const cc_attr *a = cc_attr_get(n, name);
  if (!a)
    return def;
  if (a->type == CC_ATTR_FLOAT)
    return (int64_t)a->f;
  return a->i;
}

double cc_attr_float(const cc_node *n, const char *name, double def) {
  const cc_attr *a = cc_attr_get(n, name);
  if (!a)
    return def;
  if (a->type == CC_ATTR_INT)
    return (double)a->i;
  return a->f;
}

const char *cc_attr_str(const cc_node *n, const char *name, const char *def) {
  const cc_attr *a = cc_attr_get(n, name);
  return a && a->s ? a->s : def;
}

int cc_attr_ints(const cc_node *n, const char *name, const int64_t **v) {
  const cc_attr *a = cc_attr_get(n, name);
  if (!a || a->type != CC_ATTR_INTS) {
    *v = NULL;
    return -1;
  }
  *v = a->ints;
  return (int)a->n;
}
