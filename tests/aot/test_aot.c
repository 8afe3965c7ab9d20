/*
 * test_aot.c - the AOT tier against the interpreter, and its cache.
 *
 * Every scenario runs in three engines: the interpreter, AOT with guard
 * pages and AOT with explicit bounds checks; each call's outcome (status,
 * trap kind, message, exit code, results bit for bit, fuel left) must be
 * the same in all three, and the interpreter's must also be the expected
 * one, so that the three cannot agree on a wrong answer.  The scenarios:
 * every trap of tests/runtime/traps.wat, exact fuel and its exhaustion, a
 * deadline and an interrupt, how deep a recursion gets before "call stack
 * exhausted" under three limits, memory and globals left behind by a
 * trap, a dropped load that must trap, a counted loop (the fast copy)
 * across budget refills and until fuel or memory ends it, host calls out
 * and back in, exit codes, call_indirect within an instance and into
 * another, multi-value results and NaN payloads.
 *
 * Then the machinery: SHA-256 test vectors, tier names, the cache (a
 * second engine loads the object, a corrupt object is rebuilt, no-cache
 * writes nothing, a folder writable by others is refused), a missing
 * compiler (AOT fails with a message, AUTO falls back), the AUTO rule,
 * four processes compiling one module into one cache at once, and the
 * fault handler leaving faults that are not wasm's alone (in children).
 *
 * Usage: test_aot DIR CACHE
 *   DIR    the assembled test modules (traps.wasm, aot.wasm)
 *   CACHE  a folder this test may fill with compiled objects
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "clave/engine.h"
#include "engine/aot.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      passed++;                                            \
    } else {                                               \
      failed++;                                            \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
    }                                                      \
  } while (0)

static const char *dir, *cache;

typedef struct tier_cfg {
  const char *name;
  clave_tier tier;
  uint32_t flags;
} tier_cfg;

static const tier_cfg cfgs[] = {
    {"interp", CLAVE_TIER_INTERP, 0},
    {"aot", CLAVE_TIER_AOT, 0},
    {"aot-bounds", CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_BOUNDS_CHECKS},
};
#define NCFG (sizeof cfgs / sizeof cfgs[0])

static uint8_t *read_file(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  static uint8_t buf[1 << 16];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  uint8_t *p = malloc(*len);
  memcpy(p, buf, *len);
  return p;
}

static clave_engine *engine_for(const tier_cfg *c, const char *cache_dir) {
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tier = c->tier;
  cfg.flags = c->flags;
  cfg.cache_dir = cache_dir;
  clave_engine *e = clave_engine_new(&cfg);
  if (!e) {
    fprintf(stderr, "cannot create an engine\n");
    exit(2);
  }
  return e;
}

static clave_module *load(clave_engine *e, const char *name, clave_tier want) {
  size_t len;
  uint8_t *bytes = read_file(name, &len);
  clave_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  if (clave_module_load(e, bytes, len, &m, &err) != CLAVE_OK) {
    fprintf(stderr, "%s: %s\n", name, err.message);
    exit(2);
  }
  free(bytes);
  CHECK(clave_module_tier(m) == want, "%s runs in tier %s, want %s", name,
        clave_tier_name(clave_module_tier(m)), clave_tier_name(want));
  return m;
}

/* ---- host functions ---- */

typedef struct host_ctx {
  clave_instance *inst; /* for reenter */
} host_ctx;

static clave_status host_fail(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)user;
  if (args[0].of.i32 < 0)
    return clave_caller_trap(caller, CLAVE_TRAP_HOST, "host refused %d",
                             args[0].of.i32);
  results[0] = clave_i32(args[0].of.i32 + 1);
  return CLAVE_OK;
}

static clave_status host_add1(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)caller;
  (void)user;
  results[0] = clave_i32(args[0].of.i32 + 1);
  return CLAVE_OK;
}

/* calls the caller's export "twice" and adds 1000 */
static clave_status host_reenter(clave_caller *caller, const clave_value *args,
                                 clave_value *results, void *user) {
  host_ctx *h = user;
  CHECK(clave_caller_instance(caller) == h->inst, "caller is the instance");
  clave_extern e;
  if (clave_instance_export(h->inst, "twice", &e) != CLAVE_OK)
    return clave_caller_trap(caller, CLAVE_TRAP_HOST, "no export twice");
  clave_value r;
  clave_error err;
  clave_status st = clave_func_call(e.of.func, args, 1, &r, 1, &err);
  if (st != CLAVE_OK)
    return clave_caller_trap(caller, CLAVE_TRAP_HOST, "reenter: %s",
                             err.message);
  results[0] = clave_i32(r.of.i32 + 1000);
  return CLAVE_OK;
}

static clave_status host_exit(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)results;
  (void)user;
  return clave_caller_exit(caller, args[0].of.i32);
}

static clave_func *host_i2i(clave_engine *e, clave_host_fn fn, void *user) {
  static const clave_valtype i32 = CLAVE_I32;
  clave_functype ft = {1, 1, &i32, &i32};
  return clave_func_new_host(e, &ft, fn, user, NULL);
}

/* ---- one engine's world: traps.wat and aot.wat instantiated ---- */

typedef struct world {
  clave_engine *e;
  clave_module *traps_m, *aot_m;
  clave_instance *traps, *aot;
  clave_table *ext;
  host_ctx hctx;
} world;

static clave_instance *inst_traps(world *w, const clave_limits *lim) {
  clave_linker *l = clave_linker_new(w->e);
  clave_extern ext = {.kind = CLAVE_EXTERN_FUNC,
                      .of.func = host_i2i(w->e, host_fail, NULL)};
  clave_linker_define(l, "host", "fail", ext);
  clave_extern_release(ext);
  clave_instance *inst = NULL;
  clave_error err;
  if (clave_linker_instantiate(l, w->traps_m, lim, &inst, &err) != CLAVE_OK) {
    fprintf(stderr, "instantiate traps: %s\n", err.message);
    exit(2);
  }
  clave_linker_free(l);
  return inst;
}

