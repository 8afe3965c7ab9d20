/*
 * validate.c - WebAssembly validation of a decoded module.
 *
 * The spec's validation algorithm (its appendix): an operand stack of
 * value types and a control stack of frames, one linear pass per function
 * body, with the polymorphic stack after unreachable, br, br_table and
 * return.  Module-level rules (limits, constant expressions, segments,
 * exports, the start function) come first, and C.refs, the functions that
 * ref.func may name inside bodies, is computed into m->declared_refs.
 *
 * The decoder has already checked the syntax of every body and constant
 * expression, so this file only reads immediates and applies typing and
 * index rules.  It still reads through the bounds-checked reader and says
 * "malformed" if a body is not what the decoder promised, rather than
 * trusting it blindly.
 *
 * One growable operand stack, control stack and locals array serve every
 * function of a module: validation allocates nothing per instruction.
 * Messages start with the place ("code section, function 3, offset
 * 0x2a: ") and use the spec's phrases ("type mismatch", "unknown local",
 * ...), followed by what was expected and found.
 *
 * SIMD instructions are checked by shape from the table of
 * opcodes_simd.h (operand and result types, lane indices, alignment).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/module.h"
#include "engine/opcodes.h"
#include "engine/opcodes_simd.h"
#include "engine/reader.h"

const char *cl_valtype_name(uint8_t type) {
  switch (type) {
    case CL_I32:
      return "i32";
    case CL_I64:
      return "i64";
    case CL_F32:
      return "f32";
    case CL_F64:
      return "f64";
    case CL_V128:
      return "v128";
    case CL_FUNCREF:
      return "funcref";
    case CL_EXTERNREF:
      return "externref";
    case CL_BOTTOM:
      return "unknown";
    default:
      return "?";
  }
}

/* ---- opcode tables ------------------------------------------------------ */

enum { K_NONE = 0, K_UNARY, K_BINARY, K_LOAD, K_STORE };

#define VT_(T) CL_##T

/* clang-format off */
static const uint8_t val_kind[256] = {
#define X(N, code, text, a, b) [code] = K_UNARY,
  CL_UNARY_OPS(X)
#undef X
#define X(N, code, text, a, b) [code] = K_BINARY,
  CL_BINARY_OPS(X)
#undef X
#define X(N, code, text, a, b) [code] = K_LOAD,
  CL_LOAD_OPS(X)
#undef X
#define X(N, code, text, a, b) [code] = K_STORE,
  CL_STORE_OPS(X)
#undef X
};

/* operand type (unary, binary, store) or result type (load) */
static const uint8_t val_type1[256] = {
#define X(N, code, text, a, b) [code] = VT_(a),
  CL_UNARY_OPS(X) CL_BINARY_OPS(X) CL_LOAD_OPS(X) CL_STORE_OPS(X)
#undef X
};

/* result type (unary, binary) or access size in bytes (load, store) */
static const uint8_t val_type2[256] = {
#define X(N, code, text, a, b) [code] = VT_(b),
  CL_UNARY_OPS(X) CL_BINARY_OPS(X)
#undef X
#define X(N, code, text, a, b) [code] = b,
  CL_LOAD_OPS(X) CL_STORE_OPS(X)
#undef X
};

static const char *const val_names[256] = {
  [OP_UNREACHABLE] = "unreachable",     [OP_NOP] = "nop",
  [OP_BLOCK] = "block",                 [OP_LOOP] = "loop",
  [OP_IF] = "if",                       [OP_ELSE] = "else",
  [OP_END] = "end",                     [OP_BR] = "br",
  [OP_BR_IF] = "br_if",                 [OP_BR_TABLE] = "br_table",
  [OP_RETURN] = "return",               [OP_CALL] = "call",
  [OP_CALL_INDIRECT] = "call_indirect", [OP_DROP] = "drop",
  [OP_SELECT] = "select",               [OP_SELECT_T] = "select",
  [OP_LOCAL_GET] = "local.get",         [OP_LOCAL_SET] = "local.set",
  [OP_LOCAL_TEE] = "local.tee",         [OP_GLOBAL_GET] = "global.get",
  [OP_GLOBAL_SET] = "global.set",       [OP_TABLE_GET] = "table.get",
  [OP_TABLE_SET] = "table.set",         [OP_MEMORY_SIZE] = "memory.size",
  [OP_MEMORY_GROW] = "memory.grow",     [OP_I32_CONST] = "i32.const",
  [OP_I64_CONST] = "i64.const",         [OP_F32_CONST] = "f32.const",
  [OP_F64_CONST] = "f64.const",         [OP_REF_NULL] = "ref.null",
  [OP_REF_IS_NULL] = "ref.is_null",     [OP_REF_FUNC] = "ref.func",
#define X(N, code, text, a, b) [code] = text,
  CL_UNARY_OPS(X) CL_BINARY_OPS(X) CL_LOAD_OPS(X) CL_STORE_OPS(X)
#undef X
};

static const char *const val_fc_names[] = {
#define X(N, code, text, a, b) [code] = text,
  CL_SAT_OPS(X)
#undef X
  [OPFC_MEMORY_INIT] = "memory.init", [OPFC_DATA_DROP] = "data.drop",
  [OPFC_MEMORY_COPY] = "memory.copy", [OPFC_MEMORY_FILL] = "memory.fill",
  [OPFC_TABLE_INIT] = "table.init",   [OPFC_ELEM_DROP] = "elem.drop",
  [OPFC_TABLE_COPY] = "table.copy",   [OPFC_TABLE_GROW] = "table.grow",
  [OPFC_TABLE_SIZE] = "table.size",   [OPFC_TABLE_FILL] = "table.fill",
};

