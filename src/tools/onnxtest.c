/*
 * onnxtest.c - clave-onnxtest: the ONNX backend conformance runner.
 *
 *   clave-onnxtest [options] DIR...
 *
 * Each DIR is a test (holding model.onnx and test_data_set_N/) or a suite
 * of them.  Every test is compiled and run, its outputs compared with
 * output_N.pb (rtol 1e-3, atol 1e-7; exact for integers and booleans):
 *   --mode wasm    compile to a wasm32 payload (SIMD128 kernels, as
 *                  `clave compile` builds by default) and run it in Clave's
 *                  engine through its entry point (the default)
 *   --mode interp  run the planned graph natively on the kernels (no clang;
 *                  a fast check of the kernels and passes)
 * Inputs that decide shapes or axes are bound with --const when the
 * compiler asks for it.  Each test runs in a child process, so a crash is
 * reported as one, never taking the runner down.
 *
 *   --no-simd         wasm mode: scalar kernels (`clave compile --no-simd`)
 *   --expect FILE     pass list: fail when a test in it does not pass
 *   --write-pass FILE write the tests that passed (sorted)
 *   --cache DIR       kernel object cache (default: a folder in /tmp)
 *   -j N              tests run in parallel (default 2)
 *   -v                one line per test
 * Prints per suite: passed, failed (mismatch, compile error, crash),
 * unsupported by reason; ends with "N passed, N failed, N skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clave/executor.h"
#include "compiler/cc.h"

enum { OT_PASS, OT_MISMATCH, OT_COMPILE, OT_RUN, OT_CRASH, OT_UNSUPPORTED };

typedef struct ot_opts {
  bool wasm;
  const char *cache;
  int jobs;
  bool verbose;
  bool simd; /* wasm mode: SIMD128 kernels */
} ot_opts;

typedef struct ot_test {
  char *dir;
  char *suite;
  char *name;
  int result;
  char reason[300];
} ot_test;

static bool ot_is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int ot_cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- comparing ----------------------------------------------------------- */

static double ot_get(const void *d, int dt, int64_t i) {
  switch (dt) {
  case CK_FLOAT: return ((const float *)d)[i];
  case CK_DOUBLE: return ((const double *)d)[i];
  case CK_FLOAT16: return ck_h2f(((const uint16_t *)d)[i]);
  case CK_BFLOAT16: return ck_bf2f(((const uint16_t *)d)[i]);
  case CK_INT8: return ((const int8_t *)d)[i];
  case CK_INT16: return ((const int16_t *)d)[i];
  case CK_INT32: return ((const int32_t *)d)[i];
  case CK_INT64: return (double)((const int64_t *)d)[i];
  case CK_UINT8: case CK_BOOL: return ((const uint8_t *)d)[i];
  case CK_UINT16: return ((const uint16_t *)d)[i];
  case CK_UINT32: return ((const uint32_t *)d)[i];
  case CK_UINT64: return (double)((const uint64_t *)d)[i];
  default: return 0;
  }
}

static int64_t ot_geti(const void *d, int dt, int64_t i) {
  if (dt == CK_INT64)
    return ((const int64_t *)d)[i];
  if (dt == CK_UINT64)
    return (int64_t)((const uint64_t *)d)[i];
  return (int64_t)ot_get(d, dt, i);
}

static bool ot_close(double got, double want) {
  if (isnan(want))
    return isnan(got);
  if (isinf(want))
    return got == want;
  return fabs(got - want) <= 1e-7 + 1e-3 * fabs(want);
}

/* got/want: values of dtype dt, n elements; message on mismatch */
static bool ot_compare(const void *got, const void *want, int dt, int64_t n,
                       char *msg, size_t len) {
  bool fl = cc_is_float(dt);
  for (int64_t i = 0; i < n; i++) {
    bool ok = fl ? ot_close(ot_get(got, dt, i), ot_get(want, dt, i))
                 : ot_geti(got, dt, i) == ot_geti(want, dt, i);
    if (!ok) {
      snprintf(msg, len, "element %lld: got %.9g, expected %.9g", (long long)i,
               ot_get(got, dt, i), ot_get(want, dt, i));
      return false;
    }
  }
  return true;
}

/* ---- one test ------------------------------------------------------------ */

typedef struct ot_tensor {
  int dtype, rank;
  int64_t dims[CC_MAX_RANK];
  void *data;
  uint8_t *bytes; /* the .pb file */
  size_t len;
} ot_tensor;

