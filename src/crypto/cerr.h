/*
 * cerr.h - filling a clave_error from the crypto, store and platform code.
 *
 * The engine has its own (engine-internal) helper; these parts share this
 * one so that every message is built the same way: what failed, and where.
 * cv_err_prefix puts context in front of a message that a callee already
 * wrote ("input 'x': " + "authentication tag mismatch").
 */
#ifndef CLAVE_CRYPTO_CERR_H
#define CLAVE_CRYPTO_CERR_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clave/engine.h"

__attribute__((format(printf, 3, 4))) static inline clave_status cv_err(
    clave_error *err, clave_status status, const char *fmt, ...) {
  if (err) {
    err->status = status;
    err->trap = CLAVE_TRAP_NONE;
    err->exit_code = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return status;
}

__attribute__((format(printf, 2, 3))) static inline clave_status cv_err_prefix(
    clave_error *err, const char *fmt, ...) {
  if (!err) return CLAVE_EARG;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[sizeof err->message];
  memcpy(old, err->message, sizeof old);
  size_t cap = sizeof err->message, pl = strlen(prefix), ol = strnlen(old, cap);
  if (pl > cap - 1) pl = cap - 1;
  if (ol > cap - 1 - pl) ol = cap - 1 - pl;
  memcpy(err->message, prefix, pl);
  memcpy(err->message + pl, old, ol);
  err->message[pl + ol] = 0;
  return err->status;
}

static inline void cv_err_clear(clave_error *err) {
  if (!err) return;
  err->status = CLAVE_OK;
  err->trap = CLAVE_TRAP_NONE;
  err->exit_code = 0;
  err->message[0] = 0;
}

#endif /* CLAVE_CRYPTO_CERR_H */
