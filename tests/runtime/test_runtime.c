/*
 * test_runtime.c - the engine at run time: traps, limits, fuel, deadline.
 *
 * Every trap kind is provoked by an export of traps.wat and checked for its
 * kind and its message; every limit of clave_limits is hit once; fuel is
 * checked to be exact and deterministic; a deadline and an interrupt from
 * another thread stop a loop that never ends; and after each trap the same
 * instance must still answer a normal call.
 *
 * Usage: test_runtime DIR   (DIR holds the assembled .wasm files)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clave/engine.h"

static int passed, failed;

#define CHECK(cond, ...)                                       \
  do {                                                         \
    if (cond) {                                                \
      passed++;                                                \
    } else {                                                   \
      failed++;                                                \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
      fprintf(stderr, __VA_ARGS__);                            \
      fputc('\n', stderr);                                     \
    }                                                          \
  } while (0)

static const char *dir;
static clave_engine *engine;

static clave_module *load(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  clave_module *m = NULL;
  clave_error err;
  if (clave_module_load(engine, buf, n, &m, &err) != CLAVE_OK) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    exit(2);
  }
  return m;
}

/* host.fail(x): returns x+1 for x >= 0, traps with a message otherwise */
static clave_status host_fail(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)user;
  if (args[0].of.i32 < 0)
    return clave_caller_trap(caller, CLAVE_TRAP_HOST, "host refused %d",
                             args[0].of.i32);
  results[0] = clave_i32(args[0].of.i32 + 1);
  return CLAVE_OK;
}

static clave_instance *instantiate(clave_module *m, const clave_limits *lim) {
  clave_linker *l = clave_linker_new(engine);
  clave_valtype i32 = CLAVE_I32;
  clave_functype ft = {1, 1, &i32, &i32};
  clave_func *hf = clave_func_new_host(engine, &ft, host_fail, NULL, NULL);
  clave_extern ext = {.kind = CLAVE_EXTERN_FUNC, .of.func = hf};
  clave_linker_define(l, "host", "fail", ext);
  clave_extern_release(ext);
  clave_instance *inst = NULL;
  clave_error err;
  if (clave_linker_instantiate(l, m, lim, &inst, &err) != CLAVE_OK) {
    fprintf(stderr, "instantiate: %s\n", err.message);
    exit(2);
  }
  clave_linker_free(l);
  return inst;
}

static clave_func *fn(clave_instance *inst, const char *name) {
  clave_extern e;
  if (clave_instance_export(inst, name, &e) != CLAVE_OK ||
      e.kind != CLAVE_EXTERN_FUNC) {
    fprintf(stderr, "no function export %s\n", name);
    exit(2);
  }
  return e.of.func;
}

/* Call name with up to two i32/f32/f64 args; returns the status. */
static clave_status call(clave_instance *inst, const char *name,
                         const clave_value *args, size_t nargs,
                         clave_value *res, clave_error *err) {
  clave_func *f = fn(inst, name);
  clave_functype ft;
  clave_func_type(f, &ft);
  clave_value tmp[4];
  return clave_func_call(f, args, nargs, res ? res : tmp, ft.nresults, err);
}

static void expect_trap(clave_instance *inst, const char *name,
                        const clave_value *args, size_t nargs,
                        clave_trap_kind kind, const char *msg) {
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = call(inst, name, args, nargs, NULL, &err);
  CHECK(st == CLAVE_ETRAP, "%s: status %d, want trap", name, st);
  CHECK(err.trap == kind, "%s: trap kind %d, want %d (%s)", name, err.trap,
        kind, err.message);
  CHECK(strncmp(err.message, msg, strlen(msg)) == 0,
        "%s: message '%s', want prefix '%s'", name, err.message, msg);
  /* the instance stays usable */
  clave_value a = clave_i32(41), r;
  st = call(inst, "call_id", &a, 1, &r, &err);
  CHECK(st == CLAVE_OK && r.of.i32 == 41, "%s: instance unusable after trap",
        name);
}

