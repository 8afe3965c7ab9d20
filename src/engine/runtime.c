/*
 * runtime.c - engines, modules, run-time objects, instances and the linker.
 *
 * This is the embedding API of include/clave/engine.h around the stages:
 * clave_module_load runs decode -> validate -> translate; clave_instance_new
 * links imports (checking their types), allocates what the module defines,
 * evaluates globals and segments in the spec's order and runs the start
 * function.
 *
 * Lifetimes: modules, tables, memories, globals and host functions are
 * reference counted.  An instance holds its module.  A wasm function's
 * references count toward its instance, so an instance lives while the
 * embedder or anything that retained one of its functions still holds it;
 * an instance one of whose functions was stored into another instance's
 * (or the host's) table is "escaped": when its last reference goes it is
 * parked on its engine and destroyed with the engine, so such references
 * stay callable (this is what keeps the functions that a failed
 * instantiation already stored in an imported table callable, as the spec
 * requires) without reference cycles.  Function references in a global,
 * and an owner's functions in its own table after the owner was freed, do
 * not keep their instance alive.  An engine outlives what is made from it.
 *
 * Linear memory is one reservation of address space sized for the
 * memory's maximum; growing only changes page protections, so the base
 * never moves while the instance lives.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "engine/aot.h"
#include "engine/runtime.h"

#define PAGE_SIZE_WASM 65536ull

uint64_t cl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- engine ---- */

clave_engine *clave_engine_new(const clave_engine_config *config) {
  clave_engine *e = calloc(1, sizeof *e);
  if (e && config) e->flags = config->flags;
  if (e && cl_aot_engine_new(e, config) != CLAVE_OK) { /* AOT hook */
    free(e);
    return NULL;
  }
  return e;
}

static void instance_destroy(clave_instance *inst);

void clave_engine_free(clave_engine *engine) {
  if (!engine) return;
  while (engine->parked) {
    clave_instance *inst = engine->parked;
    engine->parked = inst->next_parked;
    instance_destroy(inst);
  }
  cl_aot_engine_free(engine); /* AOT hook */
  free(engine);
}

/* ---- modules ---- */

clave_status clave_module_validate(const uint8_t *bytes, size_t len,
                                   clave_error *err) {
  cl_module *m = NULL;
  clave_status st = cl_decode(bytes, len, &m, err);
  if (st == CLAVE_OK) st = cl_validate(m, err);
  cl_module_free(m);
  return st;
}

clave_status clave_module_load(clave_engine *engine, const uint8_t *bytes,
                               size_t len, clave_module **out,
                               clave_error *err) {
  *out = NULL;
  if (!bytes && len) {
    cl_error_set(err, CLAVE_EARG, "module bytes are NULL");
    return CLAVE_EARG;
  }
  cl_module *m = NULL;
  clave_status st = cl_decode(bytes, len, &m, err);
  if (st == CLAVE_OK) st = cl_validate(m, err);
  if (st != CLAVE_OK) {
    cl_module_free(m);
    return st;
  }
  clave_module *mod = calloc(1, sizeof *mod);
  if (!mod) {
    cl_module_free(m);
    cl_error_set(err, CLAVE_ENOMEM, "out of memory loading the module");
    return CLAVE_ENOMEM;
  }
  mod->refs = 1;
  mod->engine = engine;
  mod->m = m;
  st = cl_translate_module(m, &mod->codes, err);
  if (st != CLAVE_OK) {
    cl_module_free(m);
    free(mod);
    return st;
  }
  for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
    mod->code_bytes += (size_t)mod->codes[i].nwords * sizeof(uint16_t);
  /* one signature per type, shared by the functions of every instance */
  mod->sig_types = calloc(m->ntypes ? m->ntypes : 1, sizeof *mod->sig_types);
  mod->pub_types = calloc(m->ntypes ? m->ntypes : 1, sizeof *mod->pub_types);
  bool ok = mod->sig_types && mod->pub_types;
  for (uint32_t i = 0; ok && i < m->ntypes; i++) {
    const cl_functype *ft = &m->types[i];
    uint32_t n = ft->nparams + ft->nresults;
    mod->sig_types[i] = malloc(n + 1);
    mod->pub_types[i] = malloc((n + 1) * sizeof(clave_valtype));
    ok = mod->sig_types[i] && mod->pub_types[i];
    if (!ok) break;
    if (ft->nparams) memcpy(mod->sig_types[i], ft->params, ft->nparams);
    if (ft->nresults)
      memcpy(mod->sig_types[i] + ft->nparams, ft->results, ft->nresults);
    for (uint32_t k = 0; k < n; k++)
      mod->pub_types[i][k] = (clave_valtype)mod->sig_types[i][k];
  }
  if (!ok) {
    clave_module_free(mod);
    cl_error_set(err, CLAVE_ENOMEM, "out of memory loading the module");
    return CLAVE_ENOMEM;
  }
  st = cl_aot_module_load(mod, err); /* AOT hook: native code, or not */
  if (st != CLAVE_OK) {
    clave_module_free(mod);
    return st;
  }
  *out = mod;
  return CLAVE_OK;
}

void clave_module_free(clave_module *module) {
  if (!module || --module->refs > 0) return;
  cl_aot_module_free(module); /* AOT hook */
  for (uint32_t i = 0; i < module->m->ntypes; i++) {
    if (module->sig_types) free(module->sig_types[i]);
    if (module->pub_types) free(module->pub_types[i]);
  }
  free(module->sig_types);
  free(module->pub_types);
  cl_codes_free(module->codes, module->m->nfuncs - module->m->nfunc_imports);
  cl_module_free(module->m);
  free(module);
}