static clave_instance *inst_aot(world *w, const clave_limits *lim) {
  clave_linker *l = clave_linker_new(w->e);
  clave_extern x = {.kind = CLAVE_EXTERN_FUNC};
  x.of.func = host_i2i(w->e, host_add1, NULL);
  clave_linker_define(l, "host", "add1", x);
  clave_extern_release(x);
  x.of.func = host_i2i(w->e, host_reenter, &w->hctx);
  clave_linker_define(l, "host", "reenter", x);
  clave_extern_release(x);
  static const clave_valtype i32 = CLAVE_I32;
  clave_functype ft = {1, 0, &i32, NULL};
  x.of.func = clave_func_new_host(w->e, &ft, host_exit, NULL, NULL);
  clave_linker_define(l, "host", "exit", x);
  clave_extern_release(x);
  clave_extern t = {.kind = CLAVE_EXTERN_TABLE, .of.table = w->ext};
  clave_linker_define(l, "host", "table", t);
  clave_instance *inst = NULL;
  clave_error err;
  if (clave_linker_instantiate(l, w->aot_m, lim, &inst, &err) != CLAVE_OK) {
    fprintf(stderr, "instantiate aot: %s\n", err.message);
    exit(2);
  }
  clave_linker_free(l);
  w->hctx.inst = inst;
  return inst;
}

static void world_new(world *w, const tier_cfg *c) {
  memset(w, 0, sizeof *w);
  w->e = engine_for(c, cache);
  w->traps_m = load(w->e, "traps.wasm", c->tier);
  w->aot_m = load(w->e, "aot.wasm", c->tier);
  w->traps = inst_traps(w, NULL);
  /* the imported table holds call_id of the traps instance */
  clave_extern id;
  clave_instance_export(w->traps, "call_id", &id);
  clave_value init;
  memset(&init, 0, sizeof init);
  init.type = CLAVE_FUNCREF;
  init.of.funcref = id.of.func;
  w->ext = clave_table_new(w->e, CLAVE_FUNCREF, 2, false, 0, init);
  w->aot = inst_aot(w, NULL);
}

static void world_free(world *w) {
  clave_instance_free(w->aot);
  clave_instance_free(w->traps);
  clave_extern t = {.kind = CLAVE_EXTERN_TABLE, .of.table = w->ext};
  clave_extern_release(t);
  clave_module_free(w->aot_m);
  clave_module_free(w->traps_m);
  clave_engine_free(w->e);
}

/* ---- outcomes ---- */

typedef struct outcome {
  clave_status st;
  clave_trap_kind trap;
  int exit_code;
  char msg[512];
  uint32_t nres;
  clave_value res[4];
  uint64_t fuel;
} outcome;

static outcome call(clave_instance *inst, const char *name,
                    const clave_value *args, size_t nargs) {
  outcome o;
  memset(&o, 0, sizeof o);
  clave_extern e;
  if (clave_instance_export(inst, name, &e) != CLAVE_OK) {
    fprintf(stderr, "no export %s\n", name);
    exit(2);
  }
  clave_functype ft;
  clave_func_type(e.of.func, &ft);
  o.nres = ft.nresults;
  clave_error err;
  memset(&err, 0, sizeof err);
  o.st = clave_func_call(e.of.func, args, nargs, o.res, o.nres, &err);
  if (o.st != CLAVE_OK) {
    o.trap = err.trap;
    o.exit_code = err.exit_code;
    snprintf(o.msg, sizeof o.msg, "%s", err.message);
    o.nres = 0;
  }
  o.fuel = clave_instance_fuel(inst);
  return o;
}

static bool same_value(const clave_value *a, const clave_value *b) {
  if (a->type != b->type) return false;
  switch (a->type) {
    case CLAVE_I32:
    case CLAVE_F32:
      return a->of.i32 == b->of.i32;
    case CLAVE_I64:
    case CLAVE_F64:
      return a->of.i64 == b->of.i64;
    default:
      return true; /* references: instance-specific pointers */
  }
}

static void describe(const outcome *o, char *buf, size_t len) {
  int n =
      snprintf(buf, len, "status %d trap %d exit %d msg '%s' fuel %llu", o->st,
               o->trap, o->exit_code, o->msg, (unsigned long long)o->fuel);
  for (uint32_t i = 0; i < o->nres && n > 0 && (size_t)n < len; i++)
    n += snprintf(buf + n, len - (size_t)n, " r%u=%llx", i,
                  (unsigned long long)o->res[i].of.i64);
}

static bool same_outcome(const outcome *a, const outcome *b) {
  if (a->st != b->st || a->trap != b->trap || a->exit_code != b->exit_code ||
      strcmp(a->msg, b->msg) != 0 || a->nres != b->nres || a->fuel != b->fuel)
    return false;
  for (uint32_t i = 0; i < a->nres; i++)
    if (!same_value(&a->res[i], &b->res[i])) return false;
  return true;
}

/* A scenario returns the outcome of each of its steps; run it in every
 * configuration and require the same list. */
#define MAX_STEPS 64
typedef struct steps {
  outcome o[MAX_STEPS];
  const char *what[MAX_STEPS];
  int n;
} steps;

static void step(steps *s, const char *what, outcome o) {
  if (s->n < MAX_STEPS) {
    s->what[s->n] = what;
    s->o[s->n++] = o;
  }
}

typedef void (*scenario_fn)(world *w, steps *s);

static void compare_tiers(const char *name, scenario_fn fn, steps *interp_out) {
  steps all[NCFG];
  for (size_t c = 0; c < NCFG; c++) {
    world w;
    world_new(&w, &cfgs[c]);
    memset(&all[c], 0, sizeof all[c]);
    fn(&w, &all[c]);
    world_free(&w);
  }
  for (size_t c = 1; c < NCFG; c++) {
    CHECK(all[c].n == all[0].n, "%s: %s made %d steps, interp %d", name,
          cfgs[c].name, all[c].n, all[0].n);
    for (int i = 0; i < all[0].n && i < all[c].n; i++) {
      char a[800], b[800];
      describe(&all[0].o[i], a, sizeof a);
      describe(&all[c].o[i], b, sizeof b);
      CHECK(same_outcome(&all[0].o[i], &all[c].o[i]),
            "%s: step %s: interp {%s} but %s {%s}", name, all[0].what[i], a,
            cfgs[c].name, b);
    }
  }
  *interp_out = all[0];
}

