/*
 * decode.c - the WebAssembly binary format, bytes to cl_module.
 *
 * One pass over the module, section by section, into the structs of
 * module.h.  Decoding is complete and eager: section order and sizes,
 * LEB128 rules, UTF-8 names, every type, limit, segment and constant
 * expression, and the instruction syntax of every function body (opcodes,
 * immediates, block nesting) are checked here.  What is left to
 * cl_validate is typing and index bounds: the decoder never follows an
 * index, so an out-of-range one is an invalid module, not a malformed one,
 * as the spec wants.
 *
 * Every read goes through cl_reader, bounded by the end of the current
 * section (or function body), so nothing here can read outside the copy
 * of the module.  Error texts start with the spec's own phrase ("section
 * size mismatch", "malformed UTF-8 encoding", ...) after the place:
 * "<section> section, offset 0x1f: ..." or "code section, function 3,
 * offset 0x2a: ...".
 *
 * Where the spec's reference decoder reads past a section's end before it
 * notices a problem, we stop at the end and report what it would have
 * concluded: content that runs past the end of a section is "section size
 * mismatch", unless the module ends there ("unexpected end of section or
 * function").
 *
 * It must never: trust a length or count before checking it against the
 * bytes that are left, allocate more than a small multiple of the input,
 * or print anything.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/module.h"
#include "engine/opcodes.h"
#include "engine/opcodes_simd.h"
#include "engine/reader.h"

/* Section ids, and the order in which the non-custom ones must come. */
enum {
  SEC_CUSTOM = 0,
  SEC_TYPE = 1,
  SEC_IMPORT = 2,
  SEC_FUNC = 3,
  SEC_TABLE = 4,
  SEC_MEMORY = 5,
  SEC_GLOBAL = 6,
  SEC_EXPORT = 7,
  SEC_START = 8,
  SEC_ELEM = 9,
  SEC_CODE = 10,
  SEC_DATA = 11,
  SEC_DATACOUNT = 12
};

static const char *const dec_section_names[] = {
    "custom section",    "type section",   "import section",
    "function section",  "table section",  "memory section",
    "global section",    "export section", "start section",
    "element section",   "code section",   "data section",
    "data count section"};

/* rank of each section id in the required order (datacount sits between
 * element and code) */
static const uint8_t dec_section_rank[] = {0, 1, 2, 3,  4,  5, 6,
                                           7, 8, 9, 11, 12, 10};

typedef struct dec {
  cl_module *m;
  cl_reader r;            /* bounded by the current section or body */
  const uint8_t *mend;    /* end of the module */
  const char *where;      /* "type section", "module header", ... */
  const uint8_t *sec_end; /* end of the current section */
  int64_t func;           /* function index for messages, or -1 */
  bool eos_is_end;        /* running out of bytes is "unexpected end" even
                             before the module's end (custom sections) */
  bool failed;
  clave_error *err;
  clave_status status;
  uint8_t *nest; /* block nesting while checking instructions */
  size_t nest_cap;
} dec;

/* ---- errors ------------------------------------------------------------- */

static void dec_vfail(dec *d, size_t at, clave_status st, const char *fmt,
                      va_list ap) {
  if (d->failed) return;
  d->failed = true;
  d->status = st;
  char what[400];
  vsnprintf(what, sizeof what, fmt, ap);
  if (d->func >= 0)
    cl_error_set(d->err, st, "%s, function %lld, offset 0x%zx: %s", d->where,
                 (long long)d->func, at, what);
  else
    cl_error_set(d->err, st, "%s, offset 0x%zx: %s", d->where, at, what);
}

__attribute__((format(printf, 4, 5))) static bool dec_fail_st(dec *d, size_t at,
                                                              clave_status st,
                                                              const char *fmt,
                                                              ...) {
  va_list ap;
  va_start(ap, fmt);
  dec_vfail(d, at, st, fmt, ap);
  va_end(ap);
  return false;
}

/* Malformed at a module offset. */
__attribute__((format(printf, 3, 4))) static bool dec_fail(dec *d, size_t at,
                                                           const char *fmt,
                                                           ...) {
  va_list ap;
  va_start(ap, fmt);
  dec_vfail(d, at, CLAVE_EMALFORMED, fmt, ap);
  va_end(ap);
  return false;
}

static size_t dec_pos(const dec *d) {
  return cl_reader_offset(&d->r);
}

static bool dec_nomem(dec *d) {
  return dec_fail_st(d, dec_pos(d), CLAVE_ENOMEM, "out of memory");
}

/* Turn a reader error into the module error.  Running out of bytes before
 * the module ends means the contents overran their section or body. */
static bool dec_ok(dec *d) {
  if (d->failed) return false;
  if (cl_reader_ok(&d->r)) return true;
  const char *msg = d->r.err;
  if (strcmp(msg, "unexpected end") == 0) {
    if (d->eos_is_end || d->r.end >= d->mend)
      msg = "unexpected end of section or function";
    else
      msg = "section size mismatch";
  }
  return dec_fail(d, d->r.err_at, "%s", msg);
}

/* Fail as if reading ran off the end of the current section. */
static bool dec_eos(dec *d) {
  d->r.p = d->r.end;
  cl_reader_fail(&d->r, "unexpected end");
  return dec_ok(d);
}

/* Make sure n more bytes are there. */
static bool dec_need(dec *d, uint64_t n) {
  if (n > (uint64_t)(d->r.end - d->r.p)) return dec_eos(d);
  return true;
}

