/*
 * aot.h - the native AOT tier (internal): wasm -> C -> shared object.
 *
 * A module loaded by an engine whose tier is CLAVE_TIER_AOT (or AUTO, when
 * the rule of aot_build.c picks it) is compiled once per machine: the
 * interpreter's typed slot code of each function (translate.c) becomes a C
 * function (aot_gen.c), the system C compiler builds a shared object into
 * the cache folder under the SHA-256 of the module and the build inputs,
 * and the object is loaded with dlopen (aot_build.c).  Each defined
 * function then gets a native entry in clave_func.native, which the
 * interpreter and clave_func_call already call like a host function;
 * aot_rt.c is what native code calls back into (traps, fuel, calls out,
 * tables, bulk memory) and the guard-page fault handler.
 *
 * runtime.c calls the five hooks below and nothing else of the tier.
 */
#ifndef CLAVE_ENGINE_AOT_H
#define CLAVE_ENGINE_AOT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/aot_abi.h"
#include "engine/runtime.h"

CL_AOT_ABI_DECLS

/* ---- hooks used by runtime.c ---- */

/* Record the tier settings of a new engine (config may be NULL).  Fails
 * (CLAVE_EARG / CLAVE_ENOMEM) only on a bad tier value or no memory. */
clave_status cl_aot_engine_new(clave_engine *e,
                               const clave_engine_config *config);
void cl_aot_engine_free(clave_engine *e);
/* After translation: decide the module's tier and, for AOT, load the
 * cached object or generate, compile, cache and load it (mod->aot).  With
 * CLAVE_TIER_AUTO any AOT failure quietly keeps the interpreter. */
clave_status cl_aot_module_load(clave_module *mod, clave_error *err);
void cl_aot_module_free(clave_module *mod);
/* The native entry of defined function defidx, or NULL (interpreted). */
cl_native_fn cl_aot_native(const clave_module *mod, uint32_t defidx);

/* ---- the loaded code of a module (aot_build.c) ---- */

typedef struct cl_aot_module {
  void *handle;               /* dlopen handle */
  const cl_aot_desc *desc;    /* the object's descriptor */
  uintptr_t code_lo, code_hi; /* its executable segments (fault handler) */
  uint32_t flags;             /* CL_AOT_BOUNDS_CHECKS */
  bool cached;                /* found in the cache (not compiled now) */
  double compile_ms;          /* generation + compilation, when compiled */
  size_t c_bytes;             /* size of the generated C, when compiled */
  char path[4096];            /* the object's file ("" when not cached) */
} cl_aot_module;

/* ---- the generator (aot_gen.c) ---- */

/* The C source of a module's native code: one growing buffer. */
typedef struct cl_aot_src {
  char *p;
  size_t len, cap;
  bool oom;
} cl_aot_src;

/* Generate the C of mod (flags: CL_AOT_BOUNDS_CHECKS), embedding key (64
 * hex digits) in its descriptor: one translation unit, or for a large
 * module up to max_tus of them (to compile at once; linked together),
 * malloc'ed into *tus (free with cl_aot_srcs_free).  CLAVE_EUNSUPPORTED
 * names the first internal op the generator does not know. */
clave_status cl_aot_generate(const clave_module *mod, uint32_t flags,
                             const char *key, uint32_t max_tus,
                             cl_aot_src **tus, uint32_t *ntus,
                             clave_error *err);
void cl_aot_src_free(cl_aot_src *s);
void cl_aot_srcs_free(cl_aot_src *tus, uint32_t n);
/* The generator's revision: part of every cache key, so that objects made
 * by an older generator are never loaded. */
extern const char cl_aot_gen_rev[];

/* ---- the run time (aot_rt.c) ---- */

/* The helper table every loaded object is given. */
const cl_aot_api *cl_aot_api_table(void);
/* Install the SIGSEGV/SIGBUS handler that turns a fault inside the linear
 * memory of the running native code into a trap (once per process). */
void cl_aot_install_fault_handler(void);

/* ---- SHA-256 (aot_sha256.c) ---- */

typedef struct cl_sha256 {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  uint32_t nbuf;
} cl_sha256;

void cl_sha256_init(cl_sha256 *s);
void cl_sha256_update(cl_sha256 *s, const void *data, size_t len);
void cl_sha256_final(cl_sha256 *s, uint8_t out[32]);

#endif /* CLAVE_ENGINE_AOT_H */
