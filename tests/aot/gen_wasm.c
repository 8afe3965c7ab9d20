/*
 * gen_wasm.c - random valid WebAssembly modules (see gen_wasm.h).
 *
 * Generation is type directed: gw_expr(t) emits code that leaves exactly
 * one value of type t, gw_stmt() code that leaves the stack as it found
 * it, each choosing among the instructions that fit and recursing until
 * the function's instruction budget or the nesting limit forces leaves.
 * Every construct is valid by construction (the test also runs the
 * validator on every module, so a generator bug shows up as a failed
 * seed, never as a silent gap).  Branch depths only ever name the block
 * the generator has just opened around them.  Loops count down a local
 * of their own that nothing else writes, except for the rare loop with
 * no exit, which fuel ends.
 */
#include "gen_wasm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { T_I32 = 0x7F, T_I64 = 0x7E, T_F32 = 0x7D, T_F64 = 0x7C, T_V128 = 0x7B };
static const uint8_t gw_types[4] = {T_I32, T_I64, T_F32, T_F64};

#define GW_MAX_FUNCS 8
#define GW_MAX_LOCALS 48
#define GW_NIMPORTS 2

typedef struct gw_sig {
  uint8_t np, nr;
  uint8_t p[4], r[2];
} gw_sig;

typedef struct gw {
  uint64_t rng;
  bool oom;
  gw_sig sigs[GW_MAX_FUNCS + GW_NIMPORTS]; /* per function index */
  uint32_t type_of[GW_MAX_FUNCS + GW_NIMPORTS];
  gw_sig types[GW_MAX_FUNCS + GW_NIMPORTS + 4]; /* distinct types */
  uint32_t ntypes;
  uint32_t nfuncs; /* imports + defined */
  /* the function being generated */
  gw_bytes *b;
  uint8_t ltype[GW_MAX_LOCALS];
  bool lcounter[GW_MAX_LOCALS]; /* loop counters: written by loops only */
  uint32_t nlocals, nparams;
  uint32_t cur; /* index of the function being generated */
  int budget, depth;
  /* inside the body of a counted up-loop: straight-line code only, and
   * addresses mostly affine in the loop's induction variable */
  bool straight;
  int iv;
  bool simd; /* this module uses v128 */
} gw;

/* ---- bytes ---- */

static void gw_put(gw *g, gw_bytes *b, const void *p, size_t n) {
  if (g->oom) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
      g->oom = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void gw_u8(gw *g, gw_bytes *b, uint8_t v) {
  gw_put(g, b, &v, 1);
}

static void gw_uleb(gw *g, gw_bytes *b, uint64_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    if (v) c |= 0x80;
    gw_u8(g, b, c);
  } while (v);
}

static void gw_sleb(gw *g, gw_bytes *b, int64_t v) {
  for (;;) {
    uint8_t c = v & 0x7F;
    v >>= 7; /* arithmetic */
    bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
    if (!done) c |= 0x80;
    gw_u8(g, b, c);
    if (done) break;
  }
}

static void gw_name(gw *g, gw_bytes *b, const char *s) {
  gw_uleb(g, b, strlen(s));
  gw_put(g, b, s, strlen(s));
}

static void gw_section(gw *g, gw_bytes *out, uint8_t id, gw_bytes *sec) {
  gw_u8(g, out, id);
  gw_uleb(g, out, sec->len);
  gw_put(g, out, sec->p, sec->len);
  free(sec->p);
  memset(sec, 0, sizeof *sec);
}

/* ---- randomness ---- */

static uint64_t gw_next(gw *g) {
  uint64_t x = g->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  g->rng = x;
  return x;
}

static uint32_t gw_below(gw *g, uint32_t n) {
  return n ? (uint32_t)(gw_next(g) % n) : 0;
}

static bool gw_chance(gw *g, uint32_t percent) {
  return gw_below(g, 100) < percent;
}

static uint8_t gw_any_type(gw *g) {
  return gw_types[gw_below(g, 4)];
}

/* ---- instructions ---- */

#define OP(x) gw_u8(g, g->b, (x))

static void gw_i32_const(gw *g, int32_t v) {
  OP(0x41);
  gw_sleb(g, g->b, v);
}

/* f32.const or f64.const with these bits (f32: the low 32) */
static void gw_fconst(gw *g, uint8_t t, uint64_t bits) {
  if (t == T_F32) {
    uint32_t w = (uint32_t)bits;
    OP(0x43);
    gw_put(g, g->b, &w, 4);
  } else {
    OP(0x44);
    gw_put(g, g->b, &bits, 8);
  }
}

static void gw_const(gw *g, uint8_t t) {
  static const int64_t ints[] = {0,      1,          -1,        2,      7,
                                 0x80,   0x7FFFFFFF, INT32_MIN, 0xFFFF, 0x10000,
                                 -65536, INT64_MIN,  INT64_MAX};
  static const uint32_t f32s[] = {
      0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x3FC00000,
      0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 0xFFC00123,
      0x00000001, 0x7F7FFFFF, 0x4F000000, 0xCF000000, 0x5F800000};
  static const uint64_t f64s[] = {
      0x0000000000000000ull, 0x8000000000000000ull, 0x3FF0000000000000ull,
      0xBFF8000000000000ull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
      0x7FF8000000000000ull, 0x7FF4000000000001ull, 0xFFF8000000000abcull,
      0x0000000000000001ull, 0x41E0000000000000ull, 0xC3E0000000000000ull,
      0x43F0000000000000ull, 0x4024000000000000ull};
  switch (t) {
    case T_I32: {
      int64_t v = gw_chance(g, 50) ? ints[gw_below(g, 11)]
                                   : (int64_t)(int32_t)gw_next(g);
      if (gw_chance(g, 30)) v = (int64_t)gw_below(g, 100);
      gw_i32_const(g, (int32_t)v);
      break;
    }
    case T_I64: {
      int64_t v =
          gw_chance(g, 50) ? ints[gw_below(g, 13)] : (int64_t)gw_next(g);
      if (gw_chance(g, 30)) v = (int64_t)gw_below(g, 100);
      OP(0x42);
      gw_sleb(g, g->b, v);
      break;
    }
    case T_F32:
      gw_fconst(g, t,
                gw_chance(g, 70) ? f32s[gw_below(g, 15)] : (uint32_t)gw_next(g));
      break;
    default:
      gw_fconst(g, t, gw_chance(g, 70) ? f64s[gw_below(g, 14)] : gw_next(g));
  }
}

