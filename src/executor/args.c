/*
 * args.c - a task's arguments, from a JSON object to argc/argv in wasm.
 *
 * Teaclave passes a function's arguments as [k1, v1, k2, v2, ...] with the
 * keys in lexicographic (byte) order; a string value is passed as its
 * characters, any other value as its compact JSON text.  The strings and
 * a NULL terminated pointer array are copied into the payload's linear
 * memory, through the payload's own malloc when it exports one (so its
 * allocator knows the block is taken) and otherwise into fresh pages
 * grown above everything the module already uses.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "executor/cx_internal.h"

void cx_args_free(cx_args *args) {
  for (size_t i = 0; i < args->count; i++) free(args->strs[i]);
  free(args->strs);
  free(args->lens);
  memset(args, 0, sizeof *args);
}

static int cx_key_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *cx_json_kind(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a number";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
  }
  return "a value";
}

clave_status cx_args_parse(const char *json, cx_args *out, clave_error *err) {
  memset(out, 0, sizeof *out);
  if (!json) return CLAVE_OK;
  json_error_t jerr;
  json_t *root =
      json_loads(json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    cx_error(err, CLAVE_EARG, "arguments: invalid JSON at line %d column %d: %s",
             jerr.line, jerr.column, jerr.text);
    return CLAVE_EARG;
  }
  if (!json_is_object(root)) {
    cx_error(err, CLAVE_EARG, "arguments: must be a JSON object, got %s",
             cx_json_kind(root));
    json_decref(root);
    return CLAVE_EARG;
  }
  size_t nkeys = json_object_size(root);
  const char **keys = calloc(nkeys ? nkeys : 1, sizeof *keys);
  out->strs = calloc(2 * nkeys + 1, sizeof *out->strs);
  out->lens = calloc(2 * nkeys + 1, sizeof *out->lens);
  if (!keys || !out->strs || !out->lens) goto nomem;
  const char *key;
  json_t *value;
  size_t k = 0;
  json_object_foreach(root, key, value) keys[k++] = key;
  qsort(keys, nkeys, sizeof *keys, cx_key_cmp);
  for (k = 0; k < nkeys; k++) {
    value = json_object_get(root, keys[k]);
    char *kv = strdup(keys[k]);
    char *vv = json_is_string(value)
                   ? strndup(json_string_value(value), json_string_length(value))
                   : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    out->strs[out->count] = kv;
    out->strs[out->count + 1] = vv;
    out->count += 2;
    if (!kv || !vv) goto nomem;
    out->lens[out->count - 2] = strlen(kv);
    out->lens[out->count - 1] = strlen(vv);
  }
  free(keys);
  json_decref(root);
  return CLAVE_OK;
nomem:
  free(keys);
  json_decref(root);
  cx_args_free(out);
  cx_error(err, CLAVE_ENOMEM, "arguments: out of memory");
  return CLAVE_ENOMEM;
}

/* Is the export name a function of type (params) -> (results)? */
static clave_func *cx_export_func(clave_instance *inst, const char *name,
                                  uint32_t nparams, uint32_t nresults) {
  clave_extern ext;
  if (clave_instance_export(inst, name, &ext) != CLAVE_OK ||
      ext.kind != CLAVE_EXTERN_FUNC)
    return NULL;
  clave_functype t;
  clave_func_type(ext.of.func, &t);
  if (t.nparams != nparams || t.nresults != nresults) return NULL;
  for (uint32_t i = 0; i < t.nparams; i++)
    if (t.params[i] != CLAVE_I32) return NULL;
  for (uint32_t i = 0; i < t.nresults; i++)
    if (t.results[i] != CLAVE_I32) return NULL;
  return ext.of.func;
}

clave_status cx_args_place(clave_instance *inst, const cx_args *args,
                           uint32_t *argv_addr, clave_error *err) {
  *argv_addr = 0;
  if (args->count == 0) return CLAVE_OK;
  size_t table = 4 * (args->count + 1);
  size_t total = table;
  for (size_t i = 0; i < args->count; i++) total += args->lens[i] + 1;
  if (total > CX_MAX_ARGS_BYTES) {
    cx_error(err, CLAVE_ELIMIT,
             "arguments: %zu bytes once flattened, more than the %zu allowed",
             total, (size_t)CX_MAX_ARGS_BYTES);
    return CLAVE_ELIMIT;
  }
  clave_memory *mem = clave_instance_memory(inst);
  if (!mem) {
    cx_error(err, CLAVE_EARG,
             "arguments: the payload has no linear memory to receive them "
             "(%zu argument%s, %zu bytes)",
             args->count / 2, args->count == 2 ? "" : "s", total);
    return CLAVE_EARG;
  }
  uint64_t base;
  clave_func *pmalloc = cx_export_func(inst, "malloc", 1, 1);
  if (pmalloc) {
    clave_value arg = clave_i32((int32_t)total), res = clave_i32(0);
    clave_status st = clave_func_call(pmalloc, &arg, 1, &res, 1, err);
    if (st != CLAVE_OK) return st;
    base = (uint32_t)res.of.i32;
    if (base == 0) {
      cx_error(err, CLAVE_ENOMEM,
               "arguments: the payload's malloc(%zu) returned NULL", total);
      return CLAVE_ENOMEM;
    }
  } else {
    uint32_t pages = (uint32_t)((total + CX_PAGE - 1) / CX_PAGE);
    int64_t old = clave_memory_grow(mem, pages);
    if (old < 0) {
      cx_error(err, CLAVE_ELIMIT,
               "arguments: cannot grow linear memory by %u page%s for %zu "
               "bytes of arguments",
               pages, pages == 1 ? "" : "s", total);
      return CLAVE_ELIMIT;
    }
    base = (uint64_t)old * CX_PAGE;
  }
  size_t size = 0;
  uint8_t *mbase = clave_memory_data(mem, &size);
  if (base > size || total > size - base) {
    cx_error(err, CLAVE_EARG,
             "arguments: the payload's malloc(%zu) returned 0x%llx, outside "
             "its %zu bytes of memory",
             total, (unsigned long long)base, size);
    return CLAVE_EARG;
  }
  uint8_t *p = mbase + base;
  uint64_t str = base + table;
  for (size_t i = 0; i < args->count; i++) {
    uint32_t a = (uint32_t)str;
    for (int b = 0; b < 4; b++) p[4 * i + b] = (uint8_t)(a >> (8 * b));
    memcpy(mbase + str, args->strs[i], args->lens[i] + 1);
    str += args->lens[i] + 1;
  }
  memset(p + 4 * args->count, 0, 4);
  *argv_addr = (uint32_t)base;
  return CLAVE_OK;
}
