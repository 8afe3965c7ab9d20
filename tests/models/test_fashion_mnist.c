/*
 * test_fashion_mnist.c - the committed Fashion-MNIST model over the whole
 * test set, in Clave's engine, against its recorded accuracy and against
 * the same C built natively.
 *
 *   test_fashion_mnist MODEL.wasm MODEL.so IMAGES.idx LABELS.idx README.md
 *                      [--count N] [--entry N]
 *
 * MODEL.wasm and MODEL.so are `clave compile` outputs of the same model
 * (--image 28x28,gray,scale=1/255; the second with --target native);
 * IMAGES.idx and LABELS.idx the uncompressed t10k files of Debian's
 * dataset-fashion-mnist.  The payload is loaded and instantiated once and
 * driven through its direct ABI (clave_input_ptr, clave_run,
 * clave_output_ptr): one instance for 10,000 images instead of 10,000
 * runs, so that the whole set fits the sanitizer build's time.
 *
 * Checks: every image's logits match the native build within 1e-4
 * relative (to the image's largest logit, see fm_close); the number of correct predictions in the engine equals the
 * "Reference accuracy: N of 10000" line of the model's README (with
 * --count below 10000 the accuracy is reported, not compared); and, so
 * that the direct ABI and the platform path cannot drift apart, the first
 * --entry images (default 20) also go through the Teaclave entry point as
 * PGM files ({"input_img": "input_img"}, as a task runs them) and must
 * return the same class and write the same logits.
 *
 * The payload's imports (teaclave_*, WASI) are wired to host functions
 * that trap: the direct ABI must never reach the host.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clave/engine.h"
#include "clave/executor.h"
#include "executor/cx_internal.h"

#define FM_PIXELS 784
#define FM_CLASSES 10
#define FM_TEST_IMAGES 10000
#define FM_RTOL 1e-4 /* relative to the image's largest logit */

static int fm_failures;

#define FM_CHECK(cond, ...)                                         \
  do {                                                              \
    if (!(cond)) {                                                  \
      fm_failures++;                                                \
      fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                                 \
      fputc('\n', stderr);                                          \
    }                                                               \
  } while (0)

/* ---- files --------------------------------------------------------------- */

