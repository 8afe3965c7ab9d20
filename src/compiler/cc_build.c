/*
 * cc_build.c - from a planned graph to a file: writes the generated C, the
 * weights and the embedded kernel sources into a work folder, runs clang
 * (wasm32-wasi or native) and the linker, and appends the `clave.model`
 * custom section.  Also clave_compile_file, the public entry.
 *
 * Weights never pass through the C compiler: they are written as
 * weights.bin and pulled into an object by an assembler `.incbin`, then
 * linked as read-only data (a data segment of the module).  Kernel objects
 * depend only on their sources and flags, so with a cache folder they are
 * compiled once and reused (file name = hash of sources, flags, compiler).
 * Tool processes are spawned with posix_spawnp (no shell); their stderr
 * goes to a file whose first lines end up in the error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler/cc.h"

extern char **environ;

void clave_compile_options_init(clave_compile_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->target = CLAVE_TARGET_WASM32;
  /* scalar by default until Clave's engine runs SIMD128 payloads */
  opts->simd = true;
}

static clave_status cc_write_file(const char *path, const void *data, size_t len,
                                  clave_error *err) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return cc_fail(err, CLAVE_EIO, "cannot create %s: %s", path, strerror(errno));
  bool ok = (len == 0 || fwrite(data, 1, len, f) == len);
  ok = (fclose(f) == 0) && ok;
  if (!ok)
    return cc_fail(err, CLAVE_EIO, "cannot write %s", path);
  return CLAVE_OK;
}

static uint64_t cc_fnv(uint64_t h, const void *data, size_t len) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* ---- processes ------------------------------------------------------------ */

typedef struct cc_proc {
  pid_t pid;
  char log[4096];
  const char *what;
} cc_proc;

static clave_status cc_spawn(const char *const *argv, const char *log,
                             bool verbose, pid_t *pid, clave_error *err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  if (verbose) {
    for (int i = 0; argv[i]; i++)
      fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
    fprintf(stderr, "\n");
  }
  int rc = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return cc_fail(err, CLAVE_EIO,
                   "cannot run %s: %s (install clang-19 and lld-19: "
                   "scripts/install-deps)",
                   argv[0], strerror(rc));
  return CLAVE_OK;
}

static clave_status cc_wait(pid_t pid, const char *what, const char *log,
                            clave_error *err) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return cc_fail(err, CLAVE_EIO, "%s: waitpid failed", what);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return CLAVE_OK;
  char msg[320] = "";
  FILE *f = fopen(log, "rb");
  if (f) {
    size_t n = fread(msg, 1, sizeof msg - 1, f);
    msg[n] = 0;
    fclose(f);
  }
  for (char *p = msg; *p; p++)
    if (*p == '\n')
      *p = ' ';
  return cc_fail(err, CLAVE_EIO, "%s failed: %s", what, msg[0] ? msg : "(no output)");
}

/* ---- the build ------------------------------------------------------------ */

typedef struct cc_build {
  const clave_compile_options *opts;
  char dir[4096];
  const char *cc;
  bool native;
} cc_build;

static void cc_cflags(const cc_build *b, const char **argv, int *n) {
  if (b->native) {
    argv[(*n)++] = "-fPIC";
    argv[(*n)++] = "-fvisibility=hidden";
  } else {
    argv[(*n)++] = "--target=wasm32-wasi";
    argv[(*n)++] = "--sysroot=/usr";
    if (b->opts->simd)
      argv[(*n)++] = "-msimd128";
  }
  argv[(*n)++] = "-O2";
  argv[(*n)++] = "-std=gnu11";
  argv[(*n)++] = "-w";
  argv[(*n)++] = "-fno-math-errno";
}

static clave_status cc_write_sources(cc_build *b, clave_error *err) {
  char path[4200];
  for (const cc_embedded_file *f = cc_embedded_files; f->name; f++) {
    snprintf(path, sizeof path, "%s/%s", b->dir, f->name);
    clave_status st = cc_write_file(path, f->data, f->len, err);
    if (st)
      return st;
  }
  return CLAVE_OK;
}

/* hash of every header plus this source, the flags and the compiler */
static uint64_t cc_source_key(const cc_build *b, const cc_embedded_file *src) {
  uint64_t h = 1469598103934665603ull;
  for (const cc_embedded_file *f = cc_embedded_files; f->name; f++) {
    size_t l = strlen(f->name);
    if (l > 2 && strcmp(f->name + l - 2, ".h") == 0)
      h = cc_fnv(h, f->data, f->len);
  }
  h = cc_fnv(h, src->name, strlen(src->name));
  h = cc_fnv(h, src->data, src->len);
  const char *argv[16];
  int n = 0;
  cc_cflags(b, argv, &n);
  for (int i = 0; i < n; i++)
    h = cc_fnv(h, argv[i], strlen(argv[i]) + 1);
  h = cc_fnv(h, b->cc, strlen(b->cc));
  return h;
}

