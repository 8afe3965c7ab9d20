/*
 * clave/compiler.h - the model compiler: an ONNX model in, a self-contained
 * WebAssembly payload out (`clave compile`).
 *
 * The payload exports Teaclave's `int entrypoint(int argc, char **argv)`,
 * reads its input through the teaclave_* host API (tensor files or images,
 * decoded inside the payload), runs the model with its weights held in a
 * data segment of the same module, writes the outputs as JSON when an
 * output file is bound and returns the argmax of the first output for a
 * classifier.  It also exports a direct ABI (clave_input_ptr,
 * clave_output_ptr, clave_run) and carries a `clave.model` custom section
 * describing its inputs and outputs as JSON.
 *
 * Building needs clang-19 with the wasm32 WASI sysroot (Debian clang-19,
 * lld-19, wasi-libc, libclang-rt-19-dev-wasm32); the kernel sources travel
 * inside libclave.
 */
#ifndef CLAVE_COMPILER_H
#define CLAVE_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clave_compile_target {
  CLAVE_TARGET_WASM32 = 0, /* the payload */
  CLAVE_TARGET_NATIVE = 1  /* a shared object of the same C (tests, bench) */
} clave_compile_target;

typedef struct clave_compile_options {
  clave_compile_target target;
  bool simd;               /* wasm32 SIMD128 kernels (default true; false
                              builds scalar kernels for engines without
                              wasm SIMD) */
  const char *emit_c_dir;  /* keep the generated C here (NULL: don't) */
  /* Image preprocessing, e.g. "28x28,gray,scale=1/255" or
   * "224x224,rgb,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,nchw". */
  const char *image;
  /* Input format the payload expects: "auto" (NULL; detected from the
   * data), "pb", "npy", "raw" or "image". */
  const char *input_format;
  const char *const *shapes; /* "NAME=1x3x224x224": fix symbolic dims */
  size_t nshapes;
  const char *const *consts; /* "NAME=FILE.pb": bind an input at compile time */
  size_t nconsts;
  const char *weights_dir;   /* external-data weights (NULL: refuse them) */
  const char *cache_dir;     /* compiled kernel objects are kept here */
  const char *cc;            /* C compiler (default "clang-19") */
  bool verbose;              /* print the toolchain commands to stderr */
} clave_compile_options;

typedef struct clave_compile_report {
  size_t nodes;         /* nodes in the model */
  size_t folded;        /* nodes computed at compile time */
  size_t removed;       /* nodes removed as dead */
  size_t calls;         /* kernel calls in the generated code */
  size_t arena_bytes;   /* the static arena of intermediate tensors */
  size_t weights_bytes; /* constant data placed in the module */
  size_t payload_bytes; /* size of the file written */
} clave_compile_report;

void clave_compile_options_init(clave_compile_options *opts);

/* Compile the ONNX model at model_path into out_path.  report may be NULL.
 * Errors name the model, node and input that stopped the compilation;
 * CLAVE_EUNSUPPORTED marks models using what is not supported (yet). */
clave_status clave_compile_file(const char *model_path, const char *out_path,
                                const clave_compile_options *opts,
                                clave_compile_report *report,
                                clave_error *err);

/* A tensor as a serialized ONNX TensorProto (raw_data); dtype is ONNX's
 * TensorProto.DataType code.  malloc'ed, *len bytes; free() it. */
uint8_t *clave_tensor_pb_encode(const char *name, int dtype, int rank,
                                const int64_t *dims, const void *data,
                                size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_COMPILER_H */
