/*
 * startup.c - how long Clave's engine takes from nothing to the first call
 * of a module's export, phase by phase, in-process (bench/run builds and
 * runs it; see bench/README.md, "Start-up").
 *
 * A function platform pays start-up on every task it does not keep warm,
 * so the issue asks for the time to the first call of an interpreted
 * module of about 100 KB and of a cached AOT module.  The whole-process
 * figure (bench/run's hello-world table) mixes that with process start and
 * the dynamic linker; this program times only the engine, through its
 * public API (include/clave/engine.h), as an embedder would use it:
 *
 *   engine       clave_engine_new (the tier and the AOT cache folder)
 *   load         clave_module_load: decode, validate, translate; in the
 *                AOT tier also the cache key (SHA-256 of the module) and
 *                the dlopen of the cached object
 *   instantiate  one host function per imported function, then
 *                clave_instance_new (memory, data and element segments)
 *   call         clave_instance_export + clave_func_call of one export
 *                that takes no parameters (the first call also sets up
 *                the instance's stacks)
 *   free         instance, module and engine released (not in the total)
 *
 * Every run starts from a fresh engine and reads the module's bytes from
 * memory (the file is read once, untimed).  Each phase is timed with
 * CLOCK_MONOTONIC and with the thread's CPU time.  Imported functions are
 * host functions that trap when called (as the executor does, one host
 * function per import per run, but without its WASI and file state): the
 * measured export must not call them (bench/run uses a compiled model
 * payload's clave_ninputs, which returns a constant), and a run where one
 * was called fails, so an import can never be silently skipped.
 *
 * Output (machine-readable, read by bench/run): one line on the module
 *
 *   startup module bytes=N code_bytes=N imports=N
 *
 * and one line per run:
 *
 *   startup run=N tier=T cached=0|1 result=V engine_ns=.. load_ns=..
 *           instantiate_ns=.. call_ns=.. total_ns=.. free_ns=..
 *           cpu_engine_ns=.. ... cpu_free_ns=..
 *
 * then a short human summary (median over the runs after the first).
 * With the AOT tier, cached=0 means the run compiled the module (its
 * compile time is printed as compile_ms=); bench/run fills the cache with
 * one such run before it measures.
 *
 * Usage: startup [--tier interp|aot] [--aot-cache DIR] [--runs N]
 *                [--export NAME] FILE.wasm
 * Exit status: 0 on success, 1 when a run failed, 2 on bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clave/engine.h"

#define SU_MAX_RUNS 10000

enum {
  SU_ENGINE,
  SU_LOAD,
  SU_INSTANTIATE,
  SU_CALL,
  SU_TOTAL,
  SU_FREE,
  SU_NPHASES
};

static const char *const su_phase_names[SU_NPHASES] = {
    "engine", "load", "instantiate", "call", "total", "free"};

typedef struct su_options {
  clave_tier tier;
  const char *cache_dir;
  const char *export_name;
  const char *file;
  int runs;
} su_options;

/* one run's figures: wall and thread CPU time per phase, in ns */
typedef struct su_run {
  int64_t wall[SU_NPHASES];
  int64_t cpu[SU_NPHASES];
  bool cached;
  double compile_ms;
  size_t code_bytes; /* the module's code section */
  uint32_t nimports;
  char result[64];
} su_run;

static int64_t su_now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A pair of clock readings, so that each phase gets both figures. */
typedef struct su_stamp {
  int64_t wall, cpu;
} su_stamp;

static su_stamp su_stamp_now(void) {
  su_stamp s;
  s.cpu = su_now(CLOCK_THREAD_CPUTIME_ID);
  s.wall = su_now(CLOCK_MONOTONIC);
  return s;
}

static void su_record(su_run *r, int phase, su_stamp from, su_stamp to) {
  r->wall[phase] = to.wall - from.wall;
  r->cpu[phase] = to.cpu - from.cpu;
}

/* Stands for every imported function: the measured export calls none, and
 * if it did the run must fail rather than time a call that did nothing. */
static clave_status su_import_trap(clave_caller *caller,
                                   const clave_value *args,
                                   clave_value *results, void *user) {
  (void)args;
  (void)results;
  return clave_caller_trap(caller, CLAVE_TRAP_HOST,
                           "import %u (clave wasm info lists them) was "
                           "called; the start-up benchmark provides no "
                           "imports",
                           (unsigned)(uintptr_t)user);
}

static void su_format_value(const clave_value *v, char *buf, size_t size) {
  switch (v->type) {
    case CLAVE_I32:
      snprintf(buf, size, "%d", v->of.i32);
      break;
    case CLAVE_I64:
      snprintf(buf, size, "%lld", (long long)v->of.i64);
      break;
    case CLAVE_F32:
      snprintf(buf, size, "%.9g", (double)v->of.f32);
      break;
    case CLAVE_F64:
      snprintf(buf, size, "%.17g", v->of.f64);
      break;
    default:
      snprintf(buf, size, "(type 0x%02x)", (unsigned)v->type);
      break;
  }
}

