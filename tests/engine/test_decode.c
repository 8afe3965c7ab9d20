/*
 * test_decode.c - unit tests of the decoder and the validator.
 *
 * Small modules built by hand (a byte builder, so that the offsets in the
 * expected messages are computed from where the bytes were put, not
 * copied from output), checked for acceptance, for the decoded structure,
 * and for the exact status and message of each failure: every section's
 * main failure modes, LEB128 edges, UTF-8, SIMD immediates, lanes and
 * types, and the validator's typing and index rules.
 *
 *   test_engine_decode            run the tests
 *   test_engine_decode --dump DIR also write every module built to DIR
 *                                 (how tests/fuzz/corpus/unit-* was made)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/module.h"

static int checks, failures;
static const char *dump_dir;
static unsigned ndumped;

#define CHECK(cond, ...)                          \
  do {                                            \
    checks++;                                     \
    if (!(cond)) {                                \
      failures++;                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

/* ---- a module builder ---------------------------------------------------- */

typedef struct wb {
  uint8_t b[1 << 16];
  size_t n;
} wb;

#define B(...) \
  (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void wb_put(wb *w, const uint8_t *p, size_t n) {
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void wb_u8(wb *w, uint8_t v) {
  w->b[w->n++] = v;
}

static void wb_leb(wb *w, uint64_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    wb_u8(w, c | (v ? 0x80 : 0));
  } while (v);
}

static void wb_header(wb *w) {
  w->n = 0;
  wb_put(w, B(0x00, 'a', 's', 'm', 1, 0, 0, 0));
}

/* id, size, contents; returns the offset of the contents */
static size_t wb_section(wb *w, uint8_t id, const uint8_t *p, size_t n) {
  wb_u8(w, id);
  wb_leb(w, n);
  size_t at = w->n;
  wb_put(w, p, n);
  return at;
}

/* A code section holding one body (locals and instructions in `code`);
 * returns the module offset of code[0]. */
static size_t wb_code1(wb *w, const uint8_t *code, size_t n) {
  wb_u8(w, 10);
  wb_leb(w, n + 2); /* count + size byte + body (n < 128) */
  wb_u8(w, 1);
  wb_leb(w, n);
  size_t at = w->n;
  wb_put(w, code, n);
  return at;
}

/* The usual frame for a body test: one type, one function of that type,
 * `extra` sections (table ... datacount, already framed) and the body.
 * Returns the offset of code[0]. */
static size_t body_module(wb *w, const uint8_t *type, size_t ntype,
                          const uint8_t *extra, size_t nextra,
                          const uint8_t *code, size_t ncode) {
  wb_header(w);
  uint8_t ts[64];
  ts[0] = 1;
  memcpy(ts + 1, type, ntype);
  wb_section(w, 1, ts, ntype + 1);
  wb_section(w, 3, B(1, 0));
  if (extra) wb_put(w, extra, nextra);
  return wb_code1(w, code, ncode);
}

#define T_V 0x60, 0, 0       /* [] -> [] */
#define T_I 0x60, 0, 1, 0x7F /* [] -> [i32] */
#define T_II_I 0x60, 2, 0x7F, 0x7F, 1, 0x7F

/* ---- running ------------------------------------------------------------- */

typedef struct outcome {
  clave_status st;
  clave_error err;
  cl_module *m; /* kept when decoding worked */
} outcome;

static void dump(const wb *w) {
  char path[4096];
  snprintf(path, sizeof path, "%s/unit-%03u.wasm", dump_dir, ndumped++);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(w->b, 1, w->n, f);
  fclose(f);
}

static outcome run(const wb *w, bool validate) {
  if (dump_dir) dump(w);
  outcome o;
  memset(&o, 0, sizeof o);
  o.st = cl_decode(w->b, w->n, &o.m, &o.err);
  if (o.st == CLAVE_OK && validate) o.st = cl_validate(o.m, &o.err);
  return o;
}

static void done(outcome *o) {
  cl_module_free(o->m);
  o->m = NULL;
}

/* Expect decode+validate to succeed. */
static void expect_ok_at(const wb *w, const char *what, int line) {
  outcome o = run(w, true);
  checks++;
  if (o.st != CLAVE_OK) {
    failures++;
    printf("FAIL line %d (%s): expected ok, got %s: %s\n", line, what,
           clave_status_name(o.st), o.err.message);
  }
  done(&o);
}
#define expect_ok(w, what) expect_ok_at((w), (what), __LINE__)

/* Expect a status and the exact message (printf-style, so that offsets
 * can be computed). */
__attribute__((format(printf, 5, 6))) static void expect_err_at(
    int line, const wb *w, clave_status st, const char *what, const char *fmt,
    ...) {
  char want[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, sizeof want, fmt, ap);
  va_end(ap);
  outcome o = run(w, true);
  checks++;
  if (o.st != st || strcmp(o.err.message, want) != 0) {
    failures++;
    printf("FAIL line %d (%s):\n  want %s: %s\n  got  %s: %s\n", line, what,
           clave_status_name(st), want, clave_status_name(o.st),
           o.st == CLAVE_OK ? "(ok)" : o.err.message);
  }
  done(&o);
}
#define expect_err(w, st, what, ...) \
  expect_err_at(__LINE__, (w), (st), (what), __VA_ARGS__)

#define MAL CLAVE_EMALFORMED
#define INV CLAVE_EINVALID

/* ---- the header and sections ------------------------------------------- */

static void test_header(void) {
  wb w;
  wb_header(&w);
  expect_ok(&w, "empty module");
  w.n = 0;
  expect_err(&w, MAL, "no bytes",
             "module header, offset 0x0: unexpected end (0 bytes, not a "
             "WebAssembly module)");
  wb_header(&w);
  w.n = 3;
  expect_err(&w, MAL, "3 bytes",
             "module header, offset 0x0: unexpected end (3 bytes, not a "
             "WebAssembly module)");
  w.n = 0;
  wb_put(&w, B('\x7f', 'E', 'L', 'F', 1, 0, 0, 0));
  expect_err(&w, MAL, "ELF",
             "module header, offset 0x0: magic header not detected "
             "(0x464c457f)");
  wb_header(&w);
  w.n = 6;
  expect_err(&w, MAL, "no version",
             "module header, offset 0x4: unexpected end (no binary version)");
  wb_header(&w);
  w.b[4] = 2;
  expect_err(&w, MAL, "version 2",
             "module header, offset 0x4: unknown binary version 2");
}

static void test_sections(void) {
  wb w;
  wb_header(&w);
  wb_put(&w, B(13, 0));
  expect_err(&w, MAL, "section id 13",
             "module, offset 0x8: malformed section id 13");

  wb_header(&w);
  wb_put(&w, B(1, 5, 1, 0x60, 0));
  expect_err(&w, MAL, "size past the end",
             "type section, offset 0x9: length out of bounds (5, 4 bytes "
             "left)");

  wb_header(&w);
  wb_section(&w, 1, B(1, 0x60, 0, 0, 0));
  expect_err(&w, MAL, "a byte left over",
             "type section, offset 0xe: section size mismatch (4 of 5 bytes "
             "used)");

  /* a vector longer than its section, the module going on after it */
  wb_header(&w);
  wb_section(&w, 1, B(2, 0x60, 0, 0));
  wb_section(&w, 3, B(0));
  expect_err(&w, MAL, "two types declared, one given",
             "type section, offset 0xe: section size mismatch");

  /* ... and at the module's end */
  wb_header(&w);
  wb_section(&w, 1, B(2, 0x60, 0, 0));
  expect_err(&w, MAL, "two types declared, one given, at the end",
             "type section, offset 0xe: unexpected end of section or "
             "function");

  wb_header(&w);
  wb_section(&w, 3, B(0));
  wb_section(&w, 1, B(0));
  expect_err(&w, MAL, "type after function",
             "type section, offset 0xb: unexpected content after last "
             "section (type section repeated or out of order)");

  wb_header(&w);
  wb_section(&w, 1, B(0));
  wb_section(&w, 1, B(0));
  expect_err(&w, MAL, "two type sections",
             "type section, offset 0xb: unexpected content after last "
             "section (type section repeated or out of order)");

  /* the data count section comes between element and code */
  wb_header(&w);
  wb_section(&w, 12, B(0));
  wb_section(&w, 9, B(0));
  expect_err(&w, MAL, "element after data count",
             "element section, offset 0xb: unexpected content after last "
             "section (element section repeated or out of order)");

  /* custom sections anywhere, kept in order */
  wb_header(&w);
  wb_section(&w, 0, B(4, 'n', 'a', 'm', 'e', 1, 2, 3));
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 0, B(0));
  wb_section(&w, 3, B(0));
  wb_section(&w, 0, B(2, 0xC3, 0xA9, 9));
  outcome o = run(&w, true);
  CHECK(o.st == CLAVE_OK, "custom sections: %s", o.err.message);
  if (o.m) {
    CHECK(o.m->ncustoms == 3, "ncustoms %u", o.m->ncustoms);
    CHECK(o.m->customs[0].name.len == 4 &&
              !strcmp(o.m->customs[0].name.str, "name") &&
              o.m->customs[0].len == 3 && o.m->customs[0].bytes[2] == 3,
          "first custom section");
    CHECK(o.m->customs[1].name.len == 0 && o.m->customs[1].len == 0,
          "empty custom section");
    CHECK(!strcmp(o.m->customs[2].name.str, "\xC3\xA9") &&
              o.m->customs[2].len == 1,
          "utf-8 custom section name");
  }
  done(&o);

  wb_header(&w);
  wb_section(&w, 0, B(2, 0xC0, 0x80));
  expect_err(&w, MAL, "overlong NUL in a custom name",
             "custom section, offset 0xa: malformed UTF-8 encoding");

  /* a custom section too small for its name */
  wb_header(&w);
  wb_section(&w, 0, B(5));
  wb_section(&w, 1, B(1, T_V));
  expect_err(&w, MAL, "custom name past the section",
             "custom section, offset 0xb: unexpected end of section or "
             "function");
}

