/*
 * script.c - runs the commands of one wast2json script against the engine.
 *
 * A script is a sequence of modules and assertions.  Each script gets a
 * fresh engine and linker with the `spectest` host module; a module
 * command instantiates through the linker and becomes the "current"
 * module (and, with a name, can be referred to later); `register` makes an
 * instance's exports importable under a module name.
 *
 * Every command ends in exactly one of passed / failed / skipped for its
 * kind.  A command that cannot even be run (missing module, unknown
 * export, bad value in the JSON) is a failure of that command, never a
 * crash of the runner.  A call stopped by the deadline is a failure and is
 * also counted as a timeout.  Only the engine's public API is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

char st_current_location[256];

/* One module command's outcome: the name it may be referred to by and the
 * instance (NULL when loading or instantiation failed). */
typedef struct st_entry {
  char *name;
  clave_module *module;
  clave_instance *instance;
  uint32_t line;
} st_entry;

typedef struct st_script {
  const st_options *opt;
  st_counts *counts;
  const char *name;  /* "i32", as in the skip list */
  const char *label; /* "i32.wast" */
  char dir[4096];    /* folder of the JSON file, where the modules are */
  clave_engine *engine;
  clave_linker *linker;
  clave_limits limits;
  st_entry *entries;
  size_t nentries, cap;
  long current;  /* index in entries of the current module, or -1 */
  uint32_t line; /* of the command being run */
} st_script;

/* ---- reporting ----------------------------------------------------------- */

static void st_pass(st_script *s, st_kind kind) {
  s->counts->passed[kind]++;
}

static void st_skip(st_script *s, st_kind kind, st_skip_reason why) {
  s->counts->skipped[kind]++;
  s->counts->skipped_for[why]++;
}

/* A failed command.  By default one line,
 *   file:line: kind: command: expected E, got G
 * and with -v a block with one field per line.  expected may be NULL: the
 * formatted text is then the problem itself ("no export \"f\""). */