static void expect(const steps *s, int i, clave_status st, clave_trap_kind kind,
                   const char *msg_prefix) {
  const outcome *o = &s->o[i];
  CHECK(o->st == st, "%s: status %d, want %d (%s)", s->what[i], o->st, st,
        o->msg);
  CHECK(o->trap == kind, "%s: trap %d, want %d (%s)", s->what[i], o->trap, kind,
        o->msg);
  if (msg_prefix)
    CHECK(strncmp(o->msg, msg_prefix, strlen(msg_prefix)) == 0,
          "%s: message '%s', want '%s...'", s->what[i], o->msg, msg_prefix);
}

static void expect_i32(const steps *s, int i, int32_t v) {
  CHECK(
      s->o[i].st == CLAVE_OK && s->o[i].nres >= 1 && s->o[i].res[0].of.i32 == v,
      "%s: want %d, got status %d value %d (%s)", s->what[i], v, s->o[i].st,
      s->o[i].res[0].of.i32, s->o[i].msg);
}

/* ---- scenarios ---- */

static void sc_traps(world *w, steps *s) {
  clave_instance *t = w->traps;
  clave_value a[2];
  step(s, "unreachable", call(t, "unreachable", NULL, 0));
  a[0] = clave_i32(65534);
  step(s, "load_oob 65534", call(t, "load_oob", a, 1));
  a[0] = clave_i32(-1);
  step(s, "load_oob -1", call(t, "load_oob", a, 1));
  a[0] = clave_i32(65536 - 12);
  step(s, "store_oob", call(t, "store_oob", a, 1));
  a[0] = clave_i32(4);
  step(s, "table_oob", call(t, "table_oob", a, 1));
  step(s, "undefined_element", call(t, "undefined_element", NULL, 0));
  step(s, "uninitialized_element", call(t, "uninitialized_element", NULL, 0));
  step(s, "type_mismatch", call(t, "type_mismatch", NULL, 0));
  a[0] = clave_i32(1);
  a[1] = clave_i32(0);
  step(s, "div_zero", call(t, "div_zero", a, 2));
  step(s, "overflow", call(t, "overflow", NULL, 0));
  a[0].type = CLAVE_F32;
  a[0].of.f32_bits = 0x7FC00000u;
  step(s, "invalid_conversion", call(t, "invalid_conversion", a, 1));
  a[0].type = CLAVE_F64;
  a[0].of.f64 = 1e30;
  step(s, "trunc_overflow", call(t, "trunc_overflow", a, 1));
  a[0] = clave_i32(0);
  step(s, "recurse", call(t, "recurse", a, 1));
  a[0] = clave_i32(-5);
  step(s, "call_host -5", call(t, "call_host", a, 1));
  a[0] = clave_i32(9);
  step(s, "call_host 9", call(t, "call_host", a, 1));
  a[0] = clave_i32(41);
  step(s, "call_id after traps", call(t, "call_id", a, 1));
}

static void check_traps(void) {
  steps s;
  compare_tiers("traps", sc_traps, &s);
  int i = 0;
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_UNREACHABLE, "unreachable");
  for (int k = 0; k < 3; k++)
    expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB,
           "out of bounds memory access");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_TABLE_OOB,
         "out of bounds table access");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_UNDEFINED_ELEMENT,
         "undefined element");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_UNINITIALIZED_ELEMENT,
         "uninitialized element 3");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_INDIRECT_TYPE,
         "indirect call type mismatch");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_INT_DIV_ZERO,
         "integer divide by zero");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_INT_OVERFLOW, "integer overflow");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_INVALID_CONVERSION,
         "invalid conversion to integer");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_INT_OVERFLOW, "integer overflow");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_CALL_STACK, "call stack exhausted");
  expect(&s, i++, CLAVE_ETRAP, CLAVE_TRAP_HOST, "host refused -5");
  expect_i32(&s, i++, 10);
  expect_i32(&s, i++, 41);
}

static void sc_fuel(world *w, steps *s) {
  clave_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.fuel = 1000000;
  clave_instance *t = inst_traps(w, &lim);
  clave_value a = clave_i32(1000);
  step(s, "count 1000", call(t, "count", &a, 1));
  step(s, "count again", call(t, "count", &a, 1));
  clave_instance_set_fuel(t, 1001);
  step(s, "count with exact fuel", call(t, "count", &a, 1));
  clave_instance_set_fuel(t, 1000);
  step(s, "count one short", call(t, "count", &a, 1));
  clave_instance_set_fuel(t, 10000);
  step(s, "loop_forever", call(t, "loop_forever", NULL, 0));
  clave_instance_free(t);
  /* calls and back-edges in aot.wat, and a fuel trap inside a callee */
  clave_instance *x = inst_aot(w, &lim);
  a = clave_i32(300);
  step(s, "sum 300", call(x, "sum", &a, 1));
  step(s, "calls 300", call(x, "calls", &a, 1));
  clave_instance_set_fuel(x, 450);
  step(s, "calls 300 short", call(x, "calls", &a, 1));
  clave_instance_set_fuel(x, 100);
  a = clave_i32(5);
  step(s, "reenter with fuel", call(x, "call_reenter", &a, 1));
  clave_instance_free(x);
}

