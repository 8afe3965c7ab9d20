/*
 * value.c - spec-test values: wast2json text to clave_value, NaN classes,
 * and readable forms for failure messages.
 *
 * wast2json writes every number as the decimal form of its unsigned bit
 * pattern ("4294967295" is i32 -1, f32 values are their IEEE bits), so no
 * float is ever parsed from decimal and NaN payloads survive exactly.
 * Expected results add two NaN classes, compared by class rather than by
 * bits, because the spec lets an engine pick any NaN of the class.  A
 * v128 is a JSON array of lanes in a lane shape ("i8" ... "f64"); its
 * float lanes may each be a NaN class.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

#define ST_F32_EXP 0x7f800000u
#define ST_F32_MANT 0x007fffffu
#define ST_F32_QUIET 0x00400000u
#define ST_F64_EXP UINT64_C(0x7ff0000000000000)
#define ST_F64_MANT UINT64_C(0x000fffffffffffff)
#define ST_F64_QUIET UINT64_C(0x0008000000000000)

static const struct {
  const char *name;
  clave_valtype type;
} st_valtypes[] = {
    {"i32", CLAVE_I32},
    {"i64", CLAVE_I64},
    {"f32", CLAVE_F32},
    {"f64", CLAVE_F64},
    {"v128", CLAVE_V128},
    {"funcref", CLAVE_FUNCREF},
    {"externref", CLAVE_EXTERNREF},
};

bool st_valtype_parse(const char *name, clave_valtype *out) {
  if (!name) return false;
  for (size_t i = 0; i < sizeof st_valtypes / sizeof st_valtypes[0]; i++) {
    if (strcmp(name, st_valtypes[i].name) == 0) {
      *out = st_valtypes[i].type;
      return true;
    }
  }
  return false;
}

const char *st_valtype_name(clave_valtype type) {
  for (size_t i = 0; i < sizeof st_valtypes / sizeof st_valtypes[0]; i++) {
    if (st_valtypes[i].type == type) return st_valtypes[i].name;
  }
  return "?";
}

void *st_extern_ref(uint64_t n) {
  return (void *)(uintptr_t)(n + 1);
}

static void st_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void st_why(char *why, size_t whylen, const char *fmt, ...) {
  if (!why || whylen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, whylen, fmt, ap);
  va_end(ap);
}

/* A decimal unsigned integer no larger than max, nothing else around it. */
static bool st_parse_unsigned(const char *text, uint64_t max, uint64_t *out) {
  if (!text || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v > max) return false;
  *out = v;
  return true;
}

st_parse_result st_value_from_text(const char *type, const char *text,
                                   clave_value *out, char *why, size_t whylen) {
  clave_valtype t;
  if (!st_valtype_parse(type, &t)) {
    st_why(why, whylen, "unknown value type \"%s\"", type ? type : "(none)");
    return ST_PARSE_BAD;
  }
  memset(out, 0, sizeof *out);
  out->type = t;
  if (t == CLAVE_V128) {
    st_why(why, whylen, "v128 value without lanes (lane_type and value)");
    return ST_PARSE_BAD;
  }
  if (!text) {
    st_why(why, whylen, "%s value has no \"value\"", type);
    return ST_PARSE_BAD;
  }
  uint64_t v;
  switch (t) {
    case CLAVE_I32:
    case CLAVE_F32:
      if (!st_parse_unsigned(text, UINT32_MAX, &v)) break;
      out->of.f32_bits = (uint32_t)v;
      return ST_PARSE_OK;
    case CLAVE_I64:
    case CLAVE_F64:
      if (!st_parse_unsigned(text, UINT64_MAX, &v)) break;
      out->of.f64_bits = v;
      return ST_PARSE_OK;
    case CLAVE_EXTERNREF:
      if (strcmp(text, "null") == 0) {
        out->of.externref = NULL;
        return ST_PARSE_OK;
      }
      if (!st_parse_unsigned(text, UINT32_MAX, &v)) break;
      out->of.externref = st_extern_ref(v);
      return ST_PARSE_OK;
    case CLAVE_FUNCREF:
      if (strcmp(text, "null") == 0) {
        out->of.funcref = NULL;
        return ST_PARSE_OK;
      }
      /* A script cannot name a function as an argument; only null. */
      st_why(why, whylen, "funcref argument \"%s\": only null is supported",
             text);
      return ST_PARSE_BAD;
    case CLAVE_V128:
      break;
  }
  st_why(why, whylen, "bad %s value \"%s\"", type, text);
  return ST_PARSE_BAD;
}

