/*
 * interp.c - the interpreter over translated slot code.
 *
 * One function, one loop, threaded dispatch: each handler ends by jumping
 * straight to the next handler (computed goto; a switch when built with
 * CLAVE_NO_THREADED_DISPATCH).  Handler words hold the handler's offset from
 * a base label, so code is position independent and 32 bits wide.
 *
 * wasm calls do not recurse in C: a call pushes a cl_frame and switches
 * pc/fp; only host functions are C calls.  The frame pointer fp points at
 * the callee's first parameter, which is the caller's first argument slot,
 * so arguments and results are never copied.
 *
 * Fuel and the deadline share one down-counter (`budget`) decremented at
 * every call and loop back-edge; when it runs out, the slow path checks the
 * interrupt flag and the clock and grants the next chunk of fuel.  A trap
 * never unwinds through C: the loop records the trap kind and returns.
 *
 * The SIMD handlers are a piece of the loop kept in interp_simd.inc; the
 * lane operations they use are in interp_simd.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/interp_ops.h"
#include "engine/interp_simd.h"
#include "engine/runtime.h"

#if defined(__GNUC__) && !defined(CLAVE_NO_THREADED_DISPATCH)
#define CL_THREADED 1
#endif

#define CL_CHUNK 4096 /* checkpoints between clock / interrupt checks */

/* ---- numeric helpers with wasm semantics ---- */

static inline float f32_min(float a, float b) {
  if (a != a || b != b) return a + b; /* a NaN in, a quiet NaN out */
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline float f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline uint32_t rotl32(uint32_t a, uint32_t b) {
  b &= 31;
  return (a << b) | (a >> ((32 - b) & 31));
}
static inline uint32_t rotr32(uint32_t a, uint32_t b) {
  b &= 31;
  return (a >> b) | (a << ((32 - b) & 31));
}
static inline uint64_t rotl64(uint64_t a, uint64_t b) {
  b &= 63;
  return (a << b) | (a >> ((64 - b) & 63));
}
static inline uint64_t rotr64(uint64_t a, uint64_t b) {
  b &= 63;
  return (a >> b) | (a << ((64 - b) & 63));
}

/* saturating truncations */
static inline int32_t sat_i32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483647.0) return INT32_MAX;
  return (int32_t)x;
}
static inline uint32_t sat_u32(double x) {
  if (x != x || x <= 0) return 0;
  if (x >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)x;
}
static inline int64_t sat_i64(double x) {
  if (x != x) return 0;
  if (x < -9223372036854775808.0) return INT64_MIN;
  if (x >= 9223372036854775808.0) return INT64_MAX;
  return (int64_t)x;
}
static inline uint64_t sat_u64(double x) {
  if (x != x || x <= 0) return 0;
  if (x >= 18446744073709551616.0) return UINT64_MAX;
  return (uint64_t)x;
}

/* ---- budget ---- */

/* The current checkpoint found the budget spent: check the interrupt flag
 * and the clock, then grant the next chunk (one unit of it for this
 * checkpoint).  Returns the trap to raise, or CLAVE_TRAP_NONE. */
clave_trap_kind cl_budget_refill(cl_exec *ex, int64_t *budget) {
  *budget = 0;
  if (atomic_load_explicit(&ex->interrupt, memory_order_relaxed))
    return CLAVE_TRAP_DEADLINE;
  if (ex->deadline_ns && cl_now_ns() >= ex->deadline_ns)
    return CLAVE_TRAP_DEADLINE;
  int64_t give = CL_CHUNK;
  if (ex->fuel_left >= 0) {
    if (ex->fuel_left == 0) return CLAVE_TRAP_FUEL;
    if (give > ex->fuel_left) give = ex->fuel_left;
    ex->fuel_left -= give;
  }
  *budget = give - 1;
  return CLAVE_TRAP_NONE;
}

/* Return an unspent grant to the fuel pool. */
static inline void budget_return(cl_exec *ex, int64_t *budget) {
  if (ex->fuel_left >= 0 && *budget > 0) ex->fuel_left += *budget;
  *budget = 0;
}

void cl_budget_return(cl_exec *ex, int64_t *budget) {
  budget_return(ex, budget);
}

/* Call a function that the interpreter does not run itself (a host
 * function or AOT code) with its arguments in slots[0..]. */
static inline clave_status call_other(cl_exec *ex, clave_instance *inst,
                                      clave_func *f, cl_slot *slots) {
  if (f->native) {
    ex->trap = CLAVE_TRAP_NONE;
    return f->native(ex, f->inst, slots);
  }
  return cl_call_host(ex, inst, f, slots);
}

/* ---- host calls ---- */

clave_status cl_call_host(cl_exec *ex, clave_instance *caller_inst,
                          clave_func *f, cl_slot *slots) {
  uint32_t np = f->sig.nparams, nr = f->sig.nresults;
  clave_value small_args[16], small_res[16];
  clave_value *args = np <= 16 ? small_args : malloc(np * sizeof *args);
  clave_value *res = nr <= 16 ? small_res : malloc(nr * sizeof *res);
  if (!args || !res) {
    if (args != small_args) free(args);
    if (res != small_res) free(res);
    ex->trap = CLAVE_TRAP_HOST;
    snprintf(ex->trap_msg, sizeof ex->trap_msg, "out of memory calling host");
    return CLAVE_ETRAP;
  }
  for (uint32_t i = 0, k = 0; i < np; i++) {
    args[i] = cl_value_from_slots(f->sig.types[i], &slots[k]);
    k += cl_type_slots(f->sig.types[i]);
  }
  for (uint32_t i = 0; i < nr; i++) {
    memset(&res[i], 0, sizeof res[i]);
    res[i].type = (clave_valtype)f->sig.types[np + i];
  }
  clave_caller caller = {caller_inst, ex};
  ex->trap = CLAVE_TRAP_NONE;
  clave_status st = f->host(&caller, args, res, f->user);
  if (st == CLAVE_OK) {
    for (uint32_t i = 0, k = 0; i < nr; i++)
      k += cl_value_to_slots(f->sig.types[np + i], res[i], &slots[k]);
  } else if (ex->trap == CLAVE_TRAP_NONE) {
    ex->trap = CLAVE_TRAP_HOST;
    snprintf(ex->trap_msg, sizeof ex->trap_msg,
             "host function failed (status %d)", (int)st);
  }
  if (args != small_args) free(args);
  if (res != small_res) free(res);
  return st == CLAVE_OK ? CLAVE_OK : CLAVE_ETRAP;
}