static void check_fuel(void) {
  steps s;
  compare_tiers("fuel", sc_fuel, &s);
  expect_i32(&s, 0, 1000);
  CHECK(s.o[0].fuel == 1000000 - 1001, "count(1000) charges 1001, left %llu",
        (unsigned long long)s.o[0].fuel);
  CHECK(s.o[1].fuel == 1000000 - 2002, "deterministic");
  expect_i32(&s, 2, 1000);
  CHECK(s.o[2].fuel == 0, "exact fuel leaves 0");
  expect(&s, 3, CLAVE_ETRAP, CLAVE_TRAP_FUEL, "fuel exhausted");
  expect(&s, 4, CLAVE_ETRAP, CLAVE_TRAP_FUEL, "fuel exhausted");
  expect_i32(&s, 5, 45150);
  expect_i32(&s, 6, 90300);
  expect(&s, 7, CLAVE_ETRAP, CLAVE_TRAP_FUEL, "fuel exhausted");
  expect_i32(&s, 8, 1010);
}

static void sc_stack(world *w, steps *s) {
  static const struct {
    uint32_t depth, stack;
  } lims[] = {{0, 0}, {100, 0}, {0, 4096}, {0, 65536}};
  for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
    clave_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_call_depth = lims[i].depth;
    lim.max_stack_bytes = lims[i].stack;
    clave_instance *x = inst_aot(w, &lim);
    clave_value a = clave_i32(0);
    step(s, "deep", call(x, "deep", &a, 1));
    clave_extern g;
    clave_instance_export(x, "depth", &g);
    outcome d;
    memset(&d, 0, sizeof d);
    d.nres = 1;
    d.res[0] = clave_global_get(g.of.global);
    step(s, "depth reached by deep", d);
    call(x, "reset_depth", NULL, 0);
    step(s, "deep_wide", call(x, "deep_wide", &a, 1));
    d.res[0] = clave_global_get(g.of.global);
    step(s, "depth reached by deep_wide", d);
    clave_instance_free(x);
  }
}

static void check_stack(void) {
  steps s;
  compare_tiers("stack", sc_stack, &s);
  for (int i = 0; i < s.n; i += 2)
    expect(&s, i, CLAVE_ETRAP, CLAVE_TRAP_CALL_STACK, "call stack exhausted");
  CHECK(s.o[5].res[0].of.i32 == 100,
        "depth limit 100 reached 100 frames, "
        "got %d",
        s.o[5].res[0].of.i32);
}

static void sc_memory(world *w, steps *s) {
  clave_instance *x = w->aot;
  clave_value a = clave_i32(65536);
  step(s, "store_then_trap", call(x, "store_then_trap", &a, 1));
  static const int at[] = {0, 8, 12, 16, 20, 65532};
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    a = clave_i32(at[i]);
    step(s, "load32 after the trap", call(x, "load32", &a, 1));
  }
  step(s, "g64 after the trap", call(x, "g64", NULL, 0));
  a = clave_i32(65534); /* straddles the end: nothing may be written */
  step(s, "store_then_trap straddling", call(x, "store_then_trap", &a, 1));
  a = clave_i32(65532);
  step(s, "last word untouched", call(x, "load32", &a, 1));
  a = clave_i32(65529);
  step(s, "dropped load out of bounds", call(x, "dropped_load", &a, 1));
  a = clave_i32(65524);
  step(s, "dropped load in bounds", call(x, "dropped_load", &a, 1));
  a = clave_i32(1);
  step(s, "grow", call(x, "grow", &a, 1));
  a = clave_i32(131068);
  step(s, "load in grown memory", call(x, "load32", &a, 1));
  a = clave_i32(131069);
  step(s, "load past grown memory", call(x, "load32", &a, 1));
  a = clave_i32(1);
  step(s, "grow past the maximum", call(x, "grow", &a, 1));
}

static void check_memory(void) {
  steps s;
  compare_tiers("memory", sc_memory, &s);
  expect(&s, 0, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB, NULL);
  expect_i32(&s, 1, 0x11111111);
  expect_i32(&s, 2, 0x33333333);
  expect_i32(&s, 3, 0x22222222);
  expect_i32(&s, 4, 0x3fc00000);
  expect_i32(&s, 5, 0);
  expect_i32(&s, 6, 0);
  CHECK(s.o[7].st == CLAVE_OK && s.o[7].res[0].of.i64 == 0x1234567890,
        "global set before the trap");
  expect(&s, 8, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB, NULL);
  expect_i32(&s, 9, 0);
  expect(&s, 10, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB,
         "out of bounds memory access");
  expect(&s, 11, CLAVE_OK, CLAVE_TRAP_NONE, NULL);
  expect_i32(&s, 12, 1);
  expect_i32(&s, 13, 0);
  expect(&s, 14, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB, NULL);
  expect_i32(&s, 15, -1);
}

/* A counted loop with a fast copy (aot.wat's bump): longer than a chunk
 * of budget, with fuel that runs out inside it, and leaving memory. */
static void sc_loops(world *w, steps *s) {
  clave_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.fuel = 1000000;
  clave_instance *x = inst_aot(w, &lim);
  clave_value a[2] = {clave_i32(1024), clave_i32(12000)};
  step(s, "bump 12000", call(x, "bump", a, 2));
  static const int at[] = {1024, 1024 + 4 * 11999, 1024 + 4 * 12000};
  for (size_t i = 0; i < 3; i++) {
    clave_value p = clave_i32(at[i]);
    step(s, "load32 after bump", call(x, "load32", &p, 1));
  }
  clave_instance_set_fuel(x, 5000);
  step(s, "bump out of fuel", call(x, "bump", a, 2));
  clave_instance_set_fuel(x, 1000);
  static const int at2[] = {1024 + 4 * 4999, 1024 + 4 * 5000};
  for (size_t i = 0; i < 2; i++) {
    clave_value p = clave_i32(at2[i]);
    step(s, "load32 after the fuel trap", call(x, "load32", &p, 1));
  }
  clave_instance_set_fuel(x, 1000000);
  a[0] = clave_i32(65536 - 400);
  a[1] = clave_i32(200);
  step(s, "bump leaving memory", call(x, "bump", a, 2));
  clave_value p = clave_i32(65532);
  step(s, "last word bumped", call(x, "load32", &p, 1));
  clave_instance_free(x);
}