/* One run from a fresh engine to the first call's result.  False, with
 * msg filled, when any step fails. */
static bool su_run_once(const su_options *o, const uint8_t *wasm, size_t len,
                        su_run *r, char *msg, size_t msg_size) {
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tier = o->tier;
  cfg.cache_dir = o->cache_dir;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_module *m = NULL;
  clave_instance *inst = NULL;
  clave_extern *imports = NULL;
  uint32_t nimports = 0;
  bool ok = false;
  su_stamp t0, t1, t2, t3, t4;
  clave_extern ext;
  clave_functype ft;
  clave_value result;
  clave_aot_info ai;

  t0 = su_stamp_now();
  clave_engine *engine = clave_engine_new(&cfg);
  t1 = su_stamp_now();
  if (!engine) {
    snprintf(msg, msg_size, "clave_engine_new failed (out of memory)");
    return false;
  }
  su_record(r, SU_ENGINE, t0, t1);

  if (clave_module_load(engine, wasm, len, &m, &err) != CLAVE_OK) {
    snprintf(msg, msg_size, "loading: %s", err.message);
    goto done;
  }
  t2 = su_stamp_now();
  su_record(r, SU_LOAD, t1, t2);

  nimports = clave_module_import_count(m);
  imports = calloc(nimports ? nimports : 1, sizeof *imports);
  if (!imports) {
    snprintf(msg, msg_size, "out of memory");
    goto done;
  }
  for (uint32_t i = 0; i < nimports; i++) {
    if (clave_module_import_functype(m, i, &ft) != CLAVE_OK) {
      clave_import_desc d;
      clave_module_import(m, i, &d);
      snprintf(msg, msg_size,
               "import %u (%.*s.%.*s) is not a function: the start-up "
               "benchmark only provides functions",
               i, (int)d.module_len, d.module, (int)d.name_len, d.name);
      goto done;
    }
    imports[i].kind = CLAVE_EXTERN_FUNC;
    imports[i].of.func = clave_func_new_host(engine, &ft, su_import_trap,
                                             (void *)(uintptr_t)i, NULL);
    if (!imports[i].of.func) {
      snprintf(msg, msg_size, "out of memory creating import %u", i);
      goto done;
    }
  }
  if (clave_instance_new(engine, m, imports, nimports, NULL, &inst, &err) !=
      CLAVE_OK) {
    snprintf(msg, msg_size, "instantiating: %s", err.message);
    goto done;
  }
  t3 = su_stamp_now();
  su_record(r, SU_INSTANTIATE, t2, t3);

  if (clave_instance_export(inst, o->export_name, &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    snprintf(msg, msg_size, "the module exports no function '%s'",
             o->export_name);
    goto done;
  }
  clave_func_type(ext.of.func, &ft);
  if (ft.nparams != 0 || ft.nresults > 1) {
    snprintf(msg, msg_size,
             "export '%s' takes %u parameters and returns %u results; the "
             "start-up benchmark calls a function of no parameters and at "
             "most one result",
             o->export_name, ft.nparams, ft.nresults);
    goto done;
  }
  memset(&result, 0, sizeof result);
  if (clave_func_call(ext.of.func, NULL, 0, &result, ft.nresults, &err) !=
      CLAVE_OK) {
    snprintf(msg, msg_size, "calling '%s': %s", o->export_name, err.message);
    goto done;
  }
  t4 = su_stamp_now();
  su_record(r, SU_CALL, t3, t4);
  su_record(r, SU_TOTAL, t0, t4);
  if (ft.nresults)
    su_format_value(&result, r->result, sizeof r->result);
  else
    snprintf(r->result, sizeof r->result, "none");

  clave_module_aot_info(m, &ai);
  r->cached = ai.tier == CLAVE_TIER_AOT && ai.cached;
  r->compile_ms = ai.tier == CLAVE_TIER_AOT && !ai.cached ? ai.compile_ms : 0;
  r->code_bytes = clave_module_wasm_code_size(m);
  r->nimports = nimports;
  if (o->tier == CLAVE_TIER_AOT && ai.tier != CLAVE_TIER_AOT) {
    snprintf(msg, msg_size, "the module did not load in the AOT tier");
    goto done;
  }
  ok = true;

done:;
  su_stamp f0 = su_stamp_now();
  clave_instance_free(inst);
  for (uint32_t i = 0; imports && i < nimports; i++)
    if (imports[i].of.func) clave_extern_release(imports[i]);
  free(imports);
  clave_module_free(m);
  clave_engine_free(engine);
  su_stamp f1 = su_stamp_now();
  su_record(r, SU_FREE, f0, f1);
  return ok;
}

static int su_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int64_t su_median(int64_t *v, int n) {
  qsort(v, (size_t)n, sizeof v[0], su_cmp_i64);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool su_read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "startup: %s: %s\n", path, strerror(errno));
    return false;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool ok = buf != NULL && !ferror(f);
  if (!buf)
    fprintf(stderr, "startup: %s: out of memory\n", path);
  else if (!ok)
    fprintf(stderr, "startup: %s: read error\n", path);
  fclose(f);
  if (!ok) {
    free(buf);
    return false;
  }
  *out = buf;
  *len = n;
  return true;
}