/* ---- the loop ---- */

static clave_status interp_run(cl_exec *ex, clave_instance *inst,
                               const cl_code *code, cl_slot *fp,
                               const int32_t **handlers_out);

const int32_t *cl_interp_handlers(void) {
  const int32_t *h = NULL;
  interp_run(NULL, NULL, NULL, NULL, &h);
  return h;
}

static clave_status interp_run(cl_exec *ex, clave_instance *inst,
                               const cl_code *code, cl_slot *fp,
                               const int32_t **handlers_out) {
#ifdef CL_THREADED
  static const int32_t handlers[IOP_COUNT] = {
#define X(name, words) [IOP_##name] = (int32_t)(&&L_##name - &&L_UNREACHABLE),
      CL_IOPS(X)
#undef X
  };
#else
  static const int32_t handlers[IOP_COUNT] = {
#define X(name, words) [IOP_##name] = IOP_##name,
      CL_IOPS(X)
#undef X
  };
#endif
  if (handlers_out) {
    *handlers_out = handlers;
    return CLAVE_OK;
  }

  const uint16_t *pc;
  const uint16_t *wbase;
  uint8_t *mem = NULL;
  uint64_t memsize = 0;
  int64_t budget = 0;
  clave_trap_kind trap = CLAVE_TRAP_NONE;
  cl_frame *const entry = ex->fp_top;
  cl_frame *fr = entry;
  const cl_code *callee;
  clave_instance *callee_inst;
  const uint16_t *ret_pc;
  cl_slot *nfp;
  clave_func *cf;

#define S(i) fp[pc[i]]
#define I(i) cl_u32_at(pc + (i))
#define JUMP(i)            \
  do {                     \
    pc = wbase + I(i);     \
    NEXT();                \
  } while (0)
#define RELOAD_MEM()                  \
  do {                                \
    clave_memory *m_ = inst->mem;     \
    if (m_) {                         \
      mem = m_->data;                 \
      memsize = m_->size;             \
    } else {                          \
      mem = NULL;                     \
      memsize = 0;                    \
    }                                 \
  } while (0)
#define TRAP(kind)  \
  do {              \
    trap = (kind);  \
    goto do_trap;   \
  } while (0)
#define CHECKPOINT()                                   \
  do {                                                 \
    if (CL_UNLIKELY(--budget < 0)) {                   \
      trap = cl_budget_refill(ex, &budget);            \
      if (trap != CLAVE_TRAP_NONE) goto do_trap;       \
    }                                                  \
  } while (0)

#ifdef CL_THREADED
#define CASE(name) L_##name:
#define NEXT() \
  goto *(const void *)((const char *)&&L_UNREACHABLE + (int32_t)I(0))
#else
#define CASE(name) case IOP_##name:
#define NEXT() goto dispatch
#endif

  RELOAD_MEM();
  /* enter the function like a call from the embedder */
  callee = code;
  callee_inst = inst;
  ret_pc = NULL;
  nfp = fp;
  goto enter;

#ifndef CL_THREADED
dispatch:
  switch (I(0)) {
#endif

  CASE(UNREACHABLE) TRAP(CLAVE_TRAP_UNREACHABLE);

  CASE(BR) JUMP(2);
  CASE(BR_BACK) {
    CHECKPOINT();
    JUMP(2);
  }
  CASE(BR_IF) {
    if (S(2).u32) JUMP(3);
    pc += 5;
    NEXT();
  }
  CASE(BR_IF_BACK) {
    if (S(2).u32) {
      CHECKPOINT();
      JUMP(3);
    }
    pc += 5;
    NEXT();
  }
  CASE(BR_UNLESS) {
    if (!S(2).u32) JUMP(3);
    pc += 5;
    NEXT();
  }
  CASE(BR_TABLE) {
    uint32_t i = S(2).u32, n = I(3);
    if (i > n) i = n;
    JUMP(5 + 2 * i);
  }
  CASE(RETURN) {
    fr--;
    if (fr == entry) goto done;
    pc = fr->ret_pc;
    fp = fr->ret_fp;
    inst = fr->ret_inst;
    code = fr->code;
    wbase = code->words;
    RELOAD_MEM();
    NEXT();
  }
  CASE(CALL) {
    cf = inst->funcs[I(2)];
    nfp = fp + pc[4];
    ret_pc = pc + 5;
    goto call_func;
  }
  CASE(CALL_INTERNAL) {
    callee = &inst->module->codes[I(2)];
    callee_inst = inst;
    ret_pc = pc + 5;
    nfp = fp + pc[4];
    goto enter;
  }
  CASE(CALL_INDIRECT) {
    clave_table *tb = inst->tables[I(4)];
    uint32_t i = S(7).u32;
    if (CL_UNLIKELY(i >= tb->size)) TRAP(CLAVE_TRAP_UNDEFINED_ELEMENT);
    cf = tb->elems[i];
    if (CL_UNLIKELY(!cf)) {
      snprintf(ex->trap_msg, sizeof ex->trap_msg, "%s %u",
               clave_trap_message(CLAVE_TRAP_UNINITIALIZED_ELEMENT), i);
      trap = CLAVE_TRAP_UNINITIALIZED_ELEMENT;
      goto do_trap_msg;
    }
    if (CL_UNLIKELY(!cl_sig_matches(&cf->sig, &inst->m->types[I(2)])))
      TRAP(CLAVE_TRAP_INDIRECT_TYPE);
    nfp = fp + pc[6];
    ret_pc = pc + 8;
    goto call_func;
  }

  /* typed moves share one body: a slot is a slot to the interpreter */
  CASE(COPY_I32)
  CASE(COPY_I64)
  CASE(COPY_F32)
  CASE(COPY_F64)
  CASE(COPY_REF) {
    S(2) = S(3);
    pc += 4;
    NEXT();
  }
  CASE(CONST_I32)
  CASE(CONST_F32) {
    S(2).u64 = I(3);
    pc += 5;
    NEXT();
  }
  CASE(CONST_I64)
  CASE(CONST_F64) {
    S(2).u64 = (uint64_t)I(3) | ((uint64_t)I(5) << 32);
    pc += 7;
    NEXT();
  }
  CASE(CONST_REF) {
    S(2).u64 = 0;
    pc += 3;
    NEXT();
  }
  CASE(SELECT_I32)
  CASE(SELECT_I64)
  CASE(SELECT_F32)
  CASE(SELECT_F64)
  CASE(SELECT_REF) {
    S(2) = S(5).u32 ? S(3) : S(4);
    pc += 6;
    NEXT();
  }
  CASE(REF_IS_NULL) {
    S(2).u64 = S(3).ref == NULL;
    pc += 4;
    NEXT();
  }
  CASE(GLOBAL_GET) {
    S(2) = *inst->gvals[I(3)];
    pc += 5;
    NEXT();
  }
  CASE(GLOBAL_SET) {
    *inst->gvals[I(2)] = S(4);
    pc += 5;
    NEXT();
  }

  /* ---- tables ---- */
  CASE(TABLE_GET) { /* s dst, i table, s idx */
    clave_table *tb = inst->tables[I(3)];
    uint32_t i = S(5).u32;
    if (CL_UNLIKELY(i >= tb->size)) TRAP(CLAVE_TRAP_TABLE_OOB);
    S(2).ref = tb->elems[i];
    pc += 6;
    NEXT();
  }
  CASE(TABLE_SET) { /* i table, s idx, s val */
    clave_table *tb = inst->tables[I(2)];
    uint32_t i = S(4).u32;
    if (CL_UNLIKELY(i >= tb->size)) TRAP(CLAVE_TRAP_TABLE_OOB);
    tb->elems[i] = S(5).ref;
    cl_table_pin(tb, S(5).ref);
    pc += 6;
    NEXT();
  }
  CASE(TABLE_SIZE) { /* s dst, i table */
    S(2).u64 = inst->tables[I(3)]->size;
    pc += 5;
    NEXT();
  }
  CASE(TABLE_GROW) { /* s dst, i table, s init, s delta */
    clave_table *tb = inst->tables[I(3)];
    int64_t r = cl_table_grow(tb, S(6).u32, S(5).ref);
    S(2).u64 = (uint32_t)(int32_t)r;
    pc += 7;
    NEXT();
  }
  CASE(TABLE_FILL) { /* i table, s i, s val, s n */
    clave_table *tb = inst->tables[I(2)];
    uint64_t i = S(4).u32, n = S(6).u32;
    void *v = S(5).ref;
    if (CL_UNLIKELY(i + n > tb->size)) TRAP(CLAVE_TRAP_TABLE_OOB);
    for (uint64_t k = 0; k < n; k++) tb->elems[i + k] = v;
    if (n) cl_table_pin(tb, v);
    pc += 7;
    NEXT();
  }
  CASE(TABLE_COPY) { /* i dst table, i src table, s d, s s, s n */
    clave_table *dt = inst->tables[I(2)], *st = inst->tables[I(4)];
    uint64_t d = S(6).u32, s = S(7).u32, n = S(8).u32;
    if (CL_UNLIKELY(d + n > dt->size || s + n > st->size))
      TRAP(CLAVE_TRAP_TABLE_OOB);
    if (n) memmove(dt->elems + d, st->elems + s, n * sizeof(void *));
    if (dt != st)
      for (uint64_t k = 0; k < n; k++) cl_table_pin(dt, dt->elems[d + k]);
    pc += 9;
    NEXT();
  }
  CASE(TABLE_INIT) { /* i table, i elem, s d, s s, s n */
    clave_table *tb = inst->tables[I(2)];
    uint32_t e = I(4);
    uint64_t d = S(6).u32, s = S(7).u32, n = S(8).u32;
    uint64_t len = inst->elem_dropped[e] ? 0 : inst->m->elems[e].count;
    if (CL_UNLIKELY(s + n > len || d + n > tb->size))
      TRAP(CLAVE_TRAP_TABLE_OOB);
    for (uint64_t k = 0; k < n; k++) {
      tb->elems[d + k] = inst->elem_refs[e][s + k];
      cl_table_pin(tb, tb->elems[d + k]);
    }
    pc += 9;
    NEXT();
  }
  CASE(ELEM_DROP) {
    inst->elem_dropped[I(2)] = 1;
    pc += 4;
    NEXT();
  }

  /* ---- memory ---- */
  CASE(MEMORY_SIZE) {
    S(2).u64 = inst->mem->pages;
    pc += 3;
    NEXT();
  }
  CASE(MEMORY_GROW) { /* s dst, s delta */
    int64_t r = cl_memory_grow(inst->mem, S(3).u32);
    S(2).u64 = (uint32_t)(int32_t)r;
    RELOAD_MEM();
    pc += 4;
    NEXT();
  }
  CASE(MEMORY_INIT) { /* i data, s d, s s, s n */
    uint32_t sg = I(2);
    const cl_data *seg = &inst->m->datas[sg];
    uint64_t d = S(4).u32, s = S(5).u32, n = S(6).u32;
    uint64_t len = inst->data_dropped[sg] ? 0 : seg->len;
    if (CL_UNLIKELY(s + n > len || d + n > memsize))
      TRAP(CLAVE_TRAP_MEMORY_OOB);
    if (n) memcpy(mem + d, seg->bytes + s, n);
    pc += 7;
    NEXT();
  }
  CASE(DATA_DROP) {
    inst->data_dropped[I(2)] = 1;
    pc += 4;
    NEXT();
  }
  CASE(MEMORY_COPY) { /* s d, s s, s n */
    uint64_t d = S(2).u32, s = S(3).u32, n = S(4).u32;
    if (CL_UNLIKELY(d + n > memsize || s + n > memsize))
      TRAP(CLAVE_TRAP_MEMORY_OOB);
    if (n) memmove(mem + d, mem + s, n);
    pc += 5;
    NEXT();
  }
  CASE(MEMORY_FILL) { /* s d, s val, s n */
    uint64_t d = S(2).u32, n = S(4).u32;
    if (CL_UNLIKELY(d + n > memsize)) TRAP(CLAVE_TRAP_MEMORY_OOB);
    if (n) memset(mem + d, (int)(uint8_t)S(3).u32, n);
    pc += 5;
    NEXT();
  }
  CASE(REF_FUNC) {
    S(2).ref = inst->funcs[I(3)];
    pc += 5;
    NEXT();
  }

  /* ---- loads and stores ---- */
#define LOAD(NAME, T, FIELD, CONV)                                  \
  CASE(NAME) {                                                      \
    uint64_t ea = (uint64_t)S(3).u32 + I(4);                        \
    if (CL_UNLIKELY(ea + sizeof(T) > memsize))                      \
      TRAP(CLAVE_TRAP_MEMORY_OOB);                                  \
    T v_;                                                           \
    memcpy(&v_, mem + ea, sizeof v_);                               \
    S(2).FIELD = CONV v_;                                           \
    pc += 6;                                                        \
    NEXT();                                                         \
  }
  LOAD(I32_LOAD, uint32_t, u32, )
  LOAD(I64_LOAD, uint64_t, u64, )
  LOAD(F32_LOAD, uint32_t, u32, )
  LOAD(F64_LOAD, uint64_t, u64, )
  LOAD(I32_LOAD8_S, int8_t, i32, (int32_t))
  LOAD(I32_LOAD8_U, uint8_t, u32, (uint32_t))
  LOAD(I32_LOAD16_S, int16_t, i32, (int32_t))
  LOAD(I32_LOAD16_U, uint16_t, u32, (uint32_t))
  LOAD(I64_LOAD8_S, int8_t, i64, (int64_t))
  LOAD(I64_LOAD8_U, uint8_t, u64, (uint64_t))
  LOAD(I64_LOAD16_S, int16_t, i64, (int64_t))
  LOAD(I64_LOAD16_U, uint16_t, u64, (uint64_t))
  LOAD(I64_LOAD32_S, int32_t, i64, (int64_t))
  LOAD(I64_LOAD32_U, uint32_t, u64, (uint64_t))
#undef LOAD

#define STORE(NAME, T, FIELD)                                       \
  CASE(NAME) {                                                      \
    uint64_t ea = (uint64_t)S(2).u32 + I(4);                        \
    if (CL_UNLIKELY(ea + sizeof(T) > memsize))                      \
      TRAP(CLAVE_TRAP_MEMORY_OOB);                                  \
    T v_ = (T)S(3).FIELD;                                           \
    memcpy(mem + ea, &v_, sizeof v_);                               \
    pc += 6;                                                        \
    NEXT();                                                         \
  }
  STORE(I32_STORE, uint32_t, u32)
  STORE(I64_STORE, uint64_t, u64)
  STORE(F32_STORE, uint32_t, u32)
  STORE(F64_STORE, uint64_t, u64)
  STORE(I32_STORE8, uint8_t, u32)
  STORE(I32_STORE16, uint16_t, u32)
  STORE(I64_STORE8, uint8_t, u64)
  STORE(I64_STORE16, uint16_t, u64)
  STORE(I64_STORE32, uint32_t, u64)
#undef STORE

  /* ---- numeric ---- */
#define UN(NAME, T, F, RT, RF, BODY) \
  CASE(NAME) {                       \
    T a = S(3).F;                    \
    RT r;                            \
    BODY;                            \
    S(2).RF = r;                     \
    pc += 4;                         \
    NEXT();                          \
  }
#define BIN(NAME, T, F, RT, RF, BODY) \
  CASE(NAME) {                        \
    T a = S(3).F, b = S(4).F;         \
    RT r;                             \
    BODY;                             \
    S(2).RF = r;                      \
    pc += 5;                          \
    NEXT();                           \
  }
  /* integer ops: register and immediate forms */
#define IBIN(NAME, T, F, RT, RF, BODY)     \
  BIN(NAME, T, F, RT, RF, BODY)            \
  CASE(NAME##_I) {                         \
    T a = S(3).F, b = (T)(int32_t)I(4);    \
    RT r;                                  \
    BODY;                                  \
    S(2).RF = r;                           \
    pc += 6;                               \
    NEXT();                                \
  }

  UN(I32_EQZ, uint32_t, u32, uint32_t, u32, r = a == 0)
  UN(I64_EQZ, uint64_t, u64, uint32_t, u32, r = a == 0)
  UN(I32_CLZ, uint32_t, u32, uint32_t, u32, r = a ? (uint32_t)__builtin_clz(a) : 32)
  UN(I32_CTZ, uint32_t, u32, uint32_t, u32, r = a ? (uint32_t)__builtin_ctz(a) : 32)
  UN(I32_POPCNT, uint32_t, u32, uint32_t, u32, r = (uint32_t)__builtin_popcount(a))
  UN(I64_CLZ, uint64_t, u64, uint64_t, u64, r = a ? (uint64_t)__builtin_clzll(a) : 64)
  UN(I64_CTZ, uint64_t, u64, uint64_t, u64, r = a ? (uint64_t)__builtin_ctzll(a) : 64)
  UN(I64_POPCNT, uint64_t, u64, uint64_t, u64, r = (uint64_t)__builtin_popcountll(a))
  UN(F32_ABS, uint32_t, u32, uint32_t, u32, r = a & 0x7FFFFFFFu)
  UN(F32_NEG, uint32_t, u32, uint32_t, u32, r = a ^ 0x80000000u)
  /* a NaN operand must come out quiet (libm may return it unchanged) */
  UN(F32_CEIL, float, f32, float, f32, r = a != a ? a + a : ceilf(a))
  UN(F32_FLOOR, float, f32, float, f32, r = a != a ? a + a : floorf(a))
  UN(F32_TRUNC, float, f32, float, f32, r = a != a ? a + a : truncf(a))
  UN(F32_NEAREST, float, f32, float, f32, r = a != a ? a + a : nearbyintf(a))
  UN(F32_SQRT, float, f32, float, f32, r = sqrtf(a))
  UN(F64_ABS, uint64_t, u64, uint64_t, u64, r = a & 0x7FFFFFFFFFFFFFFFull)
  UN(F64_NEG, uint64_t, u64, uint64_t, u64, r = a ^ 0x8000000000000000ull)
  UN(F64_CEIL, double, f64, double, f64, r = a != a ? a + a : ceil(a))
  UN(F64_FLOOR, double, f64, double, f64, r = a != a ? a + a : floor(a))
  UN(F64_TRUNC, double, f64, double, f64, r = a != a ? a + a : trunc(a))
  UN(F64_NEAREST, double, f64, double, f64, r = a != a ? a + a : nearbyint(a))
  UN(F64_SQRT, double, f64, double, f64, r = sqrt(a))
  UN(I32_WRAP_I64, uint64_t, u64, uint32_t, u32, r = (uint32_t)a)
  UN(I32_TRUNC_F32_S, float, f32, int32_t, i32,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a >= -2147483648.0f && a < 2147483648.0f))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (int32_t)a)
  UN(I32_TRUNC_F32_U, float, f32, uint32_t, u32,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a > -1.0f && a < 4294967296.0f)) TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (uint32_t)a)
  UN(I32_TRUNC_F64_S, double, f64, int32_t, i32,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a > -2147483649.0 && a < 2147483648.0))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (int32_t)a)
  UN(I32_TRUNC_F64_U, double, f64, uint32_t, u32,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a > -1.0 && a < 4294967296.0)) TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (uint32_t)a)
  UN(I64_EXTEND_I32_S, int32_t, i32, int64_t, i64, r = (int64_t)a)
  UN(I64_EXTEND_I32_U, uint32_t, u32, uint64_t, u64, r = (uint64_t)a)
  UN(I64_TRUNC_F32_S, float, f32, int64_t, i64,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a >= -9223372036854775808.0f && a < 9223372036854775808.0f))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (int64_t)a)
  UN(I64_TRUNC_F32_U, float, f32, uint64_t, u64,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a > -1.0f && a < 18446744073709551616.0f))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (uint64_t)a)
  UN(I64_TRUNC_F64_S, double, f64, int64_t, i64,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a >= -9223372036854775808.0 && a < 9223372036854775808.0))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (int64_t)a)
  UN(I64_TRUNC_F64_U, double, f64, uint64_t, u64,
     if (a != a) TRAP(CLAVE_TRAP_INVALID_CONVERSION);
     if (!(a > -1.0 && a < 18446744073709551616.0))
       TRAP(CLAVE_TRAP_INT_OVERFLOW);
     r = (uint64_t)a)
  UN(F32_CONVERT_I32_S, int32_t, i32, float, f32, r = (float)a)
  UN(F32_CONVERT_I32_U, uint32_t, u32, float, f32, r = (float)a)
  UN(F32_CONVERT_I64_S, int64_t, i64, float, f32, r = (float)a)
  UN(F32_CONVERT_I64_U, uint64_t, u64, float, f32, r = (float)a)
  UN(F32_DEMOTE_F64, double, f64, float, f32, r = (float)a)
  UN(F64_CONVERT_I32_S, int32_t, i32, double, f64, r = (double)a)
  UN(F64_CONVERT_I32_U, uint32_t, u32, double, f64, r = (double)a)
  UN(F64_CONVERT_I64_S, int64_t, i64, double, f64, r = (double)a)
  UN(F64_CONVERT_I64_U, uint64_t, u64, double, f64, r = (double)a)
  UN(F64_PROMOTE_F32, float, f32, double, f64, r = (double)a)
  UN(I32_REINTERPRET_F32, uint32_t, u32, uint32_t, u32, r = a)
  UN(I64_REINTERPRET_F64, uint64_t, u64, uint64_t, u64, r = a)
  UN(F32_REINTERPRET_I32, uint32_t, u32, uint32_t, u32, r = a)
  UN(F64_REINTERPRET_I64, uint64_t, u64, uint64_t, u64, r = a)
  UN(I32_EXTEND8_S, uint32_t, u32, int32_t, i32, r = (int8_t)a)
  UN(I32_EXTEND16_S, uint32_t, u32, int32_t, i32, r = (int16_t)a)
  UN(I64_EXTEND8_S, uint64_t, u64, int64_t, i64, r = (int8_t)a)
  UN(I64_EXTEND16_S, uint64_t, u64, int64_t, i64, r = (int16_t)a)
  UN(I64_EXTEND32_S, uint64_t, u64, int64_t, i64, r = (int32_t)a)
  UN(I32_TRUNC_SAT_F32_S, float, f32, int32_t, i32, r = sat_i32(a))
  UN(I32_TRUNC_SAT_F32_U, float, f32, uint32_t, u32, r = sat_u32(a))
  UN(I32_TRUNC_SAT_F64_S, double, f64, int32_t, i32, r = sat_i32(a))
  UN(I32_TRUNC_SAT_F64_U, double, f64, uint32_t, u32, r = sat_u32(a))
  UN(I64_TRUNC_SAT_F32_S, float, f32, int64_t, i64, r = sat_i64(a))
  UN(I64_TRUNC_SAT_F32_U, float, f32, uint64_t, u64, r = sat_u64(a))
  UN(I64_TRUNC_SAT_F64_S, double, f64, int64_t, i64, r = sat_i64(a))
  UN(I64_TRUNC_SAT_F64_U, double, f64, uint64_t, u64, r = sat_u64(a))

  IBIN(I32_EQ, uint32_t, u32, uint32_t, u32, r = a == b)
  IBIN(I32_NE, uint32_t, u32, uint32_t, u32, r = a != b)
  IBIN(I32_LT_S, uint32_t, u32, uint32_t, u32, r = (int32_t)a < (int32_t)b)
  IBIN(I32_LT_U, uint32_t, u32, uint32_t, u32, r = a < b)
  IBIN(I32_GT_S, uint32_t, u32, uint32_t, u32, r = (int32_t)a > (int32_t)b)
  IBIN(I32_GT_U, uint32_t, u32, uint32_t, u32, r = a > b)
  IBIN(I32_LE_S, uint32_t, u32, uint32_t, u32, r = (int32_t)a <= (int32_t)b)
  IBIN(I32_LE_U, uint32_t, u32, uint32_t, u32, r = a <= b)
  IBIN(I32_GE_S, uint32_t, u32, uint32_t, u32, r = (int32_t)a >= (int32_t)b)
  IBIN(I32_GE_U, uint32_t, u32, uint32_t, u32, r = a >= b)
  IBIN(I64_EQ, uint64_t, u64, uint32_t, u32, r = a == b)
  IBIN(I64_NE, uint64_t, u64, uint32_t, u32, r = a != b)
  IBIN(I64_LT_S, uint64_t, u64, uint32_t, u32, r = (int64_t)a < (int64_t)b)
  IBIN(I64_LT_U, uint64_t, u64, uint32_t, u32, r = a < b)
  IBIN(I64_GT_S, uint64_t, u64, uint32_t, u32, r = (int64_t)a > (int64_t)b)
  IBIN(I64_GT_U, uint64_t, u64, uint32_t, u32, r = a > b)
  IBIN(I64_LE_S, uint64_t, u64, uint32_t, u32, r = (int64_t)a <= (int64_t)b)
  IBIN(I64_LE_U, uint64_t, u64, uint32_t, u32, r = a <= b)
  IBIN(I64_GE_S, uint64_t, u64, uint32_t, u32, r = (int64_t)a >= (int64_t)b)
  IBIN(I64_GE_U, uint64_t, u64, uint32_t, u32, r = a >= b)
  BIN(F32_EQ, float, f32, uint32_t, u32, r = a == b)
  BIN(F32_NE, float, f32, uint32_t, u32, r = a != b)
  BIN(F32_LT, float, f32, uint32_t, u32, r = a < b)
  BIN(F32_GT, float, f32, uint32_t, u32, r = a > b)
  BIN(F32_LE, float, f32, uint32_t, u32, r = a <= b)
  BIN(F32_GE, float, f32, uint32_t, u32, r = a >= b)
  BIN(F64_EQ, double, f64, uint32_t, u32, r = a == b)
  BIN(F64_NE, double, f64, uint32_t, u32, r = a != b)
  BIN(F64_LT, double, f64, uint32_t, u32, r = a < b)
  BIN(F64_GT, double, f64, uint32_t, u32, r = a > b)
  BIN(F64_LE, double, f64, uint32_t, u32, r = a <= b)
  BIN(F64_GE, double, f64, uint32_t, u32, r = a >= b)

  IBIN(I32_ADD, uint32_t, u32, uint32_t, u32, r = a + b)
  IBIN(I32_SUB, uint32_t, u32, uint32_t, u32, r = a - b)
  IBIN(I32_MUL, uint32_t, u32, uint32_t, u32, r = a * b)
  IBIN(I32_DIV_S, uint32_t, u32, uint32_t, u32,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       if (CL_UNLIKELY(a == 0x80000000u && b == 0xFFFFFFFFu))
         TRAP(CLAVE_TRAP_INT_OVERFLOW);
       r = (uint32_t)((int32_t)a / (int32_t)b))
  IBIN(I32_DIV_U, uint32_t, u32, uint32_t, u32,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = a / b)
  IBIN(I32_REM_S, uint32_t, u32, uint32_t, u32,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = b == 0xFFFFFFFFu ? 0 : (uint32_t)((int32_t)a % (int32_t)b))
  IBIN(I32_REM_U, uint32_t, u32, uint32_t, u32,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = a % b)
  IBIN(I32_AND, uint32_t, u32, uint32_t, u32, r = a & b)
  IBIN(I32_OR, uint32_t, u32, uint32_t, u32, r = a | b)
  IBIN(I32_XOR, uint32_t, u32, uint32_t, u32, r = a ^ b)
  IBIN(I32_SHL, uint32_t, u32, uint32_t, u32, r = a << (b & 31))
  IBIN(I32_SHR_S, uint32_t, u32, uint32_t, u32,
       r = (uint32_t)((int32_t)a >> (b & 31)))
  IBIN(I32_SHR_U, uint32_t, u32, uint32_t, u32, r = a >> (b & 31))
  IBIN(I32_ROTL, uint32_t, u32, uint32_t, u32, r = rotl32(a, b))
  IBIN(I32_ROTR, uint32_t, u32, uint32_t, u32, r = rotr32(a, b))
  IBIN(I64_ADD, uint64_t, u64, uint64_t, u64, r = a + b)
  IBIN(I64_SUB, uint64_t, u64, uint64_t, u64, r = a - b)
  IBIN(I64_MUL, uint64_t, u64, uint64_t, u64, r = a * b)
  IBIN(I64_DIV_S, uint64_t, u64, uint64_t, u64,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       if (CL_UNLIKELY(a == 0x8000000000000000ull && b == ~0ull))
         TRAP(CLAVE_TRAP_INT_OVERFLOW);
       r = (uint64_t)((int64_t)a / (int64_t)b))
  IBIN(I64_DIV_U, uint64_t, u64, uint64_t, u64,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = a / b)
  IBIN(I64_REM_S, uint64_t, u64, uint64_t, u64,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b))
  IBIN(I64_REM_U, uint64_t, u64, uint64_t, u64,
       if (CL_UNLIKELY(b == 0)) TRAP(CLAVE_TRAP_INT_DIV_ZERO);
       r = a % b)
  IBIN(I64_AND, uint64_t, u64, uint64_t, u64, r = a & b)
  IBIN(I64_OR, uint64_t, u64, uint64_t, u64, r = a | b)
  IBIN(I64_XOR, uint64_t, u64, uint64_t, u64, r = a ^ b)
  IBIN(I64_SHL, uint64_t, u64, uint64_t, u64, r = a << (b & 63))
  IBIN(I64_SHR_S, uint64_t, u64, uint64_t, u64,
       r = (uint64_t)((int64_t)a >> (b & 63)))
  IBIN(I64_SHR_U, uint64_t, u64, uint64_t, u64, r = a >> (b & 63))
  IBIN(I64_ROTL, uint64_t, u64, uint64_t, u64, r = rotl64(a, b))
  IBIN(I64_ROTR, uint64_t, u64, uint64_t, u64, r = rotr64(a, b))
  BIN(F32_ADD, float, f32, float, f32, r = a + b)
  BIN(F32_SUB, float, f32, float, f32, r = a - b)
  BIN(F32_MUL, float, f32, float, f32, r = a * b)
  BIN(F32_DIV, float, f32, float, f32, r = a / b)
  BIN(F32_MIN, float, f32, float, f32, r = f32_min(a, b))
  BIN(F32_MAX, float, f32, float, f32, r = f32_max(a, b))
  BIN(F32_COPYSIGN, uint32_t, u32, uint32_t, u32,
      r = (a & 0x7FFFFFFFu) | (b & 0x80000000u))
  BIN(F64_ADD, double, f64, double, f64, r = a + b)
  BIN(F64_SUB, double, f64, double, f64, r = a - b)
  BIN(F64_MUL, double, f64, double, f64, r = a * b)
  BIN(F64_DIV, double, f64, double, f64, r = a / b)
  BIN(F64_MIN, double, f64, double, f64, r = f64_min(a, b))
  BIN(F64_MAX, double, f64, double, f64, r = f64_max(a, b))
  BIN(F64_COPYSIGN, uint64_t, u64, uint64_t, u64,
      r = (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))