uint32_t clave_module_import_count(const clave_module *module) {
  return module->m->nimports;
}

void clave_module_import(const clave_module *module, uint32_t i,
                         clave_import_desc *out) {
  const cl_import *im = &module->m->imports[i];
  out->module = im->module.str;
  out->module_len = im->module.len;
  out->name = im->name.str;
  out->name_len = im->name.len;
  out->kind = (clave_extern_kind)im->kind;
}

static void module_functype(const clave_module *module, uint32_t ti,
                            clave_functype *out) {
  const cl_functype *ft = &module->m->types[ti];
  out->nparams = ft->nparams;
  out->nresults = ft->nresults;
  out->params = module->pub_types[ti];
  out->results = module->pub_types[ti] + ft->nparams;
}

clave_status clave_module_import_functype(const clave_module *module,
                                          uint32_t i, clave_functype *out) {
  if (i >= module->m->nimports || module->m->imports[i].kind != CL_EXT_FUNC)
    return CLAVE_EARG;
  module_functype(module, module->m->imports[i].desc.typeidx, out);
  return CLAVE_OK;
}

clave_status clave_module_export_functype(const clave_module *module,
                                          uint32_t i, clave_functype *out) {
  if (i >= module->m->nexports || module->m->exports[i].kind != CL_EXT_FUNC)
    return CLAVE_EARG;
  module_functype(module, module->m->func_types[module->m->exports[i].index],
                  out);
  return CLAVE_OK;
}

uint32_t clave_module_export_count(const clave_module *module) {
  return module->m->nexports;
}

void clave_module_export(const clave_module *module, uint32_t i,
                         clave_export_desc *out) {
  const cl_export *ex = &module->m->exports[i];
  out->name = ex->name.str;
  out->name_len = ex->name.len;
  out->kind = (clave_extern_kind)ex->kind;
}

const uint8_t *clave_module_custom_section(const clave_module *module,
                                           const char *name, size_t *len) {
  size_t nl = strlen(name);
  for (uint32_t i = 0; i < module->m->ncustoms; i++) {
    const cl_custom *c = &module->m->customs[i];
    if (c->name.len == nl && memcmp(c->name.str, name, nl) == 0) {
      if (len) *len = c->len;
      return c->bytes;
    }
  }
  if (len) *len = 0;
  return NULL;
}

size_t clave_module_code_size(const clave_module *module) {
  return module->code_bytes;
}

size_t clave_module_wasm_code_size(const clave_module *module) {
  return module->m->code_section_size;
}

/* ---- signatures ---- */

static bool sig_init(cl_sig *s, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr) {
  s->nparams = np;
  s->nresults = nr;
  s->types = malloc(np + nr + 1);
  if (!s->types) return false;
  if (np) memcpy(s->types, params, np);
  if (nr) memcpy(s->types + np, results, nr);
  return true;
}

