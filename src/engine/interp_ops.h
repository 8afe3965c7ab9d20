/*
 * interp_ops.h - the internal instruction set that translate.c emits and
 * interp.c executes (internal).
 *
 * Each instruction is a handler word followed by operand words.  Operands
 * marked s are frame slot indices, i immediates, t branch targets (word
 * index in the function's code).  The list is an X-macro so that the enum,
 * the handler table and the sizes can never disagree.
 */
#ifndef CLAVE_ENGINE_INTERP_OPS_H
#define CLAVE_ENGINE_INTERP_OPS_H

#include "engine/opcodes.h"
#include "engine/opcodes_simd.h"

/* the compare ops that fuse with br_if / if: X(NAME, type, C operator) */
#define CL_CMP_OPS(X)            \
  X(I32_EQ, u32, ==)             \
  X(I32_NE, u32, !=)             \
  X(I32_LT_S, i32, <)            \
  X(I32_LT_U, u32, <)            \
  X(I32_GT_S, i32, >)            \
  X(I32_GT_U, u32, >)            \
  X(I32_LE_S, i32, <=)           \
  X(I32_LE_U, u32, <=)           \
  X(I32_GE_S, i32, >=)           \
  X(I32_GE_U, u32, >=)           \
  X(I64_EQ, u64, ==)             \
  X(I64_NE, u64, !=)             \
  X(I64_LT_S, i64, <)            \
  X(I64_LT_U, u64, <)            \
  X(I64_GT_S, i64, >)            \
  X(I64_GT_U, u64, >)            \
  X(I64_LE_S, i64, <=)           \
  X(I64_LE_U, u64, <=)           \
  X(I64_GE_S, i64, >=)           \
  X(I64_GE_U, u64, >=)

/* integer binary ops with an immediate form: X(NAME) */
#define CL_IMM_OPS(X)                                                    \
  X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_AND) X(I32_OR) X(I32_XOR)       \
  X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR)           \
  X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U)    \
  X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)                        \
  X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U)                    \
  X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_AND) X(I64_OR) X(I64_XOR)       \
  X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR)           \
  X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U)    \
  X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U)                        \
  X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U)