#undef UN
#undef BIN
#undef IBIN

  /* ---- fused compare-and-branch ---- */
/* s a, s b, i target (6 units) / s a, i imm, i target (7 units) */
#define CMPBR(NAME, F, OP)                                       \
  CASE(BR_IF_##NAME) {                                           \
    if (S(2).F OP S(3).F) JUMP(4);                               \
    pc += 6;                                                     \
    NEXT();                                                      \
  }                                                              \
  CASE(BR_IF_##NAME##_I) {                                       \
    if (S(2).F OP(__typeof__(S(2).F))(int32_t) I(3)) JUMP(5);    \
    pc += 7;                                                     \
    NEXT();                                                      \
  }                                                              \
  CASE(BR_IF_##NAME##_BACK) {                                    \
    if (S(2).F OP S(3).F) {                                      \
      CHECKPOINT();                                              \
      JUMP(4);                                                   \
    }                                                            \
    pc += 6;                                                     \
    NEXT();                                                      \
  }                                                              \
  CASE(BR_IF_##NAME##_I_BACK) {                                  \
    if (S(2).F OP(__typeof__(S(2).F))(int32_t) I(3)) {           \
      CHECKPOINT();                                              \
      JUMP(5);                                                   \
    }                                                            \
    pc += 7;                                                     \
    NEXT();                                                      \
  }                                                              \
  CASE(BR_UNLESS_##NAME) {                                       \
    if (!(S(2).F OP S(3).F)) JUMP(4);                            \
    pc += 6;                                                     \
    NEXT();                                                      \
  }                                                              \
  CASE(BR_UNLESS_##NAME##_I) {                                   \
    if (!(S(2).F OP(__typeof__(S(2).F))(int32_t) I(3))) JUMP(5); \
    pc += 7;                                                     \
    NEXT();                                                      \
  }
  CL_CMP_OPS(CMPBR)
