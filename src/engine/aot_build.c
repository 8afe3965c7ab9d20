/*
 * aot_build.c - the AOT tier's choice, cache, compiler and loader.
 *
 * For a module loaded by an engine whose tier is AOT or AUTO:
 *   1. the cache key: SHA-256 of the ABI and generator revisions, the C
 *      compiler's identity (resolved path, size and time of its driver),
 *      the compiler flags, the host CPU (the object is built for it with
 *      -march=native), the memory mode, the shape of the translated code
 *      and the module's bytes;
 *   2. the cache: <cache>/<key>.so is loaded when present and valid (its
 *      descriptor names the same key, ABI, function count and mode);
 *   3. AUTO stops here and keeps the interpreter unless the module's code
 *      section is at least CL_AOT_AUTO_MIN_CODE bytes (docs/aot.md);
 *   4. otherwise the generator writes C (aot_gen.c), the compiler builds
 *      it into a temporary file in the cache folder, and rename() puts it
 *      in place, so that a concurrent process sees either no object or a
 *      whole one, never a half-written one; then it is loaded.
 * An AUTO engine falls back to the interpreter on any failure of these
 * steps (the reason is kept for clave_module_aot_info); an AOT engine
 * fails the load with the reason.
 *
 * The compiler is $CLAVE_CC (a command name or path, no arguments) or cc,
 * found on PATH.  The cache folder is the engine's (config.cache_dir), or
 * $XDG_CACHE_HOME/clave, or $HOME/.cache/clave; it is created 0700 and
 * refused when another user owns it or others may write to it, since
 * whatever it holds gets loaded as code.  CLAVE_ENGINE_AOT_NO_CACHE (or no
 * usable folder) compiles into a private temporary folder that is removed
 * once the object is loaded.  $CLAVE_AOT_KEEP=1 keeps the generated C
 * beside the object, for debugging.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "engine/aot.h"

extern char **environ;

/* The most C the tier hands to a compiler (a bound on its time and
 * memory for hostile or giant modules; real payloads stay far below). */
#define CL_AOT_MAX_C ((size_t)128 << 20)

/* AUTO compiles a module that is not cached when its code section has at
 * least this many bytes. */
#define CL_AOT_AUTO_MIN_CODE (32u << 10)

/* The flags every object is built with.  They keep the C compiler from
 * changing wasm's semantics: no strict aliasing (memory is bytes), wrapping
 * signed arithmetic, IEEE floats without contraction into FMA or any fast
 * math, no errno from libm builtins (sqrt becomes one instruction).
 * -fno-tree-dominator-opts: gcc 12's dominator optimisation was seen to
 * drop an `x >= x` comparison of a double that may be a NaN (a branch
 * taken for a NaN; differential seed 24174, docs/aot.md). */
static const char *const aot_cflags[] = {
    "-O2", "-fPIC", "-shared", "-w", "-fvisibility=hidden",
    "-fno-strict-aliasing", "-fwrapv", "-fno-fast-math", "-ffp-contract=off",
    "-frounding-math", "-fsignaling-nans", "-fno-math-errno", "-fno-plt",
    "-fvect-cost-model=dynamic", "-fno-tree-dominator-opts",
#if defined(__x86_64__) || defined(__i386__)
    "-march=native",
#endif
};

/* The same for clang (CLAVE_CC=clang-19), which knows neither
 * -fsignaling-nans nor -fvect-cost-model: strict FP exception semantics
 * keep it from folding x * 1 or x + -0 (which must quiet a signalling
 * NaN). */
static const char *const aot_cflags_clang[] = {
    "-O2", "-fPIC", "-shared", "-w", "-fvisibility=hidden",
    "-fno-strict-aliasing", "-fwrapv", "-fno-fast-math", "-ffp-contract=off",
    "-ffp-exception-behavior=strict", "-fno-math-errno", "-fno-plt",
#if defined(__x86_64__) || defined(__i386__)
    "-march=native",
#endif
};

