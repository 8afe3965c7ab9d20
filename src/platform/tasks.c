/*
 * tasks.c - the task state machine and its participant rules.
 *
 *   Created --assign (all names bound)--> DataAssigned
 *   DataAssigned --approve (every participant)--> Approved
 *   Approved --invoke (creator)--> Staged --worker--> Running
 *   Running --> Finished | Failed;  any state before the end --cancel-->
 *   Canceled
 *
 * Participants are the owners of every input and output, the creator, and
 * the owner of the function when it is not public.  Each transition is
 * one store transaction that re-reads the task and writes it only if its
 * state is still the one the checks were made against, so two clients
 * racing on one task cannot both win.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

static int cp_is_participant(const cp_req *r, const clave_task_rec *t) {
  json_t *ps = cp_jload(t->participants_json);
  int ok = json_is_array(ps) && cp_jset_contains(ps, r->user.id);
  json_decref(ps);
  return ok;
}

/* Ownership lists [{data_name, uids}] against declared names -> map
 * {name: [uids]}.  NULL with the reply set on error. */
static json_t *cp_ownership(cp_req *r, json_t *given, const char *decl_json,
                            const char *what) {
  json_t *decl = cp_jload(decl_json);
  json_t *map = json_object();
  if (given && !json_is_null(given) && !json_is_array(given)) {
    cp_fail(r, 400, "\"%ss_ownership\" must be a list", what);
    goto fail;
  }
  size_t i;
  json_t *e;
  json_array_foreach(given, i, e) {
    const char *name = cp_jstr(e, "data_name");
    json_t *uids = json_object_get(e, "uids");
    if (!name) {
      cp_fail(r, 400, "%ss_ownership[%zu] needs a \"data_name\"", what, i);
      goto fail;
    }
    int declared = 0;
    size_t j;
    json_t *d;
    json_array_foreach(decl, j, d) declared |= !strcmp(cp_jstr(d, "name"), name);
    if (!declared) {
      cp_fail(r, 400, "the function declares no %s named '%s'", what, name);
      goto fail;
    }
    if (json_object_get(map, name)) {
      cp_fail(r, 400, "%s '%s' is listed twice", what, name);
      goto fail;
    }
    json_t *set = uids ? cp_jstrset(uids) : NULL;
    if (!set || json_array_size(set) == 0) {
      json_decref(set);
      cp_fail(r, 400, "%s '%s' needs a non-empty list of owner \"uids\"",
              what, name);
      goto fail;
    }
    json_t *u;
    json_array_foreach(set, j, u) {
      clave_user_rec rec;
      clave_error err;
      if (clave_store_user_get(r->p->store, json_string_value(u), &rec,
                               &err)) {
        cp_fail(r, 400, "%s '%s': unknown user '%s'", what, name,
                json_string_value(u));
        json_decref(set);
        goto fail;
      }
      clave_user_rec_free(&rec);
    }
    json_object_set_new(map, name, set);
  }
  json_array_foreach(decl, i, e) {
    const char *name = cp_jstr(e, "name");
    if (!json_is_true(json_object_get(e, "optional")) &&
        !json_object_get(map, name)) {
      cp_fail(r, 400, "%s '%s' of the function needs owners in %ss_ownership",
              what, name, what);
      goto fail;
    }
  }
  json_decref(decl);
  return map;
fail:
  json_decref(decl);
  json_decref(map);
  return NULL;
}

/* Declared arguments + the task's -> the resolved object. */
static json_t *cp_resolve_args(cp_req *r, json_t *given, const char *decl_json) {
  json_t *decl = cp_jload(decl_json);
  json_t *out = json_object();
  json_t *parsed = NULL;
  if (json_is_string(given)) { /* Teaclave's SDK sends json.dumps(...) */
    parsed = json_loads(json_string_value(given), 0, NULL);
    if (!parsed) {
      cp_fail(r, 400, "\"function_arguments\" is not valid JSON text");
      goto fail;
    }
    given = parsed;
  }
  if (given && !json_is_null(given) && !json_is_object(given)) {
    cp_fail(r, 400, "\"function_arguments\" must be an object");
    goto fail;
  }
  size_t i;
  json_t *d;
  json_array_foreach(decl, i, d)
      json_object_set(out, cp_jstr(d, "key"), json_object_get(d, "default_value"));
  const char *k;
  json_t *v;
  json_object_foreach(given, k, v) {
    json_t *found = NULL;
    json_array_foreach(decl, i, d) if (!strcmp(cp_jstr(d, "key"), k)) found = d;
    if (!found) {
      cp_fail(r, 400, "unknown argument '%s': the function does not declare it", k);
      goto fail;
    }
    if (!json_is_true(json_object_get(found, "allow_overwrite"))) {
      const char *def = cp_jstr(found, "default_value");
      if (!json_is_string(v) || strcmp(json_string_value(v), def) != 0) {
        cp_fail(r, 400, "argument '%s' may not be overridden by a task", k);
        goto fail;
      }
    }
    json_object_set(out, k, v);
  }
  json_decref(parsed);
  json_decref(decl);
  return out;
fail:
  json_decref(parsed);
  json_decref(decl);
  json_decref(out);
  return NULL;
}

