/*
 * test_executor.c - the executor API, from the outside.
 *
 *   test_executor bytes            hand-assembled modules only
 *   test_executor payloads DIR     payloads built by clang-19 into DIR
 *                                  (exit 77, skipped, when DIR is "")
 *
 * The hand-assembled modules cover what needs no compiler: refused
 * imports, a missing or mistyped entry point, argument errors, memory
 * growth for arguments.  The clang-built payloads cover every misuse of
 * the host API (each scenario returns 1 when every call answered as
 * specified, 100 + the number of the failing check otherwise), argument
 * flattening, malloc placement, WASI, the log, outputs and the limits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clave/executor.h"

static int failures;
static int checks;

#define EXPECT(cond, ...)                                        \
  do {                                                           \
    checks++;                                                    \
    if (!(cond)) {                                               \
      failures++;                                                \
      fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                              \
      fputc('\n', stderr);                                       \
    }                                                            \
  } while (0)

#define EXPECT_STR(got, want)                                              \
  EXPECT(strcmp((got), (want)) == 0, "got \"%s\"\n      want \"%s\"", (got), \
         (want))

/* ---- helpers ------------------------------------------------------------- */

static clave_program *load_bytes(const uint8_t *bytes, size_t len,
                                 clave_error *err) {
  clave_program *prog = NULL;
  memset(err, 0, sizeof *err);
  clave_program_load(NULL, bytes, len, &prog, err);
  return prog;
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static const char *payload_dir;

static clave_program *load_payload(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.wasm", payload_dir, name);
  size_t len = 0;
  uint8_t *bytes = read_all(path, &len);
  if (!bytes) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  clave_error err;
  clave_program *prog = load_bytes(bytes, len, &err);
  free(bytes);
  if (!prog) {
    fprintf(stderr, "%s: %s\n", path, err.message);
    exit(1);
  }
  return prog;
}

/* One run with an input "in" (text), an output "out" and the given args. */
typedef struct run_opts {
  const char *args;
  const char *input;      /* bound to "in" unless NULL */
  clave_limits limits;
  size_t max_log;
  size_t max_output;
} run_opts;

typedef struct run_out {
  clave_status status;
  clave_exec_result r;
  clave_exec_output out;
} run_out;

static void run_case(clave_program *prog, const run_opts *o, run_out *ro) {
  clave_exec_request req;
  clave_exec_request_init(&req);
  clave_exec_input in = {"in", (const uint8_t *)o->input,
                         o->input ? strlen(o->input) : 0};
  memset(&ro->out, 0, sizeof ro->out);
  ro->out.name = "out";
  req.args_json = o->args;
  req.inputs = &in;
  req.ninputs = o->input ? 1 : 0;
  req.outputs = &ro->out;
  req.noutputs = 1;
  req.limits = o->limits;
  req.max_log_bytes = o->max_log;
  req.max_output_bytes = o->max_output;
  ro->status = clave_program_run(prog, &req, &ro->r);
}

static void run_done(run_out *ro) {
  clave_exec_result_free(&ro->r, &ro->out, 1);
}

/* Run case `name` of payload_hostapi with an input and expect 1. */
static void expect_case(clave_program *prog, const char *name,
                        const char *input) {
  char args[128];
  snprintf(args, sizeof args, "{\"case\":\"%s\"}", name);
  run_opts o = {.args = args, .input = input};
  run_out ro;
  run_case(prog, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 1,
         "case %s: status %d (%s), result %d (1 = every check held, 100+n = "
         "check n failed)",
         name, ro.status, ro.r.error.message, ro.r.return_value);
  run_done(&ro);
}

/* ---- hand-assembled modules ---------------------------------------------- */

static const uint8_t hdr[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

/* A tiny module builder: header plus sections given as raw bytes. */
typedef struct mod {
  uint8_t b[512];
  size_t n;
} mod;

static void mod_init(mod *m) {
  memcpy(m->b, hdr, 8);
  m->n = 8;
}

static void mod_section(mod *m, uint8_t id, const uint8_t *body, size_t len) {
  m->b[m->n++] = id;
  m->b[m->n++] = (uint8_t)len; /* every test section is < 128 bytes */
  memcpy(m->b + m->n, body, len);
  m->n += len;
}

#define SECTION(m, id, ...)                                 \
  do {                                                      \
    const uint8_t body_[] = {__VA_ARGS__};                  \
    mod_section((m), (id), body_, sizeof body_);            \
  } while (0)

static void test_load_errors(void) {
  clave_error err;
  mod m;

  /* exports only "foo": neither entry point */
  mod_init(&m);
  SECTION(&m, 1, 1, 0x60, 0, 0);
  SECTION(&m, 3, 1, 0);
  SECTION(&m, 7, 1, 3, 'f', 'o', 'o', 0, 0);
  SECTION(&m, 10, 1, 2, 0, 0x0b);
  EXPECT(!load_bytes(m.b, m.n, &err), "loaded a module with no entry");
  EXPECT(err.status == CLAVE_ENOTFOUND, "status %d", err.status);
  EXPECT_STR(err.message,
             "the payload exports neither 'entrypoint' (a function) nor "
             "'_start' (a WASI command)");

  /* imports env.foo */
  mod_init(&m);
  SECTION(&m, 1, 1, 0x60, 0, 0);
  SECTION(&m, 2, 1, 3, 'e', 'n', 'v', 3, 'f', 'o', 'o', 0, 0);
  EXPECT(!load_bytes(m.b, m.n, &err), "loaded an unknown import");
  EXPECT(err.status == CLAVE_EUNLINKABLE, "status %d", err.status);
  EXPECT_STR(err.message,
             "unknown import env.foo: the executor provides env.teaclave_* "
             "and wasi_snapshot_preview1.*");

  /* a WASI name that does not exist in preview1 */
  mod_init(&m);
  SECTION(&m, 1, 1, 0x60, 0, 0);
  SECTION(&m, 2, 1, 22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h',
          'o', 't', '_', 'p', 'r', 'e', 'v', 'i', 'e', 'w', '1', 4, 'f', 'o',
          'r', 'k', 0, 0);
  EXPECT(!load_bytes(m.b, m.n, &err), "loaded wasi fork");
  EXPECT_STR(err.message,
             "unknown import wasi_snapshot_preview1.fork: the executor "
             "provides env.teaclave_* and wasi_snapshot_preview1.*");

  /* imports a memory */
  mod_init(&m);
  SECTION(&m, 2, 1, 3, 'e', 'n', 'v', 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0,
          1);
  EXPECT(!load_bytes(m.b, m.n, &err), "loaded a memory import");
  EXPECT(err.status == CLAVE_EUNLINKABLE, "status %d", err.status);
  EXPECT_STR(err.message,
             "import env.memory is a memory: the executor provides functions "
             "only");

  /* not wasm at all */
  const uint8_t junk[] = {'h', 'e', 'l', 'l', 'o', 0, 0, 0};
  EXPECT(!load_bytes(junk, sizeof junk, &err), "loaded junk");
  EXPECT(err.status == CLAVE_EMALFORMED, "status %d: %s", err.status,
         err.message);
  EXPECT(err.message[0] != '\0', "no message for junk");
}

/* entrypoint: (i32 argc, i32 argv) -> i32 returning argc * 1000 + (argv is
 * page aligned ? 1 : 0) + 10 * (argv >= 65536), optionally with a memory of
 * one page (max max_pages when has_max). */
static void build_entry_module(mod *m, bool memory, bool has_max,
                               uint8_t max_pages) {
  mod_init(m);
  SECTION(m, 1, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f);
  SECTION(m, 3, 1, 0);
  if (memory) {
    if (has_max)
      SECTION(m, 5, 1, 1, 1, max_pages);
    else
      SECTION(m, 5, 1, 0, 1);
  }
  SECTION(m, 7, 1, 10, 'e', 'n', 't', 'r', 'y', 'p', 'o', 'i', 'n', 't', 0, 0);
  /* local.get 0; i32.const 1000; i32.mul;
   * local.get 1; i32.const 65535; i32.and; i32.eqz; i32.add;
   * local.get 1; i32.const 65536; i32.ge_u; i32.const 10; i32.mul; i32.add */
  SECTION(m, 10, 1, 28, 0, 0x20, 0, 0x41, 0xe8, 0x07, 0x6c, 0x20, 1, 0x41,
          0xff, 0xff, 0x03, 0x71, 0x45, 0x6a, 0x20, 1, 0x41, 0x80, 0x80, 0x04,
          0x4f, 0x41, 10, 0x6c, 0x6a, 0x0b);
}

static void test_entry_and_args_bytes(void) {
  clave_error err;
  mod m;
  run_out ro;
  run_opts o;

  /* entrypoint of the wrong type */
  mod_init(&m);
  SECTION(&m, 1, 1, 0x60, 0, 0);
  SECTION(&m, 3, 1, 0);
  SECTION(&m, 7, 1, 10, 'e', 'n', 't', 'r', 'y', 'p', 'o', 'i', 'n', 't', 0,
          0);
  SECTION(&m, 10, 1, 2, 0, 0x0b);
  clave_program *prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_EARG, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "the payload's 'entrypoint' has the wrong type: want int "
               "entrypoint(int argc, char **argv)");
    run_done(&ro);
    clave_program_free(prog);
  }

  /* a command (only _start) run as a function */
  mod_init(&m);
  SECTION(&m, 1, 1, 0x60, 0, 0);
  SECTION(&m, 3, 1, 0);
  SECTION(&m, 7, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0);
  SECTION(&m, 10, 1, 2, 0, 0x0b);
  prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_ENOTFOUND, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "the payload does not export 'entrypoint' (int "
               "entrypoint(int argc, char **argv))");
    run_done(&ro);
    /* and as a command it runs and exits 0 */
    clave_exec_request req;
    clave_exec_request_init(&req);
    req.entry = CLAVE_ENTRY_WASI_START;
    const char *argv[] = {"x.wasm"};
    req.argv = argv;
    req.argc = 1;
    clave_exec_result r;
    EXPECT(clave_program_run(prog, &req, &r) == CLAVE_OK, "%s",
           r.error.message);
    EXPECT(r.return_value == 0 && r.log_len == 0 && r.log && !r.log[0],
           "return %d", r.return_value);
    clave_exec_result_free(&r, NULL, 0);
    clave_program_free(prog);
  }

  /* a host function imported with the wrong type: refused when the run
   * instantiates the module (the engine checks import types) */
  mod_init(&m);
  SECTION(&m, 1, 2, 0x60, 1, 0x7e, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f);
  SECTION(&m, 2, 1, 3, 'e', 'n', 'v', 19, 't', 'e', 'a', 'c', 'l', 'a', 'v',
          'e', '_', 'o', 'p', 'e', 'n', '_', 'i', 'n', 'p', 'u', 't', 0, 0);
  SECTION(&m, 3, 1, 1);
  SECTION(&m, 7, 1, 10, 'e', 'n', 't', 'r', 'y', 'p', 'o', 'i', 'n', 't', 0,
          1);
  SECTION(&m, 10, 1, 4, 0, 0x41, 0, 0x0b);
  prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_EUNLINKABLE, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "incompatible import type: import 0 (function "
               "\"env\".\"teaclave_open_input\")");
    run_done(&ro);
    clave_program_free(prog);
  }

  /* no memory: no arguments is fine, arguments are an error */
  build_entry_module(&m, false, false, 0);
  prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    o.args = "{}";
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 1,
           "status %d result %d: %s", ro.status, ro.r.return_value,
           ro.r.error.message);
    run_done(&ro);
    o.args = "{\"a\":\"b\"}";
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_EARG, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "arguments: the payload has no linear memory to receive them "
               "(1 argument, 16 bytes)");
    run_done(&ro);
    clave_program_free(prog);
  }

  /* a memory: arguments land in a fresh page above the first */
  build_entry_module(&m, true, false, 0);
  prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    o.args = "{\"a\":\"b\",\"c\":\"d\"}";
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 4011,
           "status %d result %d: %s", ro.status, ro.r.return_value,
           ro.r.error.message);
    run_done(&ro);
    /* ... unless the memory limit forbids growing */
    o.limits.max_memory_bytes = 65536;
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_ELIMIT, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "arguments: cannot grow linear memory by 1 page for 28 bytes "
               "of arguments");
    run_done(&ro);
    clave_program_free(prog);
  }

  /* memory with a declared maximum of one page */
  build_entry_module(&m, true, true, 1);
  prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (prog) {
    memset(&o, 0, sizeof o);
    o.args = "{\"k\":\"v\"}";
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_ELIMIT, "status %d", ro.status);
    EXPECT_STR(ro.r.error.message,
               "arguments: cannot grow linear memory by 1 page for 16 bytes "
               "of arguments");
    run_done(&ro);
    clave_program_free(prog);
  }
}