static const uint8_t val_sat_in[8] = {
#define X(N, code, text, a, b) [code] = VT_(a),
  CL_SAT_OPS(X)
#undef X
};
static const uint8_t val_sat_out[8] = {
#define X(N, code, text, a, b) [code] = VT_(b),
  CL_SAT_OPS(X)
#undef X
};
/* clang-format on */

/* val_self[t] == t: the one-type result list of a block typed by a single
 * value type, without pointing into a frame that may move */
static const uint8_t val_self[256] = {[CL_I32] = CL_I32,
                                      [CL_I64] = CL_I64,
                                      [CL_F32] = CL_F32,
                                      [CL_F64] = CL_F64,
                                      [CL_V128] = CL_V128,
                                      [CL_FUNCREF] = CL_FUNCREF,
                                      [CL_EXTERNREF] = CL_EXTERNREF};

/* ---- state -------------------------------------------------------------- */

typedef struct vframe {
  uint8_t op; /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE; 0 for the function */
  bool unreachable;
  uint32_t height;
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
} vframe;

typedef struct val {
  cl_module *m;
  clave_error *err;
  clave_status status;
  bool failed;
  char where[96]; /* "code section, function 3", "global section, global 1" */
  cl_reader r;
  size_t at;          /* offset of the current instruction */
  const char *opname; /* name of the current instruction */

  uint8_t *vals;
  size_t nvals, cap_vals;
  vframe *ctrls;
  size_t nctrls, cap_ctrls;
  uint8_t *locals;
  size_t cap_locals;
  uint32_t nlocals;
  uint8_t *tmp; /* br_table: values popped and pushed back */
  size_t cap_tmp;
} val;

/* for items whose place the decoded module does not keep */
#define VAL_NO_OFFSET ((size_t)-1)

__attribute__((format(printf, 4, 5))) static bool val_fail_st(val *v, size_t at,
                                                              clave_status st,
                                                              const char *fmt,
                                                              ...) {
  if (v->failed) return false;
  v->failed = true;
  v->status = st;
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (at == VAL_NO_OFFSET)
    cl_error_set(v->err, st, "%s: %s", v->where, what);
  else
    cl_error_set(v->err, st, "%s, offset 0x%zx: %s", v->where, at, what);
  return false;
}

#define val_fail(v, ...) val_fail_st((v), (v)->at, CLAVE_EINVALID, __VA_ARGS__)

static bool val_nomem(val *v) {
  return val_fail_st(v, v->at, CLAVE_ENOMEM, "out of memory");
}

static bool val_reserve(val *v, void **p, size_t *cap, size_t need,
                        size_t size) {
  if (need <= *cap) return true;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * size);
  if (!q) return val_nomem(v);
  *p = q;
  *cap = c;
  return true;
}

/* ---- operand stack ------------------------------------------------------ */

static inline bool val_push(val *v, uint8_t t) {
  if (v->nvals == v->cap_vals &&
      !val_reserve(v, (void **)&v->vals, &v->cap_vals, v->nvals + 1, 1))
    return false;
  v->vals[v->nvals++] = t;
  return true;
}

static bool val_push_n(val *v, const uint8_t *ts, uint32_t n) {
  if (n == 0) return true;
  if (!val_reserve(v, (void **)&v->vals, &v->cap_vals, v->nvals + n, 1))
    return false;
  memcpy(v->vals + v->nvals, ts, n);
  v->nvals += n;
  return true;
}

/* Pop one value, expecting `want` (CL_BOTTOM: anything); *got gets what
 * was there (CL_BOTTOM in unreachable code). */
static inline bool val_pop(val *v, uint8_t want, uint8_t *got) {
  vframe *f = &v->ctrls[v->nctrls - 1];
  if (v->nvals == f->height) {
    if (f->unreachable) {
      if (got) *got = CL_BOTTOM;
      return true;
    }
    if (want == CL_BOTTOM)
      return val_fail(v, "type mismatch in %s: expected a value, got nothing",
                      v->opname);
    return val_fail(v, "type mismatch in %s: expected %s, got nothing",
                    v->opname, cl_valtype_name(want));
  }
  uint8_t t = v->vals[--v->nvals];
  if (t != want && t != CL_BOTTOM && want != CL_BOTTOM)
    return val_fail(v, "type mismatch in %s: expected %s, got %s", v->opname,
                    cl_valtype_name(want), cl_valtype_name(t));
  if (got) *got = t;
  return true;
}

static bool val_pop_n(val *v, const uint8_t *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0;)
    if (!val_pop(v, ts[i], NULL)) return false;
  return true;
}

static bool val_push_frame(val *v, uint8_t op, const uint8_t *params,
                           uint32_t np, const uint8_t *results, uint32_t nr) {
  if (!val_reserve(v, (void **)&v->ctrls, &v->cap_ctrls, v->nctrls + 1,
                   sizeof *v->ctrls))
    return false;
  vframe *f = &v->ctrls[v->nctrls++];
  f->op = op;
  f->unreachable = false;
  f->height = (uint32_t)v->nvals;
  f->params = params;
  f->nparams = np;
  f->results = results;
  f->nresults = nr;
  return val_push_n(v, params, np);
}

/* The end of a frame: its results must be exactly what is left. */
static bool val_close(val *v, const vframe *f) {
  if (!val_pop_n(v, f->results, f->nresults)) return false;
  if (v->nvals != f->height)
    return val_fail(v,
                    "type mismatch in %s: %zu more value(s) on the stack than "
                    "the block's %u result(s)",
                    v->opname, v->nvals - f->height, f->nresults);
  return true;
}

static void val_set_unreachable(val *v) {
  vframe *f = &v->ctrls[v->nctrls - 1];
  v->nvals = f->height;
  f->unreachable = true;
}