static void test_leb128(void) {
  wb w;
  /* memory min as a 5-byte LEB128 of 2 (not minimal: fine) */
  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 0x82, 0x80, 0x80, 0x80, 0x00));
  outcome o = run(&w, true);
  CHECK(o.st == CLAVE_OK && o.m && o.m->mems[0].lim.min == 2,
        "non-minimal u32: %s", o.err.message);
  done(&o);

  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00));
  expect_err(&w, MAL, "6-byte u32",
             "memory section, offset 0x10: integer representation too long");

  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 0x82, 0x80, 0x80, 0x80, 0x10));
  expect_err(&w, MAL, "u32 with bit 32 set",
             "memory section, offset 0x10: integer too large");

  /* table limits: the largest u32 */
  wb_header(&w);
  wb_section(&w, 4, B(1, 0x70, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F));
  o = run(&w, true);
  CHECK(o.st == CLAVE_OK && o.m && o.m->tables[0].lim.max == 0xFFFFFFFFu &&
            o.m->tables[0].lim.has_max,
        "u32 max: %s", o.err.message);
  done(&o);

  /* limits flags are a one-bit LEB128 */
  wb_header(&w);
  wb_section(&w, 5, B(1, 2, 0));
  expect_err(&w, MAL, "limits flags 2",
             "memory section, offset 0xb: integer too large");
  wb_header(&w);
  wb_section(&w, 5, B(1, 0x81, 0x00, 0));
  expect_err(&w, MAL, "limits flags 0x81 0x00",
             "memory section, offset 0xb: integer representation too long");

  /* signed: i32.const INT32_MIN and -1 in 5 bytes; a sign-less 5th byte */
  wb_header(&w);
  wb_section(&w, 6,
             B(2, 0x7F, 0, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0B, 0x7F, 0,
               0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x0B));
  o = run(&w, true);
  CHECK(o.st == CLAVE_OK && o.m && o.m->globals[0].init.u.i32 == 0x80000000u &&
            o.m->globals[1].init.u.i32 == 0xFFFFFFFFu &&
            o.m->globals[0].init.op == CL_CONST_I32 &&
            o.m->globals[0].init.len == 7,
        "s32 edges: %s", o.err.message);
  done(&o);
  wb_header(&w);
  wb_section(&w, 6, B(1, 0x7F, 0, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B));
  expect_err(&w, MAL, "s32 -1 with unset sign bits",
             "global section, offset 0x12: integer too large");
  wb_header(&w);
  wb_section(&w, 6,
             B(1, 0x7E, 0, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
               0x80, 0x7F, 0x0B));
  o = run(&w, true);
  CHECK(o.st == CLAVE_OK && o.m &&
            o.m->globals[0].init.u.i64 == 0x8000000000000000ull,
        "s64 INT64_MIN: %s", o.err.message);
  done(&o);
  wb_header(&w);
  wb_section(&w, 6,
             B(1, 0x7E, 0, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
               0x80, 0x80, 0x00, 0x0B));
  expect_err(&w, MAL, "11-byte s64",
             "global section, offset 0x17: integer representation too long");

  /* a LEB128 cut by the end of its section: the encoding is the error */
  wb_header(&w);
  wb_section(&w, 3, B(1, 0x80, 0x80));
  wb_put(&w, B(0x80, 0x80, 0x80, 0x00));
  expect_err(&w, MAL, "overlong LEB128 across the section end",
             "function section, offset 0xf: integer representation too long");
}

