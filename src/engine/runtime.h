/*
 * runtime.h - the engine's run-time objects and translated code (internal).
 *
 * translate.c turns each validated function into cl_code: a dense stream of
 * 32-bit words, each instruction a handler word followed by its operands
 * (frame slot indices, immediates, resolved branch targets).  Operands name
 * 64-bit frame slots: a function's frame is [params][locals][operand
 * stack], so wasm's operand stack is resolved to fixed slots at translation
 * time and the interpreter (interp.c) never pushes or pops.  A second
 * backend (the AOT tier) consumes the same cl_code.
 *
 * Run-time objects (functions, tables, memories, globals) are reference
 * counted so that instances can share them through imports and exports.
 */
#ifndef CLAVE_ENGINE_RUNTIME_H
#define CLAVE_ENGINE_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clave/engine.h"
#include "engine/module.h"

#if defined(__GNUC__)
#define CL_LIKELY(x) __builtin_expect(!!(x), 1)
#define CL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CL_LIKELY(x) (x)
#define CL_UNLIKELY(x) (x)
#endif

/* One operand slot.  v128 values will take two consecutive slots. */
typedef union cl_slot {
  int32_t i32;
  uint32_t u32;
  int64_t i64;
  uint64_t u64;
  float f32;
  double f64;
  void *ref;
} cl_slot;

/* ---- translated code ---- */

/* Code is a stream of 16-bit units: each instruction starts with its
 * handler (32 bits, two units), then its operands: a frame slot takes one
 * unit, an immediate, an index or a branch target two (read with
 * cl_u32_at; targets are unit indices from the start of the function). */
#define CL_MAX_FRAME_SLOTS 65535u

