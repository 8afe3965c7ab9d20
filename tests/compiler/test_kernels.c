/*
 * test_kernels.c - the fast kernels against straightforward references.
 *
 * The convolution, matrix product and pooling kernels take many paths
 * (register blocks and their edges, packed and unpacked operands, the
 * depthwise plane, strides of 1, 2 and more, fused activations).  Each
 * case here draws a random geometry from a fixed seed, runs the kernel
 * through its public signature (ck_NAME(p, t)) with every buffer sized
 * exactly as the compiler sizes it (so ASan sees any overrun, the scratch
 * included), and compares with a plain loop nest summing in double:
 *
 *     |y - ref| <= 1e-5 * (sum of |terms| + |bias|) + 1e-6 * |ref|
 *
 * which allows for the order of float additions (and the Winograd
 * transforms) and the float activation functions, and nothing more.
 *
 * Built twice by tests/compiler/CMakeLists.txt, from the kernel sources:
 * with 128-bit vectors (the native build) and with CK_FORCE_SCALAR (the
 * --no-simd payloads' code).  argv[1] names the variant in messages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ck.h"
#include "kernels/k_conv.h"

static int failures, checks;
static const char *variant = "";

/* ---- random numbers (xorshift64*, fixed seed) ----------------------------- */

static uint64_t tk_state = 0x9E3779B97F4A7C15ull;

static uint64_t tk_next(void) {
  tk_state ^= tk_state >> 12;
  tk_state ^= tk_state << 25;
  tk_state ^= tk_state >> 27;
  return tk_state * 2685821657736338717ull;
}

/* an integer in [lo, hi] */
static int64_t tk_int(int64_t lo, int64_t hi) {
  return lo + (int64_t)(tk_next() % (uint64_t)(hi - lo + 1));
}

