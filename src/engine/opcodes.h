/*
 * opcodes.h - the WebAssembly instruction set, as tables (internal).
 *
 * One X-macro list per shape of instruction, shared by the validator (which
 * reads the operand and result types from it) and the translator (which
 * maps each to an interpreter handler).  Control, variable, reference,
 * table and bulk-memory instructions have irregular immediates and are
 * handled by name in each stage; their opcodes are the enum below.
 */
#ifndef CLAVE_ENGINE_OPCODES_H
#define CLAVE_ENGINE_OPCODES_H

enum {
  OP_UNREACHABLE = 0x00,
  OP_NOP = 0x01,
  OP_BLOCK = 0x02,
  OP_LOOP = 0x03,
  OP_IF = 0x04,
  OP_ELSE = 0x05,
  OP_END = 0x0B,
  OP_BR = 0x0C,
  OP_BR_IF = 0x0D,
  OP_BR_TABLE = 0x0E,
  OP_RETURN = 0x0F,
  OP_CALL = 0x10,
  OP_CALL_INDIRECT = 0x11,
  OP_DROP = 0x1A,
  OP_SELECT = 0x1B,
  OP_SELECT_T = 0x1C,
  OP_LOCAL_GET = 0x20,
  OP_LOCAL_SET = 0x21,
  OP_LOCAL_TEE = 0x22,
  OP_GLOBAL_GET = 0x23,
  OP_GLOBAL_SET = 0x24,
  OP_TABLE_GET = 0x25,
  OP_TABLE_SET = 0x26,
  OP_MEMORY_SIZE = 0x3F,
  OP_MEMORY_GROW = 0x40,
  OP_I32_CONST = 0x41,
  OP_I64_CONST = 0x42,
  OP_F32_CONST = 0x43,
  OP_F64_CONST = 0x44,
  OP_REF_NULL = 0xD0,
  OP_REF_IS_NULL = 0xD1,
  OP_REF_FUNC = 0xD2,
  OP_PREFIX_FC = 0xFC,
  OP_PREFIX_FD = 0xFD /* SIMD */
};

/* 0xFC-prefixed sub-opcodes (u32 LEB after the prefix) */
enum {
  OPFC_I32_TRUNC_SAT_F32_S = 0,
  OPFC_I32_TRUNC_SAT_F32_U = 1,
  OPFC_I32_TRUNC_SAT_F64_S = 2,
  OPFC_I32_TRUNC_SAT_F64_U = 3,
  OPFC_I64_TRUNC_SAT_F32_S = 4,
  OPFC_I64_TRUNC_SAT_F32_U = 5,
  OPFC_I64_TRUNC_SAT_F64_S = 6,
  OPFC_I64_TRUNC_SAT_F64_U = 7,
  OPFC_MEMORY_INIT = 8,
  OPFC_DATA_DROP = 9,
  OPFC_MEMORY_COPY = 10,
  OPFC_MEMORY_FILL = 11,
  OPFC_TABLE_INIT = 12,
  OPFC_ELEM_DROP = 13,
  OPFC_TABLE_COPY = 14,
  OPFC_TABLE_GROW = 15,
  OPFC_TABLE_SIZE = 16,
  OPFC_TABLE_FILL = 17
};

/* Loads: X(NAME, opcode, "text", result type, access bytes) */
#define CL_LOAD_OPS(X)                        \
  X(I32_LOAD, 0x28, "i32.load", I32, 4)       \
  X(I64_LOAD, 0x29, "i64.load", I64, 8)       \
  X(F32_LOAD, 0x2A, "f32.load", F32, 4)       \
  X(F64_LOAD, 0x2B, "f64.load", F64, 8)       \
  X(I32_LOAD8_S, 0x2C, "i32.load8_s", I32, 1) \
  X(I32_LOAD8_U, 0x2D, "i32.load8_u", I32, 1) \
  X(I32_LOAD16_S, 0x2E, "i32.load16_s", I32, 2) \
  X(I32_LOAD16_U, 0x2F, "i32.load16_u", I32, 2) \
  X(I64_LOAD8_S, 0x30, "i64.load8_s", I64, 1) \
  X(I64_LOAD8_U, 0x31, "i64.load8_u", I64, 1) \
  X(I64_LOAD16_S, 0x32, "i64.load16_s", I64, 2) \
  X(I64_LOAD16_U, 0x33, "i64.load16_u", I64, 2) \
  X(I64_LOAD32_S, 0x34, "i64.load32_s", I64, 4) \
  X(I64_LOAD32_U, 0x35, "i64.load32_u", I64, 4)

