/*
 * program.c - load a payload once, run it many times.
 *
 * Loading decodes, validates and translates the module and matches every
 * import against the executor's host functions, so a payload that asks
 * for anything the executor does not offer is refused before it runs,
 * with the import's name.  Each run then builds a fresh instance with the
 * request's limits, wires the imports to host functions bound to that
 * run's state, passes the arguments, calls the entry point and hands back
 * the result, the log and the outputs.  Nothing of one run survives into
 * the next.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor/cx_internal.h"

typedef struct cx_import {
  const cx_hostdef *def;
  clave_valtype params[16];
  clave_valtype results[1];
  clave_functype type;
} cx_import;

struct clave_program {
  clave_engine *engine;
  bool owns_engine;
  clave_module *module;
  cx_import *imports;
  uint32_t nimports;
};

void cx_error(clave_error *err, clave_status status, const char *fmt, ...) {
  if (!err) return;
  err->status = status;
  err->trap = CLAVE_TRAP_NONE;
  err->exit_code = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

/* ---- small helpers shared by the host functions ------------------------- */

bool cx_buf_reserve(cx_buf *b, size_t need) {
  if (b->cap - b->len >= need) return true;
  if (need > SIZE_MAX / 2 - b->len) return false;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < need) cap *= 2;
  uint8_t *d = realloc(b->data, cap);
  if (!d) return false;
  b->data = d;
  b->cap = cap;
  return true;
}

void cx_log_append(cx_run *run, const void *data, size_t len) {
  size_t room = run->max_log - run->log.len;
  if (len > room) {
    run->log_truncated = true;
    len = room;
  }
  if (len == 0 || !cx_buf_reserve(&run->log, len)) return;
  memcpy(run->log.data + run->log.len, data, len);
  run->log.len += len;
}

uint8_t *cx_mem_range(clave_caller *caller, uint32_t ptr, uint64_t len) {
  clave_memory *mem = clave_caller_memory(caller);
  if (!mem) return NULL;
  size_t size = 0;
  uint8_t *base = clave_memory_data(mem, &size);
  if ((uint64_t)ptr > size || len > size - (uint64_t)ptr) return NULL;
  return base + ptr;
}

/* ---- loading ------------------------------------------------------------ */

static const cx_hostdef *cx_host_lookup(const clave_import_desc *d) {
  const cx_hostdef *tables[2] = {cx_env_defs, cx_wasi_defs};
  size_t counts[2] = {cx_env_ndefs, cx_wasi_ndefs};
  for (int t = 0; t < 2; t++) {
    for (size_t i = 0; i < counts[t]; i++) {
      const cx_hostdef *h = &tables[t][i];
      if (strlen(h->module) == d->module_len &&
          memcmp(h->module, d->module, d->module_len) == 0 &&
          strlen(h->name) == d->name_len &&
          memcmp(h->name, d->name, d->name_len) == 0)
        return h;
    }
  }
  return NULL;
}

static const char *cx_kind_name(clave_extern_kind kind) {
  switch (kind) {
    case CLAVE_EXTERN_FUNC: return "a function";
    case CLAVE_EXTERN_TABLE: return "a table";
    case CLAVE_EXTERN_MEMORY: return "a memory";
    case CLAVE_EXTERN_GLOBAL: return "a global";
  }
  return "an extern";
}

static void cx_import_init(cx_import *imp, const cx_hostdef *def) {
  imp->def = def;
  uint32_t n = 0;
  for (const char *p = def->params; *p; p++)
    imp->params[n++] = *p == 'I' ? CLAVE_I64 : CLAVE_I32;
  imp->type.nparams = n;
  imp->type.params = imp->params;
  imp->type.nresults = def->results[0] ? 1 : 0;
  imp->results[0] = CLAVE_I32;
  imp->type.results = imp->results;
}

static bool cx_exports(const clave_module *m, const char *name,
                       clave_extern_kind kind) {
  uint32_t n = clave_module_export_count(m);
  size_t len = strlen(name);
  for (uint32_t i = 0; i < n; i++) {
    clave_export_desc d;
    clave_module_export(m, i, &d);
    if (d.kind == kind && d.name_len == len && memcmp(d.name, name, len) == 0)
      return true;
  }
  return false;
}