int cp_tasks_create(cp_req *r) {
  const char *fid = cp_jstr(r->body, "function_id");
  if (!fid) return cp_fail(r, 400, "create_task needs a \"function_id\"");
  const char *ex = cp_jstr(r->body, "executor");
  if (ex && *ex && strcmp(ex, "wasm") && strcmp(ex, "wamr") &&
      strcmp(ex, "clave") && strcmp(ex, "builtin") != 0)
    return cp_fail(r, 400, "unknown executor '%.64s' (wasm, or its alias wamr)", ex);
  clave_function_rec fn;
  clave_error err;
  if (clave_store_function_get(r->p->store, fid, &fn, &err))
    return cp_fail_err(r, &err);
  int rc = -1;
  json_t *args = NULL, *ins = NULL, *outs = NULL, *parts = NULL;
  if (!cp_function_usable(r, &fn)) {
    cp_fail(r, 403, "function %s is not shared with you", fid);
    goto done;
  }
  if (fn.disabled) {
    cp_fail(r, 409, "function %s is disabled", fid);
    goto done;
  }
  if (ex && !strcmp(ex, "builtin")) {
    cp_fail(r, 400, "executor 'builtin' is not supported: Clave runs wasm functions");
    goto done;
  }
  args = cp_resolve_args(r, json_object_get(r->body, "function_arguments"),
                         fn.arguments_json);
  if (!args) goto done;
  ins = cp_ownership(r, json_object_get(r->body, "inputs_ownership"),
                     fn.inputs_json, "input");
  if (!ins) goto done;
  outs = cp_ownership(r, json_object_get(r->body, "outputs_ownership"),
                      fn.outputs_json, "output");
  if (!outs) goto done;
  parts = json_array();
  json_array_append_new(parts, json_string(r->user.id));
  if (!fn.is_public) json_array_append_new(parts, json_string(fn.owner));
  json_t *maps[2] = {ins, outs};
  for (int m = 0; m < 2; m++) {
    const char *k;
    json_t *v;
    json_object_foreach(maps[m], k, v) json_array_extend(parts, v);
  }
  json_t *pset = cp_jstrset(parts);
  json_decref(parts);
  parts = pset;

  char id[64];
  cp_new_id("task", id, sizeof id);
  snprintf(r->target, sizeof r->target, "%s", id);
  clave_task_rec t = {0};
  t.id = id;
  t.function_id = fn.id;
  t.creator = r->user.id;
  t.executor = "wasm";
  t.args_json = cp_jdump(args);
  t.inputs_owners_json = cp_jdump(ins);
  t.outputs_owners_json = cp_jdump(outs);
  t.participants_json = cp_jdump(parts);
  t.state = CLAVE_TASK_CREATED;
  t.log = "";
  t.failure = "";
  t.created_at = t.updated_at = cp_now_ms();
  t.payload_sha256 = fn.payload_sha256;

  /* quota and insert in one transaction */
  if (clave_store_begin(r->p->store, &err)) {
    cp_fail_err(r, &err);
  } else {
    clave_function_rec cur;
    if (clave_store_function_get(r->p->store, fid, &cur, &err)) {
      clave_store_rollback(r->p->store);
      cp_fail_err(r, &err);
    } else if (cur.usage_quota >= 0 && cur.usage_count >= cur.usage_quota) {
      clave_store_rollback(r->p->store);
      cp_fail(r, 409, "function %s has used its quota of %lld tasks", fid,
              (long long)cur.usage_quota);
    } else {
      cur.usage_count++;
      if (clave_store_function_put(r->p->store, &cur, 0, &err) ||
          clave_store_task_insert(r->p->store, &t, &err)) {
        clave_store_rollback(r->p->store);
        cp_fail_err(r, &err);
      } else if (clave_store_commit(r->p->store, &err)) {
        cp_fail_err(r, &err);
      } else {
        rc = cp_ok(r, json_pack("{s:s}", "task_id", id));
      }
    }
    clave_function_rec_free(&cur);
  }
  free(t.args_json);
  free(t.inputs_owners_json);
  free(t.outputs_owners_json);
  free(t.participants_json);
done:
  json_decref(args);
  json_decref(ins);
  json_decref(outs);
  json_decref(parts);
  clave_function_rec_free(&fn);
  return rc;
}