typedef struct cl_aot_engine {
  clave_tier tier;
  uint32_t flags;
  char *cache_dir; /* NULL: the default, resolved at use */
  bool cc_done;    /* compiler looked up */
  bool cc_found;
  bool cc_clang;   /* its driver is clang: other flags */
  char cc[PATH_MAX];
  char cc_id[PATH_MAX + 64];
} cl_aot_engine;

/* per module state kept beside cl_aot_module for info */
typedef struct aot_note {
  cl_aot_module am;
  char note[256]; /* why AUTO chose the interpreter */
} aot_note;

/* ---- public names ---- */

const char *clave_tier_name(clave_tier tier) {
  switch (tier) {
    case CLAVE_TIER_INTERP:
      return "interp";
    case CLAVE_TIER_AOT:
      return "aot";
    case CLAVE_TIER_AUTO:
      return "auto";
  }
  return "?";
}

bool clave_tier_parse(const char *name, clave_tier *out) {
  static const clave_tier all[] = {CLAVE_TIER_INTERP, CLAVE_TIER_AOT,
                                   CLAVE_TIER_AUTO};
  for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
    if (strcmp(name, clave_tier_name(all[i])) == 0) {
      *out = all[i];
      return true;
    }
  return false;
}

clave_tier clave_module_tier(const clave_module *module) {
  return module->aot && module->aot->desc ? CLAVE_TIER_AOT : CLAVE_TIER_INTERP;
}

void clave_module_aot_info(const clave_module *module, clave_aot_info *out) {
  memset(out, 0, sizeof *out);
  out->tier = clave_module_tier(module);
  const cl_aot_module *am = module->aot;
  if (!am) return;
  out->cached = am->cached;
  out->compile_ms = am->compile_ms;
  out->c_bytes = am->c_bytes;
  out->object = am->path[0] ? am->path : NULL;
  const aot_note *n = (const aot_note *)am;
  out->note = n->note[0] ? n->note : NULL;
}

/* ---- engine ---- */

clave_status cl_aot_engine_new(clave_engine *e,
                               const clave_engine_config *config) {
  e->aot = NULL;
  clave_tier tier = config ? config->tier : CLAVE_TIER_INTERP;
  if (tier != CLAVE_TIER_INTERP && tier != CLAVE_TIER_AOT &&
      tier != CLAVE_TIER_AUTO)
    return CLAVE_EARG;
  cl_aot_engine *ae = calloc(1, sizeof *ae);
  if (!ae) return CLAVE_ENOMEM;
  ae->tier = tier;
  ae->flags = config ? config->flags : 0;
  if (config && config->cache_dir) {
    ae->cache_dir = strdup(config->cache_dir);
    if (!ae->cache_dir) {
      free(ae);
      return CLAVE_ENOMEM;
    }
  }
  e->aot = ae;
  return CLAVE_OK;
}

void cl_aot_engine_free(clave_engine *e) {
  if (!e || !e->aot) return;
  free(e->aot->cache_dir);
  free(e->aot);
  e->aot = NULL;
}

/* ---- the compiler ---- */

/* Find the compiler once per engine: $CLAVE_CC or cc, on PATH unless it
 * holds a slash. */