static inline void val_label(const vframe *f, const uint8_t **ts, uint32_t *n) {
  if (f->op == OP_LOOP) {
    *ts = f->params;
    *n = f->nparams;
  } else {
    *ts = f->results;
    *n = f->nresults;
  }
}

/* ---- immediates and index checks ---------------------------------------- */

static inline uint32_t val_u32(val *v) {
  return cl_read_u32(&v->r);
}

static bool val_label_index(val *v, uint32_t l) {
  if (l >= v->nctrls)
    return val_fail(v, "unknown label %u (%zu enclosing blocks)", l, v->nctrls);
  return true;
}

static bool val_func_index(val *v, uint32_t x) {
  if (x >= v->m->nfuncs)
    return val_fail(v, "unknown function %u (%u functions)", x, v->m->nfuncs);
  return true;
}

static bool val_table_index(val *v, uint32_t x) {
  if (x >= v->m->ntables)
    return val_fail(v, "unknown table %u (%u tables)", x, v->m->ntables);
  return true;
}

static bool val_memory(val *v) {
  if (v->m->nmems == 0)
    return val_fail(v, "unknown memory 0 in %s (the module has no memory)",
                    v->opname);
  return true;
}

static bool val_type_index(val *v, uint32_t x) {
  if (x >= v->m->ntypes)
    return val_fail(v, "unknown type %u (%u types)", x, v->m->ntypes);
  return true;
}

static bool val_data_index(val *v, uint32_t x) {
  /* the decoder required the data count section */
  if (x >= v->m->datacount)
    return val_fail(v, "unknown data segment %u (%u segments)", x,
                    v->m->datacount);
  return true;
}

static bool val_elem_index(val *v, uint32_t x) {
  if (x >= v->m->nelems)
    return val_fail(v, "unknown elem segment %u (%u segments)", x,
                    v->m->nelems);
  return true;
}

/* A block type: its params and results. */
static bool val_blocktype(val *v, const uint8_t **params, uint32_t *np,
                          const uint8_t **results, uint32_t *nr) {
  cl_blocktype bt = cl_read_blocktype(&v->r);
  *params = NULL;
  *np = 0;
  *results = NULL;
  *nr = 0;
  if (bt.kind == 1) {
    *results = &val_self[bt.valtype];
    *nr = 1;
  } else if (bt.kind == 2) {
    if (!val_type_index(v, bt.typeidx)) return false;
    const cl_functype *ft = &v->m->types[bt.typeidx];
    *params = ft->params;
    *np = ft->nparams;
    *results = ft->results;
    *nr = ft->nresults;
  }
  return true;
}

/* A memarg for an access of `bytes` bytes. */
static bool val_memarg_n(val *v, uint32_t bytes) {
  uint32_t align = val_u32(v);
  val_u32(v); /* offset */
  if (!val_memory(v)) return false;
  uint32_t natural = 0;
  for (; bytes > 1; bytes >>= 1) natural++;
  if (align > natural)
    return val_fail(v,
                    "alignment must not be larger than natural in %s: 2^%u "
                    "bytes, natural %u",
                    v->opname, align, 1u << natural);
  return true;
}

static bool val_memarg(val *v, uint8_t op) {
  return val_memarg_n(v, val_type2[op]);
}

/* A lane immediate (one byte) of an instruction with `lanes` lanes. */
static bool val_lane(val *v, uint32_t lanes) {
  uint8_t lane = cl_read_u8(&v->r);
  if (!cl_reader_ok(&v->r)) return true; /* reported by the caller */
  if (lane >= lanes)
    return val_fail(v, "invalid lane index %u in %s (%u lanes)", lane,
                    v->opname, lanes);
  return true;
}

/* ---- SIMD ---------------------------------------------------------------- */

static bool val_instr_fd(val *v) {
  uint32_t sub = val_u32(v);
  const cl_simd_info *si = cl_simd_op(sub);
  if (!si || !cl_reader_ok(&v->r))
    return val_fail_st(v, v->at, CLAVE_EMALFORMED, "illegal opcode 0xfd %u",
                       sub);
  v->opname = si->name;
  switch (si->shape) {
    case CL_SIMD_LOAD:
      return val_memarg_n(v, si->n) && val_pop(v, CL_I32, NULL) &&
             val_push(v, CL_V128);
    case CL_SIMD_STORE:
      return val_memarg_n(v, si->n) && val_pop(v, CL_V128, NULL) &&
             val_pop(v, CL_I32, NULL);
    case CL_SIMD_LOAD_LANE:
      return val_memarg_n(v, si->n) && val_lane(v, 16u / si->n) &&
             val_pop(v, CL_V128, NULL) && val_pop(v, CL_I32, NULL) &&
             val_push(v, CL_V128);
    case CL_SIMD_STORE_LANE:
      return val_memarg_n(v, si->n) && val_lane(v, 16u / si->n) &&
             val_pop(v, CL_V128, NULL) && val_pop(v, CL_I32, NULL);
    case CL_SIMD_CONST:
      cl_read_fixed64(&v->r);
      cl_read_fixed64(&v->r);
      return val_push(v, CL_V128);
    case CL_SIMD_SHUFFLE:
      for (int i = 0; i < 16; i++)
        if (!val_lane(v, 32)) return false;
      return val_pop(v, CL_V128, NULL) && val_pop(v, CL_V128, NULL) &&
             val_push(v, CL_V128);
    case CL_SIMD_SPLAT:
      return val_pop(v, si->type, NULL) && val_push(v, CL_V128);
    case CL_SIMD_EXTRACT:
      return val_lane(v, si->n) && val_pop(v, CL_V128, NULL) &&
             val_push(v, si->type);
    case CL_SIMD_REPLACE:
      return val_lane(v, si->n) && val_pop(v, si->type, NULL) &&
             val_pop(v, CL_V128, NULL) && val_push(v, CL_V128);
    case CL_SIMD_UNARY:
      return val_pop(v, CL_V128, NULL) && val_push(v, CL_V128);
    case CL_SIMD_BINARY:
      return val_pop(v, CL_V128, NULL) && val_pop(v, CL_V128, NULL) &&
             val_push(v, CL_V128);
    case CL_SIMD_TERNARY:
      return val_pop(v, CL_V128, NULL) && val_pop(v, CL_V128, NULL) &&
             val_pop(v, CL_V128, NULL) && val_push(v, CL_V128);
    case CL_SIMD_TEST:
      return val_pop(v, CL_V128, NULL) && val_push(v, CL_I32);
    case CL_SIMD_SHIFT:
      return val_pop(v, CL_I32, NULL) && val_pop(v, CL_V128, NULL) &&
             val_push(v, CL_V128);
  }
  return val_fail_st(v, v->at, CLAVE_EMALFORMED, "illegal opcode 0xfd %u", sub);
}