json_t *cp_task_json(const clave_task_rec *t) {
  json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "task_id", t->id,
                        "function_id", t->function_id, "creator", t->creator,
                        "executor", t->executor, "status",
                        clave_task_state_name(t->state), "created_at_ms",
                        (json_int_t)t->created_at, "updated_at_ms",
                        (json_int_t)t->updated_at);
  json_object_set_new(j, "function_arguments", cp_jload(t->args_json));
  json_object_set_new(j, "payload_sha256", json_string(t->payload_sha256 ? t->payload_sha256 : ""));
  const char *maps[2] = {t->inputs_owners_json, t->outputs_owners_json};
  const char *names[2] = {"inputs_ownership", "outputs_ownership"};
  for (int m = 0; m < 2; m++) {
    json_t *map = cp_jload(maps[m]), *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
        json_array_append_new(list, json_pack("{s:s,s:O}", "data_name", k, "uids", v));
    json_object_set_new(j, names[m], list);
    json_decref(map);
  }
  json_object_set_new(j, "assigned_inputs", cp_jload(t->inputs_assigned_json));
  json_object_set_new(j, "assigned_outputs", cp_jload(t->outputs_assigned_json));
  json_object_set_new(j, "participants", cp_jload(t->participants_json));
  json_object_set_new(j, "approved_users", cp_jload(t->approvals_json));
  if (t->state == CLAVE_TASK_FINISHED && t->has_result) {
    json_t *res = json_pack("{s:i,s:s,s:s}", "return_value", t->return_value,
                            "log", t->log, "return_text", "");
    char txt[16];
    snprintf(txt, sizeof txt, "%d", t->return_value);
    json_object_set_new(res, "return_text", json_string(txt));
    json_object_set_new(res, "tags_map", cp_jload(t->output_tags_json));
    json_object_set_new(j, "result", res);
  } else if (t->state == CLAVE_TASK_FAILED || t->state == CLAVE_TASK_CANCELED) {
    json_object_set_new(j, "result",
                        json_pack("{s:s,s:s}", "reason", t->failure, "log", t->log));
  }
  return j;
}

/* Load the task named in the path; the caller must take part (or be the
 * admin, when admin_ok). */
static int cp_load_task(cp_req *r, clave_task_rec *t, int admin_ok) {
  const char *id = r->parts[1];
  snprintf(r->target, sizeof r->target, "%.100s", id);
  clave_error err;
  if (clave_store_task_get(r->p->store, id, t, &err)) return cp_fail_err(r, &err);
  if (!cp_is_participant(r, t) && !(admin_ok && cp_is_admin(r))) {
    clave_task_rec_free(t);
    return cp_fail(r, 403, "you are not a participant of task %s", id);
  }
  return 0;
}

int cp_tasks_get(cp_req *r) {
  clave_task_rec t;
  if (cp_load_task(r, &t, 1)) return -1;
  json_t *j = cp_task_json(&t);
  clave_task_rec_free(&t);
  return cp_ok(r, j);
}

/* Replace a string field of a record. */
static void cp_set(char **field, json_t *v) {
  free(*field);
  *field = cp_jdump(v);
}

/* One transition: re-read the task inside a transaction, let step() check
 * and change it, write it if its state did not move.  step returns 0 to
 * write, -1 with the reply set to abort. */
typedef int (*cp_step)(cp_req *r, clave_task_rec *t, void *arg);

