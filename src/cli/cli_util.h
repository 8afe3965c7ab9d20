/*
 * cli_util.h - helpers shared by the clave subcommands.
 *
 * Every subcommand is a function `int clave_cmd_NAME(int argc, char
 * **argv)` in src/cli/cmd_NAME.c (argv[0] is the command's name), listed
 * in the table of main.c, and answers `--help`.  It returns the process
 * exit status.  Messages follow one shape: one line "error: ..." on stderr
 * for anything that stops the command, naming the file or option at
 * fault.
 *
 * The option parser is small on purpose: long options ("--fuel N" or
 * "--fuel=N"), optional short aliases ("-h"), positionals either mixed in
 * or ending the options (for commands that pass the rest on, like
 * `clave wasm run FILE ARGS...`), and "--" to end the options.
 */
#ifndef CLAVE_CLI_UTIL_H
#define CLAVE_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

/* The type of every subcommand: declare one as `clave_cli_fn clave_cmd_x;`. */
typedef int clave_cli_fn(int argc, char **argv);

/* ---- messages ----------------------------------------------------------- */

/* Print "error: <message>" on stderr; returns 1 (the usual exit status). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "error: <message>" and "Try 'clave help CMD'." on stderr; returns 1. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "trap: <message>" for a trap in err on stderr, on a line of its
 * own even when the program's output (the last bytes of log) did not end
 * one; returns 1. */
int cli_trap(const clave_error *err, const char *log, size_t log_len);

/* ---- options ------------------------------------------------------------ */

typedef struct cli_opt {
  const char *name; /* "fuel" for --fuel */
  char short_name;  /* 'h' for -h, or 0 */
  bool has_arg;
  int id;           /* returned by cli_next; must be > 0 */
} cli_opt;

enum {
  CLI_END = 0,         /* no more arguments */
  CLI_POSITIONAL = -1, /* p->arg is a positional argument */
  CLI_BAD = -2         /* p->error says what is wrong */
};

typedef struct cli_parser {
  int argc;
  char **argv;
  int index;            /* next argv element to look at */
  const cli_opt *opts;  /* terminated by an entry with name NULL */
  bool opts_done;       /* after "--": everything is positional */
  const char *arg;      /* the option's value or the positional */
  const char *opt_text; /* the option as written ("--fuel") */
  char error[256];
} cli_parser;

/* Start parsing argv[1..] (argv[0] is the command). */
void cli_parser_init(cli_parser *p, int argc, char **argv,
                     const cli_opt *opts);
/* The next option's id, CLI_POSITIONAL, CLI_END or CLI_BAD. */
int cli_next(cli_parser *p);

/* The limit options every command that runs wasm takes; put
 * CLI_LIMIT_OPTS in its cli_opt table and hand those ids to
 * cli_limit_option. */
enum { CLI_OPT_FUEL = 1000, CLI_OPT_MAX_MEMORY, CLI_OPT_TIMEOUT };
#define CLI_LIMIT_OPTS                                                    \
  {"fuel", 0, true, CLI_OPT_FUEL},                                        \
      {"max-memory", 0, true, CLI_OPT_MAX_MEMORY},                        \
      {"timeout", 0, true, CLI_OPT_TIMEOUT}
#define CLI_LIMIT_HELP                                                    \
  "  --fuel N            stop with a trap after N units of fuel\n"        \
  "  --max-memory MIB    linear memory limit in MiB (default 4096)\n"     \
  "  --timeout SEC       wall-clock limit in seconds (decimals allowed)\n"
/* Apply a limit option (id CLI_OPT_*) with value p->arg to lim; false
 * with p->error set when the value is not valid. */
bool cli_limit_option(cli_parser *p, int id, clave_limits *lim);

/* The engine options (tier and AOT cache) of commands that run wasm: put
 * CLI_ENGINE_OPTS in the cli_opt table, hand those ids to
 * cli_engine_option, and make the engine from the config it filled
 * (docs/aot.md). */
enum { CLI_OPT_ENGINE = 1100, CLI_OPT_AOT_CACHE, CLI_OPT_AOT_BOUNDS };
#define CLI_ENGINE_OPTS                                                   \
  {"engine", 0, true, CLI_OPT_ENGINE},                                    \
      {"aot-cache", 0, true, CLI_OPT_AOT_CACHE},                          \
      {"aot-bounds-checks", 0, false, CLI_OPT_AOT_BOUNDS}
#define CLI_ENGINE_HELP(dflt)                                             \
  "  --engine TIER       interp, aot (native code through the C\n"        \
  "                      compiler, cached) or auto (default: " dflt ")\n" \
  "  --aot-cache DIR     folder of compiled modules (default\n"          \
  "                      $XDG_CACHE_HOME/clave or ~/.cache/clave)\n"      \
  "  --aot-bounds-checks AOT code checks every memory access instead\n"  \
  "                      of using guard pages\n"
/* Apply an engine option (id CLI_OPT_ENGINE...) to cfg; false with
 * p->error set when the value is not valid. */
bool cli_engine_option(cli_parser *p, int id, clave_engine_config *cfg);

/* Parse a decimal unsigned integer (no sign, no junk); false if not one or
 * above max. */
bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Parse seconds ("2", "0.25") into milliseconds (at least 1 when > 0). */
bool cli_parse_seconds(const char *s, uint64_t *ms);
/* Split "KEY=VALUE" at the first '=' (KEY not empty); false if no '='. */
bool cli_split_kv(const char *s, char **key, const char **value);

/* ---- files -------------------------------------------------------------- */

/* Read a whole file ("-" is stdin).  On failure returns false and writes
 * "PATH: reason" into msg. */
bool cli_read_file(const char *path, uint8_t **data, size_t *len, char *msg,
                   size_t msg_size);
/* Write a whole file (created or truncated). */
bool cli_write_file(const char *path, const void *data, size_t len, char *msg,
                    size_t msg_size);

#endif /* CLAVE_CLI_UTIL_H */