/* ---- function bodies ---------------------------------------------------- */

static bool val_instr_fc(val *v) {
  cl_module *m = v->m;
  uint32_t sub = val_u32(v);
  if (sub < sizeof val_fc_names / sizeof *val_fc_names && val_fc_names[sub])
    v->opname = val_fc_names[sub];
  switch (sub) {
    case OPFC_I32_TRUNC_SAT_F32_S:
    case OPFC_I32_TRUNC_SAT_F32_U:
    case OPFC_I32_TRUNC_SAT_F64_S:
    case OPFC_I32_TRUNC_SAT_F64_U:
    case OPFC_I64_TRUNC_SAT_F32_S:
    case OPFC_I64_TRUNC_SAT_F32_U:
    case OPFC_I64_TRUNC_SAT_F64_S:
    case OPFC_I64_TRUNC_SAT_F64_U:
      return val_pop(v, val_sat_in[sub], NULL) && val_push(v, val_sat_out[sub]);
    case OPFC_MEMORY_INIT: {
      uint32_t x = val_u32(v);
      cl_read_u8(&v->r);
      return val_memory(v) && val_data_index(v, x) &&
             val_pop(v, CL_I32, NULL) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, CL_I32, NULL);
    }
    case OPFC_DATA_DROP:
      return val_data_index(v, val_u32(v));
    case OPFC_MEMORY_COPY:
    case OPFC_MEMORY_FILL:
      cl_read_u8(&v->r);
      if (sub == OPFC_MEMORY_COPY) cl_read_u8(&v->r);
      return val_memory(v) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, CL_I32, NULL) && val_pop(v, CL_I32, NULL);
    case OPFC_TABLE_INIT: {
      uint32_t e = val_u32(v);
      uint32_t t = val_u32(v);
      if (!val_table_index(v, t) || !val_elem_index(v, e)) return false;
      if (m->elems[e].reftype != m->tables[t].elem)
        return val_fail(v,
                        "type mismatch in table.init: elem segment %u holds "
                        "%s, table %u holds %s",
                        e, cl_valtype_name(m->elems[e].reftype), t,
                        cl_valtype_name(m->tables[t].elem));
      return val_pop(v, CL_I32, NULL) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, CL_I32, NULL);
    }
    case OPFC_ELEM_DROP:
      return val_elem_index(v, val_u32(v));
    case OPFC_TABLE_COPY: {
      uint32_t dst = val_u32(v);
      uint32_t src = val_u32(v);
      if (!val_table_index(v, dst) || !val_table_index(v, src)) return false;
      if (m->tables[dst].elem != m->tables[src].elem)
        return val_fail(v,
                        "type mismatch in table.copy: table %u holds %s, "
                        "table %u holds %s",
                        dst, cl_valtype_name(m->tables[dst].elem), src,
                        cl_valtype_name(m->tables[src].elem));
      return val_pop(v, CL_I32, NULL) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, CL_I32, NULL);
    }
    case OPFC_TABLE_GROW: {
      uint32_t t = val_u32(v);
      return val_table_index(v, t) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, m->tables[t].elem, NULL) && val_push(v, CL_I32);
    }
    case OPFC_TABLE_SIZE:
      return val_table_index(v, val_u32(v)) && val_push(v, CL_I32);
    case OPFC_TABLE_FILL: {
      uint32_t t = val_u32(v);
      return val_table_index(v, t) && val_pop(v, CL_I32, NULL) &&
             val_pop(v, m->tables[t].elem, NULL) && val_pop(v, CL_I32, NULL);
    }
    default:
      return val_fail_st(v, v->at, CLAVE_EMALFORMED, "illegal opcode 0xfc %u",
                         sub);
  }
}

static bool val_br_table(val *v) {
  uint32_t n = val_u32(v);
  const uint8_t *targets = v->r.p;
  for (uint32_t i = 0; i < n; i++) val_u32(v);
  uint32_t def = val_u32(v);
  const uint8_t *after = v->r.p;
  if (!cl_reader_ok(&v->r)) return true; /* reported by the caller */
  if (!val_pop(v, CL_I32, NULL) || !val_label_index(v, def)) return false;
  const uint8_t *dts;
  uint32_t arity;
  val_label(&v->ctrls[v->nctrls - 1 - def], &dts, &arity);
  if (!val_reserve(v, (void **)&v->tmp, &v->cap_tmp, arity, 1)) return false;
  v->r.p = targets;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t l = val_u32(v);
    if (!val_label_index(v, l)) return false;
    const uint8_t *ts;
    uint32_t k;
    val_label(&v->ctrls[v->nctrls - 1 - l], &ts, &k);
    if (k != arity)
      return val_fail(v,
                      "type mismatch in br_table: label %u takes %u value(s), "
                      "the default label %u takes %u",
                      l, k, def, arity);
    /* pop the label's types and push back what was there */
    for (uint32_t j = k; j-- > 0;)
      if (!val_pop(v, ts[j], &v->tmp[j])) return false;
    if (!val_push_n(v, v->tmp, k)) return false;
  }
  v->r.p = after;
  if (!val_pop_n(v, dts, arity)) return false;
  val_set_unreachable(v);
  return true;
}

