/*
 * k_conv.h - convolution geometry and the size of conv_f32's scratch
 * buffer, shared by the kernel (k_conv.c) and the compiler, which reserves
 * the scratch in the arena (cc_op_nn.c).  One function decides the size,
 * so the two can never disagree.
 *
 * The geometry moves unused trailing spatial dims (sent as 1) to the
 * front, so the innermost spatial dim is always dim 2 and a 2-d
 * convolution is one with in[0] == out[0] == k[0] == 1.
 */
#ifndef K_CONV_H
#define K_CONV_H

#include "ck.h"

/* Output positions per block of gathered input columns (a multiple of
 * every register block width of the GEMM core). */
#define CK_CONV_NC 128
/* Depthwise rows are computed in steps of this many outputs. */
#define CK_CONV_DW_STEP 8

typedef struct ck_conv_geom {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
  int64_t pin, pout, kk; /* products */
  int64_t cg, mg;        /* input and output channels per group */
} ck_conv_geom;

static inline void ck_conv_geom_init(ck_conv_geom *g, const int64_t *p) {
  int64_t nsp = p[CK_CONV_NSP];
  if (nsp < 1 || nsp > 3)
    nsp = 3;
  int64_t sh = 3 - nsp; /* leading unit dims */
  for (int64_t i = 0; i < 3; i++) {
    int64_t j = i - sh; /* source dim */
    int unit = j < 0;
    g->in[i] = unit ? 1 : p[CK_CONV_IN + j];
    g->out[i] = unit ? 1 : p[CK_CONV_OUT + j];
    g->k[i] = unit ? 1 : p[CK_CONV_K + j];
    g->s[i] = unit ? 1 : p[CK_CONV_S + j];
    g->d[i] = unit ? 1 : p[CK_CONV_D + j];
    g->pb[i] = unit ? 0 : p[CK_CONV_PB + j];
  }
  g->pin = g->in[0] * g->in[1] * g->in[2];
  g->pout = g->out[0] * g->out[1] * g->out[2];
  g->kk = g->k[0] * g->k[1] * g->k[2];
  int64_t G = p[CK_CONV_G] > 0 ? p[CK_CONV_G] : 1;
  g->cg = p[CK_CONV_C] / G;
  g->mg = p[CK_CONV_M] / G;
}

static inline int64_t ck_floordiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Outputs o in [0, n) for which o*s + off lies in [0, len): [*lo, *hi). */
static inline void ck_valid_range(int64_t n, int64_t s, int64_t off, int64_t len,
                           int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : ck_floordiv(-off + s - 1, s);
  int64_t b = ck_floordiv(len - 1 - off, s) + 1;
  if (a < 0)
    a = 0;
  if (b > n)
    b = n;
  if (b < a)
    b = a;
  *lo = a, *hi = b;
}

static inline int ck_conv_is_depthwise(const ck_conv_geom *g) {
  return g->cg == 1 && g->mg == 1;
}

/* 2-d (or 1-d) and not empty: what the padded-plane paths handle */
static inline int ck_conv_is_plane(const ck_conv_geom *g) {
  return g->in[0] == 1 && g->out[0] == 1 && g->k[0] == 1 && g->pb[0] == 0 &&
         g->out[2] > 0 && g->out[1] > 0;
}

/* A depthwise convolution that runs on a zero-padded copy of each input
 * plane. */
static inline int ck_conv_dw_padded(const ck_conv_geom *g) {
  return ck_conv_is_depthwise(g) && ck_conv_is_plane(g);
}

/* The padded plane: rows and row length.  Row r holds input row r - pb1,
 * column c input column c - pb2; zero outside the input.  The length
 * covers outputs rounded up to a whole step, so every step reads inside
 * the plane. */
static inline void ck_conv_dw_plane(const ck_conv_geom *g, int64_t *rows,
                                    int64_t *cols) {
  int64_t ow = (g->out[2] + CK_CONV_DW_STEP - 1) / CK_CONV_DW_STEP * CK_CONV_DW_STEP;
  *rows = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
  *cols = (ow - 1) * g->s[2] + (g->k[2] - 1) * g->d[2] + 1;
}

/* Winograd F(2x2, 3x3): output channels whose weights are transformed
 * at a time, and tiles whose input is transformed at a time (a multiple
 * of 8: whole panels). */
