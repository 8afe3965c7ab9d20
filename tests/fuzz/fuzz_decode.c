/*
 * fuzz_decode.c - libFuzzer target: any bytes through cl_decode and
 * cl_validate, and every module that validates through translation,
 * instantiation (with made-up imports of the right types) and a call of
 * each exported function under fuel, in the interpreter.
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

/* an import stub: returns zeros of its result types */
static clave_status fuzz_host(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)caller;
  (void)args;
  (void)results;
  (void)user;
  return CLAVE_OK;
}

static clave_value zero_of(uint8_t type) {
  clave_value v;
  memset(&v, 0, sizeof v);
  v.type = (clave_valtype)type;
  return v;
}

/* Instantiate m's bytes with imports made to match, then call every
 * exported function with zero arguments under a small fuel budget. */
static void fuzz_run(const uint8_t *data, size_t size, const cl_module *dm) {
  clave_engine *e = clave_engine_new(NULL);
  clave_module *mod = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_load(e, data, size, &mod, &err);
  fuzz_require(st == CLAVE_OK || st == CLAVE_ELIMIT || st == CLAVE_ENOMEM,
               "a module that validates also loads", &err);
  if (st != CLAVE_OK) {
    clave_engine_free(e);
    return;
  }
  uint32_t n = dm->nimports;
  clave_extern *imps = calloc(n ? n : 1, sizeof *imps);
  bool ok = imps != NULL;
  for (uint32_t i = 0; ok && i < n; i++) {
    const cl_import *im = &dm->imports[i];
    imps[i].kind = (clave_extern_kind)im->kind;
    switch (im->kind) {
      case CL_EXT_FUNC: {
        const cl_functype *t = &dm->types[im->desc.typeidx];
        clave_valtype p[64], r[64];
        if (t->nparams > 64 || t->nresults > 64) {
          ok = false;
          break;
        }
        for (uint32_t k = 0; k < t->nparams; k++) p[k] = (clave_valtype)t->params[k];
        for (uint32_t k = 0; k < t->nresults; k++) r[k] = (clave_valtype)t->results[k];
        clave_functype ft = {t->nparams, t->nresults, p, r};
        imps[i].of.func = clave_func_new_host(e, &ft, fuzz_host, NULL, NULL);
        ok = imps[i].of.func != NULL;
        break;
      }
      case CL_EXT_TABLE: {
        const cl_tabletype *t = &im->desc.table;
        if (t->lim.min > 100000) {
          ok = false;
          break;
        }
        imps[i].of.table = clave_table_new(
            e, (clave_valtype)t->elem, t->lim.min, t->lim.has_max,
            t->lim.max, zero_of(t->elem));
        ok = imps[i].of.table != NULL;
        break;
      }
      case CL_EXT_MEMORY: {
        const cl_memtype *t = &im->desc.mem;
        if (t->lim.min > 256) {
          ok = false;
          break;
        }
        imps[i].of.memory =
            clave_memory_new(e, t->lim.min, t->lim.has_max, t->lim.max);
        ok = imps[i].of.memory != NULL;
        break;
      }
      case CL_EXT_GLOBAL:
        imps[i].of.global = clave_global_new(
            e, (clave_valtype)im->desc.global.type, im->desc.global.mut,
            zero_of(im->desc.global.type));
        ok = imps[i].of.global != NULL;
        break;
    }
  }
  clave_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.max_memory_bytes = 16u << 20;
  lim.max_table_elems = 100000;
  lim.max_call_depth = 200;
  lim.max_stack_bytes = 256u << 10;
  lim.fuel = 20000;
  clave_instance *inst = NULL;
  if (ok && clave_instance_new(e, mod, imps, n, &lim, &inst, &err) == CLAVE_OK) {
    for (uint32_t i = 0; i < dm->nexports; i++) {
      if (dm->exports[i].kind != CL_EXT_FUNC) continue;
      clave_extern x;
      if (clave_instance_export_n(inst, dm->exports[i].name.str,
                                  dm->exports[i].name.len, &x) != CLAVE_OK)
        continue;
      clave_functype ft;
      clave_func_type(x.of.func, &ft);
      if (ft.nparams > 64 || ft.nresults > 64) continue;
      clave_value args[64], res[64];
      for (uint32_t k = 0; k < ft.nparams; k++) args[k] = zero_of(ft.params[k]);
      st = clave_func_call(x.of.func, args, ft.nparams, res, ft.nresults, &err);
      fuzz_require(st == CLAVE_OK || st == CLAVE_ETRAP, "call status", &err);
      if (st == CLAVE_ETRAP)
        fuzz_require(err.trap != CLAVE_TRAP_NONE && err.message[0] != 0,
                     "a trap has a kind and a message", &err);
    }
    clave_instance_free(inst);
  }
  for (uint32_t i = 0; imps && i < n; i++) clave_extern_release(imps[i]);
  free(imps);
  clave_module_free(mod);
  clave_engine_free(e);
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
  if (st == CLAVE_OK) fuzz_run(data, size, m);
  cl_module_free(m);
  return 0;
}