st_parse_result st_expected_from_text(const char *type, const char *text,
                                      st_expected *out, char *why,
                                      size_t whylen) {
  memset(out, 0, sizeof *out);
  out->match = ST_MATCH_EXACT;
  clave_valtype t;
  if (!st_valtype_parse(type, &t)) {
    st_why(why, whylen, "unknown value type \"%s\"", type ? type : "(none)");
    return ST_PARSE_BAD;
  }
  out->value.type = t;
  if (t == CLAVE_F32 || t == CLAVE_F64) {
    if (text && strcmp(text, "nan:canonical") == 0) {
      out->match = ST_MATCH_NAN_CANONICAL;
      return ST_PARSE_OK;
    }
    if (text && strcmp(text, "nan:arithmetic") == 0) {
      out->match = ST_MATCH_NAN_ARITHMETIC;
      return ST_PARSE_OK;
    }
  }
  if (t == CLAVE_FUNCREF || t == CLAVE_EXTERNREF) {
    /* `(ref.func)` / `(ref.extern)` without an index: any non-null one;
     * a funcref with an index is also any non-null one, since the script
     * cannot tell which function object the engine hands out. */
    if (!text || (t == CLAVE_FUNCREF && strcmp(text, "null") != 0)) {
      uint64_t v;
      if (text && !st_parse_unsigned(text, UINT32_MAX, &v)) {
        st_why(why, whylen, "bad %s value \"%s\"", type, text);
        return ST_PARSE_BAD;
      }
      out->match = ST_MATCH_NONNULL;
      return ST_PARSE_OK;
    }
  }
  return st_value_from_text(type, text, &out->value, why, whylen);
}