static void st_fail(st_script *s, st_kind kind, const char *command,
                    const char *expected, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void st_fail(st_script *s, st_kind kind, const char *command,
                    const char *expected, const char *fmt, ...) {
  s->counts->failed[kind]++;
  if (s->opt->quiet) return;
  char got[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(got, sizeof got, fmt, ap);
  va_end(ap);
  if (s->opt->tty) printf("\r\033[K"); /* over the progress line */
  if (s->opt->verbose) {
    printf("%s:%" PRIu32 ": %s FAILED\n", s->label, s->line,
           st_kind_name(kind));
    if (command && command[0]) printf("    command:  %s\n", command);
    if (expected) {
      printf("    expected: %s\n", expected);
      printf("    got:      %s\n", got);
    } else {
      printf("    problem:  %s\n", got);
    }
    return;
  }
  printf("%s:%" PRIu32 ": %s: ", s->label, s->line, st_kind_name(kind));
  if (command && command[0]) printf("%s: ", command);
  if (expected)
    printf("expected %s, got %s\n", expected, got);
  else
    printf("%s\n", got);
}

/* A problem with the script itself rather than with one command. */
static void st_script_error(st_script *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void st_script_error(st_script *s, const char *fmt, ...) {
  s->counts->errors++;
  if (s->opt->tty) printf("\r\033[K");
  va_list ap;
  va_start(ap, fmt);
  if (s->line)
    printf("%s:%" PRIu32 ": error: ", s->label, s->line);
  else
    printf("%s: error: ", s->label);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

/* A name from the script, printable: control bytes and quotes escaped. */
static void st_quote(const char *name, size_t len, char *buf, size_t buflen) {
  size_t o = 0;
  if (buflen == 0) return;
  for (size_t i = 0; i < len && o + 5 < buflen; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
      o += (size_t)snprintf(buf + o, buflen - o, "\\%02x", c);
    else
      buf[o++] = (char)c;
  }
  if (o + 5 >= buflen && buflen > 4) {
    memcpy(buf + buflen - 4, "...", 4);
    return;
  }
  buf[o] = '\0';
}

/* Append printf output to a fixed buffer, truncating safely. */
static void st_append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void st_append(char *buf, size_t len, const char *fmt, ...) {
  size_t used = strlen(buf);
  if (used + 1 >= len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
}

static void st_values_format(const clave_value *v, size_t n, char *buf,
                             size_t len) {
  buf[0] = '\0';
  if (n != 1) st_append(buf, len, "(");
  for (size_t i = 0; i < n; i++) {
    char one[80];
    st_value_format(&v[i], one, sizeof one);
    st_append(buf, len, "%s%s", i ? ", " : "", one);
  }
  if (n != 1) st_append(buf, len, ")");
}

static void st_error_format(const clave_error *err, char *buf, size_t len) {
  if (err->status == CLAVE_ETRAP)
    snprintf(buf, len, "trap [%s] \"%s\"", clave_trap_message(err->trap),
             err->message);
  else
    snprintf(buf, len, "%s \"%s\"", clave_status_name(err->status),
             err->message);
}

/* ---- JSON helpers -------------------------------------------------------- */

static const char *st_get_string(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- modules ------------------------------------------------------------- */

static st_entry *st_entry_add(st_script *s, const char *name) {
  if (s->nentries == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    st_entry *e = realloc(s->entries, cap * sizeof *e);
    if (!e) return NULL;
    s->entries = e;
    s->cap = cap;
  }
  st_entry *e = &s->entries[s->nentries];
  memset(e, 0, sizeof *e);
  if (name && !(e->name = strdup(name))) return NULL;
  e->line = s->line;
  s->nentries++;
  return e;
}

/* The module an action or register refers to: by name, else the current.
 * NULL with a message in why when there is none or it failed. */
static clave_instance *st_find_instance(st_script *s, const char *name,
                                        char *why, size_t whylen) {
  if (name) {
    for (size_t i = s->nentries; i-- > 0;) {
      st_entry *e = &s->entries[i];
      if (e->name && strcmp(e->name, name) == 0) {
        if (!e->instance)
          snprintf(why, whylen, "module %s (line %" PRIu32 ") failed", name,
                   e->line);
        return e->instance;
      }
    }
    snprintf(why, whylen, "no module named %s", name);
    return NULL;
  }
  if (s->current < 0) {
    snprintf(why, whylen, "no module defined before this command");
    return NULL;
  }
  st_entry *e = &s->entries[s->current];
  if (!e->instance)
    snprintf(why, whylen, "the current module (line %" PRIu32 ") failed",
             e->line);
  return e->instance;
}

/* Read FILENAME (relative to the script's folder). */
static uint8_t *st_read_module(st_script *s, const char *filename, size_t *len,
                               char *why, size_t whylen) {
  if (!filename || !filename[0] || strchr(filename, '/')) {
    snprintf(why, whylen, "bad module file name \"%s\"",
             filename ? filename : "(none)");
    return NULL;
  }
  char path[4352];
  snprintf(path, sizeof path, "%s/%s", s->dir, filename);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(why, whylen, "cannot open %.200s in %.200s: %s", filename, s->dir,
             strerror(errno));
    return NULL;
  }
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      uint8_t *b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(f);
        snprintf(why, whylen, "out of memory reading %.200s", filename);
        return NULL;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    snprintf(why, whylen, "cannot read %.200s", filename);
    return NULL;
  }
  *len = n;
  return buf;
}

static void st_where(st_script *s, char *buf, size_t len) {
  snprintf(buf, len, "%s:%" PRIu32, s->label, s->line);
}

/* Instantiate through the linker under the watchdog. */
static clave_status st_instantiate(st_script *s, const clave_module *module,
                                   clave_instance **out, clave_error *err) {
  char where[300];
  st_where(s, where, sizeof where);
  st_watchdog_arm(s->opt->watchdog, NULL, where);
  clave_status st =
      clave_linker_instantiate(s->linker, module, &s->limits, out, err);
  st_watchdog_disarm(s->opt->watchdog);
  if (st == CLAVE_ETRAP && err->trap == CLAVE_TRAP_DEADLINE)
    s->counts->timeouts++;
  return st;
}

static void st_cmd_module(st_script *s, const json_t *cmd) {
  const char *filename = st_get_string(cmd, "filename");
  const char *name = st_get_string(cmd, "name");
  st_entry *e = st_entry_add(s, name);
  if (!e) {
    st_fail(s, ST_MODULE, filename, NULL, "out of memory");
    return;
  }
  s->current = (long)(e - s->entries);
  char why[512];
  size_t len = 0;
  uint8_t *bytes = st_read_module(s, filename, &len, why, sizeof why);
  if (!bytes) {
    st_fail(s, ST_MODULE, filename, NULL, "%s", why);
    return;
  }
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_load(s->engine, bytes, len, &e->module, &err);
  clave_error verr;
  memset(&verr, 0, sizeof verr);
  clave_status vst = clave_module_validate(bytes, len, &verr);
  free(bytes);
  char got[700];
  if (st != CLAVE_OK) {
    e->module = NULL;
    st_error_format(&err, got, sizeof got);
    st_fail(s, ST_MODULE, filename, "a module", "%s", got);
    return;
  }
  if (vst != CLAVE_OK) {
    /* Loaded but the validate-only entry point refuses it: report, and
     * still instantiate so that the script's later commands can run. */
    char vcmd[600];
    snprintf(vcmd, sizeof vcmd, "clave_module_validate(%s)", filename);
    st_error_format(&verr, got, sizeof got);
    st_fail(s, ST_MODULE, vcmd, "success", "%s", got);
  }
  st = st_instantiate(s, e->module, &e->instance, &err);
  if (st != CLAVE_OK) {
    e->instance = NULL;
    st_error_format(&err, got, sizeof got);
    if (vst == CLAVE_OK) /* else already failed: one failure per command */
      st_fail(s, ST_MODULE, filename, "an instance", "%s", got);
    return;
  }
  if (vst == CLAVE_OK) st_pass(s, ST_MODULE);
}

static void st_cmd_register(st_script *s, const json_t *cmd) {
  const char *as = st_get_string(cmd, "as");
  const char *name = st_get_string(cmd, "name");
  char why[512];
  clave_instance *inst = st_find_instance(s, name, why, sizeof why);
  if (!inst) {
    st_fail(s, ST_REGISTER, as, NULL, "%s", why);
    return;
  }
  if (!as) {
    st_fail(s, ST_REGISTER, NULL, NULL, "no \"as\" name");
    return;
  }
  clave_status st = clave_linker_define_instance(s->linker, as, inst);
  if (st != CLAVE_OK) {
    st_fail(s, ST_REGISTER, as, NULL, "linker refused: %s",
            clave_status_name(st));
    return;
  }
  st_pass(s, ST_REGISTER);
}

/* ---- actions ------------------------------------------------------------- */

typedef enum st_act {
  ST_ACT_RAN,  /* the call ran: status and err in the call */
  ST_ACT_SKIP, /* a SIMD value: skip the command */
  ST_ACT_ERROR /* could not be run: why says why */
} st_act;

typedef struct st_call {
  char desc[1024]; /* `invoke "f"(i32:1)` for messages */
  clave_status status;
  clave_error err;
  clave_value *results;
  size_t nresults;
  bool timed_out;
} st_call;

static void st_call_clear(st_call *c) {
  free(c->results);
  c->results = NULL;
  c->nresults = 0;
}

static st_act st_action_run(st_script *s, const json_t *action, st_call *c,
                            char *why, size_t whylen) {
  memset(c, 0, sizeof *c);
  const char *type = st_get_string(action, "type");
  const char *module = st_get_string(action, "module");
  const json_t *field_j = json_object_get(action, "field");
  if (!json_is_object(action) || !type || !json_is_string(field_j)) {
    snprintf(why, whylen, "action without type or field");
    return ST_ACT_ERROR;
  }
  const char *field = json_string_value(field_j);
  size_t field_len = json_string_length(field_j);
  char qfield[256];
  st_quote(field, field_len, qfield, sizeof qfield);
  snprintf(c->desc, sizeof c->desc, "%s %s%s\"%s\"", type, module ? module : "",
           module ? " " : "", qfield);

  bool is_get = strcmp(type, "get") == 0;
  if (!is_get && strcmp(type, "invoke") != 0) {
    snprintf(why, whylen, "unknown action type \"%s\"", type);
    return ST_ACT_ERROR;
  }

  /* Arguments first: a v128 makes the command a skip, whatever else. */
  const json_t *args_j = json_object_get(action, "args");
  size_t nargs = is_get ? 0 : json_array_size(args_j);
  clave_value *args = NULL;
  if (nargs > 0 && !(args = calloc(nargs, sizeof *args))) {
    snprintf(why, whylen, "out of memory");
    return ST_ACT_ERROR;
  }
  if (!is_get) st_append(c->desc, sizeof c->desc, "(");
  for (size_t i = 0; i < nargs; i++) {
    st_parse_result pr =
        st_value_from_json(json_array_get(args_j, i), &args[i], why, whylen);
    if (pr != ST_PARSE_OK) {
      free(args);
      st_append(c->desc, sizeof c->desc, "...)");
      return pr == ST_PARSE_SIMD ? ST_ACT_SKIP : ST_ACT_ERROR;
    }
    char one[80];
    st_value_format(&args[i], one, sizeof one);
    st_append(c->desc, sizeof c->desc, "%s%s", i ? ", " : "", one);
  }
  if (!is_get) st_append(c->desc, sizeof c->desc, ")");

  clave_instance *inst = st_find_instance(s, module, why, whylen);
  if (!inst) {
    free(args);
    return ST_ACT_ERROR;
  }
  clave_extern ext;
  clave_status st = clave_instance_export_n(inst, field, field_len, &ext);
  if (st != CLAVE_OK) {
    free(args);
    snprintf(why, whylen, "no export \"%s\" (%s)", qfield,
             clave_status_name(st));
    return ST_ACT_ERROR;
  }

  if (is_get) {
    if (ext.kind != CLAVE_EXTERN_GLOBAL) {
      snprintf(why, whylen, "export \"%s\" is not a global", qfield);
      return ST_ACT_ERROR;
    }
    if (!(c->results = calloc(1, sizeof *c->results))) {
      snprintf(why, whylen, "out of memory");
      return ST_ACT_ERROR;
    }
    c->results[0] = clave_global_get(ext.of.global);
    c->nresults = 1;
    c->status = CLAVE_OK;
    return ST_ACT_RAN;
  }

  if (ext.kind != CLAVE_EXTERN_FUNC) {
    free(args);
    snprintf(why, whylen, "export \"%s\" is not a function", qfield);
    return ST_ACT_ERROR;
  }
  clave_functype ft;
  clave_func_type(ext.of.func, &ft);
  bool types_ok = ft.nparams == nargs;
  for (size_t i = 0; types_ok && i < nargs; i++)
    types_ok = ft.params[i] == args[i].type;
  if (!types_ok) {
    free(args);
    snprintf(why, whylen,
             "arguments do not match the type of \"%s\" (%" PRIu32 " params)",
             qfield, ft.nparams);
    return ST_ACT_ERROR;
  }
  if (ft.nresults > 0 &&
      !(c->results = calloc(ft.nresults, sizeof *c->results))) {
    free(args);
    snprintf(why, whylen, "out of memory");
    return ST_ACT_ERROR;
  }
  c->nresults = ft.nresults;

  char where[300];
  st_where(s, where, sizeof where);
  st_watchdog_arm(s->opt->watchdog, inst, where);
  c->status = clave_func_call(ext.of.func, args, nargs, c->results, c->nresults,
                              &c->err);
  st_watchdog_disarm(s->opt->watchdog);
  free(args);
  if (c->status == CLAVE_ETRAP && c->err.trap == CLAVE_TRAP_DEADLINE) {
    c->timed_out = true;
    s->counts->timeouts++;
  }
  return ST_ACT_RAN;
}

/* Runs the action of cmd; on anything but ST_ACT_RAN it has already been
 * counted (as skipped or failed). */
static st_act st_action_of(st_script *s, st_kind kind, const json_t *cmd,
                           st_call *c) {
  char why[600];
  st_act a =
      st_action_run(s, json_object_get(cmd, "action"), c, why, sizeof why);
  if (a == ST_ACT_SKIP) {
    st_skip(s, kind, ST_SKIP_SIMD);
  } else if (a == ST_ACT_ERROR) {
    st_fail(s, kind, c->desc[0] ? c->desc : "action", NULL, "%s", why);
  }
  if (a != ST_ACT_RAN) st_call_clear(c);
  return a;
}

static void st_fail_call(st_script *s, st_kind kind, st_call *c,
                         const char *expected) {
  char got[700];
  st_error_format(&c->err, got, sizeof got);
  if (c->timed_out)
    st_fail(s, kind, c->desc, expected, "TIMEOUT after %" PRIu64 " ms: %s",
            s->opt->timeout_ms, got);
  else
    st_fail(s, kind, c->desc, expected, "%s", got);
}

static void st_cmd_action(st_script *s, const json_t *cmd) {
  st_call c;
  if (st_action_of(s, ST_ACTION, cmd, &c) != ST_ACT_RAN) return;
  if (c.status != CLAVE_OK)
    st_fail_call(s, ST_ACTION, &c, "success");
  else
    st_pass(s, ST_ACTION);
  st_call_clear(&c);
}

/* assert_return's results: "expected" lists one value per result;
 * "either" (wabt's form of `(either v1 v2 ...)`) lists alternatives for a
 * single result, any of which passes. */
static void st_cmd_return(st_script *s, const json_t *cmd) {
  const json_t *either_j = json_object_get(cmd, "either");
  bool either = json_is_array(either_j);
  const json_t *exp_j = either ? either_j : json_object_get(cmd, "expected");
  size_t nexp = json_array_size(exp_j);
  st_expected *exp = nexp ? calloc(nexp, sizeof *exp) : NULL;
  if (nexp && !exp) {
    st_fail(s, ST_RETURN, NULL, NULL, "out of memory");
    return;
  }
  char why[600];
  char expected[2048] = "";
  if (nexp != 1)
    st_append(expected, sizeof expected, either ? "(either " : "(");
  for (size_t i = 0; i < nexp; i++) {
    st_parse_result pr = st_expected_from_json(json_array_get(exp_j, i),
                                               &exp[i], why, sizeof why);
    if (pr == ST_PARSE_SIMD) {
      st_skip(s, ST_RETURN, ST_SKIP_SIMD);
      free(exp);
      return;
    }
    if (pr != ST_PARSE_OK) {
      st_fail(s, ST_RETURN, NULL, NULL, "expected value %zu: %s", i, why);
      free(exp);
      return;
    }
    char one[80];
    st_expected_format(&exp[i], one, sizeof one);
    st_append(expected, sizeof expected, "%s%s",
              i ? (either ? " or " : ", ") : "", one);
  }
  if (nexp != 1) st_append(expected, sizeof expected, ")");

  st_call c;
  if (st_action_of(s, ST_RETURN, cmd, &c) != ST_ACT_RAN) {
    free(exp);
    return;
  }
  if (c.status != CLAVE_OK) {
    st_fail_call(s, ST_RETURN, &c, expected);
  } else {
    bool ok;
    if (either) {
      ok = false;
      for (size_t i = 0; !ok && c.nresults == 1 && i < nexp; i++)
        ok = st_value_matches(&exp[i], &c.results[0]);
    } else {
      ok = c.nresults == nexp;
      for (size_t i = 0; ok && i < nexp; i++)
        ok = st_value_matches(&exp[i], &c.results[i]);
    }
    if (ok) {
      st_pass(s, ST_RETURN);
    } else {
      char got[2048];
      st_values_format(c.results, c.nresults, got, sizeof got);
      st_fail(s, ST_RETURN, c.desc, expected, "%s", got);
    }
  }
  free(exp);
  st_call_clear(&c);
}

/* A trap passes when its message starts with the spec's text and its kind
 * agrees with that text (the kind's own text and the expected one agree on
 * their common prefix: "uninitialized element" vs "... element 2"). */
static bool st_trap_matches(const clave_error *err, const char *text, char *why,
                            size_t whylen) {
  if (err->status != CLAVE_ETRAP) {
    snprintf(why, whylen, "no trap");
    return false;
  }
  if (strncmp(err->message, text, strlen(text)) != 0) {
    snprintf(why, whylen, "message does not start with the expected text");
    return false;
  }
  const char *km = clave_trap_message(err->trap);
  size_t n = strlen(km) < strlen(text) ? strlen(km) : strlen(text);
  if (strncmp(km, text, n) != 0) {
    snprintf(why, whylen, "trap kind \"%s\" does not match", km);
    return false;
  }
  return true;
}

static void st_cmd_trap(st_script *s, const json_t *cmd, st_kind kind) {
  const char *text = st_get_string(cmd, "text");
  if (!text) text = "";
  st_call c;
  if (st_action_of(s, kind, cmd, &c) != ST_ACT_RAN) return;
  char expected[600];
  snprintf(expected, sizeof expected, "trap \"%s\"", text);
  char why[200];
  if (c.status == CLAVE_OK) {
    char got[2048];
    st_values_format(c.results, c.nresults, got, sizeof got);
    st_fail(s, kind, c.desc, expected, "a return %s", got);
  } else if (c.timed_out) {
    st_fail_call(s, kind, &c, expected);
  } else if (kind == ST_EXHAUSTION && c.err.trap != CLAVE_TRAP_CALL_STACK) {
    st_fail_call(s, kind, &c, "trap [call stack exhausted]");
  } else if (!st_trap_matches(&c.err, text, why, sizeof why)) {
    char got[700];
    st_error_format(&c.err, got, sizeof got);
    st_fail(s, kind, c.desc, expected, "%s (%s)", got, why);
  } else {
    st_pass(s, kind);
  }
  st_call_clear(&c);
}

/* wabt's wast2json writes a text module that uses data.drop or
 * memory.init without a data count section (it emits one only when the
 * module has data segments), although the binary format requires it
 * whenever code uses a data index; the reference interpreter's encoder
 * writes it.  For an assert_invalid whose binary fails only for that
 * reason, build the binary the text module stands for (the same sections
 * plus a data count section, counting the data segments) so that the
 * assertion checks the validation rule it is about.  Returns a new buffer,
 * or NULL when the module does not have that shape. */
static uint8_t *st_add_datacount(const uint8_t *b, size_t len, size_t *out) {
  if (len < 8) return NULL;
  size_t p = 8, insert_at = len;
  uint32_t ndata = 0;
  while (p < len) {
    size_t start = p;
    uint8_t id = b[p++];
    uint32_t size = 0;
    for (int shift = 0; p < len && shift < 35; shift += 7) {
      uint8_t c = b[p++];
      size |= (uint32_t)(c & 0x7F) << shift;
      if (!(c & 0x80)) break;
    }
    if (size > len - p) return NULL;
    if (id == 12) return NULL; /* it has one: not this case */
    if ((id == 10 || id == 11) && insert_at == len) insert_at = start;
    if (id == 11 && size > 0) ndata = b[p] & 0x7F; /* small counts only */
    if (id == 11 && size > 0 && (b[p] & 0x80)) return NULL;
    p += size;
  }
  uint8_t *n = malloc(len + 3);
  if (!n) return NULL;
  memcpy(n, b, insert_at);
  n[insert_at] = 12;
  n[insert_at + 1] = 1;
  n[insert_at + 2] = (uint8_t)ndata;
  memcpy(n + insert_at + 3, b + insert_at, len - insert_at);
  *out = len + 3;
  return n;
}

/* assert_invalid / assert_malformed: loading must fail with `want`. */
static void st_cmd_bad_module(st_script *s, const json_t *cmd, st_kind kind,
                              clave_status want) {
  const char *filename = st_get_string(cmd, "filename");
  const char *mtype = st_get_string(cmd, "module_type");
  const char *text = st_get_string(cmd, "text");
  if (!text) text = "";
  if (mtype && strcmp(mtype, "text") == 0) {
    st_skip(s, kind, ST_SKIP_TEXT);
    return;
  }
  char expected[600];
  snprintf(expected, sizeof expected, "%s \"%s\"", clave_status_name(want),
           text);
  char why[512];
  size_t len = 0;
  uint8_t *bytes = st_read_module(s, filename, &len, why, sizeof why);
  if (!bytes) {
    st_fail(s, kind, filename, NULL, "%s", why);
    return;
  }
  clave_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_load(s->engine, bytes, len, &m, &err);
  if (want == CLAVE_EINVALID && st == CLAVE_EMALFORMED &&
      strstr(err.message, "data count section required")) {
    size_t fixed_len = 0;
    uint8_t *fixed = st_add_datacount(bytes, len, &fixed_len);
    if (fixed) {
      free(bytes);
      bytes = fixed;
      len = fixed_len;
      memset(&err, 0, sizeof err);
      st = clave_module_load(s->engine, bytes, len, &m, &err);
    }
  }
  /* The validate-only entry point (for tools and fuzzers) must agree. */
  clave_error verr;
  memset(&verr, 0, sizeof verr);
  clave_status vst = clave_module_validate(bytes, len, &verr);
  free(bytes);
  if (st == want && vst == want) {
    st_pass(s, kind);
    return;
  }
  if (st == want) {
    char vcmd[600], vgot[700];
    snprintf(vcmd, sizeof vcmd, "clave_module_validate(%s)", filename);
    if (vst == CLAVE_OK)
      snprintf(vgot, sizeof vgot, "success");
    else
      st_error_format(&verr, vgot, sizeof vgot);
    st_fail(s, kind, vcmd, expected, "%s", vgot);
    return;
  }
  if (st == CLAVE_OK) {
    clave_module_free(m);
    st_fail(s, kind, filename, expected, "a module");
    return;
  }
  char got[700];
  st_error_format(&err, got, sizeof got);
  st_fail(s, kind, filename, expected, "%s", got);
}

/* assert_unlinkable / assert_uninstantiable: the module loads, but
 * instantiation fails with CLAVE_EUNLINKABLE / a trap matching the text. */
static void st_cmd_bad_instance(st_script *s, const json_t *cmd, st_kind kind) {
  const char *filename = st_get_string(cmd, "filename");
  const char *mtype = st_get_string(cmd, "module_type");
  const char *text = st_get_string(cmd, "text");
  if (!text) text = "";
  if (mtype && strcmp(mtype, "text") == 0) {
    st_skip(s, kind, ST_SKIP_TEXT);
    return;
  }
  char expected[600];
  snprintf(
      expected, sizeof expected, "%s \"%s\"",
      kind == ST_UNLINKABLE ? clave_status_name(CLAVE_EUNLINKABLE) : "trap",
      text);
  char why[512];
  size_t len = 0;
  uint8_t *bytes = st_read_module(s, filename, &len, why, sizeof why);
  if (!bytes) {
    st_fail(s, kind, filename, NULL, "%s", why);
    return;
  }
  clave_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_load(s->engine, bytes, len, &m, &err);
  free(bytes);
  char got[700];
  if (st != CLAVE_OK) {
    st_error_format(&err, got, sizeof got);
    st_fail(s, kind, filename, "a module", "%s", got);
    return;
  }
  clave_instance *inst = NULL;
  memset(&err, 0, sizeof err);
  st = st_instantiate(s, m, &inst, &err);
  if (st == CLAVE_OK) {
    clave_instance_free(inst);
    clave_module_free(m);
    st_fail(s, kind, filename, expected, "an instance");
    return;
  }
  clave_module_free(m);
  st_error_format(&err, got, sizeof got);
  if (kind == ST_UNLINKABLE) {
    if (st == CLAVE_EUNLINKABLE)
      st_pass(s, kind);
    else
      st_fail(s, kind, filename, expected, "%s", got);
    return;
  }
  if (st == CLAVE_ETRAP && err.trap == CLAVE_TRAP_DEADLINE) {
    st_fail(s, kind, filename, expected, "TIMEOUT after %" PRIu64 " ms: %s",
            s->opt->timeout_ms, got);
  } else if (!st_trap_matches(&err, text, why, sizeof why)) {
    st_fail(s, kind, filename, expected, "%s (%s)", got, why);
  } else {
    st_pass(s, kind);
  }
}

/* ---- the script ---------------------------------------------------------- */

static void st_command(st_script *s, const json_t *cmd) {
  const char *type = st_get_string(cmd, "type");
  json_t *line = json_object_get(cmd, "line");
  s->line = json_is_integer(line) ? (uint32_t)json_integer_value(line) : 0;
  snprintf(st_current_location, sizeof st_current_location,
           "%s:%" PRIu32 " (%s)", s->label, s->line, type ? type : "?");
  if (s->opt->trace) fprintf(stderr, "%s\n", st_current_location);
  int listed = st_skiplist_line(s->opt->skips, s->name, s->line);
  st_kind kind;
  if (listed >= 0 && type && st_kind_parse(type, &kind)) {
    st_skip(s, kind, (st_skip_reason)listed);
  } else if (!type) {
    st_script_error(s, "command without a type");
  } else if (strcmp(type, "module") == 0) {
    st_cmd_module(s, cmd);
  } else if (strcmp(type, "register") == 0) {
    st_cmd_register(s, cmd);
  } else if (strcmp(type, "action") == 0) {
    st_cmd_action(s, cmd);
  } else if (strcmp(type, "assert_return") == 0) {
    st_cmd_return(s, cmd);
  } else if (strcmp(type, "assert_trap") == 0) {
    st_cmd_trap(s, cmd, ST_TRAP);
  } else if (strcmp(type, "assert_exhaustion") == 0) {
    st_cmd_trap(s, cmd, ST_EXHAUSTION);
  } else if (strcmp(type, "assert_invalid") == 0) {
    st_cmd_bad_module(s, cmd, ST_INVALID, CLAVE_EINVALID);
  } else if (strcmp(type, "assert_malformed") == 0) {
    st_cmd_bad_module(s, cmd, ST_MALFORMED, CLAVE_EMALFORMED);
  } else if (strcmp(type, "assert_unlinkable") == 0) {
    st_cmd_bad_instance(s, cmd, ST_UNLINKABLE);
  } else if (strcmp(type, "assert_uninstantiable") == 0) {
    st_cmd_bad_instance(s, cmd, ST_UNINSTANTIABLE);
  } else {
    st_script_error(s, "unknown command type \"%s\"", type);
  }
}

static void st_script_free(st_script *s) {
  if (s->linker) clave_linker_free(s->linker);
  for (size_t i = s->nentries; i-- > 0;) {
    if (s->entries[i].instance) clave_instance_free(s->entries[i].instance);
  }
  for (size_t i = s->nentries; i-- > 0;) {
    if (s->entries[i].module) clave_module_free(s->entries[i].module);
    free(s->entries[i].name);
  }
  free(s->entries);
  if (s->engine) clave_engine_free(s->engine);
}

void st_script_run(const char *json_path, const char *name,
                   const st_options *opt, st_counts *counts, char *label,
                   size_t label_len) {
  st_script s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.opt = opt;
  s.counts = counts;
  s.current = -1;
  s.limits.timeout_ms = opt->timeout_ms;

  const char *slash = strrchr(json_path, '/');
  const char *base = slash ? slash + 1 : json_path;
  if (slash)
    snprintf(s.dir, sizeof s.dir, "%.*s", (int)(slash - json_path), json_path);
  else
    snprintf(s.dir, sizeof s.dir, ".");
  snprintf(label, label_len, "%s", base);
  s.label = label;

  json_error_t jerr;
  json_t *root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
  if (!root) {
    st_script_error(&s, "cannot read %s: %s (line %d)", json_path, jerr.text,
                    jerr.line);
    return;
  }
  const char *src = st_get_string(root, "source_filename");
  if (src) {
    const char *srcbase = strrchr(src, '/');
    snprintf(label, label_len, "%s", srcbase ? srcbase + 1 : src);
  }
  const json_t *cmds = json_object_get(root, "commands");
  if (!json_is_array(cmds)) {
    st_script_error(&s, "%s: no \"commands\" array", json_path);
    json_decref(root);
    return;
  }

  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tier = opt->tier;
  cfg.flags = opt->engine_flags;
  cfg.cache_dir = opt->aot_cache;
  s.engine = clave_engine_new(&cfg);
  s.linker = s.engine ? clave_linker_new(s.engine) : NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  if (!s.linker) {
    st_script_error(&s, "cannot create an engine and linker");
  } else if (st_host_define(s.engine, s.linker, opt->verbose, &err) !=
             CLAVE_OK) {
    st_script_error(&s, "cannot define the spectest module: %s", err.message);
  } else {
    for (size_t i = 0; i < json_array_size(cmds); i++)
      st_command(&s, json_array_get(cmds, i));
  }
  snprintf(st_current_location, sizeof st_current_location,
           "%s (freeing the script's objects)", s.label);
  st_script_free(&s);
  json_decref(root);
  st_current_location[0] = '\0';
}