static void test_args_json_errors(void) {
  clave_error err;
  mod m;
  build_entry_module(&m, true, false, 0);
  clave_program *prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (!prog) return;
  static const struct {
    const char *json;
    const char *message;
  } cases[] = {
      {"[1,2]", "arguments: must be a JSON object, got an array"},
      {"\"s\"", "arguments: must be a JSON object, got a string"},
      {"7", "arguments: must be a JSON object, got a number"},
      {"null", "arguments: must be a JSON object, got null"},
      {"{", "arguments: invalid JSON at line 1 column 1: string or '}' "
            "expected near end of file"},
      {"{\"a\":\"1\",\"a\":\"2\"}",
       "arguments: invalid JSON at line 1 column 12: duplicate object key "
       "near '\"a\"'"},
      {"{\"a\":\"x\\u0000y\"}",
       "arguments: invalid JSON at line 1 column 15: \\u0000 is not allowed "
       "without JSON_ALLOW_NUL near '\"x\\u0000y\"'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_opts o = {.args = cases[i].json};
    run_out ro;
    run_case(prog, &o, &ro);
    EXPECT(ro.status == CLAVE_EARG, "%s: status %d", cases[i].json,
           ro.status);
    EXPECT_STR(ro.r.error.message, cases[i].message);
    run_done(&ro);
  }
  clave_program_free(prog);
}

static void test_request_errors(void) {
  clave_error err;
  mod m;
  build_entry_module(&m, true, false, 0);
  clave_program *prog = load_bytes(m.b, m.n, &err);
  EXPECT(prog != NULL, "load: %s", err.message);
  if (!prog) return;
  clave_exec_request req;
  clave_exec_result r;
  clave_exec_request_init(&req);
  clave_exec_input ins[2] = {{"x", (const uint8_t *)"1", 1},
                             {"x", (const uint8_t *)"2", 1}};
  req.inputs = ins;
  req.ninputs = 2;
  EXPECT(clave_program_run(prog, &req, &r) == CLAVE_EARG, "dup input");
  EXPECT_STR(r.error.message, "request: input 'x' is bound twice");
  clave_exec_result_free(&r, NULL, 0);

  clave_exec_request_init(&req);
  clave_exec_output outs[2] = {{.name = "o"}, {.name = "o"}};
  req.outputs = outs;
  req.noutputs = 2;
  EXPECT(clave_program_run(prog, &req, &r) == CLAVE_EARG, "dup output");
  EXPECT_STR(r.error.message, "request: output 'o' is bound twice");
  clave_exec_result_free(&r, outs, 2);
  clave_program_free(prog);
}

/* ---- clang-built payloads ------------------------------------------------ */

static void test_hostapi_misuse(clave_program *p) {
  expect_case(p, "bad_handle", NULL);
  expect_case(p, "oob_buffer", "hello");
  expect_case(p, "read_on_write", "x");
  expect_case(p, "write_on_read", "x");
  expect_case(p, "double_close", "x");
  expect_case(p, "unknown_fid", "x");
  expect_case(p, "fid_off_memory", "x");
  expect_case(p, "args_grown", NULL);
  expect_case(p, "wasi", NULL);
}

static void test_hostapi_data(clave_program *p) {
  run_out ro;
  run_opts o = {.args = "{\"case\":\"echo\"}", .input = "hello, world\n"};
  /* twice: nothing of the first run leaks into the second */
  for (int round = 0; round < 2; round++) {
    run_case(p, &o, &ro);
    EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 13,
           "echo: status %d result %d %s", ro.status, ro.r.return_value,
           ro.r.error.message);
    EXPECT(ro.out.created && ro.out.len == 13 &&
               memcmp(ro.out.data, "hello, world\n", 13) == 0,
           "echo output (%zu bytes)", ro.out.len);
    run_done(&ro);
  }
  /* an empty input */
  o.input = "";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 0, "empty echo %d",
         ro.r.return_value);
  EXPECT(ro.out.created && ro.out.len == 0 && ro.out.data, "empty output");
  run_done(&ro);

  /* handles are bounded per run, and never reused */
  o = (run_opts){.args = "{\"case\":\"many_handles\"}", .input = "x"};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 4096,
         "many handles: %d", ro.r.return_value);
  run_done(&ro);

  /* output cap: writes of 10 bytes stop at 60 under a 64-byte cap, and
   * single bytes fill it exactly */
  o = (run_opts){.args = "{\"case\":\"output_cap\",\"size\":\"100\","
                         "\"chunk\":\"10\"}",
                 .max_output = 64};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 60, "cap: %d",
         ro.r.return_value);
  EXPECT(ro.out.len == 60, "cap output %zu", ro.out.len);
  run_done(&ro);
  o.args = "{\"case\":\"output_cap\",\"size\":\"100\",\"chunk\":\"1\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 64, "cap: %d",
         ro.r.return_value);
  EXPECT(ro.out.len == 64 && memcmp(ro.out.data, "aaaaaaaaaa", 10) == 0,
         "cap output %zu", ro.out.len);
  run_done(&ro);
  /* a write larger than the cap itself */
  o.args = "{\"case\":\"output_cap\",\"size\":\"100\",\"chunk\":\"100\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 0, "cap: %d",
         ro.r.return_value);
  EXPECT(ro.out.created && ro.out.len == 0, "cap output %zu", ro.out.len);
  run_done(&ro);
}