/* ---- small readers ---------------------------------------------------- */

static uint8_t dec_u8(dec *d) {
  return cl_read_u8(&d->r);
}

/* A LEB128 of `bits` bits.  One that runs into the end of its section
 * before the module's end is read on, as the spec's decoder does, so that
 * a bad encoding is reported as such rather than as a size mismatch. */
static uint64_t dec_leb(dec *d, unsigned bits, bool sign) {
  bool was_ok = cl_reader_ok(&d->r);
  const uint8_t *start = d->r.p;
  uint64_t v =
      sign ? (uint64_t)cl_read_sleb(&d->r, bits) : cl_read_uleb(&d->r, bits);
  if (was_ok && !cl_reader_ok(&d->r) && d->r.end < d->mend &&
      d->r.err_at == (size_t)(d->r.end - d->r.base)) {
    cl_reader t;
    cl_reader_init(&t, d->r.base, start, d->mend);
    if (sign)
      cl_read_sleb(&t, bits);
    else
      cl_read_uleb(&t, bits);
    if (t.err && strcmp(t.err, "unexpected end") != 0) {
      d->r.err = t.err;
      d->r.err_at = t.err_at;
    }
  }
  return v;
}

static uint32_t dec_u32(dec *d) {
  return (uint32_t)dec_leb(d, 32, false);
}

/* A length (of a vector, name or section): the spec refuses one larger
 * than what is left of the module with "length out of bounds". */
static bool dec_len(dec *d, uint32_t *out) {
  size_t at = dec_pos(d);
  size_t left = (size_t)(d->mend - (d->r.base + at));
  bool was_ok = cl_reader_ok(&d->r);
  uint32_t n = dec_u32(d);
  if (was_ok && !cl_reader_ok(&d->r) && d->r.end < d->mend) {
    /* the length runs past its section: if it is also past the module,
     * that is what the spec's decoder, reading on, reports */
    cl_reader t;
    cl_reader_init(&t, d->r.base, d->r.base + at, d->mend);
    uint32_t n2 = cl_read_u32(&t);
    if (cl_reader_ok(&t) && n2 > left)
      return dec_fail(d, at, "length out of bounds (%u, %zu bytes left)", n2,
                      left);
  }
  if (!dec_ok(d)) return false;
  if ((uint64_t)n > left)
    return dec_fail(d, at, "length out of bounds (%u, %zu bytes left)", n,
                    left);
  *out = n;
  return true;
}

/* A vector count: the length rule, then each item needs at least a byte
 * of the current section (which bounds what we allocate for it), and an
 * implementation limit. */
static bool dec_count(dec *d, uint32_t limit, const char *what, uint32_t *out) {
  size_t at = dec_pos(d);
  uint32_t n;
  if (!dec_len(d, &n)) return false;
  if (!dec_need(d, n)) return false;
  if (n > limit)
    return dec_fail_st(d, at, CLAVE_ELIMIT, "too many %s: %u (limit %u)", what,
                       n, limit);
  *out = n;
  return true;
}

static bool dec_alloc(dec *d, void **p, size_t n, size_t size) {
  *p = NULL;
  if (n == 0) return true;
  *p = calloc(n, size);
  if (!*p) return dec_nomem(d);
  return true;
}

/* Grow an array of (old + add) items of size bytes, zeroing the new ones. */
static bool dec_grow(dec *d, void **p, size_t old, size_t add, size_t size) {
  if (add == 0) return true;
  void *q = realloc(*p, (old + add) * size);
  if (!q) return dec_nomem(d);
  memset((uint8_t *)q + old * size, 0, add * size);
  *p = q;
  return true;
}

/* ---- UTF-8 and names --------------------------------------------------- */

/* Well-formed UTF-8 as the Unicode standard defines it: no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static bool dec_utf8_ok(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
      return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

static bool dec_name(dec *d, cl_name *out) {
  size_t at = dec_pos(d);
  uint32_t n;
  if (!dec_len(d, &n)) return false;
  if (!dec_need(d, n)) return false;
  const uint8_t *s = d->r.p;
  if (!dec_utf8_ok(s, n)) return dec_fail(d, at, "malformed UTF-8 encoding");
  out->str = malloc((size_t)n + 1);
  if (!out->str) return dec_nomem(d);
  memcpy(out->str, s, n);
  out->str[n] = 0;
  out->len = n;
  d->r.p += n;
  return true;
}

/* ---- types ------------------------------------------------------------- */

/* The one place that knows which value types exist. */
static bool dec_valtype(dec *d, uint8_t *out) {
  size_t at = dec_pos(d);
  uint8_t b = dec_u8(d);
  if (!dec_ok(d)) return false;
  switch (b) {
    case CL_I32:
    case CL_I64:
    case CL_F32:
    case CL_F64:
    case CL_V128:
    case CL_FUNCREF:
    case CL_EXTERNREF:
      *out = b;
      return true;
    default:
      return dec_fail(d, at, "malformed value type 0x%02x", b);
  }
}

static bool dec_reftype(dec *d, uint8_t *out) {
  size_t at = dec_pos(d);
  uint8_t b = dec_u8(d);
  if (!dec_ok(d)) return false;
  if (b != CL_FUNCREF && b != CL_EXTERNREF)
    return dec_fail(d, at, "malformed reference type 0x%02x", b);
  *out = b;
  return true;
}

