/*
 * aot_rt.c - what native (AOT) code runs on: entry from the interpreter
 * or the embedder, traps, the fuel slow path, calls out of native code,
 * tables and bulk memory, and the guard-page fault handler.
 *
 * Entry.  clave_func.native of an AOT function is a generated wrapper that
 * calls aot_enter with the function's body.  aot_enter builds a cl_aot_run
 * on its own C stack (the cl_aot_ctx that generated code sees, plus the
 * jump buffer and the links this file needs), takes the frame position
 * and depth the interpreter would give the callee, sets the run as this
 * thread's current one and calls the body.  A trap anywhere below
 * (a helper, a fault) lands back there by siglongjmp: native frames hold
 * nothing to clean up, and everything that can trap stores its state
 * (the budget, volatile memory accesses) before it can.
 *
 * Calls out.  A call from native code to anything but a function of its
 * own module (an import, or a call_indirect to another instance's or a
 * host's function) goes through aot_call_func with its arguments in the
 * exec's slot stack at the position the interpreter would use, so that a
 * nested entry continues the same stack and frame accounting; the unspent
 * budget is returned first, as the interpreter does.
 *
 * Faults.  Linear memory is a CL_MEMORY_RESERVE reservation of which only
 * [0, size) is accessible, and generated code computes base + u32 + u32
 * offset, so an out-of-bounds access always faults inside the reservation.
 * The SIGSEGV/SIGBUS handler (run on an alternate stack) turns a fault into
 * the trap "out of bounds memory access" when this thread is running
 * native code (aot_current), the address is inside that code's memory
 * reservation and the faulting instruction is in the code's object;
 * anything else goes to the previous handler, or the default action.
 *
 * Process-wide state, by necessity: the signal disposition (installed once,
 * never removed; the previous handlers are kept for chaining), and two
 * thread-locals: the innermost native activation of the thread (the only
 * way for a signal handler to find its context) and the thread's C-stack
 * limit and alternate signal stack (set up on its first native entry).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "engine/aot.h"

_Static_assert(sizeof(cl_aot_slot) == sizeof(cl_slot),
               "cl_aot_slot and cl_slot must share their layout");

/* C stack kept free below native code for host calls and signal frames */
#define AOT_CSTACK_MARGIN (256u << 10)
#define AOT_ALTSTACK_SIZE (64u << 10)

typedef struct cl_aot_run {
  cl_aot_ctx cx; /* first: generated code sees only this */
  cl_exec *ex;
  clave_instance *inst;
  const cl_aot_module *am;
  clave_func *pending; /* call_indirect's callee outside this instance */
  uintptr_t mem_lo, mem_hi;
  struct cl_aot_run *prev;
  sigjmp_buf jb;
} cl_aot_run;

static __thread cl_aot_run *aot_current;
static __thread uintptr_t aot_cstack_limit;

static inline cl_aot_run *aot_run_of(cl_aot_ctx *cx) {
  return (cl_aot_run *)cx;
}

/* ---- traps ---- */

static __attribute__((noreturn)) void aot_unwind(cl_aot_run *r) {
  siglongjmp(r->jb, 1);
}

static __attribute__((noreturn)) void aot_trap(cl_aot_ctx *cx, int kind) {
  cl_aot_run *r = aot_run_of(cx);
  r->ex->trap = (clave_trap_kind)kind;
  snprintf(r->ex->trap_msg, sizeof r->ex->trap_msg, "%s",
           clave_trap_message((clave_trap_kind)kind));
  aot_unwind(r);
}

static int64_t aot_refill(cl_aot_ctx *cx) {
  cl_aot_run *r = aot_run_of(cx);
  clave_trap_kind k = cl_budget_refill(r->ex, &cx->budget);
  if (k != CLAVE_TRAP_NONE) aot_trap(cx, (int)k);
  return cx->budget;
}

/* ---- the fault handler ---- */

static struct sigaction aot_old_segv, aot_old_bus;
static pthread_once_t aot_handler_once = PTHREAD_ONCE_INIT;
static pthread_key_t aot_altstack_key;