static void test_args_flattening(clave_program *p) {
  run_out ro;
  run_opts o = {
      .args = "{\"b\":\"2\",\"case\":\"args\",\"a\":\"1\",\"c\":{\"x\":[1,"
              "2],\"y\":null},\"n\":3.5,\"i\":-12,\"t\":true,\"f\":false,"
              "\"z\":null,\"\xc3\xa9\":\"u\",\"A\":\"cap\",\"e\":\"\","
              "\"s\":\"a \\\"q\\\" \\u00e9\"}"};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 26,
         "args: status %d result %d %s", ro.status, ro.r.return_value,
         ro.r.error.message);
  const char *want =
      "A\ncap\n"
      "a\n1\n"
      "b\n2\n"
      "c\n{\"x\":[1,2],\"y\":null}\n"
      "case\nargs\n"
      "e\n\n"
      "f\nfalse\n"
      "i\n-12\n"
      "n\n3.5\n"
      "s\na \"q\" \xc3\xa9\n"
      "t\ntrue\n"
      "z\nnull\n"
      "\xc3\xa9\nu\n";
  EXPECT(ro.out.created && ro.out.len == strlen(want) &&
             memcmp(ro.out.data, want, ro.out.len) == 0,
         "args output:\n%.*s", (int)ro.out.len,
         ro.out.data ? (const char *)ro.out.data : "");
  run_done(&ro);
  /* NULL and {} mean no arguments */
  o.args = NULL;
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == -1000, "no args %d",
         ro.r.return_value);
  run_done(&ro);
}