static int gw_local_of(gw *g, uint8_t t, bool writable) {
  int cand[GW_MAX_LOCALS], n = 0;
  for (uint32_t i = 0; i < g->nlocals; i++)
    if (g->ltype[i] == t && !(writable && g->lcounter[i])) cand[n++] = (int)i;
  return n ? cand[gw_below(g, (uint32_t)n)] : -1;
}

static int gw_new_local(gw *g, uint8_t t) {
  if (g->nlocals >= GW_MAX_LOCALS) return -1;
  g->ltype[g->nlocals] = t;
  g->lcounter[g->nlocals] = false;
  return (int)g->nlocals++;
}

static int gw_global_of(uint8_t t) {
  for (int i = 0; i < 4; i++)
    if (gw_types[i] == t) return i;
  return 0;
}

static void gw_expr(gw *g, uint8_t t);
static void gw_stmts(gw *g, int n);
static void gw_simd(gw *g, uint32_t sub);

/* NaN payloads.  Which NaN an arithmetic operation returns when it makes
 * or meets NaNs (two NaN operands, a demotion, a square root of a NaN...)
 * is the host's choice: wasm allows the canonical NaN or any arithmetic
 * NaN, and the two tiers may choose differently (a C compiler may swap
 * the operands of + and *).  Once such bits reach integers (a reinterpret,
 * an integer lane op, a narrow or overlapping store) the test could not
 * tell that difference from a bug, so every value an operation that may
 * choose returns goes through gw_canon: a NaN (or a NaN lane) becomes one
 * fixed NaN, anything else passes unchanged.  Only the choice is hidden:
 * a NaN in one tier and a number in the other still differ.
 *   scalar: x -> select(x, NaN, x == x)        (local.tee, two local.gets)
 *   v128:   v -> bitselect(v, NaNs, v == v)    (f32x4.eq or f64x2.eq)
 * The scratch local is any writable local of the type (the sequence is
 * straight-line, so nothing runs between the tee and the gets); with none
 * and no room for one, the value is dropped for a constant. */
enum { GW_CANON_F32X4 = 1, GW_CANON_F64X2 = 2 };

/* v128.const with both 64-bit halves equal to `half` */
static void gw_v128_halves(gw *g, uint64_t half) {
  gw_simd(g, 12);
  gw_put(g, g->b, &half, 8);
  gw_put(g, g->b, &half, 8);
}

static void gw_canon(gw *g, uint8_t t, int shape) {
  /* the fixed NaN: the scalar's bits, or each half of the v128 */
  uint64_t nan = t == T_F32 ? 0x7FC00000u
                 : t == T_F64 || shape == GW_CANON_F64X2
                     ? 0x7FF8000000000000ull
                     : 0x7FC000007FC00000ull;
  int l = gw_local_of(g, t, true);
  if (l < 0) l = gw_new_local(g, t);
  if (l < 0) {
    OP(0x1A); /* drop, and a constant instead */
    if (t == T_V128)
      gw_v128_halves(g, 0);
    else
      gw_fconst(g, t, t == T_F32 ? 0x3F800000u : 0x3FF0000000000000ull);
    return;
  }
  OP(0x22); /* local.tee */
  gw_uleb(g, g->b, (uint32_t)l);
  if (t == T_V128)
    gw_v128_halves(g, nan);
  else
    gw_fconst(g, t, nan);
  OP(0x20);
  gw_uleb(g, g->b, (uint32_t)l);
  OP(0x20);
  gw_uleb(g, g->b, (uint32_t)l);
  if (t == T_V128) {
    gw_simd(g, shape == GW_CANON_F32X4 ? 65 : 71); /* f32x4.eq / f64x2.eq */
    gw_simd(g, 82);                                 /* v128.bitselect */
  } else {
    OP(t == T_F32 ? 0x5B : 0x61); /* f32.eq / f64.eq */
    OP(0x1B);                     /* select */
  }
}

/* scalar float ops that may choose a NaN: the rounding ops, sqrt,
 * demote/promote, and add..max (abs, neg and copysign are bit ops) */
static bool gw_nan_choosing(uint16_t op) {
  return (op >= 0x8D && op <= 0x91) || (op >= 0x9B && op <= 0x9F) ||
         op == 0xB6 || op == 0xBB || (op >= 0x92 && op <= 0x97) ||
         (op >= 0xA0 && op <= 0xA5);
}

/* the same for SIMD sub-opcodes: the shape of the result, or 0 */
static int gw_v_nan_shape(uint32_t sub) {
  if ((sub >= 103 && sub <= 106) || (sub >= 227 && sub <= 233) || sub == 94)
    return GW_CANON_F32X4;
  if (sub == 116 || sub == 117 || sub == 122 || sub == 148 ||
      (sub >= 239 && sub <= 245) || sub == 95)
    return GW_CANON_F64X2;
  return 0;
}

/* numeric ops: opcode (0xFC00 | sub for prefixed), operand types, result */
typedef struct gw_op {
  uint16_t op;
  uint8_t a, b; /* b 0: unary */
  uint8_t r;
} gw_op;

