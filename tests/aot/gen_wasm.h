/*
 * gen_wasm.h - a generator of random valid WebAssembly modules, for the
 * differential test of the interpreter against the AOT tier.
 *
 * The same seed always gives the same module.  A module has a memory
 * (1 page, at most 3), a funcref table holding its functions (and two
 * empty slots), one mutable global per scalar type, a passive data
 * segment, two host imports (env.mix: (i32, i64) -> i32, which traps on
 * one value, and env.peek: (i32) -> i32, which reads the caller's memory)
 * and 2 to 6 functions with random signatures, all exported as f0..fN.
 * Bodies are random typed expression trees and statements over every
 * scalar numeric instruction (the trapping ones included), loads and
 * stores at masked and sometimes unmasked addresses, v128 values (in a
 * third of the modules: constants, loads of every shape, lane-wise ops,
 * shuffles, lanes in and out, stores), locals, globals,
 * blocks, ifs, br_if, br_table, counted loops (and loops only fuel can
 * stop), direct, indirect and host calls (recursion included), select,
 * memory.size/grow/fill/copy/init, data.drop, table.get/set/size.
 */
#ifndef CLAVE_TESTS_GEN_WASM_H
#define CLAVE_TESTS_GEN_WASM_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_bytes {
  uint8_t *p;
  size_t len, cap;
} gw_bytes;

/* Generate the module of seed into out (out->p malloc'ed, owned by the
 * caller).  Returns 0, or -1 when out of memory. */
int gw_generate(uint64_t seed, gw_bytes *out);

#endif /* CLAVE_TESTS_GEN_WASM_H */