static bool ot_load_pb(const char *path, ot_tensor *t, char *msg, size_t len) {
  clave_error err = {0};
  if (cc_read_file(path, &t->bytes, &t->len, &err)) {
    snprintf(msg, len, "%.250s", err.message);
    return false;
  }
  if (cc_tensor_pb_decode(t->bytes, t->len, path, NULL, &t->dtype, &t->rank,
                          t->dims, &t->data, NULL, &err)) {
    snprintf(msg, len, "%.250s", err.message);
    return false;
  }
  return true;
}

static int64_t ot_numel(const ot_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++)
    n *= t->dims[i];
  return n;
}

static void ot_reason(clave_error *err, int *result, char *reason, size_t len) {
  const char *m = err->message, *p;
  if (err->status == CLAVE_EUNSUPPORTED) {
    *result = OT_UNSUPPORTED;
    if ((p = strstr(m, "unsupported operator '")))
      snprintf(reason, len, "operator %.*s", (int)strcspn(p + 22, "'"), p + 22);
    else if (strstr(m, "subgraphs"))
      snprintf(reason, len, "control flow (subgraphs)");
    else if (strstr(m, "sequence") || strstr(m, "not a tensor"))
      snprintf(reason, len, "sequence, map or optional types");
    else if (strstr(m, "string"))
      snprintf(reason, len, "string tensors");
    else if ((p = strstr(m, "data type")))
      snprintf(reason, len, "%.*s", (int)strcspn(p, ")\n"), p);
    else if ((p = strstr(m, "): ")))
      snprintf(reason, len, "%.250s", p + 3);
    else
      snprintf(reason, len, "%.250s", m);
  } else {
    *result = OT_COMPILE;
    snprintf(reason, len, "%.250s", m);
  }
}

/* the input named in a "--const NAME=" hint of the error, or NULL */
static char *ot_const_hint(const char *msg) {
  const char *p = strstr(msg, "--const ");
  if (!p)
    return NULL;
  p += 8;
  size_t n = strcspn(p, "=");
  char *name = malloc(n + 1);
  memcpy(name, p, n);
  name[n] = 0;
  return name;
}

/* Compile (planned graph for interp; payload for wasm) binding consts as
 * the compiler asks. */