static const gw_op gw_ops[] = {
    /* i32 */
    {0x45, T_I32, 0, T_I32},
    {0x50, T_I64, 0, T_I32},
    {0x67, T_I32, 0, T_I32},
    {0x68, T_I32, 0, T_I32},
    {0x69, T_I32, 0, T_I32},
    {0xA7, T_I64, 0, T_I32},
    {0xA8, T_F32, 0, T_I32},
    {0xA9, T_F32, 0, T_I32},
    {0xAA, T_F64, 0, T_I32},
    {0xAB, T_F64, 0, T_I32},
    {0xBC, T_F32, 0, T_I32},
    {0xC0, T_I32, 0, T_I32},
    {0xC1, T_I32, 0, T_I32},
    {0xFC00, T_F32, 0, T_I32},
    {0xFC01, T_F32, 0, T_I32},
    {0xFC02, T_F64, 0, T_I32},
    {0xFC03, T_F64, 0, T_I32},
    /* i64 */
    {0x79, T_I64, 0, T_I64},
    {0x7A, T_I64, 0, T_I64},
    {0x7B, T_I64, 0, T_I64},
    {0xAC, T_I32, 0, T_I64},
    {0xAD, T_I32, 0, T_I64},
    {0xAE, T_F32, 0, T_I64},
    {0xAF, T_F32, 0, T_I64},
    {0xB0, T_F64, 0, T_I64},
    {0xB1, T_F64, 0, T_I64},
    {0xBD, T_F64, 0, T_I64},
    {0xC2, T_I64, 0, T_I64},
    {0xC3, T_I64, 0, T_I64},
    {0xC4, T_I64, 0, T_I64},
    {0xFC04, T_F32, 0, T_I64},
    {0xFC05, T_F32, 0, T_I64},
    {0xFC06, T_F64, 0, T_I64},
    {0xFC07, T_F64, 0, T_I64},
    /* f32 */
    {0x8B, T_F32, 0, T_F32},
    {0x8C, T_F32, 0, T_F32},
    {0x8D, T_F32, 0, T_F32},
    {0x8E, T_F32, 0, T_F32},
    {0x8F, T_F32, 0, T_F32},
    {0x90, T_F32, 0, T_F32},
    {0x91, T_F32, 0, T_F32},
    {0xB2, T_I32, 0, T_F32},
    {0xB3, T_I32, 0, T_F32},
    {0xB4, T_I64, 0, T_F32},
    {0xB5, T_I64, 0, T_F32},
    {0xB6, T_F64, 0, T_F32},
    {0xBE, T_I32, 0, T_F32},
    /* f64 */
    {0x99, T_F64, 0, T_F64},
    {0x9A, T_F64, 0, T_F64},
    {0x9B, T_F64, 0, T_F64},
    {0x9C, T_F64, 0, T_F64},
    {0x9D, T_F64, 0, T_F64},
    {0x9E, T_F64, 0, T_F64},
    {0x9F, T_F64, 0, T_F64},
    {0xB7, T_I32, 0, T_F64},
    {0xB8, T_I32, 0, T_F64},
    {0xB9, T_I64, 0, T_F64},
    {0xBA, T_I64, 0, T_F64},
    {0xBB, T_F32, 0, T_F64},
    {0xBF, T_I64, 0, T_F64},
};

/* binary ops: ranges of opcodes with one operand type and result type */
typedef struct gw_bin {
  uint8_t lo, hi, a, r;
} gw_bin;

static const gw_bin gw_bins[] = {
    {0x46, 0x4F, T_I32, T_I32}, {0x51, 0x5A, T_I64, T_I32},
    {0x5B, 0x60, T_F32, T_I32}, {0x61, 0x66, T_F64, T_I32},
    {0x6A, 0x78, T_I32, T_I32}, {0x7C, 0x8A, T_I64, T_I64},
    {0x92, 0x98, T_F32, T_F32}, {0xA0, 0xA6, T_F64, T_F64},
};

static void gw_unary(gw *g, uint8_t t) {
  const gw_op *cand[64];
  int n = 0;
  for (size_t i = 0; i < sizeof gw_ops / sizeof gw_ops[0]; i++)
    if (gw_ops[i].r == t) cand[n++] = &gw_ops[i];
  const gw_op *o = cand[gw_below(g, (uint32_t)n)];
  /* float -> int truncation traps on most random floats: less often */
  if (((o->op >= 0xA8 && o->op <= 0xAB) || (o->op >= 0xAE && o->op <= 0xB1)) &&
      gw_chance(g, 60))
    o = cand[gw_below(g, (uint32_t)n)];
  gw_expr(g, o->a);
  if (o->op >= 0xFC00) {
    OP(0xFC);
    gw_uleb(g, g->b, o->op & 0xFF);
  } else {
    OP((uint8_t)o->op);
    if (gw_nan_choosing(o->op)) gw_canon(g, o->r, 0);
  }
}

static void gw_binary(gw *g, uint8_t t) {
  const gw_bin *cand[8];
  int n = 0;
  for (size_t i = 0; i < sizeof gw_bins / sizeof gw_bins[0]; i++)
    if (gw_bins[i].r == t) cand[n++] = &gw_bins[i];
  const gw_bin *o = cand[gw_below(g, (uint32_t)n)];
  gw_expr(g, o->a);
  /* a constant right operand now and then: divisions by 0 and -1, shifts
   * by large counts, immediate forms in the translation */
  if (gw_chance(g, 30))
    gw_const(g, o->a);
  else
    gw_expr(g, o->a);
  uint8_t op = (uint8_t)(o->lo + gw_below(g, (uint32_t)(o->hi - o->lo + 1)));
  /* division and remainder trap on zero: less often */
  if (((op >= 0x6D && op <= 0x70) || (op >= 0x7F && op <= 0x82)) &&
      gw_chance(g, 60))
    op = (uint8_t)(o->lo + gw_below(g, (uint32_t)(o->hi - o->lo + 1)));
  OP(op);
  if (gw_nan_choosing(op)) gw_canon(g, o->r, 0);
}

/* an address: masked into the first page mostly, sometimes anything; in
 * a counted loop mostly base + (iv << s) + c, unmasked, so that some
 * iteration may leave the memory */
static void gw_addr(gw *g) {
  if (g->straight && g->iv >= 0 && gw_chance(g, 80)) {
    int base = gw_local_of(g, T_I32, false);
    if (base >= 0 && base != g->iv && gw_chance(g, 50)) {
      OP(0x20);
      gw_uleb(g, g->b, (uint32_t)base);
      gw_i32_const(g, 0x3FFF);
      OP(0x71);
    } else {
      gw_i32_const(g, (int32_t)gw_below(g, 4096));
    }
    OP(0x20);
    gw_uleb(g, g->b, (uint32_t)g->iv);
    if (gw_chance(g, 50)) {
      gw_i32_const(g, (int32_t)gw_below(g, 4));
      OP(0x74); /* i32.shl */
    }
    OP(0x6A); /* i32.add */
    if (gw_chance(g, 40)) {
      gw_i32_const(g, (int32_t)gw_below(g, 64) - 16);
      OP(0x6A);
    }
    return;
  }
  uint32_t k = gw_below(g, 100);
  if (k < 65) {
    gw_expr(g, T_I32);
    gw_i32_const(g, gw_chance(g, 90) ? 0xFFF8 : 0x1FFFF);
    OP(0x71); /* i32.and */
  } else if (k < 95) {
    gw_i32_const(g, (int32_t)gw_below(g, 1024));
  } else {
    gw_expr(g, T_I32);
  }
}

