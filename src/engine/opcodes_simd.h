/*
 * opcodes_simd.h - WebAssembly's 128-bit SIMD instructions, as one table
 * (internal).
 *
 * Every instruction of the fixed-width SIMD proposal (core 2.0): the
 * 0xFD prefix followed by a u32 LEB128 sub-opcode.  One X-macro row per
 * instruction, read by the decoder (immediates), the validator (types,
 * lane and alignment rules), the translator (one internal op per row, see
 * interp_ops.h) and the interpreter (a handler per row).
 *
 *   X(NAME, subop, "text", SHAPE, T, N)
 *
 * SHAPE says what the instruction takes and gives; T and N qualify it:
 *
 *   LOAD        memarg; [i32] -> [v128]; N = bytes read (alignment bound)
 *   STORE       memarg; [i32 v128] -> []; N = 16
 *   LOAD_LANE   memarg, lane; [i32 v128] -> [v128]; N = lane bytes
 *   STORE_LANE  memarg, lane; [i32 v128] -> []; N = lane bytes
 *   CONST       16 immediate bytes; [] -> [v128]
 *   SHUFFLE     16 lane bytes (each < 32); [v128 v128] -> [v128]
 *   SPLAT       [T] -> [v128]
 *   EXTRACT     lane (< N); [v128] -> [T]
 *   REPLACE     lane (< N); [v128 T] -> [v128]
 *   UNARY       [v128] -> [v128]
 *   BINARY      [v128 v128] -> [v128]
 *   TERNARY     [v128 v128 v128] -> [v128]
 *   TEST        [v128] -> [i32]
 *   SHIFT       [v128 i32] -> [v128]
 *
 * A lane immediate is one byte (not a LEB128).  Unused T is V128, unused
 * N is 0.  Sub-opcodes without a row are reserved ("illegal opcode").
 */
#ifndef CLAVE_ENGINE_OPCODES_SIMD_H
#define CLAVE_ENGINE_OPCODES_SIMD_H

#include <stdint.h>

#include "engine/reader.h"

enum {
  CL_SIMD_LOAD = 1,
  CL_SIMD_STORE,
  CL_SIMD_LOAD_LANE,
  CL_SIMD_STORE_LANE,
  CL_SIMD_CONST,
  CL_SIMD_SHUFFLE,
  CL_SIMD_SPLAT,
  CL_SIMD_EXTRACT,
  CL_SIMD_REPLACE,
  CL_SIMD_UNARY,
  CL_SIMD_BINARY,
  CL_SIMD_TERNARY,
  CL_SIMD_TEST,
  CL_SIMD_SHIFT
};

/* the sub-opcodes that other code names directly */
enum { OPFD_V128_CONST = 12, OPFD_COUNT = 256 };