bool cl_sig_equal(const cl_sig *a, const cl_sig *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

bool cl_sig_matches(const cl_sig *a, const cl_functype *t) {
  return a->nparams == t->nparams && a->nresults == t->nresults &&
         (t->nparams == 0 || memcmp(a->types, t->params, t->nparams) == 0) &&
         (t->nresults == 0 ||
          memcmp(a->types + a->nparams, t->results, t->nresults) == 0);
}

/* ---- objects ---- */

static void instance_release(clave_instance *inst);

void cl_obj_retain(cl_object *o) {
  if (o->kind == CL_OBJ_FUNC && ((clave_func *)o)->inst)
    ((clave_func *)o)->inst->refs++;
  else
    o->refs++;
}

static void func_destroy(clave_func *f) {
  if (f->user_free) f->user_free(f->user);
  if (f->owns_types) {
    free(f->sig.types);
    free(f->pub_types);
  }
  free(f);
}

static void memory_destroy(clave_memory *m) {
  if (m->data && m->reserved) munmap(m->data, m->reserved);
  free(m);
}

void cl_obj_release(cl_object *o) {
  if (!o) return;
  if (o->kind == CL_OBJ_FUNC && ((clave_func *)o)->inst) {
    instance_release(((clave_func *)o)->inst);
    return;
  }
  if (--o->refs > 0) return;
  switch ((cl_objkind)o->kind) {
    case CL_OBJ_FUNC: func_destroy((clave_func *)o); break;
    case CL_OBJ_TABLE:
      free(((clave_table *)o)->elems);
      free(o);
      break;
    case CL_OBJ_MEMORY: memory_destroy((clave_memory *)o); break;
    case CL_OBJ_GLOBAL: free(o); break;
  }
}

static cl_object *extern_obj(clave_extern ext) {
  switch (ext.kind) {
    case CLAVE_EXTERN_FUNC: return ext.of.func ? &ext.of.func->obj : NULL;
    case CLAVE_EXTERN_TABLE: return ext.of.table ? &ext.of.table->obj : NULL;
    case CLAVE_EXTERN_MEMORY:
      return ext.of.memory ? &ext.of.memory->obj : NULL;
    case CLAVE_EXTERN_GLOBAL:
      return ext.of.global ? &ext.of.global->obj : NULL;
  }
  return NULL;
}

void clave_extern_retain(clave_extern ext) {
  cl_object *o = extern_obj(ext);
  if (o) cl_obj_retain(o);
}

void clave_extern_release(clave_extern ext) {
  cl_object *o = extern_obj(ext);
  if (o) cl_obj_release(o);
}

static bool func_pub_types(clave_func *f) {
  uint32_t n = f->sig.nparams + f->sig.nresults;
  f->pub_types = malloc((n ? n : 1) * sizeof(clave_valtype));
  if (!f->pub_types) return false;
  for (uint32_t i = 0; i < n; i++) f->pub_types[i] = (clave_valtype)f->sig.types[i];
  return true;
}

clave_func *clave_func_new_host(clave_engine *engine,
                                const clave_functype *type, clave_host_fn fn,
                                void *user, void (*user_free)(void *)) {
  (void)engine;
  if (!type || !fn || type->nparams > CL_MAX_PARAMS ||
      type->nresults > CL_MAX_RESULTS)
    return NULL;
  clave_func *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->obj.refs = 1;
  f->obj.kind = CL_OBJ_FUNC;
  uint8_t p[CL_MAX_PARAMS + 1], r[CL_MAX_RESULTS + 1];
  for (uint32_t i = 0; i < type->nparams; i++) p[i] = (uint8_t)type->params[i];
  for (uint32_t i = 0; i < type->nresults; i++) r[i] = (uint8_t)type->results[i];
  if (!sig_init(&f->sig, p, type->nparams, r, type->nresults) ||
      !func_pub_types(f)) {
    free(f->sig.types);
    free(f);
    return NULL;
  }
  f->owns_types = true;
  f->host = fn;
  f->user = user;
  f->user_free = user_free;
  return f;
}

void clave_func_type(const clave_func *func, clave_functype *out) {
  out->nparams = func->sig.nparams;
  out->nresults = func->sig.nresults;
  out->params = func->pub_types;
  out->results = func->pub_types + func->sig.nparams;
}

clave_global *clave_global_new(clave_engine *engine, clave_valtype type,
                               bool mutable_, clave_value init) {
  (void)engine;
  clave_global *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->obj.refs = 1;
  g->obj.kind = CL_OBJ_GLOBAL;
  g->type = (uint8_t)type;
  g->mut = mutable_;
  cl_value_to_slots((uint8_t)type, init, &g->value);
  return g;
}

clave_value clave_global_get(const clave_global *global) {
  return cl_value_from_slots(global->type, &global->value);
}

clave_status clave_global_set(clave_global *global, clave_value v) {
  if (!global->mut || (uint8_t)v.type != global->type) return CLAVE_EARG;
  cl_value_to_slots(global->type, v, &global->value);
  return CLAVE_OK;
}

clave_valtype clave_global_type(const clave_global *global, bool *mutable_) {
  if (mutable_) *mutable_ = global->mut;
  return (clave_valtype)global->type;
}

static clave_table *table_new(uint8_t elem, uint32_t min, bool has_max,
                              uint32_t max, uint32_t limit, void *init) {
  clave_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->obj.refs = 1;
  t->obj.kind = CL_OBJ_TABLE;
  t->elem = elem;
  t->has_max = has_max;
  t->max = has_max ? max : UINT32_MAX;
  if (t->max > limit) t->max = limit;
  t->size = min;
  t->cap = min;
  t->elems = calloc(min ? min : 1, sizeof(void *));
  if (!t->elems) {
    free(t);
    return NULL;
  }
  for (uint32_t i = 0; i < min; i++) t->elems[i] = init;
  return t;
}

clave_table *clave_table_new(clave_engine *engine, clave_valtype elem,
                             uint32_t min_elems, bool has_max,
                             uint32_t max_elems, clave_value init) {
  (void)engine;
  if (elem != CLAVE_FUNCREF && elem != CLAVE_EXTERNREF) return NULL;
  if (has_max && max_elems < min_elems) return NULL;
  return table_new((uint8_t)elem, min_elems, has_max, max_elems, UINT32_MAX,
                   init.of.externref);
}

uint32_t clave_table_size(const clave_table *table) { return table->size; }

clave_status clave_table_get(const clave_table *table, uint32_t i,
                             clave_value *out) {
  if (i >= table->size) return CLAVE_EARG;
  memset(out, 0, sizeof *out);
  out->type = (clave_valtype)table->elem;
  out->of.externref = table->elems[i];
  return CLAVE_OK;
}

int64_t cl_table_grow(clave_table *t, uint32_t delta, void *init) {
  uint32_t old = t->size;
  uint64_t want = (uint64_t)old + delta;
  if (want > t->max) return -1;
  if (want > t->cap) {
    uint64_t cap = t->cap ? t->cap : 4;
    while (cap < want) cap *= 2;
    if (cap > t->max) cap = t->max;
    if (cap > SIZE_MAX / sizeof(void *)) return -1;
    void **e = realloc(t->elems, (size_t)cap * sizeof(void *));
    if (!e) return -1;
    t->elems = e;
    t->cap = (uint32_t)cap;
  }
  for (uint64_t i = old; i < want; i++) t->elems[i] = init;
  t->size = (uint32_t)want;
  if (delta) cl_table_pin(t, init);
  return old;
}

static clave_memory *memory_new(uint32_t min, bool has_max, uint32_t max,
                                uint64_t limit_bytes) {
  clave_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->obj.refs = 1;
  m->obj.kind = CL_OBJ_MEMORY;
  m->has_max = has_max;
  m->decl_max = max;
  uint64_t eff = has_max ? max : CL_MAX_MEMORY_PAGES;
  uint64_t lim_pages = limit_bytes / PAGE_SIZE_WASM;
  if (eff > lim_pages) eff = lim_pages;
  m->max_pages = (uint32_t)eff;
  if (min > m->max_pages) {
    free(m);
    return NULL;
  }
  /* reserve the guard region too: native code may then address any
   * u32 + u32 offset and fault instead of checking */
  m->reserved = CL_MEMORY_RESERVE;
  if (m->reserved) {
    void *p = mmap(NULL, m->reserved, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      free(m);
      return NULL;
    }
    m->data = p;
  }
  if (min && mprotect(m->data, min * PAGE_SIZE_WASM, PROT_READ | PROT_WRITE)) {
    memory_destroy(m);
    return NULL;
  }
  m->pages = min;
  m->size = min * PAGE_SIZE_WASM;
  return m;
}

clave_memory *clave_memory_new(clave_engine *engine, uint32_t min_pages,
                               bool has_max, uint32_t max_pages) {
  (void)engine;
  if (min_pages > CL_MAX_MEMORY_PAGES ||
      (has_max && (max_pages > CL_MAX_MEMORY_PAGES || max_pages < min_pages)))
    return NULL;
  return memory_new(min_pages, has_max, max_pages,
                    CL_MAX_MEMORY_PAGES * PAGE_SIZE_WASM);
}

int64_t cl_memory_grow(clave_memory *m, uint32_t delta) {
  uint32_t old = m->pages;
  uint64_t want = (uint64_t)old + delta;
  if (want > m->max_pages) return -1;
  if (delta == 0) return old;
  if (mprotect(m->data + m->size, (uint64_t)delta * PAGE_SIZE_WASM,
               PROT_READ | PROT_WRITE))
    return -1;
  m->pages = (uint32_t)want;
  m->size = want * PAGE_SIZE_WASM;
  return old;
}

uint8_t *clave_memory_data(clave_memory *memory, size_t *size) {
  if (size) *size = (size_t)memory->size;
  return memory->data;
}

uint32_t clave_memory_pages(const clave_memory *memory) {
  return memory->pages;
}

int64_t clave_memory_grow(clave_memory *memory, uint32_t delta) {
  return cl_memory_grow(memory, delta);
}

clave_status clave_memory_read(clave_memory *memory, uint64_t offset,
                               void *buf, size_t len) {
  if (offset > memory->size || len > memory->size - offset) return CLAVE_EARG;
  if (len) memcpy(buf, memory->data + offset, len);
  return CLAVE_OK;
}

clave_status clave_memory_write(clave_memory *memory, uint64_t offset,
                                const void *buf, size_t len) {
  if (offset > memory->size || len > memory->size - offset) return CLAVE_EARG;
  if (len) memcpy(memory->data + offset, buf, len);
  return CLAVE_OK;
}

/* ---- instances ---- */

static void limits_defaults(clave_limits *l, const clave_limits *in) {
  memset(l, 0, sizeof *l);
  if (in) *l = *in;
  if (!l->max_memory_bytes || l->max_memory_bytes > CL_MAX_MEMORY_PAGES * PAGE_SIZE_WASM)
    l->max_memory_bytes = CL_MAX_MEMORY_PAGES * PAGE_SIZE_WASM;
  if (!l->max_table_elems) l->max_table_elems = 10000000;
  if (!l->max_call_depth) l->max_call_depth = 10000;
  if (!l->max_stack_bytes) l->max_stack_bytes = 8u << 20;
}

static const char *kind_name(uint8_t k) {
  switch (k) {
    case CL_EXT_FUNC: return "function";
    case CL_EXT_TABLE: return "table";
    case CL_EXT_MEMORY: return "memory";
    case CL_EXT_GLOBAL: return "global";
  }
  return "?";
}

static bool limits_match(uint32_t have_min, bool have_has_max,
                         uint32_t have_max, const cl_limits *want) {
  if (have_min < want->min) return false;
  if (want->has_max) {
    if (!have_has_max) return false;
    if (have_max > want->max) return false;
  }
  return true;
}

/* Does ext satisfy import im?  On failure, *why says what differs. */
static bool import_matches(const cl_module *m, const cl_import *im,
                           clave_extern ext, const char **why) {
  if ((uint8_t)ext.kind != im->kind) {
    *why = "incompatible import type";
    return false;
  }
  *why = "incompatible import type";
  switch (im->kind) {
    case CL_EXT_FUNC:
      return ext.of.func &&
             cl_sig_matches(&ext.of.func->sig, &m->types[im->desc.typeidx]);
    case CL_EXT_TABLE: {
      clave_table *t = ext.of.table;
      return t && t->elem == im->desc.table.elem &&
             limits_match(t->size, t->has_max, t->max, &im->desc.table.lim);
    }
    case CL_EXT_MEMORY: {
      clave_memory *mm = ext.of.memory;
      return mm && limits_match(mm->pages, mm->has_max, mm->decl_max,
                                &im->desc.mem.lim);
    }
    case CL_EXT_GLOBAL: {
      clave_global *g = ext.of.global;
      return g && g->type == im->desc.global.type &&
             g->mut == im->desc.global.mut;
    }
  }
  return false;
}

static cl_slot eval_const(clave_instance *inst, const cl_constexpr *e) {
  cl_slot s;
  s.u64 = 0;
  switch (e->op) {
    case CL_CONST_I32: s.u64 = e->u.i32; break;
    case CL_CONST_I64: s.u64 = e->u.i64; break;
    case CL_CONST_F32: s.u64 = e->u.f32_bits; break;
    case CL_CONST_F64: s.u64 = e->u.f64_bits; break;
    case CL_CONST_REF_NULL: s.ref = NULL; break;
    case CL_CONST_REF_FUNC: s.ref = inst->funcs[e->u.index]; break;
    case CL_CONST_GLOBAL_GET: s = *inst->gvals[e->u.index]; break;
    default: break;
  }
  return s;
}

static void instance_destroy(clave_instance *inst) {
  const cl_module *m = inst->m;
  if (inst->funcs)
    for (uint32_t i = 0; i < m->nfunc_imports; i++)
      if (inst->funcs[i]) cl_obj_release(&inst->funcs[i]->obj);
  if (inst->tables)
    for (uint32_t i = 0; i < m->ntables; i++)
      if (inst->tables[i]) cl_obj_release(&inst->tables[i]->obj);
  if (inst->mem) cl_obj_release(&inst->mem->obj);
  if (inst->globals)
    for (uint32_t i = 0; i < m->nglobals; i++)
      if (inst->globals[i]) cl_obj_release(&inst->globals[i]->obj);
  if (inst->elem_refs)
    for (uint32_t i = 0; i < m->nelems; i++) free(inst->elem_refs[i]);
  free(inst->elem_refs);
  free(inst->own_funcs);
  free(inst->funcs);
  free(inst->tables);
  free(inst->globals);
  free(inst->gvals);
  free(inst->data_dropped);
  free(inst->elem_dropped);
  free(inst->exec.stack);
  free(inst->exec.frames);
  clave_module *mod = inst->module;
  free(inst);
  clave_module_free(mod); /* last: m points into it */
}

static void instance_release(clave_instance *inst) {
  if (--inst->refs > 0) return;
  if (inst->escaped && inst->engine) {
    inst->next_parked = inst->engine->parked;
    inst->engine->parked = inst;
    return;
  }
  instance_destroy(inst);
}

void clave_instance_free(clave_instance *instance) {
  if (instance) instance_release(instance);
}

static clave_status inst_fail(clave_instance *inst, clave_error *err,
                              clave_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static clave_status inst_fail(clave_instance *inst, clave_error *err,
                              clave_status st, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = st;
    err->trap = CLAVE_TRAP_NONE;
    err->exit_code = 0;
  }
  instance_destroy(inst);
  return st;
}

/* A failure after segments ran: functions already stored in imported
 * tables must stay callable, so release rather than destroy (a table that
 * holds one of them keeps the instance). */
static clave_status run_trap(clave_instance *inst, clave_error *err,
                             clave_trap_kind kind, const char *what) {
  if (err) {
    snprintf(err->message, sizeof err->message, "%s (%s)",
             clave_trap_message(kind), what);
    err->status = CLAVE_ETRAP;
    err->trap = kind;
    err->exit_code = 0;
  }
  instance_release(inst);
  return CLAVE_ETRAP;
}

clave_status clave_instance_new(clave_engine *engine,
                                const clave_module *module,
                                const clave_extern *imports, size_t nimports,
                                const clave_limits *limits,
                                clave_instance **out, clave_error *err) {
  *out = NULL;
  const cl_module *m = module->m;
  if (nimports != m->nimports) {
    cl_error_set(err, CLAVE_EUNLINKABLE,
                 "module needs %u imports, %zu were given", m->nimports,
                 nimports);
    return CLAVE_EUNLINKABLE;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const char *why;
    if (!import_matches(m, &m->imports[i], imports[i], &why)) {
      cl_error_set(err, CLAVE_EUNLINKABLE, "%s: import %u (%s \"%s\".\"%s\")",
                   why, i, kind_name(m->imports[i].kind),
                   m->imports[i].module.str, m->imports[i].name.str);
      return CLAVE_EUNLINKABLE;
    }
  }

  clave_instance *inst = calloc(1, sizeof *inst);
  if (!inst) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory creating an instance");
    return CLAVE_ENOMEM;
  }
  inst->refs = 1;
  inst->engine = engine;
  inst->module = (clave_module *)module;
  inst->module->refs++;
  inst->m = m;
  limits_defaults(&inst->limits, limits);
  inst->exec.fuel_left = inst->limits.fuel ? (int64_t)inst->limits.fuel : -1;
  atomic_init(&inst->exec.interrupt, 0);

  uint32_t ndef = m->nfuncs - m->nfunc_imports;
  inst->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *inst->funcs);
  inst->own_funcs = calloc(ndef ? ndef : 1, sizeof *inst->own_funcs);
  inst->tables = calloc(m->ntables ? m->ntables : 1, sizeof *inst->tables);
  inst->globals = calloc(m->nglobals ? m->nglobals : 1, sizeof *inst->globals);
  inst->gvals = calloc(m->nglobals ? m->nglobals : 1, sizeof *inst->gvals);
  inst->data_dropped = calloc(m->ndatas ? m->ndatas : 1, 1);
  inst->elem_dropped = calloc(m->nelems ? m->nelems : 1, 1);
  inst->elem_refs = calloc(m->nelems ? m->nelems : 1, sizeof *inst->elem_refs);
  if (!inst->funcs || !inst->own_funcs || !inst->tables || !inst->globals ||
      !inst->gvals || !inst->data_dropped || !inst->elem_dropped ||
      !inst->elem_refs)
    return inst_fail(inst, err, CLAVE_ENOMEM, "out of memory creating an instance");

  /* imports */
  uint32_t fi = 0, ti = 0, gi = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    clave_extern e = imports[i];
    switch (m->imports[i].kind) {
      case CL_EXT_FUNC:
        inst->funcs[fi++] = e.of.func;
        cl_obj_retain(&e.of.func->obj);
        break;
      case CL_EXT_TABLE:
        inst->tables[ti++] = e.of.table;
        cl_obj_retain(&e.of.table->obj);
        break;
      case CL_EXT_MEMORY:
        inst->mem = e.of.memory;
        cl_obj_retain(&e.of.memory->obj);
        break;
      case CL_EXT_GLOBAL:
        inst->globals[gi] = e.of.global;
        inst->gvals[gi] = &e.of.global->value;
        gi++;
        cl_obj_retain(&e.of.global->obj);
        break;
    }
  }

  /* the module's own functions */
  for (uint32_t i = 0; i < ndef; i++) {
    clave_func *f = &inst->own_funcs[i];
    uint32_t tix = m->func_types[m->nfunc_imports + i];
    f->obj.kind = CL_OBJ_FUNC;
    f->obj.refs = 1;
    f->inst = inst;
    f->code = &module->codes[i];
    f->native = cl_aot_native(module, i); /* AOT hook */
    if (f->native) f->code = NULL;
    f->sig.nparams = m->types[tix].nparams;
    f->sig.nresults = m->types[tix].nresults;
    f->sig.types = module->sig_types[tix];
    f->pub_types = module->pub_types[tix];
    inst->funcs[m->nfunc_imports + i] = f;
  }

  /* memories */
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
    const cl_memtype *mt = &m->mems[i];
    if ((uint64_t)mt->lim.min * PAGE_SIZE_WASM > inst->limits.max_memory_bytes)
      return inst_fail(inst, err, CLAVE_ELIMIT,
                       "memory %u needs %u pages (%llu MiB), over the limit of "
                       "%llu MiB",
                       i, mt->lim.min,
                       (unsigned long long)mt->lim.min * 64 / 1024,
                       (unsigned long long)(inst->limits.max_memory_bytes >> 20));
    inst->mem = memory_new(mt->lim.min, mt->lim.has_max, mt->lim.max,
                           inst->limits.max_memory_bytes);
    if (!inst->mem)
      return inst_fail(inst, err, CLAVE_ENOMEM,
                       "cannot reserve memory %u (%u pages)", i, mt->lim.min);
  }
  if (inst->mem && inst->mem->size > inst->limits.max_memory_bytes &&
      m->nmem_imports)
    return inst_fail(inst, err, CLAVE_ELIMIT,
                     "imported memory of %u pages is over the memory limit",
                     inst->mem->pages);

  /* globals */
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
    clave_global *g = calloc(1, sizeof *g);
    if (!g) return inst_fail(inst, err, CLAVE_ENOMEM, "out of memory");
    g->obj.refs = 1;
    g->obj.kind = CL_OBJ_GLOBAL;
    g->type = m->globals[i].type.type;
    g->mut = m->globals[i].type.mut;
    inst->globals[i] = g;
    inst->gvals[i] = &g->value;
    const cl_constexpr *init = &m->globals[i].init;
    if (g->type == CL_V128) /* v128.const, or global.get of a v128 */
      memcpy(&g->value,
             init->op == CL_CONST_V128 ? (const void *)init->u.v128
                                       : (const void *)inst->gvals[init->u.index],
             16);
    else
      g->value = eval_const(inst, init);
  }

  /* tables */
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
    const cl_tabletype *tt = &m->tables[i];
    if (tt->lim.min > inst->limits.max_table_elems)
      return inst_fail(inst, err, CLAVE_ELIMIT,
                       "table %u needs %u elements, over the limit of %u", i,
                       tt->lim.min, inst->limits.max_table_elems);
    inst->tables[i] = table_new(tt->elem, tt->lim.min, tt->lim.has_max,
                                tt->lim.max, inst->limits.max_table_elems, NULL);
    if (!inst->tables[i])
      return inst_fail(inst, err, CLAVE_ENOMEM, "out of memory for table %u", i);
    inst->tables[i]->owner = inst;
  }

  /* element segments: evaluate every item, then apply the active ones */
  for (uint32_t i = 0; i < m->nelems; i++) {
    const cl_elem *el = &m->elems[i];
    inst->elem_refs[i] = calloc(el->count ? el->count : 1, sizeof(void *));
    if (!inst->elem_refs[i])
      return inst_fail(inst, err, CLAVE_ENOMEM, "out of memory for elements");
    for (uint32_t k = 0; k < el->count; k++)
      inst->elem_refs[i][k] = eval_const(inst, &el->items[k]).ref;
  }
  for (uint32_t i = 0; i < m->nelems; i++) {
    const cl_elem *el = &m->elems[i];
    if (el->mode == CL_SEG_ACTIVE) {
      clave_table *t = inst->tables[el->table];
      uint64_t off = eval_const(inst, &el->offset).u32;
      if (off + el->count > t->size) {
        char what[64];
        snprintf(what, sizeof what, "element segment %u", i);
        return run_trap(inst, err, CLAVE_TRAP_TABLE_OOB, what);
      }
      for (uint32_t k = 0; k < el->count; k++) {
        t->elems[off + k] = inst->elem_refs[i][k];
        cl_table_pin(t, inst->elem_refs[i][k]);
      }
      inst->elem_dropped[i] = 1;
    } else if (el->mode == CL_SEG_DECLARATIVE) {
      inst->elem_dropped[i] = 1;
    }
  }
  /* data segments */
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const cl_data *d = &m->datas[i];
    if (d->mode != CL_SEG_ACTIVE) continue;
    uint64_t off = eval_const(inst, &d->offset).u32;
    uint64_t size = inst->mem ? inst->mem->size : 0;
    if (off + d->len > size) {
      char what[64];
      snprintf(what, sizeof what, "data segment %u", i);
      return run_trap(inst, err, CLAVE_TRAP_MEMORY_OOB, what);
    }
    if (d->len) memcpy(inst->mem->data + off, d->bytes, d->len);
    inst->data_dropped[i] = 1;
  }

  /* start function */
  if (m->has_start) {
    clave_func *f = inst->funcs[m->start];
    cl_slot io[1];
    clave_error e2;
    clave_status st = cl_interp_call(inst, f, io, &e2);
    if (st != CLAVE_OK) {
      if (err) {
        *err = e2;
        size_t l = strlen(err->message);
        snprintf(err->message + l, sizeof err->message - l,
                 " (in start function %u)", m->start);
      }
      instance_release(inst);
      return st;
    }
  }
  *out = inst;
  return CLAVE_OK;
}