static bool aot_find_cc(cl_aot_engine *ae) {
  if (ae->cc_done) return ae->cc_found;
  ae->cc_done = true;
  const char *name = getenv("CLAVE_CC");
  if (!name || !*name) name = "cc";
  char cand[PATH_MAX];
  bool found = false;
  if (strchr(name, '/')) {
    snprintf(cand, sizeof cand, "%s", name);
    found = access(cand, X_OK) == 0;
  } else {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    while (*path && !found) {
      const char *c = strchr(path, ':');
      size_t n = c ? (size_t)(c - path) : strlen(path);
      if (n && n + strlen(name) + 2 < sizeof cand) {
        memcpy(cand, path, n);
        cand[n] = '/';
        strcpy(cand + n + 1, name);
        found = access(cand, X_OK) == 0;
      }
      path += n + (c ? 1 : 0);
    }
  }
  if (!found) {
    snprintf(ae->cc, sizeof ae->cc, "%s", name);
    return false;
  }
  snprintf(ae->cc, sizeof ae->cc, "%s", cand);
  /* identity: the real file behind the name, its size and time */
  char real[PATH_MAX];
  struct stat st;
  if (!realpath(cand, real)) snprintf(real, sizeof real, "%s", cand);
  if (stat(real, &st) != 0) memset(&st, 0, sizeof st);
  snprintf(ae->cc_id, sizeof ae->cc_id, "%s %lld %lld.%09ld", real,
           (long long)st.st_size, (long long)st.st_mtim.tv_sec,
           (long)st.st_mtim.tv_nsec);
  const char *base = strrchr(real, '/');
  ae->cc_clang = strstr(base ? base + 1 : real, "clang") != NULL;
  ae->cc_found = true;
  return true;
}

static void aot_cpu_signature(cl_sha256 *s) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned r[12];
  memset(r, 0, sizeof r);
  __get_cpuid(0, &r[0], &r[1], &r[2], &r[3]);
  __get_cpuid(1, &r[4], &r[5], &r[6], &r[7]);
  r[5] &= 0x00FFFFFFu; /* drop the APIC id: the same on every core */
  __get_cpuid_count(7, 0, &r[8], &r[9], &r[10], &r[11]);
  cl_sha256_update(s, r, sizeof r);
#else
  cl_sha256_update(s, "generic", 7);
#endif
}

/* the compiler's flags: n set to their count */
static const char *const *aot_flags(const cl_aot_engine *ae, size_t *n) {
  if (ae->cc_clang) {
    *n = sizeof aot_cflags_clang / sizeof aot_cflags_clang[0];
    return aot_cflags_clang;
  }
  *n = sizeof aot_cflags / sizeof aot_cflags[0];
  return aot_cflags;
}

static void aot_key(const cl_aot_engine *ae, const clave_module *mod,
                    uint32_t flags, char hex[65]) {
  cl_sha256 s;
  cl_sha256_init(&s);
  char head[128];
  int n = snprintf(head, sizeof head, "clave-aot abi %d %s flags %u",
                   CL_AOT_ABI_VERSION, cl_aot_gen_rev, flags);
  cl_sha256_update(&s, head, (size_t)n + 1);
  cl_sha256_update(&s, ae->cc_id, strlen(ae->cc_id) + 1);
  size_t nflags;
  const char *const *flags_v = aot_flags(ae, &nflags);
  for (size_t i = 0; i < nflags; i++)
    cl_sha256_update(&s, flags_v[i], strlen(flags_v[i]) + 1);
  aot_cpu_signature(&s);
  const cl_module *m = mod->m;
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
    uint32_t shape[2] = {mod->codes[i].nwords, mod->codes[i].frame_slots};
    cl_sha256_update(&s, shape, sizeof shape);
  }
  cl_sha256_update(&s, m->bytes, m->len);
  uint8_t d[32];
  cl_sha256_final(&s, d);
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* ---- the cache folder ---- */

/* copy a string, cut to fit */
static void aot_copy(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

static void aot_fail(clave_error *err, clave_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void aot_fail(clave_error *err, clave_status st, const char *fmt, ...) {
  if (!err) return;
  char msg[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cl_error_set(err, st, "%s", msg);
}

/* mkdir -p with mode 0700 for what it creates */
static bool aot_mkdirs(const char *dir) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return false;
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0700) != 0 && errno != EEXIST) return false;
    *s = '/';
  }
  return mkdir(p, 0700) == 0 || errno == EEXIST;
}