static void test_malloc_placement(void) {
  clave_program *p = load_payload("payload_malloc");
  run_out ro;
  run_opts o = {.args = "{\"key2\":\"value2\",\"k\":\"v\"}"};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 1,
         "malloc: status %d result %d %s", ro.status, ro.r.return_value,
         ro.r.error.message);
  run_done(&ro);
  clave_program_free(p);

  p = load_payload("payload_malloc_fail");
  o.args = "{\"k\":\"v\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ENOMEM, "status %d", ro.status);
  EXPECT_STR(ro.r.error.message,
             "arguments: the payload's malloc(16) returned NULL");
  run_done(&ro);
  clave_program_free(p);
}

static void test_log(clave_program *p) {
  run_out ro;
  run_opts o = {.args = "{\"case\":\"log\",\"text\":\"abcdefghij\","
                        "\"times\":\"10\"}",
                .max_log = 25};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 10, "log: %d %s",
         ro.r.return_value, ro.r.error.message);
  EXPECT(ro.r.log_truncated, "log not marked truncated");
  EXPECT_STR(ro.r.log, "abcdefghijabcdefghijabcde");
  EXPECT(ro.r.log_len == 25, "log_len %zu", ro.r.log_len);
  run_done(&ro);
  o.max_log = 100;
  run_case(p, &o, &ro);
  EXPECT(!ro.r.log_truncated && ro.r.log_len == 100, "log %zu %d",
         ro.r.log_len, ro.r.log_truncated);
  run_done(&ro);
  /* the WASI scenario wrote "hello log\n" to stderr before closing it */
  o = (run_opts){.args = "{\"case\":\"wasi\"}"};
  run_case(p, &o, &ro);
  EXPECT_STR(ro.r.log, "hello log\n");
  run_done(&ro);
}