static bool aot_pc_in_code(const cl_aot_run *r, void *ucv) {
  uintptr_t pc = 0;
#if defined(__x86_64__)
  pc = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  pc = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.pc;
#else
  (void)ucv;
  return true; /* no way to read the pc here: trust the address check */
#endif
  return pc >= r->am->code_lo && pc < r->am->code_hi;
}

static void aot_on_fault(int sig, siginfo_t *si, void *ucv) {
  cl_aot_run *r = aot_current;
  uintptr_t a = (uintptr_t)si->si_addr;
  if (r && a >= r->mem_lo && a < r->mem_hi && aot_pc_in_code(r, ucv)) {
    /* async-signal-safe: plain stores, then the jump */
    const char *msg = clave_trap_message(CLAVE_TRAP_MEMORY_OOB);
    size_t i = 0;
    for (; msg[i] && i + 1 < sizeof r->ex->trap_msg; i++)
      r->ex->trap_msg[i] = msg[i];
    r->ex->trap_msg[i] = 0;
    r->ex->trap = CLAVE_TRAP_MEMORY_OOB;
    aot_unwind(r);
  }
  /* not ours: what would have happened without this handler */
  const struct sigaction *old = sig == SIGBUS ? &aot_old_bus : &aot_old_segv;
  if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
    old->sa_sigaction(sig, si, ucv);
    return;
  }
  if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
      old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
    return;
  }
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL); /* the fault repeats and takes its course */
}

static void aot_altstack_free(void *p) {
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  munmap(p, AOT_ALTSTACK_SIZE);
}

static void aot_install_once(void) {
  pthread_key_create(&aot_altstack_key, aot_altstack_free);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = aot_on_fault;
  sigemptyset(&sa.sa_mask);
  /* SA_NODEFER: the handler leaves by siglongjmp without restoring a
   * signal mask, so the signal must not be blocked while it runs */
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigaction(SIGSEGV, &sa, &aot_old_segv);
  sigaction(SIGBUS, &sa, &aot_old_bus);
}

void cl_aot_install_fault_handler(void) {
  pthread_once(&aot_handler_once, aot_install_once);
}

/* First native entry on this thread: the C stack limit below which
 * native code reports "call stack exhausted", and an alternate signal
 * stack (kept when the thread has one already). */
static void aot_thread_setup(void) {
  uintptr_t here = (uintptr_t)&here;
  uintptr_t limit = here > (8u << 20) ? here - (8u << 20) : 0;
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    void *lo = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&a, &lo, &size) == 0 && lo) {
      size_t margin = AOT_CSTACK_MARGIN;
      if (margin > size / 4) margin = size / 4;
      limit = (uintptr_t)lo + margin;
    }
    pthread_attr_destroy(&a);
  }
  aot_cstack_limit = limit ? limit : 1;
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
    void *p = mmap(NULL, AOT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      stack_t ss;
      memset(&ss, 0, sizeof ss);
      ss.ss_sp = p;
      ss.ss_size = AOT_ALTSTACK_SIZE;
      if (sigaltstack(&ss, NULL) == 0)
        pthread_setspecific(aot_altstack_key, p);
      else
        munmap(p, AOT_ALTSTACK_SIZE);
    }
  }
}

/* ---- entry ---- */