#define CK_WINO_MB 64
#define CK_WINO_TB 64
/* Floats between two of the 16 matrices beyond their size: without it
 * they lie a multiple of 4 KiB apart and the 16 streams of a transform
 * fight over the same cache sets. */
#define CK_WINO_GAP 16

/* 3x3 convolutions with stride 1 and no dilation over 2-d planes run as
 * Winograd F(2x2, 3x3) (2.25 times fewer multiplications) when there are
 * enough channels to pay for the transforms. */
static inline int ck_conv_use_winograd(const ck_conv_geom *g) {
#ifdef CK_NO_WINOGRAD /* measurements: the direct path everywhere */
  return 0 && g;
#endif
  return g->cg >= 8 && g->mg >= 8 && g->in[0] == 1 && g->out[0] == 1 &&
         g->k[0] == 1 && g->pb[0] == 0 && g->k[1] == 3 && g->k[2] == 3 &&
         g->s[1] == 1 && g->s[2] == 1 && g->d[1] == 1 && g->d[2] == 1 &&
         g->out[1] >= 2 && g->out[2] >= 2;
}

/* Its scratch: the transformed input of a block of tiles (16 matrices of
 * cg rows by the block's tiles), the transformed weights of a block of
 * output channels (16 matrices of mb by cg) and their 16 products. */
static inline int64_t ck_conv_wino_tiles(const ck_conv_geom *g) {
  return ((g->out[1] + 1) / 2) * ((g->out[2] + 1) / 2);
}

static inline void ck_conv_wino_blocks(const ck_conv_geom *g, int64_t *tb,
                                       int64_t *mb) {
  int64_t tp = (ck_conv_wino_tiles(g) + 7) / 8 * 8;
  *tb = tp < CK_WINO_TB ? tp : CK_WINO_TB;
  *mb = g->mg < CK_WINO_MB ? g->mg : CK_WINO_MB;
}

static inline int64_t ck_conv_wino_floats(const ck_conv_geom *g) {
  int64_t tb, mb;
  ck_conv_wino_blocks(g, &tb, &mb);
  return 16 * (tb * g->cg + mb * g->cg + mb * tb + 3 * CK_WINO_GAP);
}

/* Stride-1 convolutions over 2-d planes that Winograd does not take read
 * their input in place from zero-padded copies of the planes, through a
 * table of one offset per row of the product (no gathering); the
 * scratch holds the table, then the planes. */
static inline int ck_conv_use_inplace(const ck_conv_geom *g) {
  if (!ck_conv_is_plane(g) || g->s[1] != 1 || g->s[2] != 1 ||
      ck_conv_is_depthwise(g) || ck_conv_use_winograd(g) || g->kk < 2)
    return 0;
  int64_t rows, cols;
  ck_conv_dw_plane(g, &rows, &cols);
  return g->cg * rows * cols < ((int64_t)1 << 31);
}

static inline int64_t ck_conv_inplace_table(const ck_conv_geom *g) {
  return (g->cg * g->kk + 3) / 4 * 4; /* 4-byte entries, 16-byte aligned */
}

/* Floats of scratch conv_f32 needs: one block of gathered columns
 * (rounded up to whole panels of 8), the Winograd buffers, or one padded
 * plane for a depthwise convolution, or none.  p: the kernel's
 * parameters. */
static inline int64_t ck_conv_scratch_floats(const int64_t *p) {
  ck_conv_geom g;
  ck_conv_geom_init(&g, p);
  if (ck_conv_is_depthwise(&g)) {
    if (!ck_conv_dw_padded(&g))
      return 0;
    int64_t rows, cols;
    ck_conv_dw_plane(&g, &rows, &cols);
    return rows * cols;
  }
  if (ck_conv_use_winograd(&g))
    return ck_conv_wino_floats(&g);
  if (ck_conv_use_inplace(&g)) {
    int64_t rows, cols;
    ck_conv_dw_plane(&g, &rows, &cols);
    return ck_conv_inplace_table(&g) + g.cg * rows * cols;
  }
  int64_t n = (g.pout + 7) / 8 * 8;
  return g.cg * g.kk * (n < CK_CONV_NC ? n : CK_CONV_NC);
}

#endif
