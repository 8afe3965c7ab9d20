/*
 * module.h - the decoded form of a WebAssembly module (internal).
 *
 * decode.c fills a cl_module from bytes, validate.c checks it, translate.c
 * turns each function body into the interpreter's internal code.  Nothing
 * here executes; nothing outside src/engine includes this file.
 *
 * Index spaces follow the spec: imported functions (tables, memories,
 * globals) come first, then the module's own.  Every array below is
 * indexed by the full index space unless it says "defined only".
 *
 * Function bodies are not copied: cl_func.code points into cl_module.bytes,
 * the module's own copy of the binary.
 */
#ifndef CLAVE_ENGINE_MODULE_H
#define CLAVE_ENGINE_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

/* value types as encoded in the binary */
enum {
  CL_I32 = 0x7F,
  CL_I64 = 0x7E,
  CL_F32 = 0x7D,
  CL_F64 = 0x7C,
  CL_V128 = 0x7B,
  CL_FUNCREF = 0x70,
  CL_EXTERNREF = 0x6F,
  CL_BOTTOM = 0x00 /* validator only: the unknown type of unreachable code */
};

/* external kinds as encoded in the binary (same as clave_extern_kind) */
enum { CL_EXT_FUNC = 0, CL_EXT_TABLE = 1, CL_EXT_MEMORY = 2, CL_EXT_GLOBAL = 3 };

/* implementation limits (each also enforced by the decoder with an error
 * that says which limit was passed) */
#define CL_MAX_TYPES 1000000u
#define CL_MAX_FUNCS 1000000u
#define CL_MAX_IMPORTS 100000u
#define CL_MAX_EXPORTS 100000u
#define CL_MAX_GLOBALS 1000000u
#define CL_MAX_SEGMENTS 100000u
#define CL_MAX_TABLES 100000u
#define CL_MAX_LOCALS 50000u        /* per function, params included */
#define CL_MAX_PARAMS 1000u
#define CL_MAX_RESULTS 1000u
#define CL_MAX_FUNC_SIZE (8u << 20) /* bytes of one function body */
#define CL_MAX_MEMORY_PAGES 65536u  /* 4 GiB */
#define CL_MAX_TABLE_ELEMS 0xFFFFFFFFu

typedef struct cl_functype {
  uint32_t nparams;
  uint32_t nresults;
  uint8_t *params;  /* nparams value types */
  uint8_t *results; /* nresults value types */
} cl_functype;

typedef struct cl_limits {
  uint32_t min;
  uint32_t max;
  bool has_max;
} cl_limits;

typedef struct cl_tabletype {
  uint8_t elem; /* CL_FUNCREF or CL_EXTERNREF */
  cl_limits lim;
} cl_tabletype;

typedef struct cl_memtype {
  cl_limits lim; /* in 64 KiB pages */
} cl_memtype;

typedef struct cl_globaltype {
  uint8_t type;
  bool mut;
} cl_globaltype;

/* A constant expression.  Core 2.0 allows exactly one instruction before
 * `end`; the decoder records it here. */
enum {
  CL_CONST_I32 = 0x41,
  CL_CONST_I64 = 0x42,
  CL_CONST_F32 = 0x43,
  CL_CONST_F64 = 0x44,
  CL_CONST_V128 = 0xFD, /* v128.const */
  CL_CONST_REF_NULL = 0xD0,
  CL_CONST_REF_FUNC = 0xD2,
  CL_CONST_GLOBAL_GET = 0x23,
  /* Anything but one of the above followed by `end` (several
   * instructions, a non-constant one, none at all).  Such a module never
   * passes cl_validate, which re-reads the expression's bytes to say why. */
  CL_CONST_OTHER = 0x00
};

typedef struct cl_constexpr {
  uint8_t op; /* CL_CONST_* */
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    uint8_t reftype; /* ref.null */
    uint32_t index;  /* ref.func function index / global.get global index */
  } u;
  uint32_t offset; /* byte offset of the expression in the module */
  uint32_t len;    /* bytes of the expression, final `end` included; 0 for
                      an element given as a bare function index (elem
                      segment kinds 0-3), where offset is the index's */
} cl_constexpr;

typedef struct cl_name {
  char *str; /* NUL terminated copy (the name may itself hold NULs) */
  uint32_t len;
} cl_name;

typedef struct cl_import {
  cl_name module;
  cl_name name;
  uint8_t kind; /* CL_EXT_* */
  union {
    uint32_t typeidx; /* CL_EXT_FUNC */
    cl_tabletype table;
    cl_memtype mem;
    cl_globaltype global;
  } desc;
} cl_import;

typedef struct cl_export {
  cl_name name;
  uint8_t kind;
  uint32_t index;
} cl_export;

/* A defined function (defined only: funcs[i] is function
 * nfunc_imports + i). */