static void gw_memarg(gw *g, uint32_t max_align) {
  gw_uleb(g, g->b, gw_below(g, max_align + 1));
  uint32_t off = gw_chance(g, 98) ? gw_below(g, 40) : 0xFFF0 + gw_below(g, 64);
  gw_uleb(g, g->b, off);
}

static void gw_load(gw *g, uint8_t t) {
  static const struct {
    uint8_t op, t, align;
  } loads[] = {{0x28, T_I32, 2}, {0x29, T_I64, 3}, {0x2A, T_F32, 2},
               {0x2B, T_F64, 3}, {0x2C, T_I32, 0}, {0x2D, T_I32, 0},
               {0x2E, T_I32, 1}, {0x2F, T_I32, 1}, {0x30, T_I64, 0},
               {0x31, T_I64, 0}, {0x32, T_I64, 1}, {0x33, T_I64, 1},
               {0x34, T_I64, 2}, {0x35, T_I64, 2}};
  int cand[14], n = 0;
  for (int i = 0; i < 14; i++)
    if (loads[i].t == t) cand[n++] = i;
  int i = cand[gw_below(g, (uint32_t)n)];
  gw_addr(g);
  OP(loads[i].op);
  gw_memarg(g, loads[i].align);
}

static void gw_store(gw *g) {
  static const struct {
    uint8_t op, t, align;
  } stores[] = {{0x36, T_I32, 2}, {0x37, T_I64, 3}, {0x38, T_F32, 2},
                {0x39, T_F64, 3}, {0x3A, T_I32, 0}, {0x3B, T_I32, 1},
                {0x3C, T_I64, 0}, {0x3D, T_I64, 1}, {0x3E, T_I64, 2}};
  int i = (int)gw_below(g, 9);
  gw_addr(g);
  gw_expr(g, stores[i].t);
  OP(stores[i].op);
  gw_memarg(g, stores[i].align);
}

static void gw_call_args(gw *g, const gw_sig *s) {
  for (int i = 0; i < s->np; i++) gw_expr(g, s->p[i]);
}

/* a function (import or defined) whose only result is t, or -1; mostly
 * one defined after the current one or an import (no cycles), now and
 * then any (recursion, which the call depth limit or fuel ends) */
static int gw_func_returning(gw *g, uint8_t t) {
  int cand[GW_MAX_FUNCS + GW_NIMPORTS], n = 0;
  bool any = gw_chance(g, 12);
  for (uint32_t f = 0; f < g->nfuncs; f++)
    if (g->sigs[f].nr == 1 && g->sigs[f].r[0] == t &&
        (any || f < GW_NIMPORTS || f > g->cur))
      cand[n++] = (int)f;
  return n ? cand[gw_below(g, (uint32_t)n)] : -1;
}

static uint32_t gw_callee(gw *g) {
  if (gw_chance(g, 12) || g->cur + 1 >= g->nfuncs)
    return gw_below(g, g->nfuncs);
  uint32_t later = g->nfuncs - g->cur - 1;
  uint32_t k = gw_below(g, later + GW_NIMPORTS);
  return k < GW_NIMPORTS ? k : g->cur + 1 + (k - GW_NIMPORTS);
}

static void gw_leaf(gw *g, uint8_t t) {
  int l = gw_chance(g, 60) ? gw_local_of(g, t, false) : -1;
  if (l >= 0) {
    OP(0x20);
    gw_uleb(g, g->b, (uint32_t)l);
  } else if (gw_chance(g, 20)) {
    OP(0x23);
    gw_uleb(g, g->b, (uint32_t)gw_global_of(t));
  } else {
    gw_const(g, t);
  }
}

/* ---- v128 ----
 * SIMD sub-opcodes by shape (core 2.0), for random v128 expressions */
static const uint8_t gw_v_unary[] = {
    77,  96,  97,  98,  103, 104, 105, 106, 116, 117, 122, 148, 124,
    125, 126, 127, 128, 129, 135, 136, 137, 138, 160, 161, 167, 168,
    169, 170, 192, 193, 199, 200, 201, 202, 224, 225, 227, 236, 237,
    239, 94,  95,  248, 249, 250, 251, 252, 253, 254, 255};
static const uint8_t gw_v_binary[] = {
    14,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,
    49,  50,  51,  52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  62,  63,
    64,  65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,  76,  78,  79,
    80,  81,  101, 102, 110, 111, 112, 113, 114, 115, 118, 119, 120, 121, 123,
    130, 133, 134, 142, 143, 144, 145, 146, 147, 149, 150, 151, 152, 153, 155,
    156, 157, 158, 159, 174, 177, 181, 182, 183, 184, 185, 186, 188, 189, 190,
    191, 206, 209, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 228,
    229, 230, 231, 232, 233, 234, 235, 240, 241, 242, 243, 244, 245, 246, 247};
static const uint8_t gw_v_shift[] = {107, 108, 109, 139, 140, 141,
                                     171, 172, 173, 203, 204, 205};
static const uint8_t gw_v_test[] = {83, 99, 100, 131, 132, 163, 164, 195, 196};

static void gw_simd(gw *g, uint32_t sub) {
  OP(0xFD);
  gw_uleb(g, g->b, sub);
}

static void gw_vexpr(gw *g);

static void gw_vleaf(gw *g) {
  int l = gw_chance(g, 50) ? gw_local_of(g, T_V128, false) : -1;
  if (l >= 0) {
    OP(0x20);
    gw_uleb(g, g->b, (uint32_t)l);
    return;
  }
  /* v128.const: float lanes, ints, NaNs.  Only the host's default NaN:
   * which of two different NaNs a lane-wise op returns is the host's
   * choice (wasm allows either, the tiers may choose differently), and
   * integer ops on the lanes afterwards would make that a difference the
   * test cannot tell from a bug */
  gw_simd(g, 12);
  for (int i = 0; i < 4; i++) {
    uint32_t w = gw_chance(g, 30)   ? 0xFFC00000u
                 : gw_chance(g, 30) ? (uint32_t)gw_below(g, 300)
                 : gw_chance(g, 30)
                     ? 0x3F800000u + (uint32_t)gw_below(g, 1 << 22)
                     : (uint32_t)gw_next(g);
    gw_put(g, g->b, &w, 4);
  }
}

