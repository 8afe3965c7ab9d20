/*
 * test_aot_diff.c - the differential test: random modules (gen_wasm.c)
 * run in the interpreter and in the AOT tier must give the same results,
 * the same traps with the same messages, the same fuel and the same final
 * memory and globals.
 *
 * For each seed: the module is generated and must validate (else the
 * generator is wrong), then it is loaded and instantiated in each engine
 * (interpreter; AOT with guard pages; AOT with bounds checks for every
 * --bounds-every'th seed), under a fuel limit, a call depth limit and a
 * small operand stack, and each exported function is called in order
 * with arguments drawn from the seed, on the same instance (so state a
 * call leaves, trap or not, feeds the next).  Each call's status, trap
 * kind, message, exit code, results (bit patterns) and fuel left are
 * compared with the interpreter's, and so are, at the end, the memory's
 * size and bytes and the four globals.  One thing may differ, as wasm
 * allows: which NaN an operation with NaN operands gives (the host's
 * choice, which even depends on how the C compiler ordered the operands
 * of the interpreter's own code): float results that are NaN in both
 * tiers are equal, and memory bytes may differ only inside a float that
 * is a NaN in both.
 *
 *   test_aot_diff CACHE [--count N] [--seed FIRST] [--bounds-every K] [-v]
 *
 * make test runs 200 modules (seeds 1..200); a longer run is
 *   build/bin/test_aot_diff /tmp/aot-diff --count 20000 --seed 1000
 * (docs/aot.md).  A failing seed prints what differs; rerun it alone with
 * --seed S --count 1 -v, which also writes the module to
 * CACHE/seed-S.wasm for wasm2wat.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clave/engine.h"
#include "gen_wasm.h"

typedef struct cfg {
  const char *name;
  clave_tier tier;
  uint32_t flags;
  clave_engine *e;
} cfg;

typedef struct record {
  char text[1 << 14]; /* one line per observation */
  size_t len;
  uint8_t *mem; /* the final memory */
  size_t memlen;
} record;

static void rec(record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void rec(record *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (r->len < sizeof r->text) {
    int n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
    if (n > 0) r->len += (size_t)n;
    if (r->len > sizeof r->text) r->len = sizeof r->text;
  }
  va_end(ap);
}

/* ---- host functions ---- */

static clave_status host_mix(clave_caller *caller, const clave_value *args,
                             clave_value *results, void *user) {
  (void)user;
  int32_t a = args[0].of.i32;
  int64_t b = args[1].of.i64;
  if (a == 0x7777)
    return clave_caller_trap(caller, CLAVE_TRAP_HOST, "mix refused %d", a);
  results[0] =
      clave_i32((int32_t)((uint32_t)a * 31u ^
                          (uint32_t)((uint64_t)b ^ ((uint64_t)b >> 32))));
  return CLAVE_OK;
}

static clave_status host_peek(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)user;
  uint32_t v = 0xFFFFFFFFu;
  clave_memory *m = clave_caller_memory(caller);
  if (m) clave_memory_read(m, (uint32_t)args[0].of.i32 & 0xFFFCu, &v, 4);
  results[0] = clave_i32((int32_t)v);
  return CLAVE_OK;
}

static clave_func *host(clave_engine *e, int np, clave_host_fn fn) {
  static const clave_valtype p[2] = {CLAVE_I32, CLAVE_I64};
  static const clave_valtype r[1] = {CLAVE_I32};
  clave_functype ft = {(uint32_t)np, 1, p, r};
  return clave_func_new_host(e, &ft, fn, NULL, NULL);
}

/* a result or global, with a NaN written as such (its bits may differ) */
static void rec_value(record *r, clave_valtype t, const clave_value *v) {
  if (t == CLAVE_F32 && v->of.f32 != v->of.f32)
    rec(r, " nan32");
  else if (t == CLAVE_F64 && v->of.f64 != v->of.f64)
    rec(r, " nan64");
  else if (t == CLAVE_I32 || t == CLAVE_F32)
    rec(r, " %08" PRIx32, (uint32_t)v->of.i32);
  else
    rec(r, " %016" PRIx64, (uint64_t)v->of.i64);
}

static bool is_nan32(const uint8_t *p) {
  uint32_t x;
  memcpy(&x, p, 4);
  return (x & 0x7F800000u) == 0x7F800000u && (x & 0x7FFFFFu);
}