static int fm_read_file(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, n = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    fprintf(stderr, "%s: %s\n", path, bad ? "read error" : "out of memory");
    free(buf);
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

static uint32_t fm_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* An uncompressed idx file of unsigned bytes with ndim dimensions; returns
 * the data and the first dimension, checking the others against want. */
static const uint8_t *fm_idx(const char *path, const uint8_t *d, size_t len,
                             int ndim, const uint32_t *want, uint32_t *count) {
  size_t head = 4 + 4 * (size_t)ndim;
  if (len < head || d[0] || d[1] || d[2] != 0x08 || d[3] != ndim) {
    fprintf(stderr, "%s: not an idx file of %d-dimensional unsigned bytes\n",
            path, ndim);
    return NULL;
  }
  size_t each = 1;
  for (int i = 1; i < ndim; i++) {
    uint32_t dim = fm_be32(d + 4 + 4 * i);
    if (dim != want[i - 1]) {
      fprintf(stderr, "%s: dimension %d is %u, expected %u\n", path, i, dim,
              want[i - 1]);
      return NULL;
    }
    each *= dim;
  }
  *count = fm_be32(d + 4);
  if ((len - head) / each != *count || (len - head) % each) {
    fprintf(stderr, "%s: %zu bytes of data for %u items\n", path, len - head,
            *count);
    return NULL;
  }
  return d + head;
}

/* "Reference accuracy: N of 10000" in the model's README. */
static long fm_reference(const char *path) {
  uint8_t *d;
  size_t len;
  if (fm_read_file(path, &d, &len)) return -1;
  static const char key[] = "Reference accuracy: ";
  const char *at = memmem(d, len, key, sizeof key - 1);
  long correct = -1, total = 0;
  if (!at || sscanf(at + sizeof key - 1, "%ld of %ld", &correct, &total) != 2 ||
      total != FM_TEST_IMAGES) {
    fprintf(stderr, "%s: no line 'Reference accuracy: N of %d'\n", path,
            FM_TEST_IMAGES);
    correct = -1;
  }
  free(d);
  return correct;
}

/* ---- the payload in the engine, through its direct ABI ------------------- */

typedef struct fm_wasm {
  clave_engine *engine;
  clave_module *module;
  clave_instance *inst;
  clave_memory *mem;
  clave_func *run;
  uint32_t in_at, out_at;
} fm_wasm;

static clave_status fm_host_trap(clave_caller *caller, const clave_value *args,
                                 clave_value *results, void *user) {
  const cx_hostdef *def = user;
  return clave_caller_trap(caller, CLAVE_TRAP_HOST,
                           "%s.%s called: the direct ABI must not use the host",
                           def->module, def->name);
}

static const cx_hostdef *fm_find_def(const clave_import_desc *d) {
  const cx_hostdef *tables[2] = {cx_env_defs, cx_wasi_defs};
  size_t sizes[2] = {cx_env_ndefs, cx_wasi_ndefs};
  for (int t = 0; t < 2; t++)
    for (size_t i = 0; i < sizes[t]; i++)
      if (strcmp(tables[t][i].module, d->module) == 0 &&
          strcmp(tables[t][i].name, d->name) == 0)
        return &tables[t][i];
  return NULL;
}

/* Call an export of type (i32) -> i32 or () -> i32. */
static int fm_call_i32(fm_wasm *w, const char *name, int arg, bool has_arg,
                       int32_t *out) {
  clave_extern ext;
  clave_error err = {0};
  if (clave_instance_export(w->inst, name, &ext) ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    fprintf(stderr, "payload: no exported function '%s'\n", name);
    return -1;
  }
  clave_value a = clave_i32(arg), r;
  if (clave_func_call(ext.of.func, &a, has_arg ? 1 : 0, &r, 1, &err)) {
    fprintf(stderr, "payload: %s: %s\n", name, err.message);
    return -1;
  }
  *out = r.of.i32;
  return 0;
}

static int fm_wasm_open(fm_wasm *w, const char *path) {
  uint8_t *bytes;
  size_t len;
  clave_error err = {0};
  if (fm_read_file(path, &bytes, &len)) return -1;
  w->engine = clave_engine_new(NULL);
  clave_status st = clave_module_load(w->engine, bytes, len, &w->module, &err);
  free(bytes);
  if (st) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    return -1;
  }
  uint32_t n = clave_module_import_count(w->module);
  clave_extern *imports = calloc(n ? n : 1, sizeof *imports);
  int rc = 0;
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    clave_import_desc d;
    clave_module_import(w->module, i, &d);
    const cx_hostdef *def =
        d.kind == CLAVE_EXTERN_FUNC ? fm_find_def(&d) : NULL;
    if (!def) {
      fprintf(stderr,
              "%s: import %s.%s is not a host function of the executor\n", path,
              d.module, d.name);
      rc = -1;
      break;
    }
    clave_valtype p[16], r[1];
    uint32_t np = (uint32_t)strlen(def->params),
             nr = (uint32_t)strlen(def->results);
    for (uint32_t k = 0; k < np && k < 16; k++)
      p[k] = def->params[k] == 'I' ? CLAVE_I64 : CLAVE_I32;
    r[0] = CLAVE_I32;
    clave_functype ft = {np, nr, p, r};
    imports[i].kind = CLAVE_EXTERN_FUNC;
    imports[i].of.func =
        clave_func_new_host(w->engine, &ft, fm_host_trap, (void *)def, NULL);
  }
  if (rc == 0 && clave_instance_new(w->engine, w->module, imports, n, NULL,
                                    &w->inst, &err)) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    rc = -1;
  }
  for (uint32_t i = 0; i < n; i++)
    if (imports[i].of.func) clave_extern_release(imports[i]);
  free(imports);
  if (rc) return rc;

  int32_t nin, nout, in_at, in_size, out_at, out_size;
  if (fm_call_i32(w, "clave_ninputs", 0, false, &nin) ||
      fm_call_i32(w, "clave_noutputs", 0, false, &nout) ||
      fm_call_i32(w, "clave_input_ptr", 0, true, &in_at) ||
      fm_call_i32(w, "clave_input_size", 0, true, &in_size) ||
      fm_call_i32(w, "clave_output_ptr", 0, true, &out_at) ||
      fm_call_i32(w, "clave_output_size", 0, true, &out_size))
    return -1;
  if (nin != 1 || nout != 1 || in_size != FM_PIXELS * 4 ||
      out_size != FM_CLASSES * 4) {
    fprintf(stderr,
            "%s: %d inputs of %d bytes, %d outputs of %d bytes; expected one "
            "float32 [1,1,28,28] input and one float32 [1,10] output\n",
            path, nin, in_size, nout, out_size);
    return -1;
  }
  w->in_at = (uint32_t)in_at;
  w->out_at = (uint32_t)out_at;
  w->mem = clave_instance_memory(w->inst);
  clave_extern ext;
  if (!w->mem || clave_instance_export(w->inst, "clave_run", &ext) ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    fprintf(stderr, "%s: no memory or no clave_run export\n", path);
    return -1;
  }
  w->run = ext.of.func;
  return 0;
}