static void test_limits(clave_program *p) {
  run_out ro;
  run_opts o = {.args = "{\"case\":\"loop\"}", .input = "data"};
  o.limits.fuel = 100000;
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ETRAP && ro.r.error.trap == CLAVE_TRAP_FUEL,
         "fuel: status %d trap %d %s", ro.status, ro.r.error.trap,
         ro.r.error.message);
  EXPECT(ro.r.fuel_used == 100000, "fuel used %llu",
         (unsigned long long)ro.r.fuel_used);
  run_done(&ro);

  o.limits.fuel = 0;
  o.limits.timeout_ms = 100;
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ETRAP && ro.r.error.trap == CLAVE_TRAP_DEADLINE,
         "timeout: status %d trap %d %s", ro.status, ro.r.error.trap,
         ro.r.error.message);
  run_done(&ro);

  /* memory: growing past the limit fails inside the payload (-1), growing
   * within it works */
  o = (run_opts){.args = "{\"case\":\"grow\",\"pages\":\"64\"}"};
  o.limits.max_memory_bytes = 8u << 20;
  run_case(p, &o, &ro);
  int32_t before = ro.r.return_value;
  EXPECT(ro.status == CLAVE_OK && before > 0, "grow 64: %d %s", before,
         ro.r.error.message);
  run_done(&ro);
  o.args = "{\"case\":\"grow\",\"pages\":\"200\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == -1, "grow 200: %d %s",
         ro.r.return_value, ro.r.error.message);
  run_done(&ro);
  /* a limit below the module's own initial memory: it cannot start */
  o.limits.max_memory_bytes = 65536;
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ELIMIT, "tiny memory: status %d %s", ro.status,
         ro.r.error.message);
  run_done(&ro);

  /* call depth */
  o = (run_opts){.args = "{\"case\":\"recurse\"}"};
  o.limits.max_call_depth = 500;
  o.limits.fuel = 1000000000; /* a safety net should the recursion loop */
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ETRAP && ro.r.error.trap == CLAVE_TRAP_CALL_STACK,
         "recurse: status %d trap %d %s", ro.status, ro.r.error.trap,
         ro.r.error.message);
  run_done(&ro);

  /* a trap drops the outputs; proc_exit ends the function with its code */
  o = (run_opts){.args = "{\"case\":\"trap\"}"};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ETRAP && ro.r.error.trap == CLAVE_TRAP_UNREACHABLE,
         "trap: status %d trap %d", ro.status, ro.r.error.trap);
  EXPECT(!ro.out.created && !ro.out.data, "outputs of a trapped run");
  run_done(&ro);
  o.args = "{\"case\":\"exit\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 7, "exit: %d %d %s",
         ro.status, ro.r.return_value, ro.r.error.message);
  run_done(&ro);
  /* the constructors ran (__wasm_call_ctors) */
  o.args = "{\"case\":\"ctor\"}";
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 42, "ctor: %d",
         ro.r.return_value);
  run_done(&ro);
}