static bool dec_limits(dec *d, cl_limits *lim) {
  /* the flags are a LEB128 of one bit: 2 is "integer too large", 0x81 0x00
   * "integer representation too long" */
  uint64_t flags = dec_leb(d, 1, false);
  lim->min = dec_u32(d);
  lim->has_max = flags == 1;
  lim->max = lim->has_max ? dec_u32(d) : 0;
  return dec_ok(d);
}

static bool dec_tabletype(dec *d, cl_tabletype *t) {
  return dec_reftype(d, &t->elem) && dec_limits(d, &t->lim);
}

static bool dec_globaltype(dec *d, cl_globaltype *g) {
  if (!dec_valtype(d, &g->type)) return false;
  size_t at = dec_pos(d);
  uint8_t mut = dec_u8(d);
  if (!dec_ok(d)) return false;
  if (mut > 1) return dec_fail(d, at, "malformed mutability 0x%02x", mut);
  g->mut = mut == 1;
  return true;
}

/* ---- instruction syntax ------------------------------------------------ */

/* Nesting kinds kept while checking a body: an `if` may still take an
 * `else`; other blocks may not. */
enum { NEST_BLOCK = 0, NEST_IF = 1 };

static bool dec_nest_push(dec *d, size_t depth, uint8_t kind) {
  if (depth >= d->nest_cap) {
    size_t cap = d->nest_cap ? d->nest_cap * 2 : 64;
    uint8_t *n = realloc(d->nest, cap);
    if (!n) return dec_nomem(d);
    d->nest = n;
    d->nest_cap = cap;
  }
  d->nest[depth] = kind;
  return true;
}

static bool dec_zero_byte(dec *d) {
  size_t at = dec_pos(d);
  uint8_t b = dec_u8(d);
  if (!dec_ok(d)) return false;
  if (b != 0) return dec_fail(d, at, "zero byte expected");
  return true;
}

static bool dec_memarg(dec *d) {
  dec_u32(d); /* alignment exponent: its bound is a validation rule */
  dec_u32(d); /* offset */
  return dec_ok(d);
}

/* The immediates of the 0xFC-prefixed instruction at `at`. */
static bool dec_instr_fc(dec *d, size_t at) {
  uint32_t sub = dec_u32(d);
  if (!dec_ok(d)) return false;
  switch (sub) {
    case OPFC_I32_TRUNC_SAT_F32_S:
    case OPFC_I32_TRUNC_SAT_F32_U:
    case OPFC_I32_TRUNC_SAT_F64_S:
    case OPFC_I32_TRUNC_SAT_F64_U:
    case OPFC_I64_TRUNC_SAT_F32_S:
    case OPFC_I64_TRUNC_SAT_F32_U:
    case OPFC_I64_TRUNC_SAT_F64_S:
    case OPFC_I64_TRUNC_SAT_F64_U:
      return true;
    case OPFC_MEMORY_INIT:
    case OPFC_DATA_DROP:
      if (!d->m->has_datacount)
        return dec_fail(d, at, "data count section required (for %s)",
                        sub == OPFC_MEMORY_INIT ? "memory.init" : "data.drop");
      dec_u32(d);
      if (!dec_ok(d)) return false;
      return sub == OPFC_DATA_DROP || dec_zero_byte(d);
    case OPFC_MEMORY_COPY:
      return dec_zero_byte(d) && dec_zero_byte(d);
    case OPFC_MEMORY_FILL:
      return dec_zero_byte(d);
    case OPFC_TABLE_INIT:
    case OPFC_TABLE_COPY:
      dec_u32(d);
      dec_u32(d);
      return dec_ok(d);
    case OPFC_ELEM_DROP:
    case OPFC_TABLE_GROW:
    case OPFC_TABLE_SIZE:
    case OPFC_TABLE_FILL:
      dec_u32(d);
      return dec_ok(d);
    default:
      return dec_fail(d, at, "illegal opcode 0xfc %u", sub);
  }
}

/* ---- SIMD ---------------------------------------------------------------- */

