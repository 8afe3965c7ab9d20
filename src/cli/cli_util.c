/*
 * cli_util.c - option parsing, file reading and messages for the CLI.
 *
 * Shared by every subcommand so that they all parse and complain the same
 * way.  Nothing here exits the process: each helper reports and returns,
 * and the command decides its exit status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"

int cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fprintf(stderr, "Try 'clave help %s'.\n", cmd);
  return 1;
}

int cli_trap(const clave_error *err, const char *log, size_t log_len) {
  fflush(stdout);
  if (log_len && log[log_len - 1] != '\n') fputc('\n', stderr);
  fprintf(stderr, "trap: %s\n",
          err->message[0] ? err->message : clave_trap_message(err->trap));
  return 1;
}

/* ---- options ------------------------------------------------------------ */

void cli_parser_init(cli_parser *p, int argc, char **argv,
                     const cli_opt *opts) {
  memset(p, 0, sizeof *p);
  p->argc = argc;
  p->argv = argv;
  p->index = 1;
  p->opts = opts;
}

static int cli_bad(cli_parser *p, const char *fmt, const char *what) {
  snprintf(p->error, sizeof p->error, fmt, what);
  return CLI_BAD;
}

int cli_next(cli_parser *p) {
  p->arg = NULL;
  p->opt_text = NULL;
  if (p->index >= p->argc) return CLI_END;
  char *a = p->argv[p->index++];
  if (p->opts_done || a[0] != '-' || a[1] == '\0') {
    p->arg = a;
    return CLI_POSITIONAL;
  }
  if (strcmp(a, "--") == 0) {
    p->opts_done = true;
    return cli_next(p);
  }
  p->opt_text = a;
  const cli_opt *o = NULL;
  const char *inline_value = NULL;
  if (a[1] == '-') {
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const cli_opt *q = p->opts; q && q->name; q++) {
      if (strlen(q->name) == len && memcmp(q->name, name, len) == 0) {
        o = q;
        break;
      }
    }
    if (o && eq) inline_value = eq + 1;
  } else if (a[2] == '\0') {
    for (const cli_opt *q = p->opts; q && q->name; q++) {
      if (q->short_name && q->short_name == a[1]) {
        o = q;
        break;
      }
    }
  }
  if (!o) return cli_bad(p, "unknown option '%s'", a);
  if (!o->has_arg) {
    if (inline_value) return cli_bad(p, "option '%s' takes no value", a);
    return o->id;
  }
  if (inline_value) {
    p->arg = inline_value;
  } else {
    if (p->index >= p->argc) return cli_bad(p, "option '%s' needs a value", a);
    p->arg = p->argv[p->index++];
  }
  return o->id;
}

bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

bool cli_parse_seconds(const char *s, uint64_t *ms) {
  if (!s || *s < '0' || *s > '9') return false;
  uint64_t whole = 0, frac_ms = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    whole = whole * 10 + (uint64_t)(*p - '0');
    if (whole > 1000000000u) return false; /* about 31 years */
  }
  bool frac_nonzero = false;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return false;
    uint64_t scale = 100;
    for (; *p >= '0' && *p <= '9'; p++) {
      if (*p != '0') frac_nonzero = true;
      frac_ms += (uint64_t)(*p - '0') * scale;
      scale /= 10;
    }
  }
  if (*p) return false;
  *ms = whole * 1000 + frac_ms;
  if (*ms == 0 && frac_nonzero) *ms = 1;
  return true;
}

bool cli_split_kv(const char *s, char **key, const char **value) {
  const char *eq = strchr(s, '=');
  if (!eq || eq == s) return false;
  *key = strndup(s, (size_t)(eq - s));
  if (!*key) return false;
  *value = eq + 1;
  return true;
}

bool cli_limit_option(cli_parser *p, int id, clave_limits *lim) {
  uint64_t v = 0;
  switch (id) {
    case CLI_OPT_FUEL:
      if (!cli_parse_u64(p->arg, UINT64_MAX, &v) || v == 0) {
        snprintf(p->error, sizeof p->error,
                 "--fuel: '%s' is not a positive integer", p->arg);
        return false;
      }
      lim->fuel = v;
      return true;
    case CLI_OPT_MAX_MEMORY:
      if (!cli_parse_u64(p->arg, 4096, &v) || v == 0) {
        snprintf(p->error, sizeof p->error,
                 "--max-memory: '%s' is not a size in MiB from 1 to 4096",
                 p->arg);
        return false;
      }
      lim->max_memory_bytes = v << 20;
      return true;
    case CLI_OPT_TIMEOUT:
      if (!cli_parse_seconds(p->arg, &v) || v == 0) {
        snprintf(p->error, sizeof p->error,
                 "--timeout: '%s' is not a positive number of seconds",
                 p->arg);
        return false;
      }
      lim->timeout_ms = v;
      return true;
  }
  snprintf(p->error, sizeof p->error, "internal: option %d is not a limit",
           id);
  return false;
}

bool cli_engine_option(cli_parser *p, int id, clave_engine_config *cfg) {
  switch (id) {
    case CLI_OPT_ENGINE:
      if (!clave_tier_parse(p->arg, &cfg->tier)) {
        snprintf(p->error, sizeof p->error,
                 "--engine: '%s' is not interp, aot or auto", p->arg);
        return false;
      }
      return true;
    case CLI_OPT_AOT_CACHE:
      cfg->cache_dir = p->arg;
      return true;
    case CLI_OPT_AOT_BOUNDS:
      cfg->flags |= CLAVE_ENGINE_AOT_BOUNDS_CHECKS;
      return true;
  }
  snprintf(p->error, sizeof p->error,
           "internal: option %d is not an engine option", id);
  return false;
}

/* ---- files -------------------------------------------------------------- */

bool cli_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
                   size_t msg_size) {
  *data = NULL;
  *len = 0;
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
    return false;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  bool ok = buf != NULL;
  while (ok) {
    if (n == cap) {
      uint8_t *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
      if (!b) {
        ok = false;
        errno = ENOMEM;
        break;
      }
      buf = b;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) ok = false;
      break;
    }
  }
  int saved = errno;
  if (!is_stdin) fclose(f);
  if (!ok) {
    snprintf(msg, msg_size, "%s: %s", path, strerror(saved ? saved : EIO));
    free(buf);
    return false;
  }
  *data = buf;
  *len = n;
  return true;
}

bool cli_write_file(const char *path, const void *data, size_t len, char *msg,
                    size_t msg_size) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
    return false;
  }
  bool ok = len == 0 || fwrite(data, 1, len, f) == len;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) snprintf(msg, msg_size, "%s: %s", path, strerror(saved ? saved : EIO));
  return ok;
}
