/*
 * clave/executor.h - run one function: Teaclave-compatible payload ABI.
 *
 * A "program" is a payload module loaded once (decoded, validated,
 * translated) and kept for many runs; each run gets a fresh instance with
 * its own limits, the task's arguments, its input files (plaintext, held in
 * memory only) and its output files (collected in memory).  The payload
 * sees the Teaclave host API (module "env": teaclave_open_input,
 * teaclave_create_output, teaclave_read_file, teaclave_write_file,
 * teaclave_close_file) and a WASI preview1 subset with no file system.
 *
 * The executor never touches the host file system on the payload's behalf:
 * the caller supplies input bytes and receives output bytes.
 */
#ifndef CLAVE_EXECUTOR_H
#define CLAVE_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clave_program clave_program;

/* Load a payload.  Refuses a module whose imports the executor cannot
 * satisfy (names the import) or that lacks the entry point (for
 * CLAVE_ENTRY_TEACLAVE).  engine may be NULL: the program then owns one. */
clave_status clave_program_load(clave_engine *engine, const uint8_t *bytes,
                                size_t len, clave_program **out,
                                clave_error *err);
void clave_program_free(clave_program *prog);
/* The engine module behind a program (borrowed). */
const clave_module *clave_program_module(const clave_program *prog);

typedef struct clave_exec_input {
  const char *name;    /* the fid the payload opens */
  const uint8_t *data; /* plaintext; borrowed for the run */
  size_t len;
} clave_exec_input;

typedef struct clave_exec_output {
  const char *name; /* the fid the payload creates */
  uint8_t *data;    /* filled by the run (malloc'ed, freed by
                       clave_exec_result_free); NULL if never created */
  size_t len;
  int created;      /* 1 when the payload created this output */
} clave_exec_output;

typedef enum clave_entry_kind {
  CLAVE_ENTRY_TEACLAVE = 0, /* int entrypoint(int argc, char **argv) */
  CLAVE_ENTRY_WASI_START = 1 /* _start: a WASI command (clave wasm run) */
} clave_entry_kind;

typedef struct clave_exec_request {
  clave_entry_kind entry;
  /* CLAVE_ENTRY_TEACLAVE: a JSON object of string keys (NULL = {}),
   * flattened to [k1, v1, ...] in sorted key order; non-string values are
   * passed as their JSON text. */
  const char *args_json;
  /* CLAVE_ENTRY_WASI_START: argv for the command (argv[0] first). */
  const char *const *argv;
  size_t argc;
  const clave_exec_input *inputs;
  size_t ninputs;
  clave_exec_output *outputs; /* names set by the caller, data filled */
  size_t noutputs;
  clave_limits limits;        /* fuel, memory, timeout, stack, depth */
  size_t max_log_bytes;       /* 0: 1 MiB; the log is cut beyond it */
  size_t max_output_bytes;    /* per output; 0: 256 MiB */
  /* When set, WASI fd_write to stdout/stderr also goes straight to these
   * host descriptors (clave wasm run); the log is still collected. */
  int passthrough_stdout_fd;  /* -1 = off (clave_exec_request_init) */
  int passthrough_stderr_fd;
} clave_exec_request;

typedef struct clave_exec_result {
  clave_status status;  /* CLAVE_OK when the function returned */
  int32_t return_value; /* entrypoint's int, or the WASI exit code */
  char *log;            /* stdout+stderr of the payload, NUL terminated */
  size_t log_len;
  int log_truncated;
  clave_error error;    /* the trap or error when status != CLAVE_OK */
  uint64_t fuel_used;   /* checkpoints charged, when fuel was limited */
} clave_exec_result;

/* Initialise a request with defaults (no limits but the engine's). */
void clave_exec_request_init(clave_exec_request *req);

/* Run the program once.  Always fills result (free it with
 * clave_exec_result_free); returns result->status.
 *
 * What a run guarantees:
 * - CLAVE_ENTRY_TEACLAVE calls _initialize first when the payload exports
 *   it (a WASI reactor), else __wasm_call_ctors (a no-libc payload linked
 *   with --export-all), then entrypoint.  Bad args_json is refused
 *   (CLAVE_EARG) before anything is instantiated.
 * - A WASI proc_exit ends the run normally: status CLAVE_OK and
 *   return_value the exit code (for a function as for a command).
 * - Handles are numbered from 3, never reused within a run, at most 4096
 *   per run; each output may be created once per run.
 * - Outputs are handed over only when status is CLAVE_OK; after a trap or
 *   an error every output has created 0 and data NULL.  The log is kept
 *   either way. */
clave_status clave_program_run(clave_program *prog,
                               const clave_exec_request *req,
                               clave_exec_result *result);
void clave_exec_result_free(clave_exec_result *result,
                            clave_exec_output *outputs, size_t noutputs);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_EXECUTOR_H */