/* clang-format off */
#define CL_SIMD_OPS(X)                                                        \
  X(V128_LOAD, 0, "v128.load", LOAD, V128, 16)                                \
  X(V128_LOAD8X8_S, 1, "v128.load8x8_s", LOAD, V128, 8)                       \
  X(V128_LOAD8X8_U, 2, "v128.load8x8_u", LOAD, V128, 8)                       \
  X(V128_LOAD16X4_S, 3, "v128.load16x4_s", LOAD, V128, 8)                     \
  X(V128_LOAD16X4_U, 4, "v128.load16x4_u", LOAD, V128, 8)                     \
  X(V128_LOAD32X2_S, 5, "v128.load32x2_s", LOAD, V128, 8)                     \
  X(V128_LOAD32X2_U, 6, "v128.load32x2_u", LOAD, V128, 8)                     \
  X(V128_LOAD8_SPLAT, 7, "v128.load8_splat", LOAD, V128, 1)                   \
  X(V128_LOAD16_SPLAT, 8, "v128.load16_splat", LOAD, V128, 2)                 \
  X(V128_LOAD32_SPLAT, 9, "v128.load32_splat", LOAD, V128, 4)                 \
  X(V128_LOAD64_SPLAT, 10, "v128.load64_splat", LOAD, V128, 8)                \
  X(V128_STORE, 11, "v128.store", STORE, V128, 16)                            \
  X(V128_CONST, 12, "v128.const", CONST, V128, 0)                             \
  X(I8X16_SHUFFLE, 13, "i8x16.shuffle", SHUFFLE, V128, 0)                     \
  X(I8X16_SWIZZLE, 14, "i8x16.swizzle", BINARY, V128, 0)                      \
  X(I8X16_SPLAT, 15, "i8x16.splat", SPLAT, I32, 0)                            \
  X(I16X8_SPLAT, 16, "i16x8.splat", SPLAT, I32, 0)                            \
  X(I32X4_SPLAT, 17, "i32x4.splat", SPLAT, I32, 0)                            \
  X(I64X2_SPLAT, 18, "i64x2.splat", SPLAT, I64, 0)                            \
  X(F32X4_SPLAT, 19, "f32x4.splat", SPLAT, F32, 0)                            \
  X(F64X2_SPLAT, 20, "f64x2.splat", SPLAT, F64, 0)                            \
  X(I8X16_EXTRACT_LANE_S, 21, "i8x16.extract_lane_s", EXTRACT, I32, 16)       \
  X(I8X16_EXTRACT_LANE_U, 22, "i8x16.extract_lane_u", EXTRACT, I32, 16)       \
  X(I8X16_REPLACE_LANE, 23, "i8x16.replace_lane", REPLACE, I32, 16)           \
  X(I16X8_EXTRACT_LANE_S, 24, "i16x8.extract_lane_s", EXTRACT, I32, 8)        \
  X(I16X8_EXTRACT_LANE_U, 25, "i16x8.extract_lane_u", EXTRACT, I32, 8)        \
  X(I16X8_REPLACE_LANE, 26, "i16x8.replace_lane", REPLACE, I32, 8)            \
  X(I32X4_EXTRACT_LANE, 27, "i32x4.extract_lane", EXTRACT, I32, 4)            \
  X(I32X4_REPLACE_LANE, 28, "i32x4.replace_lane", REPLACE, I32, 4)            \
  X(I64X2_EXTRACT_LANE, 29, "i64x2.extract_lane", EXTRACT, I64, 2)            \
  X(I64X2_REPLACE_LANE, 30, "i64x2.replace_lane", REPLACE, I64, 2)            \
  X(F32X4_EXTRACT_LANE, 31, "f32x4.extract_lane", EXTRACT, F32, 4)            \
  X(F32X4_REPLACE_LANE, 32, "f32x4.replace_lane", REPLACE, F32, 4)            \
  X(F64X2_EXTRACT_LANE, 33, "f64x2.extract_lane", EXTRACT, F64, 2)            \
  X(F64X2_REPLACE_LANE, 34, "f64x2.replace_lane", REPLACE, F64, 2)            \
  X(I8X16_EQ, 35, "i8x16.eq", BINARY, V128, 0)                                \
  X(I8X16_NE, 36, "i8x16.ne", BINARY, V128, 0)                                \
  X(I8X16_LT_S, 37, "i8x16.lt_s", BINARY, V128, 0)                            \
  X(I8X16_LT_U, 38, "i8x16.lt_u", BINARY, V128, 0)                            \
  X(I8X16_GT_S, 39, "i8x16.gt_s", BINARY, V128, 0)                            \
  X(I8X16_GT_U, 40, "i8x16.gt_u", BINARY, V128, 0)                            \
  X(I8X16_LE_S, 41, "i8x16.le_s", BINARY, V128, 0)                            \
  X(I8X16_LE_U, 42, "i8x16.le_u", BINARY, V128, 0)                            \
  X(I8X16_GE_S, 43, "i8x16.ge_s", BINARY, V128, 0)                            \
  X(I8X16_GE_U, 44, "i8x16.ge_u", BINARY, V128, 0)                            \
  X(I16X8_EQ, 45, "i16x8.eq", BINARY, V128, 0)                                \
  X(I16X8_NE, 46, "i16x8.ne", BINARY, V128, 0)                                \
  X(I16X8_LT_S, 47, "i16x8.lt_s", BINARY, V128, 0)                            \
  X(I16X8_LT_U, 48, "i16x8.lt_u", BINARY, V128, 0)                            \
  X(I16X8_GT_S, 49, "i16x8.gt_s", BINARY, V128, 0)                            \
  X(I16X8_GT_U, 50, "i16x8.gt_u", BINARY, V128, 0)                            \
  X(I16X8_LE_S, 51, "i16x8.le_s", BINARY, V128, 0)                            \
  X(I16X8_LE_U, 52, "i16x8.le_u", BINARY, V128, 0)                            \
  X(I16X8_GE_S, 53, "i16x8.ge_s", BINARY, V128, 0)                            \
  X(I16X8_GE_U, 54, "i16x8.ge_u", BINARY, V128, 0)                            \
  X(I32X4_EQ, 55, "i32x4.eq", BINARY, V128, 0)                                \
  X(I32X4_NE, 56, "i32x4.ne", BINARY, V128, 0)                                \
  X(I32X4_LT_S, 57, "i32x4.lt_s", BINARY, V128, 0)                            \
  X(I32X4_LT_U, 58, "i32x4.lt_u", BINARY, V128, 0)                            \
  X(I32X4_GT_S, 59, "i32x4.gt_s", BINARY, V128, 0)                            \
  X(I32X4_GT_U, 60, "i32x4.gt_u", BINARY, V128, 0)                            \
  X(I32X4_LE_S, 61, "i32x4.le_s", BINARY, V128, 0)                            \
  X(I32X4_LE_U, 62, "i32x4.le_u", BINARY, V128, 0)                            \
  X(I32X4_GE_S, 63, "i32x4.ge_s", BINARY, V128, 0)                            \
  X(I32X4_GE_U, 64, "i32x4.ge_u", BINARY, V128, 0)                            \
  X(F32X4_EQ, 65, "f32x4.eq", BINARY, V128, 0)                                \
  X(F32X4_NE, 66, "f32x4.ne", BINARY, V128, 0)                                \
  X(F32X4_LT, 67, "f32x4.lt", BINARY, V128, 0)                                \
  X(F32X4_GT, 68, "f32x4.gt", BINARY, V128, 0)                                \
  X(F32X4_LE, 69, "f32x4.le", BINARY, V128, 0)                                \
  X(F32X4_GE, 70, "f32x4.ge", BINARY, V128, 0)                                \
  X(F64X2_EQ, 71, "f64x2.eq", BINARY, V128, 0)                                \
  X(F64X2_NE, 72, "f64x2.ne", BINARY, V128, 0)                                \
  X(F64X2_LT, 73, "f64x2.lt", BINARY, V128, 0)                                \
  X(F64X2_GT, 74, "f64x2.gt", BINARY, V128, 0)                                \
  X(F64X2_LE, 75, "f64x2.le", BINARY, V128, 0)                                \
  X(F64X2_GE, 76, "f64x2.ge", BINARY, V128, 0)                                \
  X(V128_NOT, 77, "v128.not", UNARY, V128, 0)                                 \
  X(V128_AND, 78, "v128.and", BINARY, V128, 0)                                \
  X(V128_ANDNOT, 79, "v128.andnot", BINARY, V128, 0)                          \
  X(V128_OR, 80, "v128.or", BINARY, V128, 0)                                  \
  X(V128_XOR, 81, "v128.xor", BINARY, V128, 0)                                \
  X(V128_BITSELECT, 82, "v128.bitselect", TERNARY, V128, 0)                   \
  X(V128_ANY_TRUE, 83, "v128.any_true", TEST, V128, 0)                        \
  X(V128_LOAD8_LANE, 84, "v128.load8_lane", LOAD_LANE, V128, 1)               \
  X(V128_LOAD16_LANE, 85, "v128.load16_lane", LOAD_LANE, V128, 2)             \
  X(V128_LOAD32_LANE, 86, "v128.load32_lane", LOAD_LANE, V128, 4)             \
  X(V128_LOAD64_LANE, 87, "v128.load64_lane", LOAD_LANE, V128, 8)             \
  X(V128_STORE8_LANE, 88, "v128.store8_lane", STORE_LANE, V128, 1)            \
  X(V128_STORE16_LANE, 89, "v128.store16_lane", STORE_LANE, V128, 2)          \
  X(V128_STORE32_LANE, 90, "v128.store32_lane", STORE_LANE, V128, 4)          \
  X(V128_STORE64_LANE, 91, "v128.store64_lane", STORE_LANE, V128, 8)          \
  X(V128_LOAD32_ZERO, 92, "v128.load32_zero", LOAD, V128, 4)                  \
  X(V128_LOAD64_ZERO, 93, "v128.load64_zero", LOAD, V128, 8)                  \
  X(F32X4_DEMOTE_F64X2_ZERO, 94, "f32x4.demote_f64x2_zero", UNARY, V128, 0)   \
  X(F64X2_PROMOTE_LOW_F32X4, 95, "f64x2.promote_low_f32x4", UNARY, V128, 0)   \
  X(I8X16_ABS, 96, "i8x16.abs", UNARY, V128, 0)                               \
  X(I8X16_NEG, 97, "i8x16.neg", UNARY, V128, 0)                               \
  X(I8X16_POPCNT, 98, "i8x16.popcnt", UNARY, V128, 0)                         \
  X(I8X16_ALL_TRUE, 99, "i8x16.all_true", TEST, V128, 0)                      \
  X(I8X16_BITMASK, 100, "i8x16.bitmask", TEST, V128, 0)                       \
  X(I8X16_NARROW_I16X8_S, 101, "i8x16.narrow_i16x8_s", BINARY, V128, 0)       \
  X(I8X16_NARROW_I16X8_U, 102, "i8x16.narrow_i16x8_u", BINARY, V128, 0)       \
  X(F32X4_CEIL, 103, "f32x4.ceil", UNARY, V128, 0)                            \
  X(F32X4_FLOOR, 104, "f32x4.floor", UNARY, V128, 0)                          \
  X(F32X4_TRUNC, 105, "f32x4.trunc", UNARY, V128, 0)                          \
  X(F32X4_NEAREST, 106, "f32x4.nearest", UNARY, V128, 0)                      \
  X(I8X16_SHL, 107, "i8x16.shl", SHIFT, V128, 0)                              \
  X(I8X16_SHR_S, 108, "i8x16.shr_s", SHIFT, V128, 0)                          \
  X(I8X16_SHR_U, 109, "i8x16.shr_u", SHIFT, V128, 0)                          \
  X(I8X16_ADD, 110, "i8x16.add", BINARY, V128, 0)                             \
  X(I8X16_ADD_SAT_S, 111, "i8x16.add_sat_s", BINARY, V128, 0)                 \
  X(I8X16_ADD_SAT_U, 112, "i8x16.add_sat_u", BINARY, V128, 0)                 \
  X(I8X16_SUB, 113, "i8x16.sub", BINARY, V128, 0)                             \
  X(I8X16_SUB_SAT_S, 114, "i8x16.sub_sat_s", BINARY, V128, 0)                 \
  X(I8X16_SUB_SAT_U, 115, "i8x16.sub_sat_u", BINARY, V128, 0)                 \
  X(F64X2_CEIL, 116, "f64x2.ceil", UNARY, V128, 0)                            \
  X(F64X2_FLOOR, 117, "f64x2.floor", UNARY, V128, 0)                          \
  X(I8X16_MIN_S, 118, "i8x16.min_s", BINARY, V128, 0)                         \
  X(I8X16_MIN_U, 119, "i8x16.min_u", BINARY, V128, 0)                         \
  X(I8X16_MAX_S, 120, "i8x16.max_s", BINARY, V128, 0)                         \
  X(I8X16_MAX_U, 121, "i8x16.max_u", BINARY, V128, 0)                         \
  X(F64X2_TRUNC, 122, "f64x2.trunc", UNARY, V128, 0)                          \
  X(I8X16_AVGR_U, 123, "i8x16.avgr_u", BINARY, V128, 0)                       \
  X(I16X8_EXTADD_PAIRWISE_I8X16_S, 124, "i16x8.extadd_pairwise_i8x16_s",      \
    UNARY, V128, 0)                                                           \
  X(I16X8_EXTADD_PAIRWISE_I8X16_U, 125, "i16x8.extadd_pairwise_i8x16_u",      \
    UNARY, V128, 0)                                                           \
  X(I32X4_EXTADD_PAIRWISE_I16X8_S, 126, "i32x4.extadd_pairwise_i16x8_s",      \
    UNARY, V128, 0)                                                           \
  X(I32X4_EXTADD_PAIRWISE_I16X8_U, 127, "i32x4.extadd_pairwise_i16x8_u",      \
    UNARY, V128, 0)                                                           \
  X(I16X8_ABS, 128, "i16x8.abs", UNARY, V128, 0)                              \
  X(I16X8_NEG, 129, "i16x8.neg", UNARY, V128, 0)                              \
  X(I16X8_Q15MULR_SAT_S, 130, "i16x8.q15mulr_sat_s", BINARY, V128, 0)         \
  X(I16X8_ALL_TRUE, 131, "i16x8.all_true", TEST, V128, 0)                     \
  X(I16X8_BITMASK, 132, "i16x8.bitmask", TEST, V128, 0)                       \
  X(I16X8_NARROW_I32X4_S, 133, "i16x8.narrow_i32x4_s", BINARY, V128, 0)       \
  X(I16X8_NARROW_I32X4_U, 134, "i16x8.narrow_i32x4_u", BINARY, V128, 0)       \
  X(I16X8_EXTEND_LOW_I8X16_S, 135, "i16x8.extend_low_i8x16_s", UNARY, V128, 0)\
  X(I16X8_EXTEND_HIGH_I8X16_S, 136, "i16x8.extend_high_i8x16_s", UNARY, V128, \
    0)                                                                        \
  X(I16X8_EXTEND_LOW_I8X16_U, 137, "i16x8.extend_low_i8x16_u", UNARY, V128, 0)\
  X(I16X8_EXTEND_HIGH_I8X16_U, 138, "i16x8.extend_high_i8x16_u", UNARY, V128, \
    0)                                                                        \
  X(I16X8_SHL, 139, "i16x8.shl", SHIFT, V128, 0)                              \
  X(I16X8_SHR_S, 140, "i16x8.shr_s", SHIFT, V128, 0)                          \
  X(I16X8_SHR_U, 141, "i16x8.shr_u", SHIFT, V128, 0)                          \
  X(I16X8_ADD, 142, "i16x8.add", BINARY, V128, 0)                             \
  X(I16X8_ADD_SAT_S, 143, "i16x8.add_sat_s", BINARY, V128, 0)                 \
  X(I16X8_ADD_SAT_U, 144, "i16x8.add_sat_u", BINARY, V128, 0)                 \
  X(I16X8_SUB, 145, "i16x8.sub", BINARY, V128, 0)                             \
  X(I16X8_SUB_SAT_S, 146, "i16x8.sub_sat_s", BINARY, V128, 0)                 \
  X(I16X8_SUB_SAT_U, 147, "i16x8.sub_sat_u", BINARY, V128, 0)                 \
  X(F64X2_NEAREST, 148, "f64x2.nearest", UNARY, V128, 0)                      \
  X(I16X8_MUL, 149, "i16x8.mul", BINARY, V128, 0)                             \
  X(I16X8_MIN_S, 150, "i16x8.min_s", BINARY, V128, 0)                         \
  X(I16X8_MIN_U, 151, "i16x8.min_u", BINARY, V128, 0)                         \
  X(I16X8_MAX_S, 152, "i16x8.max_s", BINARY, V128, 0)                         \
  X(I16X8_MAX_U, 153, "i16x8.max_u", BINARY, V128, 0)                         \
  X(I16X8_AVGR_U, 155, "i16x8.avgr_u", BINARY, V128, 0)                       \
  X(I16X8_EXTMUL_LOW_I8X16_S, 156, "i16x8.extmul_low_i8x16_s", BINARY, V128,  \
    0)                                                                        \
  X(I16X8_EXTMUL_HIGH_I8X16_S, 157, "i16x8.extmul_high_i8x16_s", BINARY,      \
    V128, 0)                                                                  \
  X(I16X8_EXTMUL_LOW_I8X16_U, 158, "i16x8.extmul_low_i8x16_u", BINARY, V128,  \
    0)                                                                        \
  X(I16X8_EXTMUL_HIGH_I8X16_U, 159, "i16x8.extmul_high_i8x16_u", BINARY,      \
    V128, 0)                                                                  \
  X(I32X4_ABS, 160, "i32x4.abs", UNARY, V128, 0)                              \
  X(I32X4_NEG, 161, "i32x4.neg", UNARY, V128, 0)                              \
  X(I32X4_ALL_TRUE, 163, "i32x4.all_true", TEST, V128, 0)                     \
  X(I32X4_BITMASK, 164, "i32x4.bitmask", TEST, V128, 0)                       \
  X(I32X4_EXTEND_LOW_I16X8_S, 167, "i32x4.extend_low_i16x8_s", UNARY, V128, 0)\
  X(I32X4_EXTEND_HIGH_I16X8_S, 168, "i32x4.extend_high_i16x8_s", UNARY, V128, \
    0)                                                                        \
  X(I32X4_EXTEND_LOW_I16X8_U, 169, "i32x4.extend_low_i16x8_u", UNARY, V128, 0)\
  X(I32X4_EXTEND_HIGH_I16X8_U, 170, "i32x4.extend_high_i16x8_u", UNARY, V128, \
    0)                                                                        \
  X(I32X4_SHL, 171, "i32x4.shl", SHIFT, V128, 0)                              \
  X(I32X4_SHR_S, 172, "i32x4.shr_s", SHIFT, V128, 0)                          \
  X(I32X4_SHR_U, 173, "i32x4.shr_u", SHIFT, V128, 0)                          \
  X(I32X4_ADD, 174, "i32x4.add", BINARY, V128, 0)                             \
  X(I32X4_SUB, 177, "i32x4.sub", BINARY, V128, 0)                             \
  X(I32X4_MUL, 181, "i32x4.mul", BINARY, V128, 0)                             \
  X(I32X4_MIN_S, 182, "i32x4.min_s", BINARY, V128, 0)                         \
  X(I32X4_MIN_U, 183, "i32x4.min_u", BINARY, V128, 0)                         \
  X(I32X4_MAX_S, 184, "i32x4.max_s", BINARY, V128, 0)                         \
  X(I32X4_MAX_U, 185, "i32x4.max_u", BINARY, V128, 0)                         \
  X(I32X4_DOT_I16X8_S, 186, "i32x4.dot_i16x8_s", BINARY, V128, 0)             \
  X(I32X4_EXTMUL_LOW_I16X8_S, 188, "i32x4.extmul_low_i16x8_s", BINARY, V128,  \
    0)                                                                        \
  X(I32X4_EXTMUL_HIGH_I16X8_S, 189, "i32x4.extmul_high_i16x8_s", BINARY,      \
    V128, 0)                                                                  \
  X(I32X4_EXTMUL_LOW_I16X8_U, 190, "i32x4.extmul_low_i16x8_u", BINARY, V128,  \
    0)                                                                        \
  X(I32X4_EXTMUL_HIGH_I16X8_U, 191, "i32x4.extmul_high_i16x8_u", BINARY,      \
    V128, 0)                                                                  \
  X(I64X2_ABS, 192, "i64x2.abs", UNARY, V128, 0)                              \
  X(I64X2_NEG, 193, "i64x2.neg", UNARY, V128, 0)                              \
  X(I64X2_ALL_TRUE, 195, "i64x2.all_true", TEST, V128, 0)                     \
  X(I64X2_BITMASK, 196, "i64x2.bitmask", TEST, V128, 0)                       \
  X(I64X2_EXTEND_LOW_I32X4_S, 199, "i64x2.extend_low_i32x4_s", UNARY, V128, 0)\
  X(I64X2_EXTEND_HIGH_I32X4_S, 200, "i64x2.extend_high_i32x4_s", UNARY, V128, \
    0)                                                                        \
  X(I64X2_EXTEND_LOW_I32X4_U, 201, "i64x2.extend_low_i32x4_u", UNARY, V128, 0)\
  X(I64X2_EXTEND_HIGH_I32X4_U, 202, "i64x2.extend_high_i32x4_u", UNARY, V128, \
    0)                                                                        \
  X(I64X2_SHL, 203, "i64x2.shl", SHIFT, V128, 0)                              \
  X(I64X2_SHR_S, 204, "i64x2.shr_s", SHIFT, V128, 0)                          \
  X(I64X2_SHR_U, 205, "i64x2.shr_u", SHIFT, V128, 0)                          \
  X(I64X2_ADD, 206, "i64x2.add", BINARY, V128, 0)                             \
  X(I64X2_SUB, 209, "i64x2.sub", BINARY, V128, 0)                             \
  X(I64X2_MUL, 213, "i64x2.mul", BINARY, V128, 0)                             \
  X(I64X2_EQ, 214, "i64x2.eq", BINARY, V128, 0)                               \
  X(I64X2_NE, 215, "i64x2.ne", BINARY, V128, 0)                               \
  X(I64X2_LT_S, 216, "i64x2.lt_s", BINARY, V128, 0)                           \
  X(I64X2_GT_S, 217, "i64x2.gt_s", BINARY, V128, 0)                           \
  X(I64X2_LE_S, 218, "i64x2.le_s", BINARY, V128, 0)                           \
  X(I64X2_GE_S, 219, "i64x2.ge_s", BINARY, V128, 0)                           \
  X(I64X2_EXTMUL_LOW_I32X4_S, 220, "i64x2.extmul_low_i32x4_s", BINARY, V128,  \
    0)                                                                        \
  X(I64X2_EXTMUL_HIGH_I32X4_S, 221, "i64x2.extmul_high_i32x4_s", BINARY,      \
    V128, 0)                                                                  \
  X(I64X2_EXTMUL_LOW_I32X4_U, 222, "i64x2.extmul_low_i32x4_u", BINARY, V128,  \
    0)                                                                        \
  X(I64X2_EXTMUL_HIGH_I32X4_U, 223, "i64x2.extmul_high_i32x4_u", BINARY,      \
    V128, 0)                                                                  \
  X(F32X4_ABS, 224, "f32x4.abs", UNARY, V128, 0)                              \
  X(F32X4_NEG, 225, "f32x4.neg", UNARY, V128, 0)                              \
  X(F32X4_SQRT, 227, "f32x4.sqrt", UNARY, V128, 0)                            \
  X(F32X4_ADD, 228, "f32x4.add", BINARY, V128, 0)                             \
  X(F32X4_SUB, 229, "f32x4.sub", BINARY, V128, 0)                             \
  X(F32X4_MUL, 230, "f32x4.mul", BINARY, V128, 0)                             \
  X(F32X4_DIV, 231, "f32x4.div", BINARY, V128, 0)                             \
  X(F32X4_MIN, 232, "f32x4.min", BINARY, V128, 0)                             \
  X(F32X4_MAX, 233, "f32x4.max", BINARY, V128, 0)                             \
  X(F32X4_PMIN, 234, "f32x4.pmin", BINARY, V128, 0)                           \
  X(F32X4_PMAX, 235, "f32x4.pmax", BINARY, V128, 0)                           \
  X(F64X2_ABS, 236, "f64x2.abs", UNARY, V128, 0)                              \
  X(F64X2_NEG, 237, "f64x2.neg", UNARY, V128, 0)                              \
  X(F64X2_SQRT, 239, "f64x2.sqrt", UNARY, V128, 0)                            \
  X(F64X2_ADD, 240, "f64x2.add", BINARY, V128, 0)                             \
  X(F64X2_SUB, 241, "f64x2.sub", BINARY, V128, 0)                             \
  X(F64X2_MUL, 242, "f64x2.mul", BINARY, V128, 0)                             \
  X(F64X2_DIV, 243, "f64x2.div", BINARY, V128, 0)                             \
  X(F64X2_MIN, 244, "f64x2.min", BINARY, V128, 0)                             \
  X(F64X2_MAX, 245, "f64x2.max", BINARY, V128, 0)                             \
  X(F64X2_PMIN, 246, "f64x2.pmin", BINARY, V128, 0)                           \
  X(F64X2_PMAX, 247, "f64x2.pmax", BINARY, V128, 0)                           \
  X(I32X4_TRUNC_SAT_F32X4_S, 248, "i32x4.trunc_sat_f32x4_s", UNARY, V128, 0)  \
  X(I32X4_TRUNC_SAT_F32X4_U, 249, "i32x4.trunc_sat_f32x4_u", UNARY, V128, 0)  \
  X(F32X4_CONVERT_I32X4_S, 250, "f32x4.convert_i32x4_s", UNARY, V128, 0)      \
  X(F32X4_CONVERT_I32X4_U, 251, "f32x4.convert_i32x4_u", UNARY, V128, 0)      \
  X(I32X4_TRUNC_SAT_F64X2_S_ZERO, 252, "i32x4.trunc_sat_f64x2_s_zero", UNARY, \
    V128, 0)                                                                  \
  X(I32X4_TRUNC_SAT_F64X2_U_ZERO, 253, "i32x4.trunc_sat_f64x2_u_zero", UNARY, \
    V128, 0)                                                                  \
  X(F64X2_CONVERT_LOW_I32X4_S, 254, "f64x2.convert_low_i32x4_s", UNARY, V128, \
    0)                                                                        \
  X(F64X2_CONVERT_LOW_I32X4_U, 255, "f64x2.convert_low_i32x4_u", UNARY, V128, \
    0)
