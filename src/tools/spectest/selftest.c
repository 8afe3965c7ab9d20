/*
 * selftest.c - `clave-spectest --self-test`: the runner checks itself.
 *
 * A spec runner that parses a value wrongly or compares NaNs loosely makes
 * every engine look right (or wrong), so its own pieces are tested without
 * any engine: decimal bit patterns, range errors, NaN classes, signed
 * zeros, reference values, the failure text, and the skip and ratchet
 * lists.  Each check prints what it expected when it fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spectest.h"

typedef struct st_check {
  int run;
  int failed;
} st_check;

static void st_expect(st_check *t, bool ok, const char *what, int line) {
  t->run++;
  if (ok) return;
  t->failed++;
  printf("self-test: selftest.c:%d: %s\n", line, what);
}
#define EXPECT(t, cond) st_expect((t), (cond), #cond, __LINE__)

static bool st_parses(const char *type, const char *text, clave_value *v) {
  char why[200];
  return st_value_from_text(type, text, v, why, sizeof why) == ST_PARSE_OK;
}

static st_parse_result st_parse_why(const char *type, const char *text,
                                    char *why, size_t len) {
  clave_value v;
  why[0] = '\0';
  return st_value_from_text(type, text, &v, why, len);
}

static bool st_exp_matches(const char *type, const char *text,
                           clave_value got) {
  st_expected e;
  char why[200];
  if (st_expected_from_text(type, text, &e, why, sizeof why) != ST_PARSE_OK)
    return false;
  return st_value_matches(&e, &got);
}

static clave_value st_f32v(uint32_t bits) {
  clave_value v = {.type = CLAVE_F32};
  v.of.f32_bits = bits;
  return v;
}

static clave_value st_f64v(uint64_t bits) {
  clave_value v = {.type = CLAVE_F64};
  v.of.f64_bits = bits;
  return v;
}

static clave_value st_refv(clave_valtype type, void *p) {
  clave_value v = {.type = type};
  if (type == CLAVE_FUNCREF)
    v.of.funcref = p;
  else
    v.of.externref = p;
  return v;
}

/* v128 values: lanes of each shape as little-endian bits, per-lane NaN
 * classes in expected float lanes, and malformed lanes refused. */
static bool st_v128_json(const char *text, clave_value *v, st_expected *e) {
  json_error_t jerr;
  char why[200];
  json_t *j = json_loads(text, 0, &jerr);
  bool ok = j && st_value_from_json(j, v, why, sizeof why) == ST_PARSE_OK &&
            st_expected_from_json(j, e, why, sizeof why) == ST_PARSE_OK;
  json_decref(j);
  return ok;
}

static bool st_v128_refused(const char *text, const char *want_why) {
  json_error_t jerr;
  char why[200] = "";
  clave_value v;
  json_t *j = json_loads(text, 0, &jerr);
  bool ok = j && st_value_from_json(j, &v, why, sizeof why) == ST_PARSE_BAD &&
            strcmp(why, want_why) == 0;
  json_decref(j);
  return ok;
}

