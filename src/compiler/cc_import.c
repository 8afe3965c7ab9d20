/*
 * cc_import.c - ONNX model and TensorProto import (protobuf-c, with the C
 * code generated at build time from Debian's onnx.proto).
 *
 * The importer builds the graph IR: initializers and tensor attributes
 * become constant values, graph inputs that are not initializers become
 * inputs (symbolic dims are kept as -1 until --shape fixes them), and each
 * node refers to values by id.  It checks what later stages rely on: every
 * input of a node is defined earlier, no value is produced twice, tensor
 * data has the size its shape says, and sizes fit a wasm32 payload.  What
 * it cannot represent (sparse tensors, string tensors, external data
 * without --weights-dir) gets CLAVE_EUNSUPPORTED with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"

#define CC_MAX_TENSOR_BYTES ((uint64_t)1 << 32) /* what wasm32 can hold */

/* Element count of dims, or -1 when negative or too large. */
static int64_t cc_dims_numel(const int64_t *dims, size_t n, int dtype) {
  uint64_t count = 1;
  size_t es = ck_dtype_size(dtype);
  for (size_t i = 0; i < n; i++) {
    if (dims[i] < 0)
      return -1;
    if (dims[i] && count > (CC_MAX_TENSOR_BYTES / (es ? es : 1)) / (uint64_t)dims[i])
      return -1;
    count *= (uint64_t)dims[i];
  }
  return (int64_t)count;
}

/* ---- TensorProto encoding (no protobuf-c needed) ----------------------- */

static void cc_put_varint(uint8_t **p, uint64_t v) {
  while (v >= 0x80) {
    *(*p)++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *(*p)++ = (uint8_t)v;
}

uint8_t *cc_tensor_pb_encode(const char *name, int dtype, int rank,
                             const int64_t *dims, const void *data,
                             size_t *len) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  size_t nbytes = (size_t)n * ck_dtype_size(dtype);
  size_t nlen = name ? strlen(name) : 0;
  uint8_t *buf = cc_xmalloc(nbytes + nlen + 32 + (size_t)rank * 11);
  uint8_t *p = buf;
  for (int i = 0; i < rank; i++) {
    *p++ = 0x08; /* dims, field 1, varint */
    cc_put_varint(&p, (uint64_t)dims[i]);
  }
  *p++ = 0x10; /* data_type, field 2 */
  cc_put_varint(&p, (uint64_t)dtype);
  if (nlen) {
    *p++ = 0x42; /* name, field 8 */
    cc_put_varint(&p, nlen);
    memcpy(p, name, nlen);
    p += nlen;
  }
  *p++ = 0x4a; /* raw_data, field 9 */
  cc_put_varint(&p, nbytes);
  if (nbytes)
    memcpy(p, data, nbytes);
  p += nbytes;
  *len = (size_t)(p - buf);
  return buf;
}

uint8_t *clave_tensor_pb_encode(const char *name, int dtype, int rank,
                                const int64_t *dims, const void *data,
                                size_t *len) {
  return cc_tensor_pb_encode(name, dtype, rank, dims, data, len);
}

#ifdef CLAVE_HAVE_ONNX

#include "onnx.pb-c.h"