static void gw_vexpr(gw *g) {
  g->budget--;
  if (g->budget <= 0 || g->depth > 6) {
    gw_vleaf(g);
    return;
  }
  g->depth++;
  uint32_t k = gw_below(g, 100);
  if (k < 15) {
    gw_vleaf(g);
  } else if (k < 40) {
    uint8_t sub = gw_v_binary[gw_below(g, sizeof gw_v_binary)];
    gw_vexpr(g);
    gw_vexpr(g);
    gw_simd(g, sub);
    if (gw_v_nan_shape(sub)) gw_canon(g, T_V128, gw_v_nan_shape(sub));
  } else if (k < 55) {
    uint8_t sub = gw_v_unary[gw_below(g, sizeof gw_v_unary)];
    gw_vexpr(g);
    gw_simd(g, sub);
    if (gw_v_nan_shape(sub)) gw_canon(g, T_V128, gw_v_nan_shape(sub));
  } else if (k < 62) {
    gw_vexpr(g);
    gw_expr(g, T_I32);
    gw_simd(g, gw_v_shift[gw_below(g, sizeof gw_v_shift)]);
  } else if (k < 70) {
    static const uint8_t splat_t[6] = {T_I32, T_I32, T_I32,
                                       T_I64, T_F32, T_F64};
    uint32_t w = gw_below(g, 6);
    gw_expr(g, splat_t[w]);
    gw_simd(g, 15 + w);
  } else if (k < 80) {
    /* loads: v128.load, widening, splat, zero */
    static const uint8_t ld[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 92, 93};
    static const uint8_t al[] = {4, 3, 3, 3, 3, 3, 3, 0, 1, 2, 3, 2, 3};
    uint32_t w = gw_below(g, sizeof ld);
    gw_addr(g);
    gw_simd(g, ld[w]);
    gw_memarg(g, al[w]);
  } else if (k < 85) {
    gw_vexpr(g);
    gw_vexpr(g);
    gw_simd(g, 13); /* i8x16.shuffle */
    for (int i = 0; i < 16; i++) gw_u8(g, g->b, (uint8_t)gw_below(g, 32));
  } else if (k < 90) {
    static const struct {
      uint8_t op, t, lanes;
    } rep[] = {{23, T_I32, 16}, {26, T_I32, 8}, {28, T_I32, 4},
               {30, T_I64, 2},  {32, T_F32, 4}, {34, T_F64, 2}};
    uint32_t w = gw_below(g, 6);
    gw_vexpr(g);
    gw_expr(g, rep[w].t);
    gw_simd(g, rep[w].op);
    gw_u8(g, g->b, (uint8_t)gw_below(g, rep[w].lanes));
  } else if (k < 94) {
    gw_vexpr(g);
    gw_vexpr(g);
    gw_vexpr(g);
    gw_simd(g, 82); /* bitselect */
  } else if (k < 97) {
    /* a lane load into a vector */
    uint32_t w = gw_below(g, 4);
    gw_addr(g);
    gw_vexpr(g);
    gw_simd(g, 84 + w);
    gw_memarg(g, w);
    gw_u8(g, g->b, (uint8_t)gw_below(g, 16u >> w));
  } else {
    gw_vexpr(g);
    gw_vexpr(g);
    gw_expr(g, T_I32);
    OP(0x1B); /* select */
  }
  g->depth--;
}

/* a scalar of type t from a v128 */
static void gw_from_v128(gw *g, uint8_t t) {
  gw_vexpr(g);
  switch (t) {
    case T_I32: {
      uint32_t w = gw_below(g, 3);
      if (w == 0) {
        gw_simd(g, gw_v_test[gw_below(g, sizeof gw_v_test)]);
      } else if (w == 1) {
        static const uint8_t ex[5] = {21, 22, 24, 25, 27};
        static const uint8_t lanes[5] = {16, 16, 8, 8, 4};
        uint32_t e = gw_below(g, 5);
        gw_simd(g, ex[e]);
        gw_u8(g, g->b, (uint8_t)gw_below(g, lanes[e]));
      } else {
        gw_simd(g, 27);
        gw_u8(g, g->b, (uint8_t)gw_below(g, 4));
      }
      break;
    }
    case T_I64:
      gw_simd(g, 29);
      gw_u8(g, g->b, (uint8_t)gw_below(g, 2));
      break;
    case T_F32:
      gw_simd(g, 31);
      gw_u8(g, g->b, (uint8_t)gw_below(g, 4));
      break;
    default:
      gw_simd(g, 33);
      gw_u8(g, g->b, (uint8_t)gw_below(g, 2));
      break;
  }
}

static void gw_expr(gw *g, uint8_t t) {
  g->budget--;
  if (g->budget <= 0 || g->depth > 6) {
    gw_leaf(g, t);
    return;
  }
  g->depth++;
  uint32_t k = gw_below(g, 100);
  if (g->straight && k >= 56) k = gw_below(g, 56); /* no control, no calls */
  if (k < 14) {
    gw_leaf(g, t);
  } else if (k < 30) {
    gw_binary(g, t);
  } else if (k < 42) {
    gw_unary(g, t);
  } else if (k < 52) {
    gw_load(g, t);
  } else if (k < 56) {
    gw_expr(g, t);
    gw_expr(g, t);
    gw_expr(g, T_I32);
    OP(0x1B); /* select */
  } else if (k < 61) {
    /* block (result t) with a conditional early exit carrying a value */
    OP(0x02);
    OP(t);
    gw_stmts(g, (int)gw_below(g, 2));
    gw_expr(g, t);
    gw_expr(g, T_I32);
    OP(0x0D); /* br_if 0 */
    OP(0x00);
    OP(0x1A); /* drop */
    gw_expr(g, t);
    OP(0x0B);
  } else if (k < 66) {
    gw_expr(g, T_I32);
    OP(0x04); /* if (result t) */
    OP(t);
    gw_stmts(g, (int)gw_below(g, 2));
    gw_expr(g, t);
    OP(0x05);
    gw_stmts(g, (int)gw_below(g, 2));
    gw_expr(g, t);
    OP(0x0B);
  } else if (k < 71) {
    int l = gw_local_of(g, t, true);
    if (l < 0) l = gw_new_local(g, t);
    if (l < 0) {
      gw_leaf(g, t);
    } else {
      gw_expr(g, t);
      OP(0x22); /* local.tee */
      gw_uleb(g, g->b, (uint32_t)l);
    }
  } else if (k < 78) {
    int f = gw_func_returning(g, t);
    if (f < 0) {
      gw_leaf(g, t);
    } else if (gw_chance(g, 70)) {
      gw_call_args(g, &g->sigs[f]);
      OP(0x10);
      gw_uleb(g, g->b, (uint32_t)f);
    } else {
      /* through the table: usually at the function's own slot */
      gw_call_args(g, &g->sigs[f]);
      if (gw_chance(g, 85))
        gw_i32_const(g, f);
      else
        gw_expr(g, T_I32);
      OP(0x11);
      gw_uleb(g, g->b, g->type_of[f]);
      OP(0x00);
    }
  } else if (g->simd && k < 84 && k >= 80) {
    gw_from_v128(g, t);
  } else if (t == T_I32 && k < 82) {
    uint32_t which = gw_below(g, 5);
    if (which == 0) {
      OP(0x3F); /* memory.size */
      OP(0x00);
    } else if (which == 1) {
      gw_expr(g, T_I32);
      gw_i32_const(g, 1);
      OP(0x71);
      OP(0x40); /* memory.grow */
      OP(0x00);
    } else if (which == 2) {
      gw_expr(g, T_I32);
      if (gw_chance(g, 85)) {
        gw_i32_const(g, 3);
        OP(0x71);
      }
      OP(0x25); /* table.get 0 */
      OP(0x00);
      OP(0xD1); /* ref.is_null */
    } else {
      OP(0xFC);
      gw_uleb(g, g->b, 16); /* table.size 0 */
      OP(0x00);
    }
  } else {
    gw_leaf(g, t);
  }
  g->depth--;
}

