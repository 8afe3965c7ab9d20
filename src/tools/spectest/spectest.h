/*
 * spectest.h - internals of clave-spectest, the WebAssembly spec-test runner.
 *
 * The runner reads the JSON scripts that wabt's wast2json writes (one
 * command per assertion, modules as separate .wasm files) and drives
 * Clave's engine through its public API only (clave/engine.h), exactly as
 * an embedder would.  It never includes engine internals: a spec failure
 * must be reproducible by any embedder with the same calls.
 *
 * Files:
 *   main.c      options, the per-file table, the final count line
 *   counts.c    command kinds, skip reasons, tallies
 *   script.c    runs the commands of one JSON script
 *   value.c     JSON values <-> clave_value, NaN classes, formatting
 *   host.c      the `spectest` host module the suite imports
 *   lists.c     the skip list and the pass-count ratchet files
 *   watchdog.c  a thread that stops (then aborts) a call that hangs
 *   selftest.c  checks of the runner's own parsing and comparisons
 */
#ifndef CLAVE_SPECTEST_H
#define CLAVE_SPECTEST_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clave/engine.h"

/* ---- command kinds and counts ----------------------------------------- */

typedef enum st_kind {
  ST_MODULE = 0,     /* a module to instantiate */
  ST_REGISTER,       /* register an instance's exports under a name */
  ST_ACTION,         /* a bare invoke/get */
  ST_RETURN,         /* assert_return */
  ST_TRAP,           /* assert_trap */
  ST_EXHAUSTION,     /* assert_exhaustion */
  ST_INVALID,        /* assert_invalid */
  ST_MALFORMED,      /* assert_malformed */
  ST_UNLINKABLE,     /* assert_unlinkable */
  ST_UNINSTANTIABLE, /* assert_uninstantiable (assert_trap on a module) */
  ST_KIND_COUNT
} st_kind;

/* Why a command was skipped; every reason is justified in the skip list.
 * TEXT and SIMD are recognised from the command itself; the others only
 * apply to the commands that the skip list names by line. */
typedef enum st_skip_reason {
  ST_SKIP_TEXT = 0,  /* a text-format module (module quote): no text parser */
  ST_SKIP_SIMD,      /* a v128 value: SIMD is not supported yet */
  ST_SKIP_DATACOUNT, /* wabt's binary lacks the data count section the
                        text module's assertion does not expect */
  ST_SKIP_COUNT
} st_skip_reason;

typedef struct st_counts {
  uint32_t passed[ST_KIND_COUNT];
  uint32_t failed[ST_KIND_COUNT];
  uint32_t skipped[ST_KIND_COUNT];
  uint32_t skipped_for[ST_SKIP_COUNT];
  uint32_t errors;   /* script-level problems: bad JSON, missing file... */
  uint32_t timeouts; /* calls stopped by the deadline (also failures) */
  uint32_t crashes;  /* the script's process died (also an error) */
} st_counts;

/* The kinds' names are the JSON command types ("assert_return"). */
const char *st_kind_name(st_kind kind);
bool st_kind_parse(const char *name, st_kind *out);
const char *st_skip_reason_name(st_skip_reason reason);
/* Parse a reason name ("text", "SIMD", "datacount"); false if unknown. */
bool st_skip_reason_parse(const char *name, st_skip_reason *out);
/* True for the reasons that the skip list must give line by line. */
bool st_skip_reason_by_line(st_skip_reason reason);

uint32_t st_counts_passed(const st_counts *c);
/* Failed commands plus script-level errors. */
uint32_t st_counts_failed(const st_counts *c);
uint32_t st_counts_skipped(const st_counts *c);
void st_counts_add(st_counts *to, const st_counts *c);

/* ---- values ------------------------------------------------------------ */

typedef enum st_match {
  ST_MATCH_EXACT = 0,      /* same type and same bits */
  ST_MATCH_NAN_CANONICAL,  /* any canonical NaN (either sign) */
  ST_MATCH_NAN_ARITHMETIC, /* any NaN with the quiet bit set */
  ST_MATCH_NONNULL         /* any non-null reference of the type */
} st_match;

typedef struct st_expected {
  st_match match;
  clave_value value; /* type always set; bits for ST_MATCH_EXACT */
  /* v128 only (match is ST_MATCH_EXACT): the lane shape the script wrote
   * and, per lane, exact bits or a NaN class (float lanes) */
  uint8_t lane_bits; /* 8, 16, 32 or 64; 0 when not a v128 */
  bool float_lanes;
  st_match lanes[16];
} st_expected;

typedef enum st_parse_result {
  ST_PARSE_OK = 0,
  ST_PARSE_BAD, /* malformed value; the message says why */
  ST_PARSE_SIMD /* no longer returned: v128 values are parsed */
} st_parse_result;

/* "i32" -> CLAVE_I32 ...; false if the name is unknown. */
bool st_valtype_parse(const char *name, clave_valtype *out);
const char *st_valtype_name(clave_valtype type);

/* The host pointer standing for `ref.extern N`: distinct and non-NULL. */
void *st_extern_ref(uint64_t n);

/* An argument value from its type name and wast2json text ("42", "null").
 * text may be NULL (no "value" field).  why gets a message on failure.
 * A v128 has no text form (its lanes are a JSON array): use the _json
 * functions, which read {"type": "v128", "lane_type": "i32", "value":
 * ["1", "2", "3", "4"]} (lanes as unsigned decimal bit patterns; an
 * expected float lane may be a NaN class). */
st_parse_result st_value_from_text(const char *type, const char *text,
                                   clave_value *out, char *why, size_t whylen);
