/*
 * functions.c - registering, reading, updating, disabling and deleting
 * functions.
 *
 * A function is a payload (a WebAssembly module, kept as a blob named by
 * its SHA-256) plus what tasks may do with it: declared arguments (with
 * defaults and whether a task may override them), declared input and
 * output names, who may use it (public or an allow-list), a usage quota
 * and resource limits.  The payload is loaded by the executor at
 * registration (in a sandboxed child process, like a task), so a module
 * that would never run is refused then, with the engine's own message,
 * instead of failing every task later.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

static int cp_can_own_functions(const cp_req *r) {
  return cp_is_admin(r) || !strcmp(r->user.role, "FunctionOwner");
}

int cp_function_usable(const cp_req *r, const clave_function_rec *fn) {
  if (cp_is_admin(r) || fn->is_public || !strcmp(fn->owner, r->user.id))
    return 1;
  json_t *allow = cp_jload(fn->allowlist_json);
  int ok = json_is_array(allow) && cp_jset_contains(allow, r->user.id);
  json_decref(allow);
  return ok;
}

/* Check a payload with the executor: decode, validate, imports, entry. */
static int cp_check_payload(cp_req *r, const uint8_t *bytes, size_t len) {
  if (len < 8 || memcmp(bytes, "\0asm", 4) != 0)
    return cp_fail(r, 400,
                   "payload is not a WebAssembly module (no \\0asm header)");
  /* the engine reads untrusted bytes here: do it in a sandboxed child, so
   * that no payload can hurt the server even through an engine bug */
  char msg[700];
  if (cp_validate_payload(r->p, bytes, len, msg, sizeof msg))
    return cp_fail(r, 400, "%s", msg);
  return 0;
}

/* Normalise the declared arguments/inputs/outputs into arrays of objects;
 * NULL with the reply set on error. */
static json_t *cp_norm_args(cp_req *r, json_t *in) {
  json_t *out = json_array();
  if (!in || json_is_null(in)) return out;
  if (!json_is_array(in)) {
    json_decref(out);
    cp_fail(r, 400, "\"arguments\" must be a list");
    return NULL;
  }
  size_t i;
  json_t *e;
  json_array_foreach(in, i, e) {
    const char *key = json_is_string(e) ? json_string_value(e) : cp_jstr(e, "key");
    if (!key || !*key || strlen(key) > 256) {
      json_decref(out);
      cp_fail(r, 400, "argument %zu needs a \"key\" (1-256 characters)", i);
      return NULL;
    }
    json_t *dv = json_is_object(e) ? json_object_get(e, "default_value") : NULL;
    json_t *ao = json_is_object(e) ? json_object_get(e, "allow_overwrite") : NULL;
    if (dv && !json_is_string(dv)) {
      json_decref(out);
      cp_fail(r, 400, "argument '%s': default_value must be a string", key);
      return NULL;
    }
    size_t j;
    json_t *prev;
    json_array_foreach(out, j, prev) {
      if (!strcmp(cp_jstr(prev, "key"), key)) {
        json_decref(out);
        cp_fail(r, 400, "argument '%s' is declared twice", key);
        return NULL;
      }
    }
    json_array_append_new(
        out, json_pack("{s:s,s:s,s:b}", "key", key, "default_value",
                       dv ? json_string_value(dv) : "", "allow_overwrite",
                       ao ? json_is_true(ao) : 1));
  }
  return out;
}

static json_t *cp_norm_io(cp_req *r, json_t *in, const char *what) {
  json_t *out = json_array();
  if (!in || json_is_null(in)) return out;
  if (!json_is_array(in)) {
    json_decref(out);
    cp_fail(r, 400, "\"%s\" must be a list", what);
    return NULL;
  }
  size_t i;
  json_t *e;
  json_array_foreach(in, i, e) {
    const char *name = json_is_string(e) ? json_string_value(e) : cp_jstr(e, "name");
    if (!name || !cp_valid_name(name, 128)) {
      json_decref(out);
      cp_fail(r, 400,
              "%s %zu needs a \"name\" of 1-128 letters, digits, '_', '-', "
              "'.', '@'",
              what, i);
      return NULL;
    }
    const char *desc = json_is_object(e) ? cp_jstr(e, "description") : NULL;
    json_t *opt = json_is_object(e) ? json_object_get(e, "optional") : NULL;
    size_t j;
    json_t *prev;
    json_array_foreach(out, j, prev) {
      if (!strcmp(cp_jstr(prev, "name"), name)) {
        json_decref(out);
        cp_fail(r, 400, "%s '%s' is declared twice", what, name);
        return NULL;
      }
    }
    json_array_append_new(out, json_pack("{s:s,s:s,s:b}", "name", name,
                                         "description", desc ? desc : "",
                                         "optional", json_is_true(opt)));
  }
  return out;
}