static clave_status export_lookup(clave_instance *inst, const char *name,
                                  size_t len, clave_extern *out) {
  const cl_module *m = inst->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const cl_export *e = &m->exports[i];
    if (e->name.len != len || memcmp(e->name.str, name, len) != 0) continue;
    out->kind = (clave_extern_kind)e->kind;
    switch (e->kind) {
      case CL_EXT_FUNC: out->of.func = inst->funcs[e->index]; break;
      case CL_EXT_TABLE: out->of.table = inst->tables[e->index]; break;
      case CL_EXT_MEMORY: out->of.memory = inst->mem; break;
      case CL_EXT_GLOBAL: out->of.global = inst->globals[e->index]; break;
    }
    return CLAVE_OK;
  }
  return CLAVE_ENOTFOUND;
}

clave_status clave_instance_export(clave_instance *instance, const char *name,
                                   clave_extern *out) {
  return export_lookup(instance, name, strlen(name), out);
}

clave_status clave_instance_export_n(clave_instance *instance,
                                     const char *name, size_t name_len,
                                     clave_extern *out) {
  return export_lookup(instance, name, name_len, out);
}

size_t clave_instance_footprint(const clave_instance *inst) {
  const cl_module *m = inst->m;
  size_t n = sizeof *inst;
  uint32_t ndef = m->nfuncs - m->nfunc_imports;
  n += (size_t)m->nfuncs * sizeof *inst->funcs;
  n += (size_t)ndef * sizeof *inst->own_funcs;
  n += (size_t)m->ntables * sizeof *inst->tables;
  n += (size_t)m->nglobals * (sizeof *inst->globals + sizeof *inst->gvals);
  n += m->ndatas + m->nelems + (size_t)m->nelems * sizeof *inst->elem_refs;
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
    n += sizeof(clave_table) + (size_t)inst->tables[i]->cap * sizeof(void *);
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
    n += sizeof(clave_global);
  for (uint32_t i = 0; i < m->nelems; i++)
    n += (size_t)m->elems[i].count * sizeof(void *);
  if (m->nmems > m->nmem_imports) n += sizeof(clave_memory);
  return n;
}