static void test_types_imports(void) {
  wb w;
  wb_header(&w);
  wb_section(&w, 1, B(1, 0x61, 0, 0));
  expect_err(&w, MAL, "form 0x61",
             "type section, offset 0xb: malformed function type 0x61");
  wb_header(&w);
  wb_section(&w, 1, B(1, 0x60, 1, 0x7A, 0));
  expect_err(&w, MAL, "value type 0x7a",
             "type section, offset 0xd: malformed value type 0x7a");
  wb_header(&w);
  wb_section(&w, 1, B(1, 0x60, 1, 0x7B, 0));
  expect_ok(&w, "v128 param");

  /* imports of each kind, decoded into the index spaces */
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 2,
             B(4, 1, 'm', 1, 'f', 0, 0,          /* func type 0 */
               1, 'm', 1, 't', 1, 0x6F, 1, 1, 5, /* table externref 1..5 */
               1, 'm', 1, 'M', 2, 0, 3,          /* memory 3 */
               1, 'm', 1, 'g', 3, 0x7E, 1));     /* global mut i64 */
  wb_section(&w, 3, B(1, 0));
  wb_code1(&w, B(0, 0x0B));
  outcome o = run(&w, true);
  CHECK(o.st == CLAVE_OK, "imports: %s", o.err.message);
  if (o.m) {
    const cl_module *m = o.m;
    CHECK(m->nimports == 4 && m->nfuncs == 2 && m->nfunc_imports == 1 &&
              m->ntables == 1 && m->ntable_imports == 1 && m->nmems == 1 &&
              m->nmem_imports == 1 && m->nglobals == 1 &&
              m->nglobal_imports == 1,
          "import counts");
    CHECK(m->tables[0].elem == CL_EXTERNREF && m->tables[0].lim.min == 1 &&
              m->tables[0].lim.max == 5 && m->mems[0].lim.min == 3 &&
              !m->mems[0].lim.has_max && m->globals[0].type.type == CL_I64 &&
              m->globals[0].type.mut,
          "import types");
    CHECK(!strcmp(m->imports[3].module.str, "m") &&
              !strcmp(m->imports[3].name.str, "g"),
          "import names");
  }
  done(&o);

  wb_header(&w);
  wb_section(&w, 2, B(1, 0, 0, 4, 0));
  expect_err(&w, MAL, "import kind 4",
             "import section, offset 0xd: malformed import kind 0x04");
  wb_header(&w);
  wb_section(&w, 2, B(1, 0, 0, 3, 0x7F, 2));
  expect_err(&w, MAL, "mutability 2",
             "import section, offset 0xf: malformed mutability 0x02");
  wb_header(&w);
  wb_section(&w, 2, B(1, 3, 0xED, 0xA0, 0x80, 0, 0, 0));
  expect_err(&w, MAL, "surrogate in a module name",
             "import section, offset 0xb: malformed UTF-8 encoding");
  wb_header(&w);
  wb_section(&w, 2, B(1, 0, 4, 0xF4, 0x90, 0x80, 0x80, 0, 0));
  expect_err(&w, MAL, "code point above U+10FFFF",
             "import section, offset 0xc: malformed UTF-8 encoding");
  wb_header(&w);
  wb_section(&w, 2, B(1, 0, 0, 1, 0x7F, 0, 0));
  expect_err(&w, MAL, "table of i32",
             "import section, offset 0xe: malformed reference type 0x7f");
  wb_header(&w);
  wb_section(&w, 2, B(1, 0, 1, 'f', 0, 0));
  expect_err(&w, INV, "import of an unknown type",
             "import section, import 0 (.f): unknown type 0 (0 types)");
}

static void test_functions_code(void) {
  wb w;
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 3, B(2, 0, 0));
  wb_code1(&w, B(0, 0x0B));
  expect_err(&w, MAL, "2 functions, 1 body",
             "code section, offset 0x15: function and code section have "
             "inconsistent lengths (2 functions, 1 bodies)");
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 3, B(1, 0));
  expect_err(&w, MAL, "no code section",
             "module, offset 0x12: function and code section have "
             "inconsistent lengths (1 functions, no code section)");

  /* locals: decoded in order after the params */
  wb w2;
  size_t at = body_module(&w2, B(T_II_I), NULL, 0,
                          B(2, 2, 0x7E, 1, 0x70, 0x20, 0, 0x0B));
  outcome o = run(&w2, true);
  CHECK(o.st == CLAVE_OK, "locals: %s", o.err.message);
  if (o.m) {
    const cl_func *f = &o.m->funcs[0];
    CHECK(f->nlocals == 3 && f->local_types[0] == CL_I64 &&
              f->local_types[1] == CL_I64 && f->local_types[2] == CL_FUNCREF,
          "local types");
    CHECK(f->code_offset == at + 5 && f->code == o.m->bytes + at + 5 &&
              f->end == o.m->bytes + at + 8 && f->body_offset == at - 1,
          "body pointers");
    CHECK(o.m->code_section_size == 10, "code section size %u",
          o.m->code_section_size);
  }
  done(&o);

  at = body_module(&w, B(T_V), NULL, 0,
                   B(2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 2, 0x7E, 0x0B));
  expect_err(&w, MAL, "2^32+1 locals",
             "code section, function 0, offset 0x%zx: too many locals: "
             "4294967297",
             at);
  at = body_module(&w, B(T_V), NULL, 0, B(1, 0xD1, 0x86, 0x03, 0x7F, 0x0B));
  expect_err(&w, CLAVE_ELIMIT, "50001 locals",
             "code section, function 0, offset 0x%zx: too many locals: 50001 "
             "with the parameters (limit 50000)",
             at);

  /* instruction syntax */
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x06, 0x0B));
  expect_err(&w, MAL, "opcode 0x06",
             "code section, function 0, offset 0x%zx: illegal opcode 0x06",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFC, 0x12, 0x0B));
  expect_err(&w, MAL, "0xfc 18",
             "code section, function 0, offset 0x%zx: illegal opcode 0xfc 18",
             at + 1);
  at = body_module(&w, B(T_V), B(5, 3, 1, 0, 1), B(0, 0x3F, 0x01, 0x1A, 0x0B));
  expect_err(&w, MAL, "memory.size 1",
             "code section, function 0, offset 0x%zx: zero byte expected",
             at + 2);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x02, 0x40, 0x05, 0x0B, 0x0B));
  expect_err(&w, MAL, "else in a block",
             "code section, function 0, offset 0x%zx: END opcode expected "
             "(else without if)",
             at + 3);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xD0, 0x7F, 0x1A, 0x0B));
  expect_err(&w, MAL, "ref.null i32",
             "code section, function 0, offset 0x%zx: malformed reference "
             "type 0x7f",
             at + 2);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x01, 0x0B, 0x01));
  expect_err(&w, MAL, "bytes after the end",
             "code section, function 0, offset 0x%zx: section size mismatch: "
             "1 bytes after the function's end",
             at + 3);
  /* a body without its end, last in the module */
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x01));
  expect_err(&w, MAL, "no end at the module's end",
             "code section, function 0, offset 0x%zx: unexpected end of "
             "section or function",
             at + 2);
  /* ... followed by another body */
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 3, B(2, 0, 0));
  size_t sec = wb_section(&w, 10, B(2, 2, 0, 0x01, 2, 0, 0x0B));
  expect_err(&w, MAL, "no end, another body next",
             "code section, function 0, offset 0x%zx: END opcode expected "
             "(the body ends first)",
             sec + 4);
  /* memory.init and data.drop need the data count section */
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFC, 0x09, 0x00, 0x0B));
  expect_err(&w, MAL, "data.drop without data count",
             "code section, function 0, offset 0x%zx: data count section "
             "required (for data.drop)",
             at + 1);
}