/* An expected result, which may also be a NaN class ("nan:canonical",
 * "nan:arithmetic") or a reference that is any non-null one. */
st_parse_result st_expected_from_text(const char *type, const char *text,
                                      st_expected *out, char *why,
                                      size_t whylen);
/* The same from a JSON object {"type": ..., "value": ...}. */
st_parse_result st_value_from_json(const json_t *obj, clave_value *out,
                                   char *why, size_t whylen);
st_parse_result st_expected_from_json(const json_t *obj, st_expected *out,
                                      char *why, size_t whylen);

bool st_value_matches(const st_expected *expected, const clave_value *got);
bool st_f32_is_canonical_nan(uint32_t bits);
bool st_f32_is_arithmetic_nan(uint32_t bits);
bool st_f64_is_canonical_nan(uint64_t bits);
bool st_f64_is_arithmetic_nan(uint64_t bits);

/* Human-readable forms for messages: "i32:-2", "f32:1.5 (0x3fc00000)". */
void st_value_format(const clave_value *v, char *buf, size_t len);
void st_expected_format(const st_expected *e, char *buf, size_t len);

/* ---- the spectest host module ------------------------------------------ */

/* Define spectest.print*, global_*, table and memory in the linker.
 * verbose: the print functions write their arguments to stdout. */
clave_status st_host_define(clave_engine *engine, clave_linker *linker,
                            bool verbose, clave_error *err);

/* ---- watchdog ----------------------------------------------------------- */

/* Guards against an engine that ignores its own deadline: once a command
 * runs soft_ms it interrupts the instance; at hard_ms it prints where the
 * runner hung and exits the process (a hang must never stall the suite). */
typedef struct st_watchdog {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool started;
  bool stop;
  bool armed;
  bool interrupted;
  uint64_t armed_at_ms; /* CLOCK_MONOTONIC */
  uint64_t soft_ms;
  uint64_t hard_ms;
  clave_instance *instance; /* may be NULL (instantiation) */
  char where[256];
} st_watchdog;

int st_watchdog_start(st_watchdog *wd, uint64_t soft_ms, uint64_t hard_ms);
void st_watchdog_arm(st_watchdog *wd, clave_instance *instance,
                     const char *where);
void st_watchdog_disarm(st_watchdog *wd);
void st_watchdog_stop(st_watchdog *wd);
uint64_t st_now_ms(void);

/* ---- running one script ------------------------------------------------- */

typedef struct st_options {
  bool verbose;        /* -v: every failure in full, host prints */
  bool quiet;          /* -q: no per-failure lines */
  bool trace;          /* --trace: each command to stderr before it runs */
  bool tty;            /* stdout is a terminal showing a progress line */
  uint64_t timeout_ms; /* per top-level call */
  st_watchdog *watchdog;
  const struct st_skiplist *skips; /* may be NULL */
  clave_tier tier;        /* --engine: the tier of the engine of a script */
  uint32_t engine_flags;  /* --aot-bounds-checks, --aot-no-cache */
  const char *aot_cache;  /* --aot-cache: folder of AOT objects, or NULL */
} st_options;

/* Run every command of one wast2json script; counts go to *counts.  name
 * is the script's name in the skip list ("i32"); label receives its name
 * in messages (its source .wast name). */
void st_script_run(const char *json_path, const char *name,
                   const st_options *opt, st_counts *counts, char *label,
                   size_t label_len);

/* The location of the command being run, for crash reports ("i32.wast:12").
 * The one piece of process state of the runner: a signal handler needs it. */
extern char st_current_location[256];

/* ---- skip list and ratchet --------------------------------------------- */

typedef struct st_file_result {
  char name[128]; /* the script's base name without .json ("i32") */
  st_counts counts;
} st_file_result;

/* The skip list: lines "SCRIPT REASON COUNT [LINE...]"; LINEs (as many as
 * COUNT) are given exactly for the reasons st_skip_reason_by_line. */
typedef struct st_skip_entry {
  char script[128];
  st_skip_reason reason;
  uint32_t count;
  uint32_t *lines; /* count of them for by-line reasons, else NULL */
} st_skip_entry;

typedef struct st_skiplist {
  st_skip_entry *entries;
  size_t n;
} st_skiplist;

/* Read a skip list; bad lines are said on out.  0, or -1. */
int st_skiplist_load(const char *path, st_skiplist *out, FILE *msg);
void st_skiplist_free(st_skiplist *list);
/* The by-line reason for skipping the command at `line` of `script`, or
 * -1 when the list names no such command. */
int st_skiplist_line(const st_skiplist *list, const char *script,
                     uint32_t line);
/* Compare the run's skips with the list: every difference (per script and
 * reason, in either direction) is said on out and counted as an error of
 * that script.  Scripts that were not run are not checked. */
void st_skips_check(const st_skiplist *list, st_file_result *files,
                    size_t nfiles, FILE *out);
/* Check per-file passes against the ratchet file (lines "FILE COUNT"):
 * returns the number of files below their recorded count or recorded but
 * not run (each said on out), or -1 if the file cannot be read. */
int st_ratchet_check(const char *path, const st_file_result *files,
                     size_t nfiles, FILE *out);
/* Write the ratchet file from this run's passes.  0 or -1. */
int st_ratchet_write(const char *path, const st_file_result *files,
                     size_t nfiles);

/* ---- self test ---------------------------------------------------------- */

/* Checks of the value parser and comparisons; prints each failure and
 * returns the number of failed checks. */
int st_self_test(void);

#endif /* CLAVE_SPECTEST_H */