static void st_v128_checks(st_check *t) {
  clave_value v, got;
  st_expected e;
  EXPECT(t, st_v128_json("{\"type\": \"v128\", \"lane_type\": \"i16\", "
                         "\"value\": [\"1\", \"65535\", \"0\", \"0\", "
                         "\"0\", \"0\", \"0\", \"258\"]}",
                         &v, &e) &&
                v.type == CLAVE_V128 && v.of.v128[0] == 1 &&
                v.of.v128[1] == 0 && v.of.v128[2] == 0xFF &&
                v.of.v128[3] == 0xFF && v.of.v128[14] == 2 &&
                v.of.v128[15] == 1 && st_value_matches(&e, &v));
  got = v;
  got.of.v128[15] = 0;
  EXPECT(t, !st_value_matches(&e, &got));
  EXPECT(t, st_v128_json("{\"type\": \"v128\", \"lane_type\": \"i64\", "
                         "\"value\": [\"18446744073709551615\", \"2\"]}",
                         &v, &e) &&
                v.of.v128[7] == 0xFF && v.of.v128[8] == 2);
  /* f32 lanes: a canonical NaN class in lane 1, an arithmetic one in 3 */
  json_error_t jerr;
  char why[200];
  json_t *j = json_loads(
      "{\"type\": \"v128\", \"lane_type\": \"f32\", \"value\": "
      "[\"1065353216\", \"nan:canonical\", \"0\", \"nan:arithmetic\"]}",
      0, &jerr);
  EXPECT(t, j && st_expected_from_json(j, &e, why, sizeof why) == ST_PARSE_OK);
  EXPECT(t, j && st_value_from_json(j, &v, why, sizeof why) == ST_PARSE_BAD);
  json_decref(j);
  uint32_t lanes[4] = {0x3f800000u, 0xffc00000u, 0, 0x7fe00000u};
  got.type = CLAVE_V128;
  memcpy(got.of.v128, lanes, 16);
  EXPECT(t, st_value_matches(&e, &got));
  lanes[1] = 0x7fc00001u; /* arithmetic, not canonical */
  memcpy(got.of.v128, lanes, 16);
  EXPECT(t, !st_value_matches(&e, &got));
  lanes[1] = 0x7fc00000u;
  lanes[3] = 0x7f800001u; /* signalling: not arithmetic */
  memcpy(got.of.v128, lanes, 16);
  EXPECT(t, !st_value_matches(&e, &got));
  char buf[200];
  st_expected_format(&e, buf, sizeof buf);
  EXPECT(t, strcmp(buf,
                   "v128:f32x4:0x3f800000 nan:canonical 0x00000000 "
                   "nan:arithmetic") == 0);
  lanes[3] = 0x7fc00000u;
  memcpy(got.of.v128, lanes, 16);
  st_value_format(&got, buf, sizeof buf);
  EXPECT(t, strcmp(buf,
                   "v128:i32x4:0x3f800000 0x7fc00000 0x00000000 "
                   "0x7fc00000") == 0);
  /* bad shapes and lanes */
  EXPECT(t, st_v128_refused("{\"type\": \"v128\", \"lane_type\": \"i32\", "
                            "\"value\": [\"0\", \"0\", \"0\"]}",
                            "v128 value of i32 lanes needs 4 of them"));
  EXPECT(t, st_v128_refused("{\"type\": \"v128\", \"lane_type\": \"i8\", "
                            "\"value\": [\"256\", \"0\", \"0\", \"0\", "
                            "\"0\", \"0\", \"0\", \"0\", \"0\", \"0\", "
                            "\"0\", \"0\", \"0\", \"0\", \"0\", \"0\"]}",
                            "bad i8 lane 0 \"256\" of a v128 value"));
  EXPECT(t, st_v128_refused("{\"type\": \"v128\", \"lane_type\": \"f16\", "
                            "\"value\": []}",
                            "v128 value with lane type \"f16\""));
  EXPECT(t, st_v128_refused("{\"type\": \"v128\"}",
                            "v128 value with lane type \"(none)\""));
}