static void test_segments(void) {
  wb w;
  /* every element segment kind, decoded */
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 3, B(1, 0));
  wb_section(&w, 4, B(2, 0x70, 0, 1, 0x6F, 0, 1));
  wb_section(&w, 9,
             B(8,
               /* 0: active table 0, offset, func indices */
               0, 0x41, 0, 0x0B, 1, 0,
               /* 1: passive, elemkind, indices */
               1, 0, 1, 0,
               /* 2: active table 0 explicit, offset, elemkind, indices */
               2, 0, 0x41, 0, 0x0B, 0, 1, 0,
               /* 3: declarative, elemkind, indices */
               3, 0, 1, 0,
               /* 4: active table 0, offset, expressions */
               4, 0x41, 0, 0x0B, 2, 0xD2, 0, 0x0B, 0xD0, 0x70, 0x0B,
               /* 5: passive, reftype, expressions */
               5, 0x6F, 1, 0xD0, 0x6F, 0x0B,
               /* 6: active table 1, offset, reftype, expressions */
               6, 1, 0x41, 0, 0x0B, 0x6F, 1, 0xD0, 0x6F, 0x0B,
               /* 7: declarative, reftype, expressions */
               7, 0x70, 1, 0xD2, 0, 0x0B));
  wb_code1(&w, B(0, 0xD2, 0, 0x1A, 0x0B));
  outcome o = run(&w, true);
  CHECK(o.st == CLAVE_OK, "elem kinds: %s", o.err.message);
  if (o.m) {
    const cl_elem *e = o.m->elems;
    CHECK(o.m->nelems == 8, "nelems");
    CHECK(e[0].mode == CL_SEG_ACTIVE && e[0].table == 0 &&
              e[0].reftype == CL_FUNCREF && e[0].offset.op == CL_CONST_I32 &&
              e[0].count == 1 && e[0].items[0].op == CL_CONST_REF_FUNC &&
              e[0].items[0].len == 0,
          "kind 0");
    CHECK(e[1].mode == CL_SEG_PASSIVE && e[3].mode == CL_SEG_DECLARATIVE &&
              e[5].mode == CL_SEG_PASSIVE && e[7].mode == CL_SEG_DECLARATIVE,
          "modes");
    CHECK(e[4].count == 2 && e[4].items[1].op == CL_CONST_REF_NULL &&
              e[4].items[1].u.reftype == CL_FUNCREF && e[4].items[1].len == 3,
          "kind 4");
    CHECK(e[6].table == 1 && e[6].reftype == CL_EXTERNREF, "kind 6");
    CHECK(o.m->declared_refs && o.m->declared_refs[0], "declared_refs");
  }
  done(&o);

  wb_header(&w);
  wb_section(&w, 9, B(1, 8, 0));
  expect_err(&w, MAL, "elem kind 8",
             "element section, offset 0xb: malformed elements segment kind 8");
  wb_header(&w);
  wb_section(&w, 9, B(1, 1, 1, 0));
  expect_err(&w, MAL, "elemkind 1",
             "element section, offset 0xc: malformed element kind 0x01");

  /* data segments */
  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 1));
  wb_section(&w, 12, B(3));
  wb_section(
      &w, 11,
      B(3, 0, 0x41, 8, 0x0B, 2, 'h', 'i', 1, 1, 'x', 2, 0, 0x41, 0, 0x0B, 0));
  o = run(&w, true);
  CHECK(o.st == CLAVE_OK, "data kinds: %s", o.err.message);
  if (o.m) {
    const cl_data *d = o.m->datas;
    CHECK(o.m->ndatas == 3 && o.m->has_datacount && o.m->datacount == 3 &&
              d[0].mode == CL_SEG_ACTIVE && d[0].offset.u.i32 == 8 &&
              d[0].len == 2 && !memcmp(d[0].bytes, "hi", 2) &&
              d[1].mode == CL_SEG_PASSIVE && d[1].len == 1 && d[2].len == 0 &&
              d[2].mem == 0,
          "data segments");
  }
  done(&o);
  wb_header(&w);
  wb_section(&w, 11, B(1, 3, 0));
  expect_err(&w, MAL, "data kind 3",
             "data section, offset 0xb: malformed data segment kind 3");
  wb_header(&w);
  wb_section(&w, 12, B(2));
  wb_section(&w, 11, B(1, 1, 0));
  expect_err(&w, MAL, "data count 2, 1 segment",
             "data section, offset 0xd: data count and data section have "
             "inconsistent lengths (data count 2, 1 segments)");
  wb_header(&w);
  wb_section(&w, 12, B(1));
  expect_err(&w, MAL, "data count 1, no data section",
             "module, offset 0xb: data count and data section have "
             "inconsistent lengths (data count 1, 0 segments)");
  wb_header(&w);
  wb_section(&w, 11, B(1, 1, 5, 'a'));
  expect_err(&w, MAL, "data longer than the module",
             "data section, offset 0xc: length out of bounds (5, 2 bytes "
             "left)");

  /* exports */
  wb_header(&w);
  wb_section(&w, 7, B(1, 1, 'x', 4, 0));
  expect_err(&w, MAL, "export kind 4",
             "export section, offset 0xd: malformed export kind 0x04");
}

/* ---- validation -------------------------------------------------------- */

