/*
 * rt.h - the payload runtime's view of a compiled model.
 *
 * The generated model file defines rt_model_desc (inputs, outputs, their
 * places in the arena, the preprocessing chosen at compile time) and
 * rt_model_run (the kernel calls); rt_main.c provides the Teaclave entry
 * point, the direct ABI and the input/output formats around them.
 */
#ifndef RT_H
#define RT_H

#include <stddef.h>
#include <stdint.h>

#include "ck.h"

enum rt_format {
  RT_FMT_AUTO = 0, /* detected from the data */
  RT_FMT_PB = 1,   /* serialized ONNX TensorProto */
  RT_FMT_NPY = 2,  /* numpy .npy */
  RT_FMT_RAW = 3,  /* raw little-endian elements */
  RT_FMT_IMAGE = 4 /* PNG, JPEG, PGM/PPM */
};

typedef struct rt_tensor {
  const char *name;
  int dtype;
  int rank;
  const int64_t *dims;
  void *data;
  int64_t nbytes;
} rt_tensor;

typedef struct rt_image {
  int width, height, channels, nhwc;
  float scale;
  float mean[3], std[3];
} rt_image;

typedef struct rt_model {
  int ninputs;
  const rt_tensor *inputs;
  int noutputs;
  const rt_tensor *outputs;
  int input_format;
  int has_image;
  rt_image image;
  const char *json;
} rt_model;

extern const rt_model rt_model_desc;
/* Run the kernels; 0, or -1 with the error recorded by rt_set_error. */
int rt_model_run(void);
void rt_set_error(const char *msg, const char *where);

#define RT_CALL(expr, where)                                                 \
  do {                                                                       \
    const char *rt_e_ = (expr);                                              \
    if (rt_e_) {                                                             \
      rt_set_error(rt_e_, where);                                            \
      return -1;                                                             \
    }                                                                        \
  } while (0)

#endif