/* The cache folder into dir, created and checked; false with err set. */
static bool aot_cache_dir(const cl_aot_engine *ae, char *dir, size_t len,
                          clave_error *err) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (ae->cache_dir)
    snprintf(dir, len, "%s", ae->cache_dir);
  else if (xdg && *xdg == '/')
    snprintf(dir, len, "%s/clave", xdg);
  else if (home && *home)
    snprintf(dir, len, "%s/.cache/clave", home);
  else {
    aot_fail(err, CLAVE_EIO,
             "AOT: no cache folder (XDG_CACHE_HOME and HOME are unset)");
    return false;
  }
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;
  if (!aot_mkdirs(dir)) {
    aot_fail(err, CLAVE_EIO, "AOT: cannot create the cache folder %s: %s", dir,
             strerror(errno));
    return false;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    aot_fail(err, CLAVE_EIO, "AOT: cache folder %s is not a folder", dir);
    return false;
  }
  if (st.st_uid != geteuid() || (st.st_mode & 022)) {
    aot_fail(err, CLAVE_EIO,
             "AOT: cache folder %s is owned by another user or writable by "
             "others; refusing to load code from it",
             dir);
    return false;
  }
  return true;
}

/* ---- loading an object ---- */

typedef struct aot_range {
  uintptr_t addr, lo, hi;
} aot_range;

static int aot_phdr_cb(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  aot_range *r = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  bool mine = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr;
    if (r->addr >= a && r->addr < a + ph->p_memsz) mine = true;
    if (!(ph->p_flags & PF_X)) continue;
    if (a < lo) lo = a;
    if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
  }
  if (!mine) return 0;
  r->lo = lo;
  r->hi = hi;
  return 1;
}

/* Load and check the object at path; false (quietly, when why is NULL)
 * when it is missing or not the object for this key. */
static bool aot_load(cl_aot_module *am, const clave_module *mod,
                     const char *path, const char *key, uint32_t flags,
                     char *why, size_t whylen) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    if (why) snprintf(why, whylen, "%s", dlerror());
    return false;
  }
  const cl_aot_desc *d = dlsym(h, CL_AOT_DESC_SYMBOL);
  uint32_t ndef = mod->m->nfuncs - mod->m->nfunc_imports;
  if (!d || d->abi != CL_AOT_ABI_VERSION || d->nfuncs != ndef ||
      d->flags != flags || strcmp(d->key, key) != 0 || !d->api || !d->entry ||
      !d->direct) {
    if (why)
      snprintf(why, whylen, "%s is not the object for this module", path);
    dlclose(h);
    return false;
  }
  aot_range r = {(uintptr_t)d, 0, 0};
  dl_iterate_phdr(aot_phdr_cb, &r);
  if (!r.hi) {
    if (why) snprintf(why, whylen, "%s: no executable segment found", path);
    dlclose(h);
    return false;
  }
  __atomic_store_n(d->api, cl_aot_api_table(), __ATOMIC_RELEASE);
  am->handle = h;
  am->desc = d;
  am->code_lo = r.lo;
  am->code_hi = r.hi;
  am->flags = flags;
  return true;
}

/* ---- compiling ---- */

static double aot_ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One run of the compiler: argv (NULL-terminated) with its output into
 * the file log. */
typedef struct aot_job {
  pid_t pid;
  char log[PATH_MAX];
} aot_job;

static bool aot_spawn(const cl_aot_engine *ae, const char *const *argv,
                      aot_job *job, clave_error *err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, job->log, O_WRONLY | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc =
      posix_spawn(&job->pid, ae->cc, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    job->pid = 0;
    aot_fail(err, CLAVE_EIO, "AOT: cannot run the C compiler %s: %s", ae->cc,
             strerror(rc));
    return false;
  }
  return true;
}

/* Wait for a job; on failure err (when not set yet) holds the first lines
 * of its output. */
