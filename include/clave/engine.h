/*
 * clave/engine.h - Clave's WebAssembly engine: the public embedding API.
 *
 * The engine decodes, validates and translates a module once
 * (clave_module_load), then instantiates it any number of times with its
 * own limits (clave_instance_new) and runs its exports (clave_func_call).
 *
 * Ownership: every object made by a *_new call is owned by the caller and
 * released with the matching *_free.  Functions, tables, memories and
 * globals are reference counted: an instance keeps alive what it imports,
 * and an export handed out by clave_instance_export is borrowed from the
 * instance (valid until the instance is freed; take a reference with
 * clave_extern_retain to keep it longer).
 *
 * Errors: calls that can fail return a clave_status (0 = CLAVE_OK, negative
 * otherwise) and, when given a clave_error, fill it with a message that
 * names what is wrong and where.  A trap during a call returns CLAVE_ETRAP
 * with err->trap set; the instance and the engine stay usable.
 *
 * Threads: an engine and the objects made from it may be used by one thread
 * at a time, except clave_instance_interrupt, which any thread may call.
 * Two engines share no mutable state.
 */
#ifndef CLAVE_ENGINE_H
#define CLAVE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes and errors ------------------------------------------ */

typedef enum clave_status {
  CLAVE_OK = 0,
  CLAVE_EMALFORMED = -1,   /* binary cannot be decoded */
  CLAVE_EINVALID = -2,     /* module does not validate */
  CLAVE_EUNLINKABLE = -3,  /* an import is missing or has the wrong type */
  CLAVE_ETRAP = -4,        /* execution trapped (see clave_error.trap) */
  CLAVE_ENOMEM = -5,       /* host allocation failed */
  CLAVE_ELIMIT = -6,       /* a configured limit refused the request */
  CLAVE_EARG = -7,         /* bad argument from the embedder */
  CLAVE_ENOTFOUND = -8,    /* no such export / import */
  CLAVE_EUNSUPPORTED = -9, /* feature not supported (yet) */
  CLAVE_EIO = -10          /* reading a file failed */
} clave_status;

typedef enum clave_trap_kind {
  CLAVE_TRAP_NONE = 0,
  CLAVE_TRAP_UNREACHABLE,         /* "unreachable" */
  CLAVE_TRAP_MEMORY_OOB,          /* "out of bounds memory access" */
  CLAVE_TRAP_TABLE_OOB,           /* "out of bounds table access" */
  CLAVE_TRAP_UNDEFINED_ELEMENT,   /* "undefined element" (call_indirect) */
  CLAVE_TRAP_UNINITIALIZED_ELEMENT, /* "uninitialized element" */
  CLAVE_TRAP_INDIRECT_TYPE,       /* "indirect call type mismatch" */
  CLAVE_TRAP_NULL_REFERENCE,      /* "null reference" */
  CLAVE_TRAP_INT_OVERFLOW,        /* "integer overflow" */
  CLAVE_TRAP_INT_DIV_ZERO,        /* "integer divide by zero" */
  CLAVE_TRAP_INVALID_CONVERSION,  /* "invalid conversion to integer" */
  CLAVE_TRAP_CALL_STACK,          /* "call stack exhausted" */
  CLAVE_TRAP_FUEL,                /* "fuel exhausted" */
  CLAVE_TRAP_DEADLINE,            /* "deadline passed" (or interrupted) */
  CLAVE_TRAP_HOST,                /* a host function reported an error */
  CLAVE_TRAP_EXIT,                /* a host function asked to exit (WASI) */
  CLAVE_TRAP_KIND_COUNT
} clave_trap_kind;

typedef struct clave_error {
  clave_status status;
  clave_trap_kind trap;  /* CLAVE_TRAP_NONE unless status == CLAVE_ETRAP */
  int exit_code;         /* for CLAVE_TRAP_EXIT */
  char message[512];     /* human readable, NUL terminated */
} clave_error;

/* The spec's text for a trap kind ("integer divide by zero", ...). */
const char *clave_trap_message(clave_trap_kind kind);
/* A short name for a status ("malformed module", "trap", ...). */
const char *clave_status_name(clave_status status);

/* ---- values and types -------------------------------------------------- */

typedef enum clave_valtype {
  CLAVE_I32 = 0x7F,
  CLAVE_I64 = 0x7E,
  CLAVE_F32 = 0x7D,
  CLAVE_F64 = 0x7C,
  CLAVE_V128 = 0x7B,
  CLAVE_FUNCREF = 0x70,
  CLAVE_EXTERNREF = 0x6F
} clave_valtype;