#define CL_X_LOADSTORE(NAME, code, text, type, bytes) X(NAME, 4)
#define CL_X_UN(NAME, code, text, in, out) X(NAME, 3)
#define CL_X_BIN(NAME, code, text, in, out) X(NAME, 4)
#define CL_X_IMM(NAME) X(NAME##_I, 4)
#define CL_X_CMPBR(NAME, type, op) \
  X(BR_IF_##NAME, 4) X(BR_IF_##NAME##_I, 4) X(BR_IF_##NAME##_BACK, 4) \
  X(BR_IF_##NAME##_I_BACK, 4) X(BR_UNLESS_##NAME, 4) X(BR_UNLESS_##NAME##_I, 4)

/* SIMD: one op per row of CL_SIMD_OPS (opcodes_simd.h) but v128.const
 * (CONST_V128 below).  Each computes exactly what the wasm instruction of
 * its row computes (the spec's lane-wise semantics, NaN rules included:
 * a NaN result is canonical when every NaN operand is canonical, else an
 * arithmetic NaN, the same rule as the scalar float ops; its other bits
 * are the host's choice, as for the scalar ops: min/max give a + b, the
 * rounding ops x + x, arithmetic the SSE result), and traps like
 * it ("out of bounds memory access" when ea + access bytes > memory size,
 * ea = u32 address + offset computed in 64 bits).  A v128 operand or
 * result is slot s and s+1 (16 bytes, lane 0 first, little endian); lane
 * and offset immediates are 32-bit.  Operands by shape:
 *   LOAD        s dst, s addr, i offset
 *   STORE       s addr, s val, i offset
 *   LOAD_LANE   s dst, s addr, s vec, i offset, i lane
 *               (dst = vec with lane `lane` read from memory)
 *   STORE_LANE  s addr, s vec, i offset, i lane
 *   SHUFFLE     s dst, s a, s b, i m0, i m1, i m2, i m3 (the 16 lane
 *               bytes, 4 per word, lane 0 in the low byte of m0)
 *   SPLAT       s dst, s a (a scalar of the row's type)
 *   EXTRACT     s dst, s a, i lane (dst: the row's scalar type)
 *   REPLACE     s dst, s a, s b, i lane (b: the row's scalar type)
 *   UNARY       s dst, s a
 *   BINARY      s dst, s a, s b
 *   TERNARY     s dst, s a, s b, s c (v128.bitselect: c is the mask)
 *   TEST        s dst, s a (dst: i32)
 *   SHIFT       s dst, s a, s count (count: i32, taken modulo lane bits)
 * Every handler reads all its operands before it writes dst, which may
 * overlap them. */
#define CL_X_SIMD(NAME, sub, text, SHAPE, T, N) CL_X_SIMD_##SHAPE(NAME)
#define CL_X_SIMD_LOAD(NAME) X(NAME, 4)
#define CL_X_SIMD_STORE(NAME) X(NAME, 4)
#define CL_X_SIMD_LOAD_LANE(NAME) X(NAME, 6)
#define CL_X_SIMD_STORE_LANE(NAME) X(NAME, 5)
#define CL_X_SIMD_CONST(NAME) /* CONST_V128 */
#define CL_X_SIMD_SHUFFLE(NAME) X(NAME, 8)
#define CL_X_SIMD_SPLAT(NAME) X(NAME, 3)
#define CL_X_SIMD_EXTRACT(NAME) X(NAME, 4)
#define CL_X_SIMD_REPLACE(NAME) X(NAME, 5)
#define CL_X_SIMD_UNARY(NAME) X(NAME, 3)
#define CL_X_SIMD_BINARY(NAME) X(NAME, 4)
#define CL_X_SIMD_TERNARY(NAME) X(NAME, 5)
#define CL_X_SIMD_TEST(NAME) X(NAME, 3)
#define CL_X_SIMD_SHIFT(NAME) X(NAME, 4)

/* X(NAME, words); words 0 = variable (br_table) */
#define CL_IOPS(X)                                                          \
  X(UNREACHABLE, 1)                                                         \
  X(BR, 2)                 /* t */                                          \
  X(BR_BACK, 2)            /* t: back-edge, charges a checkpoint */         \
  X(BR_IF, 3)              /* s cond, t */                                  \
  X(BR_IF_BACK, 3)                                                          \
  X(BR_UNLESS, 3)                                                           \
  X(BR_TABLE, 0)           /* s idx, i n, t[n], t default */               \
  X(RETURN, 1)                                                              \
  X(CALL, 3)               /* i funcidx, s base */                          \
  X(CALL_INTERNAL, 3)      /* i defined index, s base */                    \
  X(CALL_INDIRECT, 5)      /* i typeidx, i table, s base, s elem */         \
  X(COPY_I32, 3)           /* s dst, s src: moves carry their type, so */   \
  X(COPY_I64, 3)           /* that a second backend can give every slot */  \
  X(COPY_F32, 3)           /* typed variables */                            \
  X(COPY_F64, 3)                                                            \
  X(COPY_REF, 3)                                                            \
  X(COPY_V128, 3)          /* s dst, s src: 16 bytes (two slots) */         \
  X(CONST_I32, 3)          /* s dst, i value */                             \
  X(CONST_F32, 3)          /* s dst, i bits */                              \
  X(CONST_I64, 4)          /* s dst, i lo, i hi */                          \
  X(CONST_F64, 4)          /* s dst, i lo, i hi */                          \
  X(CONST_REF, 2)          /* s dst: ref.null */                            \
  X(CONST_V128, 6)         /* s dst, i w0, i w1, i w2, i w3 (bytes 0-15) */ \
  X(SELECT_I32, 5)         /* s dst, s a, s b, s cond */                    \
  X(SELECT_I64, 5)                                                          \
  X(SELECT_F32, 5)                                                          \
  X(SELECT_F64, 5)                                                          \
  X(SELECT_REF, 5)                                                          \
  X(SELECT_V128, 5)        /* s dst, s a, s b, s cond: 16 bytes */          \
  X(REF_IS_NULL, 3)        /* s dst, s ref */                               \
  X(GLOBAL_GET, 3)         /* s dst, i global */                            \
  X(GLOBAL_SET, 3)         /* i global, s src */                            \
  X(GLOBAL_GET_V128, 3)    /* s dst, i global: 16 bytes */                  \
  X(GLOBAL_SET_V128, 3)    /* i global, s src: 16 bytes */                  \
  X(TABLE_GET, 4)          /* s dst, i table, s idx */                      \
  X(TABLE_SET, 4)          /* i table, s idx, s val */                      \
  X(TABLE_SIZE, 3)         /* s dst, i table */                             \
  X(TABLE_GROW, 5)         /* s dst, i table, s init, s delta */            \
  X(TABLE_FILL, 5)         /* i table, s i, s val, s n */                   \
  X(TABLE_COPY, 6)         /* i dst table, i src table, s d, s s, s n */    \
  X(TABLE_INIT, 6)         /* i table, i elem, s d, s s, s n */             \
  X(ELEM_DROP, 2)          /* i elem */                                     \
  X(MEMORY_SIZE, 2)        /* s dst */                                      \
  X(MEMORY_GROW, 3)        /* s dst, s delta */                             \
  X(MEMORY_INIT, 5)        /* i data, s d, s s, s n */                      \
  X(DATA_DROP, 2)          /* i data */                                     \
  X(MEMORY_COPY, 4)        /* s d, s s, s n */                              \
  X(MEMORY_FILL, 4)        /* s d, s val, s n */                            \
  X(REF_FUNC, 3)           /* s dst, i funcidx */                           \
  CL_LOAD_OPS(CL_X_LOADSTORE)  /* s dst, s addr, i offset */                \
  CL_STORE_OPS(CL_X_LOADSTORE) /* s addr, s val, i offset */                \
  CL_UNARY_OPS(CL_X_UN)        /* s dst, s a */                             \
  CL_SAT_OPS(CL_X_UN)                                                       \
  CL_BINARY_OPS(CL_X_BIN)      /* s dst, s a, s b */                        \
  CL_IMM_OPS(CL_X_IMM)         /* s dst, s a, i imm (sign-extended) */      \
  CL_CMP_OPS(CL_X_CMPBR)       /* s a, s b | i imm, t */                   \
  CL_SIMD_OPS(CL_X_SIMD)       /* see above */

enum {
#define X(name, words) IOP_##name,
  CL_IOPS(X)
#undef X
  IOP_COUNT
};

#endif /* CLAVE_ENGINE_INTERP_OPS_H */