static bool aot_wait(const cl_aot_engine *ae, aot_job *job, bool report,
                     clave_error *err) {
  if (!job->pid) return false;
  int status = 0;
  while (waitpid(job->pid, &status, 0) < 0 && errno == EINTR) {
  }
  job->pid = 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (!report) return false;
  char text[400] = "";
  FILE *f = fopen(job->log, "r");
  if (f) {
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    for (char *p = text; *p; p++)
      if (*p == '\n') *p = ' ';
  }
  if (WIFEXITED(status))
    aot_fail(err, CLAVE_EIO, "AOT: the C compiler %s failed (exit %d): %s",
             ae->cc, WEXITSTATUS(status), text);
  else
    aot_fail(err, CLAVE_EIO, "AOT: the C compiler %s was killed by signal %d",
             ae->cc, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return false;
}

static bool aot_write_file(const char *path, int fd, const cl_aot_src *src,
                           clave_error *err) {
  size_t off = 0;
  while (off < src->len) {
    ssize_t w = write(fd, src->p + off, src->len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      aot_fail(err, CLAVE_EIO, "AOT: cannot write %s: %s", path,
               strerror(errno));
      return false;
    }
    off += (size_t)w;
  }
  return true;
}

/* a new empty temporary file dir/<key>.XXXXXX<suffix>, its name in path */
static bool aot_tmp(const char *dir, const char *key, const char *suffix,
                    char *path, size_t len, clave_error *err) {
  snprintf(path, len, "%s/%.16s.XXXXXX%s", dir, key, suffix);
  int fd = mkstemps(path, (int)strlen(suffix));
  if (fd < 0) {
    aot_fail(err, CLAVE_EIO, "AOT: cannot create a temporary file in %s: %s",
             dir, strerror(errno));
    path[0] = 0;
    return false;
  }
  close(fd);
  return true;
}

/* the compilers that may run at once: the CPUs, at most 8 */
static uint32_t aot_parallel(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 8 ? 8 : (uint32_t)n;
}

/* Generate, compile into dir and rename to final (or, with no final, load
 * from the temporary name and remove it).  A large module's C comes in
 * several units, compiled at once and linked. */
static clave_status aot_compile(const cl_aot_engine *ae, clave_module *mod,
                                cl_aot_module *am, const char *dir,
                                const char *key, uint32_t flags,
                                const char *final, clave_error *err) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cl_aot_src *tus = NULL;
  uint32_t ntu = 0;
  clave_status st =
      cl_aot_generate(mod, flags, key, aot_parallel(), &tus, &ntu, err);
  if (st != CLAVE_OK) return st;
  am->c_bytes = 0;
  for (uint32_t i = 0; i < ntu; i++) am->c_bytes += tus[i].len;
  if (am->c_bytes > CL_AOT_MAX_C) {
    aot_fail(err, CLAVE_EUNSUPPORTED,
             "AOT: the module's C would be %zu MiB, over the %u MiB the tier "
             "compiles",
             am->c_bytes >> 20, (unsigned)(CL_AOT_MAX_C >> 20));
    cl_aot_srcs_free(tus, ntu);
    return CLAVE_EUNSUPPORTED;
  }
  size_t nf;
  const char *const *cflags = aot_flags(ae, &nf);
  char(*cpath)[PATH_MAX] = calloc(ntu, sizeof *cpath);
  char(*objs)[PATH_MAX] = calloc(ntu, sizeof *objs);
  aot_job *jobs = calloc(ntu + 1, sizeof *jobs);
  char opath[PATH_MAX] = "";
  bool ok = cpath && objs && jobs;
  if (!ok) aot_fail(err, CLAVE_ENOMEM, "out of memory compiling a module");
  /* the sources, then one compiler per unit (all of them at once) */
  for (uint32_t i = 0; ok && i < ntu; i++) {
    ok = aot_tmp(dir, key, ".c", cpath[i], PATH_MAX, err) &&
         aot_tmp(dir, key, ".log", jobs[i].log, PATH_MAX, err);
    if (ok) {
      int fd = open(cpath[i], O_WRONLY | O_TRUNC);
      ok = fd >= 0 && aot_write_file(cpath[i], fd, &tus[i], err);
      if (fd >= 0) close(fd);
    }
    if (ok && ntu > 1) ok = aot_tmp(dir, key, ".o", objs[i], PATH_MAX, err);
  }
  cl_aot_srcs_free(tus, ntu);
  if (ok) ok = aot_tmp(dir, key, ".so", opath, sizeof opath, err);
  uint32_t started = 0;
  for (uint32_t i = 0; ok && i < ntu; i++) {
    const char *argv[nf + 8];
    size_t k = 0;
    argv[k++] = ae->cc;
    for (size_t j = 0; j < nf; j++) argv[k++] = cflags[j];
    if (ntu > 1) argv[k++] = "-c";
    argv[k++] = "-o";
    argv[k++] = ntu > 1 ? objs[i] : opath;
    argv[k++] = cpath[i];
    if (ntu == 1) argv[k++] = "-lm";
    argv[k] = NULL;
    ok = aot_spawn(ae, argv, &jobs[i], err);
    if (ok) started++;
  }
  for (uint32_t i = 0; i < started; i++)
    if (!aot_wait(ae, &jobs[i], ok, err)) ok = false;
  /* several units: link them */
  if (ok && ntu > 1) {
    const char *argv[ntu + 8];
    size_t k = 0;
    argv[k++] = ae->cc;
    argv[k++] = "-shared";
    argv[k++] = "-o";
    argv[k++] = opath;
    for (uint32_t i = 0; i < ntu; i++) argv[k++] = objs[i];
    argv[k++] = "-lm";
    argv[k] = NULL;
    ok = aot_tmp(dir, key, ".log", jobs[ntu].log, PATH_MAX, err) &&
         aot_spawn(ae, argv, &jobs[ntu], err) &&
         aot_wait(ae, &jobs[ntu], true, err);
  }
  const char *keep = getenv("CLAVE_AOT_KEEP");
  bool keep_c = keep && strcmp(keep, "1") == 0;
  for (uint32_t i = 0; cpath && jobs && objs && i < ntu; i++) {
    if (cpath[i][0] && !keep_c) unlink(cpath[i]);
    if (jobs[i].log[0]) unlink(jobs[i].log);
    if (objs[i][0]) unlink(objs[i]);
  }
  if (jobs && jobs[ntu].log[0]) unlink(jobs[ntu].log);
  free(cpath);
  free(objs);
  free(jobs);
  if (!ok) {
    if (opath[0]) unlink(opath);
    return err && err->status ? err->status : CLAVE_EIO;
  }
  const char *load_path = opath;
  if (final) {
    if (rename(opath, final) != 0) {
      aot_fail(err, CLAVE_EIO, "AOT: cannot move the object to %s: %s", final,
               strerror(errno));
      unlink(opath);
      return CLAVE_EIO;
    }
    load_path = final;
  }
  char why[256];
  ok = aot_load(am, mod, load_path, key, flags, why, sizeof why);
  if (!final) unlink(opath);
  if (!ok) {
    aot_fail(err, CLAVE_EIO, "AOT: cannot load the compiled object: %s", why);
    return CLAVE_EIO;
  }
  am->compile_ms = aot_ms_since(&t0);
  if (final) aot_copy(am->path, sizeof am->path, final);
  return CLAVE_OK;
}