static void check_loops(void) {
  steps s;
  compare_tiers("loops", sc_loops, &s);
  expect_i32(&s, 0, 1024 + 4 * 12000);
  CHECK(s.o[0].fuel == 1000000 - 12000, "bump(12000) charges 12000, left %llu",
        (unsigned long long)s.o[0].fuel);
  expect_i32(&s, 1, 1);
  expect_i32(&s, 2, 1);
  expect_i32(&s, 3, 0);
  expect(&s, 4, CLAVE_ETRAP, CLAVE_TRAP_FUEL, "fuel exhausted");
  CHECK(s.o[4].fuel == 0, "the fuel trap leaves 0");
  expect_i32(&s, 5, 2);
  expect_i32(&s, 6, 1);
  expect(&s, 7, CLAVE_ETRAP, CLAVE_TRAP_MEMORY_OOB,
         "out of bounds memory access");
  /* the entry and 100 back-edges: the 101st iteration faults */
  CHECK(s.o[7].fuel == 1000000 - 101, "OOB in iteration 101, left %llu",
        (unsigned long long)s.o[7].fuel);
  expect_i32(&s, 8, 1);
}

static void sc_calls(world *w, steps *s) {
  clave_instance *x = w->aot;
  clave_value a[4];
  a[0] = clave_i32(5);
  step(s, "call_add1", call(x, "call_add1", a, 1));
  a[0] = clave_i32(7);
  step(s, "call_reenter", call(x, "call_reenter", a, 1));
  a[0] = clave_i32(3);
  step(s, "call_exit", call(x, "call_exit", a, 1));
  a[0] = clave_i32(1);
  a[1] = clave_i32(41);
  step(s, "call_ext", call(x, "call_ext", a, 2));
  a[0] = clave_i32(0);
  a[1] = clave_i32(21);
  step(s, "call_own", call(x, "call_own", a, 2));
  a[0] = clave_i32(2);
  step(s, "call_own past the table", call(x, "call_own", a, 2));
  a[0] = clave_i32(-7);
  a[1] = clave_i64(-1);
  a[2].type = CLAVE_F32;
  a[2].of.f32_bits = 0x7fa00001u; /* a signalling NaN with a payload */
  a[3].type = CLAVE_F64;
  a[3].of.f64_bits = 0xfff4000000000123ull;
  step(s, "mix", call(x, "mix", a, 4));
  step(s, "globals", call(x, "globals", a + 1, 3));
}

static void check_calls(void) {
  steps s;
  compare_tiers("calls", sc_calls, &s);
  expect_i32(&s, 0, 6);
  expect_i32(&s, 1, 1014);
  expect(&s, 2, CLAVE_ETRAP, CLAVE_TRAP_EXIT, "exit with code 3");
  CHECK(s.o[2].exit_code == 3, "exit code 3, got %d", s.o[2].exit_code);
  expect_i32(&s, 3, 41);
  expect_i32(&s, 4, 42);
  expect(&s, 5, CLAVE_ETRAP, CLAVE_TRAP_UNDEFINED_ELEMENT, "undefined element");
  CHECK(s.o[6].nres == 4 &&
            s.o[6].res[0].of.f64_bits == 0xfff4000000000123ull &&
            s.o[6].res[1].of.f32_bits == 0x7fa00001u &&
            s.o[6].res[2].of.i64 == -1 && s.o[6].res[3].of.i32 == -7,
        "mix passes every value through unchanged");
  CHECK(s.o[7].nres == 3 && s.o[7].res[1].of.f32_bits == 0x7fa00001u,
        "globals keep a NaN's payload");
}

/* deadline and interrupt in AOT code (their timing is the interpreter's
 * business: here only that they stop native loops) */
static void *interrupter(void *arg) {
  usleep(50 * 1000);
  clave_instance_interrupt((clave_instance *)arg);
  return NULL;
}

static void check_deadline(void) {
  for (size_t c = 1; c < NCFG; c++) {
    world w;
    world_new(&w, &cfgs[c]);
    clave_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.timeout_ms = 100;
    clave_instance *t = inst_traps(&w, &lim);
    outcome o = call(t, "loop_forever", NULL, 0);
    CHECK(o.st == CLAVE_ETRAP && o.trap == CLAVE_TRAP_DEADLINE &&
              strcmp(o.msg, "deadline passed") == 0,
          "%s: deadline: %s", cfgs[c].name, o.msg);
    clave_value a = clave_i32(10);
    o = call(t, "count", &a, 1);
    CHECK(o.st == CLAVE_OK && o.res[0].of.i32 == 10,
          "%s: usable after the deadline", cfgs[c].name);
    clave_instance_free(t);
    pthread_t th;
    pthread_create(&th, NULL, interrupter, w.traps);
    o = call(w.traps, "loop_forever", NULL, 0);
    pthread_join(th, NULL);
    CHECK(o.st == CLAVE_ETRAP && o.trap == CLAVE_TRAP_DEADLINE,
          "%s: interrupted: %s", cfgs[c].name, o.msg);
    world_free(&w);
  }
}

/* Threads, each with its own engine and instance in AOT, trapping on out
 * of bounds accesses (faults) and stopping on fuel at once: every trap
 * lands in its own thread's call. */
typedef struct thread_job {
  int traps_ok, results_ok;
} thread_job;

static void *thread_run(void *arg) {
  thread_job *j = arg;
  world w;
  world_new(&w, &cfgs[1]);
  clave_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.fuel = 1u << 30;
  clave_instance *t = inst_traps(&w, &lim);
  for (int i = 0; i < 200; i++) {
    clave_value a = clave_i32(65534 + (i % 3));
    outcome o = call(t, "load_oob", &a, 1);
    if (o.st == CLAVE_ETRAP && o.trap == CLAVE_TRAP_MEMORY_OOB) j->traps_ok++;
    a = clave_i32(100 + i);
    o = call(t, "count", &a, 1);
    if (o.st == CLAVE_OK && o.res[0].of.i32 == 100 + i) j->results_ok++;
  }
  clave_instance_free(t);
  world_free(&w);
  return NULL;
}