static void st_test_parse(st_check *t) {
  clave_value v;
  char why[200];
  EXPECT(t, st_parses("i32", "4294967295", &v) && v.type == CLAVE_I32 &&
                v.of.i32 == -1);
  EXPECT(t, st_parses("i32", "0", &v) && v.of.i32 == 0);
  EXPECT(t, st_parses("i64", "18446744073709551615", &v) &&
                v.type == CLAVE_I64 && v.of.i64 == -1);
  EXPECT(t,
         st_parses("i64", "9223372036854775808", &v) && v.of.i64 == INT64_MIN);
  EXPECT(t, st_parses("f32", "2143289344", &v) && v.type == CLAVE_F32 &&
                v.of.f32_bits == 0x7fc00000u);
  EXPECT(t, st_parses("f32", "2147483648", &v) && v.of.f32_bits == 0x80000000u);
  EXPECT(t, st_parses("f64", "9221120237041090560", &v) &&
                v.type == CLAVE_F64 &&
                v.of.f64_bits == UINT64_C(0x7ff8000000000000));
  EXPECT(t, st_parses("externref", "null", &v) && v.type == CLAVE_EXTERNREF &&
                v.of.externref == NULL);
  EXPECT(t, st_parses("externref", "0", &v) && v.of.externref != NULL &&
                v.of.externref == st_extern_ref(0));
  EXPECT(t, st_extern_ref(0) != st_extern_ref(1));
  EXPECT(t, st_parses("funcref", "null", &v) && v.type == CLAVE_FUNCREF &&
                v.of.funcref == NULL);

  /* Out of range, signs, junk and missing values are errors with a
   * message naming the value. */
  EXPECT(t,
         st_parse_why("i32", "4294967296", why, sizeof why) == ST_PARSE_BAD &&
             strcmp(why, "bad i32 value \"4294967296\"") == 0);
  EXPECT(t, st_parse_why("i64", "18446744073709551616", why, sizeof why) ==
                ST_PARSE_BAD);
  EXPECT(t, st_parse_why("i32", "-1", why, sizeof why) == ST_PARSE_BAD);
  EXPECT(t, st_parse_why("i32", "+1", why, sizeof why) == ST_PARSE_BAD);
  EXPECT(t, st_parse_why("i32", " 1", why, sizeof why) == ST_PARSE_BAD);
  EXPECT(t, st_parse_why("i32", "12x", why, sizeof why) == ST_PARSE_BAD);
  EXPECT(t, st_parse_why("i32", "", why, sizeof why) == ST_PARSE_BAD);
  EXPECT(t, st_parse_why("f32", "nan:canonical", why, sizeof why) ==
                ST_PARSE_BAD); /* a NaN class is no argument */
  EXPECT(t, st_parse_why("i32", NULL, why, sizeof why) == ST_PARSE_BAD &&
                strcmp(why, "i32 value has no \"value\"") == 0);
  EXPECT(t, st_parse_why("i31", "1", why, sizeof why) == ST_PARSE_BAD &&
                strcmp(why, "unknown value type \"i31\"") == 0);
  EXPECT(t, st_parse_why("funcref", "3", why, sizeof why) == ST_PARSE_BAD &&
                strcmp(why,
                       "funcref argument \"3\": only null is "
                       "supported") == 0);
  EXPECT(t, st_parse_why("v128", "0", why, sizeof why) == ST_PARSE_BAD &&
                strcmp(why, "v128 value without lanes (lane_type and value)") ==
                    0);

  /* The same through JSON, as the scripts carry them. */
  json_error_t jerr;
  json_t *j =
      json_loads("{\"type\": \"i32\", \"value\": \"4294967294\"}", 0, &jerr);
  EXPECT(t, j && st_value_from_json(j, &v, why, sizeof why) == ST_PARSE_OK &&
                v.of.i32 == -2);
  json_decref(j);
  j = json_loads("[1]", 0, &jerr);
  EXPECT(t, j && st_value_from_json(j, &v, why, sizeof why) == ST_PARSE_BAD);
  json_decref(j);
  j = json_loads(
      "{\"type\": \"v128\", \"lane_type\": \"i32\", \"value\": "
      "[\"0\", \"0\", \"0\", \"0\"]}",
      0, &jerr);
  st_expected e;
  EXPECT(t, j && st_expected_from_json(j, &e, why, sizeof why) == ST_PARSE_OK);
  json_decref(j);
  st_v128_checks(t);
}