static bool cc_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static clave_status cc_compile_all(cc_build *b, char ***objs, int *nobjs,
                                   clave_error *err) {
  int count = 0;
  for (const cc_embedded_file *f = cc_embedded_files; f->name; f++)
    count++;
  char **out = cc_xcalloc((size_t)count + 2, sizeof *out);
  pid_t *pids = cc_xcalloc((size_t)count + 2, sizeof *pids);
  char **dest = cc_xcalloc((size_t)count + 2, sizeof *dest);
  char **logs = cc_xcalloc((size_t)count + 2, sizeof *logs);
  int no = 0;
  clave_status st = CLAVE_OK;
  const char *cache = b->opts->cache_dir;
  if (cache)
    mkdir(cache, 0755); /* may exist; failures show up on use */
  for (const cc_embedded_file *f = cc_embedded_files; f->name && !st; f++) {
    size_t l = strlen(f->name);
    if (l < 3 || strcmp(f->name + l - 2, ".c") != 0)
      continue;
    char obj[4400], tmp[4500], src[4400], log[4400];
    snprintf(src, sizeof src, "%s/%s", b->dir, f->name);
    if (cache) {
      snprintf(obj, sizeof obj, "%s/%016llx-%s.o", cache,
               (unsigned long long)cc_source_key(b, f), f->name);
      if (cc_exists(obj)) {
        out[no++] = cc_xstrdup(obj);
        continue;
      }
      /* compile to a private name, rename into place when done */
      snprintf(tmp, sizeof tmp, "%s.%d.tmp", obj, (int)getpid());
    } else {
      snprintf(obj, sizeof obj, "%s/%s.o", b->dir, f->name);
      snprintf(tmp, sizeof tmp, "%s", obj);
    }
    snprintf(log, sizeof log, "%s/%s.log", b->dir, f->name);
    const char *argv[32];
    int n = 0;
    argv[n++] = b->cc;
    cc_cflags(b, argv, &n);
    argv[n++] = "-c";
    argv[n++] = src;
    argv[n++] = "-o";
    argv[n++] = tmp;
    argv[n] = NULL;
    pid_t pid;
    st = cc_spawn(argv, log, b->opts->verbose, &pid, err);
    if (st)
      break;
    pids[no] = pid;
    dest[no] = cache ? cc_xstrdup(tmp) : NULL;
    logs[no] = cc_xstrdup(log);
    out[no++] = cc_xstrdup(obj);
  }
  for (int i = 0; i < no; i++) {
    if (!pids[i])
      continue;
    char what[600];
    snprintf(what, sizeof what, "compiling %s", logs[i]);
    clave_status s = cc_wait(pids[i], what, logs[i], err);
    if (s && !st)
      st = s;
    if (!s && dest[i] && rename(dest[i], out[i]) != 0 && !st)
      st = cc_fail(err, CLAVE_EIO, "cannot store %s: %s", out[i], strerror(errno));
    free(dest[i]);
    free(logs[i]);
  }
  free(pids);
  free(dest);
  free(logs);
  *objs = out;
  *nobjs = no;
  return st;
}

static clave_status cc_run_tool(cc_build *b, const char *const *argv,
                                const char *what, clave_error *err) {
  char log[4200];
  snprintf(log, sizeof log, "%s/%s.log", b->dir, what);
  pid_t pid;
  clave_status st = cc_spawn(argv, log, b->opts->verbose, &pid, err);
  if (st)
    return st;
  return cc_wait(pid, what, log, err);
}

/* custom section: id 0, size, name, payload */
static clave_status cc_append_section(const char *path, const char *name,
                                      const char *payload, clave_error *err) {
  size_t nl = strlen(name), pl = strlen(payload);
  size_t inner = 0;
  uint8_t hdr[32];
  size_t h = 0;
  uint8_t nlen[8];
  size_t nn = 0;
  for (size_t v = nl;; ) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    nlen[nn++] = byte | (v ? 0x80 : 0);
    if (!v)
      break;
  }
  inner = nn + nl + pl;
  hdr[h++] = 0;
  for (size_t v = inner;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    hdr[h++] = byte | (v ? 0x80 : 0);
    if (!v)
      break;
  }
  FILE *f = fopen(path, "ab");
  if (!f)
    return cc_fail(err, CLAVE_EIO, "cannot open %s: %s", path, strerror(errno));
  bool ok = fwrite(hdr, 1, h, f) == h && fwrite(nlen, 1, nn, f) == nn &&
            fwrite(name, 1, nl, f) == nl && fwrite(payload, 1, pl, f) == pl;
  ok = fclose(f) == 0 && ok;
  return ok ? CLAVE_OK : cc_fail(err, CLAVE_EIO, "cannot write %s", path);
}

