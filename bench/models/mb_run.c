/*
 * mb_run.c - time one compiled model through its direct ABI, in Clave's
 * engine or natively, for bench/models.
 *
 *     mb_run [OPTIONS] MODEL INPUT.raw
 *
 * MODEL is a payload (.wasm, run in Clave's engine through the public
 * engine API) or the same generated C built with `clave compile --target
 * native` (.so, loaded with dlopen).  INPUT.raw holds the bytes of the
 * model's first input.  The harness writes them at clave_input_ptr(0),
 * calls clave_run once untimed (warm-up; its output is the one checked),
 * then times calls until --min-seconds have passed and --min-runs were
 * made (at most --max-runs), and prints one line:
 *
 *   mbrun engine=E load_ms=.. aot_compile_ms=.. aot_cached=0|1 first_us=..
 *         runs=N median_us=.. min_us=..
 *         mean_us=.. cpu_median_us=.. cpu_min_us=.. linmem=.. rss_base_kb=..
 *         rss_peak_kb=.. out_bytes=..
 *
 * (*_us: wall clock per run; cpu_*: the thread's CPU time per run, which
 * leaves out the time other processes held the core)
 *
 * load_ms covers decoding, validating and translating the module (and,
 * for AOT, finding or building its native code: aot_compile_ms is the
 * generation and C compilation, 0 when the object came from the cache,
 * -1 outside AOT; MB_AOT_CACHE names the cache folder); linmem is the size
 * of the instance's linear memory after the runs (weights, arena, stack,
 * heap: what an inference holds in the sandbox); rss_* are the process's
 * resident set before the module was loaded and its peak at the end.
 * --out FILE writes the first output's bytes (the bench compares engines).
 *
 * Every import of a payload is linked to a host function that traps: the
 * direct ABI never reads files or writes logs, so a call to one is a bug
 * worth seeing.  This is a benchmark program, not part of libclave.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clave/engine.h"

typedef struct mb_opts {
  const char *engine; /* interp, aot, native */
  double min_seconds;
  long min_runs, max_runs;
  const char *out;
} mb_opts;

static double mb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: unlike the wall clock, it does not count the
 * time other processes held the core (a shared machine) */
static double mb_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* VmRSS or VmHWM of this process in KiB, -1 if unknown */
static long mb_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

static int mb_read(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "mb_run: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 20, n = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb)
        free(buf);
      buf = nb;
    }
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "mb_run: out of memory reading %s\n", path);
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* The Teaclave host API that a native model object imports: the direct
 * ABI never calls it, so each refuses (dlopen needs the symbols). */
int teaclave_open_input(char *fid);
int teaclave_create_output(char *fid);
int teaclave_read_file(int fd, char *buf, int size);
int teaclave_write_file(int fd, char *buf, int size);
int teaclave_close_file(int fd);
int teaclave_open_input(char *fid) { return (void)fid, -1; }
int teaclave_create_output(char *fid) { return (void)fid, -1; }
int teaclave_read_file(int fd, char *buf, int size) { return (void)fd, (void)buf, (void)size, -1; }
int teaclave_write_file(int fd, char *buf, int size) { return (void)fd, (void)buf, (void)size, -1; }
int teaclave_close_file(int fd) { return (void)fd, -1; }

static int mb_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- the two ways to run: an engine instance or a native object -------- */

typedef struct mb_model {
  /* engine */
  clave_engine *engine;
  clave_module *module;
  clave_linker *linker;
  clave_instance *inst;
  clave_func *run;
  clave_memory *mem;
  /* native */
  void *so;
  int (*n_run)(void);
  /* both */
  uint8_t *in, *out; /* native: pointers into the object */
  uint32_t in_off, out_off;
  int in_size, out_size;
} mb_model;

static clave_status mb_trap_import(clave_caller *caller, const clave_value *args,
                                   clave_value *results, void *user) {
  (void)args, (void)results;
  return clave_caller_trap(caller, CLAVE_TRAP_HOST,
                           "mb_run: the model called import %s", (char *)user);
}