static const char su_usage[] =
    "usage: startup [--tier interp|aot] [--aot-cache DIR] [--runs N]\n"
    "               [--export NAME] FILE.wasm\n"
    "Times engine creation, module load, instantiation and the first call\n"
    "of an export (no parameters), from a fresh engine each run.\n"
    "Defaults: --tier interp, --runs 21, --export clave_ninputs.\n";

static bool su_parse(int argc, char **argv, su_options *o) {
  o->tier = CLAVE_TIER_INTERP;
  o->cache_dir = NULL;
  o->export_name = "clave_ninputs";
  o->file = NULL;
  o->runs = 21;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(su_usage, stdout);
      exit(0);
    } else if (strcmp(a, "--tier") == 0 && v) {
      if (!clave_tier_parse(v, &o->tier) || o->tier == CLAVE_TIER_AUTO) {
        fprintf(stderr, "startup: --tier '%s': interp or aot\n", v);
        return false;
      }
      i++;
    } else if (strcmp(a, "--aot-cache") == 0 && v) {
      o->cache_dir = v;
      i++;
    } else if (strcmp(a, "--export") == 0 && v) {
      o->export_name = v;
      i++;
    } else if (strcmp(a, "--runs") == 0 && v) {
      char *end;
      long n = strtol(v, &end, 10);
      if (end == v || *end || n < 1 || n > SU_MAX_RUNS) {
        fprintf(stderr, "startup: --runs '%s' is not an integer in [1, %d]\n",
                v, SU_MAX_RUNS);
        return false;
      }
      o->runs = (int)n;
      i++;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "startup: unknown option or missing value: %s\n%s", a,
              su_usage);
      return false;
    } else if (!o->file) {
      o->file = a;
    } else {
      fprintf(stderr, "startup: more than one file: %s\n", a);
      return false;
    }
  }
  if (!o->file) {
    fputs(su_usage, stderr);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  su_options o;
  if (!su_parse(argc, argv, &o)) return 2;
  uint8_t *wasm = NULL;
  size_t len = 0;
  if (!su_read_file(o.file, &wasm, &len)) return 1;

  char msg[640];
  su_run *runs = calloc((size_t)o.runs, sizeof *runs);
  if (!runs) {
    fprintf(stderr, "startup: out of memory\n");
    free(wasm);
    return 1;
  }
  int rc = 0;
  for (int i = 0; i < o.runs; i++) {
    su_run *r = &runs[i];
    if (!su_run_once(&o, wasm, len, r, msg, sizeof msg)) {
      fprintf(stderr, "startup: %s: run %d: %s\n", o.file, i + 1, msg);
      rc = 1;
      break;
    }
    if (i > 0 && strcmp(r->result, runs[0].result) != 0) {
      fprintf(stderr, "startup: %s: run %d returned %s, run 1 returned %s\n",
              o.file, i + 1, r->result, runs[0].result);
      rc = 1;
      break;
    }
    if (i == 0)
      printf("startup module bytes=%zu code_bytes=%zu imports=%u\n", len,
             r->code_bytes, (unsigned)r->nimports);
    printf("startup run=%d tier=%s cached=%d result=%s", i + 1,
           clave_tier_name(o.tier), r->cached ? 1 : 0, r->result);
    if (o.tier == CLAVE_TIER_AOT && !r->cached)
      printf(" compile_ms=%.1f", r->compile_ms);
    for (int p = 0; p < SU_NPHASES; p++)
      printf(" %s_ns=%lld", su_phase_names[p], (long long)r->wall[p]);
    for (int p = 0; p < SU_NPHASES; p++)
      printf(" cpu_%s_ns=%lld", su_phase_names[p], (long long)r->cpu[p]);
    printf("\n");
  }
  if (rc == 0) {
    /* the human summary: the first run apart (it pays what a process pays
     * once), then the median of the others */
    int n = o.runs > 1 ? o.runs - 1 : 1;
    const su_run *rest = o.runs > 1 ? runs + 1 : runs;
    int64_t *v = malloc((size_t)n * sizeof *v);
    if (v) {
      printf("# %s, %zu bytes, tier %s, export %s() = %s; %s\n", o.file, len,
             clave_tier_name(o.tier), o.export_name, runs[0].result,
             o.runs > 1 ? "median of runs 2.. (first run apart), wall ms"
                        : "one run, wall ms");
      for (int p = 0; p < SU_NPHASES; p++) {
        for (int i = 0; i < n; i++) v[i] = rest[i].wall[p];
        printf("#   %-12s first %8.3f   median %8.3f\n", su_phase_names[p],
               runs[0].wall[p] / 1e6, su_median(v, n) / 1e6);
      }
      free(v);
    }
  }
  free(runs);
  free(wasm);
  return rc;
}