static float tk_float(void) {
  return (float)((double)(tk_next() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *tk_array(int64_t n) {
  float *a = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++)
    a[i] = tk_float();
  return a;
}

static double tk_act(double v, int act, double a, double b) {
  switch (act) {
  case CK_ACT_RELU: return v > 0 ? v : 0;
  case CK_ACT_CLIP: return v < a ? a : (v > b ? b : v);
  case CK_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
  case CK_ACT_LEAKYRELU: return v < 0 ? a * v : v;
  case CK_ACT_TANH: return tanh(v);
  default: return v;
  }
}

/* Compare n outputs; mag[i] bounds the rounding of ref[i]. */
static void tk_compare(const char *what, const float *y, const double *ref,
                       const double *mag, int64_t n, const char *desc) {
  checks++;
  for (int64_t i = 0; i < n; i++) {
    /* the sums' rounding, plus the float activation's own (expf, tanhf) */
    double tol = 1e-5 * mag[i] + 1e-6 * fabs(ref[i]) + 1e-30;
    if ((double)y[i] != ref[i] && !(fabs((double)y[i] - ref[i]) <= tol)) {
      failures++;
      fprintf(stderr, "%s %s: %s: output %lld is %.9g, expected %.9g (tol %.3g)\n",
              variant, what, desc, (long long)i, (double)y[i], ref[i], tol);
      return;
    }
  }
}

/* ---- convolution ---------------------------------------------------------- */

typedef struct tk_conv {
  int nsp;
  int64_t N, C, M, G, in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
  int act;
  double a, b;
} tk_conv;

static void tk_conv_params(const tk_conv *c, int64_t *p) {
  memset(p, 0, CK_CONV_NP * sizeof *p);
  p[CK_CONV_NSP] = c->nsp;
  p[CK_CONV_N] = c->N, p[CK_CONV_C] = c->C, p[CK_CONV_M] = c->M;
  p[CK_CONV_G] = c->G;
  for (int i = 0; i < 3; i++) {
    p[CK_CONV_IN + i] = c->in[i], p[CK_CONV_OUT + i] = c->out[i];
    p[CK_CONV_K + i] = c->k[i], p[CK_CONV_S + i] = c->s[i];
    p[CK_CONV_D + i] = c->d[i], p[CK_CONV_PB + i] = c->pb[i];
  }
  p[CK_CONV_ACT] = c->act;
  p[CK_CONV_ACTA] = ck_fbits(c->a);
  p[CK_CONV_ACTB] = ck_fbits(c->b);
}

static void tk_conv_run(const tk_conv *c, int bias) {
  int64_t p[CK_CONV_NP];
  tk_conv_params(c, p);
  int64_t pin = c->in[0] * c->in[1] * c->in[2];
  int64_t pout = c->out[0] * c->out[1] * c->out[2];
  int64_t kk = c->k[0] * c->k[1] * c->k[2], cg = c->C / c->G, mg = c->M / c->G;
  float *x = tk_array(c->N * c->C * pin), *w = tk_array(c->M * cg * kk);
  float *b = bias ? tk_array(c->M) : NULL;
  int64_t ny = c->N * c->M * pout, ns = ck_conv_scratch_floats(p);
  float *y = malloc((size_t)(ny ? ny : 1) * sizeof(float));
  float *scratch = ns ? malloc((size_t)ns * sizeof(float)) : NULL;
  double *ref = calloc((size_t)(ny ? ny : 1), sizeof(double));
  double *mag = calloc((size_t)(ny ? ny : 1), sizeof(double));
  for (int64_t n = 0; n < c->N; n++)
    for (int64_t m = 0; m < c->M; m++) {
      int64_t gi = m / mg;
      for (int64_t o = 0; o < pout; o++) {
        int64_t oi[3] = {o / (c->out[1] * c->out[2]), o / c->out[2] % c->out[1],
                         o % c->out[2]};
        double s = 0, a = 0;
        for (int64_t ci = 0; ci < cg; ci++)
          for (int64_t q = 0; q < kk; q++) {
            int64_t ki[3] = {q / (c->k[1] * c->k[2]), q / c->k[2] % c->k[1],
                             q % c->k[2]};
            int64_t ii[3], ok = 1;
            for (int r = 0; r < 3; r++) {
              ii[r] = oi[r] * c->s[r] - c->pb[r] + ki[r] * c->d[r];
              ok &= ii[r] >= 0 && ii[r] < c->in[r];
            }
            if (!ok)
              continue;
            double t = (double)x[((n * c->C + gi * cg + ci) * c->in[0] + ii[0]) *
                                     c->in[1] * c->in[2] +
                                 ii[1] * c->in[2] + ii[2]] *
                       (double)w[(m * cg + ci) * kk + q];
            s += t, a += fabs(t);
          }
        if (b)
          s += b[m], a += fabs(b[m]);
        int64_t at = (n * c->M + m) * pout + o;
        ref[at] = tk_act(s, c->act, c->a, c->b);
        mag[at] = a + 1e-6;
      }
    }
  void *t[5] = {x, w, b, y, scratch};
  const char *e = ck_conv_f32(p, t);
  char desc[400];
  snprintf(desc, sizeof desc,
           "N%lld C%lld M%lld G%lld in %lldx%lldx%lld k %lldx%lldx%lld s "
           "%lldx%lldx%lld d %lldx%lldx%lld pads %lld,%lld,%lld act %d bias %d",
           (long long)c->N, (long long)c->C, (long long)c->M, (long long)c->G,
           (long long)c->in[0], (long long)c->in[1], (long long)c->in[2],
           (long long)c->k[0], (long long)c->k[1], (long long)c->k[2],
           (long long)c->s[0], (long long)c->s[1], (long long)c->s[2],
           (long long)c->d[0], (long long)c->d[1], (long long)c->d[2],
           (long long)c->pb[0], (long long)c->pb[1], (long long)c->pb[2],
           c->act, bias);
  if (e) {
    checks++, failures++;
    fprintf(stderr, "%s conv: %s: kernel error %s\n", variant, desc, e);
  } else {
    tk_compare("conv", y, ref, mag, ny, desc);
  }
  free(x), free(w), free(b), free(y), free(scratch), free(ref), free(mag);
}

/* A geometry in the compiler's layout: nsp dims, the rest 1 (pads 0). */
static void tk_conv_dims(tk_conv *c) {
  for (int i = 0; i < 3; i++) {
    if (i >= c->nsp) {
      c->in[i] = c->out[i] = c->k[i] = c->s[i] = c->d[i] = 1;
      c->pb[i] = c->pe[i] = 0;
      continue;
    }
    int64_t span = c->d[i] * (c->k[i] - 1) + 1;
    if (c->in[i] + c->pb[i] + c->pe[i] < span)
      c->pe[i] = span - c->in[i] - c->pb[i];
    c->out[i] = (c->in[i] + c->pb[i] + c->pe[i] - span) / c->s[i] + 1;
  }
}

static void tk_conv_random(int depthwise, int pointwise) {
  tk_conv c;
  memset(&c, 0, sizeof c);
  c.nsp = (int)tk_int(1, 3);
  if (tk_int(0, 2))
    c.nsp = 2; /* the common case, most often */
  c.N = tk_int(1, 2);
  if (depthwise) {
    c.G = tk_int(1, 12);
    c.C = c.M = c.G;
  } else {
    c.G = tk_int(0, 3) ? 1 : tk_int(2, 3);
    c.C = c.G * tk_int(1, 9);
    c.M = c.G * tk_int(1, 13);
  }
  int64_t maxin = c.nsp == 3 ? 7 : (c.nsp == 2 ? 23 : 70);
  for (int i = 0; i < c.nsp; i++) {
    c.in[i] = tk_int(1, maxin);
    if (pointwise) {
      c.k[i] = c.s[i] = c.d[i] = 1;
      continue;
    }
    c.k[i] = tk_int(1, 5);
    c.s[i] = tk_int(1, 3);
    c.d[i] = tk_int(0, 3) ? 1 : 2;
    c.pb[i] = tk_int(0, c.k[i]);
    c.pe[i] = tk_int(0, c.k[i]);
  }
  tk_conv_dims(&c);
  c.act = (int)tk_int(0, 5);
  c.a = c.act == CK_ACT_CLIP ? -0.25 : 0.1;
  c.b = 0.5;
  tk_conv_run(&c, (int)tk_int(0, 1));
}

/* 3x3, stride 1, enough channels: the Winograd path, with odd sizes,
 * asymmetric padding and groups */
static void tk_conv_winograd_random(void) {
  tk_conv c;
  memset(&c, 0, sizeof c);
  c.nsp = 2, c.N = tk_int(1, 2), c.G = tk_int(0, 3) ? 1 : 2;
  c.C = c.G * tk_int(8, 20), c.M = c.G * tk_int(8, 40);
  for (int i = 0; i < 2; i++) {
    c.in[i] = tk_int(1, 19), c.k[i] = 3, c.s[i] = 1, c.d[i] = 1;
    c.pb[i] = tk_int(0, 2), c.pe[i] = tk_int(0, 2);
  }
  tk_conv_dims(&c);
  c.act = (int)tk_int(0, 5);
  c.a = c.act == CK_ACT_CLIP ? -0.25 : 0.1;
  c.b = 0.5;
  tk_conv_run(&c, (int)tk_int(0, 1));
}

/* The shapes of the benchmark networks' layers, scaled down in size. */
static void tk_conv_named(void) {
  static const struct {
    int64_t C, M, G, h, k, s, pad;
  } L[] = {
      {3, 16, 1, 32, 7, 2, 3},   /* ResNet stem */
      {16, 16, 1, 14, 3, 1, 1},  /* basic block (Winograd) */
      {64, 64, 1, 7, 3, 1, 1},   /* last stage, odd size (Winograd) */
      {16, 32, 1, 14, 3, 2, 1},  /* stage entry */
      {16, 32, 1, 14, 1, 2, 0},  /* projection shortcut */
      {24, 24, 24, 17, 3, 1, 1}, /* MobileNet depthwise */
      {24, 24, 24, 17, 3, 2, 1}, /* depthwise, stride 2 */
      {32, 96, 1, 9, 1, 1, 0},   /* expansion */
      {1, 8, 1, 28, 5, 1, 2},    /* mnist-8 */
      {8, 16, 1, 14, 5, 1, 2},
  };
  for (size_t i = 0; i < sizeof L / sizeof *L; i++)
    for (int act = 0; act <= CK_ACT_CLIP; act++) {
      tk_conv c;
      memset(&c, 0, sizeof c);
      c.nsp = 2, c.N = 1, c.C = L[i].C, c.M = L[i].M, c.G = L[i].G;
      for (int r = 0; r < 2; r++) {
        c.in[r] = L[i].h, c.k[r] = L[i].k, c.s[r] = L[i].s, c.d[r] = 1;
        c.pb[r] = c.pe[r] = L[i].pad;
      }
      tk_conv_dims(&c);
      c.act = act, c.a = 0, c.b = 6;
      tk_conv_run(&c, 1);
    }
}

/* ---- Gemm and MatMul ------------------------------------------------------ */

static void tk_gemm_random(void) {
  int64_t M = tk_int(1, 19), N = tk_int(1, 37), K = tk_int(0, 300);
  if (tk_int(0, 3) == 0)
    K = tk_int(257, 700); /* more than one K block */
  int transA = (int)tk_int(0, 1), mode = (int)tk_int(0, 4);
  int act = (int)tk_int(0, 5);
  double alpha = tk_int(0, 1) ? 1.0 : 0.5, beta = tk_int(0, 1) ? 1.0 : -2.0;
  float *A = tk_array(M * K), *B = tk_array(K * N);
  int64_t nb = mode == 1 ? 1 : mode == 2 ? N : mode == 3 ? M : mode == 4 ? M * N : 0;
  float *C = mode ? tk_array(nb) : NULL;
  float *Y = malloc((size_t)(M * N) * sizeof(float));
  double *ref = malloc((size_t)(M * N) * sizeof(double));
  double *mag = malloc((size_t)(M * N) * sizeof(double));
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double s = 0, a = 0;
      for (int64_t k = 0; k < K; k++) {
        double t = (double)(transA ? A[k * M + i] : A[i * K + k]) * B[k * N + j];
        s += t, a += fabs(t);
      }
      s *= alpha, a *= fabs(alpha);
      double bv = 0;
      switch (mode) {
      case 1: bv = C[0]; break;
      case 2: bv = C[j]; break;
      case 3: bv = C[i]; break;
      case 4: bv = C[i * N + j]; break;
      default: break;
      }
      s += beta * bv, a += fabs(beta * bv);
      ref[i * N + j] = tk_act(s, act, 0.1, 0.5);
      mag[i * N + j] = a + 1e-6;
    }
  int64_t p[10] = {M, N, K, transA, ck_fbits(alpha), ck_fbits(beta), mode, act,
                   ck_fbits(0.1), ck_fbits(0.5)};
  void *t[4] = {A, B, C, Y};
  char desc[160];
  snprintf(desc, sizeof desc, "M%lld N%lld K%lld transA %d bias %d act %d",
           (long long)M, (long long)N, (long long)K, transA, mode, act);
  const char *e = ck_gemm_f32(p, t);
  if (e) {
    checks++, failures++;
    fprintf(stderr, "%s gemm: %s: kernel error %s\n", variant, desc, e);
  } else {
    tk_compare("gemm", Y, ref, mag, M * N, desc);
  }
  free(A), free(B), free(C), free(Y), free(ref), free(mag);
}

static void tk_matmul_random(void) {
  int64_t nbat = tk_int(1, 3), M = tk_int(1, 13), N = tk_int(1, 21), K = tk_int(1, 40);
  float *A = tk_array(nbat * M * K), *B = tk_array(nbat * K * N);
  float *Y = malloc((size_t)(nbat * M * N) * sizeof(float));
  double *ref = malloc((size_t)(nbat * M * N) * sizeof(double));
  double *mag = malloc((size_t)(nbat * M * N) * sizeof(double));
  for (int64_t b = 0; b < nbat; b++)
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++) {
        double s = 0, a = 0;
        for (int64_t k = 0; k < K; k++) {
          double t = (double)A[(b * M + i) * K + k] * B[(b * K + k) * N + j];
          s += t, a += fabs(t);
        }
        ref[(b * M + i) * N + j] = s;
        mag[(b * M + i) * N + j] = a + 1e-6;
      }
  int64_t p[7] = {1, nbat, M * K, K * N, M, N, K};
  void *t[3] = {A, B, Y};
  char desc[120];
  snprintf(desc, sizeof desc, "batch %lld M%lld N%lld K%lld", (long long)nbat,
           (long long)M, (long long)N, (long long)K);
  const char *e = ck_matmul_f32(p, t);
  if (e) {
    checks++, failures++;
    fprintf(stderr, "%s matmul: %s: kernel error %s\n", variant, desc, e);
  } else {
    tk_compare("matmul", Y, ref, mag, nbat * M * N, desc);
  }
  free(A), free(B), free(Y), free(ref), free(mag);
}