static inline uint32_t cl_u32_at(const uint16_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

typedef struct cl_code {
  uint16_t *words;
  uint32_t nwords;
  uint32_t nparams;     /* slots holding the parameters */
  uint32_t nresults;
  uint32_t nlocals;     /* declared locals after the params (zeroed) */
  uint32_t frame_slots; /* params + locals + max operand stack */
  uint32_t funcidx;     /* index in the module's function space */
} cl_code;

/* the translator's interface */
clave_status cl_translate_module(const cl_module *m, cl_code **codes_out,
                                 clave_error *err);
void cl_codes_free(cl_code *codes, uint32_t n);

/* ---- objects ---- */

typedef enum cl_objkind {
  CL_OBJ_FUNC,
  CL_OBJ_TABLE,
  CL_OBJ_MEMORY,
  CL_OBJ_GLOBAL
} cl_objkind;

typedef struct cl_object {
  uint32_t refs;
  uint8_t kind;
} cl_object;

/* A function type owned by a function object (a copy, so a function can
 * outlive the module it came from). */
typedef struct cl_sig {
  uint32_t nparams, nresults;
  uint8_t *types; /* params then results */
} cl_sig;

typedef struct cl_exec cl_exec;

/* A function compiled to native code (the AOT tier).  It runs under the
 * caller's exec (stacks, budget) with its arguments in io[] in slot layout
 * and writes its results there; on a trap it sets ex->trap/trap_msg and
 * returns CLAVE_ETRAP. */
typedef clave_status (*cl_native_fn)(cl_exec *ex, clave_instance *inst,
                                     cl_slot *io);

struct clave_func {
  cl_object obj;
  cl_sig sig;
  clave_instance *inst;      /* wasm functions: the defining instance */
  const cl_code *code;       /* interpreted wasm functions: translated body */
  cl_native_fn native;       /* AOT-compiled wasm functions (code NULL) */
  clave_host_fn host;        /* host functions */
  void *user;
  void (*user_free)(void *);
  clave_valtype *pub_types;  /* sig.types as clave_valtype, for the API */
  bool owns_types;           /* host functions own sig.types/pub_types */
};

struct clave_table {
  cl_object obj;
  clave_instance *owner;  /* the instance that defined it, or NULL */
  uint8_t elem; /* CL_FUNCREF / CL_EXTERNREF */
  uint32_t size;
  uint32_t max; /* effective maximum (declared max and limit) */
  bool has_max;
  void **elems;
  uint32_t cap;
};

struct clave_memory {
  cl_object obj;
  uint8_t *data;      /* base of the reservation */
  uint64_t size;      /* bytes accessible: pages * 64 KiB */
  uint32_t pages;
  uint32_t max_pages; /* effective maximum */
  bool has_max;       /* declared maximum present */
  uint32_t decl_max;
  uint64_t reserved;  /* bytes of address space reserved */
};

struct clave_global {
  cl_object obj;
  uint8_t type;
  bool mut;
  /* The value; a v128 takes value and value_hi, 16 contiguous bytes (as
   * two frame slots do), so gvals[i] addresses the whole of it. */
  cl_slot value;
  cl_slot value_hi;
};
_Static_assert(__builtin_offsetof(struct clave_global, value_hi) ==
                   __builtin_offsetof(struct clave_global, value) + 8,
               "a v128 global is 16 contiguous bytes");

struct clave_engine {
  uint32_t flags;
  clave_instance *parked; /* released instances whose functions escaped */
  struct cl_aot_engine *aot; /* AOT tier settings (aot_build.c) */
};

struct clave_module {
  uint32_t refs; /* the embedder's + one per instance */
  clave_engine *engine;
  cl_module *m;
  cl_code *codes; /* one per defined function */
  size_t code_bytes;
  /* per type index, shared by every instance's functions */
  uint8_t **sig_types;         /* params then results */
  clave_valtype **pub_types;   /* the same as clave_valtype */
  struct cl_aot_module *aot;   /* native code (aot_build.c), or NULL */
};

/* One activation record of the interpreter (the frame stack is separate
 * from the slot stack so that slots stay dense). */
typedef struct cl_frame {
  const uint16_t *ret_pc;
  cl_slot *ret_fp;
  clave_instance *ret_inst;
  const cl_code *code;
} cl_frame;

/* Execution state of an instance: the stacks and the budget. */
struct cl_exec {
  cl_slot *stack;
  cl_slot *stack_end;
  cl_frame *frames;
  cl_frame *frames_end;
  cl_slot *sp;        /* first free slot (for nested host->wasm calls) */
  cl_frame *fp_top;   /* first free frame */
  int64_t fuel_left;  /* -1: unlimited */
  uint64_t fuel_used;
  uint64_t deadline_ns; /* 0: none */
  atomic_int interrupt;
  int depth;          /* nested interpreter entries */
  /* trap state */
  clave_trap_kind trap;
  int exit_code;
  char trap_msg[256];
};

struct clave_instance {
  clave_engine *engine;
  clave_module *module;
  const cl_module *m;
  clave_func **funcs;
  clave_table **tables;
  clave_memory *mem; /* memory 0 or NULL */
  clave_global **globals;
  cl_slot **gvals;   /* &globals[i]->value */
  uint8_t *data_dropped;
  uint8_t *elem_dropped;
  void ***elem_refs; /* evaluated items of each elem segment */
  clave_func *own_funcs; /* the module's defined functions */
  uint32_t refs;     /* the embedder's reference + retained functions */
  bool escaped;      /* a function of it sits in another's table */
  clave_instance *next_parked;
  clave_limits limits;
  cl_exec exec;
};

struct clave_caller {
  clave_instance *inst;
  cl_exec *exec;
};

/* Slots a value of this type takes (a v128: two). */
static inline uint32_t cl_type_slots(uint8_t type) {
  return type == CL_V128 ? 2 : 1;
}

/* The value of `type` held in slots s[0..] (the one conversion between
 * the engine's slots and the API's values). */
static inline clave_value cl_value_from_slots(uint8_t type, const cl_slot *s) {
  clave_value v;
  __builtin_memset(&v, 0, sizeof v);
  v.type = (clave_valtype)type;
  switch (type) {
    case CL_I32: v.of.i32 = s->i32; break;
    case CL_F32: v.of.f32_bits = s->u32; break;
    case CL_I64: v.of.i64 = s->i64; break;
    case CL_F64: v.of.f64_bits = s->u64; break;
    case CL_V128: __builtin_memcpy(v.of.v128, s, 16); break;
    default: v.of.externref = s->ref; break;
  }
  return v;
}

/* Store v into slots s[0..] as a value of `type`; returns the slots used. */
static inline uint32_t cl_value_to_slots(uint8_t type, clave_value v,
                                         cl_slot *s) {
  s->u64 = 0;
  switch (type) {
    case CL_I32: s->u32 = (uint32_t)v.of.i32; break;
    case CL_F32: s->u32 = v.of.f32_bits; break;
    case CL_I64: s->i64 = v.of.i64; break;
    case CL_F64: s->u64 = v.of.f64_bits; break;
    case CL_V128: __builtin_memcpy(s, v.of.v128, 16); break;
    default: s->ref = v.of.externref; break;
  }
  return cl_type_slots(type);
}

/* ---- runtime.c ---- */
void cl_obj_retain(cl_object *o);
void cl_obj_release(cl_object *o);
clave_func *cl_func_new_wasm(clave_instance *inst, uint32_t funcidx);
bool cl_sig_equal(const cl_sig *a, const cl_sig *b);
bool cl_sig_matches(const cl_sig *a, const cl_functype *t);
int64_t cl_memory_grow(clave_memory *mem, uint32_t delta);
int64_t cl_table_grow(clave_table *t, uint32_t delta, void *init);
/* Function f is being stored into funcref table t: if t belongs to
 * another instance, f's instance must outlive its last reference (it is
 * parked on the engine until clave_engine_free). */
static inline void cl_table_pin(clave_table *t, void *ref) {
  clave_func *f = (clave_func *)ref;
  if (t->elem == CL_FUNCREF && f && f->inst && f->inst != t->owner)
    f->inst->escaped = true;
}
uint64_t cl_now_ns(void);

/* Guard region: every linear memory reserves this much address space, so
 * that base + any u32 address + any u32 offset stays inside the
 * reservation (native code can rely on faults instead of checks). */
#define CL_MEMORY_RESERVE ((8ull << 30) + 65536ull)

/* ---- interp.c ---- */

/* The slow path of the fuel/deadline counter: the current checkpoint
 * found the budget spent.  Checks the interrupt flag and the clock, grants
 * the next chunk (one unit of it for this checkpoint) into *budget and
 * returns the trap to raise, or CLAVE_TRAP_NONE.  cl_budget_return gives
 * an unspent grant back.  Shared by the interpreter and native code. */
clave_trap_kind cl_budget_refill(cl_exec *ex, int64_t *budget);
void cl_budget_return(cl_exec *ex, int64_t *budget);

/* Call host function f with its arguments in slots[0..] and its results
 * written back there (a v128 takes two slots): the API's values in and
 * out, a failing status as a host trap.  The interpreter's host calls and
 * the AOT tier's (aot_rt.c) both go through it. */
clave_status cl_call_host(cl_exec *ex, clave_instance *caller_inst,
                          clave_func *f, cl_slot *slots);

/* Handler table: word to store for each internal op (see interp_ops.h). */
const int32_t *cl_interp_handlers(void);
/* Run func with args in slots; results written to the same array. */
clave_status cl_interp_call(clave_instance *inst, clave_func *func,
                            cl_slot *args_results, clave_error *err);

#endif /* CLAVE_ENGINE_RUNTIME_H */
