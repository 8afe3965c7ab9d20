/*
 * aot_gen.c - the interpreter's slot code -> one C translation unit.
 *
 * Input is the cl_code of every defined function (translate.c), which is
 * fully typed: every instruction's operand types follow from its op, the
 * callee's type or the global's type.  So each (slot, value type) pair of
 * a frame becomes one C local ("s12i" is slot 12 as i32, "s12d" as f64)
 * that the C compiler can keep in a register, branch targets become
 * labels, and each wasm function becomes a static C function with typed
 * parameters and results:
 *
 *     RESULT fN(cl_aot_ctx *restrict cx, uint32_t fp, uint32_t d, P...)
 *
 * fp and d are the interpreter's frame position in the slot stack and
 * frame depth, carried along only so that native code runs out of stack
 * ("call stack exhausted") exactly where the interpreter would.  Fuel is
 * charged where the interpreter charges it: one unit on function entry
 * and one per taken loop back-edge; the budget lives in a local and is
 * stored (volatile) into cx->budget at every charge, so a trap, even one
 * raised by a fault, leaves the exact count behind.
 *
 * What the C compiler must not do (and how it is stopped):
 *   - drop a load whose value is unused, or move a memory access across
 *     another one, in guard-page mode: every access to linear memory is a
 *     volatile asm statement with a memory clobber on x86-64 with GCC (a
 *     compiler memory barrier whose address still folds into the
 *     instruction) and a volatile access elsewhere, globals are volatile,
 *     so the accesses happen in program order and a fault leaves exactly
 *     the stores before it in memory;
 *   - fold away a trap: division, remainder and float->int truncation
 *     check their operands explicitly and call the (opaque, noreturn)
 *     trap helper; with explicit bounds checks (CL_AOT_BOUNDS_CHECKS)
 *     each access is guarded the same way;
 *   - change float results: the object is built with -ffp-contract=off
 *     -fno-fast-math -frounding-math (aot_build.c), f32 stays float, and
 *     abs/neg/copysign/reinterpret work on bits.
 *
 * The semantics of every op are the C helpers of the prelude (cl_i32_add
 * and friends, named after the wasm instruction), written to compute what
 * interp.c's handler of the same op computes.
 *
 * Handler words are mapped back to ops through cl_interp_handlers().  Two
 * ops can share one handler word when the interpreter gives them one
 * body: that only happens within the typed variants of one untyped move
 * (COPY_*, CONST_*, SELECT_*), and for those the generator writes the
 * move for every candidate type that is ever read later, so the one that
 * holds the value is right and the others are dead code the C compiler
 * removes.  Any other ambiguity is reported as unsupported.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/aot.h"
#include "engine/interp_ops.h"

const char cl_aot_gen_rev[] = "gen-17";

/* slot value types */
enum { AT_I32, AT_I64, AT_F32, AT_F64, AT_REF, AT_V128, AT_N };
static const char ag_suffix[AT_N] = {'i', 'l', 'f', 'd', 'r', 'v'};
static const char *const ag_ctype[AT_N] = {"uint32_t", "uint64_t", "float",
                                           "double",   "cl_ref",   "cl_v128"};
static const char *const ag_field[AT_N] = {"u32", "u64", "f32",
                                           "f64", "ref", NULL};

static int ag_type(uint8_t vt) {
  switch (vt) {
    case CL_I32:
      return AT_I32;
    case CL_I64:
      return AT_I64;
    case CL_F32:
      return AT_F32;
    case CL_F64:
      return AT_F64;
    case CL_V128:
      return AT_V128;
    default:
      return AT_REF;
  }
}

static uint32_t ag_width(int t) {
  return t == AT_V128 ? 2 : 1;
}

/* ---- the internal ops ---- */

static const char *const ag_iop_name[IOP_COUNT] = {
#define X(name, words) #name,
    CL_IOPS(X)
#undef X
};

/* Operand formats: 's' slot (one unit), 'i' 32-bit immediate, 't' branch
 * target (two units each).  NULL: an op the generator does not know. */