static void st_test_nan(st_check *t) {
  /* f32: canonical is exactly the quiet bit, either sign. */
  EXPECT(t, st_exp_matches("f32", "nan:canonical", st_f32v(0x7fc00000u)));
  EXPECT(t, st_exp_matches("f32", "nan:canonical", st_f32v(0xffc00000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:canonical", st_f32v(0x7fc00001u)));
  EXPECT(t, !st_exp_matches("f32", "nan:canonical", st_f32v(0x7fa00000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:canonical", st_f32v(0x7f800000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:canonical", st_f32v(0x3fc00000u)));
  /* f32: arithmetic is any NaN with the quiet bit. */
  EXPECT(t, st_exp_matches("f32", "nan:arithmetic", st_f32v(0x7fc00000u)));
  EXPECT(t, st_exp_matches("f32", "nan:arithmetic", st_f32v(0xffc00001u)));
  EXPECT(t, st_exp_matches("f32", "nan:arithmetic", st_f32v(0x7fffffffu)));
  EXPECT(t, !st_exp_matches("f32", "nan:arithmetic", st_f32v(0x7fa00000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:arithmetic", st_f32v(0x7f800001u)));
  EXPECT(t, !st_exp_matches("f32", "nan:arithmetic", st_f32v(0xff800000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:arithmetic", st_f32v(0x00400000u)));
  /* f64 */
  EXPECT(t, st_exp_matches("f64", "nan:canonical",
                           st_f64v(UINT64_C(0x7ff8000000000000))));
  EXPECT(t, st_exp_matches("f64", "nan:canonical",
                           st_f64v(UINT64_C(0xfff8000000000000))));
  EXPECT(t, !st_exp_matches("f64", "nan:canonical",
                            st_f64v(UINT64_C(0x7ff8000000000001))));
  EXPECT(t, !st_exp_matches("f64", "nan:canonical",
                            st_f64v(UINT64_C(0x7ff4000000000000))));
  EXPECT(t, st_exp_matches("f64", "nan:arithmetic",
                           st_f64v(UINT64_C(0xfff8000000000001))));
  EXPECT(t, !st_exp_matches("f64", "nan:arithmetic",
                            st_f64v(UINT64_C(0x7ff0000000000001))));
  EXPECT(t, !st_exp_matches("f64", "nan:arithmetic",
                            st_f64v(UINT64_C(0x7ff0000000000000))));
  /* A class never crosses widths: an f32 NaN is no f64 NaN. */
  EXPECT(t, !st_exp_matches("f64", "nan:canonical", st_f32v(0x7fc00000u)));
  EXPECT(t, !st_exp_matches("f32", "nan:arithmetic",
                            st_f64v(UINT64_C(0x7ff8000000000000))));
  /* The predicates themselves. */
  EXPECT(t, st_f32_is_canonical_nan(0xffc00000u));
  EXPECT(t, !st_f32_is_arithmetic_nan(0x7f800000u));
  EXPECT(t, st_f64_is_arithmetic_nan(UINT64_C(0x7fffffffffffffff)));
  EXPECT(t, !st_f64_is_canonical_nan(UINT64_C(0x7ff0000000000000)));
}

static void st_test_exact(st_check *t) {
  /* Floats compare by bits: -0 is not +0, a given NaN only itself. */
  EXPECT(t, st_exp_matches("f32", "0", st_f32v(0)));
  EXPECT(t, !st_exp_matches("f32", "0", st_f32v(0x80000000u)));
  EXPECT(t, st_exp_matches("f32", "2141192192", st_f32v(0x7fa00000u)));
  EXPECT(t, !st_exp_matches("f32", "2141192192", st_f32v(0x7fc00000u)));
  EXPECT(t, !st_exp_matches("f64", "0", st_f64v(UINT64_C(0x8000000000000000))));
  /* Types must agree, even with equal bits. */
  EXPECT(t, !st_exp_matches("i32", "0", clave_i64(0)));
  EXPECT(t, !st_exp_matches("f32", "0", clave_i32(0)));
  EXPECT(t, st_exp_matches("i32", "4294967295", clave_i32(-1)));
  EXPECT(t, st_exp_matches("i64", "18446744073709551615", clave_i64(-1)));
  EXPECT(t, !st_exp_matches("i64", "4294967295", clave_i64(-1)));

  /* References. */
  void *some_func = (void *)(uintptr_t)0x1000; /* compared, never used */
  EXPECT(t, st_exp_matches("funcref", "null", st_refv(CLAVE_FUNCREF, NULL)));
  EXPECT(t,
         !st_exp_matches("funcref", "null", st_refv(CLAVE_FUNCREF, some_func)));
  EXPECT(t, st_exp_matches("funcref", "0", st_refv(CLAVE_FUNCREF, some_func)));
  EXPECT(t, !st_exp_matches("funcref", "0", st_refv(CLAVE_FUNCREF, NULL)));
  EXPECT(t, st_exp_matches("externref", "1",
                           st_refv(CLAVE_EXTERNREF, st_extern_ref(1))));
  EXPECT(t, !st_exp_matches("externref", "1",
                            st_refv(CLAVE_EXTERNREF, st_extern_ref(2))));
  EXPECT(t, !st_exp_matches("externref", "1", st_refv(CLAVE_EXTERNREF, NULL)));
  EXPECT(t, !st_exp_matches("externref", "null",
                            st_refv(CLAVE_EXTERNREF, st_extern_ref(0))));
  EXPECT(t, st_exp_matches("externref", NULL,
                           st_refv(CLAVE_EXTERNREF, st_extern_ref(7))));
  EXPECT(t, !st_exp_matches("externref", "null", st_refv(CLAVE_FUNCREF, NULL)));
}

static void st_test_format(st_check *t) {
  char buf[128];
  clave_value v = clave_i32(-2);
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "i32:-2") == 0);
  v = clave_i64(INT64_MIN);
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "i64:-9223372036854775808") == 0);
  v = st_f32v(0x3fc00000u);
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "f32:1.5 (0x3fc00000)") == 0);
  v = st_f64v(UINT64_C(0xbff0000000000000));
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "f64:-1 (0xbff0000000000000)") == 0);
  v = st_refv(CLAVE_EXTERNREF, st_extern_ref(41));
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "externref:41") == 0);
  v = st_refv(CLAVE_FUNCREF, NULL);
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "funcref:null") == 0);
  v = st_refv(CLAVE_FUNCREF, (void *)(uintptr_t)0x1000);
  st_value_format(&v, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "funcref:non-null") == 0);
  st_expected e;
  char why[100];
  EXPECT(t, st_expected_from_text("f64", "nan:arithmetic", &e, why,
                                  sizeof why) == ST_PARSE_OK);
  st_expected_format(&e, buf, sizeof buf);
  EXPECT(t, strcmp(buf, "f64:nan:arithmetic") == 0);
}