static int cp_transition(cp_req *r, cp_step step, void *arg,
                         clave_task_state *new_state) {
  clave_task_rec t;
  if (cp_load_task(r, &t, 0)) return -1;
  clave_task_rec_free(&t);
  clave_error err;
  if (clave_store_begin(r->p->store, &err)) return cp_fail_err(r, &err);
  if (clave_store_task_get(r->p->store, r->parts[1], &t, &err)) {
    clave_store_rollback(r->p->store);
    return cp_fail_err(r, &err);
  }
  clave_task_state before = t.state;
  int rc = step(r, &t, arg);
  if (!rc) {
    t.updated_at = cp_now_ms();
    if (clave_store_task_update(r->p->store, &t, before, &err)) {
      clave_store_rollback(r->p->store);
      rc = cp_fail_err(r, &err);
    } else if (clave_store_commit(r->p->store, &err)) {
      rc = cp_fail_err(r, &err);
    } else if (new_state) {
      *new_state = t.state;
    }
  } else {
    clave_store_rollback(r->p->store);
  }
  clave_task_rec_free(&t);
  return rc;
}

static int cp_assign_one(cp_req *r, clave_task_rec *t, json_t *owners,
                         json_t *assigned, json_t *entry, int is_output) {
  const char *what = is_output ? "output" : "input";
  const char *name = cp_jstr(entry, "data_name");
  const char *fid = cp_jstr(entry, "data_id");
  if (!name || !fid)
    return cp_fail(r, 400, "each %s needs \"data_name\" and \"data_id\"", what);
  json_t *want = json_object_get(owners, name);
  if (!want) return cp_fail(r, 400, "task %s has no %s named '%s'", t->id, what, name);
  if (json_object_get(assigned, name))
    return cp_fail(r, 409, "%s '%s' of task %s is already assigned", what, name, t->id);
  clave_file_rec f;
  clave_error err;
  if (clave_store_file_get(r->p->store, fid, &f, &err)) return cp_fail_err(r, &err);
  int rc = 0;
  json_t *have = cp_jload(f.owners_json);
  if (f.is_output != is_output) {
    rc = cp_fail(r, 400, "%s '%s' needs an %s file, got %s", what, name, what, fid);
  } else if (!cp_file_owned_by(&f, r->user.id)) {
    rc = cp_fail(r, 403, "only an owner of %s may assign it", fid);
  } else if (!json_equal(have, want)) {
    char *h = cp_jdump(have), *w = cp_jdump(want);
    rc = cp_fail(r, 403, "the owners of %s (%s) do not match the owners the task declares for %s '%s' (%s)",
                 fid, h, what, name, w);
    free(h);
    free(w);
  } else if (is_output && f.blob_sha256) {
    rc = cp_fail(r, 409, "%s already holds a result; register a new output file", fid);
  } else {
    json_object_set_new(assigned, name, json_string(fid));
  }
  json_decref(have);
  clave_file_rec_free(&f);
  return rc;
}

static int cp_step_assign(cp_req *r, clave_task_rec *t, void *arg) {
  if (t->state != CLAVE_TASK_CREATED)
    return cp_fail(r, 409, "task %s is %s: data can be assigned only while it is Created",
                   t->id, clave_task_state_name(t->state));
  json_t *lists[2] = {json_object_get(r->body, "inputs"),
                      json_object_get(r->body, "outputs")};
  const char *owners_json[2] = {t->inputs_owners_json, t->outputs_owners_json};
  char **assigned_json[2] = {&t->inputs_assigned_json, &t->outputs_assigned_json};
  int complete = 1, rc = 0;
  for (int k = 0; k < 2 && !rc; k++) {
    if (lists[k] && !json_is_array(lists[k])) {
      rc = cp_fail(r, 400, "\"%s\" must be a list", k ? "outputs" : "inputs");
      break;
    }
    json_t *owners = cp_jload(owners_json[k]);
    json_t *assigned = cp_jload(*assigned_json[k]);
    size_t i;
    json_t *e;
    json_array_foreach(lists[k], i, e) {
      if ((rc = cp_assign_one(r, t, owners, assigned, e, k))) break;
    }
    if (!rc) {
      const char *name;
      json_t *v;
      json_object_foreach(owners, name, v) complete &= json_object_get(assigned, name) != NULL;
      cp_set(assigned_json[k], assigned);
    }
    json_decref(owners);
    json_decref(assigned);
  }
  if (rc) return rc;
  if (complete) t->state = CLAVE_TASK_DATA_ASSIGNED;
  return 0;
}

int cp_tasks_assign(cp_req *r) {
  clave_task_state st;
  if (cp_transition(r, cp_step_assign, NULL, &st)) return -1;
  return cp_ok(r, json_pack("{s:s}", "status", clave_task_state_name(st)));
}