static void ot_run_test(const ot_opts *o, ot_test *t) {
  char model[4200], path[4400];
  snprintf(model, sizeof model, "%s/model.onnx", t->dir);
  char set[4300];
  snprintf(set, sizeof set, "%s/test_data_set_0", t->dir);
  /* graph input names, from a first import */
  uint8_t *bytes;
  size_t len;
  clave_error err = {0};
  if (cc_read_file(model, &bytes, &len, &err)) {
    t->result = OT_COMPILE;
    snprintf(t->reason, sizeof t->reason, "%.250s", err.message);
    return;
  }
  cc_graph *g0;
  if (cc_import_onnx(bytes, len, model, NULL, &g0, &err)) {
    free(bytes);
    ot_reason(&err, &t->result, t->reason, sizeof t->reason);
    return;
  }
  int nin = g0->ninputs;
  char **names = calloc((size_t)nin + 1, sizeof *names);
  for (int i = 0; i < nin; i++)
    names[i] = cc_xstrdup(g0->vals[g0->inputs[i]]->name);
  cc_graph_free(g0);
  ot_tensor *in = calloc((size_t)nin + 1, sizeof *in);
  bool *is_const = calloc((size_t)nin + 1, sizeof *is_const);
  char **consts = calloc((size_t)nin + 1, sizeof *consts);
  int nconsts = 0;
  for (int i = 0; i < nin; i++) {
    snprintf(path, sizeof path, "%s/input_%d.pb", set, i);
    if (!ot_load_pb(path, &in[i], t->reason, sizeof t->reason)) {
      t->result = OT_UNSUPPORTED;
      goto out;
    }
  }
  clave_compile_options opts;
  clave_compile_options_init(&opts);
  opts.simd = o->simd;
  opts.cache_dir = o->cache;
  cc_graph *g = NULL;
  char out_path[4400];
  snprintf(out_path, sizeof out_path, "%s/ot-%d.wasm", o->cache, (int)getpid());
  for (;;) {
    opts.consts = (const char *const *)consts;
    opts.nconsts = (size_t)nconsts;
    clave_status st;
    if (o->wasm)
      st = clave_compile_file(model, out_path, &opts, NULL, &err);
    else
      st = cc_prepare(bytes, len, model, &opts, &g, &err);
    if (st == CLAVE_OK)
      break;
    char *hint = ot_const_hint(err.message);
    int k = -1;
    for (int i = 0; hint && i < nin; i++)
      if (strcmp(names[i], hint) == 0 && !is_const[i])
        k = i;
    free(hint);
    if (k < 0) {
      ot_reason(&err, &t->result, t->reason, sizeof t->reason);
      goto out;
    }
    is_const[k] = true;
    size_t l = strlen(names[k]) + strlen(set) + 32;
    consts[nconsts] = malloc(l);
    snprintf(consts[nconsts++], l, "%s=%s/input_%d.pb", names[k], set, k);
  }
  /* expected outputs */
  int nout = 0;
  ot_tensor want[64] = {0};
  for (; nout < 64; nout++) {
    snprintf(path, sizeof path, "%s/output_%d.pb", set, nout);
    if (!ot_is_file(path))
      break;
    if (!ot_load_pb(path, &want[nout], t->reason, sizeof t->reason)) {
      t->result = OT_UNSUPPORTED;
      goto cleanup;
    }
  }
  if (!o->wasm) {
    if (g->noutputs != nout) {
      t->result = OT_MISMATCH;
      snprintf(t->reason, sizeof t->reason, "%d outputs, %d expected", g->noutputs, nout);
      goto cleanup;
    }
    const void **ins = calloc((size_t)nin + 1, sizeof *ins);
    int k = 0;
    for (int i = 0; i < nin; i++) {
      if (is_const[i])
        continue;
      const cc_value *v = g->vals[g->inputs[k++]];
      if (v->dtype != in[i].dtype || cc_numel(v) != ot_numel(&in[i])) {
        t->result = OT_MISMATCH;
        snprintf(t->reason, sizeof t->reason, "input %d does not match the model", i);
        free(ins);
        goto cleanup;
      }
      ins[k - 1] = in[i].data;
    }
    void **outs = calloc((size_t)nout + 1, sizeof *outs);
    if (cc_run_native(g, ins, outs, &err)) {
      t->result = OT_RUN;
      snprintf(t->reason, sizeof t->reason, "%.250s", err.message);
    } else {
      t->result = OT_PASS;
      for (int i = 0; i < nout && t->result == OT_PASS; i++) {
        const cc_value *v = g->vals[g->outputs[i]];
        if (v->dtype != want[i].dtype || cc_numel(v) != ot_numel(&want[i])) {
          t->result = OT_MISMATCH;
          char s[128];
          snprintf(t->reason, sizeof t->reason, "output %d: %s %s, expected %s of %lld",
                   i, cc_dtype_name(v->dtype), cc_shape_str(v, s, sizeof s),
                   cc_dtype_name(want[i].dtype), (long long)ot_numel(&want[i]));
        } else if (!ot_compare(outs[i], want[i].data, v->dtype, cc_numel(v),
                               t->reason, sizeof t->reason)) {
          t->result = OT_MISMATCH;
        }
      }
    }
    for (int i = 0; i < nout; i++)
      free(outs[i]);
    free(outs);
    free(ins);
    goto cleanup;
  }
  /* wasm: run the payload's entry point in the engine */
  {
    uint8_t *wasm;
    size_t wlen;
    if (cc_read_file(out_path, &wasm, &wlen, &err)) {
      t->result = OT_COMPILE;
      snprintf(t->reason, sizeof t->reason, "%.250s", err.message);
      goto cleanup;
    }
    unlink(out_path);
    clave_program *prog;
    if (clave_program_load(NULL, wasm, wlen, &prog, &err)) {
      free(wasm);
      t->result = OT_RUN;
      snprintf(t->reason, sizeof t->reason, "load: %.250s", err.message);
      goto cleanup;
    }
    free(wasm);
    json_t *args = json_object();
    clave_exec_input *ei = calloc((size_t)nin + 1, sizeof *ei);
    char fids[64][16];
    int ne = 0;
    for (int i = 0; i < nin && i < 64; i++) {
      if (is_const[i])
        continue;
      snprintf(fids[ne], sizeof fids[ne], "in%d", i);
      json_object_set_new(args, names[i], json_string(fids[ne]));
      ei[ne].name = fids[ne];
      ei[ne].data = in[i].bytes;
      ei[ne].len = in[i].len;
      ne++;
    }
    json_object_set_new(args, "output", json_string("out"));
    char *aj = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    clave_exec_request req;
    clave_exec_request_init(&req);
    req.args_json = aj;
    req.inputs = ei;
    req.ninputs = (size_t)ne;
    clave_exec_output eo = {.name = "out"};
    req.outputs = &eo;
    req.noutputs = 1;
    clave_exec_result res;
    clave_status st = clave_program_run(prog, &req, &res);
    if (st != CLAVE_OK || res.return_value < 0 || !eo.created) {
      t->result = OT_RUN;
      snprintf(t->reason, sizeof t->reason, "run: %.120s (result %d) %.120s",
               st ? res.error.message : "", res.return_value, res.log ? res.log : "");
      for (char *p = t->reason; *p; p++)
        if (*p == '\n')
          *p = ' ';
    } else {
      json_error_t je;
      json_t *doc = json_loadb((const char *)eo.data, eo.len, 0, &je);
      json_t *outs = doc ? json_object_get(doc, "outputs") : NULL;
      t->result = OT_PASS;
      if (!json_is_array(outs) || (int)json_array_size(outs) != nout) {
        t->result = OT_MISMATCH;
        snprintf(t->reason, sizeof t->reason, "output JSON has %d outputs, %d expected",
                 outs ? (int)json_array_size(outs) : -1, nout);
      }
      for (int i = 0; i < nout && t->result == OT_PASS; i++) {
        json_t *data = json_object_get(json_array_get(outs, (size_t)i), "data");
        int64_t n = ot_numel(&want[i]);
        if (!json_is_array(data) || (int64_t)json_array_size(data) != n) {
          t->result = OT_MISMATCH;
          snprintf(t->reason, sizeof t->reason, "output %d has %d values, %lld expected",
                   i, data ? (int)json_array_size(data) : -1, (long long)n);
          break;
        }
        bool fl = cc_is_float(want[i].dtype);
        for (int64_t k = 0; k < n; k++) {
          json_t *e = json_array_get(data, (size_t)k);
          double w = ot_get(want[i].data, want[i].dtype, k);
          bool ok;
          if (json_is_null(e))
            ok = fl && !isfinite(w);
          else if (json_is_boolean(e))
            ok = (json_is_true(e) ? 1 : 0) == (int64_t)w;
          else if (fl)
            ok = ot_close(json_number_value(e), w);
          else
            ok = json_is_integer(e) &&
                 json_integer_value(e) == ot_geti(want[i].data, want[i].dtype, k);
          if (!ok) {
            t->result = OT_MISMATCH;
            snprintf(t->reason, sizeof t->reason,
                     "output %d element %lld: got %.9g, expected %.9g", i,
                     (long long)k, json_number_value(e), w);
            break;
          }
        }
      }
      json_decref(doc);
    }
    clave_exec_result_free(&res, &eo, 1);
    clave_program_free(prog);
    free(aj);
    free(ei);
  }
cleanup:
  for (int i = 0; i < nout; i++) {
    free(want[i].data);
    free(want[i].bytes);
  }
out:
  cc_graph_free(g);
  for (int i = 0; i < nin; i++) {
    free(in[i].data);
    free(in[i].bytes);
    free(names[i]);
  }
  for (int i = 0; i < nconsts; i++)
    free(consts[i]);
  free(consts);
  free(is_const);
  free(names);
  free(in);
  free(bytes);
}