static json_t *cp_norm_limits(cp_req *r, json_t *in) {
  json_t *out = json_object();
  if (!in || json_is_null(in)) return out;
  if (!json_is_object(in)) {
    json_decref(out);
    cp_fail(r, 400, "\"limits\" must be an object");
    return NULL;
  }
  static const char *const keys[] = {"fuel", "memory_mb", "timeout_ms"};
  const char *k;
  json_t *v;
  json_object_foreach(in, k, v) {
    int known = 0;
    for (int i = 0; i < 3; i++) known |= !strcmp(k, keys[i]);
    if (!known) {
      json_decref(out);
      cp_fail(r, 400, "unknown limit '%s' (fuel, memory_mb, timeout_ms)", k);
      return NULL;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
      json_decref(out);
      cp_fail(r, 400, "limit '%s' must be a non-negative integer", k);
      return NULL;
    }
    json_object_set(out, k, v);
  }
  return out;
}

/* Fill fn from the request body (register: everything; update: what the
 * body names).  Stores the payload blob when one is given. */
static int cp_fill_function(cp_req *r, clave_function_rec *fn, int create) {
  json_t *b = r->body;
  const char *name = cp_jstr(b, "name");
  if (create || json_object_get(b, "name")) {
    if (!name || !*name || strlen(name) > 256)
      return cp_fail(r, 400, "a function needs a \"name\" (1-256 characters)");
    free(fn->name);
    fn->name = strdup(name);
  }
  if (json_object_get(b, "description")) {
    const char *d = cp_jstr(b, "description");
    if (!d) return cp_fail(r, 400, "\"description\" must be a string");
    free(fn->description);
    fn->description = strdup(d);
  } else if (create) {
    fn->description = strdup("");
  }
  if (create || json_object_get(b, "executor_type")) {
    const char *ex = cp_jstr(b, "executor_type");
    if (!ex) ex = "wasm";
    if (strcmp(ex, "wasm") && strcmp(ex, "wamr") && strcmp(ex, "clave"))
      return cp_fail(r, 400,
                     "unknown executor_type '%.64s' (wasm; wamr and clave "
                     "are accepted as aliases)",
                     ex);
    free(fn->executor);
    fn->executor = strdup("wasm");
  }
  json_t *pub = json_object_get(b, "public");
  if (pub) {
    if (!json_is_boolean(pub)) return cp_fail(r, 400, "\"public\" must be true or false");
    fn->is_public = json_is_true(pub);
  } else if (create) {
    fn->is_public = 1;
  }
  struct {
    const char *key;
    char **field;
    json_t *(*norm)(cp_req *, json_t *, const char *);
  } lists[] = {{"inputs", &fn->inputs_json, cp_norm_io},
               {"outputs", &fn->outputs_json, cp_norm_io}};
  for (int i = 0; i < 2; i++) {
    if (!create && !json_object_get(b, lists[i].key)) continue;
    json_t *v = lists[i].norm(r, json_object_get(b, lists[i].key),
                              lists[i].key[0] == 'i' ? "input" : "output");
    if (!v) return -1;
    free(*lists[i].field);
    *lists[i].field = cp_jdump(v);
    json_decref(v);
  }
  if (create || json_object_get(b, "arguments")) {
    json_t *v = cp_norm_args(r, json_object_get(b, "arguments"));
    if (!v) return -1;
    free(fn->arguments_json);
    fn->arguments_json = cp_jdump(v);
    json_decref(v);
  }
  if (create || json_object_get(b, "limits")) {
    json_t *v = cp_norm_limits(r, json_object_get(b, "limits"));
    if (!v) return -1;
    free(fn->limits_json);
    fn->limits_json = cp_jdump(v);
    json_decref(v);
  }
  if (create || json_object_get(b, "user_allowlist")) {
    json_t *al = json_object_get(b, "user_allowlist");
    json_t *set = al ? cp_jstrset(al) : json_array();
    if (!set) return cp_fail(r, 400, "\"user_allowlist\" must be a list of user ids");
    free(fn->allowlist_json);
    fn->allowlist_json = cp_jdump(set);
    json_decref(set);
  }
  json_t *q = json_object_get(b, "usage_quota");
  if (q) {
    if (!json_is_integer(q) || json_integer_value(q) < -1)
      return cp_fail(r, 400, "\"usage_quota\" must be an integer, -1 for no quota");
    fn->usage_quota = json_integer_value(q);
  } else if (create) {
    fn->usage_quota = -1;
  }

  /* the payload: inline base64, or a blob uploaded before */
  json_t *pl = json_object_get(b, "payload");
  const char *blob = cp_jstr(b, "payload_blob");
  if (pl && blob) return cp_fail(r, 400, "give \"payload\" or \"payload_blob\", not both");
  uint8_t *bytes = NULL;
  size_t len = 0;
  clave_error err;
  if (pl) {
    if (!json_is_string(pl) || cp_b64_decode(json_string_value(pl), &bytes, &len))
      return cp_fail(r, 400, "\"payload\" must be base64 text");
  } else if (blob) {
    if (!clave_blob_exists(r->p->store, blob))
      return cp_fail(r, 404, "payload blob '%.80s' not found (upload it to /v1/blobs first)", blob);
    if (clave_blob_get(r->p->store, blob, &bytes, &len, &err))
      return cp_fail_err(r, &err);
  } else if (create) {
    return cp_fail(r, 400, "a function needs a \"payload\" (base64) or a \"payload_blob\"");
  } else {
    return 0;
  }
  if (len > r->p->cfg.max_payload_bytes) {
    free(bytes);
    return cp_fail(r, 413, "payload of %zu bytes is larger than the limit of %llu bytes",
                   len, (unsigned long long)r->p->cfg.max_payload_bytes);
  }
  if (cp_check_payload(r, bytes, len)) {
    free(bytes);
    return -1;
  }
  char sha[65];
  clave_status st = clave_blob_put(r->p->store, bytes, len, sha, &err);
  free(bytes);
  if (st) return cp_fail_err(r, &err);
  free(fn->payload_sha256);
  fn->payload_sha256 = strdup(sha);
  fn->payload_size = (int64_t)len;
  return 0;
}

