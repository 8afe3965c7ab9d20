/*
 * fuzz_decode.c - libFuzzer target: any bytes through cl_decode and
 * cl_validate.
 *
 * Beyond "no crash, no leak, no undefined behaviour" (the sanitizers'
 * job), it checks the contract between the two stages: a failure always
 * comes with a status of its stage and a message, and a module that
 * decodes is never found malformed by the validator, whose syntax checks
 * the decoder promised to have done.  A broken promise aborts, which
 * libFuzzer reports as a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_require(bool ok, const char *what, const clave_error *err) {
  if (ok) return;
  fprintf(stderr, "fuzz_decode: broken promise: %s (%s)\n", what,
          err ? err->message : "");
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cl_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = cl_decode(data, size, &m, &err);
  if (st != CLAVE_OK) {
    fuzz_require(m == NULL, "a failed decode returns no module", &err);
    fuzz_require(st == CLAVE_EMALFORMED || st == CLAVE_EUNSUPPORTED ||
                     st == CLAVE_ELIMIT || st == CLAVE_ENOMEM,
                 "decode status", &err);
    fuzz_require(err.status == st && err.message[0] != 0,
                 "decode error has a message", &err);
    return 0;
  }
  fuzz_require(m != NULL && m->len == size, "decoded module", &err);
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
    const cl_func *f = &m->funcs[i];
    fuzz_require(f->code >= m->bytes && f->code < f->end &&
                     f->end <= m->bytes + m->len && f->end[-1] == 0x0B,
                 "function body inside the module, ending with end", &err);
  }
  st = cl_validate(m, &err);
  fuzz_require(st == CLAVE_OK || st == CLAVE_EINVALID || st == CLAVE_ENOMEM,
               "validate status (never malformed after a decode)", &err);
  if (st != CLAVE_OK)
    fuzz_require(err.status == st && err.message[0] != 0,
                 "validation error has a message", &err);
  else
    fuzz_require(m->declared_refs != NULL, "declared_refs filled", &err);
  cl_module_free(m);
  return 0;
}