static int aot_enter(void *exv, void *instv, cl_aot_slot *io,
                     cl_aot_body body) {
  cl_exec *ex = exv;
  clave_instance *inst = instv;
  const cl_aot_module *am = inst->module->aot;
  if (CL_UNLIKELY(!aot_cstack_limit)) {
    cl_aot_install_fault_handler();
    aot_thread_setup();
  }
  cl_aot_run run;
  cl_aot_run *volatile rp = &run;
  cl_aot_ctx *cx = &run.cx;
  clave_memory *mem = inst->mem;
  if (mem && !(am->flags & CL_AOT_BOUNDS_CHECKS) &&
      mem->reserved < CL_MEMORY_RESERVE) {
    ex->trap = CLAVE_TRAP_HOST;
    snprintf(ex->trap_msg, sizeof ex->trap_msg,
             "AOT: linear memory has no guard region (compile with bounds "
             "checks)");
    return CLAVE_ETRAP;
  }
  cx->budget = 0;
  cx->mem = mem ? mem->data : NULL;
  cx->memsize = mem ? mem->size : 0;
  cx->g = (cl_aot_slot **)inst->gvals;
  cx->funcs = (void **)inst->funcs;
  cx->stack = (cl_aot_slot *)ex->stack;
  cx->stack_slots = (uint64_t)(ex->stack_end - ex->stack);
  cx->max_depth = (uint32_t)(ex->frames_end - ex->frames);
  /* the callee's frame: at its arguments when they lie in the slot stack
   * (a call from the interpreter), else at the first free slot */
  cl_slot *ios = (cl_slot *)io;
  uintptr_t s0 = (uintptr_t)ex->stack, s1 = (uintptr_t)ex->stack_end;
  if ((uintptr_t)ios >= s0 && (uintptr_t)ios < s1)
    cx->fp0 = (uint32_t)(ios - ex->stack);
  else
    cx->fp0 = (uint32_t)(ex->sp - ex->stack);
  cx->d0 = (uint32_t)(ex->fp_top - ex->frames);
  cx->pad_ = 0;
  cx->cstack_limit = aot_cstack_limit;
  cx->api = cl_aot_api_table();
  run.ex = ex;
  run.inst = inst;
  run.am = am;
  run.pending = NULL;
  run.mem_lo = mem ? (uintptr_t)mem->data : 0;
  run.mem_hi = mem ? (uintptr_t)mem->data + mem->reserved : 0;
  run.prev = aot_current;
  int st;
  aot_current = &run;
  if (sigsetjmp(run.jb, 0) == 0) {
    body(cx, io);
    st = CLAVE_OK;
  } else {
    st = CLAVE_ETRAP;
  }
  aot_current = rp->prev;
  cl_budget_return(ex, &rp->cx.budget);
  return st;
}

/* ---- calls out of native code ---- */

/* Call f (not a function of this run's module instance) with arguments at
 * slot argfp of the exec's stack, as frame callee_d. */
static void aot_call_func(cl_aot_run *r, clave_func *f, uint64_t argfp,
                          uint32_t callee_d) {
  cl_exec *ex = r->ex;
  cl_slot *io = ex->stack + argfp;
  uint32_t np = f->sig.nparams, nr = f->sig.nresults;
  cl_budget_return(ex, &r->cx.budget);
  ex->sp = io + 2 * (np > nr ? np : nr);
  ex->fp_top = ex->frames + callee_d;
  aot_current = NULL; /* host code is not native code */
  clave_status st;
  if (f->native) {
    ex->trap = CLAVE_TRAP_NONE;
    st = f->native(ex, f->inst, io);
  } else if (f->host) {
    st = cl_call_host(ex, r->inst, f, io);
  } else {
    /* An interpreted function of another instance.  The interpreter's
     * entry runs it on that instance's exec (its own stacks and fuel),
     * not on this one as an interpreted caller would: see docs/aot.md. */
    clave_error e;
    memset(&e, 0, sizeof e);
    st = cl_interp_call(f->inst, f, io, &e);
    if (st != CLAVE_OK) {
      ex->trap = e.trap != CLAVE_TRAP_NONE ? e.trap : CLAVE_TRAP_HOST;
      ex->exit_code = e.exit_code;
      snprintf(ex->trap_msg, sizeof ex->trap_msg, "%.*s",
               (int)sizeof ex->trap_msg - 1, e.message);
      st = CLAVE_ETRAP;
    }
  }
  aot_current = r;
  clave_memory *mem = r->inst->mem;
  r->cx.memsize = mem ? mem->size : 0;
  if (st != CLAVE_OK) aot_unwind(r);
}

static void aot_call_import(cl_aot_ctx *cx, uint32_t funcidx, uint64_t argfp,
                            uint32_t callee_d) {
  cl_aot_run *r = aot_run_of(cx);
  aot_call_func(r, r->inst->funcs[funcidx], argfp, callee_d);
}