/* ---- pooling -------------------------------------------------------------- */

static void tk_pool_random(int avg) {
  tk_conv c;
  memset(&c, 0, sizeof c);
  c.nsp = tk_int(0, 2) ? 2 : (int)tk_int(1, 3);
  c.N = tk_int(1, 2), c.C = tk_int(1, 5);
  int64_t maxin = c.nsp == 3 ? 7 : (c.nsp == 2 ? 23 : 70);
  for (int i = 0; i < c.nsp; i++) {
    c.in[i] = tk_int(1, maxin);
    c.k[i] = tk_int(1, 4);
    c.s[i] = tk_int(1, 3);
    c.d[i] = avg || tk_int(0, 3) ? 1 : 2;
    c.pb[i] = tk_int(0, c.k[i] - 1);
    c.pe[i] = tk_int(0, c.k[i] - 1);
  }
  tk_conv_dims(&c);
  int incpad = avg ? (int)tk_int(0, 1) : 0;
  int64_t p[CK_POOL_NP] = {0};
  tk_conv_params(&c, p);
  p[CK_CONV_N] = c.N * c.C, p[CK_CONV_C] = p[CK_CONV_M] = 0, p[CK_CONV_G] = 0;
  p[CK_POOL_INCPAD] = incpad, p[CK_POOL_P] = 0;
  for (int i = 0; i < 3; i++)
    p[CK_POOL_PE + i] = c.pe[i];
  int64_t pin = c.in[0] * c.in[1] * c.in[2], pout = c.out[0] * c.out[1] * c.out[2];
  int64_t nc = c.N * c.C;
  float *x = tk_array(nc * pin), *y = malloc((size_t)(nc * pout) * sizeof(float));
  double *ref = malloc((size_t)(nc * pout) * sizeof(double));
  double *mag = malloc((size_t)(nc * pout) * sizeof(double));
  for (int64_t ch = 0; ch < nc; ch++)
    for (int64_t o = 0; o < pout; o++) {
      int64_t oi[3] = {o / (c.out[1] * c.out[2]), o / c.out[2] % c.out[1], o % c.out[2]};
      double acc = avg ? 0 : -INFINITY, a = 0;
      int64_t cnt = 0, padcnt = 0;
      for (int64_t q = 0; q < c.k[0] * c.k[1] * c.k[2]; q++) {
        int64_t ki[3] = {q / (c.k[1] * c.k[2]), q / c.k[2] % c.k[1], q % c.k[2]};
        int in = 1, pad = 1;
        int64_t ii[3];
        for (int r = 0; r < 3; r++) {
          ii[r] = oi[r] * c.s[r] - c.pb[r] + ki[r] * c.d[r];
          in &= ii[r] >= 0 && ii[r] < c.in[r];
          pad &= ii[r] >= -c.pb[r] && ii[r] < c.in[r] + c.pe[r];
        }
        padcnt += pad;
        if (!in)
          continue;
        double v = x[ch * pin + (ii[0] * c.in[1] + ii[1]) * c.in[2] + ii[2]];
        cnt++;
        a += fabs(v);
        if (avg)
          acc += v;
        else if (v > acc)
          acc = v;
      }
      int64_t div = incpad ? padcnt : cnt;
      ref[ch * pout + o] = avg ? (div ? acc / (double)div : 0) : acc;
      mag[ch * pout + o] = avg ? a / (double)(div ? div : 1) + 1e-6 : 1e-6;
    }
  void *t[3] = {x, y, NULL};
  char desc[200];
  snprintf(desc, sizeof desc, "nc %lld in %lldx%lldx%lld k %lldx%lldx%lld s %lldx%lldx%lld "
           "d %lld pads %lld,%lld,%lld incpad %d",
           (long long)nc, (long long)c.in[0], (long long)c.in[1], (long long)c.in[2],
           (long long)c.k[0], (long long)c.k[1], (long long)c.k[2],
           (long long)c.s[0], (long long)c.s[1], (long long)c.s[2],
           (long long)c.d[c.nsp - 1], (long long)c.pb[0], (long long)c.pb[1],
           (long long)c.pb[2], incpad);
  const char *e = avg ? ck_avgpool_f32(p, t) : ck_maxpool_f32(p, t);
  if (e) {
    checks++, failures++;
    fprintf(stderr, "%s pool: %s: kernel error %s\n", variant, desc, e);
  } else {
    tk_compare(avg ? "avgpool" : "maxpool", y, ref, mag, nc * pout, desc);
  }
  free(x), free(y), free(ref), free(mag);
}

int main(int argc, char **argv) {
  variant = argc > 1 ? argv[1] : "kernels";
  tk_conv_named();
  for (int i = 0; i < 150; i++)
    tk_conv_random(0, 0);
  for (int i = 0; i < 60; i++)
    tk_conv_random(1, 0);
  for (int i = 0; i < 40; i++)
    tk_conv_random(0, 1);
  for (int i = 0; i < 60; i++)
    tk_conv_winograd_random();
  for (int i = 0; i < 150; i++)
    tk_gemm_random();
  for (int i = 0; i < 60; i++)
    tk_matmul_random();
  for (int i = 0; i < 80; i++)
    tk_pool_random(0);
  for (int i = 0; i < 80; i++)
    tk_pool_random(1);
  printf("%s: %d checks, %d failed\n", variant, checks, failures);
  return failures ? 1 : 0;
}