static void test_body_types(void) {
  wb w;
  size_t at;
  at = body_module(&w, B(T_I), NULL, 0,
                   B(0, 0x41, 1, 0x43, 0, 0, 0, 0, 0x6A, 0x0B));
  expect_err(&w, INV, "i32.add of f32",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i32.add: expected i32, got f32",
             at + 8);
  at = body_module(&w, B(T_I), NULL, 0, B(0, 0x41, 1, 0x6A, 0x0B));
  expect_err(&w, INV, "i32.add of one value",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i32.add: expected i32, got nothing",
             at + 3);
  at = body_module(&w, B(T_I), NULL, 0, B(0, 0x0B));
  expect_err(&w, INV, "missing result",
             "code section, function 0, offset 0x%zx: type mismatch in end: "
             "expected i32, got nothing",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x41, 1, 0x0B));
  expect_err(&w, INV, "value left over",
             "code section, function 0, offset 0x%zx: type mismatch in end: 1 "
             "more value(s) on the stack than the block's 0 result(s)",
             at + 3);

  /* the polymorphic stack */
  body_module(&w, B(T_I), NULL, 0, B(0, 0x00, 0x6A, 0x0B));
  expect_ok(&w, "unreachable; i32.add");
  body_module(&w, B(T_I), NULL, 0, B(0, 0x00, 0x1B, 0x0B));
  expect_ok(&w, "unreachable; select");
  body_module(&w, B(T_I), NULL, 0,
              B(0, 0x02, 0x7F, 0x41, 1, 0x0C, 0, 0x6A, 0x0B, 0x0B));
  expect_ok(&w, "br; i32.add");
  at = body_module(&w, B(T_I), NULL, 0, B(0, 0x00, 0x42, 0, 0x6A, 0x0B));
  expect_err(&w, INV, "unreachable; i64.const; i32.add",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i32.add: expected i32, got i64",
             at + 4);

  /* blocks with params and several results (type index block types) */
  wb_header(&w);
  wb_section(&w, 1, B(2, T_I, 0x60, 1, 0x7F, 2, 0x7F, 0x7F));
  wb_section(&w, 3, B(1, 0));
  wb_code1(&w, B(0, 0x41, 1, 0x02, 1, 0x41, 2, 0x0B, 0x6A, 0x0B));
  expect_ok(&w, "block [i32] -> [i32 i32]");
  wb_header(&w);
  wb_section(&w, 1, B(2, T_I, 0x60, 1, 0x7F, 2, 0x7F, 0x7F));
  wb_section(&w, 3, B(1, 0));
  at = wb_code1(&w, B(0, 0x02, 1, 0x41, 2, 0x0B, 0x6A, 0x0B));
  expect_err(&w, INV, "block param missing",
             "code section, function 0, offset 0x%zx: type mismatch in block: "
             "expected i32, got nothing",
             at + 1);
  wb_header(&w);
  wb_section(&w, 1, B(1, T_I));
  wb_section(&w, 3, B(1, 0));
  at = wb_code1(&w, B(0, 0x02, 5, 0x0B, 0x0B));
  expect_err(&w, INV, "block of an unknown type",
             "code section, function 0, offset 0x%zx: unknown type 5 (1 types)",
             at + 1);

  /* if without else must map its params to its results */
  at = body_module(&w, B(T_I), NULL, 0,
                   B(0, 0x41, 1, 0x04, 0x7F, 0x41, 2, 0x0B, 0x0B));
  expect_err(&w, INV, "if [] -> [i32] without else",
             "code section, function 0, offset 0x%zx: type mismatch in if "
             "without else: expected i32, got nothing",
             at + 7);
  body_module(&w, B(T_I), NULL, 0,
              B(0, 0x41, 1, 0x04, 0x7F, 0x41, 2, 0x05, 0x41, 3, 0x0B, 0x0B));
  expect_ok(&w, "if/else [i32]");

  /* branches */
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x0C, 1, 0x0B));
  expect_err(&w, INV, "br 1 at depth 1",
             "code section, function 0, offset 0x%zx: unknown label 1 (1 "
             "enclosing blocks)",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x02, 0x7F, 0x02, 0x40, 0x41, 0, 0x0E, 1, 0, 1, 0x0B,
                     0x41, 0, 0x0B, 0x1A, 0x0B));
  expect_err(&w, INV, "br_table arities 0 and 1",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "br_table: label 0 takes 0 value(s), the default label 1 takes 1",
             at + 7);
  body_module(&w, B(T_I), NULL, 0,
              B(0, 0x02, 0x7F, 0x41, 7, 0x41, 0, 0x0E, 1, 0, 1, 0x0B, 0x0B));
  expect_ok(&w, "br_table to [i32] labels");

  /* select */
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0xD0, 0x70, 0xD0, 0x70, 0x41, 0, 0x1B, 0x1A, 0x0B));
  expect_err(&w, INV, "select of funcref",
             "code section, function 0, offset 0x%zx: type mismatch in select: "
             "operands of funcref must be numeric without a type immediate",
             at + 7);
  body_module(&w, B(T_V), NULL, 0,
              B(0, 0xD0, 0x70, 0xD0, 0x70, 0x41, 0, 0x1C, 1, 0x70, 0x1A, 0x0B));
  expect_ok(&w, "select (result funcref)");
  at = body_module(
      &w, B(T_V), NULL, 0,
      B(0, 0x41, 0, 0x41, 0, 0x41, 0, 0x1C, 2, 0x7F, 0x7F, 0x1A, 0x0B));
  expect_err(&w, INV, "select with 2 types",
             "code section, function 0, offset 0x%zx: invalid result arity 2 "
             "for select (must be 1)",
             at + 7);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x41, 0, 0x42, 0, 0x41, 0, 0x1B, 0x1A, 0x0B));
  expect_err(&w, INV, "select of i32 and i64",
             "code section, function 0, offset 0x%zx: type mismatch in select: "
             "i32 and i64",
             at + 7);
}