clave_memory *clave_instance_memory(clave_instance *instance) {
  return instance->mem;
}

uint64_t clave_instance_fuel(const clave_instance *instance) {
  return instance->exec.fuel_left < 0 ? UINT64_MAX
                                      : (uint64_t)instance->exec.fuel_left;
}

void clave_instance_set_fuel(clave_instance *instance, uint64_t fuel) {
  instance->exec.fuel_left = fuel > INT64_MAX ? INT64_MAX : (int64_t)fuel;
}

void clave_instance_interrupt(clave_instance *instance) {
  atomic_store(&instance->exec.interrupt, 1);
}

/* ---- calls ---- */

static const char *type_name(uint8_t t) {
  switch (t) {
    case CL_I32: return "i32";
    case CL_I64: return "i64";
    case CL_F32: return "f32";
    case CL_F64: return "f64";
    case CL_V128: return "v128";
    case CL_FUNCREF: return "funcref";
    case CL_EXTERNREF: return "externref";
  }
  return "?";
}

clave_status clave_func_call(clave_func *func, const clave_value *args,
                             size_t nargs, clave_value *results,
                             size_t nresults, clave_error *err) {
  if (!func) {
    cl_error_set(err, CLAVE_EARG, "function is NULL");
    return CLAVE_EARG;
  }
  const cl_sig *s = &func->sig;
  if (nargs != s->nparams || nresults != s->nresults) {
    cl_error_set(err, CLAVE_EARG,
                 "function takes %u arguments and returns %u results; called "
                 "with %zu and room for %zu",
                 s->nparams, s->nresults, nargs, nresults);
    return CLAVE_EARG;
  }
  for (size_t i = 0; i < nargs; i++)
    if ((uint8_t)args[i].type != s->types[i]) {
      cl_error_set(err, CLAVE_EARG, "argument %zu has type %s, expected %s", i,
                   type_name((uint8_t)args[i].type), type_name(s->types[i]));
      return CLAVE_EARG;
    }
  /* arguments and results in slot layout: a v128 takes two slots */
  size_t n = 2 * (nargs > nresults ? nargs : nresults);
  cl_slot small[32];
  cl_slot *io = n <= 32 ? small : malloc(n * sizeof *io);
  if (!io) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory");
    return CLAVE_ENOMEM;
  }
  for (size_t i = 0, k = 0; i < nargs; i++)
    k += cl_value_to_slots(s->types[i], args[i], &io[k]);
  clave_instance *inst = func->inst;
  if (inst) inst->refs++; /* the call keeps the instance alive */
  clave_status st = cl_interp_call(inst, func, io, err);
  if (st == CLAVE_OK)
    for (size_t i = 0, k = 0; i < nresults; i++) {
      uint8_t ty = s->types[s->nparams + i];
      results[i] = cl_value_from_slots(ty, &io[k]);
      k += cl_type_slots(ty);
    }
  if (inst) instance_release(inst);
  if (io != small) free(io);
  return st;
}