/* ---- driver ----------------------------------------------------------------- */

static void ot_add(ot_test **tests, int *n, int *cap, const char *dir,
                   const char *suite, const char *name) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    *tests = realloc(*tests, (size_t)*cap * sizeof **tests);
  }
  ot_test *t = &(*tests)[(*n)++];
  memset(t, 0, sizeof *t);
  t->dir = cc_xstrdup(dir);
  t->suite = cc_xstrdup(suite);
  t->name = cc_xstrdup(name);
}

static void ot_collect(const char *arg, ot_test **tests, int *n, int *cap) {
  char path[4600];
  char buf[4200];
  snprintf(buf, sizeof buf, "%s", arg);
  size_t l = strlen(buf);
  while (l > 1 && buf[l - 1] == '/')
    buf[--l] = 0;
  snprintf(path, sizeof path, "%s/model.onnx", buf);
  const char *base = strrchr(buf, '/');
  base = base ? base + 1 : buf;
  if (ot_is_file(path)) {
    char parent[4200];
    snprintf(parent, sizeof parent, "%s", buf);
    char *slash = strrchr(parent, '/');
    const char *suite = "tests";
    if (slash) {
      *slash = 0;
      const char *pb = strrchr(parent, '/');
      suite = pb ? pb + 1 : parent;
    }
    ot_add(tests, n, cap, buf, suite, base);
    return;
  }
  DIR *d = opendir(buf);
  if (!d) {
    fprintf(stderr, "clave-onnxtest: cannot open %s: %s\n", buf, strerror(errno));
    return;
  }
  char **names = NULL;
  int nn = 0, cn = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s/model.onnx", buf, e->d_name);
    if (!ot_is_file(path))
      continue;
    if (nn == cn) {
      cn = cn ? cn * 2 : 256;
      names = realloc(names, (size_t)cn * sizeof *names);
    }
    names[nn++] = cc_xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)nn, sizeof *names, ot_cmp_str);
  for (int i = 0; i < nn; i++) {
    snprintf(path, sizeof path, "%s/%s", buf, names[i]);
    ot_add(tests, n, cap, path, base, names[i]);
    free(names[i]);
  }
  free(names);
}