static json_t *cp_function_json(const clave_function_rec *fn) {
  json_t *j = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:I,s:s,s:I,s:I,s:I}", "function_id",
      fn->id, "name", fn->name, "description", fn->description, "owner",
      fn->owner, "executor_type", fn->executor, "public", fn->is_public,
      "disabled", fn->disabled, "usage_quota", (json_int_t)fn->usage_quota,
      "usage_count", (json_int_t)fn->usage_count, "payload_sha256",
      fn->payload_sha256, "payload_size", (json_int_t)fn->payload_size,
      "created_at", (json_int_t)fn->created_at, "updated_at",
      (json_int_t)fn->updated_at);
  json_object_set_new(j, "arguments", cp_jload(fn->arguments_json));
  json_object_set_new(j, "inputs", cp_jload(fn->inputs_json));
  json_object_set_new(j, "outputs", cp_jload(fn->outputs_json));
  json_object_set_new(j, "user_allowlist", cp_jload(fn->allowlist_json));
  json_object_set_new(j, "limits", cp_jload(fn->limits_json));
  return j;
}

int cp_functions_register(cp_req *r) {
  if (!cp_can_own_functions(r))
    return cp_fail(r, 403, "role %s may not register functions", r->user.role);
  clave_function_rec fn = {0};
  char id[64];
  cp_new_id("function", id, sizeof id);
  snprintf(r->target, sizeof r->target, "%s", id);
  fn.id = strdup(id);
  fn.owner = strdup(r->user.id);
  int rc = cp_fill_function(r, &fn, 1);
  if (!rc) {
    fn.created_at = fn.updated_at = cp_now_ms() / 1000;
    clave_error err;
    if (clave_store_function_put(r->p->store, &fn, 1, &err))
      rc = cp_fail_err(r, &err);
    else
      rc = cp_ok(r, json_pack("{s:s}", "function_id", id));
  }
  clave_function_rec_free(&fn);
  return rc;
}