static const cl_simd_info dec_simd_ops[OPFD_COUNT] = {
#define X(NAME, sub, text, SHAPE, T, N) \
  [sub] = {CL_SIMD_##SHAPE, CL_##T, N, text},
    CL_SIMD_OPS(X)
#undef X
};

const cl_simd_info *cl_simd_op(uint32_t sub) {
  if (sub >= OPFD_COUNT || dec_simd_ops[sub].shape == 0) return NULL;
  return &dec_simd_ops[sub];
}

/* The immediates of the 0xFD-prefixed (SIMD) instruction at `at`.  Lane
 * indices are single bytes; their range is a validation rule. */
static bool dec_instr_fd(dec *d, size_t at) {
  uint32_t sub = dec_u32(d);
  if (!dec_ok(d)) return false;
  const cl_simd_info *si = cl_simd_op(sub);
  if (!si) return dec_fail(d, at, "illegal opcode 0xfd %u", sub);
  switch (si->shape) {
    case CL_SIMD_LOAD:
    case CL_SIMD_STORE:
      return dec_memarg(d);
    case CL_SIMD_LOAD_LANE:
    case CL_SIMD_STORE_LANE:
      if (!dec_memarg(d)) return false;
      dec_u8(d);
      return dec_ok(d);
    case CL_SIMD_EXTRACT:
    case CL_SIMD_REPLACE:
      dec_u8(d);
      return dec_ok(d);
    case CL_SIMD_CONST:
    case CL_SIMD_SHUFFLE:
      if (!dec_need(d, 16)) return false;
      d->r.p += 16;
      return true;
    default:
      return true;
  }
}

/* Is op a single-byte opcode without immediates (numeric, parametric)? */
static bool dec_plain_op(uint8_t op) {
  return op == OP_UNREACHABLE || op == OP_NOP || op == OP_RETURN ||
         op == OP_DROP || op == OP_SELECT || op == OP_REF_IS_NULL ||
         (op >= 0x45 && op <= 0xC4);
}

/* Check the syntax of an instruction sequence that ends with the `end`
 * closing depth 0, reading from d->r.  Returns true with the reader just
 * after that `end`.  *count gets the number of instructions before the
 * final end.  Used for function bodies and constant expressions alike. */
static bool dec_instrs(dec *d, uint32_t *count) {
  size_t depth = 0;
  uint32_t n = 0;
  if (!dec_nest_push(d, 0, NEST_BLOCK)) return false;
  for (;;) {
    size_t at = dec_pos(d);
    if (d->r.p >= d->r.end) {
      /* a function body that stops before its final end: the spec reads
       * on into the next body and finds no end there */
      if (d->r.end < d->sec_end)
        return dec_fail(d, at, "END opcode expected (the body ends first)");
      return dec_eos(d);
    }
    uint8_t op = *d->r.p++;
    if (dec_plain_op(op)) {
      n++;
      continue;
    }
    switch (op) {
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF: {
        size_t bat = dec_pos(d);
        cl_blocktype bt = cl_read_blocktype(&d->r);
        if (!dec_ok(d)) return false;
        if (bt.kind == 1) {
          d->r.p = d->r.base + bat;
          uint8_t t;
          if (!dec_valtype(d, &t)) return false;
        }
        if (!dec_nest_push(d, ++depth, op == OP_IF ? NEST_IF : NEST_BLOCK))
          return false;
        break;
      }
      case OP_ELSE:
        if (depth == 0 || d->nest[depth] != NEST_IF)
          return dec_fail(d, at, "END opcode expected (else without if)");
        d->nest[depth] = NEST_BLOCK;
        break;
      case OP_END:
        if (depth == 0) {
          *count = n;
          return true;
        }
        depth--;
        break;
      case OP_BR:
      case OP_BR_IF:
      case OP_CALL:
      case OP_LOCAL_GET:
      case OP_LOCAL_SET:
      case OP_LOCAL_TEE:
      case OP_GLOBAL_GET:
      case OP_GLOBAL_SET:
      case OP_TABLE_GET:
      case OP_TABLE_SET:
      case OP_REF_FUNC:
        dec_u32(d);
        if (!dec_ok(d)) return false;
        break;
      case OP_BR_TABLE: {
        uint32_t k;
        if (!dec_len(d, &k)) return false;
        if (!dec_need(d, k)) return false;
        for (uint64_t i = 0; i <= k; i++) dec_u32(d); /* targets + default */
        if (!dec_ok(d)) return false;
        break;
      }
      case OP_CALL_INDIRECT:
        dec_u32(d); /* type index */
        dec_u32(d); /* table index */
        if (!dec_ok(d)) return false;
        break;
      case OP_SELECT_T: {
        uint32_t k;
        if (!dec_len(d, &k)) return false;
        if (!dec_need(d, k)) return false;
        for (uint32_t i = 0; i < k; i++) {
          uint8_t t;
          if (!dec_valtype(d, &t)) return false;
        }
        break;
      }
      case OP_MEMORY_SIZE:
      case OP_MEMORY_GROW:
        if (!dec_zero_byte(d)) return false;
        break;
      case OP_I32_CONST:
        dec_leb(d, 32, true);
        if (!dec_ok(d)) return false;
        break;
      case OP_I64_CONST:
        dec_leb(d, 64, true);
        if (!dec_ok(d)) return false;
        break;
      case OP_F32_CONST:
        cl_read_fixed32(&d->r);
        if (!dec_ok(d)) return false;
        break;
      case OP_F64_CONST:
        cl_read_fixed64(&d->r);
        if (!dec_ok(d)) return false;
        break;
      case OP_REF_NULL: {
        uint8_t t;
        if (!dec_reftype(d, &t)) return false;
        break;
      }
      case OP_PREFIX_FC:
        if (!dec_instr_fc(d, at)) return false;
        break;
      case OP_PREFIX_FD:
        if (!dec_instr_fd(d, at)) return false;
        break;
      default:
        if (op >= 0x28 && op <= 0x3E) {
          if (!dec_memarg(d)) return false;
          break;
        }
        return dec_fail(d, at, "illegal opcode 0x%02x", op);
    }
    n++;
  }
}

/* A constant expression: check its syntax and, when it is one constant
 * instruction, record it for the runtime. */
static bool dec_constexpr(dec *d, cl_constexpr *e) {
  const uint8_t *start = d->r.p;
  e->offset = (uint32_t)dec_pos(d);
  e->op = CL_CONST_OTHER;
  uint32_t n;
  if (!dec_instrs(d, &n)) return false;
  e->len = (uint32_t)(d->r.p - start);
  if (n != 1) return true;
  /* re-read the single instruction */
  cl_reader r;
  cl_reader_init(&r, d->r.base, start, d->r.p);
  uint8_t op = cl_read_u8(&r);
  switch (op) {
    case CL_CONST_I32:
      e->u.i32 = (uint32_t)cl_read_s32(&r);
      break;
    case CL_CONST_I64:
      e->u.i64 = (uint64_t)cl_read_s64(&r);
      break;
    case CL_CONST_F32:
      e->u.f32_bits = cl_read_fixed32(&r);
      break;
    case CL_CONST_F64:
      e->u.f64_bits = cl_read_fixed64(&r);
      break;
    case CL_CONST_REF_NULL:
      e->u.reftype = cl_read_u8(&r);
      break;
    case CL_CONST_REF_FUNC:
    case CL_CONST_GLOBAL_GET:
      e->u.index = cl_read_u32(&r);
      break;
    case CL_CONST_V128:
      if (cl_read_u32(&r) != OPFD_V128_CONST) return true;
      memcpy(e->u.v128, r.p, 16); /* the decoder checked the 16 bytes */
      break;
    default:
      return true; /* not constant: the validator says so */
  }
  e->op = op;
  return true;
}

/* ---- sections ---------------------------------------------------------- */

static bool dec_type_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_TYPES, "types", &n)) return false;
  if (!dec_alloc(d, (void **)&m->types, n, sizeof *m->types)) return false;
  m->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    cl_functype *ft = &m->types[i];
    size_t at = dec_pos(d);
    /* the form is a signed LEB128 (-0x20) */
    int64_t form = (int64_t)dec_leb(d, 7, true);
    if (!dec_ok(d)) return false;
    if (form != -0x20)
      return dec_fail(d, at, "malformed function type 0x%02x",
                      (unsigned)(form & 0x7F));
    for (int side = 0; side < 2; side++) {
      uint32_t k;
      if (!dec_count(d, side ? CL_MAX_RESULTS : CL_MAX_PARAMS,
                     side ? "results" : "parameters", &k))
        return false;
      uint8_t *ts;
      if (!dec_alloc(d, (void **)&ts, k, 1)) return false;
      if (side) {
        ft->results = ts;
        ft->nresults = k;
      } else {
        ft->params = ts;
        ft->nparams = k;
      }
      for (uint32_t j = 0; j < k; j++)
        if (!dec_valtype(d, &ts[j])) return false;
    }
  }
  return true;
}