#undef CMPBR

  /* ---- v128 moves and SIMD ---- */
#include "engine/interp_simd.inc"

#ifndef CL_THREADED
    default:
      trap = CLAVE_TRAP_UNREACHABLE;
      goto do_trap;
  }
#endif

  /* ---- calls ---- */
  /* cf with its arguments at nfp, continuing at ret_pc: a host function
   * or native code is a C call; interpreted code gets a frame. */
call_func:
  if (!cf->code) {
    budget_return(ex, &budget);
    ex->sp = nfp + 2 * (cf->sig.nparams > cf->sig.nresults ? cf->sig.nparams
                                                           : cf->sig.nresults);
    ex->fp_top = fr;
    if (call_other(ex, inst, cf, nfp) != CLAVE_OK) {
      trap = ex->trap;
      goto do_trap_msg;
    }
    RELOAD_MEM();
    pc = ret_pc;
    NEXT();
  }
  callee = cf->code;
  callee_inst = cf->inst;
  /* fall through: set up the callee's frame */
enter:
  if (CL_UNLIKELY(fr == ex->frames_end)) TRAP(CLAVE_TRAP_CALL_STACK);
  if (CL_UNLIKELY(nfp + callee->frame_slots > ex->stack_end))
    TRAP(CLAVE_TRAP_CALL_STACK);
  CHECKPOINT();
  fr->ret_pc = ret_pc;
  fr->ret_fp = fp;
  fr->ret_inst = inst;
  fr->code = code;
  fr++;
  if (callee->nlocals)
    memset(nfp + callee->nparams, 0,
           (size_t)callee->nlocals * sizeof(cl_slot));
  fp = nfp;
  code = callee;
  wbase = pc = callee->words;
  if (callee_inst != inst) {
    inst = callee_inst;
    RELOAD_MEM();
  }
  NEXT();