typedef struct clave_func clave_func;
typedef struct clave_table clave_table;
typedef struct clave_memory clave_memory;
typedef struct clave_global clave_global;

/* A value.  Floats travel as their bit patterns so that NaN payloads are
 * preserved exactly; f32/f64 are there for convenience.  A null reference
 * is NULL; an externref is any host pointer the embedder chooses. */
typedef struct clave_value {
  clave_valtype type;
  union {
    int32_t i32;
    int64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    float f32;
    double f64;
    uint8_t v128[16];
    clave_func *funcref;
    void *externref;
  } of;
} clave_value;

static inline clave_value clave_i32(int32_t v) {
  clave_value r;
  r.type = CLAVE_I32;
  r.of.i64 = 0;
  r.of.i32 = v;
  return r;
}
static inline clave_value clave_i64(int64_t v) {
  clave_value r;
  r.type = CLAVE_I64;
  r.of.i64 = v;
  return r;
}

#define CLAVE_MAX_PARAMS 1000
#define CLAVE_MAX_RESULTS 1000

typedef struct clave_functype {
  uint32_t nparams;
  uint32_t nresults;
  const clave_valtype *params;
  const clave_valtype *results;
} clave_functype;

typedef enum clave_extern_kind {
  CLAVE_EXTERN_FUNC = 0,
  CLAVE_EXTERN_TABLE = 1,
  CLAVE_EXTERN_MEMORY = 2,
  CLAVE_EXTERN_GLOBAL = 3
} clave_extern_kind;

typedef struct clave_extern {
  clave_extern_kind kind;
  union {
    clave_func *func;
    clave_table *table;
    clave_memory *memory;
    clave_global *global;
  } of;
} clave_extern;

void clave_extern_retain(clave_extern ext);
void clave_extern_release(clave_extern ext);

/* ---- engine ------------------------------------------------------------ */

typedef struct clave_engine clave_engine;

/* Execution tiers.  The interpreter runs translated code directly; the
 * AOT tier compiles each module to native code with the system C compiler
 * (once per machine: objects are cached) and runs that, with the same
 * traps, fuel, limits and results (docs/aot.md). */
typedef enum clave_tier {
  CLAVE_TIER_INTERP = 0, /* the interpreter (the default) */
  CLAVE_TIER_AOT = 1,    /* native code; loading fails when it cannot be */
  CLAVE_TIER_AUTO = 2    /* AOT when a compiler is present and the module
                            is cached or large enough to pay back the
                            compile (docs/aot.md), else the interpreter */
} clave_tier;

/* clave_engine_config.flags */
#define CLAVE_ENGINE_AOT_BOUNDS_CHECKS 0x1u /* AOT code checks every memory
                                               access instead of relying on
                                               guard pages and SIGSEGV */
#define CLAVE_ENGINE_AOT_NO_CACHE 0x2u      /* compile into a temporary file;
                                               never read or write the cache */

typedef struct clave_engine_config {
  uint32_t flags;        /* CLAVE_ENGINE_* */
  clave_tier tier;       /* zero: CLAVE_TIER_INTERP */
  /* Folder of compiled AOT objects (copied); NULL: $XDG_CACHE_HOME/clave,
   * else $HOME/.cache/clave.  The C compiler is $CLAVE_CC, else cc. */
  const char *cache_dir;
} clave_engine_config;

/* "interp", "aot", "auto" */
const char *clave_tier_name(clave_tier tier);
/* The tier named name ("interp", "aot" or "auto"); false for others. */
bool clave_tier_parse(const char *name, clave_tier *out);

clave_engine *clave_engine_new(const clave_engine_config *config);
void clave_engine_free(clave_engine *engine);

/* ---- modules ----------------------------------------------------------- */

typedef struct clave_module clave_module;

/* Decode, validate (every function) and translate a module.  The bytes are
 * copied.  On failure *out is NULL and err says what is wrong and where
 * (section, function index, byte offset).  In an engine of tier AOT (or
 * AUTO, when its rule says so) the module is also compiled to native code,
 * or its object loaded from the cache: the first load of a module can take
 * seconds (docs/aot.md). */
clave_status clave_module_load(clave_engine *engine, const uint8_t *bytes,
                               size_t len, clave_module **out,
                               clave_error *err);