/* child: run one test, write "result\treason\n" to fd */
static void ot_child(const ot_opts *o, ot_test *t, int fd) {
  ot_run_test(o, t);
  char line[400];
  int n = snprintf(line, sizeof line, "%d\t%s\n", t->result, t->reason);
  if (n > (int)sizeof line - 1)
    n = (int)sizeof line - 1;
  ssize_t w = write(fd, line, (size_t)n);
  (void)w;
  _exit(0);
}

typedef struct ot_slot {
  pid_t pid;
  int fd;
  int test;
} ot_slot;

static void ot_finish(ot_test *t, int fd, int status) {
  char line[400] = "";
  ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  if (n > 0 && WIFEXITED(status)) {
    line[n] = 0;
    char *tab = strchr(line, '\t');
    t->result = atoi(line);
    if (tab) {
      snprintf(t->reason, sizeof t->reason, "%.290s", tab + 1);
      t->reason[strcspn(t->reason, "\n")] = 0;
    }
  } else {
    t->result = OT_CRASH;
    if (WIFSIGNALED(status))
      snprintf(t->reason, sizeof t->reason, "signal %d", WTERMSIG(status));
    else
      snprintf(t->reason, sizeof t->reason, "exit status %d", WEXITSTATUS(status));
  }
}

static char **ot_read_list(const char *path, int *count) {
  *count = 0;
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  char **v = NULL;
  int cap = 0;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0] || line[0] == '#')
      continue;
    if (*count == cap) {
      cap = cap ? cap * 2 : 256;
      v = realloc(v, (size_t)cap * sizeof *v);
    }
    v[(*count)++] = cc_xstrdup(line);
  }
  fclose(f);
  return v;
}