static void gw_fast_loop(gw *g);

static void gw_stmt(gw *g) {
  g->budget--;
  if (g->budget <= 0 || g->depth > 5) return;
  g->depth++;
  uint32_t k = gw_below(g, 100);
  if (g->straight) {
    k = gw_below(g, 45); /* local.set, global.set, store, drop */
    if (k >= 16 && k < 24 && gw_chance(g, 70)) k = 30;
    if (g->simd && gw_chance(g, 20)) {
      gw_addr(g);
      gw_vexpr(g);
      gw_simd(g, 11); /* v128.store at an affine address */
      gw_memarg(g, 4);
      g->depth--;
      return;
    }
  } else if (k >= 92) {
    gw_fast_loop(g);
    g->depth--;
    return;
  } else if (g->simd && k >= 88) {
    uint32_t w = gw_below(g, 3);
    if (w == 0) {
      gw_addr(g);
      gw_vexpr(g);
      gw_simd(g, 11); /* v128.store */
      gw_memarg(g, 4);
    } else if (w == 1) {
      int l = gw_local_of(g, T_V128, true);
      if (l < 0) l = gw_new_local(g, T_V128);
      if (l >= 0) {
        gw_vexpr(g);
        OP(0x21);
        gw_uleb(g, g->b, (uint32_t)l);
      }
    } else {
      uint32_t n = gw_below(g, 4);
      gw_addr(g);
      gw_vexpr(g);
      gw_simd(g, 88 + n); /* store lane */
      gw_memarg(g, n);
      gw_u8(g, g->b, (uint8_t)gw_below(g, 16u >> n));
    }
    g->depth--;
    return;
  }
  if (k < 16) {
    uint8_t t = gw_any_type(g);
    int l = gw_local_of(g, t, true);
    if (l < 0) l = gw_new_local(g, t);
    if (l >= 0) {
      gw_expr(g, t);
      OP(0x21);
      gw_uleb(g, g->b, (uint32_t)l);
    }
  } else if (k < 24) {
    uint8_t t = gw_any_type(g);
    gw_expr(g, t);
    OP(0x24);
    gw_uleb(g, g->b, (uint32_t)gw_global_of(t));
  } else if (k < 40) {
    gw_store(g);
  } else if (k < 45) {
    gw_expr(g, gw_any_type(g));
    OP(0x1A);
  } else if (k < 53) {
    gw_expr(g, T_I32);
    OP(0x04);
    OP(0x40);
    gw_stmts(g, 1 + (int)gw_below(g, 2));
    if (gw_chance(g, 60)) {
      OP(0x05);
      gw_stmts(g, 1 + (int)gw_below(g, 2));
    }
    OP(0x0B);
  } else if (k < 64) {
    /* a counted loop, or (rarely) one that only fuel stops */
    int c = gw_new_local(g, T_I32);
    if (c >= 0) {
      g->lcounter[c] = true;
      gw_i32_const(g, 1 + (int32_t)gw_below(g, 6));
      OP(0x21);
      gw_uleb(g, g->b, (uint32_t)c);
      OP(0x03);
      OP(0x40);
      gw_stmts(g, 1 + (int)gw_below(g, 3));
      if (gw_chance(g, 3)) {
        OP(0x0C); /* br 0: forever */
        OP(0x00);
      } else {
        OP(0x20);
        gw_uleb(g, g->b, (uint32_t)c);
        gw_i32_const(g, 1);
        OP(0x6B); /* i32.sub */
        OP(0x22);
        gw_uleb(g, g->b, (uint32_t)c);
        OP(0x0D); /* br_if 0 */
        OP(0x00);
      }
      OP(0x0B);
    }
  } else if (k < 69) {
    /* br_table over three nested blocks */
    OP(0x02);
    OP(0x40);
    OP(0x02);
    OP(0x40);
    OP(0x02);
    OP(0x40);
    gw_expr(g, T_I32);
    OP(0x0E);
    uint32_t n = 1 + gw_below(g, 4);
    gw_uleb(g, g->b, n);
    for (uint32_t i = 0; i <= n; i++) gw_uleb(g, g->b, gw_below(g, 3));
    OP(0x0B);
    gw_stmts(g, (int)gw_below(g, 2));
    OP(0x0B);
    gw_stmts(g, (int)gw_below(g, 2));
    OP(0x0B);
  } else if (k < 79) {
    uint32_t f = gw_callee(g);
    const gw_sig *s = &g->sigs[f];
    gw_call_args(g, s);
    if (gw_chance(g, 75)) {
      OP(0x10);
      gw_uleb(g, g->b, f);
    } else {
      /* any slot, any type: may trap (undefined, null or mismatched) */
      if (gw_chance(g, 85))
        gw_i32_const(g, (int32_t)f);
      else
        gw_i32_const(g, (int32_t)gw_below(g, g->nfuncs + 3));
      OP(0x11);
      gw_uleb(g, g->b, g->type_of[f]);
      OP(0x00);
    }
    for (int i = 0; i < s->nr; i++) OP(0x1A);
  } else if (k < 85) {
    uint32_t which = gw_below(g, 6);
    gw_addr(g);
    if (which < 2) {
      gw_expr(g, T_I32);
      gw_i32_const(g, (int32_t)gw_below(g, 64));
      OP(0xFC);
      gw_uleb(g, g->b, 11); /* memory.fill */
      OP(0x00);
    } else if (which < 4) {
      gw_addr(g);
      gw_i32_const(g, (int32_t)gw_below(g, 64));
      OP(0xFC);
      gw_uleb(g, g->b, 10); /* memory.copy */
      OP(0x00);
      OP(0x00);
    } else if (which < 5) {
      gw_i32_const(g, (int32_t)gw_below(g, 40));
      gw_i32_const(g, (int32_t)gw_below(g, 40));
      OP(0xFC);
      gw_uleb(g, g->b, 8); /* memory.init 1 */
      gw_uleb(g, g->b, 1);
      OP(0x00);
    } else {
      OP(0x1A);
      if (gw_chance(g, 30)) {
        OP(0xFC);
        gw_uleb(g, g->b, 9); /* data.drop 1 */
        gw_uleb(g, g->b, 1);
      }
    }
  } else if (k < 89) {
    /* table.set 0 (slot) (ref.func f | ref.null func) */
    gw_i32_const(g, (int32_t)gw_below(g, g->nfuncs + 3));
    if (gw_chance(g, 70)) {
      OP(0xD2);
      gw_uleb(g, g->b, gw_below(g, g->nfuncs));
    } else {
      OP(0xD0);
      OP(0x70);
    }
    OP(0x26);
    OP(0x00);
  } else if (k < 90) {
    gw_expr(g, T_I32);
    OP(0x04);
    OP(0x40);
    OP(0x00); /* unreachable, when the condition holds */
    OP(0x0B);
  } else {
    /* a call to the host that may trap */
    gw_expr(g, T_I32);
    gw_expr(g, T_I64);
    OP(0x10);
    OP(0x00); /* env.mix */
    OP(0x21);
    int l = gw_local_of(g, T_I32, true);
    if (l < 0) l = gw_new_local(g, T_I32);
    if (l < 0) {
      /* no room for a local: undo the local.set by dropping instead */
      g->b->len--;
      OP(0x1A);
    } else {
      gw_uleb(g, g->b, (uint32_t)l);
    }
  }
  g->depth--;
}

