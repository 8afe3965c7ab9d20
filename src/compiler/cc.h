/*
 * cc.h - internals of the model compiler: the graph IR and its stages.
 *
 *   import (cc_import.c)  ONNX bytes -> cc_graph (values, nodes)
 *   shapes (cc_shapes.c)  static dtype/shape of every value, interleaved
 *                         with constant folding (cc_fold.c), which runs the
 *                         node's kernels natively (cc_exec.c)
 *   dce    (cc_fold.c)    nodes nobody needs are dropped
 *   lower  (cc_ops_*.c)   each live node becomes kernel calls (cc_call)
 *   plan   (cc_plan.c)    one arena, offsets reused by liveness; weights
 *   emit   (cc_emit.c)    C source + weights blob; cc_build.c runs clang
 *
 * Values and nodes are held by pointer so that adding one never moves
 * another.  Value ids index g->vals; -1 marks a missing optional input.
 * Nothing here is global: a graph and everything it owns is freed by
 * cc_graph_free.  Only libclave's compiler files and tests include this.
 */
#ifndef CC_H
#define CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clave/compiler.h"
#include "clave/engine.h"
#include "compiler/cc_embedded.h"
#include "kernels/ck.h"

#define CC_MAX_RANK CK_MAX_RANK
#define CC_FOLD_LIMIT ((int64_t)64 << 20) /* fold outputs up to 64 MiB */

typedef struct cc_value {
  char *name;
  int dtype;                   /* enum ck_dtype; 0 while unknown */
  int rank;                    /* -1 while unknown */
  int64_t dims[CC_MAX_RANK];
  void *data;                  /* constant contents (row-major) or NULL */
  bool is_input, is_output, is_scratch;
  int producer;                /* node index, -1 for inputs/constants */
  int alias;                   /* shares the storage of this value, or -1 */
  int64_t offset;              /* arena or weights offset, -1 if unplaced */
  int first, last;             /* live range over calls */
  int nuses;                   /* live consumers (after dce) */
} cc_value;

enum cc_attr_type {
  CC_ATTR_FLOAT = 1,
  CC_ATTR_INT = 2,
  CC_ATTR_STRING = 3,
  CC_ATTR_TENSOR = 4,
  CC_ATTR_GRAPH = 5,
  CC_ATTR_FLOATS = 6,
  CC_ATTR_INTS = 7,
  CC_ATTR_STRINGS = 8
};

typedef struct cc_attr {
  char *name;
  int type;          /* enum cc_attr_type (other ONNX types kept as is) */
  double f;
  int64_t i;
  char *s;           /* NUL terminated */
  int tensor;        /* value id of a TENSOR attribute */
  double *floats;
  int64_t *ints;
  size_t n;          /* count of floats, ints or strings */
} cc_attr;

typedef struct cc_node {
  char *name;
  char *op;
  char *domain;
  int *in, nin;      /* value ids, -1 = absent optional input */
  int *out, nout;
  cc_attr *attrs;
  int nattrs;
  bool dead;         /* folded or unused */
  int index;
  int act;           /* fused activation (enum ck_act) of Conv and Gemm */
  double act_a, act_b;
} cc_node;

typedef struct cc_call {
  int kernel;        /* index into cc_kernels */
  int64_t *p;
  int np;
  int *t;            /* value ids; -1 = NULL pointer */
  int nt;
  int node;          /* node index for messages, -1 for glue */
} cc_call;

typedef struct cc_graph {
  char *source;      /* model file name, for messages */
  int64_t opset;     /* default domain */
  int64_t ir_version;
  cc_value **vals;
  int nvals, capvals;
  cc_node **nodes;
  int nnodes, capnodes;
  int *inputs, ninputs;
  int *outputs, noutputs;
  cc_call *calls;
  int ncalls, capcalls;
  int64_t arena_size, weights_size;
  int nfolded, nremoved;
  struct cc_names *names; /* name -> value id */
} cc_graph;

/* ---- errors --------------------------------------------------------------- */