/* ---- the module hook ---- */

static clave_status aot_prepare(cl_aot_engine *ae, clave_module *mod,
                                aot_note *n, clave_error *err) {
  cl_aot_module *am = &n->am;
  const cl_module *m = mod->m;
  if (!aot_find_cc(ae)) {
    aot_fail(err, CLAVE_EUNSUPPORTED,
             "AOT: no C compiler: %s not found (set CLAVE_CC to a compiler)",
             ae->cc);
    return CLAVE_EUNSUPPORTED;
  }
  uint32_t flags =
      (ae->flags & CLAVE_ENGINE_AOT_BOUNDS_CHECKS) ? CL_AOT_BOUNDS_CHECKS : 0;
  char key[65];
  aot_key(ae, mod, flags, key);
  char dir[PATH_MAX], final[PATH_MAX + 80];
  bool use_cache = !(ae->flags & CLAVE_ENGINE_AOT_NO_CACHE);
  clave_error cerr;
  memset(&cerr, 0, sizeof cerr);
  if (use_cache && !aot_cache_dir(ae, dir, sizeof dir, &cerr)) {
    /* AOT fails; AUTO keeps the interpreter (compiling at every load
     * would cost more than it could give back) */
    if (err) *err = cerr;
    return cerr.status;
  }
  if (use_cache) {
    snprintf(final, sizeof final, "%s/%s.so", dir, key);
    if (aot_load(am, mod, final, key, flags, NULL, 0)) {
      am->cached = true;
      aot_copy(am->path, sizeof am->path, final);
      return CLAVE_OK;
    }
  }
  if (ae->tier == CLAVE_TIER_AUTO &&
      m->code_section_size < CL_AOT_AUTO_MIN_CODE) {
    snprintf(n->note, sizeof n->note,
             "code section of %u bytes is under the %u bytes that pay for a "
             "compile, and no compiled object is cached",
             m->code_section_size, CL_AOT_AUTO_MIN_CODE);
    return CLAVE_ENOTFOUND;
  }
  if (use_cache) return aot_compile(ae, mod, am, dir, key, flags, final, err);
  /* no cache: a private temporary folder */
  const char *tmp = getenv("TMPDIR");
  char tdir[PATH_MAX];
  snprintf(tdir, sizeof tdir, "%s/clave-aot-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(tdir)) {
    aot_fail(err, CLAVE_EIO, "AOT: cannot create a temporary folder %s: %s",
             tdir, strerror(errno));
    return CLAVE_EIO;
  }
  clave_status st = aot_compile(ae, mod, am, tdir, key, flags, NULL, err);
  rmdir(tdir);
  return st;
}