static void test_body_indices(void) {
  wb w;
  size_t at;
  at = body_module(&w, B(T_II_I), NULL, 0, B(1, 1, 0x7E, 0x20, 3, 0x0B));
  expect_err(&w, INV, "local 3 of 3",
             "code section, function 0, offset 0x%zx: unknown local 3 (3 "
             "locals)",
             at + 3);
  at = body_module(&w, B(T_II_I), NULL, 0, B(1, 1, 0x7E, 0x20, 2, 0x0B));
  expect_err(&w, INV, "returning the i64 local",
             "code section, function 0, offset 0x%zx: type mismatch in end: "
             "expected i32, got i64",
             at + 5);
  at = body_module(&w, B(T_I), NULL, 0, B(0, 0x23, 0, 0x0B));
  expect_err(&w, INV, "global 0 of 0",
             "code section, function 0, offset 0x%zx: unknown global 0 (0 "
             "globals)",
             at + 1);
  at = body_module(&w, B(T_V), B(6, 6, 1, 0x7F, 0, 0x41, 0, 0x0B),
                   B(0, 0x41, 1, 0x24, 0, 0x0B));
  expect_err(&w, INV, "global.set of a constant",
             "code section, function 0, offset 0x%zx: global is immutable: "
             "global 0",
             at + 3);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x10, 1, 0x0B));
  expect_err(&w, INV, "call 1",
             "code section, function 0, offset 0x%zx: unknown function 1 (1 "
             "functions)",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x41, 0, 0x11, 0, 0, 0x0B));
  expect_err(&w, INV, "call_indirect without table",
             "code section, function 0, offset 0x%zx: unknown table 0 (0 "
             "tables)",
             at + 3);
  at = body_module(&w, B(T_V), B(4, 4, 1, 0x6F, 0, 0),
                   B(0, 0x41, 0, 0x11, 0, 0, 0x0B));
  expect_err(&w, INV, "call_indirect through externref",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "call_indirect: table 0 holds externref, not funcref",
             at + 3);
  at = body_module(&w, B(T_I), NULL, 0, B(0, 0x41, 0, 0x28, 2, 0, 0x0B));
  expect_err(&w, INV, "load without memory",
             "code section, function 0, offset 0x%zx: unknown memory 0 in "
             "i32.load (the module has no memory)",
             at + 3);
  at = body_module(&w, B(T_I), B(5, 3, 1, 0, 1),
                   B(0, 0x41, 0, 0x28, 3, 0, 0x0B));
  expect_err(&w, INV, "i32.load align 8",
             "code section, function 0, offset 0x%zx: alignment must not be "
             "larger than natural in i32.load: 2^3 bytes, natural 4",
             at + 3);
  body_module(&w, B(T_I), B(5, 3, 1, 0, 1),
              B(0, 0x41, 0, 0x2D, 0, 0, 0x41, 0, 0x41, 0, 0x3B, 1, 9, 0x0B));
  expect_ok(&w, "i32.load8_u align 1, i32.store16 align 2");
  at = body_module(&w, B(T_V), B(5, 3, 1, 0, 1, 12, 1, 0),
                   B(0, 0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 8, 0, 0, 0x0B));
  wb_section(&w, 11, B(0));
  expect_err(&w, INV, "memory.init 0 of 0 segments",
             "code section, function 0, offset 0x%zx: unknown data segment 0 "
             "(0 segments)",
             at + 7);
  at = body_module(&w, B(T_V), B(4, 4, 1, 0x6F, 0, 0, 9, 4, 1, 5, 0x70, 0),
                   B(0, 0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 12, 0, 0, 0x0B));
  expect_err(&w, INV, "table.init funcref into externref",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "table.init: elem segment 0 holds funcref, table 0 holds "
             "externref",
             at + 7);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFC, 13, 0, 0x0B));
  expect_err(&w, INV, "elem.drop 0 of 0",
             "code section, function 0, offset 0x%zx: unknown elem segment 0 "
             "(0 segments)",
             at + 1);
  at = body_module(&w, B(T_V), B(4, 4, 1, 0x70, 0, 0),
                   B(0, 0xD0, 0x6F, 0x41, 1, 0xFC, 15, 0, 0x1A, 0x0B));
  expect_err(&w, INV, "table.grow funcref table by an externref",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "table.grow: expected funcref, got externref",
             at + 5);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xD2, 0, 0x1A, 0x0B));
  expect_err(&w, INV, "ref.func of an undeclared function",
             "code section, function 0, offset 0x%zx: undeclared function "
             "reference 0 (ref.func needs the function in an element "
             "segment, an export or a global)",
             at + 1);
  body_module(&w, B(T_V), B(7, 5, 1, 1, 'f', 0, 0), B(0, 0xD2, 0, 0x1A, 0x0B));
  expect_ok(&w, "ref.func of an exported function");
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0x41, 0, 0xD1, 0x1A, 0x0B));
  expect_err(&w, INV, "ref.is_null of i32",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "ref.is_null: expected a reference, got i32",
             at + 3);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x43, 0, 0, 0, 0, 0xFC, 0, 0x1A, 0x44, 0, 0, 0, 0, 0, 0,
                     0, 0, 0xFC, 4, 0x1A, 0x0B));
  expect_err(&w, INV, "i64.trunc_sat_f32_s of f64",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i64.trunc_sat_f32_s: expected f32, got f64",
             at + 18);
}

