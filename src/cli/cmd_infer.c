/*
 * cmd_infer.c - `clave infer MODEL.wasm --input NAME=FILE [--output-dir DIR]
 * [--top K]`: run a compiled model locally, in Clave's engine, through its
 * Teaclave entry point, and print the top classes of its first output.
 *
 * Inputs are tensor files (.pb, .npy, raw) or images, decoded inside the
 * payload as on the platform.  --output-dir writes each output as
 * output_N.pb (ONNX TensorProto), the layout of ONNX's test data.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_util.h"
#include "clave/compiler.h"
#include "clave/executor.h"


clave_cli_fn clave_cmd_infer;

static int cmd_infer_read(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "clave infer: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, n = 0, got;
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
    fprintf(stderr, "clave infer: out of memory reading %s\n", path);
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

static int cmd_infer_dtype(const char *s, size_t *size) {
  static const struct {
    const char *name;
    int code;
    size_t size;
  } map[] = {{"float32", 1, 4}, {"uint8", 2, 1},   {"int8", 3, 1},
             {"uint16", 4, 2},  {"int16", 5, 2},   {"int32", 6, 4},
             {"int64", 7, 8},   {"bool", 9, 1},    {"float16", 10, 2},
             {"float64", 11, 8}, {"uint32", 12, 4}, {"uint64", 13, 8}};
  for (size_t i = 0; s && i < sizeof map / sizeof *map; i++)
    if (strcmp(map[i].name, s) == 0) {
      *size = map[i].size;
      return map[i].code;
    }
  return -1;
}

static uint16_t cmd_infer_f2h(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
  if (e == 0xff)
    return (uint16_t)(sign | 0x7c00 | (m ? 0x200 : 0));
  int ex = (int)e - 127 + 15;
  if (ex >= 31)
    return (uint16_t)(sign | 0x7c00);
  if (ex <= 0)
    return (uint16_t)sign; /* flush tiny values: output files only */
  return (uint16_t)(sign | (uint32_t)ex << 10 | (m + 0x1000) >> 13);
}

/* One JSON output as a TensorProto file. */
static int cmd_infer_write_pb(json_t *o, int index, const char *dir) {
  size_t es;
  int dt = cmd_infer_dtype(json_string_value(json_object_get(o, "dtype")), &es);
  json_t *shape = json_object_get(o, "shape"), *data = json_object_get(o, "data");
  if (dt < 0 || !json_is_array(shape) || !json_is_array(data))
    return -1;
  int rank = (int)json_array_size(shape);
  int64_t dims[16];
  if (rank > 16)
    return -1;
  for (int i = 0; i < rank; i++)
    dims[i] = json_integer_value(json_array_get(shape, (size_t)i));
  size_t n = json_array_size(data);
  uint8_t *buf = calloc(n + 1, es);
  if (!buf)
    return -1;
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(data, i);
    double v = json_is_null(e) ? NAN : json_is_true(e) ? 1 : json_number_value(e);
    int64_t iv = json_is_integer(e) ? json_integer_value(e) : (int64_t)v;
    uint8_t *p = buf + i * es;
    switch (dt) {
    case 1: { float f = (float)v; memcpy(p, &f, 4); break; }
    case 11: memcpy(p, &v, 8); break;
    case 10: { uint16_t h = cmd_infer_f2h((float)v); memcpy(p, &h, 2); break; }
    default: memcpy(p, &iv, es); break; /* little endian */
    }
  }
  size_t len;
  uint8_t *pb = clave_tensor_pb_encode(json_string_value(json_object_get(o, "name")),
                                       dt, rank, dims, buf, &len);
  free(buf);
  char path[4200];
  snprintf(path, sizeof path, "%s/output_%d.pb", dir, index);
  FILE *f = fopen(path, "wb");
  int rc = f && fwrite(pb, 1, len, f) == len ? 0 : -1;
  if (f && fclose(f) != 0)
    rc = -1;
  free(pb);
  if (rc)
    fprintf(stderr, "clave infer: cannot write %s\n", path);
  return rc;
}

