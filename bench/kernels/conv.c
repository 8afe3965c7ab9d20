/*
 * conv.c - 3x3 convolution, 32 input channels to 32 output channels over a
 * 64x64 image, stride 1, "same" zero padding, with a bias per channel.
 *
 * Tensors are channel-major (CHW).  The input is stored once, at setup,
 * into a zero-bordered 66x66 plane per channel, so the hot loops have no
 * bounds tests: for each (output channel, input channel, tap) one weight
 * scales a shifted input row into an output row, a loop a native compiler
 * vectorises.  Every output element accumulates its 288 products in the
 * same fixed order on every platform, so the checksum over the exact bit
 * patterns of the output agrees between native and wasm.
 */
#include "harness.h"

#define CONV_C 32 /* input channels */
#define CONV_K 32 /* output channels */
#define CONV_H 64
#define CONV_W 64
#define CONV_PH (CONV_H + 2)
#define CONV_PW (CONV_W + 2)

typedef struct conv_ctx {
  float *in;   /* [CONV_C][CONV_PH][CONV_PW], border zero */
  float *wt;   /* [CONV_K][CONV_C][3][3] */
  float *bias; /* [CONV_K] */
  float *out;  /* [CONV_K][CONV_H][CONV_W] */
} conv_ctx;

static void conv_prepare(void *ctx) { (void)ctx; }

static void conv_run(void *ctx) {
  conv_ctx *g = ctx;
  for (int oc = 0; oc < CONV_K; oc++) {
    float *restrict out = g->out + (size_t)oc * CONV_H * CONV_W;
    const float b = g->bias[oc];
    for (int i = 0; i < CONV_H * CONV_W; i++) out[i] = b;
    for (int ic = 0; ic < CONV_C; ic++) {
      const float *restrict in = g->in + (size_t)ic * CONV_PH * CONV_PW;
      const float *w = g->wt + ((size_t)oc * CONV_C + ic) * 9;
      for (int ky = 0; ky < 3; ky++) {
        for (int kx = 0; kx < 3; kx++) {
          const float wv = w[ky * 3 + kx];
          for (int y = 0; y < CONV_H; y++) {
            float *restrict orow = out + y * CONV_W;
            const float *restrict irow = in + (y + ky) * CONV_PW + kx;
            for (int x = 0; x < CONV_W; x++) orow[x] += wv * irow[x];
          }
        }
      }
    }
  }
}

static bool conv_check(void *ctx, uint32_t *sum) {
  conv_ctx *g = ctx;
  *sum = bench_hash_floats(g->out, (size_t)CONV_K * CONV_H * CONV_W);
  return true;
}

int main(int argc, char **argv) {
  const size_t in_n = (size_t)CONV_C * CONV_PH * CONV_PW;
  const size_t wt_n = (size_t)CONV_K * CONV_C * 9;
  const size_t out_n = (size_t)CONV_K * CONV_H * CONV_W;
  conv_ctx g = {bench_alloc("conv", in_n * sizeof(float)),
                bench_alloc("conv", wt_n * sizeof(float)),
                bench_alloc("conv", CONV_K * sizeof(float)),
                bench_alloc("conv", out_n * sizeof(float))};
  uint32_t seed = 0x2545f491u;
  memset(g.in, 0, in_n * sizeof(float));
  for (int c = 0; c < CONV_C; c++)
    for (int y = 0; y < CONV_H; y++)
      for (int x = 0; x < CONV_W; x++)
        g.in[((size_t)c * CONV_PH + y + 1) * CONV_PW + x + 1] =
            bench_rand_float(&seed);
  for (size_t i = 0; i < wt_n; i++) g.wt[i] = bench_rand_float(&seed) / 16;
  for (int i = 0; i < CONV_K; i++) g.bias[i] = bench_rand_float(&seed);
  bench_kernel k = {"conv", &g, conv_prepare, conv_run, conv_check};
  int rc = bench_main(argc, argv, &k);
  free(g.in);
  free(g.wt);
  free(g.bias);
  free(g.out);
  return rc;
}