static void test_module_rules(void) {
  wb w;
  size_t at;
  /* constant expressions */
  wb_header(&w);
  at = wb_section(&w, 6, B(1, 0x7F, 0, 0x41, 0, 0x41, 0, 0x6A, 0x0B));
  expect_err(&w, INV, "i32.add in a global",
             "global section, global 0, offset 0x%zx: constant expression "
             "required: i32.add is not constant",
             at + 7);
  wb_header(&w);
  at = wb_section(&w, 6, B(1, 0x7F, 0, 0x42, 0, 0x0B));
  expect_err(&w, INV, "i64 init of an i32 global",
             "global section, global 0, offset 0x%zx: type mismatch in "
             "constant expression: expected i32, got i64",
             at + 3);
  wb_header(&w);
  at = wb_section(&w, 6, B(1, 0x7F, 0, 0x0B));
  expect_err(&w, INV, "empty init",
             "global section, global 0, offset 0x%zx: type mismatch in "
             "constant expression: expected one i32, got 0 values",
             at + 3);
  wb_header(&w);
  at = wb_section(&w, 6, B(2, 0x7F, 0, 0x41, 0, 0x0B, 0x7F, 0, 0x23, 0, 0x0B));
  expect_err(&w, INV, "global.get of a defined global",
             "global section, global 1, offset 0x%zx: unknown global 0 "
             "(constant expressions see only the 0 imported globals)",
             at + 8);
  wb_header(&w);
  wb_section(&w, 2, B(1, 1, 'm', 1, 'g', 3, 0x7F, 1));
  at = wb_section(&w, 6, B(1, 0x7F, 0, 0x23, 0, 0x0B));
  expect_err(&w, INV, "global.get of an imported mutable global",
             "global section, global 1, offset 0x%zx: constant expression "
             "required: global.get of mutable global 0",
             at + 3);
  wb_header(&w);
  wb_section(&w, 2, B(1, 1, 'm', 1, 'g', 3, 0x7F, 0));
  wb_section(&w, 6, B(1, 0x7F, 0, 0x23, 0, 0x0B));
  expect_ok(&w, "global.get of an imported constant");

  /* limits */
  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 0x81, 0x80, 0x04));
  expect_err(&w, INV, "65537 pages",
             "memory section, memory 0: memory size must be at most 65536 "
             "pages (4GiB)");
  wb_header(&w);
  wb_section(&w, 4, B(1, 0x70, 1, 2, 1));
  expect_err(&w, INV, "table 2..1",
             "table section, table 0: size minimum must not be greater than "
             "maximum (2 > 1)");
  wb_header(&w);
  wb_section(&w, 5, B(2, 0, 0, 0, 0));
  expect_err(&w, INV, "two memories",
             "memory section: multiple memories (2; at most 1 in WebAssembly "
             "2.0)");

  /* exports and start */
  wb_header(&w);
  wb_section(&w, 1, B(1, T_V));
  wb_section(&w, 3, B(1, 0));
  wb_section(&w, 7, B(2, 1, 'a', 0, 0, 1, 'a', 0, 0));
  wb_code1(&w, B(0, 0x0B));
  expect_err(&w, INV, "export a twice",
             "export section: duplicate export name \"a\"");
  wb_header(&w);
  wb_section(&w, 7, B(1, 1, 'm', 2, 0));
  expect_err(&w, INV, "export of a missing memory",
             "export section, export 0: unknown memory 0 in export \"m\"");
  wb_header(&w);
  wb_section(&w, 1, B(1, T_I));
  wb_section(&w, 3, B(1, 0));
  wb_section(&w, 8, B(0));
  wb_code1(&w, B(0, 0x41, 0, 0x0B));
  expect_err(&w, INV, "start returning i32",
             "start section: start function 0 must have type [] -> [], not 0 "
             "params and 1 results");

  /* segments */
  wb_header(&w);
  wb_section(&w, 4, B(1, 0x6F, 0, 0));
  at = wb_section(&w, 9, B(1, 0, 0x41, 0, 0x0B, 0));
  expect_err(&w, INV, "funcref segment for an externref table",
             "element section, segment 0, offset 0x%zx: type mismatch: "
             "segment of funcref for table 0 of externref",
             at + 2);
  wb_header(&w);
  wb_section(&w, 4, B(1, 0x70, 0, 0));
  at = wb_section(&w, 9, B(1, 0, 0x41, 0, 0x0B, 1, 3));
  expect_err(&w, INV, "element naming function 3",
             "element section, segment 0, offset 0x%zx: unknown function 3 (0 "
             "functions)",
             at + 6);
  wb_header(&w);
  at = wb_section(&w, 9, B(1, 5, 0x70, 1, 0xD0, 0x6F, 0x0B));
  expect_err(&w, INV, "ref.null extern in a funcref segment",
             "element section, segment 0, offset 0x%zx: type mismatch in "
             "constant expression: expected funcref, got externref",
             at + 4);
  wb_header(&w);
  at = wb_section(&w, 11, B(1, 0, 0x41, 0, 0x0B, 0));
  expect_err(&w, INV, "active data without memory",
             "data section, segment 0, offset 0x%zx: unknown memory 0 (0 "
             "memories)",
             at + 2);
  wb_header(&w);
  wb_section(&w, 5, B(1, 0, 1));
  at = wb_section(&w, 11, B(1, 0, 0x42, 0, 0x0B, 0));
  expect_err(&w, INV, "i64 data offset",
             "data section, segment 0, offset 0x%zx: type mismatch in "
             "constant expression: expected i32, got i64",
             at + 2);
}

/* ---- SIMD ---------------------------------------------------------------- */

/* v128 in every place a value type goes, the 0xFD immediates (malformed
 * when cut short or reserved), lane indices, alignment, types and constant
 * expressions. */