/* Decode and validate only (no translation): for tools and fuzzing. */
clave_status clave_module_validate(const uint8_t *bytes, size_t len,
                                   clave_error *err);
void clave_module_free(clave_module *module);

typedef struct clave_import_desc {
  const char *module; /* NUL terminated; names may hold NUL, see *_len */
  size_t module_len;
  const char *name;
  size_t name_len;
  clave_extern_kind kind;
} clave_import_desc;

typedef struct clave_export_desc {
  const char *name;
  size_t name_len;
  clave_extern_kind kind;
} clave_export_desc;

uint32_t clave_module_import_count(const clave_module *module);
void clave_module_import(const clave_module *module, uint32_t i,
                         clave_import_desc *out);
/* The function type of import i (CLAVE_EARG if it is not a function).
 * The arrays are owned by the module. */
clave_status clave_module_import_functype(const clave_module *module,
                                          uint32_t i, clave_functype *out);
uint32_t clave_module_export_count(const clave_module *module);
void clave_module_export(const clave_module *module, uint32_t i,
                         clave_export_desc *out);
/* The function type of export i (CLAVE_EARG if it is not a function). */
clave_status clave_module_export_functype(const clave_module *module,
                                          uint32_t i, clave_functype *out);
/* The bytes of the first custom section with this name, or NULL. */
const uint8_t *clave_module_custom_section(const clave_module *module,
                                           const char *name, size_t *len);
/* Size in bytes of the module's translated code (for measurements). */
size_t clave_module_code_size(const clave_module *module);
/* Size in bytes of the module's code section. */
size_t clave_module_wasm_code_size(const clave_module *module);

/* The tier the module's functions run in: CLAVE_TIER_INTERP or
 * CLAVE_TIER_AOT (an AUTO engine has decided by now). */
clave_tier clave_module_tier(const clave_module *module);

typedef struct clave_aot_info {
  clave_tier tier;    /* as clave_module_tier */
  bool cached;        /* AOT: the object came from the cache */
  double compile_ms;  /* AOT, compiled now: C generation and compiler */
  size_t c_bytes;     /* AOT, compiled now: size of the generated C */
  const char *object; /* the cached object's path, or NULL (borrowed) */
  const char *note;   /* AUTO kept the interpreter: why (or NULL) */
} clave_aot_info;

/* How the module's native code came about (for tools and benchmarks). */
void clave_module_aot_info(const clave_module *module, clave_aot_info *out);

/* ---- host objects ------------------------------------------------------ */

typedef struct clave_caller clave_caller;

/* A host function.  args has type->nparams values, results room for
 * type->nresults.  Return CLAVE_OK, or call clave_caller_trap and return
 * its value to stop the wasm caller with a trap. */
typedef clave_status (*clave_host_fn)(clave_caller *caller,
                                      const clave_value *args,
                                      clave_value *results, void *user);

clave_func *clave_func_new_host(clave_engine *engine,
                                const clave_functype *type, clave_host_fn fn,
                                void *user, void (*user_free)(void *));
/* The memory of the instance that called a host function (its memory 0),
 * or NULL when it has none. */
clave_memory *clave_caller_memory(clave_caller *caller);
/* The instance whose code called the host function (NULL if called from
 * the embedder directly). */