/* Writes text to a fresh temporary file; its path goes to path. */
static bool st_temp_file(const char *text, char *path, size_t len) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, len, "%s/clave-spectest-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return false;
  size_t n = strlen(text);
  bool ok = write(fd, text, n) == (ssize_t)n;
  close(fd);
  return ok;
}

/* Runs a list check with its messages captured in *msg (malloc'ed). */
typedef struct st_capture {
  char *text;
  size_t len;
  FILE *f;
} st_capture;

static FILE *st_capture_open(st_capture *c) {
  free(c->text);
  c->text = NULL;
  c->len = 0;
  c->f = open_memstream(&c->text, &c->len);
  return c->f;
}

static const char *st_capture_close(st_capture *c) {
  if (c->f) fclose(c->f);
  c->f = NULL;
  return c->text ? c->text : "";
}

static void st_test_lists(st_check *t) {
  st_file_result files[2];
  memset(files, 0, sizeof files);
  snprintf(files[0].name, sizeof files[0].name, "align");
  snprintf(files[1].name, sizeof files[1].name, "i32");
  files[0].counts.skipped_for[ST_SKIP_TEXT] = 46;
  files[0].counts.passed[ST_RETURN] = 10;
  files[1].counts.passed[ST_RETURN] = 5;
  files[1].counts.passed[ST_TRAP] = 2;
  st_capture cap = {NULL, 0, NULL};
  char path[512];
  int rc;

  /* Skip list: exact counts pass, a script that is not run is ignored; one
   * too few or too many is an error of that script, with a message. */
  st_skiplist list;
  if (st_temp_file("# why\nalign text 46  # comment\n\nother text 3\n"
                   "memory_init datacount 2 190 227\n",
                   path, sizeof path)) {
    rc = st_skiplist_load(path, &list, stderr);
    EXPECT(t, rc == 0 && list.n == 3);
    EXPECT(t, rc == 0 && st_skiplist_line(&list, "memory_init", 227) ==
                             ST_SKIP_DATACOUNT);
    EXPECT(t, rc == 0 && st_skiplist_line(&list, "memory_init", 228) == -1);
    EXPECT(t, rc == 0 && st_skiplist_line(&list, "align", 1) == -1);
    if (rc == 0) {
      st_skips_check(&list, files, 2, st_capture_open(&cap));
      EXPECT(t, files[0].counts.errors == 0 && files[1].counts.errors == 0 &&
                    strcmp(st_capture_close(&cap), "") == 0);
      st_skiplist_free(&list);
    }
    unlink(path);
  }
  if (st_temp_file("align text 45\n", path, sizeof path)) {
    rc = st_skiplist_load(path, &list, stderr);
    EXPECT(t, rc == 0);
    if (rc == 0) {
      st_skips_check(&list, files, 2, st_capture_open(&cap));
      EXPECT(t, files[0].counts.errors == 1 &&
                    strcmp(st_capture_close(&cap),
                           "align: skipped 46 command(s) for reason text, "
                           "the skip list allows exactly 45\n") == 0);
      st_skiplist_free(&list);
    }
    unlink(path);
  }
  files[0].counts.errors = 0;
  if (st_temp_file("align text 46\ni32 SIMD 1\n", path, sizeof path)) {
    rc = st_skiplist_load(path, &list, stderr);
    if (rc == 0) {
      st_skips_check(&list, files, 2, st_capture_open(&cap));
      st_capture_close(&cap);
      st_skiplist_free(&list);
    }
    EXPECT(t, rc == 0 && files[0].counts.errors == 0 &&
                  files[1].counts.errors == 1);
    unlink(path);
  }
  files[1].counts.errors = 0;
  /* Bad lists are refused with the line and the reason. */
  static const struct {
    const char *text, *message;
  } bad_lists[] = {
      {"align textual 46\n",
       ":1: unknown reason \"textual\" (text, SIMD or datacount)\n"},
      {"\nalign text\n", ":2: expected \"SCRIPT REASON COUNT [LINE...]\"\n"},
      {"align text 4x\n", ":1: bad count \"4x\"\n"},
      {"align text 1 17\n",
       ":1: reason text is recognised by the runner: no lines\n"},
      {"m datacount 2 190\n",
       ":1: reason datacount needs the line of every skipped command: 1 "
       "given for a count of 2\n"},
      {"m datacount 1 0\n", ":1: bad line number \"0\"\n"},
      {"align text 1\nalign text 2\n", ":2: align text is listed twice\n"},
  };
  for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
    if (!st_temp_file(bad_lists[i].text, path, sizeof path)) continue;
    rc = st_skiplist_load(path, &list, st_capture_open(&cap));
    const char *msg = st_capture_close(&cap);
    size_t ml = strlen(msg), el = strlen(bad_lists[i].message);
    bool ok = rc == -1 && list.n == 0 && ml >= el &&
              strcmp(msg + ml - el, bad_lists[i].message) == 0;
    if (!ok) printf("self-test: bad skip list %zu said: %s", i, msg);
    EXPECT(t, ok);
    unlink(path);
  }

  /* Ratchet: at or above the record passes; below fails; a recorded file
   * that did not run fails. */
  if (st_temp_file("align 10\ni32 7\n", path, sizeof path)) {
    rc = st_ratchet_check(path, files, 2, st_capture_open(&cap));
    EXPECT(t, rc == 0 && strcmp(st_capture_close(&cap), "") == 0);
    unlink(path);
  }
  if (st_temp_file("align 9\ni32 8\n", path, sizeof path)) {
    rc = st_ratchet_check(path, files, 2, st_capture_open(&cap));
    const char *msg = st_capture_close(&cap);
    EXPECT(t, rc == 1);
    EXPECT(t, strstr(msg,
                     "ratchet: align: 10 passed, more than the 9 "
                     "recorded") != NULL);
    EXPECT(t, strstr(msg,
                     "ratchet: i32: 7 passed, fewer than the 8 "
                     "recorded in ") != NULL);
    unlink(path);
  }
  if (st_temp_file("align 10\ni32 7\nbr 3\n", path, sizeof path)) {
    rc = st_ratchet_check(path, files, 2, st_capture_open(&cap));
    EXPECT(t, rc == 1 && strcmp(st_capture_close(&cap),
                                "ratchet: br is recorded with 3 passes but "
                                "was not run\n") == 0);
    unlink(path);
  }
  /* What st_ratchet_write records reads back as a pass. */
  if (st_temp_file("", path, sizeof path)) {
    EXPECT(t, st_ratchet_write(path, files, 2) == 0);
    rc = st_ratchet_check(path, files, 2, st_capture_open(&cap));
    st_capture_close(&cap);
    EXPECT(t, rc == 0);
    files[1].counts.passed[ST_TRAP] = 1;
    rc = st_ratchet_check(path, files, 2, st_capture_open(&cap));
    st_capture_close(&cap);
    EXPECT(t, rc == 1);
    unlink(path);
  }
  free(cap.text);
}

int st_self_test(void) {
  st_check t = {0, 0};
  st_test_parse(&t);
  st_test_nan(&t);
  st_test_exact(&t);
  st_test_format(&t);
  st_test_lists(&t);
  printf("self-test: %d checks, %d failed\n", t.run, t.failed);
  return t.failed;
}