clave_status cl_aot_module_load(clave_module *mod, clave_error *err) {
  mod->aot = NULL;
  cl_aot_engine *ae = mod->engine ? mod->engine->aot : NULL;
  if (!ae || ae->tier == CLAVE_TIER_INTERP) return CLAVE_OK;
  aot_note *n = calloc(1, sizeof *n);
  if (!n) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory loading the module");
    return CLAVE_ENOMEM;
  }
  clave_error e;
  memset(&e, 0, sizeof e);
  clave_status st = aot_prepare(ae, mod, n, &e);
  if (st == CLAVE_OK) {
    mod->aot = &n->am;
    return CLAVE_OK;
  }
  if (ae->tier == CLAVE_TIER_AOT) {
    if (err) *err = e;
    free(n);
    return st;
  }
  /* AUTO: the interpreter, with the reason kept */
  if (st != CLAVE_ENOTFOUND) aot_copy(n->note, sizeof n->note, e.message);
  n->am.desc = NULL;
  mod->aot = &n->am;
  return CLAVE_OK;
}

void cl_aot_module_free(clave_module *mod) {
  if (!mod->aot) return;
  if (mod->aot->handle) dlclose(mod->aot->handle);
  free((aot_note *)mod->aot);
  mod->aot = NULL;
}

cl_native_fn cl_aot_native(const clave_module *mod, uint32_t defidx) {
  if (!mod->aot || !mod->aot->desc) return NULL;
  return (cl_native_fn)(void (*)(void))mod->aot->desc->entry[defidx];
}