static bool val_body(val *v, uint32_t fidx) {
  cl_module *m = v->m;
  const cl_func *fn = &m->funcs[fidx - m->nfunc_imports];
  const cl_functype *ft = cl_func_type(m, fidx);
  snprintf(v->where, sizeof v->where, "code section, function %u", fidx);

  /* locals: params, then the declared ones */
  size_t nl = (size_t)ft->nparams + fn->nlocals;
  if (!val_reserve(v, (void **)&v->locals, &v->cap_locals, nl ? nl : 1, 1))
    return false;
  if (ft->nparams) memcpy(v->locals, ft->params, ft->nparams);
  if (fn->nlocals)
    memcpy(v->locals + ft->nparams, fn->local_types, fn->nlocals);
  v->nlocals = (uint32_t)nl;

  v->nvals = 0;
  v->nctrls = 0;
  v->at = fn->code_offset;
  if (!val_push_frame(v, 0, NULL, 0, ft->results, ft->nresults)) return false;
  cl_reader_init(&v->r, m->bytes, fn->code, fn->end);

  while (v->nctrls > 0) {
    if (!cl_reader_ok(&v->r) || v->r.p >= v->r.end)
      return val_fail_st(v, v->at, CLAVE_EMALFORMED,
                         "unexpected end of section or function");
    v->at = cl_reader_offset(&v->r);
    uint8_t op = *v->r.p++;
    v->opname = val_names[op] ? val_names[op] : "instruction";
    switch (val_kind[op]) {
      case K_UNARY:
      case K_BINARY:
        if (!val_pop(v, val_type1[op], NULL)) return false;
        if (val_kind[op] == K_BINARY && !val_pop(v, val_type1[op], NULL))
          return false;
        if (!val_push(v, val_type2[op])) return false;
        continue;
      case K_LOAD:
        if (!val_memarg(v, op) || !val_pop(v, CL_I32, NULL) ||
            !val_push(v, val_type1[op]))
          return false;
        continue;
      case K_STORE:
        if (!val_memarg(v, op) || !val_pop(v, val_type1[op], NULL) ||
            !val_pop(v, CL_I32, NULL))
          return false;
        continue;
      default:
        break;
    }
    switch (op) {
      case OP_UNREACHABLE:
        val_set_unreachable(v);
        break;
      case OP_NOP:
        break;
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF: {
        const uint8_t *ps, *rs;
        uint32_t np, nr;
        if (!val_blocktype(v, &ps, &np, &rs, &nr)) return false;
        if (op == OP_IF && !val_pop(v, CL_I32, NULL)) return false;
        if (!val_pop_n(v, ps, np)) return false;
        if (!val_push_frame(v, op, ps, np, rs, nr)) return false;
        break;
      }
      case OP_ELSE: {
        vframe *f = &v->ctrls[v->nctrls - 1];
        if (f->op != OP_IF)
          return val_fail_st(v, v->at, CLAVE_EMALFORMED, "else without if");
        if (!val_close(v, f)) return false;
        f->op = OP_ELSE;
        f->unreachable = false;
        if (!val_push_n(v, f->params, f->nparams)) return false;
        break;
      }
      case OP_END: {
        vframe f = v->ctrls[v->nctrls - 1];
        if (!val_close(v, &f)) return false;
        if (f.op == OP_IF) {
          /* no else: the missing branch passes the params through */
          v->opname = "if without else";
          vframe *top = &v->ctrls[v->nctrls - 1];
          top->unreachable = false;
          if (!val_push_n(v, f.params, f.nparams) || !val_close(v, &f))
            return false;
        }
        v->nctrls--;
        if (v->nctrls > 0 && !val_push_n(v, f.results, f.nresults))
          return false;
        break;
      }
      case OP_BR:
      case OP_BR_IF: {
        uint32_t l = val_u32(v);
        if (!val_label_index(v, l)) return false;
        if (op == OP_BR_IF && !val_pop(v, CL_I32, NULL)) return false;
        const uint8_t *ts;
        uint32_t k;
        val_label(&v->ctrls[v->nctrls - 1 - l], &ts, &k);
        if (!val_pop_n(v, ts, k)) return false;
        if (op == OP_BR)
          val_set_unreachable(v);
        else if (!val_push_n(v, ts, k))
          return false;
        break;
      }
      case OP_BR_TABLE:
        if (!val_br_table(v)) return false;
        break;
      case OP_RETURN:
        if (!val_pop_n(v, ft->results, ft->nresults)) return false;
        val_set_unreachable(v);
        break;
      case OP_CALL: {
        uint32_t x = val_u32(v);
        if (!val_func_index(v, x)) return false;
        const cl_functype *ct = cl_func_type(m, x);
        if (!val_pop_n(v, ct->params, ct->nparams) ||
            !val_push_n(v, ct->results, ct->nresults))
          return false;
        break;
      }
      case OP_CALL_INDIRECT: {
        uint32_t y = val_u32(v);
        uint32_t x = val_u32(v);
        if (!val_table_index(v, x) || !val_type_index(v, y)) return false;
        if (m->tables[x].elem != CL_FUNCREF)
          return val_fail(v,
                          "type mismatch in call_indirect: table %u holds %s, "
                          "not funcref",
                          x, cl_valtype_name(m->tables[x].elem));
        const cl_functype *ct = &m->types[y];
        if (!val_pop(v, CL_I32, NULL) ||
            !val_pop_n(v, ct->params, ct->nparams) ||
            !val_push_n(v, ct->results, ct->nresults))
          return false;
        break;
      }
      case OP_DROP:
        if (!val_pop(v, CL_BOTTOM, NULL)) return false;
        break;
      case OP_SELECT: {
        uint8_t t1 = CL_BOTTOM, t2 = CL_BOTTOM;
        if (!val_pop(v, CL_I32, NULL) || !val_pop(v, CL_BOTTOM, &t1) ||
            !val_pop(v, CL_BOTTOM, &t2))
          return false;
        bool num1 = t1 != CL_FUNCREF && t1 != CL_EXTERNREF;
        bool num2 = t2 != CL_FUNCREF && t2 != CL_EXTERNREF;
        if (!num1 || !num2)
          return val_fail(v,
                          "type mismatch in select: operands of %s must be "
                          "numeric without a type immediate",
                          cl_valtype_name(num1 ? t2 : t1));
        if (t1 != t2 && t1 != CL_BOTTOM && t2 != CL_BOTTOM)
          return val_fail(v, "type mismatch in select: %s and %s",
                          cl_valtype_name(t2), cl_valtype_name(t1));
        if (!val_push(v, t1 == CL_BOTTOM ? t2 : t1)) return false;
        break;
      }
      case OP_SELECT_T: {
        uint32_t k = val_u32(v);
        if (k != 1)
          return val_fail(v, "invalid result arity %u for select (must be 1)",
                          k);
        uint8_t t = cl_read_u8(&v->r);
        if (!val_pop(v, CL_I32, NULL) || !val_pop(v, t, NULL) ||
            !val_pop(v, t, NULL) || !val_push(v, t))
          return false;
        break;
      }
      case OP_LOCAL_GET:
      case OP_LOCAL_SET:
      case OP_LOCAL_TEE: {
        uint32_t x = val_u32(v);
        if (x >= v->nlocals)
          return val_fail(v, "unknown local %u (%u locals)", x, v->nlocals);
        uint8_t t = v->locals[x];
        if (op != OP_LOCAL_GET && !val_pop(v, t, NULL)) return false;
        if (op != OP_LOCAL_SET && !val_push(v, t)) return false;
        break;
      }
      case OP_GLOBAL_GET:
      case OP_GLOBAL_SET: {
        uint32_t x = val_u32(v);
        if (x >= m->nglobals)
          return val_fail(v, "unknown global %u (%u globals)", x, m->nglobals);
        const cl_globaltype *g = &m->globals[x].type;
        if (op == OP_GLOBAL_GET) {
          if (!val_push(v, g->type)) return false;
        } else {
          if (!g->mut) return val_fail(v, "global is immutable: global %u", x);
          if (!val_pop(v, g->type, NULL)) return false;
        }
        break;
      }
      case OP_TABLE_GET:
      case OP_TABLE_SET: {
        uint32_t x = val_u32(v);
        if (!val_table_index(v, x)) return false;
        uint8_t t = m->tables[x].elem;
        if (op == OP_TABLE_GET) {
          if (!val_pop(v, CL_I32, NULL) || !val_push(v, t)) return false;
        } else if (!val_pop(v, t, NULL) || !val_pop(v, CL_I32, NULL)) {
          return false;
        }
        break;
      }
      case OP_MEMORY_SIZE:
      case OP_MEMORY_GROW:
        cl_read_u8(&v->r);
        if (!val_memory(v)) return false;
        if (op == OP_MEMORY_GROW && !val_pop(v, CL_I32, NULL)) return false;
        if (!val_push(v, CL_I32)) return false;
        break;
      case OP_I32_CONST:
        cl_read_s32(&v->r);
        if (!val_push(v, CL_I32)) return false;
        break;
      case OP_I64_CONST:
        cl_read_s64(&v->r);
        if (!val_push(v, CL_I64)) return false;
        break;
      case OP_F32_CONST:
        cl_read_fixed32(&v->r);
        if (!val_push(v, CL_F32)) return false;
        break;
      case OP_F64_CONST:
        cl_read_fixed64(&v->r);
        if (!val_push(v, CL_F64)) return false;
        break;
      case OP_REF_NULL:
        if (!val_push(v, cl_read_u8(&v->r))) return false;
        break;
      case OP_REF_IS_NULL: {
        uint8_t t = CL_BOTTOM;
        if (!val_pop(v, CL_BOTTOM, &t)) return false;
        if (t != CL_BOTTOM && t != CL_FUNCREF && t != CL_EXTERNREF)
          return val_fail(v,
                          "type mismatch in ref.is_null: expected a "
                          "reference, got %s",
                          cl_valtype_name(t));
        if (!val_push(v, CL_I32)) return false;
        break;
      }
      case OP_REF_FUNC: {
        uint32_t x = val_u32(v);
        if (!val_func_index(v, x)) return false;
        if (!m->declared_refs[x])
          return val_fail(v,
                          "undeclared function reference %u (ref.func needs "
                          "the function in an element segment, an export or "
                          "a global)",
                          x);
        if (!val_push(v, CL_FUNCREF)) return false;
        break;
      }
      case OP_PREFIX_FC:
        if (!val_instr_fc(v)) return false;
        break;
      case OP_PREFIX_FD:
        if (!val_instr_fd(v)) return false;
        break;
      default:
        return val_fail_st(v, v->at, CLAVE_EMALFORMED, "illegal opcode 0x%02x",
                           op);
    }
  }
  if (!cl_reader_ok(&v->r) || v->r.p != v->r.end)
    return val_fail_st(v, v->at, CLAVE_EMALFORMED,
                       "section size mismatch after the function's end");
  return true;
}