typedef struct cl_func {
  uint32_t typeidx;
  uint32_t nlocals;     /* declared locals, params not included */
  uint8_t *local_types; /* nlocals value types */
  const uint8_t *code;  /* first instruction (after the locals) */
  const uint8_t *end;   /* one past the final `end` opcode */
  uint32_t body_offset; /* byte offset of the body's size field */
  uint32_t code_offset; /* byte offset of `code` in the module */
} cl_func;

typedef struct cl_global {
  cl_globaltype type;
  cl_constexpr init; /* unused for imported globals */
} cl_global;

enum { CL_SEG_ACTIVE = 0, CL_SEG_PASSIVE = 1, CL_SEG_DECLARATIVE = 2 };

typedef struct cl_elem {
  uint8_t mode;     /* CL_SEG_* */
  uint8_t reftype;  /* CL_FUNCREF or CL_EXTERNREF */
  uint32_t table;   /* active only */
  cl_constexpr offset; /* active only */
  uint32_t count;
  cl_constexpr *items; /* count entries: ref.func / ref.null / global.get */
} cl_elem;

typedef struct cl_data {
  uint8_t mode;   /* CL_SEG_ACTIVE or CL_SEG_PASSIVE */
  uint32_t mem;   /* active only */
  cl_constexpr offset;
  const uint8_t *bytes; /* points into cl_module.bytes */
  uint32_t len;
} cl_data;

typedef struct cl_custom {
  cl_name name;
  const uint8_t *bytes;
  uint32_t len;
} cl_custom;

typedef struct cl_module {
  uint8_t *bytes; /* owned copy of the binary */
  size_t len;

  cl_functype *types;
  uint32_t ntypes;

  cl_import *imports;
  uint32_t nimports;

  /* function index space */
  uint32_t nfuncs;        /* imported + defined */
  uint32_t nfunc_imports;
  uint32_t *func_types;   /* nfuncs type indices */
  cl_func *funcs;         /* defined only: nfuncs - nfunc_imports */

  cl_tabletype *tables;   /* ntables, imported first */
  uint32_t ntables;
  uint32_t ntable_imports;

  cl_memtype *mems;       /* nmems (at most 1 in core 2.0) */
  uint32_t nmems;
  uint32_t nmem_imports;

  cl_global *globals;     /* nglobals, imported first */
  uint32_t nglobals;
  uint32_t nglobal_imports;

  cl_export *exports;
  uint32_t nexports;

  bool has_start;
  uint32_t start;

  cl_elem *elems;
  uint32_t nelems;

  cl_data *datas;
  uint32_t ndatas;
  bool has_datacount;
  uint32_t datacount;

  cl_custom *customs;
  uint32_t ncustoms;

  uint32_t code_section_size; /* bytes of the code section's contents */

  /* Functions that may be referenced by ref.func inside function bodies
   * (C.refs in the spec): set by the validator, nfuncs flags. */
  uint8_t *declared_refs;
} cl_module;

/* ---- decode.c ---- */

/* Decode bytes (copied) into a new module.  Returns CLAVE_OK or
 * CLAVE_EMALFORMED with err filled: "<section> section, offset 0x1f: <what>" or
 * "code section, function 3, offset 0x2a: <what>".  A module that passes
 * an implementation limit of the CL_MAX_* list gets CLAVE_ELIMIT.
 * Decoding is eager: every section and the instruction syntax of every
 * function body and constant expression (opcodes, immediates, nesting of
 * block/loop/if/else/end) are checked here, so that cl_validate only has
 * typing and index rules left.  Function indices in messages are indices
 * of the function index space (imports first). */
clave_status cl_decode(const uint8_t *bytes, size_t len, cl_module **out,
                       clave_error *err);
void cl_module_free(cl_module *m);

/* The text name of a value type ("i32", "funcref", ...; "?" for unknown);
 * in validate.c. */
const char *cl_valtype_name(uint8_t type);

/* ---- validate.c ---- */

/* Validate the whole module: types of every constant expression, index
 * bounds, the start function, duplicate exports, and every function body.
 * Returns CLAVE_OK or CLAVE_EINVALID with a message such as
 * "code section, function 3, offset 0x2a: type mismatch in i32.add:
 * expected i32, got f32".  Also fills m->declared_refs.  Expects a module
 * from cl_decode (it relies on the decoder's syntax checks; should a body
 * still be malformed, it returns CLAVE_EMALFORMED). */
clave_status cl_validate(cl_module *m, clave_error *err);

/* The function type of function index f (imported or defined). */
static inline const cl_functype *cl_func_type(const cl_module *m, uint32_t f) {
  return &m->types[m->func_types[f]];
}

/* Fill an error (used by every stage). */
void cl_error_set(clave_error *err, clave_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CLAVE_ENGINE_MODULE_H */
