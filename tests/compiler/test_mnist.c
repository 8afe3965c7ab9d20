/*
 * test_mnist.c - the seed's MNIST flow end to end, in Clave's engine.
 *
 *   test_mnist SHARED WORKDIR CACHE
 *
 * Compiles ../shared/models/mnist-8 with --image 28x28,gray,scale=1/255
 * to a scalar wasm32 payload, runs it through the executor with the seed's
 * arguments ({"input_img": "input_img"}) on img_10.jpg and expects 3; runs
 * the three test sets (input_0.pb) and compares the JSON output with
 * output_0.pb at rtol 1e-3; checks that broken inputs get a negative
 * result and a clear message in the log.  Then builds the same model as a
 * native shared object and compares its direct ABI with the test sets.
 * Skips (exit 0 with a message) when the shared folder is absent.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clave/compiler.h"
#include "clave/executor.h"
#include "compiler/cc.h"

static int failures, checks;

#define CHECK(cond)                                                          \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      failures++;                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

static bool close_to(double got, double want) {
  return fabs(got - want) <= 1e-7 + 1e-3 * fabs(want);
}

/* run the payload with one input file; returns the result, fills log/out */
static int run(clave_program *prog, const char *args, const uint8_t *data,
               size_t len, char **log, json_t **out) {
  clave_exec_request req;
  clave_exec_request_init(&req);
  req.args_json = args;
  clave_exec_input in = {"input_img", data, len};
  req.inputs = &in;
  req.ninputs = 1;
  clave_exec_output o = {.name = "result"};
  req.outputs = &o;
  req.noutputs = 1;
  clave_exec_result res;
  clave_status st = clave_program_run(prog, &req, &res);
  int rv = st == CLAVE_OK ? res.return_value : -1000;
  if (st != CLAVE_OK)
    fprintf(stderr, "run failed: %s\n", res.error.message);
  if (log)
    *log = strdup(res.log ? res.log : "");
  if (out) {
    json_error_t je;
    *out = o.created ? json_loadb((const char *)o.data, o.len, 0, &je) : NULL;
  }
  clave_exec_result_free(&res, &o, 1);
  return rv;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: test_mnist SHARED WORKDIR CACHE [--no-simd]\n");
    return 2;
  }
  char model[4096], path[4200], wasm_path[4200], so_path[4200];
  snprintf(model, sizeof model, "%s/models/mnist-8/model.onnx", argv[1]);
  FILE *probe = fopen(model, "rb");
  if (!probe) {
    printf("skip: %s is absent\n", model);
    return 0;
  }
  fclose(probe);
  /* SIMD128 kernels (the default), or scalar ones with --no-simd */
  bool simd = !(argc > 4 && strcmp(argv[4], "--no-simd") == 0);
  const char *variant = simd ? "" : "-scalar";
  snprintf(wasm_path, sizeof wasm_path, "%s/mnist%s.wasm", argv[2], variant);
  snprintf(so_path, sizeof so_path, "%s/mnist%s.so", argv[2], variant);
  clave_compile_options o;
  clave_compile_options_init(&o);
  o.simd = simd;
  o.image = "28x28,gray,scale=1/255";
  o.cache_dir = argv[3];
  clave_compile_report rep;
  clave_error err = {0};
  if (clave_compile_file(model, wasm_path, &o, &rep, &err)) {
    fprintf(stderr, "compile: %s\n", err.message);
    return 1;
  }
  printf("mnist%s.wasm: arena %zu bytes, weights %zu bytes, payload %zu bytes\n",
         variant, rep.arena_bytes, rep.weights_bytes, rep.payload_bytes);
  CHECK(rep.arena_bytes > 0 && rep.weights_bytes >= 23000);

  uint8_t *wasm;
  size_t wlen;
  CHECK(cc_read_file(wasm_path, &wasm, &wlen, &err) == CLAVE_OK);
  clave_program *prog;
  if (clave_program_load(NULL, wasm, wlen, &prog, &err)) {
    fprintf(stderr, "load: %s\n", err.message);
    return 1;
  }
  free(wasm);
  const clave_module *mod = clave_program_module(prog);
  size_t sl;
  const uint8_t *sec = clave_module_custom_section(mod, "clave.model", &sl);
  CHECK(sec && sl > 0 && memmem(sec, sl, "\"Input3\"", 8));

  /* the seed's flow: img_10.jpg is a 3 */
  snprintf(path, sizeof path, "%s/models/mnist-8/img_10.jpg", argv[1]);
  uint8_t *img;
  size_t il;
  CHECK(cc_read_file(path, &img, &il, &err) == CLAVE_OK);
  int rv = run(prog, "{\"input_img\": \"input_img\"}", img, il, NULL, NULL);
  printf("img_10.jpg -> %d\n", rv);
  CHECK(rv == 3);

  /* broken inputs: negative results and a message in the log */
  char *log;
  rv = run(prog, "{\"input_img\": \"input_img\"}", img, il / 2, &log, NULL);
  CHECK(rv == -2 && strstr(log, "clave model: input 'input_img' (Input3): JPEG:"));
  free(log);
  rv = run(prog, "{\"input_img\": \"input_img\"}", (const uint8_t *)"hello", 5, &log,
           NULL);
  CHECK(rv == -2 && strstr(log, "clave model: input 'input_img' (Input3): input is not "
                                "a tensor file"));
  free(log);
  rv = run(prog, "{\"input_img\": \"elsewhere\"}", img, il, &log, NULL);
  CHECK(rv == -2 && strstr(log, "clave model: cannot open input 'elsewhere'"));
  free(log);
  rv = run(prog, "{\"a\": \"input_img\", \"b\": \"x\"}", img, il, &log, NULL);
  CHECK(rv == -1 && strstr(log, "clave model: no file for input 'Input3'"));
  free(log);
  free(img);

  /* the three test sets, as .pb tensors, with JSON outputs */
  void *lib = NULL;
  clave_compile_options_init(&o);
  o.target = CLAVE_TARGET_NATIVE;
  o.cache_dir = argv[3];
  if (clave_compile_file(model, so_path, &o, NULL, &err) == CLAVE_OK)
    lib = dlopen(so_path, RTLD_LAZY | RTLD_LOCAL);
  else
    fprintf(stderr, "native compile: %s\n", err.message);
  CHECK(lib != NULL);
  void *(*in_ptr)(int) = lib ? (void *(*)(int))dlsym(lib, "clave_input_ptr") : NULL;
  void *(*out_ptr)(int) = lib ? (void *(*)(int))dlsym(lib, "clave_output_ptr") : NULL;
  int (*crun)(void) = lib ? (int (*)(void))dlsym(lib, "clave_run") : NULL;
  CHECK(in_ptr && out_ptr && crun);
  for (int s = 0; s < 3; s++) {
    uint8_t *inb, *outb;
    size_t inl, outl;
    snprintf(path, sizeof path, "%s/models/mnist-8/test_data_set_%d/input_0.pb", argv[1], s);
    CHECK(cc_read_file(path, &inb, &inl, &err) == CLAVE_OK);
    snprintf(path, sizeof path, "%s/models/mnist-8/test_data_set_%d/output_0.pb", argv[1], s);
    CHECK(cc_read_file(path, &outb, &outl, &err) == CLAVE_OK);
    int dt, rank;
    int64_t dims[8];
    void *want, *x;
    CHECK(cc_tensor_pb_decode(outb, outl, path, NULL, &dt, &rank, dims, &want, NULL,
                              &err) == CLAVE_OK);
    CHECK(cc_tensor_pb_decode(inb, inl, path, NULL, &dt, &rank, dims, &x, NULL, &err) ==
          CLAVE_OK);
    json_t *doc;
    rv = run(prog, "{\"input\": \"input_img\", \"output\": \"result\"}", inb, inl, NULL,
             &doc);
    json_t *data =
        json_object_get(json_array_get(json_object_get(doc, "outputs"), 0), "data");
    CHECK(json_array_size(data) == 10);
    int bad = 0, best = 0;
    for (int k = 0; k < 10; k++) {
      if (!close_to(json_number_value(json_array_get(data, (size_t)k)), ((float *)want)[k]))
        bad++;
      if (((float *)want)[k] > ((float *)want)[best])
        best = k;
    }
    CHECK(bad == 0);
    CHECK(rv == best);
    json_decref(doc);
    if (crun) { /* native differential: the same C, built natively */
      memcpy(in_ptr(0), x, 784 * sizeof(float));
      CHECK(crun() == 0);
      const float *y = out_ptr(0);
      bad = 0;
      for (int k = 0; k < 10; k++)
        if (!close_to(y[k], ((float *)want)[k]))
          bad++;
      CHECK(bad == 0);
    }
    printf("test_data_set_%d: argmax %d\n", s, best);
    free(want);
    free(x);
    free(inb);
    free(outb);
  }
  if (lib)
    dlclose(lib);
  clave_program_free(prog);
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