/* Stores: X(NAME, opcode, "text", operand type, access bytes) */
#define CL_STORE_OPS(X)                        \
  X(I32_STORE, 0x36, "i32.store", I32, 4)      \
  X(I64_STORE, 0x37, "i64.store", I64, 8)      \
  X(F32_STORE, 0x38, "f32.store", F32, 4)      \
  X(F64_STORE, 0x39, "f64.store", F64, 8)      \
  X(I32_STORE8, 0x3A, "i32.store8", I32, 1)    \
  X(I32_STORE16, 0x3B, "i32.store16", I32, 2)  \
  X(I64_STORE8, 0x3C, "i64.store8", I64, 1)    \
  X(I64_STORE16, 0x3D, "i64.store16", I64, 2)  \
  X(I64_STORE32, 0x3E, "i64.store32", I64, 4)

/* Unary: X(NAME, opcode, "text", operand type, result type) */
#define CL_UNARY_OPS(X)                                        \
  X(I32_EQZ, 0x45, "i32.eqz", I32, I32)                        \
  X(I64_EQZ, 0x50, "i64.eqz", I64, I32)                        \
  X(I32_CLZ, 0x67, "i32.clz", I32, I32)                        \
  X(I32_CTZ, 0x68, "i32.ctz", I32, I32)                        \
  X(I32_POPCNT, 0x69, "i32.popcnt", I32, I32)                  \
  X(I64_CLZ, 0x79, "i64.clz", I64, I64)                        \
  X(I64_CTZ, 0x7A, "i64.ctz", I64, I64)                        \
  X(I64_POPCNT, 0x7B, "i64.popcnt", I64, I64)                  \
  X(F32_ABS, 0x8B, "f32.abs", F32, F32)                        \
  X(F32_NEG, 0x8C, "f32.neg", F32, F32)                        \
  X(F32_CEIL, 0x8D, "f32.ceil", F32, F32)                      \
  X(F32_FLOOR, 0x8E, "f32.floor", F32, F32)                    \
  X(F32_TRUNC, 0x8F, "f32.trunc", F32, F32)                    \
  X(F32_NEAREST, 0x90, "f32.nearest", F32, F32)                \
  X(F32_SQRT, 0x91, "f32.sqrt", F32, F32)                      \
  X(F64_ABS, 0x99, "f64.abs", F64, F64)                        \
  X(F64_NEG, 0x9A, "f64.neg", F64, F64)                        \
  X(F64_CEIL, 0x9B, "f64.ceil", F64, F64)                      \
  X(F64_FLOOR, 0x9C, "f64.floor", F64, F64)                    \
  X(F64_TRUNC, 0x9D, "f64.trunc", F64, F64)                    \
  X(F64_NEAREST, 0x9E, "f64.nearest", F64, F64)                \
  X(F64_SQRT, 0x9F, "f64.sqrt", F64, F64)                      \
  X(I32_WRAP_I64, 0xA7, "i32.wrap_i64", I64, I32)              \
  X(I32_TRUNC_F32_S, 0xA8, "i32.trunc_f32_s", F32, I32)        \
  X(I32_TRUNC_F32_U, 0xA9, "i32.trunc_f32_u", F32, I32)        \
  X(I32_TRUNC_F64_S, 0xAA, "i32.trunc_f64_s", F64, I32)        \
  X(I32_TRUNC_F64_U, 0xAB, "i32.trunc_f64_u", F64, I32)        \
  X(I64_EXTEND_I32_S, 0xAC, "i64.extend_i32_s", I32, I64)      \
  X(I64_EXTEND_I32_U, 0xAD, "i64.extend_i32_u", I32, I64)      \
  X(I64_TRUNC_F32_S, 0xAE, "i64.trunc_f32_s", F32, I64)        \
  X(I64_TRUNC_F32_U, 0xAF, "i64.trunc_f32_u", F32, I64)        \
  X(I64_TRUNC_F64_S, 0xB0, "i64.trunc_f64_s", F64, I64)        \
  X(I64_TRUNC_F64_U, 0xB1, "i64.trunc_f64_u", F64, I64)        \
  X(F32_CONVERT_I32_S, 0xB2, "f32.convert_i32_s", I32, F32)    \
  X(F32_CONVERT_I32_U, 0xB3, "f32.convert_i32_u", I32, F32)    \
  X(F32_CONVERT_I64_S, 0xB4, "f32.convert_i64_s", I64, F32)    \
  X(F32_CONVERT_I64_U, 0xB5, "f32.convert_i64_u", I64, F32)    \
  X(F32_DEMOTE_F64, 0xB6, "f32.demote_f64", F64, F32)          \
  X(F64_CONVERT_I32_S, 0xB7, "f64.convert_i32_s", I32, F64)    \
  X(F64_CONVERT_I32_U, 0xB8, "f64.convert_i32_u", I32, F64)    \
  X(F64_CONVERT_I64_S, 0xB9, "f64.convert_i64_s", I64, F64)    \
  X(F64_CONVERT_I64_U, 0xBA, "f64.convert_i64_u", I64, F64)    \
  X(F64_PROMOTE_F32, 0xBB, "f64.promote_f32", F32, F64)        \
  X(I32_REINTERPRET_F32, 0xBC, "i32.reinterpret_f32", F32, I32) \
  X(I64_REINTERPRET_F64, 0xBD, "i64.reinterpret_f64", F64, I64) \
  X(F32_REINTERPRET_I32, 0xBE, "f32.reinterpret_i32", I32, F32) \
  X(F64_REINTERPRET_I64, 0xBF, "f64.reinterpret_i64", I64, F64) \
  X(I32_EXTEND8_S, 0xC0, "i32.extend8_s", I32, I32)            \
  X(I32_EXTEND16_S, 0xC1, "i32.extend16_s", I32, I32)          \
  X(I64_EXTEND8_S, 0xC2, "i64.extend8_s", I64, I64)            \
  X(I64_EXTEND16_S, 0xC3, "i64.extend16_s", I64, I64)          \
  X(I64_EXTEND32_S, 0xC4, "i64.extend32_s", I64, I64)