clave_status cc_fail(clave_error *err, clave_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
clave_status cc_node_fail(const cc_graph *g, const cc_node *n, clave_error *err,
                          clave_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Read a whole file (malloc'ed). */
clave_status cc_read_file(const char *path, uint8_t **out, size_t *len,
                          clave_error *err);
void *cc_xmalloc(size_t n); /* aborts only on exhaustion of the host */
void *cc_xcalloc(size_t n, size_t m);
void *cc_xrealloc(void *p, size_t n);
char *cc_xstrdup(const char *s);

/* ---- graph ---------------------------------------------------------------- */

cc_graph *cc_graph_new(const char *source);
void cc_graph_free(cc_graph *g);
/* The value named name, or -1. */
int cc_value_find(const cc_graph *g, const char *name);
/* A new value (unknown shape); name NULL makes a unique internal name. */
int cc_value_add(cc_graph *g, const char *name);
/* A new constant value that takes ownership of data. */
int cc_const_add(cc_graph *g, const char *name, int dtype, int rank,
                 const int64_t *dims, void *data);
cc_node *cc_node_add(cc_graph *g, const char *name, const char *op);
int64_t cc_numel(const cc_value *v);
size_t cc_nbytes(const cc_value *v);
const char *cc_dtype_name(int dtype);
bool cc_is_float(int dtype); /* float32/64, float16, bfloat16 */
bool cc_is_int(int dtype);
/* "[1,3,224,224]" into buf */
const char *cc_shape_str(const cc_value *v, char *buf, size_t len);
/* Resolve aliases to the value that owns the storage. */
int cc_root(const cc_graph *g, int id);

static inline cc_value *cc_val(const cc_graph *g, int id) {
  return id < 0 ? NULL : g->vals[id];
}

/* ---- import --------------------------------------------------------------- */

clave_status cc_import_onnx(const uint8_t *bytes, size_t len,
                            const char *source, const char *weights_dir,
                            cc_graph **out, clave_error *err);
/* Decode a serialized TensorProto into a constant (dtype, dims, data). */
clave_status cc_tensor_pb_decode(const uint8_t *bytes, size_t len,
                                 const char *what, const char *weights_dir,
                                 int *dtype, int *rank, int64_t *dims,
                                 void **data, char **name, clave_error *err);
/* Encode a tensor as a serialized TensorProto (raw_data); malloc'ed. */
uint8_t *cc_tensor_pb_encode(const char *name, int dtype, int rank,
                             const int64_t *dims, const void *data,
                             size_t *len);

/* ---- attributes ----------------------------------------------------------- */

const cc_attr *cc_attr_get(const cc_node *n, const char *name);
int64_t cc_attr_int(const cc_node *n, const char *name, int64_t def);
double cc_attr_float(const cc_node *n, const char *name, double def);
const char *cc_attr_str(const cc_node *n, const char *name, const char *def);
/* ints attribute: count, or -1 when absent */
int cc_attr_ints(const cc_node *n, const char *name, const int64_t **v);

/* ---- compile context and stages -------------------------------------------- */

typedef struct cc_ctx {
  cc_graph *g;
  clave_error *err;
  const clave_compile_options *opts;
} cc_ctx;

typedef struct cc_op {
  const char *name;
  int since;    /* first opset of the default domain (informative) */
  clave_status (*infer)(cc_ctx *c, cc_node *n);
  clave_status (*lower)(cc_ctx *c, cc_node *n);
  bool no_fold; /* never fold (random ops) */
} cc_op;

const cc_op *cc_op_find(const char *name);

/* Input i of node n (NULL when absent); its const data; its ints. */
cc_value *cc_in(const cc_ctx *c, const cc_node *n, int i);
cc_value *cc_out(const cc_ctx *c, const cc_node *n, int i);
/* Set output i's dtype and shape. */
void cc_set_out(cc_ctx *c, cc_node *n, int i, int dtype, int rank,
                const int64_t *dims);
/* Read a constant integer tensor (any int type) as int64; count or error */
clave_status cc_const_ints(cc_ctx *c, cc_node *n, int i, int64_t *out,
                           int max, int *count);

/* Kernel calls: name is the kernel's name without "ck_"; t may hold -1. */
clave_status cc_emit_call(cc_ctx *c, cc_node *n, const char *kernel,
                          const int64_t *p, int np, const int *t, int nt);
int cc_kernel_find(const char *name);
const char *cc_kernel_name(int k);
int cc_scratch(cc_ctx *c, size_t nbytes);
/* A new internal value with this dtype and shape. */
int cc_temp(cc_ctx *c, int dtype, int rank, const int64_t *dims);
/* Kernel suffix for a dtype: "f32", "i64"...; NULL if none. */
const char *cc_dtype_sfx(int dtype);
/* Element size suffix: "e1".."e8" */
const char *cc_size_sfx(int dtype);

/* stages */
clave_status cc_apply_options(cc_ctx *c);
clave_status cc_infer_all(cc_ctx *c);
clave_status cc_fold_node(cc_ctx *c, cc_node *n, bool *folded);
void cc_dce(cc_graph *g);
/* Fuse bias Add, BatchNormalization and activations into Conv/Gemm. */
clave_status cc_fuse(cc_ctx *c);
clave_status cc_lower_all(cc_ctx *c);
clave_status cc_plan(cc_ctx *c);
/* Full pipeline up to a planned graph. */
clave_status cc_prepare(const uint8_t *bytes, size_t len, const char *source,
                        const clave_compile_options *opts, cc_graph **out,
                        clave_error *err);

/* ---- native execution (folding, tests) --------------------------------- */

/* Run calls [from, to) with ptrs[value id] -> storage. */
clave_status cc_exec_calls(const cc_graph *g, int from, int to, void **ptrs,
                           clave_error *err);
/* Run a planned graph natively: inputs[i] holds g->inputs[i]'s bytes;
 * outputs[i] receives a malloc'ed copy of g->outputs[i]. */
clave_status cc_run_native(const cc_graph *g, const void *const *inputs,
                           void **outputs, clave_error *err);

/* ---- emit and build --------------------------------------------------- */

typedef struct cc_image_spec {
  int width, height, channels; /* channels 1 (gray) or 3 (rgb) */
  int nhwc;                    /* layout of the tensor */
  double scale;
  double mean[3], std[3];
} cc_image_spec;

clave_status cc_image_spec_parse(const char *s, cc_image_spec *spec,
                                 clave_error *err);
/* Generated C of a planned graph (malloc'ed, NUL terminated). */
clave_status cc_emit_c(cc_ctx *c, const cc_image_spec *image, int input_format,
                       char **out_c, clave_error *err);
/* Weights blob of a planned graph (malloc'ed, g->weights_size bytes). */
uint8_t *cc_weights_blob(const cc_graph *g);
/* The clave.model description (JSON, malloc'ed). */
char *cc_model_json(const cc_graph *g, const cc_image_spec *image);


#endif /* CC_H */