static void check_threads(void) {
  pthread_t th[3];
  thread_job jobs[3];
  memset(jobs, 0, sizeof jobs);
  for (int i = 0; i < 3; i++)
    pthread_create(&th[i], NULL, thread_run, &jobs[i]);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 3; i++)
    CHECK(jobs[i].traps_ok == 200 && jobs[i].results_ok == 200,
          "thread %d: %d traps and %d results of 200", i, jobs[i].traps_ok,
          jobs[i].results_ok);
}

/* ---- the machinery ---- */

static void check_sha256(void) {
  static const struct {
    const char *in;
    const char *hex;
  } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    cl_sha256 s;
    cl_sha256_init(&s);
    /* in two pieces, to cross the buffering */
    size_t n = strlen(v[i].in), h = n / 3;
    cl_sha256_update(&s, v[i].in, h);
    cl_sha256_update(&s, v[i].in + h, n - h);
    uint8_t d[32];
    cl_sha256_final(&s, d);
    char hex[65];
    for (int k = 0; k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", d[k]);
    CHECK(strcmp(hex, v[i].hex) == 0, "sha256 vector %zu: %s", i, hex);
  }
  /* a million 'a' */
  cl_sha256 s;
  cl_sha256_init(&s);
  char a[1000];
  memset(a, 'a', sizeof a);
  for (int i = 0; i < 1000; i++) cl_sha256_update(&s, a, sizeof a);
  uint8_t d[32];
  cl_sha256_final(&s, d);
  CHECK(d[0] == 0xcd && d[1] == 0xc7 && d[31] == 0xd0,
        "sha256 of a million 'a'");
}

static void check_names(void) {
  clave_tier t;
  CHECK(clave_tier_parse("aot", &t) && t == CLAVE_TIER_AOT, "parse aot");
  CHECK(clave_tier_parse("auto", &t) && t == CLAVE_TIER_AUTO, "parse auto");
  CHECK(clave_tier_parse("interp", &t) && t == CLAVE_TIER_INTERP,
        "parse interp");
  CHECK(!clave_tier_parse("jit", &t) && !clave_tier_parse(NULL, &t),
        "parse rejects others");
  CHECK(strcmp(clave_tier_name(CLAVE_TIER_AUTO), "auto") == 0, "tier name");
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tier = (clave_tier)7;
  CHECK(clave_engine_new(&cfg) == NULL, "an engine refuses tier 7");
}

static int count_files(const char *path, const char *suffix) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name), s = strlen(suffix);
    if (e->d_name[0] != '.' && l >= s && strcmp(e->d_name + l - s, suffix) == 0)
      n++;
  }
  closedir(d);
  return n;
}

static void rm_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  char p[2048];
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(p, sizeof p, "%s/%s", path, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(path);
}

static clave_status try_load(clave_tier tier, uint32_t flags,
                             const char *cache_dir, const char *name,
                             clave_aot_info *info, clave_error *err) {
  tier_cfg c = {"x", tier, flags};
  clave_engine *e = engine_for(&c, cache_dir);
  size_t len;
  uint8_t *bytes = read_file(name, &len);
  clave_module *m = NULL;
  memset(err, 0, sizeof *err);
  clave_status st = clave_module_load(e, bytes, len, &m, err);
  free(bytes);
  if (st == CLAVE_OK) {
    clave_module_aot_info(m, info);
    /* the note and object point into the module: keep copies */
    static char note[256], object[4096];
    snprintf(note, sizeof note, "%s", info->note ? info->note : "");
    snprintf(object, sizeof object, "%s", info->object ? info->object : "");
    info->note = note;
    info->object = object;
    /* it also runs */
    clave_instance *inst = NULL;
    if (clave_instance_new(e, m, NULL, 0, NULL, &inst, err) == CLAVE_OK) {
      clave_extern f;
      clave_instance_export(inst, "fac", &f);
      clave_value a = clave_i64(10), r;
      CHECK(clave_func_call(f.of.func, &a, 1, &r, 1, err) == CLAVE_OK &&
                r.of.i64 == 3628800,
            "fac(10) in %s", clave_tier_name(info->tier));
      clave_instance_free(inst);
    }
    clave_module_free(m);
  }
  clave_engine_free(e);
  return st;
}