/* Saturating truncations, 0xFC-prefixed: X(NAME, subop, "text", in, out) */
#define CL_SAT_OPS(X)                                                  \
  X(I32_TRUNC_SAT_F32_S, 0, "i32.trunc_sat_f32_s", F32, I32)           \
  X(I32_TRUNC_SAT_F32_U, 1, "i32.trunc_sat_f32_u", F32, I32)           \
  X(I32_TRUNC_SAT_F64_S, 2, "i32.trunc_sat_f64_s", F64, I32)           \
  X(I32_TRUNC_SAT_F64_U, 3, "i32.trunc_sat_f64_u", F64, I32)           \
  X(I64_TRUNC_SAT_F32_S, 4, "i64.trunc_sat_f32_s", F32, I64)           \
  X(I64_TRUNC_SAT_F32_U, 5, "i64.trunc_sat_f32_u", F32, I64)           \
  X(I64_TRUNC_SAT_F64_S, 6, "i64.trunc_sat_f64_s", F64, I64)           \
  X(I64_TRUNC_SAT_F64_U, 7, "i64.trunc_sat_f64_u", F64, I64)

/* Binary: X(NAME, opcode, "text", operand type, result type) */
#define CL_BINARY_OPS(X)                          \
  X(I32_EQ, 0x46, "i32.eq", I32, I32)             \
  X(I32_NE, 0x47, "i32.ne", I32, I32)             \
  X(I32_LT_S, 0x48, "i32.lt_s", I32, I32)         \
  X(I32_LT_U, 0x49, "i32.lt_u", I32, I32)         \
  X(I32_GT_S, 0x4A, "i32.gt_s", I32, I32)         \
  X(I32_GT_U, 0x4B, "i32.gt_u", I32, I32)         \
  X(I32_LE_S, 0x4C, "i32.le_s", I32, I32)         \
  X(I32_LE_U, 0x4D, "i32.le_u", I32, I32)         \
  X(I32_GE_S, 0x4E, "i32.ge_s", I32, I32)         \
  X(I32_GE_U, 0x4F, "i32.ge_u", I32, I32)         \
  X(I64_EQ, 0x51, "i64.eq", I64, I32)             \
  X(I64_NE, 0x52, "i64.ne", I64, I32)             \
  X(I64_LT_S, 0x53, "i64.lt_s", I64, I32)         \
  X(I64_LT_U, 0x54, "i64.lt_u", I64, I32)         \
  X(I64_GT_S, 0x55, "i64.gt_s", I64, I32)         \
  X(I64_GT_U, 0x56, "i64.gt_u", I64, I32)         \
  X(I64_LE_S, 0x57, "i64.le_s", I64, I32)         \
  X(I64_LE_U, 0x58, "i64.le_u", I64, I32)         \
  X(I64_GE_S, 0x59, "i64.ge_s", I64, I32)         \
  X(I64_GE_U, 0x5A, "i64.ge_u", I64, I32)         \
  X(F32_EQ, 0x5B, "f32.eq", F32, I32)             \
  X(F32_NE, 0x5C, "f32.ne", F32, I32)             \
  X(F32_LT, 0x5D, "f32.lt", F32, I32)             \
  X(F32_GT, 0x5E, "f32.gt", F32, I32)             \
  X(F32_LE, 0x5F, "f32.le", F32, I32)             \
  X(F32_GE, 0x60, "f32.ge", F32, I32)             \
  X(F64_EQ, 0x61, "f64.eq", F64, I32)             \
  X(F64_NE, 0x62, "f64.ne", F64, I32)             \
  X(F64_LT, 0x63, "f64.lt", F64, I32)             \
  X(F64_GT, 0x64, "f64.gt", F64, I32)             \
  X(F64_LE, 0x65, "f64.le", F64, I32)             \
  X(F64_GE, 0x66, "f64.ge", F64, I32)             \
  X(I32_ADD, 0x6A, "i32.add", I32, I32)           \
  X(I32_SUB, 0x6B, "i32.sub", I32, I32)           \
  X(I32_MUL, 0x6C, "i32.mul", I32, I32)           \
  X(I32_DIV_S, 0x6D, "i32.div_s", I32, I32)       \
  X(I32_DIV_U, 0x6E, "i32.div_u", I32, I32)       \
  X(I32_REM_S, 0x6F, "i32.rem_s", I32, I32)       \
  X(I32_REM_U, 0x70, "i32.rem_u", I32, I32)       \
  X(I32_AND, 0x71, "i32.and", I32, I32)           \
  X(I32_OR, 0x72, "i32.or", I32, I32)             \
  X(I32_XOR, 0x73, "i32.xor", I32, I32)           \
  X(I32_SHL, 0x74, "i32.shl", I32, I32)           \
  X(I32_SHR_S, 0x75, "i32.shr_s", I32, I32)       \
  X(I32_SHR_U, 0x76, "i32.shr_u", I32, I32)       \
  X(I32_ROTL, 0x77, "i32.rotl", I32, I32)         \
  X(I32_ROTR, 0x78, "i32.rotr", I32, I32)         \
  X(I64_ADD, 0x7C, "i64.add", I64, I64)           \
  X(I64_SUB, 0x7D, "i64.sub", I64, I64)           \
  X(I64_MUL, 0x7E, "i64.mul", I64, I64)           \
  X(I64_DIV_S, 0x7F, "i64.div_s", I64, I64)       \
  X(I64_DIV_U, 0x80, "i64.div_u", I64, I64)       \
  X(I64_REM_S, 0x81, "i64.rem_s", I64, I64)       \
  X(I64_REM_U, 0x82, "i64.rem_u", I64, I64)       \
  X(I64_AND, 0x83, "i64.and", I64, I64)           \
  X(I64_OR, 0x84, "i64.or", I64, I64)             \
  X(I64_XOR, 0x85, "i64.xor", I64, I64)           \
  X(I64_SHL, 0x86, "i64.shl", I64, I64)           \
  X(I64_SHR_S, 0x87, "i64.shr_s", I64, I64)       \
  X(I64_SHR_U, 0x88, "i64.shr_u", I64, I64)       \
  X(I64_ROTL, 0x89, "i64.rotl", I64, I64)         \
  X(I64_ROTR, 0x8A, "i64.rotr", I64, I64)         \
  X(F32_ADD, 0x92, "f32.add", F32, F32)           \
  X(F32_SUB, 0x93, "f32.sub", F32, F32)           \
  X(F32_MUL, 0x94, "f32.mul", F32, F32)           \
  X(F32_DIV, 0x95, "f32.div", F32, F32)           \
  X(F32_MIN, 0x96, "f32.min", F32, F32)           \
  X(F32_MAX, 0x97, "f32.max", F32, F32)           \
  X(F32_COPYSIGN, 0x98, "f32.copysign", F32, F32) \
  X(F64_ADD, 0xA0, "f64.add", F64, F64)           \
  X(F64_SUB, 0xA1, "f64.sub", F64, F64)           \
  X(F64_MUL, 0xA2, "f64.mul", F64, F64)           \
  X(F64_DIV, 0xA3, "f64.div", F64, F64)           \
  X(F64_MIN, 0xA4, "f64.min", F64, F64)           \
  X(F64_MAX, 0xA5, "f64.max", F64, F64)           \
  X(F64_COPYSIGN, 0xA6, "f64.copysign", F64, F64)

#endif /* CLAVE_ENGINE_OPCODES_H */