/* Read [offset, offset+length) of weights_dir/location. */
static clave_status cc_read_external(const Onnx__TensorProto *t,
                                     const char *what, const char *weights_dir,
                                     size_t nbytes, void *dst,
                                     clave_error *err) {
  const char *location = NULL;
  long long offset = 0, length = -1;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const Onnx__StringStringEntryProto *e = t->external_data[i];
    if (!e->key || !e->value)
      continue;
    if (strcmp(e->key, "location") == 0)
      location = e->value;
    else if (strcmp(e->key, "offset") == 0)
      offset = strtoll(e->value, NULL, 10);
    else if (strcmp(e->key, "length") == 0)
      length = strtoll(e->value, NULL, 10);
  }
  if (!location)
    return cc_fail(err, CLAVE_EINVALID,
                   "%s: external data without a location", what);
  if (!weights_dir)
    return cc_fail(err, CLAVE_EUNSUPPORTED,
                   "%s: data is stored in the external file '%s'; pass "
                   "--weights-dir DIR to read it",
                   what, location);
  if (strstr(location, "..") || location[0] == '/')
    return cc_fail(err, CLAVE_EINVALID,
                   "%s: external data location '%s' leaves the weights folder",
                   what, location);
  if (offset < 0 || (length >= 0 && (size_t)length != nbytes))
    return cc_fail(err, CLAVE_EINVALID,
                   "%s: external data length %lld does not match its shape "
                   "(%zu bytes)",
                   what, length, nbytes);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", weights_dir, location);
  FILE *f = fopen(path, "rb");
  if (!f)
    return cc_fail(err, CLAVE_EIO, "%s: cannot open external data %s: %s",
                   what, path, strerror(errno));
  int ok = fseek(f, offset, SEEK_SET) == 0 &&
           fread(dst, 1, nbytes, f) == nbytes;
  fclose(f);
  if (!ok)
    return cc_fail(err, CLAVE_EIO,
                   "%s: external data %s is shorter than offset %lld + %zu",
                   what, path, offset, nbytes);
  return CLAVE_OK;
}

static clave_status cc_tensor_from_proto(const Onnx__TensorProto *t,
                                         const char *what,
                                         const char *weights_dir, int *dtype,
                                         int *rank, int64_t *dims, void **data,
                                         clave_error *err) {
  int dt = t->has_data_type ? t->data_type : 0;
  *data = NULL;
  if (dt == CK_STRING)
    return cc_fail(err, CLAVE_EUNSUPPORTED, "%s: string tensors are not supported",
                   what);
  if (dt <= 0 || dt >= CK_DTYPE_COUNT || ck_dtype_size(dt) == 0 ||
      dt == CK_COMPLEX64 || dt == CK_COMPLEX128)
    return cc_fail(err, CLAVE_EUNSUPPORTED, "%s: data type %d is not supported",
                   what, dt);
  if (t->segment)
    return cc_fail(err, CLAVE_EUNSUPPORTED, "%s: segmented tensors are not supported",
                   what);
  if (t->n_dims > CC_MAX_RANK)
    return cc_fail(err, CLAVE_EUNSUPPORTED, "%s: rank %zu exceeds the limit of %d",
                   what, t->n_dims, CC_MAX_RANK);
  int64_t n = cc_dims_numel(t->dims, t->n_dims, dt);
  if (n < 0)
    return cc_fail(err, CLAVE_EINVALID,
                   "%s: shape has a negative dimension or exceeds 4 GiB", what);
  size_t es = ck_dtype_size(dt), nbytes = (size_t)n * es;
  uint8_t *buf = cc_xmalloc(nbytes ? nbytes : 1);
  clave_status st = CLAVE_OK;
  size_t have = 0;
  if (t->has_data_location &&
      t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    st = cc_read_external(t, what, weights_dir, nbytes, buf, err);
    have = nbytes;
  } else if (t->has_raw_data) {
    have = t->raw_data.len;
    if (have == nbytes && nbytes)
      memcpy(buf, t->raw_data.data, nbytes);
  } else {
    switch (dt) {
    case CK_FLOAT:
      have = t->n_float_data * 4;
      if (have == nbytes && nbytes)
        memcpy(buf, t->float_data, nbytes);
      break;
    case CK_DOUBLE:
      have = t->n_double_data * 8;
      if (have == nbytes && nbytes)
        memcpy(buf, t->double_data, nbytes);
      break;
    case CK_INT64:
      have = t->n_int64_data * 8;
      if (have == nbytes && nbytes)
        memcpy(buf, t->int64_data, nbytes);
      break;
    case CK_UINT32: case CK_UINT64:
      have = t->n_uint64_data * es;
      if (have == nbytes)
        for (int64_t i = 0; i < n; i++) {
          if (dt == CK_UINT32)
            ((uint32_t *)buf)[i] = (uint32_t)t->uint64_data[i];
          else
            ((uint64_t *)buf)[i] = t->uint64_data[i];
        }
      break;
    default: /* int32_data carries the narrow types */
      have = t->n_int32_data * es;
      if (have == nbytes)
        for (int64_t i = 0; i < n; i++) {
          int32_t v = t->int32_data[i];
          switch (es) {
          case 1: buf[i] = (uint8_t)v; break;
          case 2: ((uint16_t *)buf)[i] = (uint16_t)v; break;
          default: ((int32_t *)buf)[i] = v; break;
          }
        }
      break;
    }
  }
  if (st == CLAVE_OK && have != nbytes)
    st = cc_fail(err, CLAVE_EINVALID,
                 "%s: holds %zu bytes of data, its shape needs %zu", what, have,
                 nbytes);
  if (st != CLAVE_OK) {
    free(buf);
    return st;
  }
  *dtype = dt;
  *rank = (int)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++)
    dims[i] = t->dims[i];
  *data = buf;
  return CLAVE_OK;
}