/* call_indirect: the checks of the interpreter in its order; the typed C
 * function when the callee is a function of this instance, else NULL with
 * the callee kept for aot_call_pending. */
static void *aot_indirect(cl_aot_ctx *cx, uint32_t table, uint32_t type,
                          uint32_t i) {
  cl_aot_run *r = aot_run_of(cx);
  clave_table *tb = r->inst->tables[table];
  if (CL_UNLIKELY(i >= tb->size)) aot_trap(cx, CLAVE_TRAP_UNDEFINED_ELEMENT);
  clave_func *f = tb->elems[i];
  if (CL_UNLIKELY(!f)) {
    snprintf(r->ex->trap_msg, sizeof r->ex->trap_msg, "%s %u",
             clave_trap_message(CLAVE_TRAP_UNINITIALIZED_ELEMENT), i);
    r->ex->trap = CLAVE_TRAP_UNINITIALIZED_ELEMENT;
    aot_unwind(r);
  }
  /* functions of this module share their type's signature array: equal
   * pointers are equal types, without comparing */
  if (f->sig.types != r->inst->module->sig_types[type] &&
      CL_UNLIKELY(!cl_sig_matches(&f->sig, &r->inst->m->types[type])))
    aot_trap(cx, CLAVE_TRAP_INDIRECT_TYPE);
  clave_instance *inst = r->inst;
  uint32_t ndef = inst->m->nfuncs - inst->m->nfunc_imports;
  if (f->inst == inst && f >= inst->own_funcs && f < inst->own_funcs + ndef)
    return r->am->desc->direct[f - inst->own_funcs];
  r->pending = f;
  return NULL;
}

static void aot_call_pending(cl_aot_ctx *cx, uint64_t argfp,
                             uint32_t callee_d) {
  cl_aot_run *r = aot_run_of(cx);
  clave_func *f = r->pending;
  r->pending = NULL;
  aot_call_func(r, f, argfp, callee_d);
}

/* ---- memory ---- */

static uint32_t aot_memory_size(cl_aot_ctx *cx) {
  return aot_run_of(cx)->inst->mem->pages;
}

static uint32_t aot_memory_grow(cl_aot_ctx *cx, uint32_t delta) {
  clave_memory *mem = aot_run_of(cx)->inst->mem;
  int64_t r = cl_memory_grow(mem, delta);
  cx->memsize = mem->size;
  return (uint32_t)(int32_t)r;
}

static void aot_memory_init(cl_aot_ctx *cx, uint32_t seg, uint32_t d,
                            uint32_t s, uint32_t n) {
  clave_instance *inst = aot_run_of(cx)->inst;
  const cl_data *data = &inst->m->datas[seg];
  uint64_t len = inst->data_dropped[seg] ? 0 : data->len;
  uint64_t size = inst->mem->size;
  if (CL_UNLIKELY((uint64_t)s + n > len || (uint64_t)d + n > size))
    aot_trap(cx, CLAVE_TRAP_MEMORY_OOB);
  if (n) memcpy(inst->mem->data + d, data->bytes + s, n);
}

static void aot_data_drop(cl_aot_ctx *cx, uint32_t seg) {
  aot_run_of(cx)->inst->data_dropped[seg] = 1;
}

static void aot_memory_copy(cl_aot_ctx *cx, uint32_t d, uint32_t s,
                            uint32_t n) {
  clave_memory *mem = aot_run_of(cx)->inst->mem;
  if (CL_UNLIKELY((uint64_t)d + n > mem->size || (uint64_t)s + n > mem->size))
    aot_trap(cx, CLAVE_TRAP_MEMORY_OOB);
  if (n) memmove(mem->data + d, mem->data + s, n);
}

static void aot_memory_fill(cl_aot_ctx *cx, uint32_t d, uint32_t v,
                            uint32_t n) {
  clave_memory *mem = aot_run_of(cx)->inst->mem;
  if (CL_UNLIKELY((uint64_t)d + n > mem->size))
    aot_trap(cx, CLAVE_TRAP_MEMORY_OOB);
  if (n) memset(mem->data + d, (int)(uint8_t)v, n);
}