static const char *st_json_text(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A v128 from {"lane_type": "i8"|"i16"|"i32"|"i64"|"f32"|"f64", "value":
 * [lanes]}: each lane the unsigned decimal of its bits, little endian
 * lane order.  With exp, a float lane may also be a NaN class, recorded
 * in exp->lanes (its bits in out stay zero). */
static st_parse_result st_v128_from_json(const json_t *obj, clave_value *out,
                                         st_expected *exp, char *why,
                                         size_t whylen) {
  memset(out, 0, sizeof *out);
  out->type = CLAVE_V128;
  const char *lt = st_json_text(obj, "lane_type");
  const json_t *lanes = json_object_get(obj, "value");
  unsigned bits = 0;
  bool fl = false;
  if (lt) {
    if (lt[0] == 'f') fl = true;
    if (lt[0] == 'i' || lt[0] == 'f') bits = (unsigned)atoi(lt + 1);
  }
  if (!lt || (bits != 8 && bits != 16 && bits != 32 && bits != 64) ||
      (fl && bits < 32) || strlen(lt) != (bits < 10 ? 2u : 3u)) {
    st_why(why, whylen, "v128 value with lane type \"%s\"", lt ? lt : "(none)");
    return ST_PARSE_BAD;
  }
  size_t n = 128 / bits;
  if (!json_is_array(lanes) || json_array_size(lanes) != n) {
    st_why(why, whylen, "v128 value of %s lanes needs %zu of them", lt, n);
    return ST_PARSE_BAD;
  }
  if (exp) {
    exp->lane_bits = (uint8_t)bits;
    exp->float_lanes = fl;
  }
  uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  for (size_t i = 0; i < n; i++) {
    const json_t *l = json_array_get(lanes, i);
    const char *text = json_is_string(l) ? json_string_value(l) : NULL;
    if (exp) exp->lanes[i] = ST_MATCH_EXACT;
    if (exp && fl && text && strcmp(text, "nan:canonical") == 0) {
      exp->lanes[i] = ST_MATCH_NAN_CANONICAL;
      continue;
    }
    if (exp && fl && text && strcmp(text, "nan:arithmetic") == 0) {
      exp->lanes[i] = ST_MATCH_NAN_ARITHMETIC;
      continue;
    }
    uint64_t v;
    if (!st_parse_unsigned(text, max, &v)) {
      st_why(why, whylen, "bad %s lane %zu \"%s\" of a v128 value", lt, i,
             text ? text : "(not a string)");
      return ST_PARSE_BAD;
    }
    memcpy(out->of.v128 + i * (bits / 8), &v, bits / 8); /* little endian */
  }
  return ST_PARSE_OK;
}

st_parse_result st_value_from_json(const json_t *obj, clave_value *out,
                                   char *why, size_t whylen) {
  if (!json_is_object(obj)) {
    st_why(why, whylen, "value is not a JSON object");
    return ST_PARSE_BAD;
  }
  const char *type = st_json_text(obj, "type");
  if (type && strcmp(type, "v128") == 0)
    return st_v128_from_json(obj, out, NULL, why, whylen);
  return st_value_from_text(type, st_json_text(obj, "value"), out, why, whylen);
}

st_parse_result st_expected_from_json(const json_t *obj, st_expected *out,
                                      char *why, size_t whylen) {
  if (!json_is_object(obj)) {
    st_why(why, whylen, "expected value is not a JSON object");
    return ST_PARSE_BAD;
  }
  const char *type = st_json_text(obj, "type");
  if (type && strcmp(type, "v128") == 0) {
    memset(out, 0, sizeof *out);
    out->match = ST_MATCH_EXACT;
    return st_v128_from_json(obj, &out->value, out, why, whylen);
  }
  return st_expected_from_text(type, st_json_text(obj, "value"), out, why,
                               whylen);
}

bool st_f32_is_canonical_nan(uint32_t bits) {
  return (bits & ~0x80000000u) == (ST_F32_EXP | ST_F32_QUIET);
}

bool st_f32_is_arithmetic_nan(uint32_t bits) {
  return (bits & ST_F32_EXP) == ST_F32_EXP && (bits & ST_F32_QUIET) != 0;
}

bool st_f64_is_canonical_nan(uint64_t bits) {
  return (bits & ~(UINT64_C(1) << 63)) == (ST_F64_EXP | ST_F64_QUIET);
}

bool st_f64_is_arithmetic_nan(uint64_t bits) {
  return (bits & ST_F64_EXP) == ST_F64_EXP && (bits & ST_F64_QUIET) != 0;
}

/* A v128 lane by lane: exact bits, or the lane's NaN class. */
static bool st_v128_matches(const st_expected *e, const clave_value *got) {
  if (e->lane_bits == 0) return memcmp(got->of.v128, e->value.of.v128, 16) == 0;
  size_t bytes = e->lane_bits / 8;
  for (size_t i = 0; i < 16 / bytes; i++) {
    uint64_t g = 0, w = 0;
    memcpy(&g, got->of.v128 + i * bytes, bytes);
    memcpy(&w, e->value.of.v128 + i * bytes, bytes);
    bool ok;
    switch (e->lanes[i]) {
      case ST_MATCH_NAN_CANONICAL:
        ok = bytes == 4 ? st_f32_is_canonical_nan((uint32_t)g)
                        : st_f64_is_canonical_nan(g);
        break;
      case ST_MATCH_NAN_ARITHMETIC:
        ok = bytes == 4 ? st_f32_is_arithmetic_nan((uint32_t)g)
                        : st_f64_is_arithmetic_nan(g);
        break;
      default:
        ok = g == w;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool st_value_matches(const st_expected *e, const clave_value *got) {
  if (got->type != e->value.type) return false;
  switch (e->match) {
    case ST_MATCH_NAN_CANONICAL:
      if (got->type == CLAVE_F32)
        return st_f32_is_canonical_nan(got->of.f32_bits);
      if (got->type == CLAVE_F64)
        return st_f64_is_canonical_nan(got->of.f64_bits);
      return false;
    case ST_MATCH_NAN_ARITHMETIC:
      if (got->type == CLAVE_F32)
        return st_f32_is_arithmetic_nan(got->of.f32_bits);
      if (got->type == CLAVE_F64)
        return st_f64_is_arithmetic_nan(got->of.f64_bits);
      return false;
    case ST_MATCH_NONNULL:
      if (got->type == CLAVE_FUNCREF) return got->of.funcref != NULL;
      if (got->type == CLAVE_EXTERNREF) return got->of.externref != NULL;
      return false;
    case ST_MATCH_EXACT:
      break;
  }
  switch (got->type) {
    case CLAVE_I32:
    case CLAVE_F32:
      return got->of.f32_bits == e->value.of.f32_bits;
    case CLAVE_I64:
    case CLAVE_F64:
      return got->of.f64_bits == e->value.of.f64_bits;
    case CLAVE_FUNCREF:
      return got->of.funcref == e->value.of.funcref;
    case CLAVE_EXTERNREF:
      return got->of.externref == e->value.of.externref;
    case CLAVE_V128:
      return st_v128_matches(e, got);
  }
  return false;
}

void st_value_format(const clave_value *v, char *buf, size_t len) {
  switch (v->type) {
    case CLAVE_I32:
      snprintf(buf, len, "i32:%" PRId32, v->of.i32);
      return;
    case CLAVE_I64:
      snprintf(buf, len, "i64:%" PRId64, v->of.i64);
      return;
    case CLAVE_F32: {
      float f;
      memcpy(&f, &v->of.f32_bits, sizeof f);
      snprintf(buf, len, "f32:%.9g (0x%08" PRIx32 ")", (double)f,
               v->of.f32_bits);
      return;
    }
    case CLAVE_F64: {
      double d;
      memcpy(&d, &v->of.f64_bits, sizeof d);
      snprintf(buf, len, "f64:%.17g (0x%016" PRIx64 ")", d, v->of.f64_bits);
      return;
    }
    case CLAVE_V128: {
      /* no lane shape travels with a result: i32 lanes in hex */
      uint32_t w[4];
      memcpy(w, v->of.v128, 16);
      snprintf(buf, len,
               "v128:i32x4:0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32
               " 0x%08" PRIx32,
               w[0], w[1], w[2], w[3]);
      return;
    }
    case CLAVE_FUNCREF:
      /* A function's address says nothing to the reader and differs from
       * run to run. */
      snprintf(buf, len, "funcref:%s", v->of.funcref ? "non-null" : "null");
      return;
    case CLAVE_EXTERNREF: {
      uintptr_t p = (uintptr_t)v->of.externref;
      if (p == 0)
        snprintf(buf, len, "externref:null");
      else if (p <= (uintptr_t)UINT32_MAX + 1)
        snprintf(buf, len, "externref:%" PRIuPTR, p - 1);
      else
        snprintf(buf, len, "externref:%p", v->of.externref);
      return;
    }
  }
  snprintf(buf, len, "(type 0x%02x)", (unsigned)v->type);
}

/* "v128:f32x4:0x3f800000 nan:canonical ...", "v128:i8x16:0 255 ...": the
 * lanes in the script's shape */
static void st_v128_expected_format(const st_expected *e, char *buf,
                                    size_t len) {
  size_t bytes = e->lane_bits / 8, n = 16 / bytes;
  int k = snprintf(buf, len, "v128:%c%ux%zu:", e->float_lanes ? 'f' : 'i',
                   (unsigned)e->lane_bits, n);
  for (size_t i = 0; i < n && k >= 0 && (size_t)k < len; i++) {
    const char *sep = i ? " " : "";
    if (e->lanes[i] == ST_MATCH_NAN_CANONICAL) {
      k += snprintf(buf + k, len - (size_t)k, "%snan:canonical", sep);
    } else if (e->lanes[i] == ST_MATCH_NAN_ARITHMETIC) {
      k += snprintf(buf + k, len - (size_t)k, "%snan:arithmetic", sep);
    } else {
      uint64_t w = 0;
      memcpy(&w, e->value.of.v128 + i * bytes, bytes);
      if (e->float_lanes) /* bits in hex, integers as wast2json writes */
        k += snprintf(buf + k, len - (size_t)k, "%s0x%0*" PRIx64, sep,
                      (int)(bytes * 2), w);
      else
        k += snprintf(buf + k, len - (size_t)k, "%s%" PRIu64, sep, w);
    }
  }
}

void st_expected_format(const st_expected *e, char *buf, size_t len) {
  const char *t = st_valtype_name(e->value.type);
  switch (e->match) {
    case ST_MATCH_NAN_CANONICAL:
      snprintf(buf, len, "%s:nan:canonical", t);
      return;
    case ST_MATCH_NAN_ARITHMETIC:
      snprintf(buf, len, "%s:nan:arithmetic", t);
      return;
    case ST_MATCH_NONNULL:
      snprintf(buf, len, "%s:non-null", t);
      return;
    case ST_MATCH_EXACT:
      if (e->value.type == CLAVE_V128 && e->lane_bits) {
        st_v128_expected_format(e, buf, len);
        return;
      }
      st_value_format(&e->value, buf, len);
      return;
  }
}