static bool is_nan64(const uint8_t *p) {
  uint64_t x;
  memcpy(&x, p, 8);
  return (x & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
         (x & 0xFFFFFFFFFFFFFull);
}

/* Memories equal but for NaNs: each differing byte must lie in a 4- or
 * 8-byte window that is a NaN in both.  Returns the first offset that
 * cannot be explained, or -1. */
static long mem_diff(const record *a, const record *b) {
  if (a->memlen != b->memlen) return 0;
  for (size_t i = 0; i < a->memlen; i++) {
    if (a->mem[i] == b->mem[i]) continue;
    bool nan = false;
    for (size_t w = 4; !nan && w <= 8; w += 4)
      for (size_t s = i + 1 >= w ? i + 1 - w : 0; !nan && s <= i; s++)
        if (s + w <= a->memlen)
          nan = w == 4 ? is_nan32(a->mem + s) && is_nan32(b->mem + s)
                       : is_nan64(a->mem + s) && is_nan64(b->mem + s);
    if (!nan) return (long)i;
  }
  return -1;
}

/* ---- one run ---- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static clave_value arg_of(clave_valtype t, uint64_t *s) {
  clave_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  uint64_t x = splitmix(s);
  switch (t) {
    case CLAVE_I32:
      v.of.i32 = (x & 3) ? (int32_t)(x >> 40) % 70000 : (int32_t)x;
      break;
    case CLAVE_I64:
      v.of.i64 = (x & 3) ? (int64_t)(x >> 40) : (int64_t)x;
      break;
    case CLAVE_F32:
      v.of.f32 = (float)((int64_t)(x >> 40) - (1 << 23)) / 256.0f;
      break;
    default:
      v.of.f64 = (double)((int64_t)(x >> 20) - (1ll << 43)) / 4096.0;
  }
  return v;
}

static void run_one(cfg *c, const uint8_t *bytes, size_t len, uint64_t seed,
                    record *r) {
  clave_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  if (clave_module_load(c->e, bytes, len, &m, &err) != CLAVE_OK) {
    rec(r, "load: %s\n", err.message);
    return;
  }
  if (clave_module_tier(m) != c->tier) {
    clave_aot_info info;
    clave_module_aot_info(m, &info);
    rec(r, "tier %s, not %s (%s)\n", clave_tier_name(clave_module_tier(m)),
        clave_tier_name(c->tier), info.note ? info.note : "");
  }
  clave_linker *l = clave_linker_new(c->e);
  clave_extern x = {.kind = CLAVE_EXTERN_FUNC};
  x.of.func = host(c->e, 2, host_mix);
  clave_linker_define(l, "env", "mix", x);
  clave_extern_release(x);
  x.of.func = host(c->e, 1, host_peek);
  clave_linker_define(l, "env", "peek", x);
  clave_extern_release(x);
  clave_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.fuel = 200000;
  lim.max_call_depth = 300;
  lim.max_stack_bytes = 64 << 10;
  clave_instance *inst = NULL;
  clave_status st = clave_linker_instantiate(l, m, &lim, &inst, &err);
  clave_linker_free(l);
  if (st != CLAVE_OK) {
    rec(r, "instantiate: %d %s\n", st, err.message);
    clave_module_free(m);
    return;
  }
  uint64_t s = seed;
  for (int i = 0; i < 8; i++) {
    char name[4] = {'f', (char)('0' + i), 0};
    clave_extern f;
    if (clave_instance_export(inst, name, &f) != CLAVE_OK) break;
    clave_functype ft;
    clave_func_type(f.of.func, &ft);
    clave_value args[4], res[2];
    for (uint32_t k = 0; k < ft.nparams; k++)
      args[k] = arg_of(ft.params[k], &s);
    memset(&err, 0, sizeof err);
    st = clave_func_call(f.of.func, args, ft.nparams, res, ft.nresults, &err);
    rec(r, "%s: status %d", name, st);
    if (st == CLAVE_OK) {
      for (uint32_t k = 0; k < ft.nresults; k++)
        rec_value(r, ft.results[k], &res[k]);
    } else {
      rec(r, " trap %d exit %d '%s'", err.trap, err.exit_code, err.message);
    }
    rec(r, " fuel %" PRIu64 "\n", clave_instance_fuel(inst));
  }
  clave_memory *mem = clave_instance_memory(inst);
  size_t size = 0;
  const uint8_t *data = clave_memory_data(mem, &size);
  rec(r, "memory %zu bytes\n", size);
  free(r->mem);
  r->mem = malloc(size ? size : 1);
  r->memlen = r->mem ? size : 0;
  if (r->mem) memcpy(r->mem, data, size);
  for (int i = 0; i < 4; i++) {
    char name[4] = {'g', (char)('0' + i), 0};
    clave_extern g;
    if (clave_instance_export(inst, name, &g) != CLAVE_OK) continue;
    clave_value v = clave_global_get(g.of.global);
    rec(r, "%s =", name);
    rec_value(r, v.type, &v);
    rec(r, "\n");
  }
  clave_instance_free(inst);
  clave_module_free(m);
}

/* the first line where two records differ */
static void first_difference(const record *a, const record *b, char *out,
                             size_t len) {
  size_t i = 0, line = 0;
  while (i < a->len && i < b->len && a->text[i] == b->text[i]) i++;
  while (line < i && i > 0 && a->text[i - 1] != '\n') i--;
  line = i;
  const char *ea = memchr(a->text + line, '\n', a->len - line);
  const char *eb = memchr(b->text + line, '\n', b->len - line);
  int la = ea ? (int)(ea - (a->text + line)) : (int)(a->len - line);
  int lb = eb ? (int)(eb - (b->text + line)) : (int)(b->len - line);
  snprintf(out, len, "interp: %.*s\n    aot: %.*s", la, a->text + line, lb,
           b->text + line);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: test_aot_diff CACHE [--count N] [--seed FIRST] "
            "[--bounds-every K] [-v]\n");
    return 2;
  }
  const char *cache = argv[1];
  uint64_t count = 200, first = 1, bounds_every = 4;
  bool verbose = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
      count = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      first = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--bounds-every") == 0 && i + 1 < argc)
      bounds_every = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "-v") == 0)
      verbose = true;
    else {
      fprintf(stderr, "test_aot_diff: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  mkdir(cache, 0700);
  cfg cfgs[3] = {
      {"interp", CLAVE_TIER_INTERP, 0, NULL},
      {"aot", CLAVE_TIER_AOT, 0, NULL},
      {"aot-bounds", CLAVE_TIER_AOT, CLAVE_ENGINE_AOT_BOUNDS_CHECKS, NULL}};
  for (int c = 0; c < 3; c++) {
    clave_engine_config ec;
    memset(&ec, 0, sizeof ec);
    ec.tier = cfgs[c].tier;
    ec.flags = cfgs[c].flags;
    ec.cache_dir = cache;
    cfgs[c].e = clave_engine_new(&ec);
    if (!cfgs[c].e) {
      fprintf(stderr, "test_aot_diff: cannot create an engine\n");
      return 2;
    }
  }
  static record recs[3];
  uint64_t bad = 0, calls_trapped = 0;
  for (uint64_t seed = first; seed < first + count; seed++) {
    gw_bytes mod;
    if (gw_generate(seed, &mod) != 0) {
      fprintf(stderr, "seed %" PRIu64 ": out of memory\n", seed);
      return 2;
    }
    if (verbose) {
      char path[4096];
      snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".wasm", cache, seed);
      FILE *f = fopen(path, "wb");
      if (f) {
        fwrite(mod.p, 1, mod.len, f);
        fclose(f);
      }
    }
    clave_error err;
    memset(&err, 0, sizeof err);
    if (clave_module_validate(mod.p, mod.len, &err) != CLAVE_OK) {
      printf("seed %" PRIu64 ": generated module does not validate: %s\n", seed,
             err.message);
      bad++;
      free(mod.p);
      continue;
    }
    int n = bounds_every && seed % bounds_every == 0 ? 3 : 2;
    for (int c = 0; c < n; c++) {
      recs[c].len = 0;
      recs[c].memlen = 0;
      run_one(&cfgs[c], mod.p, mod.len, seed, &recs[c]);
    }
    for (int c = 1; c < n; c++) {
      long at = mem_diff(&recs[0], &recs[c]);
      if (recs[c].len == recs[0].len &&
          memcmp(recs[c].text, recs[0].text, recs[0].len) == 0 && at < 0)
        continue;
      char diff[2048];
      if (at >= 0 && recs[c].len == recs[0].len &&
          memcmp(recs[c].text, recs[0].text, recs[0].len) == 0)
        snprintf(diff, sizeof diff, "memory byte %ld: %02x, aot %02x", at,
                 recs[0].mem[at], recs[c].mem[at]);
      else
        first_difference(&recs[0], &recs[c], diff, sizeof diff);
      printf("seed %" PRIu64 ": %s differs from the interpreter:\n    %s\n",
             seed, cfgs[c].name, diff);
      bad++;
    }
    for (size_t i = 0; i + 5 < recs[0].len; i++)
      if (memcmp(recs[0].text + i, "trap ", 5) == 0) calls_trapped++;
    if (verbose)
      printf("seed %" PRIu64 ":\n%.*s", seed, (int)recs[0].len, recs[0].text);
    free(mod.p);
  }
  for (int c = 0; c < 3; c++) {
    clave_engine_free(cfgs[c].e);
    free(recs[c].mem);
  }
  printf("%" PRIu64 " modules (seeds %" PRIu64 "..%" PRIu64 "), %" PRIu64
         " calls trapped, %" PRIu64 " differences\n",
         count, first, first + count - 1, calls_trapped, bad);
  return bad ? 1 : 0;
}