static int mb_call_i32(clave_instance *inst, const char *name, int arg,
                       bool has_arg, int32_t *ret) {
  clave_extern ext;
  clave_error err;
  if (clave_instance_export(inst, name, &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    fprintf(stderr, "mb_run: the payload does not export %s\n", name);
    return -1;
  }
  clave_value a = clave_i32(arg), r;
  clave_functype ft;
  clave_func_type(ext.of.func, &ft);
  if (clave_func_call(ext.of.func, has_arg ? &a : NULL, has_arg ? 1 : 0,
                      ft.nresults ? &r : NULL, ft.nresults, &err) != CLAVE_OK) {
    fprintf(stderr, "mb_run: %s: %s\n", name, err.message);
    return -1;
  }
  if (ret)
    *ret = ft.nresults ? r.of.i32 : 0;
  return 0;
}

static int mb_load_engine(mb_model *m, const uint8_t *bytes, size_t len,
                          const char *tier) {
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (strcmp(tier, "aot") == 0) {
#ifdef MB_HAVE_AOT
    cfg.tier = CLAVE_TIER_AOT;
    cfg.cache_dir = getenv("MB_AOT_CACHE"); /* NULL: the engine's default */
#else
    fprintf(stderr, "mb_run: this engine has no AOT tier\n");
    return -1;
#endif
  }
  clave_error err;
  m->engine = clave_engine_new(&cfg);
  if (!m->engine) {
    fprintf(stderr, "mb_run: cannot create an engine\n");
    return -1;
  }
  if (clave_module_load(m->engine, bytes, len, &m->module, &err) != CLAVE_OK) {
    fprintf(stderr, "mb_run: loading the module: %s\n", err.message);
    return -1;
  }
  m->linker = clave_linker_new(m->engine);
  uint32_t ni = clave_module_import_count(m->module);
  for (uint32_t i = 0; i < ni; i++) {
    clave_import_desc d;
    clave_module_import(m->module, i, &d);
    clave_functype ft;
    if (d.kind != CLAVE_EXTERN_FUNC ||
        clave_module_import_functype(m->module, i, &ft) != CLAVE_OK) {
      fprintf(stderr, "mb_run: import %s.%s is not a function\n", d.module, d.name);
      return -1;
    }
    char *what = malloc(strlen(d.module) + strlen(d.name) + 2);
    sprintf(what, "%s.%s", d.module, d.name);
    clave_extern ext = {.kind = CLAVE_EXTERN_FUNC};
    ext.of.func = clave_func_new_host(m->engine, &ft, mb_trap_import, what, free);
    if (!ext.of.func ||
        clave_linker_define(m->linker, d.module, d.name, ext) != CLAVE_OK) {
      fprintf(stderr, "mb_run: cannot define import %s\n", what);
      return -1;
    }
    clave_extern_release(ext);
  }
  if (clave_linker_instantiate(m->linker, m->module, NULL, &m->inst, &err) != CLAVE_OK) {
    fprintf(stderr, "mb_run: instantiating: %s\n", err.message);
    return -1;
  }
  clave_extern ext;
  if (clave_instance_export(m->inst, "_initialize", &ext) == CLAVE_OK &&
      mb_call_i32(m->inst, "_initialize", 0, false, NULL))
    return -1;
  int32_t in_off, out_off, in_size, out_size;
  if (mb_call_i32(m->inst, "clave_input_ptr", 0, true, &in_off) ||
      mb_call_i32(m->inst, "clave_output_ptr", 0, true, &out_off) ||
      mb_call_i32(m->inst, "clave_input_size", 0, true, &in_size) ||
      mb_call_i32(m->inst, "clave_output_size", 0, true, &out_size))
    return -1;
  if (clave_instance_export(m->inst, "clave_run", &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    fprintf(stderr, "mb_run: the payload does not export clave_run\n");
    return -1;
  }
  m->run = ext.of.func;
  m->mem = clave_instance_memory(m->inst);
  m->in_off = (uint32_t)in_off, m->out_off = (uint32_t)out_off;
  m->in_size = in_size, m->out_size = out_size;
  return 0;
}

static int mb_load_native(mb_model *m, const char *path) {
  char abs[4096];
  if (!realpath(path, abs)) {
    fprintf(stderr, "mb_run: %s: %s\n", path, strerror(errno));
    return -1;
  }
  m->so = dlopen(abs, RTLD_NOW | RTLD_LOCAL);
  if (!m->so) {
    fprintf(stderr, "mb_run: %s\n", dlerror());
    return -1;
  }
  void *(*in_ptr)(int) = (void *(*)(int))dlsym(m->so, "clave_input_ptr");
  void *(*out_ptr)(int) = (void *(*)(int))dlsym(m->so, "clave_output_ptr");
  int (*in_size)(int) = (int (*)(int))dlsym(m->so, "clave_input_size");
  int (*out_size)(int) = (int (*)(int))dlsym(m->so, "clave_output_size");
  m->n_run = (int (*)(void))dlsym(m->so, "clave_run");
  if (!in_ptr || !out_ptr || !in_size || !out_size || !m->n_run) {
    fprintf(stderr, "mb_run: %s lacks the direct ABI\n", path);
    return -1;
  }
  m->in = in_ptr(0), m->out = out_ptr(0);
  m->in_size = in_size(0), m->out_size = out_size(0);
  return 0;
}

static int mb_run_once(mb_model *m) {
  if (m->so) {
    if (m->n_run() != 0) {
      fprintf(stderr, "mb_run: clave_run failed\n");
      return -1;
    }
    return 0;
  }
  clave_value r;
  clave_error err;
  if (clave_func_call(m->run, NULL, 0, &r, 1, &err) != CLAVE_OK) {
    fprintf(stderr, "mb_run: clave_run: %s\n", err.message);
    return -1;
  }
  if (r.of.i32 != 0) {
    fprintf(stderr, "mb_run: clave_run returned %d\n", r.of.i32);
    return -1;
  }
  return 0;
}

static void mb_usage(void) {
  fprintf(stderr,
          "usage: mb_run [--engine interp|aot|native] [--min-seconds S]\n"
          "              [--min-runs N] [--max-runs N] [--out FILE] MODEL INPUT.raw\n");
}

int main(int argc, char **argv) {
  mb_opts o = {"interp", 1.0, 5, 100000, NULL};
  const char *pos[2];
  int np = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--engine") == 0 && i + 1 < argc)
      o.engine = argv[++i];
    else if (strcmp(a, "--min-seconds") == 0 && i + 1 < argc)
      o.min_seconds = atof(argv[++i]);
    else if (strcmp(a, "--min-runs") == 0 && i + 1 < argc)
      o.min_runs = atol(argv[++i]);
    else if (strcmp(a, "--max-runs") == 0 && i + 1 < argc)
      o.max_runs = atol(argv[++i]);
    else if (strcmp(a, "--out") == 0 && i + 1 < argc)
      o.out = argv[++i];
    else if (a[0] != '-' && np < 2)
      pos[np++] = a;
    else {
      mb_usage();
      return 2;
    }
  }
  if (np != 2 || o.min_runs < 1 || o.max_runs < o.min_runs) {
    mb_usage();
    return 2;
  }
  bool native = strcmp(o.engine, "native") == 0;
  if (!native && strcmp(o.engine, "interp") != 0 && strcmp(o.engine, "aot") != 0) {
    fprintf(stderr, "mb_run: unknown engine '%s' (interp, aot, native)\n", o.engine);
    return 2;
  }
  uint8_t *input, *wasm = NULL;
  size_t ilen, wlen = 0;
  if (mb_read(pos[1], &input, &ilen))
    return 1;
  if (!native && mb_read(pos[0], &wasm, &wlen))
    return 1;
  long rss_base = mb_status_kb("VmRSS");
  mb_model m;
  memset(&m, 0, sizeof m);
  double t0 = mb_now();
  if (native ? mb_load_native(&m, pos[0]) : mb_load_engine(&m, wasm, wlen, o.engine))
    return 1;
  double load_ms = (mb_now() - t0) * 1e3;
  double aot_ms = -1;
  int aot_cached = 0;
#ifdef MB_HAVE_AOT
  if (!native) {
    clave_aot_info ai;
    clave_module_aot_info(m.module, &ai);
    if (ai.tier != (strcmp(o.engine, "aot") == 0 ? CLAVE_TIER_AOT : CLAVE_TIER_INTERP)) {
      fprintf(stderr, "mb_run: the module runs in tier %s, not %s\n",
              clave_tier_name(ai.tier), o.engine);
      return 1;
    }
    if (ai.tier == CLAVE_TIER_AOT)
      aot_ms = ai.cached ? 0 : ai.compile_ms, aot_cached = ai.cached;
  }
#endif
  free(wasm);
  if ((size_t)m.in_size != ilen) {
    fprintf(stderr, "mb_run: %s has %zu bytes, the model's input has %d\n", pos[1],
            ilen, m.in_size);
    return 1;
  }
  if (native)
    memcpy(m.in, input, ilen);
  else if (clave_memory_write(m.mem, m.in_off, input, ilen) != CLAVE_OK) {
    fprintf(stderr, "mb_run: the input buffer leaves linear memory\n");
    return 1;
  }
  t0 = mb_now();
  if (mb_run_once(&m))
    return 1;
  double first_us = (mb_now() - t0) * 1e6;
  uint8_t *out = malloc((size_t)m.out_size);
  if (native)
    memcpy(out, m.out, (size_t)m.out_size);
  else if (clave_memory_read(m.mem, m.out_off, out, (size_t)m.out_size) != CLAVE_OK) {
    fprintf(stderr, "mb_run: the output buffer leaves linear memory\n");
    return 1;
  }
  if (o.out) {
    FILE *f = fopen(o.out, "wb");
    if (!f || fwrite(out, 1, (size_t)m.out_size, f) != (size_t)m.out_size ||
        fclose(f) != 0) {
      fprintf(stderr, "mb_run: cannot write %s\n", o.out);
      return 1;
    }
  }
  size_t cap = 1024, n = 0;
  double *times = malloc(cap * sizeof *times), start = mb_now(), sum = 0;
  double *cpus = malloc(cap * sizeof *cpus);
  while (n < (size_t)o.max_runs &&
         (n < (size_t)o.min_runs || mb_now() - start < o.min_seconds)) {
    double a = mb_now(), ac = mb_cpu();
    if (mb_run_once(&m))
      return 1;
    double d = mb_now() - a, dc = mb_cpu() - ac;
    if (n == cap) {
      cap *= 2;
      times = realloc(times, cap * sizeof *times);
      cpus = realloc(cpus, cap * sizeof *cpus);
    }
    cpus[n] = dc;
    times[n++] = d;
    sum += d;
  }
  qsort(times, n, sizeof *times, mb_cmp_double);
  qsort(cpus, n, sizeof *cpus, mb_cmp_double);
  double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  double cmedian = n % 2 ? cpus[n / 2] : (cpus[n / 2 - 1] + cpus[n / 2]) / 2;
  size_t linmem = 0;
  if (!native)
    clave_memory_data(m.mem, &linmem);
  printf("mbrun engine=%s load_ms=%.3f aot_compile_ms=%.1f aot_cached=%d first_us=%.1f runs=%zu median_us=%.2f "
         "min_us=%.2f mean_us=%.2f cpu_median_us=%.2f cpu_min_us=%.2f linmem=%zu rss_base_kb=%ld rss_peak_kb=%ld "
         "out_bytes=%d\n",
         o.engine, load_ms, aot_ms, aot_cached, first_us, n, median * 1e6, times[0] * 1e6,
         sum / (double)n * 1e6, cmedian * 1e6, cpus[0] * 1e6, linmem, rss_base, mb_status_kb("VmHWM"),
         m.out_size);
  free(times);
  free(cpus);
  free(out);
  free(input);
  if (!native) {
    clave_instance_free(m.inst);
    clave_linker_free(m.linker);
    clave_module_free(m.module);
    clave_engine_free(m.engine);
  }
  return 0;
}
