/*
 * cmd_compile.c - `clave compile MODEL.onnx -o OUT.wasm [options]`: the
 * model compiler's command line (see include/clave/compiler.h).
 *
 * Kernel objects are cached in $XDG_CACHE_HOME/clave/kernels (or
 * ~/.cache/clave/kernels) unless --no-cache or --cache-dir says otherwise,
 * so only the first compile pays for building the kernel library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_util.h"
#include "clave/compiler.h"


clave_cli_fn clave_cmd_compile;

static void cmd_compile_usage(FILE *f) {
  fprintf(f,
          "usage: clave compile MODEL.onnx -o OUT.wasm [options]\n"
          "  --image SPEC          images as input, e.g. 28x28,gray,scale=1/255 or\n"
          "                        224x224,rgb,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,nchw\n"
          "  --input-format F      auto (default), pb, npy, raw or image\n"
          "  --shape NAME=DIMS     fix symbolic dims of an input (1x3x224x224)\n"
          "  --const NAME=FILE.pb  bind an input at compile time\n"
          "  --weights-dir DIR     where external-data weights live\n"
          "  --target T            wasm32 (default) or native (a shared object)\n"
          "  --simd                wasm SIMD128 kernels (the default; Clave's engine,\n"
          "                        node and browsers run them)\n"
          "  --no-simd             scalar kernels (engines without wasm SIMD)\n"
          "  --emit-c DIR          keep the generated C and the build files in DIR\n"
          "  --cache-dir DIR       kernel object cache (default ~/.cache/clave/kernels)\n"
          "  --no-cache            compile the kernels every time\n"
          "  --cc PATH             the clang to use (default clang-19)\n"
          "  -v                    print the toolchain commands\n");
}

/* mkdir -p for the cache path; quiet, failures show up when it is used */
static void cmd_compile_mkdirs(char *path) {
  for (char *p = path + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(path, 0755);
      *p = '/';
    }
  mkdir(path, 0755);
}

int clave_cmd_compile(int argc, char **argv) {
  clave_compile_options o;
  clave_compile_options_init(&o);
  const char *model = NULL, *out = NULL;
  const char **shapes = calloc((size_t)argc + 1, sizeof *shapes);
  const char **consts = calloc((size_t)argc + 1, sizeof *consts);
  bool no_cache = false;
  char cache[4096] = "";
  int rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has) {
      out = argv[++i];
    } else if (strcmp(a, "--image") == 0 && has) {
      o.image = argv[++i];
    } else if (strcmp(a, "--input-format") == 0 && has) {
      o.input_format = argv[++i];
    } else if (strcmp(a, "--shape") == 0 && has) {
      shapes[o.nshapes++] = argv[++i];
    } else if (strcmp(a, "--const") == 0 && has) {
      consts[o.nconsts++] = argv[++i];
    } else if (strcmp(a, "--weights-dir") == 0 && has) {
      o.weights_dir = argv[++i];
    } else if (strcmp(a, "--target") == 0 && has) {
      const char *t = argv[++i];
      if (strcmp(t, "wasm32") == 0 || strcmp(t, "wasm") == 0) {
        o.target = CLAVE_TARGET_WASM32;
      } else if (strcmp(t, "native") == 0) {
        o.target = CLAVE_TARGET_NATIVE;
      } else {
        fprintf(stderr, "clave compile: unknown target '%s' (wasm32, native)\n", t);
        goto out;
      }
    } else if (strcmp(a, "--no-simd") == 0) {
      o.simd = false;
    } else if (strcmp(a, "--simd") == 0) {
      o.simd = true;
    } else if (strcmp(a, "--emit-c") == 0 && has) {
      o.emit_c_dir = argv[++i];
    } else if (strcmp(a, "--cache-dir") == 0 && has) {
      snprintf(cache, sizeof cache, "%s", argv[++i]);
    } else if (strcmp(a, "--no-cache") == 0) {
      no_cache = true;
    } else if (strcmp(a, "--cc") == 0 && has) {
      o.cc = argv[++i];
    } else if (strcmp(a, "-v") == 0) {
      o.verbose = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      cmd_compile_usage(stdout);
      rc = 0;
      goto out;
    } else if (a[0] == '-') {
      fprintf(stderr, "clave compile: unknown option '%s'\n", a);
      cmd_compile_usage(stderr);
      goto out;
    } else if (!model) {
      model = a;
    } else {
      fprintf(stderr, "clave compile: more than one model ('%s', '%s')\n", model, a);
      goto out;
    }
  }
  if (!model || !out) {
    cmd_compile_usage(stderr);
    goto out;
  }
  o.shapes = shapes;
  o.consts = consts;
  if (!no_cache && !cache[0]) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0])
      snprintf(cache, sizeof cache, "%s/clave/kernels", xdg);
    else if (home && home[0])
      snprintf(cache, sizeof cache, "%s/.cache/clave/kernels", home);
  }
  if (!no_cache && cache[0]) {
    cmd_compile_mkdirs(cache);
    o.cache_dir = cache;
  }
  clave_compile_report rep;
  clave_error err = {0};
  if (clave_compile_file(model, out, &o, &rep, &err) != CLAVE_OK) {
    fprintf(stderr, "clave compile: %s\n", err.message);
    rc = 1;
    goto out;
  }
  printf("%s: %zu nodes (%zu folded, %zu removed), %zu kernel calls, arena %zu "
         "bytes, weights %zu bytes, payload %zu bytes\n",
         out, rep.nodes, rep.folded, rep.removed, rep.calls, rep.arena_bytes,
         rep.weights_bytes, rep.payload_bytes);
  rc = 0;
out:
  free(shapes);
  free(consts);
  return rc;
}