static bool dec_import_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_IMPORTS, "imports", &n)) return false;
  if (!dec_alloc(d, (void **)&m->imports, n, sizeof *m->imports)) return false;
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    cl_import *im = &m->imports[i];
    if (!dec_name(d, &im->module) || !dec_name(d, &im->name)) return false;
    size_t at = dec_pos(d);
    uint8_t kind = dec_u8(d);
    if (!dec_ok(d)) return false;
    im->kind = kind;
    switch (kind) {
      case CL_EXT_FUNC:
        im->desc.typeidx = dec_u32(d);
        if (!dec_ok(d)) return false;
        m->nfunc_imports++;
        break;
      case CL_EXT_TABLE:
        if (!dec_tabletype(d, &im->desc.table)) return false;
        m->ntable_imports++;
        break;
      case CL_EXT_MEMORY:
        if (!dec_limits(d, &im->desc.mem.lim)) return false;
        m->nmem_imports++;
        break;
      case CL_EXT_GLOBAL:
        if (!dec_globaltype(d, &im->desc.global)) return false;
        m->nglobal_imports++;
        break;
      default:
        return dec_fail(d, at, "malformed import kind 0x%02x", kind);
    }
  }
  /* the index spaces start with the imports */
  m->nfuncs = m->nfunc_imports;
  m->ntables = m->ntable_imports;
  m->nmems = m->nmem_imports;
  m->nglobals = m->nglobal_imports;
  if (!dec_alloc(d, (void **)&m->func_types, m->nfuncs, sizeof(uint32_t)) ||
      !dec_alloc(d, (void **)&m->tables, m->ntables, sizeof *m->tables) ||
      !dec_alloc(d, (void **)&m->mems, m->nmems, sizeof *m->mems) ||
      !dec_alloc(d, (void **)&m->globals, m->nglobals, sizeof *m->globals))
    return false;
  uint32_t f = 0, t = 0, me = 0, g = 0;
  for (uint32_t i = 0; i < n; i++) {
    const cl_import *im = &m->imports[i];
    switch (im->kind) {
      case CL_EXT_FUNC:
        m->func_types[f++] = im->desc.typeidx;
        break;
      case CL_EXT_TABLE:
        m->tables[t++] = im->desc.table;
        break;
      case CL_EXT_MEMORY:
        m->mems[me++] = im->desc.mem;
        break;
      default:
        m->globals[g++].type = im->desc.global;
        break;
    }
  }
  return true;
}

static bool dec_func_section(dec *d, uint32_t *nfuncs_declared) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_FUNCS, "functions", &n)) return false;
  if ((uint64_t)n + m->nfunc_imports > CL_MAX_FUNCS)
    return dec_fail_st(d, dec_pos(d), CLAVE_ELIMIT,
                       "too many functions: %u imported + %u (limit %u)",
                       m->nfunc_imports, n, CL_MAX_FUNCS);
  if (!dec_grow(d, (void **)&m->func_types, m->nfuncs, n, sizeof(uint32_t)) ||
      !dec_alloc(d, (void **)&m->funcs, n, sizeof *m->funcs))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t t = dec_u32(d);
    if (!dec_ok(d)) return false;
    m->func_types[m->nfuncs + i] = t;
    m->funcs[i].typeidx = t;
  }
  m->nfuncs += n;
  *nfuncs_declared = n;
  return true;
}