/* ---- module-level rules ------------------------------------------------- */

/* A constant expression of type want.  In core 2.0 it sees only imported
 * globals, and only immutable ones. */
static bool val_const(val *v, const cl_constexpr *e, uint8_t want) {
  cl_module *m = v->m;
  v->at = e->offset;
  if (e->len == 0) { /* a bare function index of an element segment */
    if (e->u.index >= m->nfuncs)
      return val_fail(v, "unknown function %u (%u functions)", e->u.index,
                      m->nfuncs);
    if (want != CL_FUNCREF)
      return val_fail(v, "type mismatch in element: expected %s, got funcref",
                      cl_valtype_name(want));
    return true;
  }
  cl_reader r;
  cl_reader_init(&r, m->bytes, m->bytes + e->offset,
                 m->bytes + e->offset + e->len);
  uint32_t nvals = 0;
  uint8_t last = 0;
  for (;;) {
    v->at = cl_reader_offset(&r);
    uint8_t op = cl_read_u8(&r);
    if (!cl_reader_ok(&r))
      return val_fail_st(v, v->at, CLAVE_EMALFORMED,
                         "unexpected end of section or function");
    uint8_t t = CL_BOTTOM;
    if (op == OP_END) break;
    switch (op) {
      case OP_I32_CONST:
        cl_read_s32(&r);
        t = CL_I32;
        break;
      case OP_I64_CONST:
        cl_read_s64(&r);
        t = CL_I64;
        break;
      case OP_F32_CONST:
        cl_read_fixed32(&r);
        t = CL_F32;
        break;
      case OP_F64_CONST:
        cl_read_fixed64(&r);
        t = CL_F64;
        break;
      case OP_REF_NULL:
        t = cl_read_u8(&r);
        break;
      case OP_PREFIX_FD: {
        uint32_t sub = cl_read_u32(&r);
        if (sub != OPFD_V128_CONST) {
          const cl_simd_info *si = cl_simd_op(sub);
          return val_fail(v, "constant expression required: %s is not constant",
                          si ? si->name : "this instruction");
        }
        cl_read_fixed64(&r);
        cl_read_fixed64(&r);
        t = CL_V128;
        break;
      }
      case OP_REF_FUNC: {
        uint32_t x = cl_read_u32(&r);
        if (x >= m->nfuncs)
          return val_fail(v, "unknown function %u (%u functions)", x,
                          m->nfuncs);
        t = CL_FUNCREF;
        break;
      }
      case OP_GLOBAL_GET: {
        uint32_t x = cl_read_u32(&r);
        if (x >= m->nglobal_imports)
          return val_fail(v,
                          "unknown global %u (constant expressions see only "
                          "the %u imported globals)",
                          x, m->nglobal_imports);
        if (m->globals[x].type.mut)
          return val_fail(v,
                          "constant expression required: global.get of "
                          "mutable global %u",
                          x);
        t = m->globals[x].type.type;
        break;
      }
      default:
        return val_fail(v, "constant expression required: %s is not constant",
                        val_names[op] ? val_names[op] : "this instruction");
    }
    nvals++;
    last = t;
  }
  v->at = e->offset;
  if (nvals != 1)
    return val_fail(v,
                    "type mismatch in constant expression: expected one %s, "
                    "got %u values",
                    cl_valtype_name(want), nvals);
  if (last != want)
    return val_fail(v,
                    "type mismatch in constant expression: expected %s, got %s",
                    cl_valtype_name(want), cl_valtype_name(last));
  return true;
}