static char *cp_waiting_for(const clave_task_rec *t) {
  json_t *ps = cp_jload(t->participants_json), *ap = cp_jload(t->approvals_json);
  char buf[512] = "";
  size_t i;
  json_t *e;
  json_array_foreach(ps, i, e) {
    const char *u = json_string_value(e);
    if (!cp_jset_contains(ap, u)) {
      size_t n = strlen(buf);
      snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "", u);
    }
  }
  json_decref(ps);
  json_decref(ap);
  return strdup(buf);
}

static int cp_step_approve(cp_req *r, clave_task_rec *t, void *arg) {
  if (t->state == CLAVE_TASK_CREATED)
    return cp_fail(r, 409, "task %s is Created: its data must be assigned before approval", t->id);
  if (t->state != CLAVE_TASK_DATA_ASSIGNED)
    return cp_fail(r, 409, "task %s is %s: approval is over", t->id,
                   clave_task_state_name(t->state));
  json_t *ap = cp_jload(t->approvals_json);
  json_array_append_new(ap, json_string(r->user.id));
  json_t *set = cp_jstrset(ap);
  json_decref(ap);
  cp_set(&t->approvals_json, set);
  json_decref(set);
  char *left = cp_waiting_for(t);
  if (!*left) t->state = CLAVE_TASK_APPROVED;
  free(left);
  return 0;
}

int cp_tasks_approve(cp_req *r) {
  clave_task_state st;
  if (cp_transition(r, cp_step_approve, NULL, &st)) return -1;
  return cp_ok(r, json_pack("{s:s}", "status", clave_task_state_name(st)));
}

static int cp_step_invoke(cp_req *r, clave_task_rec *t, void *arg) {
  if (strcmp(t->creator, r->user.id) != 0)
    return cp_fail(r, 403, "only the creator of task %s may invoke it", t->id);
  if (t->state == CLAVE_TASK_DATA_ASSIGNED) {
    char *left = cp_waiting_for(t);
    int rc = cp_fail(r, 409, "task %s is DataAssigned: every participant must approve first (waiting for: %s)",
                     t->id, left);
    free(left);
    return rc;
  }
  if (t->state != CLAVE_TASK_APPROVED)
    return cp_fail(r, 409, "task %s is %s: only an Approved task can be invoked", t->id,
                   clave_task_state_name(t->state));
  t->state = CLAVE_TASK_STAGED;
  return 0;
}

int cp_tasks_invoke(cp_req *r) {
  clave_task_state st;
  if (cp_transition(r, cp_step_invoke, NULL, &st)) return -1;
  cp_sched_enqueue(r->p, r->parts[1]);
  return cp_ok(r, json_pack("{s:s}", "status", clave_task_state_name(st)));
}

static int cp_step_cancel(cp_req *r, clave_task_rec *t, void *arg) {
  if (clave_task_state_final(t->state))
    return cp_fail(r, 409, "task %s already ended (%s)", t->id,
                   clave_task_state_name(t->state));
  *(int *)arg = t->state == CLAVE_TASK_RUNNING;
  t->state = CLAVE_TASK_CANCELED;
  free(t->failure);
  char msg[256];
  snprintf(msg, sizeof msg, "canceled by %s", r->user.id);
  t->failure = strdup(msg);
  return 0;
}

int cp_tasks_cancel(cp_req *r) {
  int was_running = 0;
  if (cp_transition(r, cp_step_cancel, &was_running, NULL)) return -1;
  if (was_running) cp_sched_cancel(r->p, r->parts[1]);
  cp_sched_task_done(r->p, r->parts[1]);
  return cp_ok(r, json_pack("{s:s}", "status", "Canceled"));
}

int cp_tasks_result(cp_req *r) {
  const char *w = cp_query(r, "wait");
  int64_t wait_s = w ? strtoll(w, NULL, 10) : 0;
  if (wait_s < 0 || wait_s > 600)
    return cp_fail(r, 400, "wait must be between 0 and 600 seconds");
  clave_task_rec t;
  if (cp_load_task(r, &t, 1)) return -1;
  if (!clave_task_state_final(t.state) && wait_s > 0) {
    clave_task_rec_free(&t);
    cp_sched_wait(r->p, r->parts[1], wait_s * 1000);
    clave_error err;
    if (clave_store_task_get(r->p->store, r->parts[1], &t, &err))
      return cp_fail_err(r, &err);
  }
  json_t *j = cp_task_json(&t);
  clave_task_rec_free(&t);
  return cp_ok(r, j);
}