clave_status clave_program_load(clave_engine *engine, const uint8_t *bytes,
                                size_t len, clave_program **out,
                                clave_error *err) {
  *out = NULL;
  clave_program *prog = calloc(1, sizeof *prog);
  if (!prog) {
    cx_error(err, CLAVE_ENOMEM, "out of memory loading the payload");
    return CLAVE_ENOMEM;
  }
  prog->engine = engine;
  if (!engine) {
    prog->engine = clave_engine_new(NULL);
    prog->owns_engine = true;
    if (!prog->engine) {
      free(prog);
      cx_error(err, CLAVE_ENOMEM, "out of memory creating an engine");
      return CLAVE_ENOMEM;
    }
  }
  clave_status st = clave_module_load(prog->engine, bytes, len, &prog->module,
                                      err);
  if (st != CLAVE_OK) goto fail;

  const clave_module *m = prog->module;
  prog->nimports = clave_module_import_count(m);
  prog->imports = calloc(prog->nimports ? prog->nimports : 1,
                         sizeof *prog->imports);
  if (!prog->imports) {
    st = CLAVE_ENOMEM;
    cx_error(err, st, "out of memory loading the payload");
    goto fail;
  }
  for (uint32_t i = 0; i < prog->nimports; i++) {
    clave_import_desc d;
    clave_module_import(m, i, &d);
    if (d.kind != CLAVE_EXTERN_FUNC) {
      st = CLAVE_EUNLINKABLE;
      cx_error(err, st,
               "import %.*s.%.*s is %s: the executor provides functions only",
               (int)d.module_len, d.module, (int)d.name_len, d.name,
               cx_kind_name(d.kind));
      goto fail;
    }
    const cx_hostdef *def = cx_host_lookup(&d);
    if (!def) {
      st = CLAVE_EUNLINKABLE;
      cx_error(err, st,
               "unknown import %.*s.%.*s: the executor provides "
               "env.teaclave_* and wasi_snapshot_preview1.*",
               (int)d.module_len, d.module, (int)d.name_len, d.name);
      goto fail;
    }
    cx_import_init(&prog->imports[i], def);
  }
  if (!cx_exports(m, "entrypoint", CLAVE_EXTERN_FUNC) &&
      !cx_exports(m, "_start", CLAVE_EXTERN_FUNC)) {
    st = CLAVE_ENOTFOUND;
    cx_error(err, st,
             "the payload exports neither 'entrypoint' (a function) nor "
             "'_start' (a WASI command)");
    goto fail;
  }
  *out = prog;
  return CLAVE_OK;
fail:
  clave_program_free(prog);
  return st;
}

void clave_program_free(clave_program *prog) {
  if (!prog) return;
  clave_module_free(prog->module);
  free(prog->imports);
  if (prog->owns_engine) clave_engine_free(prog->engine);
  free(prog);
}

const clave_module *clave_program_module(const clave_program *prog) {
  return prog->module;
}

/* ---- running ------------------------------------------------------------ */

void clave_exec_request_init(clave_exec_request *req) {
  memset(req, 0, sizeof *req);
  req->entry = CLAVE_ENTRY_TEACLAVE;
  req->passthrough_stdout_fd = -1;
  req->passthrough_stderr_fd = -1;
}

static clave_status cx_check_request(const clave_exec_request *req,
                                     clave_error *err) {
  if (req->entry != CLAVE_ENTRY_TEACLAVE &&
      req->entry != CLAVE_ENTRY_WASI_START) {
    cx_error(err, CLAVE_EARG, "request: unknown entry kind %d",
             (int)req->entry);
    return CLAVE_EARG;
  }
  if ((req->ninputs && !req->inputs) || (req->noutputs && !req->outputs) ||
      (req->argc && !req->argv)) {
    cx_error(err, CLAVE_EARG, "request: a count is set but its array is NULL");
    return CLAVE_EARG;
  }
  for (size_t i = 0; i < req->argc; i++) {
    if (!req->argv[i]) {
      cx_error(err, CLAVE_EARG, "request: argv[%zu] is NULL", i);
      return CLAVE_EARG;
    }
  }
  for (size_t i = 0; i < req->ninputs; i++) {
    const clave_exec_input *in = &req->inputs[i];
    if (!in->name || (in->len && !in->data)) {
      cx_error(err, CLAVE_EARG, "request: input %zu has no %s", i,
               in->name ? "data" : "name");
      return CLAVE_EARG;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(req->inputs[j].name, in->name) == 0) {
        cx_error(err, CLAVE_EARG, "request: input '%s' is bound twice",
                 in->name);
        return CLAVE_EARG;
      }
    }
  }
  for (size_t i = 0; i < req->noutputs; i++) {
    const char *name = req->outputs[i].name;
    if (!name) {
      cx_error(err, CLAVE_EARG, "request: output %zu has no name", i);
      return CLAVE_EARG;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(req->outputs[j].name, name) == 0) {
        cx_error(err, CLAVE_EARG, "request: output '%s' is bound twice", name);
        return CLAVE_EARG;
      }
    }
  }
  return CLAVE_OK;
}