static bool val_table_limits(val *v, const cl_limits *l) {
  if (l->has_max && l->min > l->max)
    return val_fail(v,
                    "size minimum must not be greater than maximum (%u > %u)",
                    l->min, l->max);
  return true;
}

static bool val_memory_limits(val *v, const cl_limits *l) {
  if (l->min > CL_MAX_MEMORY_PAGES ||
      (l->has_max && l->max > CL_MAX_MEMORY_PAGES))
    return val_fail(v, "memory size must be at most 65536 pages (4GiB)");
  if (l->has_max && l->min > l->max)
    return val_fail(v,
                    "size minimum must not be greater than maximum (%u > %u)",
                    l->min, l->max);
  return true;
}

static int val_name_cmp(const void *a, const void *b) {
  const cl_name *x = *(const cl_name *const *)a;
  const cl_name *y = *(const cl_name *const *)b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return memcmp(x->str, y->str, x->len);
}

static bool val_exports(val *v) {
  cl_module *m = v->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const cl_export *ex = &m->exports[i];
    snprintf(v->where, sizeof v->where, "export section, export %u", i);
    v->at = VAL_NO_OFFSET;
    uint32_t limit = 0;
    const char *what = "";
    switch (ex->kind) {
      case CL_EXT_FUNC:
        limit = m->nfuncs;
        what = "function";
        break;
      case CL_EXT_TABLE:
        limit = m->ntables;
        what = "table";
        break;
      case CL_EXT_MEMORY:
        limit = m->nmems;
        what = "memory";
        break;
      default:
        limit = m->nglobals;
        what = "global";
        break;
    }
    if (ex->index >= limit)
      return val_fail(v, "unknown %s %u in export \"%s\"", what, ex->index,
                      ex->name.str);
  }
  if (m->nexports < 2) return true;
  const cl_name **names = malloc(m->nexports * sizeof *names);
  if (!names) return val_nomem(v);
  for (uint32_t i = 0; i < m->nexports; i++) names[i] = &m->exports[i].name;
  qsort(names, m->nexports, sizeof *names, val_name_cmp);
  bool ok = true;
  for (uint32_t i = 1; i < m->nexports && ok; i++) {
    if (val_name_cmp(&names[i - 1], &names[i]) == 0) {
      snprintf(v->where, sizeof v->where, "export section");
      ok = val_fail(v, "duplicate export name \"%s\"", names[i]->str);
    }
  }
  free(names);
  return ok;
}