static const char *const ag_fmt[IOP_COUNT] = {
    [IOP_UNREACHABLE] = "",
    [IOP_BR] = "t",
    [IOP_BR_BACK] = "t",
    [IOP_BR_IF] = "st",
    [IOP_BR_IF_BACK] = "st",
    [IOP_BR_UNLESS] = "st",
    [IOP_BR_TABLE] = "si", /* + n+1 targets */
    [IOP_RETURN] = "",
    [IOP_CALL] = "is",
    [IOP_CALL_INTERNAL] = "is",
    [IOP_CALL_INDIRECT] = "iiss",
    [IOP_REF_IS_NULL] = "ss",
    [IOP_GLOBAL_GET] = "si",
    [IOP_GLOBAL_SET] = "is",
    [IOP_GLOBAL_GET_V128] = "si",
    [IOP_GLOBAL_SET_V128] = "is",
    [IOP_TABLE_GET] = "sis",
    [IOP_TABLE_SET] = "iss",
    [IOP_TABLE_SIZE] = "si",
    [IOP_TABLE_GROW] = "siss",
    [IOP_TABLE_FILL] = "isss",
    [IOP_TABLE_COPY] = "iisss",
    [IOP_TABLE_INIT] = "iisss",
    [IOP_ELEM_DROP] = "i",
    [IOP_MEMORY_SIZE] = "s",
    [IOP_MEMORY_GROW] = "ss",
    [IOP_MEMORY_INIT] = "isss",
    [IOP_DATA_DROP] = "i",
    [IOP_MEMORY_COPY] = "sss",
    [IOP_MEMORY_FILL] = "sss",
    [IOP_REF_FUNC] = "si",
#define X(NAME, code, text, type, bytes) [IOP_##NAME] = "ssi",
    CL_LOAD_OPS(X) CL_STORE_OPS(X)
#undef X
#define X(NAME, code, text, in, out) [IOP_##NAME] = "ss",
        CL_UNARY_OPS(X) CL_SAT_OPS(X)
#undef X
#define X(NAME, code, text, in, out) [IOP_##NAME] = "sss",
            CL_BINARY_OPS(X)
#undef X
#define X(NAME) [IOP_##NAME##_I] = "ssi",
                CL_IMM_OPS(X)
#undef X
#define X(NAME, type, op)                                                 \
  [IOP_BR_IF_##NAME] = "sst", [IOP_BR_IF_##NAME##_I] = "sit",             \
  [IOP_BR_IF_##NAME##_BACK] = "sst", [IOP_BR_IF_##NAME##_I_BACK] = "sit", \
  [IOP_BR_UNLESS_##NAME] = "sst", [IOP_BR_UNLESS_##NAME##_I] = "sit",
                    CL_CMP_OPS(X)
#undef X
};

/* the typed variants of an untyped move, recognised by name */
enum { G_NONE, G_COPY, G_CONST, G_SELECT };

static int ag_group_of(int iop, int *type) {
  const char *n = ag_iop_name[iop];
  int g = G_NONE;
  size_t skip = 0;
  if (strncmp(n, "COPY_", 5) == 0)
    g = G_COPY, skip = 5;
  else if (strncmp(n, "CONST_", 6) == 0)
    g = G_CONST, skip = 6;
  else if (strncmp(n, "SELECT_", 7) == 0)
    g = G_SELECT, skip = 7;
  if (g == G_NONE) return G_NONE;
  static const char *const tn[AT_N] = {"I32", "I64", "F32",
                                       "F64", "REF", "V128"};
  for (int t = 0; t < AT_N; t++)
    if (strcmp(n + skip, tn[t]) == 0) {
      *type = t;
      return g;
    }
  return G_NONE;
}

static const char *ag_group_fmt(int g, int t) {
  switch (g) {
    case G_COPY:
      return "ss";
    case G_SELECT:
      return "ssss";
    default:
      switch (t) {
        case AT_I32:
        case AT_F32:
          return "si";
        case AT_I64:
        case AT_F64:
          return "sii";
        case AT_REF:
          return "s";
        default:
          return "siiii";
      }
  }
}

/* loads and stores: C type of the access, conversion to the value */
typedef struct ag_mem {
  const char *ptr;  /* type of the access through a pointer */
  const char *conv; /* cast applied to the loaded value ("" none) */
  int vtype;        /* AT_ type of the value */
  uint32_t bytes;
} ag_mem;

static bool ag_mem_of(int iop, ag_mem *a) {
  switch (iop) {
    case IOP_I32_LOAD:
      *a = (ag_mem){"cl_u32u", "", AT_I32, 4};
      return true;
    case IOP_I64_LOAD:
      *a = (ag_mem){"cl_u64u", "", AT_I64, 8};
      return true;
    case IOP_F32_LOAD:
      *a = (ag_mem){"cl_f32u", "", AT_F32, 4};
      return true;
    case IOP_F64_LOAD:
      *a = (ag_mem){"cl_f64u", "", AT_F64, 8};
      return true;
    case IOP_I32_LOAD8_S:
      *a = (ag_mem){"int8_t", "(uint32_t)(int32_t)", AT_I32, 1};
      return true;
    case IOP_I32_LOAD8_U:
      *a = (ag_mem){"uint8_t", "(uint32_t)", AT_I32, 1};
      return true;
    case IOP_I32_LOAD16_S:
      *a = (ag_mem){"cl_i16u", "(uint32_t)(int32_t)", AT_I32, 2};
      return true;
    case IOP_I32_LOAD16_U:
      *a = (ag_mem){"cl_u16u", "(uint32_t)", AT_I32, 2};
      return true;
    case IOP_I64_LOAD8_S:
      *a = (ag_mem){"int8_t", "(uint64_t)(int64_t)", AT_I64, 1};
      return true;
    case IOP_I64_LOAD8_U:
      *a = (ag_mem){"uint8_t", "(uint64_t)", AT_I64, 1};
      return true;
    case IOP_I64_LOAD16_S:
      *a = (ag_mem){"cl_i16u", "(uint64_t)(int64_t)", AT_I64, 2};
      return true;
    case IOP_I64_LOAD16_U:
      *a = (ag_mem){"cl_u16u", "(uint64_t)", AT_I64, 2};
      return true;
    case IOP_I64_LOAD32_S:
      *a = (ag_mem){"cl_i32u", "(uint64_t)(int64_t)", AT_I64, 4};
      return true;
    case IOP_I64_LOAD32_U:
      *a = (ag_mem){"cl_u32u", "(uint64_t)", AT_I64, 4};
      return true;
    case IOP_I32_STORE:
      *a = (ag_mem){"cl_u32u", "", AT_I32, 4};
      return true;
    case IOP_I64_STORE:
      *a = (ag_mem){"cl_u64u", "", AT_I64, 8};
      return true;
    case IOP_F32_STORE:
      *a = (ag_mem){"cl_f32u", "", AT_F32, 4};
      return true;
    case IOP_F64_STORE:
      *a = (ag_mem){"cl_f64u", "", AT_F64, 8};
      return true;
    case IOP_I32_STORE8:
      *a = (ag_mem){"uint8_t", "(uint8_t)", AT_I32, 1};
      return true;
    case IOP_I32_STORE16:
      *a = (ag_mem){"cl_u16u", "(uint16_t)", AT_I32, 2};
      return true;
    case IOP_I64_STORE8:
      *a = (ag_mem){"uint8_t", "(uint8_t)", AT_I64, 1};
      return true;
    case IOP_I64_STORE16:
      *a = (ag_mem){"cl_u16u", "(uint16_t)", AT_I64, 2};
      return true;
    case IOP_I64_STORE32:
      *a = (ag_mem){"cl_u32u", "(uint32_t)", AT_I64, 4};
      return true;
  }
  return false;
}

static bool ag_is_load(int iop) {
  switch (iop) {
#define X(NAME, code, text, type, bytes) \
  case IOP_##NAME:                       \
    return true;
    CL_LOAD_OPS(X)
#undef X
  }
  return false;
}

/* unary and binary numeric ops: the prelude's helper, operand and result
 * types, and whether it may trap (then it takes cx) */
typedef struct ag_num {
  const char *text; /* "i32.add": the helper is cl_i32_add */
  int in, out;
  bool traps;
} ag_num;

#define AG_T_I32 AT_I32
#define AG_T_I64 AT_I64
#define AG_T_F32 AT_F32
#define AG_T_F64 AT_F64

static bool ag_traps(int iop) {
  switch (iop) {
    case IOP_I32_DIV_S:
    case IOP_I32_DIV_U:
    case IOP_I32_REM_S:
    case IOP_I32_REM_U:
    case IOP_I64_DIV_S:
    case IOP_I64_DIV_U:
    case IOP_I64_REM_S:
    case IOP_I64_REM_U:
    case IOP_I32_DIV_S_I:
    case IOP_I32_DIV_U_I:
    case IOP_I32_REM_S_I:
    case IOP_I32_REM_U_I:
    case IOP_I64_DIV_S_I:
    case IOP_I64_DIV_U_I:
    case IOP_I64_REM_S_I:
    case IOP_I64_REM_U_I:
    case IOP_I32_TRUNC_F32_S:
    case IOP_I32_TRUNC_F32_U:
    case IOP_I32_TRUNC_F64_S:
    case IOP_I32_TRUNC_F64_U:
    case IOP_I64_TRUNC_F32_S:
    case IOP_I64_TRUNC_F32_U:
    case IOP_I64_TRUNC_F64_S:
    case IOP_I64_TRUNC_F64_U:
      return true;
  }
  return false;
}

static bool ag_unary_of(int iop, ag_num *n) {
  switch (iop) {
#define X(NAME, code, text, in, out)                           \
  case IOP_##NAME:                                             \
    *n = (ag_num){text, AG_T_##in, AG_T_##out, ag_traps(iop)}; \
    return true;
    CL_UNARY_OPS(X) CL_SAT_OPS(X)
#undef X
  }
  return false;
}

static bool ag_binary_of(int iop, ag_num *n) {
  switch (iop) {
#define X(NAME, code, text, in, out)                           \
  case IOP_##NAME:                                             \
    *n = (ag_num){text, AG_T_##in, AG_T_##out, ag_traps(iop)}; \
    return true;
    CL_BINARY_OPS(X)
#undef X
  }
  return false;
}

static bool ag_imm_of(int iop, ag_num *n) {
  switch (iop) {
#define X(NAME)        \
  case IOP_##NAME##_I: \
    return ag_binary_of(IOP_##NAME, n);
    CL_IMM_OPS(X)
#undef X
  }
  return false;
}

/* fused compare-and-branch: C operand type and operator */
typedef struct ag_cmp {
  const char *ctype;
  int vtype;
  const char *op;
  bool imm, back, unless;
} ag_cmp;

static bool ag_cmp_of(int iop, ag_cmp *c) {
#define AG_CT_u32 "uint32_t", AT_I32
#define AG_CT_i32 "int32_t", AT_I32
#define AG_CT_u64 "uint64_t", AT_I64
#define AG_CT_i64 "int64_t", AT_I64
#define AG_CMP1(IOPNAME, type, OP, IMM, BACK, UNLESS)    \
  case IOP_##IOPNAME:                                    \
    *c = (ag_cmp){AG_CT_##type, #OP, IMM, BACK, UNLESS}; \
    return true;
  switch (iop) {
#define X(NAME, type, op)                                     \
  AG_CMP1(BR_IF_##NAME, type, op, false, false, false)        \
  AG_CMP1(BR_IF_##NAME##_I, type, op, true, false, false)     \
  AG_CMP1(BR_IF_##NAME##_BACK, type, op, false, true, false)  \
  AG_CMP1(BR_IF_##NAME##_I_BACK, type, op, true, true, false) \
  AG_CMP1(BR_UNLESS_##NAME, type, op, false, false, true)     \
  AG_CMP1(BR_UNLESS_##NAME##_I, type, op, true, false, true)
    CL_CMP_OPS(X)
#undef X
  }
  return false;
#undef AG_CMP1
}

/* SIMD ops: one per row of CL_SIMD_OPS but v128.const (CONST_V128) */
typedef struct ag_simd {
  int iop;
  uint8_t shape;
  uint8_t type; /* scalar operand/result type: CL_I32... or CL_V128 */
  uint8_t n;    /* access bytes of memory shapes */
  const char *text;
} ag_simd;

#define AG_SIMD_ROW(NAME, text, SHAPE, T, N) \
  {IOP_##NAME, CL_SIMD_##SHAPE, CL_##T, N, text},
#define AG_SIMD_LOAD AG_SIMD_ROW
#define AG_SIMD_STORE AG_SIMD_ROW
#define AG_SIMD_LOAD_LANE AG_SIMD_ROW
#define AG_SIMD_STORE_LANE AG_SIMD_ROW
#define AG_SIMD_CONST(NAME, text, SHAPE, T, N)
#define AG_SIMD_SHUFFLE AG_SIMD_ROW
#define AG_SIMD_SPLAT AG_SIMD_ROW
#define AG_SIMD_EXTRACT AG_SIMD_ROW
#define AG_SIMD_REPLACE AG_SIMD_ROW
#define AG_SIMD_UNARY AG_SIMD_ROW
#define AG_SIMD_BINARY AG_SIMD_ROW
#define AG_SIMD_TERNARY AG_SIMD_ROW
#define AG_SIMD_TEST AG_SIMD_ROW
#define AG_SIMD_SHIFT AG_SIMD_ROW
static const ag_simd ag_simd_ops[] = {
#define X(NAME, sub, text, SHAPE, T, N) AG_SIMD_##SHAPE(NAME, text, SHAPE, T, N)
    CL_SIMD_OPS(X)
#undef X
};

static const ag_simd *ag_simd_of(int iop) {
  size_t n = sizeof ag_simd_ops / sizeof ag_simd_ops[0];
  if (iop < ag_simd_ops[0].iop || iop > ag_simd_ops[n - 1].iop) return NULL;
  for (size_t i = 0; i < n; i++)
    if (ag_simd_ops[i].iop == iop) return &ag_simd_ops[i];
  return NULL;
}

static const char *ag_simd_fmt(uint8_t shape) {
  switch (shape) {
    case CL_SIMD_LOAD:
    case CL_SIMD_STORE:
      return "ssi";
    case CL_SIMD_LOAD_LANE:
      return "sssii";
    case CL_SIMD_STORE_LANE:
      return "ssii";
    case CL_SIMD_SHUFFLE:
      return "sssiiii";
    case CL_SIMD_SPLAT:
    case CL_SIMD_UNARY:
    case CL_SIMD_TEST:
      return "ss";
    case CL_SIMD_EXTRACT:
      return "ssi";
    case CL_SIMD_REPLACE:
      return "sssi";
    case CL_SIMD_BINARY:
    case CL_SIMD_SHIFT:
      return "sss";
    case CL_SIMD_TERNARY:
      return "ssss";
  }
  return NULL;
}

/* ---- output ---- */

static void ag_vput(cl_aot_src *s, const char *fmt, va_list ap) {
  if (s->oom) return;
  for (;;) {
    size_t room = s->cap - s->len;
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? room : 0, fmt, aq);
    va_end(aq);
    if (n < 0) {
      s->oom = true;
      return;
    }
    if ((size_t)n < room) {
      s->len += (size_t)n;
      return;
    }
    size_t cap = s->cap ? s->cap * 2 : 65536;
    while (cap < s->len + (size_t)n + 1) cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p) {
      s->oom = true;
      return;
    }
    s->p = p;
    s->cap = cap;
  }
}

static void ag_put(cl_aot_src *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ag_put(cl_aot_src *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ag_vput(s, fmt, ap);
  va_end(ap);
}

static void ag_append(cl_aot_src *s, const char *p, size_t n) {
  if (s->oom || !n) return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 65536;
    while (cap < s->len + n + 1) cap *= 2;
    char *q = realloc(s->p, cap);
    if (!q) {
      s->oom = true;
      return;
    }
    s->p = q;
    s->cap = cap;
  }
  memcpy(s->p + s->len, p, n);
  s->len += n;
  s->p[s->len] = 0;
}

void cl_aot_src_free(cl_aot_src *s) {
  free(s->p);
  memset(s, 0, sizeof *s);
}

/* ---- the prelude: types and the semantics of every op ---- */

static const char ag_prelude_abi[] = CL_AOT_STR(CL_AOT_ABI_DECLS);

static const char ag_prelude[] =
    "typedef uint16_t cl_u16u __attribute__((aligned(1), may_alias));\n"
    "typedef int16_t cl_i16u __attribute__((aligned(1), may_alias));\n"
    "typedef uint32_t cl_u32u __attribute__((aligned(1), may_alias));\n"
    "typedef int32_t cl_i32u __attribute__((aligned(1), may_alias));\n"
    "typedef uint64_t cl_u64u __attribute__((aligned(1), may_alias));\n"
    "typedef float cl_f32u __attribute__((aligned(1), may_alias));\n"
    "typedef double cl_f64u __attribute__((aligned(1), may_alias));\n"
    "typedef uint8_t cl_v128 __attribute__((vector_size(16)));\n"
    "typedef void *cl_ref;\n"
    /* accesses through memcpy: for the fast copies of loops, where the
     * vectorizer wants plain (not under-aligned) element types */
    "#define CL_LDST(A, T) static inline __attribute__((always_inline)) T "
    "cl_ld_##A(const void *p) { T v; __builtin_memcpy(&v, p, sizeof v); "
    "return v; } static inline __attribute__((always_inline)) void "
    "cl_st_##A(void *p, T v) { __builtin_memcpy(p, &v, sizeof v); }\n"
    "CL_LDST(uint8_t, uint8_t) CL_LDST(int8_t, int8_t) CL_LDST(cl_u16u, "
    "uint16_t) CL_LDST(cl_i16u, int16_t)\n"
    "CL_LDST(cl_u32u, uint32_t) CL_LDST(cl_i32u, int32_t) CL_LDST(cl_u64u, "
    "uint64_t) CL_LDST(cl_f32u, float) CL_LDST(cl_f64u, double)\n"
    "#define CL_UNLIKELY(x) __builtin_expect(!!(x), 0)\n"
    "#define CL_INL static inline __attribute__((always_inline))\n"
    "static __attribute__((noreturn, cold, noinline)) void\n"
    "cl_trap(cl_aot_ctx *cx, int k) { cx->api->trap(cx, k); }\n"
    "#define CL_CP() do { if (CL_UNLIKELY(--budget < 0)) budget = "
    "cx->api->refill(cx); *(volatile int64_t *)&cx->budget = budget; } "
    "while (0)\n"
    /* bits */
    "CL_INL uint32_t cl_fb32(float f) { union { float f; uint32_t u; } x; "
    "x.f = f; return x.u; }\n"
    "CL_INL float cl_bf32(uint32_t u) { union { uint32_t u; float f; } x; "
    "x.u = u; return x.f; }\n"
    "CL_INL uint64_t cl_fb64(double f) { union { double f; uint64_t u; } x; "
    "x.f = f; return x.u; }\n"
    "CL_INL double cl_bf64(uint64_t u) { union { uint64_t u; double f; } x; "
    "x.u = u; return x.f; }\n"
    /* unary */
    "CL_INL uint32_t cl_i32_eqz(uint32_t a) { return a == 0; }\n"
    "CL_INL uint32_t cl_i64_eqz(uint64_t a) { return a == 0; }\n"
    "CL_INL uint32_t cl_i32_clz(uint32_t a) { return a ? "
    "(uint32_t)__builtin_clz(a) : 32; }\n"
    "CL_INL uint32_t cl_i32_ctz(uint32_t a) { return a ? "
    "(uint32_t)__builtin_ctz(a) : 32; }\n"
    "CL_INL uint32_t cl_i32_popcnt(uint32_t a) { return "
    "(uint32_t)__builtin_popcount(a); }\n"
    "CL_INL uint64_t cl_i64_clz(uint64_t a) { return a ? "
    "(uint64_t)__builtin_clzll(a) : 64; }\n"
    "CL_INL uint64_t cl_i64_ctz(uint64_t a) { return a ? "
    "(uint64_t)__builtin_ctzll(a) : 64; }\n"
    "CL_INL uint64_t cl_i64_popcnt(uint64_t a) { return "
    "(uint64_t)__builtin_popcountll(a); }\n"
    "CL_INL float cl_f32_abs(float a) { return cl_bf32(cl_fb32(a) & "
    "0x7FFFFFFFu); }\n"
    "CL_INL float cl_f32_neg(float a) { return cl_bf32(cl_fb32(a) ^ "
    "0x80000000u); }\n"
    "CL_INL float cl_f32_ceil(float a) { return a != a ? a + a : "
    "__builtin_ceilf(a); }\n"
    "CL_INL float cl_f32_floor(float a) { return a != a ? a + a : "
    "__builtin_floorf(a); }\n"
    "CL_INL float cl_f32_trunc(float a) { return a != a ? a + a : "
    "__builtin_truncf(a); }\n"
    "CL_INL float cl_f32_nearest(float a) { return a != a ? a + a : "
    "__builtin_nearbyintf(a); }\n"
    "CL_INL float cl_f32_sqrt(float a) { return __builtin_sqrtf(a); }\n"
    "CL_INL double cl_f64_abs(double a) { return cl_bf64(cl_fb64(a) & "
    "0x7FFFFFFFFFFFFFFFull); }\n"
    "CL_INL double cl_f64_neg(double a) { return cl_bf64(cl_fb64(a) ^ "
    "0x8000000000000000ull); }\n"
    "CL_INL double cl_f64_ceil(double a) { return a != a ? a + a : "
    "__builtin_ceil(a); }\n"
    "CL_INL double cl_f64_floor(double a) { return a != a ? a + a : "
    "__builtin_floor(a); }\n"
    "CL_INL double cl_f64_trunc(double a) { return a != a ? a + a : "
    "__builtin_trunc(a); }\n"
    "CL_INL double cl_f64_nearest(double a) { return a != a ? a + a : "
    "__builtin_nearbyint(a); }\n"
    "CL_INL double cl_f64_sqrt(double a) { return __builtin_sqrt(a); }\n"
    "CL_INL uint32_t cl_i32_wrap_i64(uint64_t a) { return (uint32_t)a; }\n"
    "CL_INL uint32_t cl_i32_trunc_f32_s(cl_aot_ctx *cx, float a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a >= -2147483648.0f && a < 2147483648.0f))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint32_t)(int32_t)a; }\n"
    "CL_INL uint32_t cl_i32_trunc_f32_u(cl_aot_ctx *cx, float a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a > -1.0f && a < 4294967296.0f))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint32_t)a; }\n"
    "CL_INL uint32_t cl_i32_trunc_f64_s(cl_aot_ctx *cx, double a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a > -2147483649.0 && a < 2147483648.0))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint32_t)(int32_t)a; }\n"
    "CL_INL uint32_t cl_i32_trunc_f64_u(cl_aot_ctx *cx, double a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a > -1.0 && a < 4294967296.0))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint32_t)a; }\n"
    "CL_INL uint64_t cl_i64_extend_i32_s(uint32_t a) { return "
    "(uint64_t)(int64_t)(int32_t)a; }\n"
    "CL_INL uint64_t cl_i64_extend_i32_u(uint32_t a) { return a; }\n"
    "CL_INL uint64_t cl_i64_trunc_f32_s(cl_aot_ctx *cx, float a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a >= -9223372036854775808.0f && a < "
    "9223372036854775808.0f))) cl_trap(cx, CL_T_OVF);\n"
    "  return (uint64_t)(int64_t)a; }\n"
    "CL_INL uint64_t cl_i64_trunc_f32_u(cl_aot_ctx *cx, float a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a > -1.0f && a < 18446744073709551616.0f))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint64_t)a; }\n"
    "CL_INL uint64_t cl_i64_trunc_f64_s(cl_aot_ctx *cx, double a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a >= -9223372036854775808.0 && a < "
    "9223372036854775808.0))) cl_trap(cx, CL_T_OVF);\n"
    "  return (uint64_t)(int64_t)a; }\n"
    "CL_INL uint64_t cl_i64_trunc_f64_u(cl_aot_ctx *cx, double a) {\n"
    "  if (CL_UNLIKELY(a != a)) cl_trap(cx, CL_T_CONV);\n"
    "  if (CL_UNLIKELY(!(a > -1.0 && a < 18446744073709551616.0))) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint64_t)a; }\n"
    "CL_INL float cl_f32_convert_i32_s(uint32_t a) { return "
    "(float)(int32_t)a; }\n"
    "CL_INL float cl_f32_convert_i32_u(uint32_t a) { return (float)a; }\n"
    "CL_INL float cl_f32_convert_i64_s(uint64_t a) { return "
    "(float)(int64_t)a; }\n"
    "CL_INL float cl_f32_convert_i64_u(uint64_t a) { return (float)a; }\n"
    "CL_INL float cl_f32_demote_f64(double a) { return (float)a; }\n"
    "CL_INL double cl_f64_convert_i32_s(uint32_t a) { return "
    "(double)(int32_t)a; }\n"
    "CL_INL double cl_f64_convert_i32_u(uint32_t a) { return (double)a; }\n"
    "CL_INL double cl_f64_convert_i64_s(uint64_t a) { return "
    "(double)(int64_t)a; }\n"
    "CL_INL double cl_f64_convert_i64_u(uint64_t a) { return (double)a; }\n"
    /* opaque, so that demote(promote(x)) is not folded to x: the pair
     * must quiet a signalling NaN */
    "#if defined(__x86_64__) || defined(__i386__)\n"
    "#define CL_OPAQUE(v) __asm__(\"\" : \"+x\"(v))\n"
    "#elif defined(__aarch64__)\n"
    "#define CL_OPAQUE(v) __asm__(\"\" : \"+w\"(v))\n"
    "#else\n"
    "#define CL_OPAQUE(v) __asm__(\"\" : \"+m\"(v))\n"
    "#endif\n"
    "CL_INL double cl_f64_promote_f32(float a) { double r = (double)a; "
    "CL_OPAQUE(r); return r; }\n"
    "CL_INL float cl_nan32(uint32_t u) { float f = cl_bf32(u); CL_OPAQUE(f); "
    "return f; }\n"
    "CL_INL double cl_nan64(uint64_t u) { double f = cl_bf64(u); "
    "CL_OPAQUE(f); return f; }\n"
    "CL_INL uint32_t cl_i32_reinterpret_f32(float a) { return cl_fb32(a); }\n"
    "CL_INL uint64_t cl_i64_reinterpret_f64(double a) { return cl_fb64(a); "
    "}\n"
    "CL_INL float cl_f32_reinterpret_i32(uint32_t a) { return cl_bf32(a); }\n"
    "CL_INL double cl_f64_reinterpret_i64(uint64_t a) { return cl_bf64(a); "
    "}\n"
    "CL_INL uint32_t cl_i32_extend8_s(uint32_t a) { return "
    "(uint32_t)(int32_t)(int8_t)a; }\n"
    "CL_INL uint32_t cl_i32_extend16_s(uint32_t a) { return "
    "(uint32_t)(int32_t)(int16_t)a; }\n"
    "CL_INL uint64_t cl_i64_extend8_s(uint64_t a) { return "
    "(uint64_t)(int64_t)(int8_t)a; }\n"
    "CL_INL uint64_t cl_i64_extend16_s(uint64_t a) { return "
    "(uint64_t)(int64_t)(int16_t)a; }\n"
    "CL_INL uint64_t cl_i64_extend32_s(uint64_t a) { return "
    "(uint64_t)(int64_t)(int32_t)a; }\n"
    "CL_INL uint32_t cl_sat_i32(double x) { if (x != x) return 0; "
    "if (x <= -2147483648.0) return 0x80000000u; if (x >= 2147483647.0) "
    "return 0x7FFFFFFFu; return (uint32_t)(int32_t)x; }\n"
    "CL_INL uint32_t cl_sat_u32(double x) { if (x != x || x <= 0) return 0; "
    "if (x >= 4294967295.0) return 0xFFFFFFFFu; return (uint32_t)x; }\n"
    "CL_INL uint64_t cl_sat_i64(double x) { if (x != x) return 0; "
    "if (x < -9223372036854775808.0) return 0x8000000000000000ull; "
    "if (x >= 9223372036854775808.0) return 0x7FFFFFFFFFFFFFFFull; "
    "return (uint64_t)(int64_t)x; }\n"
    "CL_INL uint64_t cl_sat_u64(double x) { if (x != x || x <= 0) return 0; "
    "if (x >= 18446744073709551616.0) return ~0ull; return (uint64_t)x; }\n"
    "CL_INL uint32_t cl_i32_trunc_sat_f32_s(float a) { return "
    "cl_sat_i32(a); }\n"
    "CL_INL uint32_t cl_i32_trunc_sat_f32_u(float a) { return "
    "cl_sat_u32(a); }\n"
    "CL_INL uint32_t cl_i32_trunc_sat_f64_s(double a) { return "
    "cl_sat_i32(a); }\n"
    "CL_INL uint32_t cl_i32_trunc_sat_f64_u(double a) { return "
    "cl_sat_u32(a); }\n"
    "CL_INL uint64_t cl_i64_trunc_sat_f32_s(float a) { return "
    "cl_sat_i64(a); }\n"
    "CL_INL uint64_t cl_i64_trunc_sat_f32_u(float a) { return "
    "cl_sat_u64(a); }\n"
    "CL_INL uint64_t cl_i64_trunc_sat_f64_s(double a) { return "
    "cl_sat_i64(a); }\n"
    "CL_INL uint64_t cl_i64_trunc_sat_f64_u(double a) { return "
    "cl_sat_u64(a); }\n"
    /* compares */
    "#define CL_CMP(N, T, U, E) CL_INL uint32_t N(T a, T b) { return "
    "(U)a E (U)b; }\n"
    "CL_CMP(cl_i32_eq, uint32_t, uint32_t, ==)\n"
    "CL_CMP(cl_i32_ne, uint32_t, uint32_t, !=)\n"
    "CL_CMP(cl_i32_lt_s, uint32_t, int32_t, <)\n"
    "CL_CMP(cl_i32_lt_u, uint32_t, uint32_t, <)\n"
    "CL_CMP(cl_i32_gt_s, uint32_t, int32_t, >)\n"
    "CL_CMP(cl_i32_gt_u, uint32_t, uint32_t, >)\n"
    "CL_CMP(cl_i32_le_s, uint32_t, int32_t, <=)\n"
    "CL_CMP(cl_i32_le_u, uint32_t, uint32_t, <=)\n"
    "CL_CMP(cl_i32_ge_s, uint32_t, int32_t, >=)\n"
    "CL_CMP(cl_i32_ge_u, uint32_t, uint32_t, >=)\n"
    "CL_CMP(cl_i64_eq, uint64_t, uint64_t, ==)\n"
    "CL_CMP(cl_i64_ne, uint64_t, uint64_t, !=)\n"
    "CL_CMP(cl_i64_lt_s, uint64_t, int64_t, <)\n"
    "CL_CMP(cl_i64_lt_u, uint64_t, uint64_t, <)\n"
    "CL_CMP(cl_i64_gt_s, uint64_t, int64_t, >)\n"
    "CL_CMP(cl_i64_gt_u, uint64_t, uint64_t, >)\n"
    "CL_CMP(cl_i64_le_s, uint64_t, int64_t, <=)\n"
    "CL_CMP(cl_i64_le_u, uint64_t, uint64_t, <=)\n"
    "CL_CMP(cl_i64_ge_s, uint64_t, int64_t, >=)\n"
    "CL_CMP(cl_i64_ge_u, uint64_t, uint64_t, >=)\n"
    "CL_CMP(cl_f32_eq, float, float, ==)\n"
    "CL_CMP(cl_f32_ne, float, float, !=)\n"
    "CL_CMP(cl_f32_lt, float, float, <)\n"
    "CL_CMP(cl_f32_gt, float, float, >)\n"
    "CL_CMP(cl_f32_le, float, float, <=)\n"
    "CL_CMP(cl_f32_ge, float, float, >=)\n"
    "CL_CMP(cl_f64_eq, double, double, ==)\n"
    "CL_CMP(cl_f64_ne, double, double, !=)\n"
    "CL_CMP(cl_f64_lt, double, double, <)\n"
    "CL_CMP(cl_f64_gt, double, double, >)\n"
    "CL_CMP(cl_f64_le, double, double, <=)\n"
    "CL_CMP(cl_f64_ge, double, double, >=)\n"
    /* integer arithmetic */
    "#define CL_BIN(N, T, X) CL_INL T N(T a, T b) { return X; }\n"
    "CL_BIN(cl_i32_add, uint32_t, a + b)\n"
    "CL_BIN(cl_i32_sub, uint32_t, a - b)\n"
    "CL_BIN(cl_i32_mul, uint32_t, a * b)\n"
    "CL_BIN(cl_i32_and, uint32_t, a & b)\n"
    "CL_BIN(cl_i32_or, uint32_t, a | b)\n"
    "CL_BIN(cl_i32_xor, uint32_t, a ^ b)\n"
    "CL_BIN(cl_i32_shl, uint32_t, a << (b & 31))\n"
    "CL_BIN(cl_i32_shr_s, uint32_t, (uint32_t)((int32_t)a >> (b & 31)))\n"
    "CL_BIN(cl_i32_shr_u, uint32_t, a >> (b & 31))\n"
    "CL_BIN(cl_i32_rotl, uint32_t, (a << (b & 31)) | (a >> ((32 - (b & 31)) "
    "& 31)))\n"
    "CL_BIN(cl_i32_rotr, uint32_t, (a >> (b & 31)) | (a << ((32 - (b & 31)) "
    "& 31)))\n"
    "CL_BIN(cl_i64_add, uint64_t, a + b)\n"
    "CL_BIN(cl_i64_sub, uint64_t, a - b)\n"
    "CL_BIN(cl_i64_mul, uint64_t, a * b)\n"
    "CL_BIN(cl_i64_and, uint64_t, a & b)\n"
    "CL_BIN(cl_i64_or, uint64_t, a | b)\n"
    "CL_BIN(cl_i64_xor, uint64_t, a ^ b)\n"
    "CL_BIN(cl_i64_shl, uint64_t, a << (b & 63))\n"
    "CL_BIN(cl_i64_shr_s, uint64_t, (uint64_t)((int64_t)a >> (b & 63)))\n"
    "CL_BIN(cl_i64_shr_u, uint64_t, a >> (b & 63))\n"
    "CL_BIN(cl_i64_rotl, uint64_t, (a << (b & 63)) | (a >> ((64 - (b & 63)) "
    "& 63)))\n"
    "CL_BIN(cl_i64_rotr, uint64_t, (a >> (b & 63)) | (a << ((64 - (b & 63)) "
    "& 63)))\n"
    "CL_INL uint32_t cl_i32_div_s(cl_aot_ctx *cx, uint32_t a, uint32_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  if (CL_UNLIKELY(a == 0x80000000u && b == 0xFFFFFFFFu)) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint32_t)((int32_t)a / (int32_t)b); }\n"
    "CL_INL uint32_t cl_i32_div_u(cl_aot_ctx *cx, uint32_t a, uint32_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return a / b; }\n"
    "CL_INL uint32_t cl_i32_rem_s(cl_aot_ctx *cx, uint32_t a, uint32_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return b == 0xFFFFFFFFu ? 0 : (uint32_t)((int32_t)a % (int32_t)b); }\n"
    "CL_INL uint32_t cl_i32_rem_u(cl_aot_ctx *cx, uint32_t a, uint32_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return a % b; }\n"
    "CL_INL uint64_t cl_i64_div_s(cl_aot_ctx *cx, uint64_t a, uint64_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  if (CL_UNLIKELY(a == 0x8000000000000000ull && b == ~0ull)) "
    "cl_trap(cx, CL_T_OVF);\n"
    "  return (uint64_t)((int64_t)a / (int64_t)b); }\n"
    "CL_INL uint64_t cl_i64_div_u(cl_aot_ctx *cx, uint64_t a, uint64_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return a / b; }\n"
    "CL_INL uint64_t cl_i64_rem_s(cl_aot_ctx *cx, uint64_t a, uint64_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b); }\n"
    "CL_INL uint64_t cl_i64_rem_u(cl_aot_ctx *cx, uint64_t a, uint64_t b) {\n"
    "  if (CL_UNLIKELY(b == 0)) cl_trap(cx, CL_T_DIV0);\n"
    "  return a % b; }\n"
    /* float arithmetic: the host's IEEE operations, as the interpreter's
     * (which of two NaN operands comes out is the host's choice, in both
     * tiers, as wasm allows) */
    "CL_BIN(cl_f32_add, float, a + b)\n"
    "CL_BIN(cl_f32_mul, float, a * b)\n"
    "CL_BIN(cl_f64_add, double, a + b)\n"
    "CL_BIN(cl_f64_mul, double, a * b)\n"
    "CL_BIN(cl_f32_sub, float, a - b)\n"
    "CL_BIN(cl_f32_div, float, a / b)\n"
    "CL_BIN(cl_f64_sub, double, a - b)\n"
    "CL_BIN(cl_f64_div, double, a / b)\n"
    "CL_INL float cl_f32_min(float a, float b) {\n"
    "  if (a != a || b != b) return cl_f32_add(a, b);\n"
    "  if (a == 0 && b == 0) return (cl_fb32(a) >> 31) ? a : b;\n"
    "  return a < b ? a : b; }\n"
    "CL_INL float cl_f32_max(float a, float b) {\n"
    "  if (a != a || b != b) return cl_f32_add(a, b);\n"
    "  if (a == 0 && b == 0) return (cl_fb32(a) >> 31) ? b : a;\n"
    "  return a > b ? a : b; }\n"
    "CL_INL double cl_f64_min(double a, double b) {\n"
    "  if (a != a || b != b) return cl_f64_add(a, b);\n"
    "  if (a == 0 && b == 0) return (cl_fb64(a) >> 63) ? a : b;\n"
    "  return a < b ? a : b; }\n"
    "CL_INL double cl_f64_max(double a, double b) {\n"
    "  if (a != a || b != b) return cl_f64_add(a, b);\n"
    "  if (a == 0 && b == 0) return (cl_fb64(a) >> 63) ? b : a;\n"
    "  return a > b ? a : b; }\n"
    "CL_INL float cl_f32_copysign(float a, float b) { return "
    "cl_bf32((cl_fb32(a) & 0x7FFFFFFFu) | (cl_fb32(b) & 0x80000000u)); }\n"
    "CL_INL double cl_f64_copysign(double a, double b) { return "
    "cl_bf64((cl_fb64(a) & 0x7FFFFFFFFFFFFFFFull) | (cl_fb64(b) & "
    "0x8000000000000000ull)); }\n";

/* SIMD: v128 values are 16-byte GCC vectors (cl_v128, bytes); each op
 * views them as the lane type it needs (a cast reinterprets the bits, it
 * costs nothing).  The semantics are those of interp_simd.h/.inc: the
 * same lane-wise formulas, intrinsics only where the host instruction is
 * exactly the wasm operation. */
static const char ag_prelude_simd[] =
    "#define CL_SIMD 1\n"
    "#if defined(__SSE2__)\n#include <immintrin.h>\n#endif\n"
    "typedef int8_t cl_i8x16 __attribute__((vector_size(16)));\n"
    "typedef uint8_t cl_u8x16 __attribute__((vector_size(16)));\n"
    "typedef int16_t cl_i16x8 __attribute__((vector_size(16)));\n"
    "typedef uint16_t cl_u16x8 __attribute__((vector_size(16)));\n"
    "typedef int32_t cl_i32x4 __attribute__((vector_size(16)));\n"
    "typedef uint32_t cl_u32x4 __attribute__((vector_size(16)));\n"
    "typedef int64_t cl_i64x2 __attribute__((vector_size(16)));\n"
    "typedef uint64_t cl_u64x2 __attribute__((vector_size(16)));\n"
    "typedef float cl_f32x4 __attribute__((vector_size(16)));\n"
    "typedef double cl_f64x2 __attribute__((vector_size(16)));\n"
    "typedef int8_t cl_i8x8 __attribute__((vector_size(8)));\n"
    "typedef uint8_t cl_u8x8 __attribute__((vector_size(8)));\n"
    "typedef int16_t cl_i16x4 __attribute__((vector_size(8)));\n"
    "typedef uint16_t cl_u16x4 __attribute__((vector_size(8)));\n"
    "typedef int32_t cl_i32x2 __attribute__((vector_size(8)));\n"
    "typedef uint32_t cl_u32x2 __attribute__((vector_size(8)));\n"
    "typedef uint8_t cl_v128u __attribute__((vector_size(16), aligned(1), "
    "may_alias));\n"
    "CL_LDST(cl_v128u, cl_v128)\n"
    "#define VB(x) ((cl_v128)(x))\n"
    "#ifdef __clang__\n"
    "#define CL_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)\n"
    "#else\n"
    "#define CL_SHUF(a, b, ...) __builtin_shuffle(a, b, "
    "(cl_u8x16){__VA_ARGS__})\n"
    "#endif\n"
    "#define I8(x) ((cl_i8x16)(x))\n#define U8(x) ((cl_u8x16)(x))\n"
    "#define I16(x) ((cl_i16x8)(x))\n#define U16(x) ((cl_u16x8)(x))\n"
    "#define I32(x) ((cl_i32x4)(x))\n#define U32(x) ((cl_u32x4)(x))\n"
    "#define I64(x) ((cl_i64x2)(x))\n#define U64(x) ((cl_u64x2)(x))\n"
    "#define F32(x) ((cl_f32x4)(x))\n#define F64(x) ((cl_f64x2)(x))\n"
    "CL_INL cl_v128 cl_blend(cl_v128 m, cl_v128 a, cl_v128 b) { return (m & a) "
    "| (~m & b); }\n"
    /* loads */
    "#define CL_WIDEN(N, S, D) CL_INL cl_v128 N(uint64_t x) { S v; "
    "__builtin_memcpy(&v, &x, 8); return VB(__builtin_convertvector(v, D)); }\n"
    "CL_WIDEN(cl_v128_load8x8_s, cl_i8x8, cl_i16x8)\n"
    "CL_WIDEN(cl_v128_load8x8_u, cl_u8x8, cl_u16x8)\n"
    "CL_WIDEN(cl_v128_load16x4_s, cl_i16x4, cl_i32x4)\n"
    "CL_WIDEN(cl_v128_load16x4_u, cl_u16x4, cl_u32x4)\n"
    "CL_WIDEN(cl_v128_load32x2_s, cl_i32x2, cl_i64x2)\n"
    "CL_WIDEN(cl_v128_load32x2_u, cl_u32x2, cl_u64x2)\n"
    /* a vector plus a scalar broadcasts the scalar: one vpbroadcast (or
     * movd+pshufd) where a lane-by-lane build costs a move per lane.
     * Integers only (exact); float splats go through their bits below. */
    "#define CL_SPLAT(N, V, T, LANES) CL_INL cl_v128 N(T x) { V r = (V){0} "
    "+ x; return VB(r); }\n"
    "CL_SPLAT(cl_v128_load8_splat, cl_u8x16, uint8_t, 16)\n"
    "CL_SPLAT(cl_v128_load16_splat, cl_u16x8, uint16_t, 8)\n"
    "CL_SPLAT(cl_v128_load32_splat, cl_u32x4, uint32_t, 4)\n"
    "CL_SPLAT(cl_v128_load64_splat, cl_u64x2, uint64_t, 2)\n"
    "CL_INL cl_v128 cl_v128_load32_zero(uint32_t x) { cl_u32x4 r = {x, 0, 0, "
    "0}; return VB(r); }\n"
    "CL_INL cl_v128 cl_v128_load64_zero(uint64_t x) { cl_u64x2 r = {x, 0}; "
    "return VB(r); }\n"
    "#define CL_LDLANE(N, V, T, L) CL_INL cl_v128 N(cl_v128 v, uint32_t l, T "
    "x) { V t = (V)v; t[l & (L - 1)] = x; return VB(t); }\n"
    "CL_LDLANE(cl_v128_load8_lane, cl_u8x16, uint8_t, 16)\n"
    "CL_LDLANE(cl_v128_load16_lane, cl_u16x8, uint16_t, 8)\n"
    "CL_LDLANE(cl_v128_load32_lane, cl_u32x4, uint32_t, 4)\n"
    "CL_LDLANE(cl_v128_load64_lane, cl_u64x2, uint64_t, 2)\n"
    "#define CL_STLANE(N, V, T, L) CL_INL T N(cl_v128 v, uint32_t l) { return "
    "((V)v)[l & (L - 1)]; }\n"
    "CL_STLANE(cl_v128_store8_lane, cl_u8x16, uint8_t, 16)\n"
    "CL_STLANE(cl_v128_store16_lane, cl_u16x8, uint16_t, 8)\n"
    "CL_STLANE(cl_v128_store32_lane, cl_u32x4, uint32_t, 4)\n"
    "CL_STLANE(cl_v128_store64_lane, cl_u64x2, uint64_t, 2)\n"
    /* splat, extract, replace */
    "CL_SPLAT(cl_i8x16_splat, cl_u8x16, uint8_t, 16)\n"
    "CL_SPLAT(cl_i16x8_splat, cl_u16x8, uint16_t, 8)\n"
    "CL_SPLAT(cl_i32x4_splat, cl_u32x4, uint32_t, 4)\n"
    "CL_SPLAT(cl_i64x2_splat, cl_u64x2, uint64_t, 2)\n"
    "CL_INL cl_v128 cl_f32x4_splat(float x) { uint32_t b; "
    "__builtin_memcpy(&b, &x, 4); return cl_i32x4_splat(b); }\n"
    "CL_INL cl_v128 cl_f64x2_splat(double x) { uint64_t b; "
    "__builtin_memcpy(&b, &x, 8); return cl_i64x2_splat(b); }\n"
    "CL_INL uint32_t cl_i8x16_extract_lane_s(cl_v128 v, uint32_t l) { return "
    "(uint32_t)(int32_t)I8(v)[l & 15]; }\n"
    "CL_INL uint32_t cl_i8x16_extract_lane_u(cl_v128 v, uint32_t l) { return "
    "U8(v)[l & 15]; }\n"
    "CL_INL uint32_t cl_i16x8_extract_lane_s(cl_v128 v, uint32_t l) { return "
    "(uint32_t)(int32_t)I16(v)[l & 7]; }\n"
    "CL_INL uint32_t cl_i16x8_extract_lane_u(cl_v128 v, uint32_t l) { return "
    "U16(v)[l & 7]; }\n"
    "CL_INL uint32_t cl_i32x4_extract_lane(cl_v128 v, uint32_t l) { return "
    "U32(v)[l & 3]; }\n"
    "CL_INL uint64_t cl_i64x2_extract_lane(cl_v128 v, uint32_t l) { return "
    "U64(v)[l & 1]; }\n"
    "CL_INL float cl_f32x4_extract_lane(cl_v128 v, uint32_t l) { return "
    "F32(v)[l & 3]; }\n"
    "CL_INL double cl_f64x2_extract_lane(cl_v128 v, uint32_t l) { return "
    "F64(v)[l & 1]; }\n"
    "CL_LDLANE(cl_i8x16_replace_lane, cl_u8x16, uint8_t, 16)\n"
    "CL_LDLANE(cl_i16x8_replace_lane, cl_u16x8, uint16_t, 8)\n"
    "CL_LDLANE(cl_i32x4_replace_lane, cl_u32x4, uint32_t, 4)\n"
    "CL_LDLANE(cl_i64x2_replace_lane, cl_u64x2, uint64_t, 2)\n"
    "CL_LDLANE(cl_f32x4_replace_lane, cl_f32x4, float, 4)\n"
    "CL_LDLANE(cl_f64x2_replace_lane, cl_f64x2, double, 2)\n"
    /* lane-wise helpers by shape */
    "#define CL_VU(N, E) CL_INL cl_v128 N(cl_v128 a) { return VB(E); }\n"
    "#define CL_VB(N, E) CL_INL cl_v128 N(cl_v128 a, cl_v128 b) { return "
    "VB(E); }\n"
    "#define CL_VS(N, L, E) CL_INL cl_v128 N(cl_v128 a, uint32_t n) { n &= "
    "(L) - 1; return VB(E); }\n"
    "#define CL_LOOP(N, V, LANES, E) CL_INL cl_v128 N(cl_v128 a) { V r = "
    "{0}; for (int k = 0; k < LANES; k++) r[k] = E; return VB(r); }\n"
    "#define CL_LOOP2(N, V, LANES, E) CL_INL cl_v128 N(cl_v128 a, cl_v128 b) "
    "{ V r = {0}; for (int k = 0; k < LANES; k++) r[k] = E; return VB(r); }\n"
    "CL_VB(cl_i8x16_swizzle, ({ cl_u8x16 r_ = {0}; for (int k = 0; k < 16; "
    "k++) r_[k] = U8(b)[k] < 16 ? U8(a)[U8(b)[k] & 15] : 0; r_; }))\n"
    /* compares */
    "#define CL_CMPS(P, V) "
    "CL_VB(cl_##P##_eq, V(a) == V(b)) CL_VB(cl_##P##_ne, V(a) != V(b))\n"
    "#define CL_CMPO(P, S, U) "
    "CL_VB(cl_##P##_lt_s, S(a) < S(b)) CL_VB(cl_##P##_lt_u, U(a) < U(b)) "
    "CL_VB(cl_##P##_gt_s, S(a) > S(b)) CL_VB(cl_##P##_gt_u, U(a) > U(b)) "
    "CL_VB(cl_##P##_le_s, S(a) <= S(b)) CL_VB(cl_##P##_le_u, U(a) <= U(b)) "
    "CL_VB(cl_##P##_ge_s, S(a) >= S(b)) CL_VB(cl_##P##_ge_u, U(a) >= U(b))\n"
    "CL_CMPS(i8x16, I8) CL_CMPO(i8x16, I8, U8)\n"
    "CL_CMPS(i16x8, I16) CL_CMPO(i16x8, I16, U16)\n"
    "CL_CMPS(i32x4, I32) CL_CMPO(i32x4, I32, U32)\n"
    "CL_CMPS(i64x2, I64)\n"
    "CL_VB(cl_i64x2_lt_s, I64(a) < I64(b)) CL_VB(cl_i64x2_gt_s, I64(a) > "
    "I64(b))\n"
    "CL_VB(cl_i64x2_le_s, I64(a) <= I64(b)) CL_VB(cl_i64x2_ge_s, I64(a) >= "
    "I64(b))\n"
    "#define CL_CMPF(P, V) CL_CMPS(P, V) "
    "CL_VB(cl_##P##_lt, V(a) < V(b)) CL_VB(cl_##P##_gt, V(a) > V(b)) "
    "CL_VB(cl_##P##_le, V(a) <= V(b)) CL_VB(cl_##P##_ge, V(a) >= V(b))\n"
    "CL_CMPF(f32x4, F32) CL_CMPF(f64x2, F64)\n"
    /* bitwise */
    "CL_VU(cl_v128_not, ~a)\n"
    "CL_VB(cl_v128_and, a & b) CL_VB(cl_v128_andnot, a & ~b)\n"
    "CL_VB(cl_v128_or, a | b) CL_VB(cl_v128_xor, a ^ b)\n"
    "CL_INL cl_v128 cl_v128_bitselect(cl_v128 a, cl_v128 b, cl_v128 c) { "
    "return (a & c) | (b & ~c); }\n"
    "CL_INL uint32_t cl_v128_any_true(cl_v128 a) { return (U64(a)[0] | "
    "U64(a)[1]) != 0; }\n"
    "#define CL_ALLTRUE(N, V, T) CL_INL uint32_t N(cl_v128 a) { cl_v128 z = "
    "VB(V(a) == (T){0}); return (U64(z)[0] | U64(z)[1]) == 0; }\n"
    "CL_ALLTRUE(cl_i8x16_all_true, U8, cl_u8x16)\n"
    "CL_ALLTRUE(cl_i16x8_all_true, U16, cl_u16x8)\n"
    "CL_ALLTRUE(cl_i32x4_all_true, U32, cl_u32x4)\n"
    "CL_INL uint32_t cl_i64x2_all_true(cl_v128 a) { return U64(a)[0] != 0 && "
    "U64(a)[1] != 0; }\n"
    "#define CL_BITMASK(N, V, LANES, SH) CL_INL uint32_t N(cl_v128 a) { "
    "uint32_t r = 0; for (int k = 0; k < LANES; k++) r |= (uint32_t)(V(a)[k] "
    ">> SH) << k; return r; }\n"
    "CL_BITMASK(cl_i8x16_bitmask, U8, 16, 7) CL_BITMASK(cl_i16x8_bitmask, "
    "U16, 8, 15)\n"
    "CL_BITMASK(cl_i32x4_bitmask, U32, 4, 31) CL_BITMASK(cl_i64x2_bitmask, "
    "U64, 2, 63)\n"
    /* integer arithmetic, per lane width */
    "#define CL_ABS(N, S, U, B) CL_VU(N, ({ U m_ = (U)(S(a) >> (B - 1)); "
    "(((U)(a)) ^ m_) - m_; }))\n"
    "CL_ABS(cl_i8x16_abs, I8, cl_u8x16, 8) CL_ABS(cl_i16x8_abs, I16, "
    "cl_u16x8, 16)\n"
    "CL_ABS(cl_i32x4_abs, I32, cl_u32x4, 32) CL_ABS(cl_i64x2_abs, I64, "
    "cl_u64x2, 64)\n"
    "CL_VU(cl_i8x16_neg, -U8(a)) CL_VU(cl_i16x8_neg, -U16(a))\n"
    "CL_VU(cl_i32x4_neg, -U32(a)) CL_VU(cl_i64x2_neg, -U64(a))\n"
    "CL_LOOP(cl_i8x16_popcnt, cl_u8x16, 16, "
    "(uint8_t)__builtin_popcount(U8(a)[k]))\n"
    "#define CL_ARITH(P, U, S, L) CL_VB(cl_##P##_add, U(a) + U(b)) "
    "CL_VB(cl_##P##_sub, U(a) - U(b)) CL_VS(cl_##P##_shl, L, U(a) << n) "
    "CL_VS(cl_##P##_shr_s, L, S(a) >> (__typeof__(S(a)[0]))n) "
    "CL_VS(cl_##P##_shr_u, L, U(a) >> n)\n"
    "CL_ARITH(i8x16, U8, I8, 8) CL_ARITH(i16x8, U16, I16, 16)\n"
    "CL_ARITH(i32x4, U32, I32, 32) CL_ARITH(i64x2, U64, I64, 64)\n"
    "CL_VB(cl_i16x8_mul, U16(a) * U16(b)) CL_VB(cl_i32x4_mul, U32(a) * "
    "U32(b))\n"
    "CL_VB(cl_i64x2_mul, U64(a) * U64(b))\n"
    "#define CL_MINMAX(P, S, U) "
    "CL_VB(cl_##P##_min_s, cl_blend(VB(S(a) < S(b)), a, b)) "
    "CL_VB(cl_##P##_min_u, cl_blend(VB(U(a) < U(b)), a, b)) "
    "CL_VB(cl_##P##_max_s, cl_blend(VB(S(a) > S(b)), a, b)) "
    "CL_VB(cl_##P##_max_u, cl_blend(VB(U(a) > U(b)), a, b))\n"
    "CL_MINMAX(i8x16, I8, U8) CL_MINMAX(i16x8, I16, U16) CL_MINMAX(i32x4, "
    "I32, U32)\n"
    "#if defined(__SSE2__)\n"
    "CL_VB(cl_i8x16_add_sat_s, _mm_adds_epi8((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i8x16_add_sat_u, _mm_adds_epu8((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i8x16_sub_sat_s, _mm_subs_epi8((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i8x16_sub_sat_u, _mm_subs_epu8((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i16x8_add_sat_s, _mm_adds_epi16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i16x8_add_sat_u, _mm_adds_epu16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i16x8_sub_sat_s, _mm_subs_epi16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i16x8_sub_sat_u, _mm_subs_epu16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i8x16_avgr_u, _mm_avg_epu8((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i16x8_avgr_u, _mm_avg_epu16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i32x4_dot_i16x8_s, _mm_madd_epi16((__m128i)a, (__m128i)b))\n"
    "CL_VB(cl_i8x16_narrow_i16x8_s, _mm_packs_epi16((__m128i)a, "
    "(__m128i)b))\n"
    "CL_VB(cl_i8x16_narrow_i16x8_u, _mm_packus_epi16((__m128i)a, "
    "(__m128i)b))\n"
    "CL_VB(cl_i16x8_narrow_i32x4_s, _mm_packs_epi32((__m128i)a, "
    "(__m128i)b))\n"
    "#else\n"
    "#define CL_SAT(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))\n"
    "CL_LOOP2(cl_i8x16_add_sat_s, cl_i8x16, 16, CL_SAT(I8(a)[k] + I8(b)[k], "
    "-128, 127))\n"
    "CL_LOOP2(cl_i8x16_add_sat_u, cl_u8x16, 16, CL_SAT(U8(a)[k] + U8(b)[k], "
    "0, 255))\n"
    "CL_LOOP2(cl_i8x16_sub_sat_s, cl_i8x16, 16, CL_SAT(I8(a)[k] - I8(b)[k], "
    "-128, 127))\n"
    "CL_LOOP2(cl_i8x16_sub_sat_u, cl_u8x16, 16, CL_SAT(U8(a)[k] - U8(b)[k], "
    "0, 255))\n"
    "CL_LOOP2(cl_i16x8_add_sat_s, cl_i16x8, 8, CL_SAT(I16(a)[k] + I16(b)[k], "
    "-32768, 32767))\n"
    "CL_LOOP2(cl_i16x8_add_sat_u, cl_u16x8, 8, CL_SAT(U16(a)[k] + U16(b)[k], "
    "0, 65535))\n"
    "CL_LOOP2(cl_i16x8_sub_sat_s, cl_i16x8, 8, CL_SAT(I16(a)[k] - I16(b)[k], "
    "-32768, 32767))\n"
    "CL_LOOP2(cl_i16x8_sub_sat_u, cl_u16x8, 8, CL_SAT(U16(a)[k] - U16(b)[k], "
    "0, 65535))\n"
    "CL_LOOP2(cl_i8x16_avgr_u, cl_u8x16, 16, (U8(a)[k] + U8(b)[k] + 1) >> 1)\n"
    "CL_LOOP2(cl_i16x8_avgr_u, cl_u16x8, 8, ((uint32_t)U16(a)[k] + U16(b)[k] "
    "+ 1) >> 1)\n"
    "CL_LOOP2(cl_i32x4_dot_i16x8_s, cl_u32x4, 4, (uint32_t)(I16(a)[2 * k] * "
    "I16(b)[2 * k]) + (uint32_t)(I16(a)[2 * k + 1] * I16(b)[2 * k + 1]))\n"
    "CL_INL cl_v128 cl_i8x16_narrow_i16x8_s(cl_v128 a, cl_v128 b) { cl_i8x16 "
    "r; for (int k = 0; k < 8; k++) { r[k] = CL_SAT(I16(a)[k], -128, 127); "
    "r[k + 8] = CL_SAT(I16(b)[k], -128, 127); } return VB(r); }\n"
    "CL_INL cl_v128 cl_i8x16_narrow_i16x8_u(cl_v128 a, cl_v128 b) { cl_u8x16 "
    "r; for (int k = 0; k < 8; k++) { r[k] = CL_SAT(I16(a)[k], 0, 255); r[k + "
    "8] = CL_SAT(I16(b)[k], 0, 255); } return VB(r); }\n"
    "CL_INL cl_v128 cl_i16x8_narrow_i32x4_s(cl_v128 a, cl_v128 b) { cl_i16x8 "
    "r; for (int k = 0; k < 4; k++) { r[k] = CL_SAT(I32(a)[k], -32768, "
    "32767); r[k + 4] = CL_SAT(I32(b)[k], -32768, 32767); } return VB(r); }\n"
    "#endif\n"
    "CL_INL cl_v128 cl_i16x8_narrow_i32x4_u(cl_v128 a, cl_v128 b) { cl_u16x8 "
    "r; for (int k = 0; k < 4; k++) { int32_t x = I32(a)[k], y = I32(b)[k]; "
    "r[k] = x < 0 ? 0 : x > 65535 ? 65535 : x; r[k + 4] = y < 0 ? 0 : y > "
    "65535 ? 65535 : y; } return VB(r); }\n"
    "CL_LOOP2(cl_i16x8_q15mulr_sat_s, cl_i16x8, 8, ({ int32_t x_ = "
    "(I16(a)[k] * I16(b)[k] + 0x4000) >> 15; x_ < -32768 ? -32768 : x_ > "
    "32767 ? 32767 : x_; }))\n"
    "CL_LOOP(cl_i16x8_extadd_pairwise_i8x16_s, cl_i16x8, 8, (int16_t)(I8(a)[2 "
    "* k] + I8(a)[2 * k + 1]))\n"
    "CL_LOOP(cl_i16x8_extadd_pairwise_i8x16_u, cl_u16x8, 8, (uint16_t)(U8(a)[2 "
    "* k] + U8(a)[2 * k + 1]))\n"
    "CL_LOOP(cl_i32x4_extadd_pairwise_i16x8_s, cl_i32x4, 4, I16(a)[2 * k] + "
    "I16(a)[2 * k + 1])\n"
    "CL_LOOP(cl_i32x4_extadd_pairwise_i16x8_u, cl_u32x4, 4, "
    "(uint32_t)U16(a)[2 * k] + U16(a)[2 * k + 1])\n"
    "#define CL_EXT(N, V, LANES, SRC, OFF) CL_LOOP(N, V, LANES, SRC(a)[k + "
    "OFF])\n"
    "CL_EXT(cl_i16x8_extend_low_i8x16_s, cl_i16x8, 8, I8, 0)\n"
    "CL_EXT(cl_i16x8_extend_high_i8x16_s, cl_i16x8, 8, I8, 8)\n"
    "CL_EXT(cl_i16x8_extend_low_i8x16_u, cl_u16x8, 8, U8, 0)\n"
    "CL_EXT(cl_i16x8_extend_high_i8x16_u, cl_u16x8, 8, U8, 8)\n"
    "CL_EXT(cl_i32x4_extend_low_i16x8_s, cl_i32x4, 4, I16, 0)\n"
    "CL_EXT(cl_i32x4_extend_high_i16x8_s, cl_i32x4, 4, I16, 4)\n"
    "CL_EXT(cl_i32x4_extend_low_i16x8_u, cl_u32x4, 4, U16, 0)\n"
    "CL_EXT(cl_i32x4_extend_high_i16x8_u, cl_u32x4, 4, U16, 4)\n"
    "CL_EXT(cl_i64x2_extend_low_i32x4_s, cl_i64x2, 2, I32, 0)\n"
    "CL_EXT(cl_i64x2_extend_high_i32x4_s, cl_i64x2, 2, I32, 2)\n"
    "CL_EXT(cl_i64x2_extend_low_i32x4_u, cl_u64x2, 2, U32, 0)\n"
    "CL_EXT(cl_i64x2_extend_high_i32x4_u, cl_u64x2, 2, U32, 2)\n"
    "CL_LOOP2(cl_i16x8_extmul_low_i8x16_s, cl_i16x8, 8, (int16_t)(I8(a)[k] * "
    "I8(b)[k]))\n"
    "CL_LOOP2(cl_i16x8_extmul_high_i8x16_s, cl_i16x8, 8, (int16_t)(I8(a)[k + "
    "8] * I8(b)[k + 8]))\n"
    "CL_LOOP2(cl_i16x8_extmul_low_i8x16_u, cl_u16x8, 8, (uint16_t)(U8(a)[k] * "
    "U8(b)[k]))\n"
    "CL_LOOP2(cl_i16x8_extmul_high_i8x16_u, cl_u16x8, 8, (uint16_t)(U8(a)[k + "
    "8] * U8(b)[k + 8]))\n"
    "CL_LOOP2(cl_i32x4_extmul_low_i16x8_s, cl_u32x4, 4, (uint32_t)(I16(a)[k] "
    "* I16(b)[k]))\n"
    "CL_LOOP2(cl_i32x4_extmul_high_i16x8_s, cl_u32x4, 4, (uint32_t)(I16(a)[k "
    "+ 4] * I16(b)[k + 4]))\n"
    "CL_LOOP2(cl_i32x4_extmul_low_i16x8_u, cl_u32x4, 4, (uint32_t)U16(a)[k] * "
    "U16(b)[k])\n"
    "CL_LOOP2(cl_i32x4_extmul_high_i16x8_u, cl_u32x4, 4, (uint32_t)U16(a)[k + "
    "4] * U16(b)[k + 4])\n"
    "CL_LOOP2(cl_i64x2_extmul_low_i32x4_s, cl_u64x2, 2, "
    "(uint64_t)((int64_t)I32(a)[k] * I32(b)[k]))\n"
    "CL_LOOP2(cl_i64x2_extmul_high_i32x4_s, cl_u64x2, 2, "
    "(uint64_t)((int64_t)I32(a)[k + 2] * I32(b)[k + 2]))\n"
    "CL_LOOP2(cl_i64x2_extmul_low_i32x4_u, cl_u64x2, 2, (uint64_t)U32(a)[k] * "
    "U32(b)[k])\n"
    "CL_LOOP2(cl_i64x2_extmul_high_i32x4_u, cl_u64x2, 2, (uint64_t)U32(a)[k + "
    "2] * U32(b)[k + 2])\n"
    /* floats */
    "CL_VU(cl_f32x4_abs, U32(a) & 0x7FFFFFFFu) CL_VU(cl_f32x4_neg, U32(a) ^ "
    "0x80000000u)\n"
    "CL_VU(cl_f64x2_abs, U64(a) & 0x7FFFFFFFFFFFFFFFull) CL_VU(cl_f64x2_neg, "
    "U64(a) ^ 0x8000000000000000ull)\n"
    "CL_VB(cl_f32x4_add, F32(a) + F32(b)) CL_VB(cl_f32x4_mul, F32(a) * "
    "F32(b))\n"
    "CL_VB(cl_f64x2_add, F64(a) + F64(b)) CL_VB(cl_f64x2_mul, F64(a) * "
    "F64(b))\n"
    "CL_VB(cl_f32x4_sub, F32(a) - F32(b)) CL_VB(cl_f32x4_div, F32(a) / "
    "F32(b))\n"
    "CL_VB(cl_f64x2_sub, F64(a) - F64(b)) CL_VB(cl_f64x2_div, F64(a) / "
    "F64(b))\n"
    "#if defined(__SSE2__)\n"
    "CL_VU(cl_f32x4_sqrt, _mm_sqrt_ps((__m128)a)) CL_VU(cl_f64x2_sqrt, "
    "_mm_sqrt_pd((__m128d)a))\n"
    "#else\n"
    "CL_LOOP(cl_f32x4_sqrt, cl_f32x4, 4, __builtin_sqrtf(F32(a)[k]))\n"
    "CL_LOOP(cl_f64x2_sqrt, cl_f64x2, 2, __builtin_sqrt(F64(a)[k]))\n"
    "#endif\n"
    "#define CL_FMINMAX(P, V, I, U) "
    "CL_VB(cl_##P##_min, ({ cl_v128 nan_ = VB((V(a) != V(a)) | (V(b) != "
    "V(b))); cl_v128 r_ = cl_blend(VB(V(a) < V(b)), a, b); r_ = "
    "cl_blend(VB(V(a) == V(b)), VB(U(a) | U(b)), r_); cl_blend(nan_, "
    "cl_##P##_add(a, b), r_); })) "
    "CL_VB(cl_##P##_max, ({ cl_v128 nan_ = VB((V(a) != V(a)) | (V(b) != "
    "V(b))); cl_v128 r_ = cl_blend(VB(V(a) > V(b)), a, b); r_ = "
    "cl_blend(VB(V(a) == V(b)), VB(U(a) & U(b)), r_); cl_blend(nan_, "
    "cl_##P##_add(a, b), r_); })) "
    "CL_VB(cl_##P##_pmin, cl_blend(VB(V(b) < V(a)), b, a)) "
    "CL_VB(cl_##P##_pmax, cl_blend(VB(V(a) < V(b)), b, a))\n"
    "CL_FMINMAX(f32x4, F32, I32, U32) CL_FMINMAX(f64x2, F64, I64, U64)\n"
    "#define CL_ROUND(N, T, V, LANES, FN) CL_LOOP(N, T, LANES, ({ "
    "__typeof__(V(a)[0]) x_ = V(a)[k]; x_ != x_ ? x_ + x_ : FN(x_); }))\n"
    "CL_ROUND(cl_f32x4_ceil, cl_f32x4, F32, 4, __builtin_ceilf)\n"
    "CL_ROUND(cl_f32x4_floor, cl_f32x4, F32, 4, __builtin_floorf)\n"
    "CL_ROUND(cl_f32x4_trunc, cl_f32x4, F32, 4, __builtin_truncf)\n"
    "CL_ROUND(cl_f32x4_nearest, cl_f32x4, F32, 4, __builtin_nearbyintf)\n"
    "CL_ROUND(cl_f64x2_ceil, cl_f64x2, F64, 2, __builtin_ceil)\n"
    "CL_ROUND(cl_f64x2_floor, cl_f64x2, F64, 2, __builtin_floor)\n"
    "CL_ROUND(cl_f64x2_trunc, cl_f64x2, F64, 2, __builtin_trunc)\n"
    "CL_ROUND(cl_f64x2_nearest, cl_f64x2, F64, 2, __builtin_nearbyint)\n"
    /* conversions */
    "CL_VU(cl_f32x4_demote_f64x2_zero, ({ cl_f32x4 r_ = {(float)F64(a)[0], "
    "(float)F64(a)[1], 0, 0}; r_; }))\n"
    "CL_VU(cl_f64x2_promote_low_f32x4, ({ cl_f64x2 r_ = {(double)F32(a)[0], "
    "(double)F32(a)[1]}; r_; }))\n"
    "CL_LOOP(cl_i32x4_trunc_sat_f32x4_s, cl_u32x4, 4, cl_sat_i32(F32(a)[k]))\n"
    "CL_LOOP(cl_i32x4_trunc_sat_f32x4_u, cl_u32x4, 4, cl_sat_u32(F32(a)[k]))\n"
    "CL_VU(cl_f32x4_convert_i32x4_s, __builtin_convertvector(I32(a), "
    "cl_f32x4))\n"
    "CL_LOOP(cl_f32x4_convert_i32x4_u, cl_f32x4, 4, (float)U32(a)[k])\n"
    "CL_VU(cl_i32x4_trunc_sat_f64x2_s_zero, ({ cl_u32x4 r_ = "
    "{cl_sat_i32(F64(a)[0]), cl_sat_i32(F64(a)[1]), 0, 0}; r_; }))\n"
    "CL_VU(cl_i32x4_trunc_sat_f64x2_u_zero, ({ cl_u32x4 r_ = "
    "{cl_sat_u32(F64(a)[0]), cl_sat_u32(F64(a)[1]), 0, 0}; r_; }))\n"
    "CL_VU(cl_f64x2_convert_low_i32x4_s, ({ cl_f64x2 r_ = "
    "{(double)I32(a)[0], (double)I32(a)[1]}; r_; }))\n"
    "CL_VU(cl_f64x2_convert_low_i32x4_u, ({ cl_f64x2 r_ = "
    "{(double)U32(a)[0], (double)U32(a)[1]}; r_; }))\n";

/* Guard pages: every access must happen, once, in program order, since
 * any of them may fault (the trap must leave the interpreter's memory and
 * fuel count behind).  Volatile accesses say exactly that, but GCC keeps a
 * volatile access out of its instruction combiner, so the address is
 * computed by a separate instruction and no access folds base, index and
 * offset into one addressing mode.  On x86-64 with GCC each access is
 * therefore one volatile asm statement (one mov of the access's width)
 * with a memory operand and a "memory" clobber: GCC never removes a
 * volatile asm, the clobber makes it a compiler memory barrier (no memory
 * access, volatile or not, and no call is moved across it), and the
 * memory operand leaves GCC free to pick the addressing mode.  Elsewhere
 * (clang, which folds volatile accesses itself; other hosts) plain
 * volatile.  Bounds checks: a check first, then a plain access. */
static const char ag_prelude_guard[] =
    "#define CL_Q volatile\n"
    "#define CL_EA(a, off, n) (mem + ((uint64_t)(a) + (off)))\n"
    "#define CL_MEMSIZE_DECL\n"
    "#define CL_RELOAD_MEMSIZE()\n"
    "#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)\n"
    "#ifdef __AVX__\n#define CL_VX \"v\"\n#else\n#define CL_VX \"\"\n#endif\n"
    "#define CL_GLD(A, R, C, I) CL_INL R cl_gld_##A(const void *p) { R v; "
    "__asm__ volatile(I \" %1, %0\" : \"=\" C(v) : \"m\"(*(const A *)p) : "
    "\"memory\"); "
    "return v; }\n"
    "#define CL_GST(A, R, C, I) CL_INL void cl_gst_##A(void *p, R v) { "
    "__asm__ volatile(I \" %1, %0\" : \"=m\"(*(A *)p) : C(v) : \"memory\"); "
    "}\n"
    "CL_GLD(uint8_t, uint32_t, \"r\", \"movzbl\") "
    "CL_GLD(int8_t, int32_t, \"r\", \"movsbl\")\n"
    "CL_GLD(cl_u16u, uint32_t, \"r\", \"movzwl\") "
    "CL_GLD(cl_i16u, int32_t, \"r\", \"movswl\")\n"
    "CL_GLD(cl_u32u, uint32_t, \"r\", \"movl\") "
    "CL_GLD(cl_i32u, int32_t, \"r\", \"movl\") "
    "CL_GLD(cl_u64u, uint64_t, \"r\", \"movq\")\n"
    "CL_GLD(cl_f32u, float, \"x\", CL_VX \"movss\") "
    "CL_GLD(cl_f64u, double, \"x\", CL_VX \"movsd\")\n"
    "CL_GST(uint8_t, uint8_t, \"qi\", \"movb\") "
    "CL_GST(cl_u16u, uint16_t, \"ri\", \"movw\") "
    "CL_GST(cl_u32u, uint32_t, \"ri\", \"movl\")\n"
    "CL_GST(cl_u64u, uint64_t, \"re\", \"movq\") "
    "CL_GST(cl_f32u, float, \"x\", CL_VX \"movss\") "
    "CL_GST(cl_f64u, double, \"x\", CL_VX \"movsd\")\n"
    "#ifdef CL_SIMD\n"
    "CL_GLD(cl_v128u, cl_v128, \"x\", CL_VX \"movdqu\") "
    "CL_GST(cl_v128u, cl_v128, \"x\", CL_VX \"movdqu\")\n"
    /* 32- and 64-bit splats straight from memory: one instruction */
    "#ifdef __AVX__\n"
    "#define CL_GLDS(N, A, I) CL_INL cl_v128 cl_glds##N(const void *p) { "
    "cl_v128 v; __asm__ volatile(I \" %1, %0\" : \"=x\"(v) : \"m\"(*(const "
    "A *)p) : \"memory\"); return v; }\n"
    "CL_GLDS(32, cl_u32u, \"vbroadcastss\") CL_GLDS(64, cl_u64u, "
    "\"vmovddup\")\n"
    "#define CL_LDS32(p) cl_glds32(p)\n#define CL_LDS64(p) cl_glds64(p)\n"
    "#endif\n"
    "#endif\n"
    "#define CL_LD(A, p) cl_gld_##A(p)\n"
    "#define CL_ST(A, p, v) cl_gst_##A(p, v)\n"
    "#else\n"
    "#define CL_LD(A, p) (*(volatile const A *)(p))\n"
    "#define CL_ST(A, p, v) (*(volatile A *)(p) = (v))\n"
    "#endif\n"
    "#if defined(CL_SIMD) && !defined(CL_LDS32)\n"
    "#define CL_LDS32(p) cl_v128_load32_splat(CL_LD(cl_u32u, p))\n"
    "#define CL_LDS64(p) cl_v128_load64_splat(CL_LD(cl_u64u, p))\n"
    "#endif\n";
static const char ag_prelude_bounds[] =
    "#define CL_Q\n"
    "#define CL_EA(a, off, n) ({ uint64_t ea_ = (uint64_t)(a) + (off); "
    "if (CL_UNLIKELY(ea_ + (n) > memsize)) cl_trap(cx, CL_T_OOB); mem + ea_; "
    "})\n"
    "#define CL_MEMSIZE_DECL uint64_t memsize = cx->memsize;\n"
    "#define CL_RELOAD_MEMSIZE() (memsize = cx->memsize)\n"
    "#define CL_LD(A, p) (*(const A *)(p))\n"
    "#define CL_ST(A, p, v) (*(A *)(p) = (v))\n"
    "#define CL_LDS32(p) cl_v128_load32_splat(CL_LD(cl_u32u, p))\n"
    "#define CL_LDS64(p) cl_v128_load64_splat(CL_LD(cl_u64u, p))\n";

/* ---- per function state ---- */

typedef struct ag_edge {
  uint32_t dst, src1, src2; /* src2 UINT32_MAX: none */
  uint8_t type;
} ag_edge;

typedef struct ag_fn {
  const cl_code *code;
  uint32_t defidx, funcidx;
  const cl_functype *ft;
  uint32_t nslots;     /* bitmap size: frame slots + 1 */
  uint8_t *rd[AT_N];   /* (slot, type) read somewhere (pass 1) */
  uint8_t *decl[AT_N]; /* (slot, type) named in the output (pass 2) */
  uint8_t *label;      /* nwords + 1: a branch target */
  ag_edge *edges;      /* moves of ambiguous type (pass 1) */
  uint32_t nedges, capedges;
  int pass;          /* 1: collect, 2: emit, 3: probe writes */
  char names[8][24]; /* ring of variable names */
  unsigned next_name;
  bool bad;       /* an operand out of range */
  uint32_t *ipos; /* position of every instruction (pass 1) */
  uint32_t nins, capins;
  struct ag_loop *loops; /* counted loops with a fast copy */
  uint32_t nloops;
  const struct ag_loop *fast; /* emitting the fast copy of this loop */
  uint32_t wslot[4]; /* pass 3: the (slot, type) pairs one instr writes */
  uint8_t wtype[4];
  uint32_t nw;
} ag_fn;

/* A counted inner loop that also gets a fast copy (see ag_find_loops). */
typedef struct ag_aff { /* ic * inv + k * iv0 + c, in exact integers */
  bool ok, has_inv;
  uint32_t inv; /* a slot the loop does not write (as i32) */
  int64_t ic, k, c;
} ag_aff;

typedef struct ag_acc {
  uint32_t pos; /* the access instruction */
  ag_aff a;     /* its address operand */
  uint32_t off, bytes;
  uint32_t group; /* accesses with the same ic, inv and k share a base */
} ag_acc;

enum { AG_LC_NE, AG_LC_LT_U, AG_LC_LT_S, AG_LC_LE_U, AG_LC_LE_S };

typedef struct ag_loop {
  uint32_t head, back, next; /* header, back-edge, instruction after it */
  uint32_t iv;               /* the induction variable's slot (i32) */
  int64_t step;              /* > 0 */
  int cmp;                   /* AG_LC_*: go on while iv_after cmp bound */
  bool bimm;
  uint32_t bound; /* immediate, or a slot the loop does not write */
  ag_acc *acc;
  uint32_t nacc;
} ag_loop;

typedef struct ag_hmap {
  int32_t h;
  int iop;
} ag_hmap;

typedef struct ag {
  const clave_module *mod;
  const cl_module *m;
  uint32_t flags;
  clave_error *err;
  ag_hmap *map;  /* handler word -> op, sorted by word */
  uint32_t *rep; /* per type: first type with the same results */
  uint32_t nmap;
  cl_aot_src *out;
} ag;

static const char *ag_name(ag_fn *F, uint32_t slot, int t, bool read) {
  char *n = F->names[F->next_name++ & 7];
  if (slot + ag_width(t) > F->nslots) {
    F->bad = true;
    slot = 0;
  }
  if (F->pass == 1) {
    if (read) F->rd[t][slot] = 1;
  } else if (F->pass == 3) {
    if (!read && F->nw < 4) {
      F->wslot[F->nw] = slot;
      F->wtype[F->nw++] = (uint8_t)t;
    }
  } else {
    F->decl[t][slot] = 1;
  }
  snprintf(n, sizeof F->names[0], "s%u%c", slot, ag_suffix[t]);
  return n;
}

#define RD(slot, t) ag_name(F, (slot), (t), true)
#define WR(slot, t) ag_name(F, (slot), (t), false)

static void ag_edge_add(ag_fn *F, uint32_t dst, int t, uint32_t s1,
                        uint32_t s2) {
  if (F->nedges == F->capedges) {
    uint32_t cap = F->capedges ? F->capedges * 2 : 64;
    ag_edge *e = realloc(F->edges, (size_t)cap * sizeof *e);
    if (!e) {
      F->bad = true;
      return;
    }
    F->edges = e;
    F->capedges = cap;
  }
  F->edges[F->nedges++] = (ag_edge){dst, s1, s2, (uint8_t)t};
}

/* Propagate reads backwards through ambiguous moves until nothing
 * changes: a move's source is read when its destination is. */
static void ag_fixpoint(ag_fn *F) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t k = F->nedges; k-- > 0;) {
      const ag_edge *e = &F->edges[k];
      if (e->dst >= F->nslots || !F->rd[e->type][e->dst]) continue;
      if (e->src1 < F->nslots && !F->rd[e->type][e->src1]) {
        F->rd[e->type][e->src1] = 1;
        changed = true;
      }
      if (e->src2 < F->nslots && !F->rd[e->type][e->src2]) {
        F->rd[e->type][e->src2] = 1;
        changed = true;
      }
    }
  }
}

/* ---- decoding ---- */

static int ag_hmap_cmp(const void *a, const void *b) {
  const ag_hmap *x = a, *y = b;
  if (x->h != y->h) return x->h < y->h ? -1 : 1;
  return x->iop - y->iop;
}

typedef struct ag_ins {
  int iop;        /* the op (for a group: its first candidate) */
  int group;      /* G_NONE, or the group of typed moves */
  unsigned types; /* for a group: bit per candidate AT_ type */
  const char *fmt;
  uint32_t len; /* units */
} ag_ins;

static bool ag_decode(ag *g, const cl_code *c, uint32_t pos, ag_ins *in) {
  const uint16_t *pc = c->words + pos;
  if (pos + 2 > c->nwords) {
    cl_error_set(g->err, CLAVE_EINVALID,
                 "AOT: function %u: code ends inside an instruction at unit "
                 "%u",
                 c->funcidx, pos);
    return false;
  }
  int32_t h = (int32_t)cl_u32_at(pc);
  /* first entry with this handler word */
  uint32_t lo = 0, hi = g->nmap;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (g->map[mid].h < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == g->nmap || g->map[lo].h != h) {
    cl_error_set(g->err, CLAVE_EINVALID,
                 "AOT: function %u: unknown handler word 0x%x at unit %u",
                 c->funcidx, (unsigned)h, pos);
    return false;
  }
  memset(in, 0, sizeof *in);
  in->iop = g->map[lo].iop;
  uint32_t n = 0;
  for (uint32_t k = lo; k < g->nmap && g->map[k].h == h; k++) n++;
  int t0 = 0;
  in->group = ag_group_of(in->iop, &t0);
  if (in->group != G_NONE) {
    in->types = 1u << t0;
    in->fmt = ag_group_fmt(in->group, t0);
    for (uint32_t k = lo + 1; k < lo + n; k++) {
      int t = 0;
      int gk = ag_group_of(g->map[k].iop, &t);
      if (gk != in->group || strcmp(ag_group_fmt(gk, t), in->fmt) != 0) {
        in->group = -1;
        break;
      }
      in->types |= 1u << t;
    }
  } else if (n > 1) {
    in->group = -1;
  } else {
    in->fmt = ag_fmt[in->iop];
    const ag_simd *sd = in->fmt ? NULL : ag_simd_of(in->iop);
    if (sd) in->fmt = ag_simd_fmt(sd->shape);
  }
  if (in->group < 0) {
    cl_error_set(g->err, CLAVE_EUNSUPPORTED,
                 "AOT: internal ops %s and %s share one interpreter handler "
                 "and cannot be told apart",
                 ag_iop_name[g->map[lo].iop], ag_iop_name[g->map[lo + 1].iop]);
    return false;
  }
  if (!in->fmt) {
    cl_error_set(g->err, CLAVE_EUNSUPPORTED,
                 "AOT: internal op %s (function %u) is not supported by the "
                 "AOT tier yet",
                 ag_iop_name[in->iop], c->funcidx);
    return false;
  }
  uint32_t len = 2;
  for (const char *f = in->fmt; *f; f++) len += *f == 's' ? 1 : 2;
  if (in->iop == IOP_BR_TABLE && in->group == G_NONE) {
    if (pos + len > c->nwords) goto trunc;
    uint64_t nt = (uint64_t)cl_u32_at(pc + 3) + 1;
    len += (uint32_t)(2 * nt > c->nwords ? c->nwords : 2 * nt);
  }
  if (pos + len > c->nwords) goto trunc;
  in->len = len;
  return true;
trunc:
  cl_error_set(g->err, CLAVE_EINVALID,
               "AOT: function %u: code ends inside %s at unit %u", c->funcidx,
               ag_iop_name[in->iop], pos);
  return false;
}

/* ---- helpers for emission ---- */

static void ag_label_use(ag_fn *F, uint32_t target) {
  if (target > F->code->nwords) {
    F->bad = true;
    return;
  }
  if (F->pass == 1) F->label[target] = 1;
}

/* a literal of type t from 64 bits */
static void ag_literal(cl_aot_src *o, int t, uint64_t k) {
  switch (t) {
    case AT_I32:
      ag_put(o, "0x%xu", (unsigned)k);
      break;
    case AT_I64:
      ag_put(o, "0x%llxull", (unsigned long long)k);
      break;
    /* a NaN constant is opaque to the C compiler, whose constant folding
     * would not keep the NaN's sign and payload as the hardware does */
    case AT_F32:
      ag_put(o, "%s(0x%xu)",
             ((uint32_t)k & 0x7F800000u) == 0x7F800000u && (k & 0x7FFFFF)
                 ? "cl_nan32"
                 : "cl_bf32",
             (unsigned)k);
      break;
    case AT_F64:
      ag_put(o, "%s(0x%llxull)",
             (k & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
                     (k & 0xFFFFFFFFFFFFFull)
                 ? "cl_nan64"
                 : "cl_bf64",
             (unsigned long long)k);
      break;
    default:
      ag_put(o, "(void *)0");
      break;
  }
}

/* The C result type of ft: several results come back in a struct named
 * after the first module type with the same result list. */
static const char *ag_result_type(const ag *g, const cl_functype *ft, char *buf,
                                  size_t len) {
  if (ft->nresults == 0) return "void";
  if (ft->nresults == 1) return ag_ctype[ag_type(ft->results[0])];
  snprintf(buf, len, "struct cl_r%u", g->rep[ft - g->m->types]);
  return buf;
}

/* "uint32_t, double" : the C parameter types of ft */
static void ag_param_types(cl_aot_src *o, const cl_functype *ft) {
  for (uint32_t i = 0; i < ft->nparams; i++)
    ag_put(o, ", %s", ag_ctype[ag_type(ft->params[i])]);
}

/* the arguments of a call: slots from base in slot layout */
static void ag_args(ag_fn *F, cl_aot_src *o, const cl_functype *ft,
                    uint32_t base) {
  for (uint32_t i = 0, s = base; i < ft->nparams; i++) {
    int t = ag_type(ft->params[i]);
    ag_put(o, ", %s", RD(s, t));
    s += ag_width(t);
  }
}

/* store a call's results (in r_ or a struct r_) into slots from base */
static void ag_results(ag_fn *F, cl_aot_src *o, const cl_functype *ft,
                       uint32_t base) {
  if (ft->nresults == 1) {
    ag_put(o, " %s = r_;", WR(base, ag_type(ft->results[0])));
    return;
  }
  for (uint32_t i = 0, s = base; i < ft->nresults; i++) {
    int t = ag_type(ft->results[i]);
    ag_put(o, " %s = r_.r%u;", WR(s, t), i);
    s += ag_width(t);
  }
}

/* write args to io_[] / read results from io_[] (slot layout) */
static void ag_io_args(ag_fn *F, cl_aot_src *o, const cl_functype *ft,
                       uint32_t base) {
  for (uint32_t i = 0, s = base, k = 0; i < ft->nparams; i++) {
    int t = ag_type(ft->params[i]);
    if (t == AT_V128)
      ag_put(o, " __builtin_memcpy(&io_[%u], &%s, 16);", k, RD(s, t));
    else
      ag_put(o, " io_[%u].%s = %s;", k, ag_field[t], RD(s, t));
    s += ag_width(t);
    k += ag_width(t);
  }
}

static void ag_io_results(ag_fn *F, cl_aot_src *o, const cl_functype *ft,
                          uint32_t base) {
  for (uint32_t i = 0, s = base, k = 0; i < ft->nresults; i++) {
    int t = ag_type(ft->results[i]);
    if (t == AT_V128)
      ag_put(o, " __builtin_memcpy(&%s, &io_[%u], 16);", WR(s, t), k);
    else
      ag_put(o, " %s = io_[%u].%s;", WR(s, t), k, ag_field[t]);
    s += ag_width(t);
    k += ag_width(t);
  }
}

static void ag_checkpoint(cl_aot_src *o) {
  ag_put(o, " CL_CP();");
}

/* A memory access of C type `type` (one of the cl_*u access types):
 * "*(T *)EA" checked or guarded as the mode says, or, in a loop's fast
 * copy, at the affine address the precondition proved in bounds, through
 * memcpy (plain accesses the C compiler may vectorize).  A store is
 * finished by ag_store_end after the value. */
static void ag_fast_addr(ag_fn *F, cl_aot_src *o, uint32_t pos, uint32_t off) {
  for (uint32_t k = 0; k < F->fast->nacc; k++)
    if (F->fast->acc[k].pos == pos) {
      const ag_acc *a = &F->fast->acc[k];
      ag_put(o, "bp_%u + (uint64_t)%lldll * t_ + %lldll", a->group,
             (long long)(a->a.k * F->fast->step),
             (long long)(a->a.c + (int64_t)off));
      return;
    }
  F->bad = true;
}

static void ag_load(ag_fn *F, cl_aot_src *o, uint32_t pos, const char *type,
                    uint32_t addr, uint32_t off, uint32_t bytes) {
  if (F->fast) {
    ag_put(o, "cl_ld_%s(", type);
    ag_fast_addr(F, o, pos, off);
    ag_put(o, ")");
    return;
  }
  ag_put(o, "CL_LD(%s, CL_EA(%s, %uu, %u))", type, RD(addr, AT_I32), off,
         bytes);
}

static void ag_store(ag_fn *F, cl_aot_src *o, uint32_t pos, const char *type,
                     uint32_t addr, uint32_t off, uint32_t bytes) {
  if (F->fast) {
    ag_put(o, " cl_st_%s(", type);
    ag_fast_addr(F, o, pos, off);
    ag_put(o, ", ");
    return;
  }
  ag_put(o, " CL_ST(%s, CL_EA(%s, %uu, %u), ", type, RD(addr, AT_I32), off,
         bytes);
}

static void ag_store_end(ag_fn *F, cl_aot_src *o) {
  ag_put(o, ");");
}

/* ---- SIMD instructions ---- */

/* the C type of an access of n bytes */
static const char *ag_access_type(uint32_t n) {
  switch (n) {
    case 1:
      return "uint8_t";
    case 2:
      return "cl_u16u";
    case 4:
      return "cl_u32u";
    case 8:
      return "cl_u64u";
    default:
      return "cl_v128u";
  }
}

static void ag_helper(cl_aot_src *o, const char *text) {
  ag_put(o, "cl_");
  for (const char *p = text; *p; p++) ag_put(o, "%c", *p == '.' ? '_' : *p);
}

static void ag_simd_emit(ag_fn *F, cl_aot_src *o, const ag_simd *sd,
                         const uint16_t *pc, uint32_t pos) {
#define S(k) ((uint32_t)pc[k])
#define I(k) cl_u32_at(pc + (k))
  const int V = AT_V128;
  switch (sd->shape) {
    case CL_SIMD_LOAD:
      ag_put(o, " %s = ", WR(S(2), V));
      if (sd->n == 16 && strcmp(sd->text, "v128.load") == 0) {
        ag_load(F, o, pos, "cl_v128u", S(3), I(4), 16);
        ag_put(o, ";");
        break;
      }
      if (!F->fast && (strcmp(sd->text, "v128.load32_splat") == 0 ||
                       strcmp(sd->text, "v128.load64_splat") == 0)) {
        ag_put(o, "CL_LDS%u(CL_EA(%s, %uu, %u));", sd->n * 8, RD(S(3), AT_I32),
               I(4), sd->n);
        break;
      }
      ag_helper(o, sd->text);
      ag_put(o, "(");
      ag_load(F, o, pos, ag_access_type(sd->n), S(3), I(4), sd->n);
      ag_put(o, ");");
      break;
    case CL_SIMD_STORE:
      ag_store(F, o, pos, "cl_v128u", S(2), I(4), 16);
      ag_put(o, "%s", RD(S(3), V));
      ag_store_end(F, o);
      break;
    case CL_SIMD_LOAD_LANE:
      ag_put(o, " %s = ", WR(S(2), V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s, %uu, ", RD(S(4), V), I(7));
      ag_load(F, o, pos, ag_access_type(sd->n), S(3), I(5), sd->n);
      ag_put(o, ");");
      break;
    case CL_SIMD_STORE_LANE:
      ag_store(F, o, pos, ag_access_type(sd->n), S(2), I(4), sd->n);
      ag_helper(o, sd->text);
      ag_put(o, "(%s, %uu)", RD(S(3), V), I(6));
      ag_store_end(F, o);
      break;
    case CL_SIMD_SHUFFLE: {
      uint8_t m[16];
      for (int k = 0; k < 4; k++) {
        uint32_t w = I(5 + 2 * k);
        for (int b = 0; b < 4; b++) m[4 * k + b] = (uint8_t)(w >> (8 * b));
      }
      ag_put(o, " %s = CL_SHUF(", WR(S(2), V));
      ag_put(o, "%s, ", RD(S(3), V));
      ag_put(o, "%s", RD(S(4), V));
      for (int k = 0; k < 16; k++) ag_put(o, ", %u", m[k] & 31);
      ag_put(o, ");");
      break;
    }
    case CL_SIMD_SPLAT:
      ag_put(o, " %s = ", WR(S(2), V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s);", RD(S(3), ag_type(sd->type)));
      break;
    case CL_SIMD_EXTRACT:
      ag_put(o, " %s = ", WR(S(2), ag_type(sd->type)));
      ag_helper(o, sd->text);
      ag_put(o, "(%s, %uu);", RD(S(3), V), I(4));
      break;
    case CL_SIMD_REPLACE:
      ag_put(o, " %s = ", WR(S(2), V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s, %uu, ", RD(S(3), V), I(5));
      ag_put(o, "%s);", RD(S(4), ag_type(sd->type)));
      break;
    case CL_SIMD_UNARY:
    case CL_SIMD_TEST:
      ag_put(o, " %s = ", WR(S(2), sd->shape == CL_SIMD_TEST ? AT_I32 : V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s);", RD(S(3), V));
      break;
    case CL_SIMD_BINARY:
    case CL_SIMD_SHIFT:
      ag_put(o, " %s = ", WR(S(2), V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s, ", RD(S(3), V));
      ag_put(o, "%s);", RD(S(4), sd->shape == CL_SIMD_SHIFT ? AT_I32 : V));
      break;
    case CL_SIMD_TERNARY:
      ag_put(o, " %s = ", WR(S(2), V));
      ag_helper(o, sd->text);
      ag_put(o, "(%s, ", RD(S(3), V));
      ag_put(o, "%s, ", RD(S(4), V));
      ag_put(o, "%s);", RD(S(5), V));
      break;
  }
#undef S
#undef I
}

/* ---- one instruction ---- */

static bool ag_ins_emit(ag *g, ag_fn *F, const ag_ins *in, uint32_t pos,
                        cl_aot_src *o) {
  const cl_module *m = g->m;
  const uint16_t *pc = F->code->words + pos;
#define S(k) ((uint32_t)pc[k])
#define I(k) cl_u32_at(pc + (k))

  if (in->group != G_NONE) {
    for (int t = 0; t < AT_N; t++) {
      if (!(in->types & (1u << t))) continue;
      uint32_t dst = S(2);
      if (F->pass == 1) {
        if (in->group == G_COPY) ag_edge_add(F, dst, t, S(3), UINT32_MAX);
        if (in->group == G_SELECT) {
          ag_edge_add(F, dst, t, S(3), S(4));
          RD(S(5), AT_I32);
        }
        continue;
      }
      if (dst >= F->nslots || !F->rd[t][dst]) continue; /* never read */
      if (t == AT_V128 && in->group == G_CONST) {
        uint32_t w[4] = {I(3), I(5), I(7), I(9)};
        /* lanes that are NaNs (as f32 or f64) make the constant opaque to
         * folding, as for scalar NaN constants */
        bool nan = false;
        for (int k = 0; k < 4; k++)
          if ((w[k] & 0x7F800000u) == 0x7F800000u && (w[k] & 0x7FFFFFu))
            nan = true;
        for (int k = 1; k < 4; k += 2)
          if ((w[k] & 0x7FF00000u) == 0x7FF00000u &&
              ((w[k] & 0xFFFFFu) || w[k - 1]))
            nan = true;
        ag_put(o,
               " { uint32_t w_[4] = {0x%xu, 0x%xu, 0x%xu, 0x%xu}; "
               "__builtin_memcpy(&%s, w_, 16);",
               (unsigned)w[0], (unsigned)w[1], (unsigned)w[2], (unsigned)w[3],
               WR(dst, t));
        if (nan) ag_put(o, " CL_OPAQUE(%s);", WR(dst, t));
        ag_put(o, " }");
        continue;
      }
      ag_put(o, " %s = ", WR(dst, t));
      switch (in->group) {
        case G_COPY:
          ag_put(o, "%s;", RD(S(3), t));
          break;
        case G_SELECT:
          ag_put(o, "%s ? ", RD(S(5), AT_I32));
          ag_put(o, "%s : ", RD(S(3), t));
          ag_put(o, "%s;", RD(S(4), t));
          break;
        default: {
          uint64_t k = 0;
          if (t == AT_I32 || t == AT_F32) k = I(3);
          if (t == AT_I64 || t == AT_F64)
            k = (uint64_t)I(3) | ((uint64_t)I(5) << 32);
          ag_literal(o, t, k);
          ag_put(o, ";");
        }
      }
    }
    return true;
  }

  int iop = in->iop;
  ag_num num;
  ag_mem mem;
  ag_cmp cmp;
  switch (iop) {
    case IOP_UNREACHABLE:
      ag_put(o, " cl_trap(cx, CL_T_UNREACHABLE);");
      break;
    case IOP_BR:
      ag_label_use(F, I(2));
      ag_put(o, " goto L%u;", I(2));
      break;
    case IOP_BR_BACK:
      ag_label_use(F, I(2));
      ag_checkpoint(o);
      ag_put(o, " goto L%u;", I(2));
      break;
    case IOP_BR_IF:
      ag_label_use(F, I(3));
      ag_put(o, " if (%s) goto L%u;", RD(S(2), AT_I32), I(3));
      break;
    case IOP_BR_IF_BACK:
      ag_label_use(F, I(3));
      ag_put(o, " if (%s) {", RD(S(2), AT_I32));
      ag_checkpoint(o);
      ag_put(o, " goto L%u; }", I(3));
      break;
    case IOP_BR_UNLESS:
      ag_label_use(F, I(3));
      ag_put(o, " if (!%s) goto L%u;", RD(S(2), AT_I32), I(3));
      break;
    case IOP_BR_TABLE: {
      uint32_t n = I(3);
      ag_put(o, " switch (%s) {", RD(S(2), AT_I32));
      for (uint32_t i = 0; i < n; i++) {
        ag_label_use(F, I(5 + 2 * i));
        ag_put(o, " case %u: goto L%u;", i, I(5 + 2 * i));
      }
      ag_label_use(F, I(5 + 2 * n));
      ag_put(o, " default: goto L%u; }", I(5 + 2 * n));
      break;
    }
    case IOP_RETURN: {
      const cl_functype *ft = F->ft;
      if (ft->nresults == 0) {
        ag_put(o, " return;");
      } else if (ft->nresults == 1) {
        ag_put(o, " return %s;", RD(0, ag_type(ft->results[0])));
      } else {
        char rb[64];
        ag_put(o, " { %s r_;", ag_result_type(g, ft, rb, sizeof rb));
        for (uint32_t i = 0, s = 0; i < ft->nresults; i++) {
          int t = ag_type(ft->results[i]);
          ag_put(o, " r_.r%u = %s;", i, RD(s, t));
          s += ag_width(t);
        }
        ag_put(o, " return r_; }");
      }
      break;
    }
    case IOP_CALL: {
      uint32_t fi = I(2), base = S(4);
      if (fi >= m->nfunc_imports) {
        F->bad = true;
        break;
      }
      const cl_functype *ft = cl_func_type(m, fi);
      ag_put(o, " { cl_aot_slot *io_ = cx->stack + ((uint64_t)fp + %u);", base);
      ag_io_args(F, o, ft, base);
      ag_put(o, " cx->api->call_import(cx, %u, (uint64_t)fp + %u, d + 1);", fi,
             base);
      ag_io_results(F, o, ft, base);
      ag_put(o, " budget = cx->budget; CL_RELOAD_MEMSIZE(); }");
      break;
    }
    case IOP_CALL_INTERNAL: {
      uint32_t di = I(2), base = S(4);
      if (di >= m->nfuncs - m->nfunc_imports) {
        F->bad = true;
        break;
      }
      const cl_functype *ft = cl_func_type(m, m->nfunc_imports + di);
      char rb[64];
      ag_put(o, " {");
      if (ft->nresults)
        ag_put(o, " %s r_ =", ag_result_type(g, ft, rb, sizeof rb));
      ag_put(o, " f%u(cx, fp + %u, d + 1", di, base);
      ag_args(F, o, ft, base);
      ag_put(o, ");");
      if (ft->nresults) ag_results(F, o, ft, base);
      ag_put(o, " budget = cx->budget; CL_RELOAD_MEMSIZE(); }");
      break;
    }
    case IOP_CALL_INDIRECT: {
      uint32_t ti = I(2), tb = I(4), base = S(6), elem = S(7);
      if (ti >= m->ntypes || tb >= m->ntables) {
        F->bad = true;
        break;
      }
      const cl_functype *ft = &m->types[ti];
      char rb[64];
      ag_put(o, " { void *fn_ = cx->api->indirect(cx, %u, %u, %s);", tb, ti,
             RD(elem, AT_I32));
      ag_put(o, " if (fn_) {");
      if (ft->nresults)
        ag_put(o, " %s r_ =", ag_result_type(g, ft, rb, sizeof rb));
      ag_put(o, " ((cl_ft%u)fn_)(cx, fp + %u, d + 1", ti, base);
      ag_args(F, o, ft, base);
      ag_put(o, ");");
      if (ft->nresults) ag_results(F, o, ft, base);
      ag_put(o,
             " } else { cl_aot_slot *io_ = cx->stack + ((uint64_t)fp + "
             "%u);",
             base);
      ag_io_args(F, o, ft, base);
      ag_put(o, " cx->api->call_pending(cx, (uint64_t)fp + %u, d + 1);", base);
      ag_io_results(F, o, ft, base);
      ag_put(o, " } budget = cx->budget; CL_RELOAD_MEMSIZE(); }");
      break;
    }
    case IOP_REF_IS_NULL:
      ag_put(o, " %s = ", WR(S(2), AT_I32));
      ag_put(o, "%s == 0;", RD(S(3), AT_REF));
      break;
    case IOP_GLOBAL_GET:
    case IOP_GLOBAL_GET_V128: {
      uint32_t gi = I(3);
      if (gi >= m->nglobals) {
        F->bad = true;
        break;
      }
      int t = ag_type(m->globals[gi].type.type);
      if (t == AT_V128)
        ag_put(o, " %s = *(CL_Q const cl_v128u *)cx->g[%u];", WR(S(2), t), gi);
      else
        ag_put(o, " %s = ((CL_Q cl_aot_slot *)cx->g[%u])->%s;", WR(S(2), t), gi,
               ag_field[t]);
      break;
    }
    case IOP_GLOBAL_SET:
    case IOP_GLOBAL_SET_V128: {
      uint32_t gi = I(2);
      if (gi >= m->nglobals) {
        F->bad = true;
        break;
      }
      int t = ag_type(m->globals[gi].type.type);
      if (t == AT_V128)
        ag_put(o, " *(CL_Q cl_v128u *)cx->g[%u] = %s;", gi, RD(S(4), t));
      else
        ag_put(o, " ((CL_Q cl_aot_slot *)cx->g[%u])->%s = %s;", gi, ag_field[t],
               RD(S(4), t));
      break;
    }
    case IOP_TABLE_GET:
      ag_put(o, " %s = ", WR(S(2), AT_REF));
      ag_put(o, "cx->api->table_get(cx, %u, %s);", I(3), RD(S(5), AT_I32));
      break;
    case IOP_TABLE_SET:
      ag_put(o, " cx->api->table_set(cx, %u, %s, ", I(2), RD(S(4), AT_I32));
      ag_put(o, "%s);", RD(S(5), AT_REF));
      break;
    case IOP_TABLE_SIZE:
      ag_put(o, " %s = cx->api->table_size(cx, %u);", WR(S(2), AT_I32), I(3));
      break;
    case IOP_TABLE_GROW:
      ag_put(o, " %s = ", WR(S(2), AT_I32));
      ag_put(o, "cx->api->table_grow(cx, %u, %s, ", I(3), RD(S(5), AT_REF));
      ag_put(o, "%s);", RD(S(6), AT_I32));
      break;
    case IOP_TABLE_FILL:
      ag_put(o, " cx->api->table_fill(cx, %u, %s, ", I(2), RD(S(4), AT_I32));
      ag_put(o, "%s, ", RD(S(5), AT_REF));
      ag_put(o, "%s);", RD(S(6), AT_I32));
      break;
    case IOP_TABLE_COPY:
    case IOP_TABLE_INIT:
      ag_put(o, " cx->api->%s(cx, %u, %u, %s, ",
             iop == IOP_TABLE_COPY ? "table_copy" : "table_init", I(2), I(4),
             RD(S(6), AT_I32));
      ag_put(o, "%s, ", RD(S(7), AT_I32));
      ag_put(o, "%s);", RD(S(8), AT_I32));
      break;
    case IOP_ELEM_DROP:
      ag_put(o, " cx->api->elem_drop(cx, %u);", I(2));
      break;
    case IOP_MEMORY_SIZE:
      ag_put(o, " %s = cx->api->memory_size(cx);", WR(S(2), AT_I32));
      break;
    case IOP_MEMORY_GROW:
      ag_put(o, " %s = ", WR(S(2), AT_I32));
      ag_put(o, "cx->api->memory_grow(cx, %s); CL_RELOAD_MEMSIZE();",
             RD(S(3), AT_I32));
      break;
    case IOP_MEMORY_INIT:
      ag_put(o, " cx->api->memory_init(cx, %u, %s, ", I(2), RD(S(4), AT_I32));
      ag_put(o, "%s, ", RD(S(5), AT_I32));
      ag_put(o, "%s);", RD(S(6), AT_I32));
      break;
    case IOP_DATA_DROP:
      ag_put(o, " cx->api->data_drop(cx, %u);", I(2));
      break;
    case IOP_MEMORY_COPY:
    case IOP_MEMORY_FILL:
      ag_put(o, " cx->api->%s(cx, %s, ",
             iop == IOP_MEMORY_COPY ? "memory_copy" : "memory_fill",
             RD(S(2), AT_I32));
      ag_put(o, "%s, ", RD(S(3), AT_I32));
      ag_put(o, "%s);", RD(S(4), AT_I32));
      break;
    case IOP_REF_FUNC:
      if (I(3) >= m->nfuncs) {
        F->bad = true;
        break;
      }
      ag_put(o, " %s = cx->funcs[%u];", WR(S(2), AT_REF), I(3));
      break;
    default:
      if (ag_mem_of(iop, &mem)) {
        if (ag_is_load(iop)) {
          ag_put(o, " %s = %s", WR(S(2), mem.vtype), mem.conv);
          ag_load(F, o, pos, mem.ptr, S(3), I(4), mem.bytes);
          ag_put(o, ";");
        } else {
          ag_store(F, o, pos, mem.ptr, S(2), I(4), mem.bytes);
          ag_put(o, "%s%s", mem.conv, RD(S(3), mem.vtype));
          ag_store_end(F, o);
        }
        break;
      }
      if (ag_unary_of(iop, &num)) {
        ag_put(o, " %s = cl_", WR(S(2), num.out));
        for (const char *p = num.text; *p; p++)
          ag_put(o, "%c", *p == '.' ? '_' : *p);
        ag_put(o, "(%s%s);", num.traps ? "cx, " : "", RD(S(3), num.in));
        break;
      }
      bool imm = false;
      if (ag_binary_of(iop, &num) || (imm = ag_imm_of(iop, &num))) {
        ag_put(o, " %s = cl_", WR(S(2), num.out));
        for (const char *p = num.text; *p; p++)
          ag_put(o, "%c", *p == '.' ? '_' : *p);
        ag_put(o, "(%s%s, ", num.traps ? "cx, " : "", RD(S(3), num.in));
        if (imm) {
          uint64_t k = (uint64_t)(int64_t)(int32_t)I(4);
          ag_literal(o, num.in, num.in == AT_I32 ? (uint32_t)k : k);
          ag_put(o, ");");
        } else {
          ag_put(o, "%s);", RD(S(4), num.in));
        }
        break;
      }
      if (ag_cmp_of(iop, &cmp)) {
        uint32_t tgt = cmp.imm ? I(5) : I(4);
        ag_label_use(F, tgt);
        ag_put(o, " if (%s((%s)%s %s ", cmp.unless ? "!" : "", cmp.ctype,
               RD(S(2), cmp.vtype), cmp.op);
        if (cmp.imm) {
          uint64_t k = (uint64_t)(int64_t)(int32_t)I(3);
          ag_put(o, "(%s)", cmp.ctype);
          ag_literal(o, cmp.vtype, cmp.vtype == AT_I32 ? (uint32_t)k : k);
        } else {
          ag_put(o, "(%s)%s", cmp.ctype, RD(S(3), cmp.vtype));
        }
        ag_put(o, "))");
        if (cmp.back) {
          ag_put(o, " {");
          ag_checkpoint(o);
          ag_put(o, " goto L%u; }", tgt);
        } else {
          ag_put(o, " goto L%u;", tgt);
        }
        break;
      }
      const ag_simd *sd = ag_simd_of(iop);
      if (sd) {
        ag_simd_emit(F, o, sd, pc, pos);
        break;
      }
      cl_error_set(g->err, CLAVE_EUNSUPPORTED,
                   "AOT: internal op %s (function %u) is not supported by "
                   "the AOT tier yet",
                   ag_iop_name[iop], F->funcidx);
      return false;
  }
  return true;
#undef S
#undef I
}

/* ---- counted inner loops: a second copy the C compiler can vectorize ----
 *
 * An innermost loop of straight-line code (no branch in, none out, no
 * call, nothing that traps but memory accesses) whose back-edge is a
 * compare of an i32 induction variable, stepped by a constant once per
 * iteration, against a constant or a loop-invariant bound, and whose
 * memory addresses are all affine in that variable, gets a fast copy in
 * front of it.  At run time, on entering the loop, the copy runs instead
 * when the trip count N follows from the values at hand, the budget covers
 * the N - 1 back-edges (so no checkpoint would refill: no clock or
 * interrupt check either), and every access of every iteration is in
 * bounds and its 32-bit address computation does not wrap: then nothing in
 * the loop can trap and its effects are those of N iterations, so the copy
 * runs them with plain accesses at 64-bit affine addresses, charges N - 1
 * and jumps past the loop.  Otherwise the exact loop runs. */

static bool ag_fast_ok(const ag_ins *in) {
  if (in->group != G_NONE) return true;
  ag_num num;
  ag_mem mem;
  if (ag_mem_of(in->iop, &mem)) return true;
  if (ag_unary_of(in->iop, &num) || ag_binary_of(in->iop, &num) ||
      ag_imm_of(in->iop, &num))
    return !num.traps;
  const ag_simd *sd = ag_simd_of(in->iop);
  return sd && sd->shape != CL_SIMD_LOAD_LANE &&
         sd->shape != CL_SIMD_STORE_LANE;
}

#define AG_AFF_MAX (1ll << 40)  /* constants */
#define AG_COEF_MAX (1ll << 20) /* coefficients and steps */

static ag_aff ag_aff_lin(ag_aff a, ag_aff b, int64_t sb) {
  ag_aff r = {false, false, 0, 0, 0, 0};
  if (!a.ok || !b.ok) return r;
  if (a.has_inv && b.has_inv && a.inv != b.inv) return r;
  r = a;
  if (b.has_inv) {
    r.has_inv = true;
    r.inv = b.inv;
    r.ic = a.has_inv ? a.ic + sb * b.ic : sb * b.ic;
  }
  r.k = a.k + sb * b.k;
  r.c = a.c + sb * b.c;
  if (r.ic > AG_COEF_MAX || r.ic < -AG_COEF_MAX || r.k > AG_COEF_MAX ||
      r.k < -AG_COEF_MAX || r.c > AG_AFF_MAX || r.c < -AG_AFF_MAX)
    r.ok = false;
  return r;
}

static ag_aff ag_aff_scale(ag_aff a, int64_t m) {
  ag_aff r = a;
  if (!a.ok || m > (1 << 20) || m < -(1 << 20)) {
    r.ok = false;
    return r;
  }
  r.ic *= m;
  r.k *= m;
  r.c *= m;
  if (r.ic > AG_COEF_MAX || r.ic < -AG_COEF_MAX || r.k > AG_COEF_MAX ||
      r.k < -AG_COEF_MAX || r.c > AG_AFF_MAX || r.c < -AG_AFF_MAX)
    r.ok = false;
  return r;
}

typedef struct ag_lstate {
  const ag_fn *F;
  const uint8_t *wr; /* i32 slots written in the body */
  uint8_t *seen;     /* written so far in this iteration */
  ag_aff *form;
  uint32_t iv;
} ag_lstate;

static ag_aff ag_aff_read(const ag_lstate *L, uint32_t x) {
  ag_aff r = {false, false, 0, 0, 0, 0};
  if (x >= L->F->nslots) return r;
  if (!L->wr[x]) {
    r.ok = r.has_inv = true;
    r.inv = x;
    r.ic = 1;
  } else if (L->seen[x]) {
    r = L->form[x];
  } else if (x == L->iv) {
    r.ok = true;
    r.k = 1;
  }
  return r;
}

/* Check one candidate: the back-edge at instruction index be, jumping to
 * the instruction index hs.  Fills lp on success. */
static bool ag_loop_check(ag *g, ag_fn *F, uint32_t hs, uint32_t be,
                          ag_loop *lp, uint8_t *wr, uint8_t *seen,
                          ag_aff *form) {
  const cl_code *c = F->code;
  ag_ins in;
  memset(lp, 0, sizeof *lp);
  lp->head = F->ipos[hs];
  lp->back = F->ipos[be];
  lp->next = be + 1 < F->nins ? F->ipos[be + 1] : c->nwords;
  /* the back-edge: go on while iv_after CMP bound */
  if (!ag_decode(g, c, lp->back, &in)) return false;
  ag_cmp cmp;
  if (in.group != G_NONE || !ag_cmp_of(in.iop, &cmp) || !cmp.back ||
      cmp.unless || cmp.vtype != AT_I32)
    return false;
  const uint16_t *bpc = c->words + lp->back;
  bool sgn = strcmp(cmp.ctype, "int32_t") == 0;
  if (strcmp(cmp.op, "!=") == 0)
    lp->cmp = AG_LC_NE;
  else if (strcmp(cmp.op, "<") == 0)
    lp->cmp = sgn ? AG_LC_LT_S : AG_LC_LT_U;
  else if (strcmp(cmp.op, "<=") == 0)
    lp->cmp = sgn ? AG_LC_LE_S : AG_LC_LE_U;
  else
    return false;
  lp->iv = bpc[2];
  lp->bimm = cmp.imm;
  lp->bound = cmp.imm ? cl_u32_at(bpc + 3) : bpc[3];
  /* the body: allowed ops, and which i32 slots it writes */
  uint32_t nslots = F->nslots;
  memset(wr, 0, nslots);
  memset(seen, 0, nslots);
  uint32_t ivwrites = 0, ivupdate = 0;
  cl_aot_src scratch;
  memset(&scratch, 0, sizeof scratch);
  bool ok = true;
  for (uint32_t i = hs; ok && i < be; i++) {
    if (i > hs && F->label[F->ipos[i]]) ok = false;
    if (!ok || !ag_decode(g, c, F->ipos[i], &in) || !ag_fast_ok(&in)) {
      ok = false;
      break;
    }
    F->pass = 3;
    F->nw = 0;
    scratch.len = 0;
    if (!ag_ins_emit(g, F, &in, F->ipos[i], &scratch)) ok = false;
    F->pass = 2;
    for (uint32_t w = 0; w < F->nw; w++) {
      if (F->wtype[w] != AT_I32) continue;
      wr[F->wslot[w]] = 1;
      if (F->wslot[w] == lp->iv) {
        ivwrites++;
        ivupdate = i;
      }
    }
  }
  if (F->label[lp->back]) ok = false;
  cl_aot_src_free(&scratch);
  if (!ok || ivwrites != 1) return false;
  if (!lp->bimm && (lp->bound >= nslots || wr[lp->bound])) return false;
  /* the induction variable: iv = iv + step, step > 0 */
  if (!ag_decode(g, c, F->ipos[ivupdate], &in) || in.group != G_NONE ||
      in.iop != IOP_I32_ADD_I)
    return false;
  const uint16_t *upc = c->words + F->ipos[ivupdate];
  int32_t step = (int32_t)cl_u32_at(upc + 4);
  if (upc[2] != lp->iv || upc[3] != lp->iv || step <= 0) return false;
  lp->step = step;
  /* affine addresses, in one forward pass */
  ag_lstate L = {F, wr, seen, form, lp->iv};
  uint32_t cap = 0;
  for (uint32_t i = hs; i < be; i++) {
    uint32_t pos = F->ipos[i];
    const uint16_t *pc = c->words + pos;
    ag_decode(g, c, pos, &in);
    /* an access: its address must be affine */
    ag_mem mem;
    const ag_simd *sd = in.group == G_NONE ? ag_simd_of(in.iop) : NULL;
    bool is_mem = in.group == G_NONE && ag_mem_of(in.iop, &mem);
    bool is_vmem =
        sd && (sd->shape == CL_SIMD_LOAD || sd->shape == CL_SIMD_STORE);
    if (is_mem || is_vmem) {
      bool load = is_mem ? ag_is_load(in.iop) : sd->shape == CL_SIMD_LOAD;
      ag_acc a;
      a.pos = pos;
      a.a = ag_aff_read(&L, load ? pc[3] : pc[2]);
      a.off = cl_u32_at(pc + 4);
      a.bytes = is_mem ? mem.bytes : sd->shape == CL_SIMD_STORE ? 16 : sd->n;
      if (!a.a.ok) goto fail;
      if (lp->nacc == cap) {
        cap = cap ? cap * 2 : 8;
        ag_acc *na = realloc(lp->acc, cap * sizeof *na);
        if (!na) goto fail;
        lp->acc = na;
      }
      lp->acc[lp->nacc++] = a;
    }
    /* what it writes: affine for the i32 ops that keep it so */
    F->pass = 3;
    F->nw = 0;
    cl_aot_src scr;
    memset(&scr, 0, sizeof scr);
    ag_ins_emit(g, F, &in, pos, &scr);
    cl_aot_src_free(&scr);
    F->pass = 2;
    ag_aff r = {false, false, 0, 0, 0, 0};
    if (in.group == G_COPY) {
      r = ag_aff_read(&L, pc[3]);
    } else if (in.group == G_CONST) {
      r.ok = true;
      r.c = (int32_t)cl_u32_at(pc + 3);
    } else if (in.group == G_NONE) {
      int32_t imm = (int32_t)cl_u32_at(pc + 4);
      ag_aff k = {true, false, 0, 0, 0, imm};
      switch (in.iop) {
        case IOP_I32_ADD:
          r = ag_aff_lin(ag_aff_read(&L, pc[3]), ag_aff_read(&L, pc[4]), 1);
          break;
        case IOP_I32_SUB:
          r = ag_aff_lin(ag_aff_read(&L, pc[3]), ag_aff_read(&L, pc[4]), -1);
          break;
        case IOP_I32_ADD_I:
          r = ag_aff_lin(ag_aff_read(&L, pc[3]), k, 1);
          break;
        case IOP_I32_SUB_I:
          r = ag_aff_lin(ag_aff_read(&L, pc[3]), k, -1);
          break;
        case IOP_I32_MUL_I:
          r = ag_aff_scale(ag_aff_read(&L, pc[3]), imm);
          break;
        case IOP_I32_SHL_I:
          if ((imm & 31) <= 20)
            r = ag_aff_scale(ag_aff_read(&L, pc[3]), 1ll << (imm & 31));
          break;
      }
    }
    for (uint32_t w = 0; w < F->nw; w++) {
      if (F->wtype[w] != AT_I32) continue;
      form[F->wslot[w]] = r;
      seen[F->wslot[w]] = 1;
    }
  }
  if (lp->nacc == 0 || lp->step > AG_COEF_MAX) goto fail;
  for (uint32_t i = 0; i < lp->nacc; i++) {
    ag_acc *a = &lp->acc[i];
    a->group = i;
    for (uint32_t j = 0; j < i; j++) {
      const ag_acc *b = &lp->acc[j];
      if (b->a.has_inv == a->a.has_inv && b->a.k == a->a.k &&
          (!a->a.has_inv || (b->a.inv == a->a.inv && b->a.ic == a->a.ic))) {
        a->group = b->group;
        break;
      }
    }
  }
  return true;
fail:
  free(lp->acc);
  lp->acc = NULL;
  return false;
}

/* After pass 1: find the loops that get a fast copy (innermost loops
 * only: each back-edge is checked alone, and a body may hold no label). */
static bool ag_find_loops(ag *g, ag_fn *F) {
  const cl_code *c = F->code;
  uint8_t *wr = calloc(F->nslots, 1), *seen = calloc(F->nslots, 1);
  ag_aff *form = calloc(F->nslots, sizeof *form);
  bool ok = wr && seen && form;
  for (uint32_t be = 0; ok && be < F->nins; be++) {
    ag_ins in;
    ag_cmp cmp;
    if (!ag_decode(g, c, F->ipos[be], &in)) break;
    if (in.group != G_NONE || !ag_cmp_of(in.iop, &cmp) || !cmp.back) continue;
    uint32_t target = cl_u32_at(c->words + F->ipos[be] + (cmp.imm ? 5 : 4));
    /* the instruction index of the target */
    uint32_t lo = 0, hi = be;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (F->ipos[mid] < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo >= be || F->ipos[lo] != target) continue;
    ag_loop lp;
    if (!ag_loop_check(g, F, lo, be, &lp, wr, seen, form)) continue;
    ag_loop *nl = realloc(F->loops, (F->nloops + 1) * sizeof *nl);
    if (!nl) {
      free(lp.acc);
      ok = false;
      break;
    }
    F->loops = nl;
    F->loops[F->nloops++] = lp;
    F->label[lp.next] = 1;
  }
  free(wr);
  free(seen);
  free(form);
  if (!ok) cl_error_set(g->err, CLAVE_ENOMEM, "out of memory generating C");
  return ok;
}

/* the fast copy of lp, with its precondition, in front of its header */
static bool ag_fast_copy(ag *g, ag_fn *F, const ag_loop *lp, cl_aot_src *o) {
  const cl_code *c = F->code;
  ag_put(o, "\nFC%u:; { /* counted loop: a fast copy */\n", lp->head);
  ag_put(o, "  uint32_t iv_ = %s; uint64_t n_ = 0, j_;\n", RD(lp->iv, AT_I32));
  if (lp->bimm)
    ag_put(o, "  uint32_t b_ = 0x%xu;\n", lp->bound);
  else
    ag_put(o, "  uint32_t b_ = %s;\n", RD(lp->bound, AT_I32));
  uint64_t S = (uint64_t)lp->step;
  switch (lp->cmp) {
    case AG_LC_NE:
      ag_put(o,
             "  if (b_ > iv_ && (b_ - iv_) %% %lluu == 0) n_ = (b_ - iv_) / "
             "%lluu;\n",
             (unsigned long long)S, (unsigned long long)S);
      break;
    case AG_LC_LT_U:
    case AG_LC_LE_U:
      if (lp->cmp == AG_LC_LT_U)
        ag_put(o, "  j_ = b_ > iv_ ? ((uint64_t)b_ - iv_ + %llu) / %llu : 1;\n",
               (unsigned long long)S - 1, (unsigned long long)S);
      else
        ag_put(o, "  j_ = b_ >= iv_ ? ((uint64_t)b_ - iv_) / %llu + 1 : 1;\n",
               (unsigned long long)S);
      ag_put(o, "  if ((uint64_t)iv_ + j_ * %lluu <= 0xFFFFFFFFu) n_ = j_;\n",
             (unsigned long long)S);
      break;
    default:
      if (lp->cmp == AG_LC_LT_S)
        ag_put(o,
               "  j_ = (int32_t)b_ > (int32_t)iv_ ? "
               "(uint64_t)((int64_t)(int32_t)b_ "
               "- (int32_t)iv_ + %llu) / %llu : 1;\n",
               (unsigned long long)S - 1, (unsigned long long)S);
      else
        ag_put(o,
               "  j_ = (int32_t)b_ >= (int32_t)iv_ ? "
               "(uint64_t)((int64_t)(int32_t)b_ "
               "- (int32_t)iv_) / %llu + 1 : 1;\n",
               (unsigned long long)S);
      ag_put(o,
             "  if ((int32_t)iv_ >= 0 && (uint64_t)iv_ + j_ * %lluu <= "
             "0x7FFFFFFFu) n_ = j_;\n",
             (unsigned long long)S);
  }
  /* nr_ iterations run here: all n_ when the budget covers their n_ - 1
   * back-edges, else those up to the back-edge whose checkpoint refills
   * (budget + 1 of them), which then runs as in the exact loop and comes
   * back here */
  ag_put(o,
         "  if (n_ && budget >= 0) {\n"
         "    uint64_t nr_ = n_ - 1 <= (uint64_t)budget ? n_ : "
         "(uint64_t)budget + 1;\n"
         "    int64_t ms_ = (int64_t)cx->memsize, m_ = (int64_t)(nr_ - 1); "
         "int ok_ = 1;\n");
  /* one base per group of accesses (so that the C compiler sees accesses
   * next to each other as such), then one range check per group: the
   * lowest address at the end where the group starts and the highest end
   * at the other (the group's step has one sign), in int64_t, which holds
   * every value here: |k|, |ic| <= 2^20 times a u32 (2^52 each), |c| <=
   * 2^40, and |k * step * (n - 1)| <= 2^20 * 2^32 since step * (n - 1) <
   * 2^32 by the trip count's own check above; so the sum stays below
   * 2^55.  Addresses in [0, memsize - bytes] with memsize <= 2^32 also
   * mean that no 32-bit address computation wrapped. */
  for (uint32_t k = 0; k < lp->nacc; k++) {
    const ag_acc *a = &lp->acc[k];
    if (a->group != k) continue;
    int64_t cmin = a->a.c, cmax = a->a.c + (int64_t)a->off + a->bytes;
    for (uint32_t j = k + 1; j < lp->nacc; j++) {
      const ag_acc *b = &lp->acc[j];
      if (b->group != k) continue;
      if (b->a.c < cmin) cmin = b->a.c;
      if (b->a.c + (int64_t)b->off + b->bytes > cmax)
        cmax = b->a.c + (int64_t)b->off + b->bytes;
    }
    int64_t K = a->a.k * lp->step;
    ag_put(o, "    int64_t gb_%u = %lldll * (int64_t)iv_", k,
           (long long)a->a.k);
    if (a->a.has_inv)
      ag_put(o, " + %lldll * (int64_t)%s", (long long)a->a.ic,
             RD(a->a.inv, AT_I32));
    ag_put(o, ";\n    uint8_t *const bp_%u = mem + gb_%u;\n", k, k);
    char span[48] = "";
    if (K != 0) snprintf(span, sizeof span, " + %lldll * m_", (long long)K);
    ag_put(o,
           "    if (gb_%u + %lldll%s < 0 || gb_%u + %lldll%s > ms_) ok_ = 0;\n",
           k, (long long)cmin, K < 0 ? span : "", k, (long long)cmax,
           K > 0 ? span : "");
  }
  /* the copy's plain accesses stay between two compiler barriers, so
   * that none of them moves past an access of the exact code or a call
   * (which may fault or look at memory) */
  ag_put(o,
         "    if (ok_) {\n      __asm__ __volatile__(\"\" ::: \"memory\");\n"
         "      for (uint64_t t_ = 0; t_ < nr_; t_++) {");
  F->fast = lp;
  for (uint32_t pos = lp->head; pos < lp->back;) {
    ag_ins in;
    if (!ag_decode(g, c, pos, &in)) return false;
    if (!ag_ins_emit(g, F, &in, pos, o)) return false;
    ag_put(o, "\n");
    pos += in.len;
  }
  F->fast = NULL;
  ag_put(o,
         "      }\n"
         "      __asm__ __volatile__(\"\" ::: \"memory\");\n"
         "      budget -= (int64_t)(nr_ - 1); *(volatile int64_t *)&cx->budget "
         "= budget;\n"
         "      if (nr_ == n_) goto L%u;\n"
         "      CL_CP(); goto FC%u;\n    }\n  }\n}\n",
         lp->next, lp->head);
  return true;
}

/* ---- one function ---- */

static bool ag_fn_alloc(ag_fn *F, const cl_code *c) {
  F->nslots = c->frame_slots + 2;
  for (int t = 0; t < AT_N; t++) {
    F->rd[t] = calloc(F->nslots, 1);
    F->decl[t] = calloc(F->nslots, 1);
    if (!F->rd[t] || !F->decl[t]) return false;
  }
  F->label = calloc((size_t)c->nwords + 1, 1);
  return F->label != NULL;
}

static void ag_fn_free(ag_fn *F) {
  for (int t = 0; t < AT_N; t++) {
    free(F->rd[t]);
    free(F->decl[t]);
  }
  free(F->label);
  free(F->edges);
  free(F->ipos);
  for (uint32_t i = 0; i < F->nloops; i++) free(F->loops[i].acc);
  free(F->loops);
}

/* One pass over the code: pass 1 collects labels, reads and moves; pass
 * 2 writes the body into o. */
static bool ag_fast_copy(ag *g, ag_fn *F, const ag_loop *lp, cl_aot_src *o);

static bool ag_fn_pass(ag *g, ag_fn *F, cl_aot_src *o) {
  const cl_code *c = F->code;
  uint32_t nextloop = 0;
  for (uint32_t pos = 0; pos < c->nwords;) {
    ag_ins in;
    if (!ag_decode(g, c, pos, &in)) return false;
    if (F->pass == 1) {
      if (F->nins == F->capins) {
        uint32_t cap = F->capins ? F->capins * 2 : 256;
        uint32_t *p = realloc(F->ipos, (size_t)cap * sizeof *p);
        if (!p) {
          cl_error_set(g->err, CLAVE_ENOMEM, "out of memory generating C");
          return false;
        }
        F->ipos = p;
        F->capins = cap;
      }
      F->ipos[F->nins++] = pos;
    }
    if (F->pass == 2 && nextloop < F->nloops &&
        F->loops[nextloop].head == pos) {
      if (!ag_fast_copy(g, F, &F->loops[nextloop], o)) return false;
      nextloop++;
    }
    if (F->pass == 2 && F->label[pos]) ag_put(o, "\nL%u:;", pos);
    if (!ag_ins_emit(g, F, &in, pos, o)) return false;
    if (F->pass == 2) ag_put(o, "\n");
    pos += in.len;
  }
  if (F->pass == 2 && F->label[c->nwords])
    ag_put(o, "L%u: cl_trap(cx, CL_T_UNREACHABLE);\n", c->nwords);
  if (F->bad) {
    cl_error_set(g->err, CLAVE_EINVALID,
                 "AOT: function %u: an operand of its internal code is out "
                 "of range",
                 F->funcidx);
    return false;
  }
  return true;
}

static void ag_fn_header(ag *g, cl_aot_src *o, uint32_t defidx,
                         const cl_functype *ft) {
  char rb[64];
  ag_put(o, "CL_FN %s f%u(cl_aot_ctx *restrict cx, uint32_t fp, uint32_t d",
         ag_result_type(g, ft, rb, sizeof rb), defidx);
  for (uint32_t i = 0; i < ft->nparams; i++)
    ag_put(o, ", %s a%u", ag_ctype[ag_type(ft->params[i])], i);
  ag_put(o, ")");
}

static bool ag_function(ag *g, uint32_t defidx, cl_aot_src *body) {
  const cl_module *m = g->m;
  ag_fn F;
  memset(&F, 0, sizeof F);
  F.code = &g->mod->codes[defidx];
  F.defidx = defidx;
  F.funcidx = m->nfunc_imports + defidx;
  F.ft = cl_func_type(m, F.funcidx);
  bool ok = ag_fn_alloc(&F, F.code);
  if (!ok) {
    cl_error_set(g->err, CLAVE_ENOMEM, "out of memory generating C");
    ag_fn_free(&F);
    return false;
  }
  /* the parameters arrive in their slots */
  cl_aot_src scratch;
  memset(&scratch, 0, sizeof scratch);
  F.pass = 1;
  ok = ag_fn_pass(g, &F, &scratch);
  cl_aot_src_free(&scratch);
  if (ok) {
    ag_fixpoint(&F);
    ok = ag_find_loops(g, &F);
  }
  if (ok) {
    F.pass = 2;
    body->len = 0;
    ok = ag_fn_pass(g, &F, body);
  }
  if (!ok) {
    ag_fn_free(&F);
    return false;
  }
  cl_aot_src *o = g->out;
  ag_fn_header(g, o, defidx, F.ft);
  ag_put(o, " {\n");
  /* parameters: slot s of type t holds argument i */
  uint8_t *is_param[AT_N];
  for (int t = 0; t < AT_N; t++) is_param[t] = F.rd[t]; /* reuse as flags */
  for (int t = 0; t < AT_N; t++) memset(is_param[t], 0, F.nslots);
  for (uint32_t i = 0, s = 0; i < F.ft->nparams; i++) {
    int t = ag_type(F.ft->params[i]);
    ag_put(o, "  %s s%u%c = a%u;\n", ag_ctype[t], s, ag_suffix[t], i);
    is_param[t][s] = 1;
    s += ag_width(t);
  }
  for (int t = 0; t < AT_N; t++) {
    bool any = false;
    for (uint32_t s = 0; s < F.nslots; s++) {
      if (!F.decl[t][s] || is_param[t][s]) continue;
      if (!any)
        ag_put(o, "  %s", ag_ctype[t]);
      else
        ag_put(o, ",");
      if (t == AT_V128)
        ag_put(o, " s%u%c = {0}", s, ag_suffix[t]);
      else
        ag_put(o, " s%u%c = 0", s, ag_suffix[t]);
      any = true;
    }
    if (any) ag_put(o, ";\n");
  }
  ag_put(o,
         "  uint8_t *const mem = cx->mem; CL_MEMSIZE_DECL\n"
         "  int64_t budget; char probe_;\n"
         "  (void)mem; (void)fp; (void)d;\n"
         "  if (CL_UNLIKELY(d >= cx->max_depth) ||\n"
         "      CL_UNLIKELY((uint64_t)fp + %u > cx->stack_slots) ||\n"
         "      CL_UNLIKELY((uintptr_t)&probe_ < cx->cstack_limit))\n"
         "    cl_trap(cx, CL_T_STACK);\n"
         "  budget = cx->budget; CL_CP();\n",
         F.code->frame_slots);
  ag_append(o, body->p, body->len);
  ag_put(o, "  __builtin_unreachable();\n}\n\n");
  ag_fn_free(&F);
  return true;
}

/* ---- the module ---- */

static int ag_results_cmp(const void *a, const void *b) {
  const cl_functype *x = *(const cl_functype *const *)a;
  const cl_functype *y = *(const cl_functype *const *)b;
  if (x->nresults != y->nresults) return x->nresults < y->nresults ? -1 : 1;
  int c = memcmp(x->results, y->results, x->nresults);
  if (c) return c;
  return x < y ? -1 : x > y;
}

/* g->rep[i]: the first type whose result list equals type i's */
static bool ag_result_reps(ag *g) {
  const cl_module *m = g->m;
  g->rep = malloc((m->ntypes ? m->ntypes : 1) * sizeof *g->rep);
  const cl_functype **v = malloc((m->ntypes ? m->ntypes : 1) * sizeof *v);
  if (!g->rep || !v) {
    free(v);
    return false;
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    g->rep[i] = i;
    if (m->types[i].nresults > 1) v[n++] = &m->types[i];
  }
  qsort(v, n, sizeof *v, ag_results_cmp);
  for (uint32_t k = 1; k < n; k++)
    if (v[k]->nresults == v[k - 1]->nresults &&
        memcmp(v[k]->results, v[k - 1]->results, v[k]->nresults) == 0)
      g->rep[v[k] - m->types] = g->rep[v[k - 1] - m->types];
  free(v);
  return true;
}

/* Does the module have any v128 (then the SIMD part of the prelude goes
 * in; scalar modules compile without it)? */
static bool ag_uses_simd(ag *g) {
  const cl_module *m = g->m;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const cl_functype *ft = &m->types[i];
    for (uint32_t k = 0; k < ft->nparams; k++)
      if (ft->params[k] == CL_V128) return true;
    for (uint32_t k = 0; k < ft->nresults; k++)
      if (ft->results[k] == CL_V128) return true;
  }
  for (uint32_t i = 0; i < m->nglobals; i++)
    if (m->globals[i].type.type == CL_V128) return true;
  clave_error quiet;
  clave_error *err = g->err;
  g->err = &quiet;
  bool simd = false;
  for (uint32_t f = 0; !simd && f < m->nfuncs - m->nfunc_imports; f++) {
    const cl_code *c = &g->mod->codes[f];
    for (uint32_t pos = 0; pos < c->nwords;) {
      ag_ins in;
      if (!ag_decode(g, c, pos, &in)) break;
      if ((in.group != G_NONE && (in.types & (1u << AT_V128))) ||
          (in.group == G_NONE && ag_simd_of(in.iop))) {
        simd = true;
        break;
      }
      pos += in.len;
    }
  }
  g->err = err;
  return simd;
}

static clave_status ag_fail_oom(ag *g) {
  cl_error_set(g->err, CLAVE_ENOMEM, "out of memory generating C");
  return CLAVE_ENOMEM;
}

/* C bytes per byte of translated code, measured on real modules: for
 * planning how many translation units a module's C is split into */
#define AG_C_PER_CODE_BYTE 4
#define AG_TU_MIN (192u << 10)

static clave_status cl_aot_generate_tus(const clave_module *mod, uint32_t flags,
                                        const char *key, uint32_t ntus,
                                        uint64_t tu_target, cl_aot_src *tus,
                                        cl_aot_src *out, clave_error *err);

void cl_aot_srcs_free(cl_aot_src *tus, uint32_t n) {
  for (uint32_t i = 0; tus && i < n; i++) cl_aot_src_free(&tus[i]);
  free(tus);
}

clave_status cl_aot_generate(const clave_module *mod, uint32_t flags,
                             const char *key, uint32_t max_tus,
                             cl_aot_src **tus_out, uint32_t *ntus_out,
                             clave_error *err) {
  *tus_out = NULL;
  *ntus_out = 0;
  /* how many translation units: one for small modules, else about
   * AG_TU_MIN of C each, at most max_tus (the compilers run at once) */
  uint64_t est = (uint64_t)mod->code_bytes * AG_C_PER_CODE_BYTE;
  uint32_t ntus = max_tus ? max_tus : 1;
  if (est / AG_TU_MIN + 1 < ntus) ntus = (uint32_t)(est / AG_TU_MIN + 1);
  uint64_t tu_target = est / ntus + 1;
  cl_aot_src *tus = calloc(ntus, sizeof *tus);
  cl_aot_src hdr;
  memset(&hdr, 0, sizeof hdr);
  clave_status st =
      cl_aot_generate_tus(mod, flags, key, ntus, tu_target, tus, &hdr, err);
  cl_aot_src_free(&hdr);
  if (st != CLAVE_OK) {
    cl_aot_srcs_free(tus, ntus);
    return st;
  }
  uint32_t used = 0;
  while (used < ntus && tus[used].len) used++;
  *tus_out = tus;
  *ntus_out = used;
  return CLAVE_OK;
}

static clave_status cl_aot_generate_tus(const clave_module *mod, uint32_t flags,
                                        const char *key, uint32_t ntus,
                                        uint64_t tu_target, cl_aot_src *tus,
                                        cl_aot_src *out, clave_error *err) {
  if (!tus) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory generating C");
    return CLAVE_ENOMEM;
  }
  ag g;
  memset(&g, 0, sizeof g);
  g.mod = mod;
  g.m = mod->m;
  g.flags = flags;
  g.err = err;
  g.out = out;
  const cl_module *m = mod->m;
  uint32_t ndef = m->nfuncs - m->nfunc_imports;

  /* handler word -> op */
  const int32_t *h = cl_interp_handlers();
  g.map = malloc(IOP_COUNT * sizeof *g.map);
  if (!g.map) return ag_fail_oom(&g);
  for (int i = 0; i < IOP_COUNT; i++) g.map[i] = (ag_hmap){h[i], i};
  g.nmap = IOP_COUNT;
  qsort(g.map, g.nmap, sizeof *g.map, ag_hmap_cmp);

  cl_aot_src *o = out;
  ag_put(o, "/* generated by clave's AOT tier (%s) */\n#include <stdint.h>\n",
         cl_aot_gen_rev);
  ag_append(o, ag_prelude_abi, sizeof ag_prelude_abi - 1);
  ag_put(o,
         "\nenum { CL_T_UNREACHABLE = %d, CL_T_OOB = %d, CL_T_DIV0 = %d, "
         "CL_T_OVF = %d, CL_T_CONV = %d, CL_T_STACK = %d };\n",
         CLAVE_TRAP_UNREACHABLE, CLAVE_TRAP_MEMORY_OOB, CLAVE_TRAP_INT_DIV_ZERO,
         CLAVE_TRAP_INT_OVERFLOW, CLAVE_TRAP_INVALID_CONVERSION,
         CLAVE_TRAP_CALL_STACK);
  ag_append(o, ag_prelude, sizeof ag_prelude - 1);
  /* functions are static in one unit, hidden across several */
  ag_put(o, "#define CL_FN %s\n",
         ntus > 1 ? "__attribute__((visibility(\"hidden\")))" : "static");
  if (ag_uses_simd(&g))
    ag_append(o, ag_prelude_simd, sizeof ag_prelude_simd - 1);
  if (flags & CL_AOT_BOUNDS_CHECKS)
    ag_append(o, ag_prelude_bounds, sizeof ag_prelude_bounds - 1);
  else
    ag_append(o, ag_prelude_guard, sizeof ag_prelude_guard - 1);

  /* result structs and function pointer types, per module type */
  if (!ag_result_reps(&g)) {
    free(g.map);
    return ag_fail_oom(&g);
  }
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const cl_functype *ft = &m->types[i];
    char rb[64];
    const char *rt = ag_result_type(&g, ft, rb, sizeof rb);
    if (ft->nresults > 1 && g.rep[i] == i) {
      ag_put(o, "%s {", rt);
      for (uint32_t k = 0; k < ft->nresults; k++)
        ag_put(o, " %s r%u;", ag_ctype[ag_type(ft->results[k])], k);
      ag_put(o, " };\n");
    }
    ag_put(o, "typedef %s (*cl_ft%u)(cl_aot_ctx *, uint32_t, uint32_t", rt, i);
    ag_param_types(o, ft);
    ag_put(o, ");\n");
  }

  /* prototypes */
  for (uint32_t i = 0; i < ndef; i++) {
    ag_fn_header(&g, o, i, cl_func_type(m, m->nfunc_imports + i));
    ag_put(o, ";\n");
  }
  ag_put(o, "\n");

  /* functions: each unit starts with the header above, then takes
   * functions until it holds about tu_target bytes */
  cl_aot_src body;
  memset(&body, 0, sizeof body);
  uint32_t tu = 0;
  ag_append(&tus[0], out->p, out->len);
  size_t hdr_len = out->len;
  for (uint32_t i = 0; i < ndef; i++) {
    if (tu + 1 < ntus && tus[tu].len - hdr_len > tu_target) {
      tu++;
      ag_append(&tus[tu], out->p, out->len);
    }
    g.out = &tus[tu];
    if (!ag_function(&g, i, &body)) {
      cl_aot_src_free(&body);
      free(g.map);
      free(g.rep);
      return err ? err->status : CLAVE_EINVALID;
    }
    if (tus[tu].oom || body.oom) break;
  }
  cl_aot_src_free(&body);
  free(g.map);
  o = &tus[tu]; /* the entries go with the last functions */

  /* entries: slot-layout thunks and the clave_func.native wrappers */
  ag_put(o, "static const cl_aot_api *cl_api;\n");
  for (uint32_t i = 0; i < ndef; i++) {
    const cl_functype *ft = cl_func_type(m, m->nfunc_imports + i);
    char rb[64];
    ag_put(o, "static void b%u(cl_aot_ctx *cx, cl_aot_slot *io) {", i);
    if (ft->nresults)
      ag_put(o, " %s r_ =", ag_result_type(&g, ft, rb, sizeof rb));
    ag_put(o, " f%u(cx, cx->fp0, cx->d0", i);
    for (uint32_t k = 0, s = 0; k < ft->nparams; k++) {
      int t = ag_type(ft->params[k]);
      if (t == AT_V128)
        ag_put(o,
               ", ({ cl_v128 v_; __builtin_memcpy(&v_, &io[%u], 16); v_; "
               "})",
               s);
      else
        ag_put(o, ", io[%u].%s", s, ag_field[t]);
      s += ag_width(t);
    }
    ag_put(o, ");");
    for (uint32_t k = 0, s = 0; k < ft->nresults; k++) {
      int t = ag_type(ft->results[k]);
      const char *v = ft->nresults == 1 ? "r_" : NULL;
      char vb[16];
      if (!v) {
        snprintf(vb, sizeof vb, "r_.r%u", k);
        v = vb;
      }
      if (t == AT_V128)
        ag_put(o, " __builtin_memcpy(&io[%u], &%s, 16);", s, v);
      else
        ag_put(o, " io[%u].%s = %s;", s, ag_field[t], v);
      s += ag_width(t);
    }
    ag_put(o, " }\n");
    ag_put(o,
           "static int w%u(void *ex, void *inst, cl_aot_slot *io) { return "
           "__atomic_load_n(&cl_api, __ATOMIC_RELAXED)->enter(ex, inst, io, "
           "b%u); }\n",
           i, i);
  }
  ag_put(o, "static const cl_aot_entry cl_entries[%u] = {", ndef ? ndef : 1);
  for (uint32_t i = 0; i < ndef; i++) ag_put(o, "%sw%u", i ? ", " : "", i);
  ag_put(o, "};\nstatic void *const cl_direct[%u] = {", ndef ? ndef : 1);
  for (uint32_t i = 0; i < ndef; i++)
    ag_put(o, "%s(void *)f%u", i ? ", " : "", i);
  ag_put(o,
         "};\n__attribute__((visibility(\"default\"))) const cl_aot_desc "
         "%s = {%d, %uu, %uu, \"%s\", &cl_api, cl_entries, cl_direct};\n",
         CL_AOT_DESC_SYMBOL, CL_AOT_ABI_VERSION, flags, ndef, key);
  free(g.rep);
  for (uint32_t i = 0; i < ntus; i++)
    if (tus[i].oom) return ag_fail_oom(&g);
  if (out->oom) return ag_fail_oom(&g);
  return CLAVE_OK;
}