int clave_cmd_infer(int argc, char **argv) {
  const char *model = NULL, *outdir = NULL;
  int top = 5, nin = 0, rc = 2;
  char **names = calloc((size_t)argc + 1, sizeof *names);
  uint8_t **datas = calloc((size_t)argc + 1, sizeof *datas);
  size_t *lens = calloc((size_t)argc + 1, sizeof *lens);
  clave_exec_input *ins = calloc((size_t)argc + 1, sizeof *ins);
  clave_program *prog = NULL;
  json_t *args = json_object();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--input") == 0 && i + 1 < argc) {
      const char *spec = argv[++i], *eq = strchr(spec, '=');
      if (!eq || eq == spec) {
        fprintf(stderr, "clave infer: --input %s: expected NAME=FILE\n", spec);
        goto out;
      }
      names[nin] = strndup(spec, (size_t)(eq - spec));
      if (cmd_infer_read(eq + 1, &datas[nin], &lens[nin])) {
        free(names[nin]);
        rc = 1;
        goto out;
      }
      ins[nin] = (clave_exec_input){names[nin], datas[nin], lens[nin]};
      json_object_set_new(args, names[nin], json_string(names[nin]));
      nin++;
    } else if (strcmp(a, "--output-dir") == 0 && i + 1 < argc) {
      outdir = argv[++i];
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      printf("usage: clave infer MODEL.wasm --input NAME=FILE [--output-dir DIR] "
             "[--top K]\n  runs a compiled model in Clave's engine and prints the "
             "top classes of its first output;\n  --output-dir writes each output "
             "as output_N.pb\n");
      rc = 0;
      goto out;
    } else if (strcmp(a, "--top") == 0 && i + 1 < argc) {
      char *end;
      errno = 0;
      long k = strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end || errno || k < 1 || k > 1000000) {
        fprintf(stderr, "clave infer: --top %s: expected a positive number of classes\n",
                argv[i]);
        goto out;
      }
      top = (int)k;
    } else if ((strcmp(a, "--input") == 0 || strcmp(a, "--output-dir") == 0 ||
                strcmp(a, "--top") == 0) && i + 1 == argc) {
      fprintf(stderr, "clave infer: %s needs a value\n", a);
      goto out;
    } else if (a[0] == '-') {
      fprintf(stderr, "clave infer: unknown option '%s'\n", a);
      goto out;
    } else {
      model = a;
    }
  }
  if (!model || nin == 0) {
    fprintf(stderr, "usage: clave infer MODEL.wasm --input NAME=FILE "
                    "[--output-dir DIR] [--top K]\n");
    goto out;
  }
  rc = 1;
  uint8_t *wasm;
  size_t wlen;
  if (cmd_infer_read(model, &wasm, &wlen))
    goto out;
  clave_error err = {0};
  clave_status st = clave_program_load(NULL, wasm, wlen, &prog, &err);
  free(wasm);
  if (st) {
    fprintf(stderr, "clave infer: %s: %s\n", model, err.message);
    goto out;
  }
  const char *out_fid = "clave-infer-output";
  json_object_set_new(args, "output", json_string(out_fid));
  char *aj = json_dumps(args, JSON_COMPACT);
  clave_exec_request req;
  clave_exec_request_init(&req);
  req.args_json = aj;
  req.inputs = ins;
  req.ninputs = (size_t)nin;
  clave_exec_output eo = {.name = out_fid};
  req.outputs = &eo;
  req.noutputs = 1;
  clave_exec_result res;
  st = clave_program_run(prog, &req, &res);
  free(aj);
  if (res.log && res.log_len)
    fputs(res.log, stderr);
  if (st != CLAVE_OK) {
    fprintf(stderr, "clave infer: %s\n", res.error.message);
  } else if (res.return_value < 0 || !eo.created) {
    fprintf(stderr, "clave infer: the model returned %d\n", res.return_value);
  } else {
    json_error_t je;
    json_t *doc = json_loadb((const char *)eo.data, eo.len, 0, &je);
    json_t *outs = json_object_get(doc, "outputs");
    if (!json_is_array(outs) || json_array_size(outs) == 0) {
      fprintf(stderr, "clave infer: the model wrote no outputs\n");
    } else {
      json_t *o0 = json_array_get(outs, 0), *data = json_object_get(o0, "data");
      size_t n = json_array_size(data);
      int k = top;
      printf("%s: %s %s\n", model, json_string_value(json_object_get(o0, "name")),
             json_string_value(json_object_get(o0, "dtype")));
      bool *used = calloc(n + 1, 1);
      for (int r = 0; r < k && (size_t)r < n; r++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
          if (!used[i] && (best == n || json_number_value(json_array_get(data, i)) >
                                            json_number_value(json_array_get(data, best))))
            best = i;
        used[best] = true;
        printf("  class %zu  %.6g\n", best, json_number_value(json_array_get(data, best)));
      }
      free(used);
      rc = 0;
      if (outdir) {
        mkdir(outdir, 0755);
        for (size_t i = 0; i < json_array_size(outs); i++)
          if (cmd_infer_write_pb(json_array_get(outs, i), (int)i, outdir))
            rc = 1;
      }
    }
    json_decref(doc);
  }
  clave_exec_result_free(&res, &eo, 1);
out:
  json_decref(args);
  clave_program_free(prog);
  for (int i = 0; i < nin; i++) {
    free(names[i]);
    free(datas[i]);
  }
  free(names);
  free(datas);
  free(lens);
  free(ins);
  return rc;
}