/* C.refs: every function that ref.func may name in a body. */
static bool val_declared_refs(val *v) {
  cl_module *m = v->m;
  m->declared_refs = calloc(m->nfuncs ? m->nfuncs : 1, 1);
  if (!m->declared_refs) return val_nomem(v);
#define MARK(e)                                                   \
  do {                                                            \
    if ((e)->op == CL_CONST_REF_FUNC && (e)->u.index < m->nfuncs) \
      m->declared_refs[(e)->u.index] = 1;                         \
  } while (0)
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
    MARK(&m->globals[i].init);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const cl_elem *e = &m->elems[i];
    if (e->mode == CL_SEG_ACTIVE) MARK(&e->offset);
    for (uint32_t j = 0; j < e->count; j++) MARK(&e->items[j]);
  }
  for (uint32_t i = 0; i < m->ndatas; i++)
    if (m->datas[i].mode == CL_SEG_ACTIVE) MARK(&m->datas[i].offset);
#undef MARK
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == CL_EXT_FUNC && m->exports[i].index < m->nfuncs)
      m->declared_refs[m->exports[i].index] = 1;
  return true;
}

static bool val_module(val *v) {
  cl_module *m = v->m;
  /* imports */
  for (uint32_t i = 0; i < m->nimports; i++) {
    const cl_import *im = &m->imports[i];
    snprintf(v->where, sizeof v->where, "import section, import %u (%s.%s)", i,
             im->module.str, im->name.str);
    v->at = VAL_NO_OFFSET;
    bool ok = true;
    switch (im->kind) {
      case CL_EXT_FUNC:
        ok = val_type_index(v, im->desc.typeidx);
        break;
      case CL_EXT_TABLE:
        ok = val_table_limits(v, &im->desc.table.lim);
        break;
      case CL_EXT_MEMORY:
        ok = val_memory_limits(v, &im->desc.mem.lim);
        break;
      default:
        break;
    }
    if (!ok) return false;
  }
  /* functions */
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
    snprintf(v->where, sizeof v->where, "function section, function %u", i);
    v->at = VAL_NO_OFFSET;
    if (!val_type_index(v, m->func_types[i])) return false;
  }
  /* tables and memories */
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
    snprintf(v->where, sizeof v->where, "table section, table %u", i);
    v->at = VAL_NO_OFFSET;
    if (!val_table_limits(v, &m->tables[i].lim)) return false;
  }
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
    snprintf(v->where, sizeof v->where, "memory section, memory %u", i);
    v->at = VAL_NO_OFFSET;
    if (!val_memory_limits(v, &m->mems[i].lim)) return false;
  }
  if (m->nmems > 1) {
    snprintf(v->where, sizeof v->where, "memory section");
    v->at = VAL_NO_OFFSET;
    return val_fail(v, "multiple memories (%u; at most 1 in WebAssembly 2.0)",
                    m->nmems);
  }
  if (!val_declared_refs(v)) return false;
  /* globals */
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
    snprintf(v->where, sizeof v->where, "global section, global %u", i);
    if (!val_const(v, &m->globals[i].init, m->globals[i].type.type))
      return false;
  }
  if (!val_exports(v)) return false;
  /* start */
  if (m->has_start) {
    snprintf(v->where, sizeof v->where, "start section");
    v->at = VAL_NO_OFFSET;
    if (!val_func_index(v, m->start)) return false;
    const cl_functype *ft = cl_func_type(m, m->start);
    if (ft->nparams || ft->nresults)
      return val_fail(v,
                      "start function %u must have type [] -> [], not %u "
                      "params and %u results",
                      m->start, ft->nparams, ft->nresults);
  }
  /* element segments */
  for (uint32_t i = 0; i < m->nelems; i++) {
    const cl_elem *e = &m->elems[i];
    snprintf(v->where, sizeof v->where, "element section, segment %u", i);
    if (e->mode == CL_SEG_ACTIVE) {
      v->at = e->offset.offset;
      if (!val_table_index(v, e->table)) return false;
      if (m->tables[e->table].elem != e->reftype)
        return val_fail(v, "type mismatch: segment of %s for table %u of %s",
                        cl_valtype_name(e->reftype), e->table,
                        cl_valtype_name(m->tables[e->table].elem));
      if (!val_const(v, &e->offset, CL_I32)) return false;
    }
    for (uint32_t j = 0; j < e->count; j++)
      if (!val_const(v, &e->items[j], e->reftype)) return false;
  }
  /* data segments */
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const cl_data *d = &m->datas[i];
    if (d->mode != CL_SEG_ACTIVE) continue;
    snprintf(v->where, sizeof v->where, "data section, segment %u", i);
    v->at = d->offset.offset;
    if (d->mem >= m->nmems)
      return val_fail(v, "unknown memory %u (%u memories)", d->mem, m->nmems);
    if (!val_const(v, &d->offset, CL_I32)) return false;
  }
  /* function bodies */
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
    if (!val_body(v, i)) return false;
  return true;
}

clave_status cl_validate(cl_module *m, clave_error *err) {
  val v;
  memset(&v, 0, sizeof v);
  v.m = m;
  v.err = err;
  v.status = CLAVE_OK;
  snprintf(v.where, sizeof v.where, "module");
  free(m->declared_refs);
  m->declared_refs = NULL;
  bool ok = val_module(&v);
  free(v.vals);
  free(v.ctrls);
  free(v.locals);
  free(v.tmp);
  return ok ? CLAVE_OK : v.status;
}