/* ---- callers (host functions) ---- */

clave_memory *clave_caller_memory(clave_caller *caller) {
  return caller && caller->inst ? caller->inst->mem : NULL;
}

clave_instance *clave_caller_instance(clave_caller *caller) {
  return caller ? caller->inst : NULL;
}

clave_status clave_caller_trap(clave_caller *caller, clave_trap_kind kind,
                               const char *fmt, ...) {
  if (caller && caller->exec) {
    caller->exec->trap = kind == CLAVE_TRAP_NONE ? CLAVE_TRAP_HOST : kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(caller->exec->trap_msg, sizeof caller->exec->trap_msg, fmt, ap);
    va_end(ap);
  }
  return CLAVE_ETRAP;
}

clave_status clave_caller_exit(clave_caller *caller, int code) {
  if (caller && caller->exec) {
    caller->exec->trap = CLAVE_TRAP_EXIT;
    caller->exec->exit_code = code;
    snprintf(caller->exec->trap_msg, sizeof caller->exec->trap_msg,
             "exit with code %d", code);
  }
  return CLAVE_ETRAP;
}

/* ---- linker ---- */

typedef struct link_entry {
  char *module;
  char *name;
  size_t module_len, name_len;
  clave_extern ext;
} link_entry;

struct clave_linker {
  clave_engine *engine;
  link_entry *entries;
  size_t n, cap;
};