clave_status cc_tensor_pb_decode(const uint8_t *bytes, size_t len,
                                 const char *what, const char *weights_dir,
                                 int *dtype, int *rank, int64_t *dims,
                                 void **data, char **name, clave_error *err) {
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, bytes);
  if (!t)
    return cc_fail(err, CLAVE_EMALFORMED, "%s: not a serialized ONNX TensorProto",
                   what);
  clave_status st =
      cc_tensor_from_proto(t, what, weights_dir, dtype, rank, dims, data, err);
  if (st == CLAVE_OK && name)
    *name = cc_xstrdup(t->name ? t->name : "");
  onnx__tensor_proto__free_unpacked(t, NULL);
  return st;
}

static clave_status cc_add_tensor(cc_graph *g, const Onnx__TensorProto *t,
                                  const char *name, const char *what,
                                  const char *weights_dir, int *id,
                                  clave_error *err) {
  int dtype, rank;
  int64_t dims[CC_MAX_RANK];
  void *data;
  clave_status st =
      cc_tensor_from_proto(t, what, weights_dir, &dtype, &rank, dims, &data, err);
  if (st != CLAVE_OK)
    return st;
  *id = cc_const_add(g, name, dtype, rank, dims, data);
  return CLAVE_OK;
}

static clave_status cc_import_attr(cc_graph *g, cc_node *n,
                                   const Onnx__AttributeProto *a, cc_attr *out,
                                   const char *weights_dir, clave_error *err) {
  out->name = cc_xstrdup(a->name ? a->name : "");
  out->tensor = -1;
  if (a->ref_attr_name && a->ref_attr_name[0])
    return cc_node_fail(g, n, err, CLAVE_EUNSUPPORTED,
                        "attribute '%s' refers to a function attribute",
                        out->name);
  out->type = a->has_type ? (int)a->type : 0;
  if (!out->type) { /* IR < 0.0.2: guess from what is set */
    if (a->has_f) out->type = CC_ATTR_FLOAT;
    else if (a->has_i) out->type = CC_ATTR_INT;
    else if (a->has_s) out->type = CC_ATTR_STRING;
    else if (a->t) out->type = CC_ATTR_TENSOR;
    else if (a->g) out->type = CC_ATTR_GRAPH;
    else if (a->n_floats) out->type = CC_ATTR_FLOATS;
    else if (a->n_ints) out->type = CC_ATTR_INTS;
    else if (a->n_strings) out->type = CC_ATTR_STRINGS;
  }
  out->f = a->f;
  out->i = a->i;
  if (a->has_s || out->type == CC_ATTR_STRING) {
    out->s = cc_xmalloc(a->s.len + 1);
    if (a->s.len)
      memcpy(out->s, a->s.data, a->s.len);
    out->s[a->s.len] = 0;
  }
  switch (out->type) {
  case CC_ATTR_FLOATS:
    out->n = a->n_floats;
    out->floats = cc_xmalloc(a->n_floats * sizeof(double) + 1);
    for (size_t i = 0; i < a->n_floats; i++)
      out->floats[i] = a->floats[i];
    break;
  case CC_ATTR_INTS:
    out->n = a->n_ints;
    out->ints = cc_xmalloc(a->n_ints * sizeof(int64_t) + 1);
    if (a->n_ints)
      memcpy(out->ints, a->ints, a->n_ints * sizeof(int64_t));
    break;
  case CC_ATTR_STRINGS:
    out->n = a->n_strings;
    break;
  case CC_ATTR_TENSOR:
    if (!a->t)
      return cc_node_fail(g, n, err, CLAVE_EINVALID,
                          "tensor attribute '%s' holds no tensor", out->name);
    {
      char what[300];
      snprintf(what, sizeof what, "%s: node '%s' attribute '%s'", g->source,
               n->name, out->name);
      return cc_add_tensor(g, a->t, NULL, what, weights_dir, &out->tensor, err);
    }
  default:
    break;
  }
  return CLAVE_OK;
}

