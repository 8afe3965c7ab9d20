/*
 * fuzz_decode.c - libFuzzer target: any bytes through cl_decode and
 * cl_validate, and every module that validates through translation,
 * instantiation (with made-up imports of the right types) and a call of
 * each exported function under fuel, in the interpreter; and, for a small
 * sample of them, the same again in the AOT tier, whose outcomes (status,
 * trap kind and message, results, fuel left) must equal the interpreter's.
 *
 * Beyond "no crash, no leak, no undefined behaviour" (the sanitizers'
 * job), it checks the contract between the two stages: a failure always
 * comes with a status of its stage and a message, and a module that
 * decodes is never found malformed by the validator, whose syntax checks
 * the decoder promised to have done.  A broken promise aborts, which
 * libFuzzer reports as a finding.
 */
#include <stdarg.h>
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

/* What the calls of one run did, for comparing the tiers. */
typedef struct fuzz_log {
  char text[4096];
  size_t len;
} fuzz_log;

static void fuzz_log_add(fuzz_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fuzz_log_add(fuzz_log *l, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (l->len < sizeof l->text) {
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    if (n > 0) l->len += (size_t)n;
    if (l->len > sizeof l->text) l->len = sizeof l->text;
  }
  va_end(ap);
}

/* A result for the log.  Which NaN an operation with NaN operands gives
 * is the host's choice (wasm allows any), so NaNs are logged as such:
 * floats that are NaN, and the lanes of a v128 that are NaN as f64 or,
 * failing that, as f32. */
static void fuzz_log_value(fuzz_log *log, clave_valtype t,
                           const clave_value *v) {
  if (t == CLAVE_FUNCREF || t == CLAVE_EXTERNREF) {
    fuzz_log_add(log, " ref %d", v->of.externref != NULL);
  } else if (t == CLAVE_V128) {
    fuzz_log_add(log, " ");
    for (int h = 0; h < 2; h++) {
      uint64_t x;
      memcpy(&x, v->of.v128 + 8 * h, 8);
      if ((x & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
          (x & 0xFFFFFFFFFFFFFull)) {
        fuzz_log_add(log, "[nan64]");
        continue;
      }
      for (int l = 0; l < 2; l++) {
        uint32_t y = (uint32_t)(x >> (32 * l));
        if ((y & 0x7F800000u) == 0x7F800000u && (y & 0x7FFFFFu))
          fuzz_log_add(log, "[nan32]");
        else
          fuzz_log_add(log, "[%08x]", y);
      }
    }
  } else if (t == CLAVE_F32 && v->of.f32 != v->of.f32) {
    fuzz_log_add(log, " nan32");
  } else if (t == CLAVE_F64 && v->of.f64 != v->of.f64) {
    fuzz_log_add(log, " nan64");
  } else {
    fuzz_log_add(log, " %llx",
                 (unsigned long long)v->of.i64 &
                     (t == CLAVE_I32 || t == CLAVE_F32 ? 0xFFFFFFFFull : ~0ull));
  }
}

/* Instantiate m's bytes with imports made to match, then call every
 * exported function with zero arguments under a small fuel budget, in an
 * engine of the given tier; log what happened.  Returns false when the
 * module did not get that far (then there is nothing to compare). */
static bool fuzz_run_tier(const uint8_t *data, size_t size,
                          const cl_module *dm, clave_tier tier,
                          fuzz_log *log) {
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tier = tier;
  cfg.flags = CLAVE_ENGINE_AOT_NO_CACHE;
  clave_engine *e = clave_engine_new(&cfg);
  clave_module *mod = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_load(e, data, size, &mod, &err);
  if (tier == CLAVE_TIER_AOT && st != CLAVE_OK) {
    /* no compiler, or SIMD the tier does not translate yet: no compare */
    fuzz_require(st == CLAVE_EUNSUPPORTED || st == CLAVE_EIO ||
                     st == CLAVE_ELIMIT || st == CLAVE_ENOMEM,
                 "the AOT tier fails only for want of support", &err);
    clave_engine_free(e);
    return false;
  }
  fuzz_require(st == CLAVE_OK || st == CLAVE_ELIMIT || st == CLAVE_ENOMEM,
               "a module that validates also loads", &err);
  if (st != CLAVE_OK) {
    clave_engine_free(e);
    return false;
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
  st = ok ? clave_instance_new(e, mod, imps, n, &lim, &inst, &err)
          : CLAVE_ENOMEM;
  fuzz_log_add(log, "instantiate %d %d '%s'\n", st,
               st == CLAVE_OK ? 0 : (int)err.trap,
               st == CLAVE_OK ? "" : err.message);
  if (st == CLAVE_OK) {
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
      memset(&err, 0, sizeof err);
      st = clave_func_call(x.of.func, args, ft.nparams, res, ft.nresults, &err);
      fuzz_require(st == CLAVE_OK || st == CLAVE_ETRAP, "call status", &err);
      if (st == CLAVE_ETRAP)
        fuzz_require(err.trap != CLAVE_TRAP_NONE && err.message[0] != 0,
                     "a trap has a kind and a message", &err);
      fuzz_log_add(log, "export %u: %d %d '%s'", i, st, err.trap,
                   st == CLAVE_OK ? "" : err.message);
      for (uint32_t k = 0; st == CLAVE_OK && k < ft.nresults; k++)
        fuzz_log_value(log, ft.results[k], &res[k]);
      fuzz_log_add(log, " fuel %llu\n",
                   (unsigned long long)clave_instance_fuel(inst));
    }
    clave_instance_free(inst);
  }
  for (uint32_t i = 0; imps && i < n; i++) clave_extern_release(imps[i]);
  free(imps);
  clave_module_free(mod);
  clave_engine_free(e);
  return true;
}

/* Compiling with the C compiler takes a good fraction of a second, so
 * only a sample goes through the AOT tier too: small modules with an
 * exported function, one in 256 by their hash, at most 40 per process. */
static bool fuzz_aot_sample(const uint8_t *data, size_t size,
                            const cl_module *dm) {
  static unsigned compiled;
  if (compiled >= 40 || size > 4096) return false;
  bool exports = false;
  for (uint32_t i = 0; i < dm->nexports; i++)
    if (dm->exports[i].kind == CL_EXT_FUNC) exports = true;
  if (!exports) return false;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  if (h % 256 != 0) return false;
  compiled++;
  return true;
}

static void fuzz_run(const uint8_t *data, size_t size, const cl_module *dm) {
  static fuzz_log interp, aot;
  interp.len = aot.len = 0;
  if (!fuzz_run_tier(data, size, dm, CLAVE_TIER_INTERP, &interp)) return;
  if (!fuzz_aot_sample(data, size, dm)) return;
  if (!fuzz_run_tier(data, size, dm, CLAVE_TIER_AOT, &aot)) return;
  if (interp.len != aot.len || memcmp(interp.text, aot.text, aot.len) != 0) {
    fprintf(stderr, "fuzz_decode: the tiers differ\ninterpreter:\n%.*s"
                    "AOT:\n%.*s",
            (int)interp.len, interp.text, (int)aot.len, aot.text);
    abort();
  }
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