static int fm_wasm_infer(fm_wasm *w, const float *x, float *y) {
  clave_error err = {0};
  clave_value r;
  if (clave_memory_write(w->mem, w->in_at, x, FM_PIXELS * sizeof *x) ||
      clave_func_call(w->run, NULL, 0, &r, 1, &err) || r.of.i32 != 0 ||
      clave_memory_read(w->mem, w->out_at, y, FM_CLASSES * sizeof *y)) {
    fprintf(stderr, "payload: clave_run: %s (returned %d)\n",
            err.message[0] ? err.message : "failed",
            err.message[0] ? 0 : r.of.i32);
    return -1;
  }
  return 0;
}

static void fm_wasm_close(fm_wasm *w) {
  clave_instance_free(w->inst);
  clave_module_free(w->module);
  clave_engine_free(w->engine);
}

/* ---- the Teaclave entry point, as the platform calls it ------------------ */

/* Run one image as a PGM file through entrypoint; the class it returns
 * (or -1000 on a failed run) and its logits from the JSON output. */
static int fm_entry(clave_program *prog, const uint8_t *px, float *logits) {
  uint8_t pgm[32 + FM_PIXELS];
  int head = snprintf((char *)pgm, 32, "P5\n28 28\n255\n");
  memcpy(pgm + head, px, FM_PIXELS);
  clave_exec_request req;
  clave_exec_request_init(&req);
  req.args_json = "{\"input_img\": \"input_img\", \"output\": \"logits\"}";
  clave_exec_input in = {"input_img", pgm, (size_t)head + FM_PIXELS};
  clave_exec_output out = {.name = "logits"};
  req.inputs = &in;
  req.ninputs = 1;
  req.outputs = &out;
  req.noutputs = 1;
  clave_exec_result res;
  int rv = clave_program_run(prog, &req, &res) == CLAVE_OK ? res.return_value
                                                           : -1000;
  if (rv == -1000) fprintf(stderr, "entrypoint: %s\n", res.error.message);
  json_error_t je;
  json_t *doc =
      out.created ? json_loadb((const char *)out.data, out.len, 0, &je) : NULL;
  json_t *data = json_object_get(
      json_array_get(json_object_get(doc, "outputs"), 0), "data");
  for (int k = 0; k < FM_CLASSES; k++)
    logits[k] = json_array_size(data) == FM_CLASSES
                    ? (float)json_number_value(json_array_get(data, (size_t)k))
                    : NAN;
  json_decref(doc);
  clave_exec_result_free(&res, &out, 1);
  return rv;
}

/* ---- main ---------------------------------------------------------------- */