static void check_cache(void) {
  char tmpl[1024];
  snprintf(tmpl, sizeof tmpl, "%s/cache-XXXXXX", cache);
  char *cdir = mkdtemp(tmpl);
  if (!cdir) {
    fprintf(stderr, "mkdtemp in %s: %s\n", cache, strerror(errno));
    exit(2);
  }
  char sub[1100];
  snprintf(sub, sizeof sub, "%s/a/b", cdir); /* created on demand */
  clave_aot_info info;
  clave_error err;
  /* AUTO, small module, nothing cached: the interpreter, with why */
  CHECK(
      try_load(CLAVE_TIER_AUTO, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
          info.tier == CLAVE_TIER_INTERP &&
          strstr(info.note, "under the 32768 bytes that pay for a compile"),
      "auto keeps the interpreter for a small uncached module: %s", info.note);
  CHECK(count_files(sub, ".so") == 0, "auto compiled nothing");
  /* AOT compiles and caches */
  CHECK(try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
            info.tier == CLAVE_TIER_AOT && !info.cached &&
            info.compile_ms > 0 && info.c_bytes > 0,
        "aot compiles: %s", err.message);
  CHECK(count_files(sub, ".so") == 1 && count_files(sub, ".c") == 0 &&
            count_files(sub, ".log") == 0,
        "one object and no temporary files in the cache");
  struct stat st;
  CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700,
        "cache folder created 0700");
  /* a second engine finds it */
  CHECK(try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
            info.cached && strstr(info.object, sub) == info.object,
        "aot loads from the cache");
  /* and now AUTO takes it too */
  CHECK(
      try_load(CLAVE_TIER_AUTO, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
          info.tier == CLAVE_TIER_AOT && info.cached,
      "auto takes a cached object");
  /* bounds checks are another object */
  CHECK(try_load(CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_BOUNDS_CHECKS, sub,
                 "fac.wasm", &info, &err) == CLAVE_OK &&
            !info.cached && count_files(sub, ".so") == 2,
        "bounds checks: a second object");
  /* a corrupt object is rebuilt */
  char obj[4200];
  try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err);
  snprintf(obj, sizeof obj, "%s", info.object);
  FILE *f = fopen(obj, "wb");
  CHECK(f != NULL, "open the object");
  if (f) {
    fputs("not an ELF object", f);
    fclose(f);
  }
  CHECK(try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
            !info.cached,
        "a corrupt object is rebuilt: %s", err.message);
  CHECK(try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err) == CLAVE_OK &&
            info.cached,
        "and then loaded");
  /* no cache: nothing written */
  char sub2[1100];
  snprintf(sub2, sizeof sub2, "%s/nocache", cdir);
  CHECK(try_load(CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_NO_CACHE, sub2, "fac.wasm",
                 &info, &err) == CLAVE_OK &&
            info.tier == CLAVE_TIER_AOT && !info.cached && !*info.object,
        "no cache compiles: %s", err.message);
  CHECK(access(sub2, F_OK) != 0, "no cache: the folder is not even made");
  /* a folder others may write to is refused */
  chmod(sub, 0777);
  clave_status s = try_load(CLAVE_TIER_AOT, 0, sub, "fac.wasm", &info, &err);
  char want[1400];
  snprintf(want, sizeof want,
           "AOT: cache folder %s is owned by another user or writable by "
           "others; refusing to load code from it",
           sub);
  CHECK(s == CLAVE_EIO && strcmp(err.message, want) == 0,
        "writable cache refused: %s", err.message);
  s = try_load(CLAVE_TIER_AUTO, 0, sub, "fac.wasm", &info, &err);
  CHECK(s == CLAVE_OK && info.tier == CLAVE_TIER_INTERP &&
            strstr(info.note, "writable by others"),
        "auto falls back from a writable cache: %s", info.note);
  chmod(sub, 0700);
  /* no compiler */
  setenv("CLAVE_CC", "/nonexistent/cc", 1);
  s = try_load(CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_NO_CACHE, sub, "fac.wasm",
               &info, &err);
  CHECK(s == CLAVE_EUNSUPPORTED &&
            strcmp(err.message,
                   "AOT: no C compiler: /nonexistent/cc not found (set "
                   "CLAVE_CC to a compiler)") == 0,
        "no compiler: %s", err.message);
  s = try_load(CLAVE_TIER_AUTO, 0, sub, "fac.wasm", &info, &err);
  CHECK(s == CLAVE_OK && info.tier == CLAVE_TIER_INTERP &&
            strstr(info.note, "no C compiler"),
        "auto without a compiler: %s", info.note);
  /* a compiler that fails */
  setenv("CLAVE_CC", "/bin/false", 1);
  s = try_load(CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_NO_CACHE, sub, "fac.wasm",
               &info, &err);
  CHECK(s == CLAVE_EIO &&
            strncmp(err.message,
                    "AOT: the C compiler /bin/false failed (exit 1)", 46) == 0,
        "failing compiler: %s", err.message);
  unsetenv("CLAVE_CC");
  rm_tree(sub2);
  char a[1100];
  snprintf(a, sizeof a, "%s/a", cdir);
  rm_tree(sub);
  rm_tree(a);
  rm_tree(cdir);
}

/* A module large enough for the generator to split its C into several
 * translation units (compiled at once, then linked): 300 functions, each
 * some arithmetic and a call to the next, f0 exported.  Byte encoding by
 * hand: no assembler needed. */
static void put_uleb(uint8_t **p, uint32_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    *(*p)++ = (uint8_t)(c | (v ? 0x80 : 0));
  } while (v);
}

static size_t big_module(uint8_t *out, size_t cap, uint32_t nf) {
  static uint8_t body[512], code[1 << 20];
  uint8_t *c = code;
  put_uleb(&c, nf);
  for (uint32_t f = 0; f < nf; f++) {
    uint8_t *b = body;
    *b++ = 0; /* no locals */
    for (uint32_t k = 0; k < 24; k++) {
      /* local.set 0 (i32.add (i32.mul (local.get 0) K) f) */
      *b++ = 0x20, *b++ = 0;
      *b++ = 0x41, *b++ = (uint8_t)(3 + 2 * (k % 30)); /* small positive */
      *b++ = 0x6C;
      *b++ = 0x41, *b++ = (uint8_t)(f % 60);
      *b++ = 0x6A;
      *b++ = 0x21, *b++ = 0;
    }
    *b++ = 0x20, *b++ = 0;
    if (f + 1 < nf) {
      *b++ = 0x10; /* call f+1 */
      put_uleb(&b, f + 1);
    }
    *b++ = 0x0B;
    put_uleb(&c, (uint32_t)(b - body));
    memcpy(c, body, (size_t)(b - body));
    c += b - body;
  }
  uint8_t *o = out;
  static const uint8_t head[] = {0, 'a', 's', 'm',  1, 0,    0, 0,
                                 1, 6,   1,   0x60, 1, 0x7F, 1, 0x7F};
  memcpy(o, head, sizeof head);
  o += sizeof head;
  /* functions */
  uint8_t fsec[1 << 12], *fs = fsec;
  put_uleb(&fs, nf);
  for (uint32_t f = 0; f < nf; f++) *fs++ = 0;
  *o++ = 3;
  put_uleb(&o, (uint32_t)(fs - fsec));
  memcpy(o, fsec, (size_t)(fs - fsec));
  o += fs - fsec;
  /* export f0 as "f0" */
  static const uint8_t ex[] = {7, 6, 1, 2, 'f', '0', 0, 0};
  memcpy(o, ex, sizeof ex);
  o += sizeof ex;
  *o++ = 10;
  put_uleb(&o, (uint32_t)(c - code));
  if ((size_t)(o - out) + (size_t)(c - code) > cap) return 0;
  memcpy(o, code, (size_t)(c - code));
  o += c - code;
  return (size_t)(o - out);
}