static int cc_rmtree(const char *dir) {
  char cmd[4300];
  /* only our own mkdtemp folder, whose name we made */
  if (strncmp(dir, "/tmp/clave-build-", 17) != 0)
    return -1;
  pid_t pid;
  const char *argv[] = {"rm", "-rf", dir, NULL};
  (void)cmd;
  if (posix_spawnp(&pid, "rm", NULL, NULL, (char *const *)argv, environ) != 0)
    return -1;
  int status;
  waitpid(pid, &status, 0);
  return 0;
}

static int cc_parse_format(const char *s) {
  if (!s || strcmp(s, "auto") == 0)
    return 0;
  if (strcmp(s, "pb") == 0)
    return 1;
  if (strcmp(s, "npy") == 0)
    return 2;
  if (strcmp(s, "raw") == 0)
    return 3;
  if (strcmp(s, "image") == 0)
    return 4;
  return -1;
}

clave_status clave_compile_file(const char *model_path, const char *out_path,
                                const clave_compile_options *opts_in,
                                clave_compile_report *report,
                                clave_error *err) {
  clave_compile_options defaults;
  clave_compile_options_init(&defaults);
  const clave_compile_options *opts = opts_in ? opts_in : &defaults;
  if (report)
    memset(report, 0, sizeof *report);
  int format = cc_parse_format(opts->input_format);
  if (format < 0)
    return cc_fail(err, CLAVE_EARG,
                   "unknown input format '%s' (auto, pb, npy, raw, image)",
                   opts->input_format);
  cc_image_spec image;
  clave_status st;
  if (opts->image && (st = cc_image_spec_parse(opts->image, &image, err)))
    return st;
  if (format == 4 && !opts->image)
    return cc_fail(err, CLAVE_EARG, "input format 'image' needs --image");
  uint8_t *bytes;
  size_t len;
  if ((st = cc_read_file(model_path, &bytes, &len, err)))
    return st;
  cc_graph *g;
  st = cc_prepare(bytes, len, model_path, opts, &g, err);
  free(bytes);
  if (st)
    return st;
  cc_ctx c = {g, err, opts};
  char *csrc = NULL, *json = NULL;
  uint8_t *blob = NULL;
  char **objs = NULL;
  int nobjs = 0;
  cc_build b = {0};
  b.opts = opts;
  b.native = opts->target == CLAVE_TARGET_NATIVE;
  b.cc = opts->cc ? opts->cc : "clang-19";
  bool tempdir = false;
  if ((st = cc_emit_c(&c, opts->image ? &image : NULL, format, &csrc, err)))
    goto done;
  if (opts->emit_c_dir) {
    mkdir(opts->emit_c_dir, 0755);
    snprintf(b.dir, sizeof b.dir, "%s", opts->emit_c_dir);
  } else {
    snprintf(b.dir, sizeof b.dir, "/tmp/clave-build-XXXXXX");
    if (!mkdtemp(b.dir)) {
      st = cc_fail(err, CLAVE_EIO, "cannot create a work folder: %s", strerror(errno));
      goto done;
    }
    tempdir = true;
  }
  char path[4400];
  snprintf(path, sizeof path, "%s/model.c", b.dir);
  if ((st = cc_write_file(path, csrc, strlen(csrc), err)))
    goto done;
  blob = cc_weights_blob(g);
  snprintf(path, sizeof path, "%s/weights.bin", b.dir);
  if ((st = cc_write_file(path, blob, (size_t)g->weights_size, err)))
    goto done;
  char asmtext[600];
  snprintf(asmtext, sizeof asmtext,
           "\t.section .rodata.clave_weights,%s\n\t.p2align 6\n"
           "\t.globl clave_weights\n%sclave_weights:\n\t.incbin \"weights.bin\"\n"
           "%s\t.size clave_weights, %lld\n",
           b.native ? "\"a\",@progbits" : "\"\",@",
           b.native ? "\t.hidden clave_weights\n" : "",
           g->weights_size ? "" : "\t.byte 0\n",
           (long long)(g->weights_size ? g->weights_size : 1));
  snprintf(path, sizeof path, "%s/weights.s", b.dir);
  if ((st = cc_write_file(path, asmtext, strlen(asmtext), err)) ||
      (st = cc_write_sources(&b, err)) ||
      (st = cc_compile_all(&b, &objs, &nobjs, err)))
    goto done;
  {
    /* model.c and weights.s are per model: never cached */
    char mc[4400], mo[4400], ws[4400], wo[4400];
    snprintf(mc, sizeof mc, "%s/model.c", b.dir);
    snprintf(mo, sizeof mo, "%s/model.o", b.dir);
    snprintf(ws, sizeof ws, "%s/weights.s", b.dir);
    snprintf(wo, sizeof wo, "%s/weights.o", b.dir);
    const char *argv[40];
    int n = 0;
    argv[n++] = b.cc;
    cc_cflags(&b, argv, &n);
    argv[n++] = "-c";
    argv[n++] = mc;
    argv[n++] = "-o";
    argv[n++] = mo;
    argv[n] = NULL;
    if ((st = cc_run_tool(&b, argv, "model.c", err)))
      goto done;
    n = 0;
    argv[n++] = b.cc;
    if (!b.native)
      argv[n++] = "--target=wasm32-wasi";
    argv[n++] = "-c";
    argv[n++] = ws;
    argv[n++] = "-o";
    argv[n++] = wo;
    argv[n] = NULL;
    /* .incbin is relative to the working folder: give an absolute one */
    char ws_abs[4400];
    snprintf(ws_abs, sizeof ws_abs, "%s/weights.s", b.dir);
    char asm2[4800];
    snprintf(asm2, sizeof asm2, "%s", asmtext);
    char *inc = strstr(asm2, "\"weights.bin\"");
    if (inc) {
      char full[4800];
      snprintf(full, sizeof full, "%.*s\"%s/weights.bin\"%s", (int)(inc - asm2), asm2,
               b.dir, inc + strlen("\"weights.bin\""));
      if ((st = cc_write_file(ws_abs, full, strlen(full), err)))
        goto done;
    }
    if ((st = cc_run_tool(&b, argv, "weights.s", err)))
      goto done;
    const char **largv = cc_xcalloc((size_t)nobjs + 40, sizeof *largv);
    n = 0;
    largv[n++] = b.cc;
    if (b.native) {
      largv[n++] = "-shared";
    } else {
      largv[n++] = "--target=wasm32-wasi";
      largv[n++] = "--sysroot=/usr";
      largv[n++] = "-nostartfiles";
      largv[n++] = "-Wl,--no-entry";
      largv[n++] = "-Wl,--gc-sections";
      largv[n++] = "-Wl,--strip-debug";
      /* the executor places the arguments through the payload's malloc */
      largv[n++] = "-Wl,--export=malloc";
      largv[n++] = "-Wl,--export=free";
      /* a small stack below the data: kernels keep their buffers in the
       * arena, and an overflow traps (address below 0) instead of
       * running into the weights */
      largv[n++] = "-Wl,-z,stack-size=262144";
      largv[n++] = "-Wl,--stack-first";
    }
    largv[n++] = "-o";
    largv[n++] = out_path;
    largv[n++] = mo;
    largv[n++] = wo;
    for (int i = 0; i < nobjs; i++)
      largv[n++] = objs[i];
    largv[n++] = "-lm";
    largv[n] = NULL;
    st = cc_run_tool(&b, largv, "link", err);
    free(largv);
    if (st)
      goto done;
  }
  if (!b.native) {
    json = cc_model_json(g, opts->image ? &image : NULL);
    if ((st = cc_append_section(out_path, "clave.model", json, err)))
      goto done;
  }
  if (report) {
    struct stat sb;
    report->nodes = (size_t)g->nnodes;
    report->folded = (size_t)g->nfolded;
    report->removed = (size_t)g->nremoved;
    report->calls = (size_t)g->ncalls;
    report->arena_bytes = (size_t)g->arena_size;
    report->weights_bytes = (size_t)g->weights_size;
    report->payload_bytes = stat(out_path, &sb) == 0 ? (size_t)sb.st_size : 0;
  }
done:
  if (tempdir)
    cc_rmtree(b.dir);
  for (int i = 0; i < nobjs; i++)
    free(objs[i]);
  free(objs);
  free(csrc);
  free(json);
  free(blob);
  cc_graph_free(g);
  return st;
}
