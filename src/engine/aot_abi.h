/*
 * aot_abi.h - the contract between libclave and the C code that the AOT
 * tier generates (internal).
 *
 * The generated shared object cannot include engine headers (it is
 * compiled later, anywhere, by whatever C compiler the machine has), and
 * the library cannot see the object's types, so both sides take their
 * types from the one macro below: the library expands it as C, the
 * generator pastes its text (stringized) at the top of every generated
 * file.  The layout of cl_aot_slot is that of cl_slot (runtime.h), checked
 * by a static assertion in aot_rt.c.  CL_AOT_ABI_VERSION is part of every
 * object's cache key and is checked when an object is loaded: change it
 * with any change here or in what the generator emits.
 *
 * What generated code sees:
 *   cl_aot_ctx   one per entry into native code (on the entering C stack):
 *                the instance's memory, globals and functions, the
 *                exec's slot stack and limits, the fuel/deadline budget.
 *                Generated functions take it as their first argument.
 *   cl_aot_api   the library's helpers (traps, calls out of native code,
 *                tables, bulk memory, the budget's slow path); one
 *                constant table per process.
 *   cl_aot_desc  what the object exports (its only exported symbol,
 *                CL_AOT_DESC_SYMBOL): entry points per defined function in
 *                the clave_func.native form and the typed C functions
 *                themselves (for call_indirect within one instance).
 */
#ifndef CLAVE_ENGINE_AOT_ABI_H
#define CLAVE_ENGINE_AOT_ABI_H

#include <stdint.h>

#define CL_AOT_ABI_VERSION 1
#define CL_AOT_DESC_SYMBOL "clave_aot_desc"

/* Bits of cl_aot_desc.flags (and of the generator's options). */
#define CL_AOT_BOUNDS_CHECKS 0x1u /* explicit checks, no guard pages */

#define CL_AOT_ABI_DECLS                                                       \
  typedef union cl_aot_slot {                                                  \
    uint32_t u32;                                                              \
    uint64_t u64;                                                              \
    float f32;                                                                 \
    double f64;                                                                \
    void *ref;                                                                 \
  } cl_aot_slot;                                                               \
  struct cl_aot_api;                                                           \
  typedef struct cl_aot_ctx {                                                  \
    int64_t budget;                                                            \
    uint8_t *mem;                                                              \
    uint64_t memsize;                                                          \
    cl_aot_slot **g;                                                           \
    void **funcs;                                                              \
    cl_aot_slot *stack;                                                        \
    uint64_t stack_slots;                                                      \
    uint32_t max_depth;                                                        \
    uint32_t fp0;                                                              \
    uint32_t d0;                                                               \
    uint32_t pad_;                                                             \
    uintptr_t cstack_limit;                                                    \
    const struct cl_aot_api *api;                                              \
  } cl_aot_ctx;                                                                \
  typedef void (*cl_aot_body)(cl_aot_ctx *, cl_aot_slot *);                    \
  typedef int (*cl_aot_entry)(void *, void *, cl_aot_slot *);                  \
  typedef struct cl_aot_api {                                                  \
    void (*trap)(cl_aot_ctx *, int) __attribute__((noreturn));                 \
    int64_t (*refill)(cl_aot_ctx *);                                           \
    int (*enter)(void *, void *, cl_aot_slot *, cl_aot_body);                  \
    void (*call_import)(cl_aot_ctx *, uint32_t, uint64_t, uint32_t);           \
    void *(*indirect)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t);             \
    void (*call_pending)(cl_aot_ctx *, uint64_t, uint32_t);                    \
    uint32_t (*memory_size)(cl_aot_ctx *);                                     \
    uint32_t (*memory_grow)(cl_aot_ctx *, uint32_t);                           \
    void (*memory_init)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t, uint32_t); \
    void (*data_drop)(cl_aot_ctx *, uint32_t);                                 \
    void (*memory_copy)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t);           \
    void (*memory_fill)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t);           \
    void *(*table_get)(cl_aot_ctx *, uint32_t, uint32_t);                      \
    void (*table_set)(cl_aot_ctx *, uint32_t, uint32_t, void *);               \
    uint32_t (*table_size)(cl_aot_ctx *, uint32_t);                            \
    uint32_t (*table_grow)(cl_aot_ctx *, uint32_t, void *, uint32_t);          \
    void (*table_fill)(cl_aot_ctx *, uint32_t, uint32_t, void *, uint32_t);    \
    void (*table_copy)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t, uint32_t,   \
                       uint32_t);                                              \
    void (*table_init)(cl_aot_ctx *, uint32_t, uint32_t, uint32_t, uint32_t,   \
                       uint32_t);                                              \
    void (*elem_drop)(cl_aot_ctx *, uint32_t);                                 \
  } cl_aot_api;                                                                \
  typedef struct cl_aot_desc {                                                 \
    uint32_t abi;                                                              \
    uint32_t flags;                                                            \
    uint32_t nfuncs;                                                           \
    char key[65];                                                              \
    const cl_aot_api **api;                                                    \
    const cl_aot_entry *entry;                                                 \
    void *const *direct;                                                       \
  } cl_aot_desc;

/* The text of CL_AOT_ABI_DECLS, for the generator. */
#define CL_AOT_STR_(...) #__VA_ARGS__
#define CL_AOT_STR(...) CL_AOT_STR_(__VA_ARGS__)

#endif /* CLAVE_ENGINE_AOT_ABI_H */