static void check_big_module(void) {
  static uint8_t wasm[1 << 20];
  size_t len = big_module(wasm, sizeof wasm, 300);
  CHECK(len > 0, "big module built");
  int32_t got[NCFG];
  for (size_t c = 0; c < NCFG; c++) {
    clave_engine *e = engine_for(&cfgs[c], cache);
    clave_module *m = NULL;
    clave_error err;
    memset(&err, 0, sizeof err);
    got[c] = 0;
    if (clave_module_load(e, wasm, len, &m, &err) != CLAVE_OK) {
      CHECK(false, "%s: big module: %s", cfgs[c].name, err.message);
      clave_engine_free(e);
      continue;
    }
    CHECK(clave_module_tier(m) == cfgs[c].tier, "big module's tier");
    clave_instance *inst = NULL;
    if (clave_instance_new(e, m, NULL, 0, NULL, &inst, &err) == CLAVE_OK) {
      clave_extern f;
      clave_instance_export(inst, "f0", &f);
      clave_value a = clave_i32(7), r;
      CHECK(clave_func_call(f.of.func, &a, 1, &r, 1, &err) == CLAVE_OK,
            "%s: big module runs: %s", cfgs[c].name, err.message);
      got[c] = r.of.i32;
      clave_instance_free(inst);
    }
    clave_module_free(m);
    clave_engine_free(e);
  }
  for (size_t c = 1; c < NCFG; c++)
    CHECK(got[c] == got[0], "big module: %s gives %d, interp %d", cfgs[c].name,
          got[c], got[0]);
}

/* four processes compile one module into one empty cache at once */
static void check_concurrent(void) {
  char tmpl[1024];
  snprintf(tmpl, sizeof tmpl, "%s/conc-XXXXXX", cache);
  char *cdir = mkdtemp(tmpl);
  if (!cdir) exit(2);
  pid_t kids[4];
  for (int i = 0; i < 4; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      clave_aot_info info;
      clave_error err;
      int before = failed;
      clave_status s =
          try_load(CLAVE_TIER_AOT, 0, cdir, "fac.wasm", &info, &err);
      _exit(s == CLAVE_OK && failed == before ? 0 : 1);
    }
  }
  int ok = 0;
  for (int i = 0; i < 4; i++) {
    int status = 0;
    waitpid(kids[i], &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
  }
  CHECK(ok == 4, "four concurrent loads succeed (%d did)", ok);
  CHECK(count_files(cdir, ".so") == 1, "one object after concurrent loads");
  DIR *d = opendir(cdir);
  int others = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.' && !strstr(e->d_name, ".so")) others++;
  if (d) closedir(d);
  CHECK(others == 0, "no temporary files left (%d)", others);
  rm_tree(cdir);
}

/* Faults that are not wasm's go on to kill the process (in children). */
static clave_status host_poke(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)args;
  (void)results;
  (void)user;
  /* past the end of the caller's memory, inside its reservation */
  size_t size;
  uint8_t *base = clave_memory_data(clave_caller_memory(caller), &size);
  volatile uint8_t *p = base + size + 4096;
  *p = 1;
  return CLAVE_OK;
}

static void check_foreign_faults(void) {
  for (int which = 0; which < 2; which++) {
    pid_t pid = fork();
    if (pid == 0) {
      /* the crash report (ASan's, or the shell's) is expected: keep it
       * out of the test's output */
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 2);
      world w;
      world_new(&w, &cfgs[1]);
      clave_value a = clave_i32(1);
      call(w.aot, "call_add1", &a, 1); /* the handler is installed */
      if (which == 0) {
        /* not in any memory: the process must die */
        volatile uintptr_t addr = 16;
        *(volatile int *)addr = 1;
      } else {
        /* a host function faulting inside the memory's reservation while
         * native code is below it on the stack */
        clave_engine *e = w.e;
        clave_func *hp = host_i2i(e, host_poke, NULL);
        clave_linker *l = clave_linker_new(e);
        clave_extern x = {.kind = CLAVE_EXTERN_FUNC, .of.func = hp};
        clave_linker_define(l, "host", "add1", x);
        clave_extern_release(x);
        x.of.func = host_i2i(e, host_add1, NULL);
        clave_linker_define(l, "host", "reenter", x);
        clave_extern_release(x);
        static const clave_valtype i32 = CLAVE_I32;
        clave_functype ft = {1, 0, &i32, NULL};
        x.of.func = clave_func_new_host(e, &ft, host_exit, NULL, NULL);
        clave_linker_define(l, "host", "exit", x);
        clave_extern_release(x);
        clave_extern t = {.kind = CLAVE_EXTERN_TABLE, .of.table = w.ext};
        clave_linker_define(l, "host", "table", t);
        clave_instance *inst = NULL;
        clave_error err;
        if (clave_linker_instantiate(l, w.aot_m, NULL, &inst, &err) == CLAVE_OK)
          call(inst, "call_add1", &a, 1);
      }
      _exit(0); /* survived: wrong */
    }
    int status = 0;
    waitpid(pid, &status, 0);
#ifdef CLAVE_SANITIZE
    /* ASan's own SEGV handler reports the fault and exits */
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
#else
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
#endif
          "%s: the process dies of SIGSEGV (status 0x%x)",
          which ? "a host function's fault in the reservation"
                : "a fault outside any memory",
          status);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_aot DIR CACHE\n");
    return 2;
  }
  dir = argv[1];
  cache = argv[2];
  unsetenv("CLAVE_AOT_KEEP"); /* the cache tests count the files left */
  unsetenv("CLAVE_CC");
  mkdir(cache, 0700);
  chmod(cache, 0700);
  check_sha256();
  check_names();
  check_traps();
  check_fuel();
  check_stack();
  check_memory();
  check_loops();
  check_calls();
  check_deadline();
  check_threads();
  check_cache();
  check_big_module();
  check_concurrent();
  check_foreign_faults();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