done:
  budget_return(ex, &budget);
  ex->fp_top = entry;
  return CLAVE_OK;

do_trap:
  snprintf(ex->trap_msg, sizeof ex->trap_msg, "%s",
           clave_trap_message(trap));
do_trap_msg:
  budget_return(ex, &budget);
  ex->trap = trap;
  ex->fp_top = entry;
  return CLAVE_ETRAP;
}

/* ---- entry from the embedder ---- */

static clave_status exec_prepare(clave_instance *inst) {
  cl_exec *ex = &inst->exec;
  if (ex->stack) return CLAVE_OK;
  size_t nslots = inst->limits.max_stack_bytes / sizeof(cl_slot);
  size_t nframes = inst->limits.max_call_depth;
  ex->stack = malloc(nslots * sizeof(cl_slot));
  ex->frames = malloc((nframes + 1) * sizeof(cl_frame));
  if (!ex->stack || !ex->frames) {
    free(ex->stack);
    free(ex->frames);
    ex->stack = NULL;
    ex->frames = NULL;
    return CLAVE_ENOMEM;
  }
  ex->stack_end = ex->stack + nslots;
  ex->frames_end = ex->frames + nframes;
  ex->sp = ex->stack;
  ex->fp_top = ex->frames;
  return CLAVE_OK;
}