static void gw_stmts(gw *g, int n) {
  for (int i = 0; i < n; i++) gw_stmt(g);
}

/* A loop counting an induction variable up to a bound, compared the ways
 * compilers do (ne, lt, le; signed or not), around straight-line code:
 * the shape the AOT tier gives a fast copy.  Bounds are mostly reachable
 * in a few steps, sometimes not (the loop then runs until fuel ends it). */
static void gw_fast_loop(gw *g) {
  int iv = gw_new_local(g, T_I32);
  if (iv < 0) return;
  g->lcounter[iv] = true;
  static const uint8_t cmps[5] = {0x47, 0x49, 0x48, 0x4D, 0x4C};
  uint8_t cmp = cmps[gw_below(g, 5)];
  int32_t step = 1 << gw_below(g, 4);
  int32_t start =
      gw_chance(g, 70) ? (int32_t)gw_below(g, 32) : (int32_t)gw_next(g);
  int64_t n = 1 + gw_below(g, 24);
  int32_t bound = (int32_t)((int64_t)start + n * step);
  if (gw_chance(g, 10)) bound = (int32_t)gw_next(g);
  if (gw_chance(g, 5)) bound = start; /* ne: wraps around */
  gw_i32_const(g, start);
  OP(0x21);
  gw_uleb(g, g->b, (uint32_t)iv);
  OP(0x03);
  OP(0x40);
  bool was = g->straight;
  int old_iv = g->iv;
  g->straight = true;
  g->iv = iv;
  gw_stmts(g, 1 + (int)gw_below(g, 4));
  g->straight = was;
  g->iv = old_iv;
  OP(0x20);
  gw_uleb(g, g->b, (uint32_t)iv);
  gw_i32_const(g, step);
  OP(0x6A); /* i32.add */
  OP(0x22);
  gw_uleb(g, g->b, (uint32_t)iv);
  gw_i32_const(g, bound);
  OP(cmp);
  OP(0x0D); /* br_if 0 */
  OP(0x00);
  OP(0x0B);
}

/* ---- the module ---- */

static uint32_t gw_type_index(gw *g, const gw_sig *s) {
  for (uint32_t i = 0; i < g->ntypes; i++)
    if (memcmp(&g->types[i], s, sizeof *s) == 0) return i;
  g->types[g->ntypes] = *s;
  return g->ntypes++;
}

static void gw_function(gw *g, uint32_t f, gw_bytes *code) {
  const gw_sig *s = &g->sigs[f];
  g->cur = f;
  gw_bytes body;
  memset(&body, 0, sizeof body);
  g->b = &body;
  g->nparams = s->np;
  g->nlocals = 0;
  for (int i = 0; i < s->np; i++) {
    g->ltype[g->nlocals] = s->p[i];
    g->lcounter[g->nlocals++] = false;
  }
  uint32_t extra = gw_below(g, 5);
  for (uint32_t i = 0; i < extra; i++) gw_new_local(g, gw_any_type(g));
  g->budget = 40 + (int)gw_below(g, 120);
  g->depth = 0;
  g->straight = false;
  g->iv = -1;
  gw_stmts(g, 2 + (int)gw_below(g, 6));
  g->budget = 8; /* room left for the results */
  for (int i = 0; i < s->nr; i++) gw_expr(g, s->r[i]);
  OP(0x0B);
  /* locals after the params, one group each, then the body */
  gw_bytes fn;
  memset(&fn, 0, sizeof fn);
  uint32_t nl = g->nlocals - g->nparams;
  gw_uleb(g, &fn, nl);
  for (uint32_t i = g->nparams; i < g->nlocals; i++) {
    gw_uleb(g, &fn, 1);
    gw_u8(g, &fn, g->ltype[i]);
  }
  gw_put(g, &fn, body.p, body.len);
  free(body.p);
  gw_uleb(g, code, fn.len);
  gw_put(g, code, fn.p, fn.len);
  free(fn.p);
}

