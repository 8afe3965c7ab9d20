/*
 * error.c - error and trap messages shared by every engine stage.
 *
 * Trap messages are the spec's own texts, so that a spec test (and a user
 * who knows the spec) reads the same words Clave prints.
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine/module.h"

void cl_error_set(clave_error *err, clave_status status, const char *fmt,
                  ...) {
  if (!err) return;
  err->status = status;
  err->trap = CLAVE_TRAP_NONE;
  err->exit_code = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

const char *clave_trap_message(clave_trap_kind kind) {
  switch (kind) {
    case CLAVE_TRAP_NONE: return "no trap";
    case CLAVE_TRAP_UNREACHABLE: return "unreachable";
    case CLAVE_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case CLAVE_TRAP_TABLE_OOB: return "out of bounds table access";
    case CLAVE_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case CLAVE_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case CLAVE_TRAP_INDIRECT_TYPE: return "indirect call type mismatch";
    case CLAVE_TRAP_NULL_REFERENCE: return "null reference";
    case CLAVE_TRAP_INT_OVERFLOW: return "integer overflow";
    case CLAVE_TRAP_INT_DIV_ZERO: return "integer divide by zero";
    case CLAVE_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case CLAVE_TRAP_CALL_STACK: return "call stack exhausted";
    case CLAVE_TRAP_FUEL: return "fuel exhausted";
    case CLAVE_TRAP_DEADLINE: return "deadline passed";
    case CLAVE_TRAP_HOST: return "host function failed";
    case CLAVE_TRAP_EXIT: return "exit";
    case CLAVE_TRAP_KIND_COUNT: break;
  }
  return "unknown trap";
}

const char *clave_status_name(clave_status status) {
  switch (status) {
    case CLAVE_OK: return "ok";
    case CLAVE_EMALFORMED: return "malformed module";
    case CLAVE_EINVALID: return "invalid module";
    case CLAVE_EUNLINKABLE: return "unlinkable module";
    case CLAVE_ETRAP: return "trap";
    case CLAVE_ENOMEM: return "out of memory";
    case CLAVE_ELIMIT: return "limit exceeded";
    case CLAVE_EARG: return "bad argument";
    case CLAVE_ENOTFOUND: return "not found";
    case CLAVE_EUNSUPPORTED: return "unsupported";
    case CLAVE_EIO: return "i/o error";
  }
  return "unknown status";
}