static void test_wasi_libc(void) {
  /* a reactor: _initialize runs before the entry point */
  clave_program *p = load_payload("payload_reactor");
  run_out ro;
  run_opts o = {.args = "{\"b\":2,\"a\":\"1\"}"};
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_OK && ro.r.return_value == 42, "reactor: %d %s",
         ro.r.return_value, ro.r.error.message);
  EXPECT_STR(ro.r.log, "a=1\nb=2\n");
  run_done(&ro);
  clave_program_free(p);

  /* a command run as a function and as a command */
  p = load_payload("payload_command");
  o.args = NULL;
  run_case(p, &o, &ro);
  EXPECT(ro.status == CLAVE_ENOTFOUND, "command as function: %d", ro.status);
  run_done(&ro);
  clave_exec_request req;
  clave_exec_result r;
  const char *argv[] = {"cmd.wasm", "args", "x y", ""};
  clave_exec_request_init(&req);
  req.entry = CLAVE_ENTRY_WASI_START;
  req.argv = argv;
  req.argc = 4;
  EXPECT(clave_program_run(p, &req, &r) == CLAVE_OK, "%s", r.error.message);
  EXPECT(r.return_value == 0, "args exit %d", r.return_value);
  EXPECT_STR(r.log,
             "argc=4\nargv[0]=cmd.wasm\nargv[1]=args\nargv[2]=x y\nargv[3]=\n");
  clave_exec_result_free(&r, NULL, 0);

  const char *argv_exit[] = {"cmd.wasm", "exit", "3"};
  req.argv = argv_exit;
  req.argc = 3;
  EXPECT(clave_program_run(p, &req, &r) == CLAVE_OK, "%s", r.error.message);
  EXPECT(r.return_value == 3, "exit %d", r.return_value);
  EXPECT_STR(r.log, "to stdout\nto stderr\n");
  clave_exec_result_free(&r, NULL, 0);

  const char *argv_env[] = {"cmd.wasm", "env"};
  req.argv = argv_env;
  req.argc = 2;
  EXPECT(clave_program_run(p, &req, &r) == CLAVE_OK, "%s", r.error.message);
  EXPECT_STR(r.log, "environ=0 stdin=empty\n");
  clave_exec_result_free(&r, NULL, 0);

  const char *argv_files[] = {"cmd.wasm", "files"};
  req.argv = argv_files;
  EXPECT(clave_program_run(p, &req, &r) == CLAVE_OK, "%s", r.error.message);
  EXPECT(r.return_value == 0, "files: %d", r.return_value);
  EXPECT_STR(r.log, "fopen: Capabilities insufficient\n");
  clave_exec_result_free(&r, NULL, 0);

  const char *argv_trap[] = {"cmd.wasm", "trap"};
  req.argv = argv_trap;
  EXPECT(clave_program_run(p, &req, &r) == CLAVE_ETRAP, "trap");
  EXPECT(r.error.trap == CLAVE_TRAP_INT_DIV_ZERO, "trap kind %d",
         r.error.trap);
  EXPECT_STR(r.log, "before the trap\n");
  clave_exec_result_free(&r, NULL, 0);
  clave_program_free(p);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "bytes") == 0) {
    test_load_errors();
    test_entry_and_args_bytes();
    test_args_json_errors();
    test_request_errors();
  } else if (argc >= 3 && strcmp(argv[1], "payloads") == 0) {
    if (!argv[2][0]) {
      printf("skipped: clang-19, wasm-ld or wasi-libc not found, so the "
             "test payloads were not built\n");
      return 77;
    }
    payload_dir = argv[2];
    clave_program *p = load_payload("payload_hostapi");
    test_hostapi_misuse(p);
    test_hostapi_data(p);
    test_args_flattening(p);
    test_log(p);
    test_limits(p);
    clave_program_free(p);
    test_malloc_placement();
    test_wasi_libc();
  } else {
    fprintf(stderr, "usage: test_executor bytes | payloads DIR\n");
    return 2;
  }
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