/* The export name as a function of exactly this type, or NULL with err
 * filled. */
static clave_func *cx_entry(clave_instance *inst, const char *name,
                            uint32_t nparams, uint32_t nresults,
                            const char *want, clave_error *err) {
  clave_extern ext;
  if (clave_instance_export(inst, name, &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC) {
    cx_error(err, CLAVE_ENOTFOUND, "the payload does not export '%s' (%s)",
             name, want);
    return NULL;
  }
  clave_functype t;
  clave_func_type(ext.of.func, &t);
  bool ok = t.nparams == nparams && t.nresults == nresults;
  for (uint32_t i = 0; ok && i < t.nparams; i++) ok = t.params[i] == CLAVE_I32;
  for (uint32_t i = 0; ok && i < t.nresults; i++)
    ok = t.results[i] == CLAVE_I32;
  if (!ok) {
    cx_error(err, CLAVE_EARG, "the payload's '%s' has the wrong type: want %s",
             name, want);
    return NULL;
  }
  return ext.of.func;
}

/* The export name if it is a function of type () -> (), else NULL. */
static clave_func *cx_export_func(clave_instance *inst, const char *name) {
  clave_extern ext;
  if (clave_instance_export(inst, name, &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC)
    return NULL;
  clave_functype t;
  clave_func_type(ext.of.func, &t);
  return t.nparams == 0 && t.nresults == 0 ? ext.of.func : NULL;
}

/* Call a function; a WASI proc_exit is turned into a normal end with the
 * exit code in *exit_code (and *exited set). */
static clave_status cx_call(clave_func *f, const clave_value *args,
                            size_t nargs, clave_value *results,
                            size_t nresults, bool *exited, int *exit_code,
                            clave_error *err) {
  clave_status st = clave_func_call(f, args, nargs, results, nresults, err);
  if (st == CLAVE_ETRAP && err->trap == CLAVE_TRAP_EXIT) {
    *exited = true;
    *exit_code = err->exit_code;
    memset(err, 0, sizeof *err);
    return CLAVE_OK;
  }
  return st;
}

static clave_status cx_run_teaclave(clave_instance *inst, const cx_args *args,
                                    clave_exec_result *result) {
  clave_error *err = &result->error;
  clave_status st;
  clave_func *entry =
      cx_entry(inst, "entrypoint", 2, 1,
               "int entrypoint(int argc, char **argv)", err);
  if (!entry) return err->status;
  bool exited = false;
  int code = 0;
  /* Static constructors: a WASI reactor runs them in _initialize; a
   * no-libc payload linked with --export-all exports __wasm_call_ctors;
   * a WASI command wraps every export in them itself. */
  clave_func *init = cx_export_func(inst, "_initialize");
  if (!init && !cx_export_func(inst, "_start"))
    init = cx_export_func(inst, "__wasm_call_ctors");
  if (init) {
    st = cx_call(init, NULL, 0, NULL, 0, &exited, &code, err);
    if (st != CLAVE_OK || exited) goto done;
  }
  uint32_t argv_addr = 0;
  st = cx_args_place(inst, args, &argv_addr, err);
  if (st != CLAVE_OK) return st;
  clave_value in[2] = {clave_i32((int32_t)args->count),
                       clave_i32((int32_t)argv_addr)};
  clave_value ret = clave_i32(0);
  st = cx_call(entry, in, 2, &ret, 1, &exited, &code, err);
  if (st == CLAVE_OK && !exited) result->return_value = ret.of.i32;
done:
  if (st == CLAVE_OK && exited) result->return_value = code;
  return st;
}

static clave_status cx_run_start(clave_instance *inst,
                                 clave_exec_result *result) {
  clave_error *err = &result->error;
  clave_func *start = cx_entry(inst, "_start", 0, 0, "a WASI command", err);
  if (!start) return err->status;
  bool exited = false;
  int code = 0;
  clave_status st = cx_call(start, NULL, 0, NULL, 0, &exited, &code, err);
  if (st == CLAVE_OK) result->return_value = exited ? code : 0;
  return st;
}

clave_status clave_program_run(clave_program *prog,
                               const clave_exec_request *req,
                               clave_exec_result *result) {
  memset(result, 0, sizeof *result);
  clave_error *err = &result->error;
  cx_run run;
  memset(&run, 0, sizeof run);
  run.req = req;
  run.max_log = req->max_log_bytes ? req->max_log_bytes : CX_DEFAULT_MAX_LOG;
  run.max_output =
      req->max_output_bytes ? req->max_output_bytes : CX_DEFAULT_MAX_OUTPUT;
  if (req->entry == CLAVE_ENTRY_WASI_START) {
    run.argv = req->argv;
    run.argc = req->argc;
  }
  clave_extern *imports = NULL;
  clave_instance *inst = NULL;
  cx_args args;
  memset(&args, 0, sizeof args);
  clave_status st = cx_check_request(req, err);
  if (st != CLAVE_OK) goto finish;
  /* bad arguments are refused before anything is instantiated */
  if (req->entry == CLAVE_ENTRY_TEACLAVE) {
    st = cx_args_parse(req->args_json, &args, err);
    if (st != CLAVE_OK) goto finish;
  }
  for (size_t i = 0; i < req->noutputs; i++) {
    req->outputs[i].data = NULL;
    req->outputs[i].len = 0;
    req->outputs[i].created = 0;
  }
  run.outs = calloc(req->noutputs ? req->noutputs : 1, sizeof *run.outs);
  imports = calloc(prog->nimports ? prog->nimports : 1, sizeof *imports);
  if (!run.outs || !imports) {
    st = CLAVE_ENOMEM;
    cx_error(err, st, "out of memory starting a run");
    goto finish;
  }
  for (uint32_t i = 0; i < prog->nimports; i++) {
    const cx_import *imp = &prog->imports[i];
    imports[i].kind = CLAVE_EXTERN_FUNC;
    imports[i].of.func = clave_func_new_host(prog->engine, &imp->type,
                                             imp->def->fn, &run, NULL);
    if (!imports[i].of.func) {
      st = CLAVE_ENOMEM;
      cx_error(err, st, "out of memory creating host function %s.%s",
               imp->def->module, imp->def->name);
      goto finish;
    }
  }
  st = clave_instance_new(prog->engine, prog->module, imports, prog->nimports,
                          &req->limits, &inst, err);
  if (st == CLAVE_ETRAP && err->trap == CLAVE_TRAP_EXIT) {
    /* proc_exit from a start function: the program ran and ended */
    result->return_value = err->exit_code;
    memset(err, 0, sizeof *err);
    st = CLAVE_OK;
    goto finish;
  }
  if (st != CLAVE_OK) goto finish;
  if (req->entry == CLAVE_ENTRY_TEACLAVE)
    st = cx_run_teaclave(inst, &args, result);
  else
    st = cx_run_start(inst, result);
  if (req->limits.fuel)
    result->fuel_used = req->limits.fuel - clave_instance_fuel(inst);

finish:
  cx_args_free(&args);
  clave_instance_free(inst);
  if (imports) {
    for (uint32_t i = 0; i < prog->nimports; i++)
      if (imports[i].of.func) clave_extern_release(imports[i]);
    free(imports);
  }
  result->status = st;
  if (st != CLAVE_OK) {
    err->status = st;
  } else {
    memset(err, 0, sizeof *err);
  }
  /* hand over the outputs of a completed run; drop those of a failed one */
  for (size_t i = 0; run.outs && i < req->noutputs; i++) {
    cx_out *o = &run.outs[i];
    if (st == CLAVE_OK && o->created) {
      req->outputs[i].created = 1;
      req->outputs[i].len = o->buf.len;
      req->outputs[i].data = o->buf.data ? o->buf.data : malloc(1);
      o->buf.data = NULL;
    }
    free(o->buf.data);
  }
  free(run.outs);
  free(run.handles);
  result->log_len = run.log.len;
  result->log_truncated = run.log_truncated;
  result->log = malloc(run.log.len + 1);
  if (result->log) {
    if (run.log.len) memcpy(result->log, run.log.data, run.log.len);
    result->log[run.log.len] = '\0';
  } else {
    result->log_len = 0;
  }
  free(run.log.data);
  return st;
}

void clave_exec_result_free(clave_exec_result *result,
                            clave_exec_output *outputs, size_t noutputs) {
  if (result) {
    free(result->log);
    result->log = NULL;
    result->log_len = 0;
  }
  for (size_t i = 0; outputs && i < noutputs; i++) {
    free(outputs[i].data);
    outputs[i].data = NULL;
    outputs[i].len = 0;
  }
}
