/*
 * cx_internal.h - the executor's internals, shared by its files only.
 *
 * A run (cx_run) is the state one clave_program_run owns: the payload's
 * open handles, its collected outputs and log, and the request it serves.
 * Host functions are created per run with the run as their user pointer,
 * so two runs (even of the same program) share nothing mutable.
 *
 * The tables of host functions (cx_env_defs, cx_wasi_defs) are constant:
 * a module's imports are matched against them once, at load time, and
 * anything not in them is refused before the payload can run.
 */
#ifndef CLAVE_EXECUTOR_CX_INTERNAL_H
#define CLAVE_EXECUTOR_CX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"
#include "clave/executor.h"

/* ---- limits (every hard limit of the executor is here) ----------------- */

#define CX_DEFAULT_MAX_LOG ((size_t)1 << 20)          /* 1 MiB */
#define CX_DEFAULT_MAX_OUTPUT ((size_t)256 << 20)     /* 256 MiB */
#define CX_MAX_FID_LEN 4096     /* longest fid scanned in linear memory */
#define CX_MAX_HANDLES 4096     /* handles a run may open (never reused) */
#define CX_MAX_ARGS_BYTES ((size_t)64 << 20) /* flattened argument block */
#define CX_HANDLE_BASE 3        /* first handle value a payload sees */
#define CX_PAGE 65536u

/* ---- host function tables --------------------------------------------- */

/* A host function the executor can supply.  params/results spell the
 * wasm type: 'i' i32, 'I' i64 (results "" or "i"). */
typedef struct cx_hostdef {
  const char *module;
  const char *name;
  const char *params;
  const char *results;
  clave_host_fn fn;
} cx_hostdef;

extern const cx_hostdef cx_env_defs[];
extern const size_t cx_env_ndefs;
extern const cx_hostdef cx_wasi_defs[];
extern const size_t cx_wasi_ndefs;

/* ---- per-run state ------------------------------------------------------ */

typedef struct cx_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} cx_buf;

typedef enum cx_handle_kind { CX_H_READ = 1, CX_H_WRITE = 2 } cx_handle_kind;

typedef struct cx_handle {
  uint8_t kind;   /* cx_handle_kind */
  bool closed;
  uint32_t index; /* into req->inputs or run->outs */
  size_t pos;     /* read position (inputs) */
} cx_handle;

typedef struct cx_out {
  cx_buf buf;
  bool created;
} cx_out;

typedef struct cx_run {
  const clave_exec_request *req;
  cx_out *outs;              /* one per req->outputs */
  cx_handle *handles;
  uint32_t nhandles;
  uint32_t handles_cap;
  size_t max_output;
  /* log: stdout and stderr of the payload, interleaved as written */
  cx_buf log;
  size_t max_log;
  bool log_truncated;
  bool stdio_closed[3];      /* WASI fd_close on 0, 1, 2 */
  /* WASI argv (argv for _start, none for a function) */
  const char *const *argv;
  size_t argc;
} cx_run;

/* Append to the run's log, keeping at most max_log bytes. */
void cx_log_append(cx_run *run, const void *data, size_t len);

/* Grow b so that it can hold need more bytes; false when out of memory. */
bool cx_buf_reserve(cx_buf *b, size_t need);

/* Check that [ptr, ptr + len) lies inside the caller's memory and return
 * a host pointer to it, or NULL.  len 0 is fine anywhere up to the end. */
uint8_t *cx_mem_range(clave_caller *caller, uint32_t ptr, uint64_t len);

/* ---- arguments --------------------------------------------------------- */

/* The flattened argument strings [k1, v1, k2, v2, ...] of a JSON object. */
typedef struct cx_args {
  char **strs;   /* malloc'ed, NUL terminated */
  size_t *lens;
  size_t count;  /* twice the number of keys */
} cx_args;

clave_status cx_args_parse(const char *json, cx_args *out, clave_error *err);
void cx_args_free(cx_args *args);
/* Copy the strings and the pointer array into the instance's memory
 * (through its exported malloc, or above its data by growing memory) and
 * return the wasm address of the pointer array in *argv_addr. */
clave_status cx_args_place(clave_instance *inst, const cx_args *args,
                           uint32_t *argv_addr, clave_error *err);

/* Fill err (may be NULL) with a status and a formatted message. */
void cx_error(clave_error *err, clave_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CLAVE_EXECUTOR_CX_INTERNAL_H */