static int fm_argmax(const float *y) {
  int best = 0;
  for (int k = 1; k < FM_CLASSES; k++)
    if (y[k] > y[best]) best = k;
  return best;
}

/* The engine's logits y against the native build's n, relative to the
 * vector's scale: |y[k] - n[k]| <= FM_RTOL * max |n|.  Each logit is a sum
 * whose terms are as large as the largest logit, so the native build's
 * SIMD summation order moves a logit near zero by as much as a large one;
 * an element's own magnitude is no measure of its rounding.  Tracks the
 * largest absolute difference and the largest relative one. */
static bool fm_close(const float *y, const float *n, double worst[2]) {
  double scale = 0, diff = 0;
  for (int k = 0; k < FM_CLASSES; k++) {
    if (fabs((double)n[k]) > scale) scale = fabs((double)n[k]);
    if (fabs((double)y[k] - (double)n[k]) > diff)
      diff = fabs((double)y[k] - (double)n[k]);
  }
  if (diff > worst[0]) worst[0] = diff;
  if (scale > 0 && diff / scale > worst[1]) worst[1] = diff / scale;
  return diff <= FM_RTOL * scale;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr,
            "usage: test_fashion_mnist MODEL.wasm MODEL.so IMAGES.idx "
            "LABELS.idx README.md [--count N] [--entry N]\n");
    return 2;
  }
  long count = FM_TEST_IMAGES, entry = 20;
  for (int i = 6; i < argc; i++) {
    char *end = NULL;
    long *dst = strcmp(argv[i], "--count") == 0   ? &count
                : strcmp(argv[i], "--entry") == 0 ? &entry
                                                  : NULL;
    if (dst && i + 1 < argc) *dst = strtol(argv[++i], &end, 10);
    if (!dst || !end || *end || *dst < 0 || *dst > FM_TEST_IMAGES) {
      fprintf(stderr, "test_fashion_mnist: bad option '%s'\n", argv[i]);
      return 2;
    }
  }

  uint8_t *img_file, *lab_file;
  size_t img_len, lab_len;
  if (fm_read_file(argv[3], &img_file, &img_len) ||
      fm_read_file(argv[4], &lab_file, &lab_len))
    return 1;
  static const uint32_t img_dims[2] = {28, 28};
  uint32_t nimg = 0, nlab = 0;
  const uint8_t *images =
      fm_idx(argv[3], img_file, img_len, 3, img_dims, &nimg);
  const uint8_t *labels = fm_idx(argv[4], lab_file, lab_len, 1, NULL, &nlab);
  if (!images || !labels) return 1;
  if (nimg != FM_TEST_IMAGES || nlab != nimg) {
    fprintf(stderr, "%s, %s: %u images and %u labels, expected %d of each\n",
            argv[3], argv[4], nimg, nlab, FM_TEST_IMAGES);
    return 1;
  }
  long reference = fm_reference(argv[5]);
  if (reference < 0) return 1;

  fm_wasm w = {0};
  if (fm_wasm_open(&w, argv[1])) return 1;
  /* lazy: the Teaclave host API the entry point imports stays unbound */
  void *lib = dlopen(argv[2], RTLD_LAZY | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s: %s\n", argv[2], dlerror());
    return 1;
  }
  float *(*n_in)(int) = (float *(*)(int))dlsym(lib, "clave_input_ptr");
  float *(*n_out)(int) = (float *(*)(int))dlsym(lib, "clave_output_ptr");
  int (*n_run)(void) = (int (*)(void))dlsym(lib, "clave_run");
  if (!n_in || !n_out || !n_run || !n_in(0) || !n_out(0)) {
    fprintf(
        stderr,
        "%s: no direct ABI (clave_input_ptr, clave_output_ptr, clave_run)\n",
        argv[2]);
    return 1;
  }

  /* the payload scales pixels by (float)(1.0 / 255), as --image
   * 28x28,gray,scale=1/255 makes it do for an image */
  const float scale = (float)(1.0 / 255.0);
  long correct = 0, native_correct = 0, mismatched = 0,
       confusion[10][10] = {{0}};
  double worst[2] = {0, 0}; /* absolute, relative */
  for (long i = 0; i < count; i++) {
    const uint8_t *px = images + i * FM_PIXELS;
    float x[FM_PIXELS], y[FM_CLASSES];
    for (int k = 0; k < FM_PIXELS; k++) x[k] = (float)px[k] * scale;
    if (fm_wasm_infer(&w, x, y)) {
      fm_failures++;
      break;
    }
    memcpy(n_in(0), x, sizeof x);
    if (n_run() != 0) {
      fprintf(stderr, "%s: clave_run failed on image %ld\n", argv[2], i);
      fm_failures++;
      break;
    }
    const float *ny = n_out(0);
    bool same = fm_close(y, ny, worst);
    if (!same && mismatched++ < 5)
      fprintf(
          stderr,
          "image %ld: logits differ from the native build beyond %g relative\n",
          i, FM_RTOL);
    int cls = fm_argmax(y);
    correct += cls == labels[i];
    native_correct += fm_argmax(ny) == labels[i];
    confusion[labels[i]][cls]++;
  }
  printf(
      "engine: %ld of %ld correct (%.2f%%); native build: %ld; reference: %ld "
      "of %d\n",
      correct, count, count ? 100.0 * (double)correct / (double)count : 0.0,
      native_correct, reference, FM_TEST_IMAGES);
  printf(
      "logits against the native build: largest difference %.3g, %.3g "
      "relative (at most %g)\n",
      worst[0], worst[1], FM_RTOL);
  printf("per class (true label: correct of total):");
  for (int t = 0; t < FM_CLASSES; t++) {
    long total = 0;
    for (int p = 0; p < FM_CLASSES; p++) total += confusion[t][p];
    printf(" %d:%ld/%ld", t, confusion[t][t], total);
  }
  printf("\n");
  FM_CHECK(mismatched == 0, "%ld images' logits differ from the native build",
           mismatched);
  if (count == FM_TEST_IMAGES)
    FM_CHECK(correct == reference,
             "accuracy %ld of %d, the README records %ld: the compiler or the "
             "engine "
             "changed the model's results",
             correct, FM_TEST_IMAGES, reference);
  else
    printf(
        "subset of %ld images: accuracy reported, not compared with the "
        "reference\n",
        count);

  /* the platform's path: the same images as PGM files through entrypoint */
  clave_program *prog = NULL;
  uint8_t *bytes;
  size_t len;
  clave_error err = {0};
  if (entry > 0 && fm_read_file(argv[1], &bytes, &len) == 0) {
    if (clave_program_load(NULL, bytes, len, &prog, &err))
      FM_CHECK(false, "%s: %s", argv[1], err.message);
    free(bytes);
  }
  long entry_same = 0;
  for (long i = 0; prog && i < entry && i < count; i++) {
    const uint8_t *px = images + i * FM_PIXELS;
    float x[FM_PIXELS], y[FM_CLASSES], e[FM_CLASSES];
    for (int k = 0; k < FM_PIXELS; k++) x[k] = (float)px[k] * scale;
    if (fm_wasm_infer(&w, x, y)) break;
    int rv = fm_entry(prog, px, e);
    bool same = rv == fm_argmax(y);
    for (int k = 0; k < FM_CLASSES; k++) same &= e[k] == y[k];
    FM_CHECK(
        same,
        "image %ld: entrypoint returned %d, the direct ABI's class is %d%s", i,
        rv, fm_argmax(y), rv == fm_argmax(y) ? " (logits differ)" : "");
    entry_same += same;
  }
  if (prog)
    printf("entrypoint on PGM images: %ld of %ld agree with the direct ABI\n",
           entry_same, entry < count ? entry : count);
  clave_program_free(prog);
  dlclose(lib);
  fm_wasm_close(&w);
  free(img_file);
  free(lab_file);
  printf("%s\n", fm_failures ? "FAILED" : "passed");
  return fm_failures ? 1 : 0;
}