static bool dec_table_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_TABLES, "tables", &n)) return false;
  if ((uint64_t)n + m->ntables > CL_MAX_TABLES)
    return dec_fail_st(d, dec_pos(d), CLAVE_ELIMIT,
                       "too many tables: %u imported + %u (limit %u)",
                       m->ntables, n, CL_MAX_TABLES);
  if (!dec_grow(d, (void **)&m->tables, m->ntables, n, sizeof *m->tables))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!dec_tabletype(d, &m->tables[m->ntables + i])) return false;
  m->ntables += n;
  return true;
}

static bool dec_memory_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  /* more than one memory is a validation error ("multiple memories") */
  if (!dec_count(d, 0xFFFFFFFFu, "memories", &n)) return false;
  if (!dec_grow(d, (void **)&m->mems, m->nmems, n, sizeof *m->mems))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!dec_limits(d, &m->mems[m->nmems + i].lim)) return false;
  m->nmems += n;
  return true;
}

static bool dec_global_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_GLOBALS, "globals", &n)) return false;
  if ((uint64_t)n + m->nglobals > CL_MAX_GLOBALS)
    return dec_fail_st(d, dec_pos(d), CLAVE_ELIMIT,
                       "too many globals: %u imported + %u (limit %u)",
                       m->nglobals, n, CL_MAX_GLOBALS);
  if (!dec_grow(d, (void **)&m->globals, m->nglobals, n, sizeof *m->globals))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    cl_global *g = &m->globals[m->nglobals + i];
    if (!dec_globaltype(d, &g->type) || !dec_constexpr(d, &g->init))
      return false;
  }
  m->nglobals += n;
  return true;
}

static bool dec_export_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_EXPORTS, "exports", &n)) return false;
  if (!dec_alloc(d, (void **)&m->exports, n, sizeof *m->exports)) return false;
  m->nexports = n;
  for (uint32_t i = 0; i < n; i++) {
    cl_export *ex = &m->exports[i];
    if (!dec_name(d, &ex->name)) return false;
    size_t at = dec_pos(d);
    ex->kind = dec_u8(d);
    ex->index = dec_u32(d);
    if (!dec_ok(d)) return false;
    if (ex->kind > CL_EXT_GLOBAL)
      return dec_fail(d, at, "malformed export kind 0x%02x", ex->kind);
  }
  return true;
}

static bool dec_start_section(dec *d) {
  d->m->start = dec_u32(d);
  d->m->has_start = true;
  return dec_ok(d);
}

/* The element kind of segment kinds 1-3: 0x00, meaning funcref. */
static bool dec_elemkind(dec *d) {
  size_t at = dec_pos(d);
  uint8_t k = dec_u8(d);
  if (!dec_ok(d)) return false;
  if (k != 0) return dec_fail(d, at, "malformed element kind 0x%02x", k);
  return true;
}

static bool dec_elem_section(dec *d) {
  cl_module *m = d->m;
  uint32_t n;
  if (!dec_count(d, CL_MAX_SEGMENTS, "element segments", &n)) return false;
  if (!dec_alloc(d, (void **)&m->elems, n, sizeof *m->elems)) return false;
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    cl_elem *e = &m->elems[i];
    size_t at = dec_pos(d);
    uint32_t kind = dec_u32(d);
    if (!dec_ok(d)) return false;
    if (kind > 7)
      return dec_fail(d, at, "malformed elements segment kind %u", kind);
    /* bit 0: passive or declarative; bit 1: explicit table index (active)
     * or declarative (otherwise); bit 2: expressions, not indices */
    bool exprs = kind & 4;
    e->reftype = CL_FUNCREF;
    if (kind & 1) {
      e->mode = (kind & 2) ? CL_SEG_DECLARATIVE : CL_SEG_PASSIVE;
    } else {
      e->mode = CL_SEG_ACTIVE;
      if (kind & 2) {
        e->table = dec_u32(d);
        if (!dec_ok(d)) return false;
      }
      if (!dec_constexpr(d, &e->offset)) return false;
    }
    if (kind & 3) { /* element type given */
      if (exprs) {
        if (!dec_reftype(d, &e->reftype)) return false;
      } else if (!dec_elemkind(d)) {
        return false;
      }
    }
    uint32_t k;
    if (!dec_count(d, 0xFFFFFFFFu, "elements", &k)) return false;
    if (!dec_alloc(d, (void **)&e->items, k, sizeof *e->items)) return false;
    e->count = k;
    for (uint32_t j = 0; j < k; j++) {
      cl_constexpr *it = &e->items[j];
      if (exprs) {
        if (!dec_constexpr(d, it)) return false;
      } else {
        it->offset = (uint32_t)dec_pos(d);
        it->op = CL_CONST_REF_FUNC;
        it->u.index = dec_u32(d);
        if (!dec_ok(d)) return false;
      }
    }
  }
  return true;
}

static bool dec_datacount_section(dec *d) {
  d->m->datacount = dec_u32(d);
  d->m->has_datacount = true;
  return dec_ok(d);
}