int main(int argc, char **argv) {
  ot_opts o = {true, NULL, 2, false, true};
  const char *expect = NULL, *write_pass = NULL;
  ot_test *tests = NULL;
  int n = 0, cap = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      const char *m = argv[++i];
      if (strcmp(m, "wasm") == 0)
        o.wasm = true;
      else if (strcmp(m, "interp") == 0)
        o.wasm = false;
      else {
        fprintf(stderr, "clave-onnxtest: unknown mode '%s' (wasm, interp)\n", m);
        return 2;
      }
    } else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
      expect = argv[++i];
    } else if (strcmp(argv[i], "--write-pass") == 0 && i + 1 < argc) {
      write_pass = argv[++i];
    } else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc) {
      o.cache = argv[++i];
    } else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
      o.jobs = atoi(argv[++i]);
      if (o.jobs < 1)
        o.jobs = 1;
    } else if (strcmp(argv[i], "-v") == 0) {
      o.verbose = true;
    } else if (strcmp(argv[i], "--no-simd") == 0) {
      o.simd = false;
    } else if (strcmp(argv[i], "--simd") == 0) {
      o.simd = true;
    } else if (argv[i][0] == '-') {
      fprintf(stderr,
              "usage: clave-onnxtest [--mode wasm|interp] [--no-simd] [--expect FILE] "
              "[--write-pass FILE] [--cache DIR] [-j N] [-v] DIR...\n");
      return 2;
    } else {
      ot_collect(argv[i], &tests, &n, &cap);
    }
  }
  if (n == 0) {
    fprintf(stderr, "clave-onnxtest: no tests found\n");
    return 2;
  }
  char tmpcache[64] = "";
  if (!o.cache) {
    snprintf(tmpcache, sizeof tmpcache, "/tmp/clave-onnxtest-XXXXXX");
    if (!mkdtemp(tmpcache)) {
      fprintf(stderr, "clave-onnxtest: cannot create a cache folder\n");
      return 2;
    }
    o.cache = tmpcache;
  } else {
    mkdir(o.cache, 0755);
  }
  ot_slot *slots = calloc((size_t)o.jobs, sizeof *slots);
  int next = 0, running = 0;
  while (next < n || running) {
    while (running < o.jobs && next < n) {
      int pfd[2];
      if (pipe(pfd) != 0) {
        perror("pipe");
        return 2;
      }
      pid_t pid = fork();
      if (pid == 0) {
        close(pfd[0]);
        ot_child(&o, &tests[next], pfd[1]);
      }
      close(pfd[1]);
      for (int s = 0; s < o.jobs; s++)
        if (!slots[s].pid) {
          slots[s] = (ot_slot){pid, pfd[0], next};
          break;
        }
      next++;
      running++;
    }
    int status;
    pid_t pid = wait(&status);
    if (pid < 0)
      break;
    for (int s = 0; s < o.jobs; s++)
      if (slots[s].pid == pid) {
        ot_test *t = &tests[slots[s].test];
        ot_finish(t, slots[s].fd, status);
        if (o.verbose)
          printf("%-5s %s/%s %s\n",
                 t->result == OT_PASS          ? "ok"
                 : t->result == OT_UNSUPPORTED ? "skip"
                                               : "FAIL",
                 t->suite, t->name, t->reason);
        slots[s].pid = 0;
        running--;
      }
  }
  free(slots);
  /* per suite summary */
  int tot[6] = {0};
  for (int i = 0; i < n;) {
    int j = i, cnt[6] = {0};
    while (j < n && strcmp(tests[j].suite, tests[i].suite) == 0)
      cnt[tests[j++].result]++;
    printf("%s: %d tests: %d passed, %d failed (%d mismatch, %d compile error, "
           "%d run error, %d crash), %d unsupported\n",
           tests[i].suite, j - i, cnt[OT_PASS],
           cnt[OT_MISMATCH] + cnt[OT_COMPILE] + cnt[OT_RUN] + cnt[OT_CRASH],
           cnt[OT_MISMATCH], cnt[OT_COMPILE], cnt[OT_RUN], cnt[OT_CRASH],
           cnt[OT_UNSUPPORTED]);
    /* unsupported by reason */
    for (int a = i; a < j; a++) {
      if (tests[a].result != OT_UNSUPPORTED || !tests[a].reason[0])
        continue;
      int c = 0;
      for (int b = a; b < j; b++)
        if (tests[b].result == OT_UNSUPPORTED &&
            strcmp(tests[b].reason, tests[a].reason) == 0) {
          c++;
          if (b != a)
            tests[b].reason[0] = 0;
        }
      printf("  unsupported %3d  %s\n", c, tests[a].reason);
    }
    for (int k = 0; k < 6; k++)
      tot[k] += cnt[k];
    i = j;
  }
  int failed = tot[OT_MISMATCH] + tot[OT_COMPILE] + tot[OT_RUN] + tot[OT_CRASH];
  int regressions = 0;
  if (expect) {
    int ne;
    char **list = ot_read_list(expect, &ne);
    if (!list && ne == 0)
      fprintf(stderr, "clave-onnxtest: cannot read %s\n", expect);
    for (int k = 0; k < ne; k++) {
      for (int i = 0; i < n; i++) {
        char full[600];
        snprintf(full, sizeof full, "%s/%s", tests[i].suite, tests[i].name);
        if (strcmp(full, list[k]) == 0 && tests[i].result != OT_PASS) {
          printf("REGRESSION %s: %s\n", full, tests[i].reason);
          regressions++;
        }
      }
      free(list[k]);
    }
    free(list);
  }
  if (write_pass) {
    FILE *f = fopen(write_pass, "w");
    if (f) {
      for (int i = 0; i < n; i++)
        if (tests[i].result == OT_PASS)
          fprintf(f, "%s/%s\n", tests[i].suite, tests[i].name);
      fclose(f);
    }
  }
  printf("%d passed, %d failed, %d skipped\n", tot[OT_PASS], failed,
         tot[OT_UNSUPPORTED]);
  for (int i = 0; i < n; i++) {
    free(tests[i].dir);
    free(tests[i].suite);
    free(tests[i].name);
  }
  free(tests);
  if (tmpcache[0]) {
    pid_t pid = fork();
    if (pid == 0) {
      execlp("rm", "rm", "-rf", tmpcache, (char *)NULL);
      _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
  }
  if (expect)
    return regressions ? 1 : 0;
  return failed ? 1 : 0;
}