static void test_traps(void) {
  clave_module *m = load("traps");
  clave_instance *inst = instantiate(m, NULL);
  clave_value a[2];
  expect_trap(inst, "unreachable", NULL, 0, CLAVE_TRAP_UNREACHABLE,
              "unreachable");
  a[0] = clave_i32(65534);
  expect_trap(inst, "load_oob", a, 1, CLAVE_TRAP_MEMORY_OOB,
              "out of bounds memory access");
  a[0] = clave_i32(-1);
  expect_trap(inst, "load_oob", a, 1, CLAVE_TRAP_MEMORY_OOB,
              "out of bounds memory access");
  a[0] = clave_i32(65536 - 12);
  expect_trap(inst, "store_oob", a, 1, CLAVE_TRAP_MEMORY_OOB,
              "out of bounds memory access");
  a[0] = clave_i32(4);
  expect_trap(inst, "table_oob", a, 1, CLAVE_TRAP_TABLE_OOB,
              "out of bounds table access");
  expect_trap(inst, "undefined_element", NULL, 0,
              CLAVE_TRAP_UNDEFINED_ELEMENT, "undefined element");
  expect_trap(inst, "uninitialized_element", NULL, 0,
              CLAVE_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element");
  expect_trap(inst, "type_mismatch", NULL, 0, CLAVE_TRAP_INDIRECT_TYPE,
              "indirect call type mismatch");
  a[0] = clave_i32(1);
  a[1] = clave_i32(0);
  expect_trap(inst, "div_zero", a, 2, CLAVE_TRAP_INT_DIV_ZERO,
              "integer divide by zero");
  expect_trap(inst, "overflow", NULL, 0, CLAVE_TRAP_INT_OVERFLOW,
              "integer overflow");
  a[0].type = CLAVE_F32;
  a[0].of.f32_bits = 0x7FC00000u; /* NaN */
  expect_trap(inst, "invalid_conversion", a, 1, CLAVE_TRAP_INVALID_CONVERSION,
              "invalid conversion to integer");
  a[0].type = CLAVE_F64;
  a[0].of.f64 = 1e30;
  expect_trap(inst, "trunc_overflow", a, 1, CLAVE_TRAP_INT_OVERFLOW,
              "integer overflow");
  a[0] = clave_i32(0);
  expect_trap(inst, "recurse", a, 1, CLAVE_TRAP_CALL_STACK,
              "call stack exhausted");
  a[0] = clave_i32(-5);
  expect_trap(inst, "call_host", a, 1, CLAVE_TRAP_HOST, "host refused -5");

  /* a host call that succeeds, and wrong-arity / wrong-type calls */
  clave_value r;
  clave_error err;
  a[0] = clave_i32(9);
  CHECK(call(inst, "call_host", a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 10,
        "host call result");
  CHECK(clave_func_call(fn(inst, "call_id"), a, 0, &r, 1, &err) == CLAVE_EARG,
        "arity check");
  a[0].type = CLAVE_F32;
  CHECK(clave_func_call(fn(inst, "call_id"), a, 1, &r, 1, &err) == CLAVE_EARG &&
            strstr(err.message, "argument 0 has type f32, expected i32"),
        "type check: %s", err.message);
  clave_instance_free(inst);
  clave_module_free(m);
}

static void test_memory_limits(void) {
  clave_module *m = load("traps");
  clave_limits lim = {0};
  lim.max_memory_bytes = 3 * 65536; /* declared max is 4 pages */
  clave_instance *inst = instantiate(m, &lim);
  clave_value a = clave_i32(1), r;
  clave_error err;
  CHECK(call(inst, "grow", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 1,
        "grow 1 -> old size 1");
  CHECK(call(inst, "grow", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 2,
        "grow 1 -> old size 2");
  CHECK(call(inst, "grow", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == -1,
        "grow past the limit returns -1, got %d", r.of.i32);
  CHECK(call(inst, "size", NULL, 0, &r, &err) == CLAVE_OK && r.of.i32 == 3,
        "size stays 3");
  /* the grown pages are usable and zero */
  a = clave_i32(3 * 65536 - 4);
  CHECK(call(inst, "load_oob", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 0,
        "last word of grown memory readable");
  clave_instance_free(inst);
  clave_module_free(m);

  /* a module whose initial memory is over the limit does not instantiate */
  clave_module *big = load("bigmem");
  lim.max_memory_bytes = 16u << 20;
  clave_instance *bi = NULL;
  CHECK(clave_instance_new(engine, big, NULL, 0, &lim, &bi, &err) ==
                CLAVE_ELIMIT &&
            strstr(err.message, "over the limit of 16 MiB"),
        "bigmem refused: %s", err.message);
  lim.max_memory_bytes = 0;
  CHECK(clave_instance_new(engine, big, NULL, 0, &lim, &bi, &err) == CLAVE_OK,
        "bigmem fits the default limit: %s", err.message);
  clave_instance_free(bi);
  clave_module_free(big);

  clave_module *bt = load("bigtable");
  lim.max_table_elems = 1000;
  CHECK(clave_instance_new(engine, bt, NULL, 0, &lim, &bi, &err) ==
                CLAVE_ELIMIT &&
            strstr(err.message, "table 0 needs 100000 elements"),
        "bigtable refused: %s", err.message);
  clave_module_free(bt);
}

static void test_stack_limits(void) {
  clave_module *m = load("traps");
  clave_limits lim = {0};
  clave_error err;
  clave_value a = clave_i32(0);
  lim.max_call_depth = 100;
  clave_instance *inst = instantiate(m, &lim);
  CHECK(call(inst, "recurse", &a, 1, NULL, &err) == CLAVE_ETRAP &&
            err.trap == CLAVE_TRAP_CALL_STACK,
        "depth limit 100");
  clave_instance_free(inst);
  lim.max_call_depth = 0;
  lim.max_stack_bytes = 4096;
  inst = instantiate(m, &lim);
  CHECK(call(inst, "recurse", &a, 1, NULL, &err) == CLAVE_ETRAP &&
            err.trap == CLAVE_TRAP_CALL_STACK,
        "operand stack limit 4 KiB");
  clave_instance_free(inst);
  clave_module_free(m);
}

static void test_fuel(void) {
  clave_module *m = load("traps");
  clave_limits lim = {0};
  clave_error err;
  clave_value a, r;
  /* measure the checkpoints of count(1000) with plenty of fuel */
  lim.fuel = 1000000;
  clave_instance *inst = instantiate(m, &lim);
  a = clave_i32(1000);
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 1000,
        "count with fuel");
  uint64_t used = 1000000 - clave_instance_fuel(inst);
  CHECK(used == 1001, "count(1000) charges 1001 checkpoints (one call and "
        "1000 back-edges), used %llu", (unsigned long long)used);
  /* the same call again charges the same */
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_OK, "second count");
  CHECK(1000000 - clave_instance_fuel(inst) == 2 * used, "deterministic");
  /* exactly enough fuel passes, one less traps */
  clave_instance_set_fuel(inst, used);
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_OK,
        "exact fuel suffices: %s", err.message);
  CHECK(clave_instance_fuel(inst) == 0, "fuel left 0");
  clave_instance_set_fuel(inst, used - 1);
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_ETRAP &&
            err.trap == CLAVE_TRAP_FUEL &&
            strcmp(err.message, "fuel exhausted") == 0,
        "one short traps: %s", err.message);
  /* refilled, it works again */
  clave_instance_set_fuel(inst, 10000);
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_OK, "refilled");
  /* an endless loop stops on fuel */
  CHECK(call(inst, "loop_forever", NULL, 0, NULL, &err) == CLAVE_ETRAP &&
            err.trap == CLAVE_TRAP_FUEL,
        "endless loop stopped by fuel");
  clave_instance_free(inst);
  clave_module_free(m);
}

static void test_deadline(void) {
  clave_module *m = load("traps");
  clave_limits lim = {0};
  clave_error err;
  lim.timeout_ms = 100;
  clave_instance *inst = instantiate(m, &lim);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clave_status st = call(inst, "loop_forever", NULL, 0, NULL, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK(st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_DEADLINE &&
            strcmp(err.message, "deadline passed") == 0,
        "deadline: %s", err.message);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  CHECK(s >= 0.09, "stopped no earlier than the deadline (%.3f s)", s);
  /* the next call gets a fresh deadline */
  clave_value a = clave_i32(10), r;
  CHECK(call(inst, "count", &a, 1, &r, &err) == CLAVE_OK && r.of.i32 == 10,
        "usable after deadline");
  clave_instance_free(inst);
  clave_module_free(m);
}

static void *interrupter(void *arg) {
  usleep(50 * 1000);
  clave_instance_interrupt((clave_instance *)arg);
  return NULL;
}

static void test_interrupt(void) {
  clave_module *m = load("traps");
  clave_instance *inst = instantiate(m, NULL);
  pthread_t th;
  pthread_create(&th, NULL, interrupter, inst);
  clave_error err;
  clave_status st = call(inst, "loop_forever", NULL, 0, NULL, &err);
  pthread_join(th, NULL);
  CHECK(st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_DEADLINE,
        "interrupted from another thread");
  clave_instance_free(inst);
  clave_module_free(m);
}

static void test_start_trap(void) {
  clave_module *m = load("startrap");
  clave_instance *inst = NULL;
  clave_error err;
  CHECK(clave_instance_new(engine, m, NULL, 0, NULL, &inst, &err) ==
                CLAVE_ETRAP &&
            err.trap == CLAVE_TRAP_INT_DIV_ZERO && inst == NULL,
        "start trap fails instantiation: %s", err.message);
  clave_module_free(m);
}

static void test_isolation(void) {
  /* two instances of one module share no memory */
  clave_module *m = load("traps");
  clave_instance *a = instantiate(m, NULL), *b = instantiate(m, NULL);
  clave_memory *ma = clave_instance_memory(a), *mb = clave_instance_memory(b);
  uint32_t v = 0xdeadbeef, got = 0;
  CHECK(clave_memory_write(ma, 100, &v, 4) == CLAVE_OK, "write a");
  CHECK(clave_memory_read(mb, 100, &got, 4) == CLAVE_OK && got == 0,
        "b does not see a's write");
  CHECK(clave_memory_read(ma, 65535, &got, 4) == CLAVE_EARG,
        "bounds-checked read");
  clave_instance_free(a);
  clave_instance_free(b);
  clave_module_free(m);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_runtime DIR\n");
    return 2;
  }
  dir = argv[1];
  engine = clave_engine_new(NULL);
  test_traps();
  test_memory_limits();
  test_stack_limits();
  test_fuel();
  test_deadline();
  test_interrupt();
  test_start_trap();
  test_isolation();
  clave_engine_free(engine);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