/* clang-format on */

/* Per sub-opcode: its shape (0 for a reserved one), T and N. */
typedef struct cl_simd_info {
  uint8_t shape;
  uint8_t type; /* CL_I32 ... or CL_V128 */
  uint8_t n;
  const char *name;
} cl_simd_info;

/* The row of sub-opcode sub, or NULL when it is reserved or too large. */
const cl_simd_info *cl_simd_op(uint32_t sub);

/* Skip the immediates of a SIMD instruction whose sub-opcode the reader
 * has just read (decoded and validated code: no checks). */
static inline void cl_simd_skip_imm(cl_reader *r, uint8_t shape) {
  switch (shape) {
    case CL_SIMD_LOAD:
    case CL_SIMD_STORE:
      cl_read_u32(r);
      cl_read_u32(r);
      break;
    case CL_SIMD_LOAD_LANE:
    case CL_SIMD_STORE_LANE:
      cl_read_u32(r);
      cl_read_u32(r);
      cl_read_u8(r);
      break;
    case CL_SIMD_CONST:
    case CL_SIMD_SHUFFLE:
      cl_read_fixed64(r);
      cl_read_fixed64(r);
      break;
    case CL_SIMD_EXTRACT:
    case CL_SIMD_REPLACE:
      cl_read_u8(r);
      break;
    default:
      break;
  }
}

#endif /* CLAVE_ENGINE_OPCODES_SIMD_H */
