/*
 * test_simd.c - v128 values through the engine's public API.
 *
 * The spec suite (spec_core) checks every SIMD instruction through
 * exported functions; this test covers what it cannot reach: v128
 * arguments and results of clave_func_call (several results, mixed with
 * scalars), host functions that take and return v128 (called from wasm and
 * directly), v128 globals made by the embedder, imported, initialized by
 * global.get and v128.const and read back with clave_global_get, a v128
 * call_indirect, the translator's handling of v128 locals (zeroed,
 * retargeted local.set, select), SIMD immediates skipped in unreachable
 * code, and the exact trap of an out-of-bounds v128 access.
 *
 * The module is assembled by hand below (no wabt needed at test time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clave/engine.h"

static int checks, failures;

#define CHECK(cond, ...)                          \
  do {                                            \
    checks++;                                     \
    if (!(cond)) {                                \
      failures++;                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

/* ---- a module builder ---------------------------------------------------- */

typedef struct wb {
  uint8_t b[4096];
  size_t n;
} wb;

#define B(...) \
  (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void wb_put(wb *w, const uint8_t *p, size_t n) {
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void wb_leb(wb *w, uint32_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    w->b[w->n++] = c | (v ? 0x80 : 0);
  } while (v);
}

static void wb_section(wb *w, uint8_t id, const wb *content) {
  w->b[w->n++] = id;
  wb_leb(w, (uint32_t)content->n);
  wb_put(w, content->b, content->n);
}

/* a function body: size, then locals and code */
static void wb_body(wb *code, const uint8_t *p, size_t n) {
  wb_leb(code, (uint32_t)n);
  wb_put(code, p, n);
}

#define V 0x7B /* v128 */
#define I32 0x7F
#define I64 0x7E
#define SIMD(op) 0xFD, op
#define SIMD2(op) 0xFD, (0x80 | ((op) % 128)), ((op) / 128)
#define V128_CONST_11 \
  0xFD, 0x0C, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11

/* Types, imports, functions, table, memory, globals, exports, elements,
 * code: see each function's comment.  (Laid out by hand: one type, import
 * or export per line.) */
/* clang-format off */
static void build(wb *m) {
  wb s;
  m->n = 0;
  wb_put(m, B(0x00, 'a', 's', 'm', 1, 0, 0, 0));

  s.n = 0; /* types */
  wb_put(&s, B(7,
               0x60, 2, V, V, 1, V,             /* 0: add */
               0x60, 3, V, I32, V, 2, V, I64,   /* 1: host, call_host */
               0x60, 0, 1, V,                   /* 2: swap_g */
               0x60, 1, I32, 1, V,              /* 3: locals, load */
               0x60, 0, 1, I32,                 /* 4: dead */
               0x60, 3, V, V, I32, 1, V,        /* 5: indirect */
               0x60, 2, I32, V, 0));            /* 6: store_lane */
  wb_section(m, 1, &s);

  s.n = 0; /* imports: env.h (type 1), env.g (mut v128), env.k (v128) */
  wb_put(&s, B(3, 3, 'e', 'n', 'v', 1, 'h', 0, 1,
               3, 'e', 'n', 'v', 1, 'g', 3, V, 1,
               3, 'e', 'n', 'v', 1, 'k', 3, V, 0));
  wb_section(m, 2, &s);

  s.n = 0; /* functions 1..8 */
  wb_put(&s, B(8, 0, 1, 2, 3, 4, 5, 3, 6));
  wb_section(m, 3, &s);

  s.n = 0; /* table of 1 funcref */
  wb_put(&s, B(1, 0x70, 0, 1));
  wb_section(m, 4, &s);

  s.n = 0; /* memory of 1 page */
  wb_put(&s, B(1, 0, 1));
  wb_section(m, 5, &s);

  s.n = 0; /* globals 2: mut v128 = global.get 1 (k); 3: v128.const */
  wb_put(&s, B(2, V, 1, 0x23, 1, 0x0B,
               V, 0, 0xFD, 0x0C, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6,
               0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0x0B));
  wb_section(m, 6, &s);

  s.n = 0; /* exports */
  wb_put(&s, B(11,
               3, 'a', 'd', 'd', 0, 1,
               9, 'c', 'a', 'l', 'l', '_', 'h', 'o', 's', 't', 0, 2,
               6, 's', 'w', 'a', 'p', '_', 'g', 0, 3,
               6, 'l', 'o', 'c', 'a', 'l', 's', 0, 4,
               4, 'd', 'e', 'a', 'd', 0, 5,
               8, 'i', 'n', 'd', 'i', 'r', 'e', 'c', 't', 0, 6,
               4, 'l', 'o', 'a', 'd', 0, 7,
               10, 's', 't', 'o', 'r', 'e', '_', 'l', 'a', 'n', 'e', 0, 8,
               3, 'o', 'w', 'n', 3, 2,
               5, 'c', 'o', 'n', 's', 't', 3, 3,
               1, 'h', 0, 0));
  wb_section(m, 7, &s);

  s.n = 0; /* elem: table[0] = add */
  wb_put(&s, B(1, 0, 0x41, 0, 0x0B, 1, 1));
  wb_section(m, 9, &s);

  wb c;
  c.n = 0;
  c.b[c.n++] = 8;
  /* add: i32x4.add of the params */
  wb_body(&c, B(0, 0x20, 0, 0x20, 1, SIMD2(174), 0x0B));
  /* call_host: forwards its params to env.h */
  wb_body(&c, B(0, 0x20, 0, 0x20, 1, 0x20, 2, 0x10, 0, 0x0B));
  /* swap_g: g <-> own; returns the new g */
  wb_body(&c, B(0, 0x23, 0, 0x23, 2, 0x24, 0, 0x24, 2, 0x23, 0, 0x0B));
  /* locals(n): x (zeroed) and y; y = splat n; x = x - y (local.tee);
   * select(x, zero local z, n) */
  wb_body(&c, B(1, 3, V,                                /* x, y, z */
                0x20, 0, SIMD(17), 0x21, 2,             /* y = splat n */
                0x20, 1, 0x20, 2, SIMD2(177), 0x22, 1,  /* tee x = x - y */
                0x20, 3, 0x20, 0, 0x1B,                 /* select x z n */
                0x0B));
  /* dead: (block (result i32) 7; br 0; unreachable SIMD code whose
   * immediates are full of 0x0B, the `end` opcode) + 1 */
  wb_body(&c, B(0, 0x02, I32, 0x41, 7, 0x0C, 0, V128_CONST_11, V128_CONST_11,
                0xFD, 0x0D, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
                11, 11, 11, 11, 0xFD, 0x16, 11, 0x0B, 0x41, 1, 0x6A, 0x0B));
  /* indirect(a, b, i): call_indirect type 0 through table[i] */
  wb_body(&c, B(0, 0x20, 0, 0x20, 1, 0x20, 2, 0x11, 0, 0, 0x0B));
  /* load(addr): v128.load offset=0 */
  wb_body(&c, B(0, 0x20, 0, SIMD(0), 0, 0, 0x0B));
  /* store_lane(addr, v): v128.store32_lane offset=4 lane 3 */
  wb_body(&c, B(0, 0x20, 0, 0x20, 1, SIMD(90), 2, 4, 3, 0x0B));
  wb_section(m, 10, &c);
}
/* clang-format on */

/* ---- the host function ------------------------------------------------- */

/* h(a, k, b) = (a + b bytewise, k * 1000); counts its calls */
static clave_status host_h(clave_caller *caller, const clave_value *args,
                           clave_value *results, void *user) {
  (void)caller;
  (*(int *)user)++;
  if (args[0].type != CLAVE_V128 || args[1].type != CLAVE_I32 ||
      args[2].type != CLAVE_V128)
    return CLAVE_EARG;
  results[0].type = CLAVE_V128;
  for (int i = 0; i < 16; i++)
    results[0].of.v128[i] = (uint8_t)(args[0].of.v128[i] + args[2].of.v128[i]);
  results[1].type = CLAVE_I64;
  results[1].of.i64 = (int64_t)args[1].of.i32 * 1000;
  return CLAVE_OK;
}

static clave_value v128_bytes(uint8_t first, uint8_t step) {
  clave_value v;
  memset(&v, 0, sizeof v);
  v.type = CLAVE_V128;
  for (int i = 0; i < 16; i++) v.of.v128[i] = (uint8_t)(first + i * step);
  return v;
}

static clave_value v128_i32(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  clave_value v;
  memset(&v, 0, sizeof v);
  v.type = CLAVE_V128;
  uint32_t w[4] = {a, b, c, d};
  memcpy(v.of.v128, w, 16);
  return v;
}

static bool v128_eq(const clave_value *v, const clave_value *want) {
  return v->type == CLAVE_V128 && memcmp(v->of.v128, want->of.v128, 16) == 0;
}

static clave_func *export_func(clave_instance *inst, const char *name) {
  clave_extern e;
  if (clave_instance_export(inst, name, &e) != CLAVE_OK ||
      e.kind != CLAVE_EXTERN_FUNC)
    return NULL;
  return e.of.func;
}

int main(void) {
  wb m;
  build(&m);
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_engine *engine = clave_engine_new(NULL);
  clave_module *mod = NULL;
  clave_status st = clave_module_load(engine, m.b, m.n, &mod, &err);
  CHECK(st == CLAVE_OK, "load: %s", err.message);
  if (st != CLAVE_OK) {
    clave_engine_free(engine);
    printf("%d checks, %d failed\n", checks, failures);
    return 1;
  }

  int host_calls = 0;
  clave_valtype hp[] = {CLAVE_V128, CLAVE_I32, CLAVE_V128};
  clave_valtype hr[] = {CLAVE_V128, CLAVE_I64};
  clave_functype ht = {3, 2, hp, hr};
  clave_func *h = clave_func_new_host(engine, &ht, host_h, &host_calls, NULL);
  clave_value g0 = v128_bytes(1, 1), k0 = v128_bytes(0x80, 2);
  clave_global *g = clave_global_new(engine, CLAVE_V128, true, g0);
  clave_global *k = clave_global_new(engine, CLAVE_V128, false, k0);
  clave_value got = clave_global_get(g);
  CHECK(v128_eq(&got, &g0), "clave_global_new/get of a v128");

  clave_extern imports[3];
  imports[0].kind = CLAVE_EXTERN_FUNC;
  imports[0].of.func = h;
  imports[1].kind = CLAVE_EXTERN_GLOBAL;
  imports[1].of.global = g;
  imports[2].kind = CLAVE_EXTERN_GLOBAL;
  imports[2].of.global = k;
  clave_instance *inst = NULL;
  st = clave_instance_new(engine, mod, imports, 3, NULL, &inst, &err);
  CHECK(st == CLAVE_OK, "instantiate: %s", err.message);
  if (st != CLAVE_OK) goto out;

  /* v128 in and out of clave_func_call */
  clave_value args[3], res[2];
  args[0] = v128_i32(1, 2, 3, 0xFFFFFFFFu);
  args[1] = v128_i32(10, 20, 30, 2);
  st = clave_func_call(export_func(inst, "add"), args, 2, res, 1, &err);
  clave_value want = v128_i32(11, 22, 33, 1);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &want), "add: %s", err.message);

  /* a host function with v128 params and results, from wasm */
  args[0] = v128_bytes(0, 1);
  args[1] = clave_i32(7);
  args[2] = v128_bytes(100, 1);
  st = clave_func_call(export_func(inst, "call_host"), args, 3, res, 2, &err);
  want = v128_bytes(100, 2);
  CHECK(st == CLAVE_OK && host_calls == 1 && v128_eq(&res[0], &want) &&
            res[1].type == CLAVE_I64 && res[1].of.i64 == 7000,
        "call_host: %s", err.message);
  /* ... and from the embedder directly (the export of the import) */
  memset(res, 0, sizeof res);
  st = clave_func_call(export_func(inst, "h"), args, 3, res, 2, &err);
  CHECK(st == CLAVE_OK && host_calls == 2 && v128_eq(&res[0], &want) &&
            res[1].of.i64 == 7000,
        "h directly: %s", err.message);

  /* globals: own = global.get k at instantiation; const = v128.const */
  clave_extern e;
  CHECK(clave_instance_export(inst, "own", &e) == CLAVE_OK &&
            e.kind == CLAVE_EXTERN_GLOBAL,
        "export own");
  clave_global *own = e.of.global;
  got = clave_global_get(own);
  CHECK(v128_eq(&got, &k0), "own initialized from the imported k");
  CHECK(clave_instance_export(inst, "const", &e) == CLAVE_OK, "export const");
  got = clave_global_get(e.of.global);
  want = v128_bytes(0xF0, 1);
  CHECK(v128_eq(&got, &want), "const = v128.const f0..ff");
  /* swap_g exchanges g and own in wasm */
  st = clave_func_call(export_func(inst, "swap_g"), NULL, 0, res, 1, &err);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &k0), "swap_g: %s", err.message);
  got = clave_global_get(g);
  CHECK(v128_eq(&got, &k0), "g after swap_g");
  got = clave_global_get(own);
  CHECK(v128_eq(&got, &g0), "own after swap_g");
  /* set by the embedder, seen by wasm */
  want = v128_bytes(0x40, 3);
  CHECK(clave_global_set(g, want) == CLAVE_OK, "clave_global_set v128");
  st = clave_func_call(export_func(inst, "swap_g"), NULL, 0, res, 1, &err);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &g0), "swap_g again");
  got = clave_global_get(own);
  CHECK(v128_eq(&got, &want), "own holds what the embedder set");

  /* v128 locals: zeroed at entry, tee'd, selected */
  args[0] = clave_i32(5);
  st = clave_func_call(export_func(inst, "locals"), args, 1, res, 1, &err);
  want = v128_i32((uint32_t)-5, (uint32_t)-5, (uint32_t)-5, (uint32_t)-5);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &want), "locals(5): %s",
        err.message);
  args[0] = clave_i32(0);
  st = clave_func_call(export_func(inst, "locals"), args, 1, res, 1, &err);
  want = v128_i32(0, 0, 0, 0);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &want), "locals(0): %s",
        err.message);

  /* unreachable SIMD code is skipped by its immediates */
  st = clave_func_call(export_func(inst, "dead"), NULL, 0, res, 1, &err);
  CHECK(st == CLAVE_OK && res[0].of.i32 == 8, "dead: %d %s", res[0].of.i32,
        err.message);

  /* call_indirect with v128 arguments */
  args[0] = v128_i32(1, 1, 1, 1);
  args[1] = v128_i32(2, 3, 4, 5);
  args[2] = clave_i32(0);
  st = clave_func_call(export_func(inst, "indirect"), args, 3, res, 1, &err);
  want = v128_i32(3, 4, 5, 6);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &want), "indirect: %s", err.message);
  args[2] = clave_i32(1);
  st = clave_func_call(export_func(inst, "indirect"), args, 3, res, 1, &err);
  CHECK(st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_UNDEFINED_ELEMENT,
        "indirect out of the table: %s", err.message);

  /* memory: the last 16 bytes load; one more traps */
  args[0] = clave_i32(65520);
  args[1] = v128_i32(0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u);
  st = clave_func_call(export_func(inst, "store_lane"), args, 2, NULL, 0, &err);
  CHECK(st == CLAVE_OK, "store_lane: %s", err.message);
  st = clave_func_call(export_func(inst, "load"), args, 1, res, 1, &err);
  want = v128_i32(0, 0x44444444u, 0, 0);
  CHECK(st == CLAVE_OK && v128_eq(&res[0], &want), "load 65520: %s",
        err.message);
  args[0] = clave_i32(65521);
  st = clave_func_call(export_func(inst, "load"), args, 1, res, 1, &err);
  CHECK(st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_MEMORY_OOB &&
            strcmp(err.message, "out of bounds memory access") == 0,
        "load 65521: status %d, %s", (int)st, err.message);
  args[0] = clave_i32(65529);
  st = clave_func_call(export_func(inst, "store_lane"), args, 2, NULL, 0, &err);
  CHECK(st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_MEMORY_OOB,
        "store_lane at 65529 + 4: %s", err.message);
  args[0] = clave_i32(65528);
  st = clave_func_call(export_func(inst, "store_lane"), args, 2, NULL, 0, &err);
  CHECK(st == CLAVE_OK, "store_lane at 65528 + 4: %s", err.message);

  /* a mistyped argument is refused before the call */
  args[0] = clave_i32(1);
  args[1] = clave_i32(2);
  st = clave_func_call(export_func(inst, "add"), args, 2, res, 1, &err);
  CHECK(st == CLAVE_EARG &&
            strcmp(err.message, "argument 0 has type i32, expected v128") == 0,
        "add(i32, i32): %s", err.message);

  clave_instance_free(inst);
out:
  clave_extern_release((clave_extern){.kind = CLAVE_EXTERN_FUNC, .of.func = h});
  clave_extern_release(
      (clave_extern){.kind = CLAVE_EXTERN_GLOBAL, .of.global = g});
  clave_extern_release(
      (clave_extern){.kind = CLAVE_EXTERN_GLOBAL, .of.global = k});
  clave_module_free(mod);
  clave_engine_free(engine);
  printf("engine SIMD API tests: %d checks\n", checks);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