clave_linker *clave_linker_new(clave_engine *engine) {
  clave_linker *l = calloc(1, sizeof *l);
  if (l) l->engine = engine;
  return l;
}

void clave_linker_free(clave_linker *linker) {
  if (!linker) return;
  for (size_t i = 0; i < linker->n; i++) {
    clave_extern_release(linker->entries[i].ext);
    free(linker->entries[i].module);
    free(linker->entries[i].name);
  }
  free(linker->entries);
  free(linker);
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

static clave_status linker_define_n(clave_linker *l, const char *module,
                                    size_t ml, const char *name, size_t nl,
                                    clave_extern ext) {
  if (!extern_obj(ext)) return CLAVE_EARG;
  for (size_t i = 0; i < l->n; i++) {
    link_entry *e = &l->entries[i];
    if (e->module_len == ml && e->name_len == nl &&
        memcmp(e->module, module, ml) == 0 && memcmp(e->name, name, nl) == 0) {
      clave_extern_retain(ext);
      clave_extern_release(e->ext);
      e->ext = ext;
      return CLAVE_OK;
    }
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    link_entry *ne = realloc(l->entries, cap * sizeof *ne);
    if (!ne) return CLAVE_ENOMEM;
    l->entries = ne;
    l->cap = cap;
  }
  link_entry *e = &l->entries[l->n];
  e->module = dup_n(module, ml);
  e->name = dup_n(name, nl);
  if (!e->module || !e->name) {
    free(e->module);
    free(e->name);
    return CLAVE_ENOMEM;
  }
  e->module_len = ml;
  e->name_len = nl;
  e->ext = ext;
  clave_extern_retain(ext);
  l->n++;
  return CLAVE_OK;
}

clave_status clave_linker_define(clave_linker *linker, const char *module,
                                 const char *name, clave_extern ext) {
  return linker_define_n(linker, module, strlen(module), name, strlen(name),
                         ext);
}

clave_status clave_linker_define_instance(clave_linker *linker,
                                          const char *module,
                                          clave_instance *inst) {
  const cl_module *m = inst->m;
  for (uint32_t i = 0; i < m->nexports; i++) {
    clave_extern ext;
    const cl_export *e = &m->exports[i];
    export_lookup(inst, e->name.str, e->name.len, &ext);
    clave_status st = linker_define_n(linker, module, strlen(module),
                                      e->name.str, e->name.len, ext);
    if (st != CLAVE_OK) return st;
  }
  return CLAVE_OK;
}

clave_status clave_linker_instantiate(clave_linker *linker,
                                      const clave_module *module,
                                      const clave_limits *limits,
                                      clave_instance **out, clave_error *err) {
  const cl_module *m = module->m;
  *out = NULL;
  clave_extern *imps = calloc(m->nimports ? m->nimports : 1, sizeof *imps);
  if (!imps) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory");
    return CLAVE_ENOMEM;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const cl_import *im = &m->imports[i];
    bool found = false;
    for (size_t k = 0; k < linker->n; k++) {
      link_entry *e = &linker->entries[k];
      if (e->module_len == im->module.len && e->name_len == im->name.len &&
          memcmp(e->module, im->module.str, im->module.len) == 0 &&
          memcmp(e->name, im->name.str, im->name.len) == 0) {
        imps[i] = e->ext;
        found = true;
        break;
      }
    }
    if (!found) {
      cl_error_set(err, CLAVE_EUNLINKABLE, "unknown import %s.%s (%s)",
                   im->module.str, im->name.str, kind_name(im->kind));
      free(imps);
      return CLAVE_EUNLINKABLE;
    }
  }
  clave_status st = clave_instance_new(linker->engine, module, imps,
                                       m->nimports, limits, out, err);
  free(imps);
  return st;
}