static clave_status cc_import_graph(cc_graph *g, const Onnx__GraphProto *gp,
                                    const char *weights_dir, clave_error *err) {
  clave_status st;
  if (gp->n_sparse_initializer)
    return cc_fail(err, CLAVE_EUNSUPPORTED,
                   "%s: sparse initializers are not supported", g->source);
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !t->name[0])
      return cc_fail(err, CLAVE_EINVALID, "%s: initializer #%zu has no name",
                     g->source, i);
    if (cc_value_find(g, t->name) >= 0)
      return cc_fail(err, CLAVE_EINVALID, "%s: initializer '%s' is defined twice",
                     g->source, t->name);
    char what[300];
    snprintf(what, sizeof what, "%s: initializer '%s'", g->source, t->name);
    int id;
    if ((st = cc_add_tensor(g, t, t->name, what, weights_dir, &id, err)))
      return st;
  }
  g->inputs = cc_xmalloc((gp->n_input + 1) * sizeof(int));
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !vi->name[0])
      return cc_fail(err, CLAVE_EINVALID, "%s: graph input #%zu has no name",
                     g->source, i);
    if (cc_value_find(g, vi->name) >= 0)
      continue; /* an initializer listed as input (IR < 4): a constant */
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
      return cc_fail(err, CLAVE_EUNSUPPORTED,
                     "%s: input '%s' is not a tensor (sequence, map or optional "
                     "types are not supported)",
                     g->source, vi->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int id = cc_value_add(g, vi->name);
    cc_value *v = g->vals[id];
    v->is_input = true;
    v->dtype = tt->has_elem_type ? tt->elem_type : 0;
    if (v->dtype == CK_STRING)
      return cc_fail(err, CLAVE_EUNSUPPORTED,
                     "%s: input '%s' is a string tensor (not supported)",
                     g->source, vi->name);
    if (v->dtype == CK_BFLOAT16)
      return cc_fail(err, CLAVE_EUNSUPPORTED,
                     "%s: input '%s': data type bfloat16 is not supported",
                     g->source, vi->name);
    if (v->dtype <= 0 || v->dtype >= CK_DTYPE_COUNT ||
        ck_dtype_size(v->dtype) == 0)
      return cc_fail(err, CLAVE_EUNSUPPORTED,
                     "%s: input '%s' has the unsupported data type %d",
                     g->source, vi->name, v->dtype);
    if (tt->shape) {
      if (tt->shape->n_dim > CC_MAX_RANK)
        return cc_fail(err, CLAVE_EUNSUPPORTED,
                       "%s: input '%s' has rank %zu, above the limit of %d",
                       g->source, vi->name, tt->shape->n_dim, CC_MAX_RANK);
      v->rank = (int)tt->shape->n_dim;
      for (size_t d = 0; d < tt->shape->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
        v->dims[d] = dm->value_case ==
                             ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                         ? dm->dim_value
                         : -1;
        if (v->dims[d] < -1)
          return cc_fail(err, CLAVE_EINVALID,
                         "%s: input '%s' has the negative dimension %lld",
                         g->source, vi->name, (long long)v->dims[d]);
      }
    }
    g->inputs[g->ninputs++] = id;
  }
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    cc_node *n = cc_node_add(g, np->name, np->op_type ? np->op_type : "");
    if (np->domain && strcmp(np->domain, "ai.onnx") != 0) {
      free(n->domain);
      n->domain = cc_xstrdup(np->domain);
    }
    n->in = cc_xmalloc((np->n_input + 1) * sizeof(int));
    n->nin = (int)np->n_input;
    for (size_t k = 0; k < np->n_input; k++) {
      const char *name = np->input[k];
      if (!name || !name[0]) {
        n->in[k] = -1;
        continue;
      }
      n->in[k] = cc_value_find(g, name);
      if (n->in[k] < 0)
        return cc_node_fail(g, n, err, CLAVE_EINVALID,
                            "input '%s' is not produced by any earlier node, "
                            "initializer or graph input",
                            name);
    }
    n->attrs = cc_xcalloc(np->n_attribute + 1, sizeof(cc_attr));
    for (size_t k = 0; k < np->n_attribute; k++) {
      n->nattrs++;
      if ((st = cc_import_attr(g, n, np->attribute[k], &n->attrs[k], weights_dir,
                               err)))
        return st;
    }
    n->out = cc_xmalloc((np->n_output + 1) * sizeof(int));
    n->nout = (int)np->n_output;
    for (size_t k = 0; k < np->n_output; k++) {
      const char *name = np->output[k];
      if (!name || !name[0]) {
        n->out[k] = -1;
        continue;
      }
      if (cc_value_find(g, name) >= 0)
        return cc_node_fail(g, n, err, CLAVE_EINVALID,
                            "output '%s' is already defined", name);
      int id = cc_value_add(g, name);
      g->vals[id]->producer = n->index;
      n->out[k] = id;
    }
  }
  g->outputs = cc_xmalloc((gp->n_output + 1) * sizeof(int));
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name ? gp->output[i]->name : "";
    int id = cc_value_find(g, name);
    if (id < 0)
      return cc_fail(err, CLAVE_EINVALID,
                     "%s: graph output '%s' is produced by no node", g->source,
                     name);
    g->vals[id]->is_output = true;
    g->outputs[g->noutputs++] = id;
  }
  if (g->noutputs == 0)
    return cc_fail(err, CLAVE_EINVALID, "%s: the graph has no outputs", g->source);
  return CLAVE_OK;
}