static bool dec_body(dec *d, cl_func *f, const uint8_t *body_end) {
  /* locals: vec of (count, type); their sum is bounded by the spec at
   * 2^32-1 (malformed) and by us at CL_MAX_LOCALS with the params */
  size_t at = dec_pos(d);
  uint32_t ngroups;
  if (!dec_len(d, &ngroups)) return false;
  const uint8_t *groups = d->r.p;
  uint64_t total = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    total += dec_u32(d);
    uint8_t t;
    if (!dec_ok(d) || !dec_valtype(d, &t)) return false;
  }
  if (total > 0xFFFFFFFFull)
    return dec_fail(d, at, "too many locals: %llu", (unsigned long long)total);
  const cl_functype *ft =
      f->typeidx < d->m->ntypes ? &d->m->types[f->typeidx] : NULL;
  uint64_t nparams = ft ? ft->nparams : 0;
  if (total + nparams > CL_MAX_LOCALS)
    return dec_fail_st(d, at, CLAVE_ELIMIT,
                       "too many locals: %llu with the parameters (limit %u)",
                       (unsigned long long)(total + nparams), CL_MAX_LOCALS);
  if (!dec_alloc(d, (void **)&f->local_types, (size_t)total, 1)) return false;
  f->nlocals = (uint32_t)total;
  /* second pass over the groups, already checked */
  cl_reader r;
  cl_reader_init(&r, d->r.base, groups, d->r.p);
  uint32_t k = 0;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t c = cl_read_u32(&r);
    uint8_t t = cl_read_u8(&r);
    if (c) memset(f->local_types + k, t, c);
    k += c;
  }
  f->code = d->r.p;
  f->code_offset = (uint32_t)dec_pos(d);
  uint32_t ninstrs;
  if (!dec_instrs(d, &ninstrs)) return false;
  if (d->r.p != body_end)
    return dec_fail(d, dec_pos(d),
                    "section size mismatch: %zu bytes after the function's end",
                    (size_t)(body_end - d->r.p));
  f->end = d->r.p;
  return true;
}

static bool dec_code_section(dec *d, uint32_t nfuncs_declared,
                             size_t section_size) {
  cl_module *m = d->m;
  size_t at = dec_pos(d);
  uint32_t n;
  if (!dec_count(d, CL_MAX_FUNCS, "function bodies", &n)) return false;
  if (n != nfuncs_declared)
    return dec_fail(d, at,
                    "function and code section have inconsistent lengths "
                    "(%u functions, %u bodies)",
                    nfuncs_declared, n);
  m->code_section_size = (uint32_t)section_size;
  const uint8_t *sec_end = d->r.end;
  for (uint32_t i = 0; i < n; i++) {
    cl_func *f = &m->funcs[i];
    d->func = (int64_t)m->nfunc_imports + i;
    f->body_offset = (uint32_t)dec_pos(d);
    uint32_t size;
    if (!dec_len(d, &size)) return false;
    if (size > CL_MAX_FUNC_SIZE)
      return dec_fail_st(d, f->body_offset, CLAVE_ELIMIT,
                         "function body of %u bytes (limit %u)", size,
                         CL_MAX_FUNC_SIZE);
    if (!dec_need(d, size)) return false;
    const uint8_t *body_end = d->r.p + size;
    d->r.end = body_end;
    if (!dec_body(d, f, body_end)) return false;
    d->r.end = sec_end;
  }
  d->func = -1;
  return true;
}

static bool dec_data_section(dec *d) {
  cl_module *m = d->m;
  size_t at = dec_pos(d);
  uint32_t n;
  if (!dec_count(d, CL_MAX_SEGMENTS, "data segments", &n)) return false;
  if (m->has_datacount && m->datacount != n)
    return dec_fail(d, at,
                    "data count and data section have inconsistent lengths "
                    "(data count %u, %u segments)",
                    m->datacount, n);
  if (!dec_alloc(d, (void **)&m->datas, n, sizeof *m->datas)) return false;
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++) {
    cl_data *s = &m->datas[i];
    size_t kat = dec_pos(d);
    uint32_t kind = dec_u32(d);
    if (!dec_ok(d)) return false;
    switch (kind) {
      case 0:
        s->mode = CL_SEG_ACTIVE;
        if (!dec_constexpr(d, &s->offset)) return false;
        break;
      case 1:
        s->mode = CL_SEG_PASSIVE;
        break;
      case 2:
        s->mode = CL_SEG_ACTIVE;
        s->mem = dec_u32(d);
        if (!dec_ok(d) || !dec_constexpr(d, &s->offset)) return false;
        break;
      default:
        return dec_fail(d, kat, "malformed data segment kind %u", kind);
    }
    uint32_t len;
    if (!dec_len(d, &len) || !dec_need(d, len)) return false;
    s->bytes = d->r.p;
    s->len = len;
    d->r.p += len;
  }
  return true;
}

static bool dec_custom_section(dec *d) {
  cl_module *m = d->m;
  cl_name name = {NULL, 0};
  d->eos_is_end = true;
  bool ok = dec_name(d, &name);
  d->eos_is_end = false;
  if (!ok) return false;
  if (!dec_grow(d, (void **)&m->customs, m->ncustoms, 1, sizeof *m->customs)) {
    free(name.str);
    return false;
  }
  cl_custom *c = &m->customs[m->ncustoms++];
  c->name = name;
  c->bytes = d->r.p;
  c->len = (uint32_t)(d->r.end - d->r.p);
  d->r.p = d->r.end;
  return true;
}

/* ---- the module -------------------------------------------------------- */

