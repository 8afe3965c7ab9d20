/*
 * host.c - the `spectest` host module that the core test suite imports.
 *
 * The suite expects: print functions of several signatures that return
 * nothing, four immutable globals holding 666 / 666.6, a funcref table of
 * 10..20 elements and a memory of 1..2 pages.  The print functions stay
 * silent unless the runner is verbose, so that piped output is only the
 * runner's own report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

typedef struct st_host_print {
  const char *name;
  uint32_t nparams;
  clave_valtype params[2];
} st_host_print;

static const st_host_print st_host_prints[] = {
    {"print", 0, {0, 0}},
    {"print_i32", 1, {CLAVE_I32, 0}},
    {"print_i64", 1, {CLAVE_I64, 0}},
    {"print_f32", 1, {CLAVE_F32, 0}},
    {"print_f64", 1, {CLAVE_F64, 0}},
    {"print_i32_f32", 2, {CLAVE_I32, CLAVE_F32}},
    {"print_f64_f64", 2, {CLAVE_F64, CLAVE_F64}},
};

/* user points at the entry of st_host_prints when verbose, else NULL. */
static clave_status st_host_print_fn(clave_caller *caller,
                                     const clave_value *args,
                                     clave_value *results, void *user) {
  const st_host_print *p = user;
  if (!p) return CLAVE_OK;
  printf("spectest.%s(", p->name);
  for (uint32_t i = 0; i < p->nparams; i++) {
    char buf[64];
    st_value_format(&args[i], buf, sizeof buf);
    printf("%s%s", i ? ", " : "", buf);
  }
  printf(")\n");
  return CLAVE_OK;
}

/* Define ext under spectest.name and drop our own reference to it (the
 * linker keeps one). */
static clave_status st_host_put(clave_linker *linker, const char *name,
                                clave_extern ext, clave_error *err) {
  clave_status st = clave_linker_define(linker, "spectest", name, ext);
  clave_extern_release(ext);
  if (st != CLAVE_OK && err && err->message[0] == '\0') {
    snprintf(err->message, sizeof err->message,
             "spectest.%s: linker refused the definition (%s)", name,
             clave_status_name(st));
    err->status = st;
  }
  return st;
}

static clave_status st_host_fail(clave_error *err, const char *what) {
  if (err) {
    err->status = CLAVE_ENOMEM;
    err->trap = CLAVE_TRAP_NONE;
    snprintf(err->message, sizeof err->message,
             "spectest.%s: could not be created", what);
  }
  return CLAVE_ENOMEM;
}

clave_status st_host_define(clave_engine *engine, clave_linker *linker,
                            bool verbose, clave_error *err) {
  if (err) err->message[0] = '\0';
  clave_status st;
  for (size_t i = 0; i < sizeof st_host_prints / sizeof st_host_prints[0];
       i++) {
    const st_host_print *p = &st_host_prints[i];
    clave_functype ft = {p->nparams, 0, p->params, NULL};
    clave_extern ext = {.kind = CLAVE_EXTERN_FUNC};
    ext.of.func = clave_func_new_host(engine, &ft, st_host_print_fn,
                                      verbose ? (void *)p : NULL, NULL);
    if (!ext.of.func) return st_host_fail(err, p->name);
    if ((st = st_host_put(linker, p->name, ext, err)) != CLAVE_OK) return st;
  }

  float f32 = 666.6f;
  double f64 = 666.6;
  clave_value vf32 = {.type = CLAVE_F32}, vf64 = {.type = CLAVE_F64};
  memcpy(&vf32.of.f32_bits, &f32, sizeof f32);
  memcpy(&vf64.of.f64_bits, &f64, sizeof f64);
  struct {
    const char *name;
    clave_value v;
  } globals[] = {
      {"global_i32", clave_i32(666)},
      {"global_i64", clave_i64(666)},
      {"global_f32", vf32},
      {"global_f64", vf64},
  };
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++) {
    clave_extern ext = {.kind = CLAVE_EXTERN_GLOBAL};
    ext.of.global =
        clave_global_new(engine, globals[i].v.type, false, globals[i].v);
    if (!ext.of.global) return st_host_fail(err, globals[i].name);
    if ((st = st_host_put(linker, globals[i].name, ext, err)) != CLAVE_OK)
      return st;
  }

  clave_value null_func = {.type = CLAVE_FUNCREF};
  null_func.of.funcref = NULL;
  clave_extern table = {.kind = CLAVE_EXTERN_TABLE};
  table.of.table =
      clave_table_new(engine, CLAVE_FUNCREF, 10, true, 20, null_func);
  if (!table.of.table) return st_host_fail(err, "table");
  if ((st = st_host_put(linker, "table", table, err)) != CLAVE_OK) return st;

  clave_extern memory = {.kind = CLAVE_EXTERN_MEMORY};
  memory.of.memory = clave_memory_new(engine, 1, true, 2);
  if (!memory.of.memory) return st_host_fail(err, "memory");
  return st_host_put(linker, "memory", memory, err);
}
