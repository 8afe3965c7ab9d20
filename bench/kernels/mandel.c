/*
 * mandel.c - the Mandelbrot set, 640 x 480 pixels, up to 256 iterations
 * per pixel, in double precision.
 *
 * Each pixel is a loop of dependent floating-point multiplies and adds
 * with a data-dependent exit, so native code runs it scalar too: a test of
 * an engine's f64 arithmetic, compares and branches.  IEEE doubles give the
 * same iteration counts everywhere; the checksum hashes them.
 */
#include "harness.h"

#define MB_W 640
#define MB_H 480
#define MB_ITER 256

typedef struct mb_ctx {
  uint32_t *count; /* [MB_H][MB_W] iterations before escape */
} mb_ctx;

static void mb_prepare(void *ctx) { (void)ctx; }

static void mb_run(void *ctx) {
  mb_ctx *g = ctx;
  const double x0 = -2.2, y0 = -1.2, step = 3.2 / MB_W;
  for (int py = 0; py < MB_H; py++) {
    const double ci = y0 + py * step;
    for (int px = 0; px < MB_W; px++) {
      const double cr = x0 + px * step;
      double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
      uint32_t n = 0;
      while (n < MB_ITER && zr2 + zi2 <= 4.0) {
        zi = 2 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        n++;
      }
      g->count[py * MB_W + px] = n;
    }
  }
}

static bool mb_check(void *ctx, uint32_t *sum) {
  mb_ctx *g = ctx;
  *sum = bench_hash_finish(
      bench_hash_words(0x811c9dc5u, g->count, (size_t)MB_W * MB_H));
  return true;
}

int main(int argc, char **argv) {
  mb_ctx g = {bench_alloc("mandel", sizeof(uint32_t) * MB_W * MB_H)};
  bench_kernel k = {"mandel", &g, mb_prepare, mb_run, mb_check};
  int rc = bench_main(argc, argv, &k);
  free(g.count);
  return rc;
}