int gw_generate(uint64_t seed, gw_bytes *out) {
  gw g;
  memset(&g, 0, sizeof g);
  g.rng = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  if (!g.rng) g.rng = 1;
  for (int i = 0; i < 4; i++) gw_next(&g);
  memset(out, 0, sizeof *out);

  /* imports: env.mix (i32, i64) -> i32, env.peek (i32) -> i32 */
  g.sigs[0] = (gw_sig){2, 1, {T_I32, T_I64}, {T_I32}};
  g.sigs[1] = (gw_sig){1, 1, {T_I32}, {T_I32}};
  uint32_t ndef = 2 + gw_below(&g, GW_MAX_FUNCS - 2);
  g.simd = gw_chance(&g, 35);
  g.nfuncs = GW_NIMPORTS + ndef;
  for (uint32_t f = GW_NIMPORTS; f < g.nfuncs; f++) {
    gw_sig *s = &g.sigs[f];
    memset(s, 0, sizeof *s);
    s->np = (uint8_t)gw_below(&g, 4);
    for (int i = 0; i < s->np; i++) s->p[i] = gw_any_type(&g);
    uint32_t k = gw_below(&g, 10);
    s->nr = k < 2 ? 0 : k < 9 ? 1 : 2;
    for (int i = 0; i < s->nr; i++) s->r[i] = gw_any_type(&g);
  }
  for (uint32_t f = 0; f < g.nfuncs; f++)
    g.type_of[f] = gw_type_index(&g, &g.sigs[f]);

  static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  gw_put(&g, out, magic, 8);
  gw_bytes sec;
  memset(&sec, 0, sizeof sec);

  /* types */
  gw_uleb(&g, &sec, g.ntypes);
  for (uint32_t i = 0; i < g.ntypes; i++) {
    gw_u8(&g, &sec, 0x60);
    gw_uleb(&g, &sec, g.types[i].np);
    gw_put(&g, &sec, g.types[i].p, g.types[i].np);
    gw_uleb(&g, &sec, g.types[i].nr);
    gw_put(&g, &sec, g.types[i].r, g.types[i].nr);
  }
  gw_section(&g, out, 1, &sec);
  /* imports */
  gw_uleb(&g, &sec, 2);
  gw_name(&g, &sec, "env");
  gw_name(&g, &sec, "mix");
  gw_u8(&g, &sec, 0x00);
  gw_uleb(&g, &sec, g.type_of[0]);
  gw_name(&g, &sec, "env");
  gw_name(&g, &sec, "peek");
  gw_u8(&g, &sec, 0x00);
  gw_uleb(&g, &sec, g.type_of[1]);
  gw_section(&g, out, 2, &sec);
  /* functions */
  gw_uleb(&g, &sec, ndef);
  for (uint32_t f = GW_NIMPORTS; f < g.nfuncs; f++)
    gw_uleb(&g, &sec, g.type_of[f]);
  gw_section(&g, out, 3, &sec);
  /* table: every function, then two empty slots */
  gw_uleb(&g, &sec, 1);
  gw_u8(&g, &sec, 0x70);
  gw_u8(&g, &sec, 0x00);
  gw_uleb(&g, &sec, g.nfuncs + 2);
  gw_section(&g, out, 4, &sec);
  /* memory 1..3 pages */
  gw_uleb(&g, &sec, 1);
  gw_u8(&g, &sec, 0x01);
  gw_uleb(&g, &sec, 1);
  gw_uleb(&g, &sec, 3);
  gw_section(&g, out, 5, &sec);
  /* globals: one mutable per scalar type */
  gw_uleb(&g, &sec, 4);
  for (int i = 0; i < 4; i++) {
    gw_u8(&g, &sec, gw_types[i]);
    gw_u8(&g, &sec, 0x01);
    g.b = &sec;
    gw_const(&g, gw_types[i]);
    gw_u8(&g, &sec, 0x0B);
  }
  gw_section(&g, out, 6, &sec);
  /* exports */
  gw_uleb(&g, &sec, ndef + 1 + 4);
  for (uint32_t i = 0; i < ndef; i++) {
    char name[8] = {'f', (char)('0' + i), 0};
    gw_name(&g, &sec, name);
    gw_u8(&g, &sec, 0x00);
    gw_uleb(&g, &sec, GW_NIMPORTS + i);
  }
  gw_name(&g, &sec, "mem");
  gw_u8(&g, &sec, 0x02);
  gw_uleb(&g, &sec, 0);
  for (int i = 0; i < 4; i++) {
    char name[8] = {'g', (char)('0' + i), 0};
    gw_name(&g, &sec, name);
    gw_u8(&g, &sec, 0x03);
    gw_uleb(&g, &sec, (uint32_t)i);
  }
  gw_section(&g, out, 7, &sec);
  /* elements: table[i] = function i */
  gw_uleb(&g, &sec, 1);
  gw_u8(&g, &sec, 0x00);
  gw_u8(&g, &sec, 0x41);
  gw_u8(&g, &sec, 0x00);
  gw_u8(&g, &sec, 0x0B);
  gw_uleb(&g, &sec, g.nfuncs);
  for (uint32_t f = 0; f < g.nfuncs; f++) gw_uleb(&g, &sec, f);
  gw_section(&g, out, 9, &sec);
  /* data count */
  gw_uleb(&g, &sec, 2);
  gw_section(&g, out, 12, &sec);
  /* code */
  gw_uleb(&g, &sec, ndef);
  for (uint32_t f = GW_NIMPORTS; f < g.nfuncs; f++) gw_function(&g, f, &sec);
  gw_section(&g, out, 10, &sec);
  /* data: an active segment somewhere in the first KiB, a passive one */
  gw_uleb(&g, &sec, 2);
  gw_u8(&g, &sec, 0x00);
  gw_u8(&g, &sec, 0x41);
  gw_sleb(&g, &sec, (int32_t)gw_below(&g, 1024));
  gw_u8(&g, &sec, 0x0B);
  gw_uleb(&g, &sec, 32);
  for (int i = 0; i < 32; i++) gw_u8(&g, &sec, (uint8_t)gw_next(&g));
  gw_u8(&g, &sec, 0x01);
  gw_uleb(&g, &sec, 64);
  for (int i = 0; i < 64; i++) gw_u8(&g, &sec, (uint8_t)gw_next(&g));
  gw_section(&g, out, 11, &sec);
  if (g.oom) {
    free(out->p);
    memset(out, 0, sizeof *out);
    return -1;
  }
  return 0;
}