clave_status cl_interp_call(clave_instance *unused, clave_func *f,
                            cl_slot *io, clave_error *err) {
  (void)unused;
  if (f->host) {
    /* a host function called directly by the embedder */
    cl_exec tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.fuel_left = -1;
    if (cl_call_host(&tmp, NULL, f, io) != CLAVE_OK) {
      cl_error_set(err, CLAVE_ETRAP, "%s", tmp.trap_msg);
      if (err) {
        err->trap = tmp.trap;
        err->exit_code = tmp.exit_code;
      }
      return CLAVE_ETRAP;
    }
    return CLAVE_OK;
  }
  clave_instance *inst = f->inst;
  cl_exec *ex = &inst->exec;
  if (exec_prepare(inst) != CLAVE_OK) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory allocating the stacks");
    return CLAVE_ENOMEM;
  }
  bool top = ex->depth == 0;
  cl_slot *saved_sp = ex->sp;
  cl_frame *saved_fp = ex->fp_top;
  if (top) {
    ex->sp = ex->stack;
    ex->fp_top = ex->frames;
    atomic_store(&ex->interrupt, 0);
    ex->deadline_ns =
        inst->limits.timeout_ms ? cl_now_ns() + inst->limits.timeout_ms * 1000000ull
                                : 0;
  }
  const cl_code *code = f->code;
  cl_slot *fp = ex->sp;
  clave_status st;
  if (f->native) {
    ex->depth++;
    ex->trap = CLAVE_TRAP_NONE;
    st = f->native(ex, inst, io);
    ex->depth--;
  } else if (fp + code->frame_slots > ex->stack_end) {
    ex->trap = CLAVE_TRAP_CALL_STACK;
    snprintf(ex->trap_msg, sizeof ex->trap_msg, "%s",
             clave_trap_message(CLAVE_TRAP_CALL_STACK));
    st = CLAVE_ETRAP;
  } else {
    memcpy(fp, io, code->nparams * sizeof(cl_slot));
    ex->depth++;
    st = interp_run(ex, inst, code, fp, NULL);
    ex->depth--;
    if (st == CLAVE_OK) memcpy(io, fp, code->nresults * sizeof(cl_slot));
  }
  ex->sp = saved_sp;
  ex->fp_top = saved_fp;
  if (st != CLAVE_OK) {
    cl_error_set(err, CLAVE_ETRAP, "%s", ex->trap_msg);
    if (err) {
      err->trap = ex->trap;
      err->exit_code = ex->exit_code;
    }
  }
  return st;
}