static bool dec_module(dec *d) {
  cl_module *m = d->m;
  const uint8_t *base = m->bytes;
  cl_reader_init(&d->r, base, base, d->mend);
  d->where = "module header";
  uint32_t magic = cl_read_fixed32(&d->r);
  if (!cl_reader_ok(&d->r))
    return dec_fail(
        d, 0, "unexpected end (%zu bytes, not a WebAssembly module)", m->len);
  if (memcmp(base, "\0asm", 4) != 0)
    return dec_fail(d, 0, "magic header not detected (0x%08x)", magic);
  uint32_t version = cl_read_fixed32(&d->r);
  if (!cl_reader_ok(&d->r))
    return dec_fail(d, 4, "unexpected end (no binary version)");
  if (version != 1) return dec_fail(d, 4, "unknown binary version %u", version);

  int last_rank = 0;
  uint32_t nfuncs_declared = 0;
  bool have_code = false;
  while (d->r.p < d->mend) {
    d->where = "module";
    d->r.end = d->mend;
    size_t id_at = dec_pos(d);
    uint8_t id = dec_u8(d);
    if (id > SEC_DATACOUNT)
      return dec_fail(d, id_at, "malformed section id %u", id);
    d->where = dec_section_names[id];
    uint32_t size;
    if (id == SEC_CUSTOM) d->eos_is_end = true;
    bool ok = dec_len(d, &size) && dec_need(d, size);
    d->eos_is_end = false;
    if (!ok) return false;
    if (id != SEC_CUSTOM) {
      int rank = dec_section_rank[id];
      if (rank <= last_rank)
        return dec_fail(d, id_at,
                        "unexpected content after last section (%s "
                        "repeated or out of order)",
                        dec_section_names[id]);
      last_rank = rank;
    }
    const uint8_t *sec_start = d->r.p;
    const uint8_t *sec_end = sec_start + size;
    d->r.end = sec_end;
    d->sec_end = sec_end;
    switch (id) {
      case SEC_CUSTOM:
        ok = dec_custom_section(d);
        break;
      case SEC_TYPE:
        ok = dec_type_section(d);
        break;
      case SEC_IMPORT:
        ok = dec_import_section(d);
        break;
      case SEC_FUNC:
        ok = dec_func_section(d, &nfuncs_declared);
        break;
      case SEC_TABLE:
        ok = dec_table_section(d);
        break;
      case SEC_MEMORY:
        ok = dec_memory_section(d);
        break;
      case SEC_GLOBAL:
        ok = dec_global_section(d);
        break;
      case SEC_EXPORT:
        ok = dec_export_section(d);
        break;
      case SEC_START:
        ok = dec_start_section(d);
        break;
      case SEC_ELEM:
        ok = dec_elem_section(d);
        break;
      case SEC_DATACOUNT:
        ok = dec_datacount_section(d);
        break;
      case SEC_CODE:
        ok = dec_code_section(d, nfuncs_declared, size);
        have_code = true;
        break;
      case SEC_DATA:
        ok = dec_data_section(d);
        break;
    }
    if (!ok) return false;
    if (d->r.p != sec_end)
      return dec_fail(d, dec_pos(d),
                      "section size mismatch (%zu of %u bytes used)",
                      (size_t)(d->r.p - sec_start), size);
  }
  d->where = "module";
  d->r.end = d->mend;
  if (!have_code && nfuncs_declared != 0)
    return dec_fail(d, m->len,
                    "function and code section have inconsistent lengths "
                    "(%u functions, no code section)",
                    nfuncs_declared);
  if (m->has_datacount && m->ndatas != m->datacount)
    return dec_fail(d, m->len,
                    "data count and data section have inconsistent lengths "
                    "(data count %u, %u segments)",
                    m->datacount, m->ndatas);
  return true;
}

clave_status cl_decode(const uint8_t *bytes, size_t len, cl_module **out,
                       clave_error *err) {
  *out = NULL;
  if (!bytes && len) {
    cl_error_set(err, CLAVE_EARG, "cl_decode: no bytes");
    return CLAVE_EARG;
  }
  if (len > 0xFFFFFFFFu) {
    cl_error_set(err, CLAVE_ELIMIT, "module of %zu bytes (limit 4 GiB)", len);
    return CLAVE_ELIMIT;
  }
  cl_module *m = calloc(1, sizeof *m);
  if (!m) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory");
    return CLAVE_ENOMEM;
  }
  m->bytes = malloc(len ? len : 1);
  if (!m->bytes) {
    free(m);
    cl_error_set(err, CLAVE_ENOMEM, "out of memory");
    return CLAVE_ENOMEM;
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;

  dec d;
  memset(&d, 0, sizeof d);
  d.m = m;
  d.mend = m->bytes + len;
  d.func = -1;
  d.err = err;
  d.status = CLAVE_OK;
  bool ok = dec_module(&d);
  free(d.nest);
  if (!ok) {
    cl_module_free(m);
    return d.status;
  }
  *out = m;
  return CLAVE_OK;
}

void cl_module_free(cl_module *m) {
  if (!m) return;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    free(m->types[i].params);
    free(m->types[i].results);
  }
  free(m->types);
  for (uint32_t i = 0; i < m->nimports; i++) {
    free(m->imports[i].module.str);
    free(m->imports[i].name.str);
  }
  free(m->imports);
  free(m->func_types);
  if (m->funcs)
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
      free(m->funcs[i].local_types);
  free(m->funcs);
  free(m->tables);
  free(m->mems);
  free(m->globals);
  for (uint32_t i = 0; i < m->nexports; i++) free(m->exports[i].name.str);
  free(m->exports);
  for (uint32_t i = 0; i < m->nelems; i++) free(m->elems[i].items);
  free(m->elems);
  free(m->datas);
  for (uint32_t i = 0; i < m->ncustoms; i++) free(m->customs[i].name.str);
  free(m->customs);
  free(m->declared_refs);
  free(m->bytes);
  free(m);
}