static void test_simd(void) {
  wb w;
  size_t at;
#define V128_CONST0 0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  body_module(&w, B(T_V), NULL, 0, B(1, 1, 0x7B, 0x0B));
  expect_ok(&w, "v128 local");
  body_module(&w, B(T_V), NULL, 0,
              B(0, 0x02, 0x7B, V128_CONST0, 0x0B, 0x1A, 0x0B));
  expect_ok(&w, "block of v128");
  body_module(&w, B(0x60, 0, 1, 0x7F), NULL, 0,
              B(0, V128_CONST0, V128_CONST0, 0xFD, 0x0D, 0, 1, 2, 3, 4, 5, 6, 7,
                8, 9, 10, 11, 12, 13, 14, 31, /* i8x16.shuffle */
                0xFD, 0x15, 15,               /* i8x16.extract_lane_s */
                0x0B));
  expect_ok(&w, "shuffle, extract_lane");
  body_module(&w, B(0x60, 0, 1, 0x7B), B(5, 3, 1, 0, 1),
              B(0, 0x41, 0, 0xFD, 0x00, 4, 0, /* v128.load align=16 */
                0x41, 0, 0xFD, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                14, 15, 16, 0xFD, 0x57, 3, 8, 1, /* v128.load64_lane 1 */
                0xFD, 0xE4, 0x01,                /* f32x4.add */
                0x0B));
  expect_ok(&w, "load, load64_lane, f32x4.add");

  /* malformed: cut short, reserved sub-opcodes */
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFD, 0x0C, 1, 2, 3, 0x0B));
  expect_err(&w, MAL, "v128.const cut short",
             "code section, function 0, offset 0x%zx: unexpected end of "
             "section or function",
             at + 7);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFD, 0x9A, 0x01, 0x0B));
  expect_err(&w, MAL, "0xfd 154",
             "code section, function 0, offset 0x%zx: illegal opcode 0xfd 154",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFD, 0x80, 0x02, 0x0B));
  expect_err(&w, MAL, "0xfd 256",
             "code section, function 0, offset 0x%zx: illegal opcode 0xfd 256",
             at + 1);
  at = body_module(&w, B(T_V), NULL, 0, B(0, 0xFD));
  expect_err(&w, MAL, "0xfd alone",
             "code section, function 0, offset 0x%zx: unexpected end of "
             "section or function",
             at + 2);

  /* invalid: lanes, alignment, types */
  at =
      body_module(&w, B(T_I), NULL, 0, B(0, V128_CONST0, 0xFD, 0x15, 16, 0x0B));
  expect_err(&w, INV, "extract_lane 16",
             "code section, function 0, offset 0x%zx: invalid lane index 16 "
             "in i8x16.extract_lane_s (16 lanes)",
             at + 19);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, V128_CONST0, 0x42, 0, 0xFD, 0x1E, 2, 0x1A, 0x0B));
  expect_err(&w, INV, "i64x2.replace_lane 2",
             "code section, function 0, offset 0x%zx: invalid lane index 2 "
             "in i64x2.replace_lane (2 lanes)",
             at + 21);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, V128_CONST0, V128_CONST0, 0xFD, 0x0D, 0, 1, 2, 3, 4, 5,
                     6, 7, 8, 9, 10, 11, 12, 13, 14, 32, 0x1A, 0x0B));
  expect_err(&w, INV, "shuffle lane 32",
             "code section, function 0, offset 0x%zx: invalid lane index 32 "
             "in i8x16.shuffle (32 lanes)",
             at + 37);
  at = body_module(&w, B(T_V), B(5, 3, 1, 0, 1),
                   B(0, 0x41, 0, V128_CONST0, 0xFD, 0x5A, 2, 0, 4, 0x0B));
  expect_err(&w, INV, "store32_lane 4",
             "code section, function 0, offset 0x%zx: invalid lane index 4 "
             "in v128.store32_lane (4 lanes)",
             at + 21);
  at = body_module(&w, B(T_V), B(5, 3, 1, 0, 1),
                   B(0, 0x41, 0, 0xFD, 0x00, 5, 0, 0x1A, 0x0B));
  expect_err(&w, INV, "v128.load align 2^5",
             "code section, function 0, offset 0x%zx: alignment must not be "
             "larger than natural in v128.load: 2^5 bytes, natural 16",
             at + 3);
  at = body_module(&w, B(T_V), B(5, 3, 1, 0, 1),
                   B(0, 0x41, 0, 0xFD, 0x09, 3, 0, 0x1A, 0x0B));
  expect_err(&w, INV, "load32_splat align 2^3",
             "code section, function 0, offset 0x%zx: alignment must not be "
             "larger than natural in v128.load32_splat: 2^3 bytes, natural 4",
             at + 3);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x41, 0, 0xFD, 0x00, 4, 0, 0x1A, 0x0B));
  expect_err(&w, INV, "v128.load without memory",
             "code section, function 0, offset 0x%zx: unknown memory 0 in "
             "v128.load (the module has no memory)",
             at + 3);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x41, 1, 0x41, 2, 0xFD, 0xAE, 0x01, 0x1A, 0x0B));
  expect_err(&w, INV, "i32x4.add of i32",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i32x4.add: expected v128, got i32",
             at + 5);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, V128_CONST0, V128_CONST0, 0xFD, 0x6B, 0x1A, 0x0B));
  expect_err(&w, INV, "i8x16.shl by a v128",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i8x16.shl: expected i32, got v128",
             at + 37);
  at = body_module(&w, B(T_V), NULL, 0,
                   B(0, 0x43, 0, 0, 0, 0, 0xFD, 0x12, 0x1A, 0x0B));
  expect_err(&w, INV, "i64x2.splat of f32",
             "code section, function 0, offset 0x%zx: type mismatch in "
             "i64x2.splat: expected i64, got f32",
             at + 6);
  at = body_module(&w, B(T_I), NULL, 0, B(0, V128_CONST0, 0x0B));
  expect_err(&w, INV, "v128 result for i32",
             "code section, function 0, offset 0x%zx: type mismatch in end: "
             "expected i32, got v128",
             at + 19);

  /* constant expressions: v128.const only */
  wb_header(&w);
  wb_section(&w, 6, B(1, 0x7B, 0, V128_CONST0, 0x0B));
  expect_ok(&w, "v128 global");
  wb_header(&w);
  wb_section(&w, 6, B(1, 0x7B, 0, 0x41, 0, 0xFD, 0x11, 0x0B));
  expect_err(&w, INV, "i32x4.splat in a constant",
             "global section, global 0, offset 0xf: constant expression "
             "required: i32x4.splat is not constant");
  wb_header(&w);
  wb_section(&w, 6, B(1, 0x7F, 0, V128_CONST0, 0x0B));
  expect_err(&w, INV, "v128.const for an i32 global",
             "global section, global 0, offset 0xd: type mismatch in constant "
             "expression: expected i32, got v128");
  wb_header(&w);
  wb_section(&w, 6, B(1, 0x7B, 0, 0xFD, 0x0C, 1, 2, 0x0B));
  expect_err(&w, MAL, "v128.const global cut short",
             "global section, offset 0x12: unexpected end of section or "
             "function");
#undef V128_CONST0
}

/* A module that uses most of 2.0 at once must pass, and twice (the
 * validator may be run again on the same module). */
static void test_accept_features(void) {
  wb w;
  wb_header(&w);
  wb_section(
      &w, 1,
      B(3, T_V, 0x60, 2, 0x7F, 0x7E, 2, 0x7E, 0x7F, /* [i32 i64]->[i64 i32] */
        0x60, 1, 0x6F, 1, 0x7F));                   /* [externref]->[i32] */
  wb_section(&w, 3, B(3, 0, 1, 2));
  wb_section(&w, 4, B(2, 0x70, 0, 2, 0x6F, 1, 0, 4));
  wb_section(&w, 5, B(1, 1, 1, 2));
  wb_section(&w, 6, B(1, 0x70, 1, 0xD2, 1, 0x0B));
  wb_section(&w, 7, B(1, 3, 'r', 'u', 'n', 0, 0));
  wb_section(&w, 9, B(1, 5, 0x70, 1, 0xD2, 2, 0x0B));
  wb_section(&w, 12, B(1));
  wb_section(
      &w, 10,
      B(3,
        /* function 0: bulk memory, table ops, trunc_sat, sign-ext */
        38, 0, 0x41, 0, 0x41, 0, 0x41, 1, 0xFC, 8, 0, 0, /* memory.init */
        0xFC, 9, 0,                                      /* data.drop */
        0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 10, 0, 0,       /* memory.copy */
        0x41, 0, 0xD0, 0x70, 0x41, 1, 0xFC, 17, 0,       /* table.fill */
        0xFC, 16, 1, 0x1A,                               /* table.size */
        0x0B,
        /* function 1: [i32 i64] -> [i64 i32] with a multi-value block */
        13, 0, 0x20, 0, 0x20, 1, 0x02, 1, 0x1A, 0x1A, 0x00, 0x0B, 0x00, 0x0B,
        /* function 2: ref.is_null of the param */
        5, 0, 0x20, 0, 0xD1, 0x0B));
  wb_section(&w, 11, B(1, 1, 3, 'a', 'b', 'c'));
  outcome o = run(&w, true);
  CHECK(o.st == CLAVE_OK, "feature module: %s", o.err.message);
  if (o.m) {
    CHECK(
        o.m->declared_refs[1] && o.m->declared_refs[2] && o.m->declared_refs[0],
        "declared_refs from global, elem and export");
    clave_error err;
    CHECK(cl_validate(o.m, &err) == CLAVE_OK, "validating twice");
  }
  done(&o);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--dump")) dump_dir = argv[2];
  test_header();
  test_sections();
  test_leb128();
  test_types_imports();
  test_functions_code();
  test_segments();
  test_body_types();
  test_body_indices();
  test_module_rules();
  test_simd();
  test_accept_features();
  printf("engine decode/validate unit tests: %d checks\n", checks);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