struct clave_instance *clave_caller_instance(clave_caller *caller);
/* Stop the caller with a trap; returns CLAVE_ETRAP. */
clave_status clave_caller_trap(clave_caller *caller, clave_trap_kind kind,
                               const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Stop the caller like a process exit with this code (WASI proc_exit). */
clave_status clave_caller_exit(clave_caller *caller, int code);

clave_global *clave_global_new(clave_engine *engine, clave_valtype type,
                               bool mutable_, clave_value init);
clave_value clave_global_get(const clave_global *global);
clave_status clave_global_set(clave_global *global, clave_value v);
clave_valtype clave_global_type(const clave_global *global, bool *mutable_);

/* max_elems UINT32_MAX or has_max=false means no maximum. */
clave_table *clave_table_new(clave_engine *engine, clave_valtype elem,
                             uint32_t min_elems, bool has_max,
                             uint32_t max_elems, clave_value init);
uint32_t clave_table_size(const clave_table *table);
clave_status clave_table_get(const clave_table *table, uint32_t i,
                             clave_value *out);

clave_memory *clave_memory_new(clave_engine *engine, uint32_t min_pages,
                               bool has_max, uint32_t max_pages);
/* Base and current byte size of a linear memory.  The base may move when
 * the memory grows: do not keep it across calls into wasm. */
uint8_t *clave_memory_data(clave_memory *memory, size_t *size);
uint32_t clave_memory_pages(const clave_memory *memory);
/* Grow by delta pages; returns the old size in pages or -1. */
int64_t clave_memory_grow(clave_memory *memory, uint32_t delta);
/* Bounds-checked copies; CLAVE_ETRAP-free: return CLAVE_EARG when the
 * range leaves the memory. */
clave_status clave_memory_read(clave_memory *memory, uint64_t offset,
                               void *buf, size_t len);
clave_status clave_memory_write(clave_memory *memory, uint64_t offset,
                                const void *buf, size_t len);

/* ---- instances and limits ---------------------------------------------- */

typedef struct clave_instance clave_instance;

typedef struct clave_limits {
  uint64_t max_memory_bytes; /* 0: 4 GiB (the wasm32 maximum) */
  uint32_t max_table_elems;  /* 0: 10,000,000 */
  uint32_t max_call_depth;   /* 0: 10,000 frames */
  uint32_t max_stack_bytes;  /* operand stack; 0: 8 MiB */
  uint64_t fuel;             /* 0: unlimited; else checkpoints allowed */
  uint64_t timeout_ms;       /* 0: none; wall-clock per top-level call */
} clave_limits;

/* imports[i] satisfies the module's i-th import (clave_module_import).
 * limits may be NULL for the defaults.  Runs data/elem segments and the
 * start function; a trap there fails instantiation with CLAVE_ETRAP. */
clave_status clave_instance_new(clave_engine *engine,
                                const clave_module *module,
                                const clave_extern *imports, size_t nimports,
                                const clave_limits *limits,
                                clave_instance **out, clave_error *err);
void clave_instance_free(clave_instance *instance);

/* Borrowed export by name. */
clave_status clave_instance_export(clave_instance *instance, const char *name,
                                   clave_extern *out);
clave_status clave_instance_export_n(clave_instance *instance,
                                     const char *name, size_t name_len,
                                     clave_extern *out);
/* Bytes the instance itself holds on the heap: its records, functions,
 * own tables and globals, segment state.  Linear memory and the stacks
 * (allocated at the first call, sized by the limits) are not counted. */
size_t clave_instance_footprint(const clave_instance *instance);
/* The instance's memory 0 (borrowed), or NULL. */
clave_memory *clave_instance_memory(clave_instance *instance);

/* Fuel left (limits.fuel minus what was used), or UINT64_MAX if unlimited;
 * clave_instance_set_fuel refills it. */
uint64_t clave_instance_fuel(const clave_instance *instance);
void clave_instance_set_fuel(clave_instance *instance, uint64_t fuel);
/* Ask a running call of this instance to stop with CLAVE_TRAP_DEADLINE at
 * its next checkpoint.  Safe from any thread.  Cleared when the next
 * top-level call starts. */
void clave_instance_interrupt(clave_instance *instance);

/* ---- functions and calls ----------------------------------------------- */

void clave_func_type(const clave_func *func, clave_functype *out);
/* Call a function (exported wasm function or host function).  nargs and
 * nresults must match its type.  Runs under the limits of the function's
 * instance. */
clave_status clave_func_call(clave_func *func, const clave_value *args,
                             size_t nargs, clave_value *results,
                             size_t nresults, clave_error *err);

/* ---- linker: imports by name ------------------------------------------- */

typedef struct clave_linker clave_linker;

clave_linker *clave_linker_new(clave_engine *engine);
void clave_linker_free(clave_linker *linker);
/* Define (module, name) -> ext.  The linker takes a reference. */
clave_status clave_linker_define(clave_linker *linker, const char *module,
                                 const char *name, clave_extern ext);
/* Define every export of inst under the module name. */
clave_status clave_linker_define_instance(clave_linker *linker,
                                          const char *module,
                                          clave_instance *inst);
/* Resolve the module's imports by name (CLAVE_EUNLINKABLE naming the first
 * import that is missing: "unknown import env.foo") and instantiate. */
clave_status clave_linker_instantiate(clave_linker *linker,
                                      const clave_module *module,
                                      const clave_limits *limits,
                                      clave_instance **out, clave_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_ENGINE_H */