/* ---- tables ---- */

static void *aot_table_get(cl_aot_ctx *cx, uint32_t t, uint32_t i) {
  clave_table *tb = aot_run_of(cx)->inst->tables[t];
  if (CL_UNLIKELY(i >= tb->size)) aot_trap(cx, CLAVE_TRAP_TABLE_OOB);
  return tb->elems[i];
}

static void aot_table_set(cl_aot_ctx *cx, uint32_t t, uint32_t i, void *v) {
  clave_table *tb = aot_run_of(cx)->inst->tables[t];
  if (CL_UNLIKELY(i >= tb->size)) aot_trap(cx, CLAVE_TRAP_TABLE_OOB);
  tb->elems[i] = v;
  cl_table_pin(tb, v);
}

static uint32_t aot_table_size(cl_aot_ctx *cx, uint32_t t) {
  return aot_run_of(cx)->inst->tables[t]->size;
}

static uint32_t aot_table_grow(cl_aot_ctx *cx, uint32_t t, void *init,
                               uint32_t delta) {
  clave_table *tb = aot_run_of(cx)->inst->tables[t];
  return (uint32_t)(int32_t)cl_table_grow(tb, delta, init);
}

static void aot_table_fill(cl_aot_ctx *cx, uint32_t t, uint32_t i, void *v,
                           uint32_t n) {
  clave_table *tb = aot_run_of(cx)->inst->tables[t];
  if (CL_UNLIKELY((uint64_t)i + n > tb->size))
    aot_trap(cx, CLAVE_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) tb->elems[i + k] = v;
  if (n) cl_table_pin(tb, v);
}

static void aot_table_copy(cl_aot_ctx *cx, uint32_t dti, uint32_t sti,
                           uint32_t d, uint32_t s, uint32_t n) {
  clave_instance *inst = aot_run_of(cx)->inst;
  clave_table *dt = inst->tables[dti], *st = inst->tables[sti];
  if (CL_UNLIKELY((uint64_t)d + n > dt->size || (uint64_t)s + n > st->size))
    aot_trap(cx, CLAVE_TRAP_TABLE_OOB);
  if (n) memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
  if (dt != st)
    for (uint64_t k = 0; k < n; k++) cl_table_pin(dt, dt->elems[d + k]);
}

static void aot_table_init(cl_aot_ctx *cx, uint32_t t, uint32_t e, uint32_t d,
                           uint32_t s, uint32_t n) {
  clave_instance *inst = aot_run_of(cx)->inst;
  clave_table *tb = inst->tables[t];
  uint64_t len = inst->elem_dropped[e] ? 0 : inst->m->elems[e].count;
  if (CL_UNLIKELY((uint64_t)s + n > len || (uint64_t)d + n > tb->size))
    aot_trap(cx, CLAVE_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) {
    tb->elems[d + k] = inst->elem_refs[e][s + k];
    cl_table_pin(tb, tb->elems[d + k]);
  }
}

static void aot_elem_drop(cl_aot_ctx *cx, uint32_t e) {
  aot_run_of(cx)->inst->elem_dropped[e] = 1;
}

/* ---- the table of helpers ---- */

static const cl_aot_api aot_api = {
    .trap = aot_trap,
    .refill = aot_refill,
    .enter = aot_enter,
    .call_import = aot_call_import,
    .indirect = aot_indirect,
    .call_pending = aot_call_pending,
    .memory_size = aot_memory_size,
    .memory_grow = aot_memory_grow,
    .memory_init = aot_memory_init,
    .data_drop = aot_data_drop,
    .memory_copy = aot_memory_copy,
    .memory_fill = aot_memory_fill,
    .table_get = aot_table_get,
    .table_set = aot_table_set,
    .table_size = aot_table_size,
    .table_grow = aot_table_grow,
    .table_fill = aot_table_fill,
    .table_copy = aot_table_copy,
    .table_init = aot_table_init,
    .elem_drop = aot_elem_drop,
};

const cl_aot_api *cl_aot_api_table(void) {
  return &aot_api;
}