clave_status cc_import_onnx(const uint8_t *bytes, size_t len,
                            const char *source, const char *weights_dir,
                            cc_graph **out, clave_error *err) {
  *out = NULL;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, bytes);
  if (!m)
    return cc_fail(err, CLAVE_EMALFORMED,
                   "%s: not an ONNX model (the protobuf does not decode)",
                   source);
  if (!m->graph) {
    onnx__model_proto__free_unpacked(m, NULL);
    return cc_fail(err, CLAVE_EMALFORMED, "%s: the model has no graph", source);
  }
  cc_graph *g = cc_graph_new(source);
  g->ir_version = m->has_ir_version ? m->ir_version : 0;
  g->opset = 1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0)
      g->opset = o->has_version ? o->version : 1;
  }
  clave_status st = cc_import_graph(g, m->graph, weights_dir, err);
  onnx__model_proto__free_unpacked(m, NULL);
  if (st != CLAVE_OK) {
    cc_graph_free(g);
    return st;
  }
  *out = g;
  return CLAVE_OK;
}

#else /* !CLAVE_HAVE_ONNX */

clave_status cc_import_onnx(const uint8_t *bytes, size_t len,
                            const char *source, const char *weights_dir,
                            cc_graph **out, clave_error *err) {
  *out = NULL;
  return cc_fail(err, CLAVE_EUNSUPPORTED,
                 "%s: clave was built without ONNX support (protobuf-c or "
                 "onnx.proto missing; run scripts/install-deps)",
                 source);
}

clave_status cc_tensor_pb_decode(const uint8_t *bytes, size_t len,
                                 const char *what, const char *weights_dir,
                                 int *dtype, int *rank, int64_t *dims,
                                 void **data, char **name, clave_error *err) {
  return cc_fail(err, CLAVE_EUNSUPPORTED,
                 "%s: clave was built without ONNX support", what);
}

#endif