/* Load the function named in the path, checking who may see/change it. */
static int cp_load_function(cp_req *r, clave_function_rec *fn, int manage) {
  const char *id = r->parts[1];
  snprintf(r->target, sizeof r->target, "%.100s", id);
  clave_error err;
  if (clave_store_function_get(r->p->store, id, fn, &err))
    return cp_fail_err(r, &err);
  if (manage && !cp_is_admin(r) && strcmp(fn->owner, r->user.id) != 0) {
    clave_function_rec_free(fn);
    return cp_fail(r, 403, "function %s belongs to another user", id);
  }
  if (!manage && !cp_function_usable(r, fn)) {
    clave_function_rec_free(fn);
    return cp_fail(r, 403, "function %s is not shared with you", id);
  }
  return 0;
}

int cp_functions_get(cp_req *r) {
  clave_function_rec fn;
  if (cp_load_function(r, &fn, 0)) return -1;
  json_t *j = cp_function_json(&fn);
  clave_function_rec_free(&fn);
  return cp_ok(r, j);
}

int cp_functions_update(cp_req *r) {
  clave_function_rec fn;
  if (cp_load_function(r, &fn, 1)) return -1;
  int rc = cp_fill_function(r, &fn, 0);
  if (!rc) {
    fn.updated_at = cp_now_ms() / 1000;
    clave_error err;
    if (clave_store_function_put(r->p->store, &fn, 0, &err))
      rc = cp_fail_err(r, &err);
    else
      rc = cp_ok(r, json_pack("{s:s}", "function_id", fn.id));
  }
  clave_function_rec_free(&fn);
  return rc;
}

int cp_functions_disable(cp_req *r) {
  clave_function_rec fn;
  if (cp_load_function(r, &fn, 1)) return -1;
  fn.disabled = 1;
  fn.updated_at = cp_now_ms() / 1000;
  clave_error err;
  int rc = clave_store_function_put(r->p->store, &fn, 0, &err)
               ? cp_fail_err(r, &err)
               : cp_ok(r, NULL);
  clave_function_rec_free(&fn);
  return rc;
}

int cp_functions_delete(cp_req *r) {
  clave_function_rec fn;
  if (cp_load_function(r, &fn, 1)) return -1;
  clave_error err;
  int rc;
  if (clave_store_function_delete(r->p->store, fn.id, &err))
    rc = err.status == CLAVE_EARG ? cp_fail(r, 409, "%s", err.message)
                                  : cp_fail_err(r, &err);
  else
    rc = cp_ok(r, NULL);
  clave_function_rec_free(&fn);
  return rc;
}

int cp_functions_list(cp_req *r) {
  const char *who = cp_query(r, "user_id");
  if (!who || !*who) who = r->user.id;
  if (strcmp(who, r->user.id) != 0 && !cp_is_admin(r))
    return cp_fail(r, 403, "only a PlatformAdmin may list another user's functions");
  clave_function_rec *all;
  size_t n;
  clave_error err;
  if (clave_store_function_list(r->p->store, NULL, &all, &n, &err))
    return cp_fail_err(r, &err);
  json_t *reg = json_array(), *allowed = json_array(), *full = json_array();
  for (size_t i = 0; i < n; i++) {
    int mine = !strcmp(all[i].owner, who);
    json_t *al = cp_jload(all[i].allowlist_json);
    int allow = !mine && json_is_array(al) && cp_jset_contains(al, who);
    json_decref(al);
    if (mine) json_array_append_new(reg, json_string(all[i].id));
    if (allow) json_array_append_new(allowed, json_string(all[i].id));
    if (mine || allow) json_array_append_new(full, cp_function_json(&all[i]));
  }
  clave_function_recs_free(all, n);
  return cp_ok(r, json_pack("{s:o,s:o,s:o}", "registered_functions", reg,
                            "allowed_functions", allowed, "functions", full));
}
