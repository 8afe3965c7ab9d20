/*
 * scheduler.c - the queue of staged tasks, the worker threads that run
 * them in child processes, the wake-ups of waiting clients, and recovery
 * after a crash.
 *
 * Nothing here polls: a worker sleeps on a condition variable until a
 * task is queued, a long-polling client sleeps on another until some task
 * ends (a generation counter makes a wake-up impossible to miss).  Each
 * worker runs one task at a time in a task process forked from the
 * function's prepared process (prepared.c); several workers run tasks at
 * once.  The child's fate decides
 * the task's: a result, a clear failure from the function, or (when the
 * child dies) "worker crashed: ...".  A task canceled while it runs has
 * its child killed and keeps the Canceled state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

/* ---- queue and wake-ups ---------------------------------------------------- */

void cp_sched_enqueue(clave_platform *p, const char *task_id) {
  cp_job *j = calloc(1, sizeof *j);
  if (!j || !(j->task_id = strdup(task_id))) {
    free(j);
    return; /* stays Staged; recovered at the next start */
  }
  pthread_mutex_lock(&p->mu);
  if (p->queue_tail) p->queue_tail->next = j;
  else p->queue_head = j;
  p->queue_tail = j;
  pthread_cond_signal(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
}

void cp_sched_task_done(clave_platform *p, const char *task_id) {
  pthread_mutex_lock(&p->mu);
  snprintf(p->done_ring[p->done_gen % CP_DONE_RING], sizeof p->done_ring[0],
           "%s", task_id);
  p->done_gen++;
  pthread_cond_broadcast(&p->done_cv);
  pthread_mutex_unlock(&p->mu);
}

static int cp_task_final(clave_platform *p, const char *task_id) {
  clave_task_rec t;
  if (clave_store_task_get(p->store, task_id, &t, NULL) != CLAVE_OK) return 1;
  int fin = clave_task_state_final(t.state);
  clave_task_rec_free(&t);
  return fin;
}

/* Did task_id end among the tasks that ended since generation `since`?
 * -1: cannot tell (the ring moved past them), ask the store. (p->mu held) */
static int cp_ended_since(clave_platform *p, const char *task_id,
                          uint64_t since) {
  if (p->done_gen - since > CP_DONE_RING) return -1;
  for (uint64_t g = since; g < p->done_gen; g++)
    if (!strcmp(p->done_ring[g % CP_DONE_RING], task_id)) return 1;
  return 0;
}

void cp_sched_wait(clave_platform *p, const char *task_id, int64_t timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&p->mu);
  uint64_t gen = p->done_gen;
  pthread_mutex_unlock(&p->mu);
  /* the generation is taken first: an end after this check is seen below */
  if (cp_task_final(p, task_id)) return;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    int ended = cp_ended_since(p, task_id, gen);
    if (ended < 0) {
      /* many tasks ended meanwhile: look at this one in the store */
      gen = p->done_gen;
      pthread_mutex_unlock(&p->mu);
      if (cp_task_final(p, task_id)) return;
      pthread_mutex_lock(&p->mu);
      continue;
    }
    if (ended || p->stopping) break;
    gen = p->done_gen;
    if (pthread_cond_timedwait(&p->done_cv, &p->mu, &deadline) == ETIMEDOUT &&
        !cp_ended_since(p, task_id, gen))
      break;
  }
  pthread_mutex_unlock(&p->mu);
}

int cp_sched_cancel(clave_platform *p, const char *task_id) {
  int found = 0;
  pthread_mutex_lock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) {
    cp_running *r = &p->running[i];
    if (r->task_id[0] && !strcmp(r->task_id, task_id)) {
      r->cancel = 1;
      if (r->pid > 0) kill(r->pid, SIGKILL);
      found = 1;
    }
  }
  pthread_mutex_unlock(&p->mu);
  return found;
}

/* ---- running one task -------------------------------------------------------- */

typedef struct cp_run {
  clave_platform *p;
  int slot;
  clave_task_rec task;
  clave_function_rec fn;
  json_t *hdr;          /* request header for the child */
  char sha[65];         /* the payload the task was approved with */
  uint8_t **in_data;
  size_t *in_len;
  size_t nin;
  char **out_ids;       /* output file ids in header order */
  size_t nout;
  uint64_t timeout_ms;
} cp_run;

/* Finish the task (Running -> Finished/Failed) in one transaction. */
static void cp_finish(cp_run *run, int ok, int32_t rv, const char *reason,
                      const char *log, json_t *tags) {
  clave_platform *p = run->p;
  clave_task_rec *t = &run->task;
  clave_error err;
  t->state = ok ? CLAVE_TASK_FINISHED : CLAVE_TASK_FAILED;
  t->has_result = ok;
  t->return_value = rv;
  free(t->log);
  t->log = strdup(log ? log : "");
  free(t->failure);
  t->failure = strdup(reason ? reason : "");
  if (tags) {
    free(t->output_tags_json);
    t->output_tags_json = cp_jdump(tags);
  }
  t->updated_at = cp_now_ms();
  if (clave_store_task_update(p->store, t, CLAVE_TASK_RUNNING, &err) &&
      !p->cfg.quiet && err.status != CLAVE_ELIMIT)
    fprintf(stderr, "clave: task %s: %s\n", t->id, err.message);
}

static clave_status cp_gather(cp_run *run, clave_error *err) {
  clave_platform *p = run->p;
  clave_task_rec *t = &run->task;
  clave_status st = clave_store_function_get(p->store, t->function_id,
                                             &run->fn, err);
  if (st) return st;
  snprintf(run->sha, sizeof run->sha, "%s",
           t->payload_sha256 && *t->payload_sha256 ? t->payload_sha256
                                                   : run->fn.payload_sha256);
  json_t *limits = cp_jload(run->fn.limits_json);
  uint64_t mem = p->cfg.task_memory_bytes, tmo = p->cfg.task_timeout_ms,
           fuel = p->cfg.task_fuel;
  json_t *v;
  if ((v = json_object_get(limits, "memory_mb")) && json_integer_value(v) > 0 &&
      (uint64_t)json_integer_value(v) << 20 < mem)
    mem = (uint64_t)json_integer_value(v) << 20;
  if ((v = json_object_get(limits, "timeout_ms")) && json_integer_value(v) > 0 &&
      (uint64_t)json_integer_value(v) < tmo)
    tmo = (uint64_t)json_integer_value(v);
  if ((v = json_object_get(limits, "fuel")) && json_integer_value(v) > 0 &&
      (!fuel || (uint64_t)json_integer_value(v) < fuel))
    fuel = (uint64_t)json_integer_value(v);
  json_decref(limits);
  run->timeout_ms = tmo;
  run->hdr = json_pack("{s:s,s:I,s:I,s:I,s:I}", "args", t->args_json,
                       "memory_bytes", (json_int_t)mem, "timeout_ms",
                       (json_int_t)tmo, "fuel", (json_int_t)fuel,
                       "max_output", (json_int_t)p->cfg.max_file_bytes);
  json_t *ins = json_array(), *outs = json_array();
  json_object_set_new(run->hdr, "inputs", ins);
  json_object_set_new(run->hdr, "outputs", outs);

  json_t *maps[2] = {cp_jload(t->inputs_assigned_json),
                     cp_jload(t->outputs_assigned_json)};
  run->in_data = calloc(json_object_size(maps[0]) + 1, sizeof *run->in_data);
  run->in_len = calloc(json_object_size(maps[0]) + 1, sizeof *run->in_len);
  run->out_ids = calloc(json_object_size(maps[1]) + 1, sizeof *run->out_ids);
  if (!run->in_data || !run->in_len || !run->out_ids) {
    st = cv_err(err, CLAVE_ENOMEM, "out of memory");
    goto done;
  }
  for (int k = 0; k < 2 && !st; k++) {
    const char *name;
    json_t *idv;
    json_object_foreach(maps[k], name, idv) {
      const char *fid = json_string_value(idv);
      clave_file_rec f;
      st = clave_store_file_get(p->store, fid, &f, err);
      if (st) break;
      uint8_t *key;
      size_t key_len;
      char aad[96];
      snprintf(aad, sizeof aad, "file-key:%s", fid);
      st = clave_crypto_unseal(p->master_key, aad, f.sealed_key,
                               f.sealed_key_len, &key, &key_len, err);
      if (st) {
        clave_file_rec_free(&f);
        cv_err_prefix(err, "%s '%s': ", k ? "output" : "input", name);
        break;
      }
      char khex[65], ivhex[25], thex[33] = "";
      clave_crypto_hex(key, key_len, khex);
      clave_crypto_wipe(key, key_len);
      free(key);
      clave_crypto_hex(f.iv, 12, ivhex);
      if (f.has_tag) clave_crypto_hex(f.tag, 16, thex);
      json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", name, "scheme",
                            f.scheme, "key", khex, "iv", ivhex, "tag", thex);
      clave_crypto_wipe(khex, sizeof khex);
      if (k == 0) {
        json_array_append_new(ins, e);
        st = f.blob_sha256
                 ? clave_blob_get(p->store, f.blob_sha256,
                                  &run->in_data[run->nin], &run->in_len[run->nin],
                                  err)
                 : cv_err(err, CLAVE_ENOTFOUND, "no content");
        if (st) cv_err_prefix(err, "input '%s': ", name);
        run->nin++;
      } else {
        json_array_append_new(outs, e);
        run->out_ids[run->nout++] = strdup(fid);
      }
      clave_file_rec_free(&f);
      if (st) break;
    }
  }
done:
  json_decref(maps[0]);
  json_decref(maps[1]);
  return st;
}

static void cp_run_free(cp_run *run) {
  clave_task_rec_free(&run->task);
  clave_function_rec_free(&run->fn);
  if (run->hdr) {
    /* the header holds keys: wipe its strings before freeing */
    json_t *lists[2] = {json_object_get(run->hdr, "inputs"),
                        json_object_get(run->hdr, "outputs")};
    for (int k = 0; k < 2; k++) {
      size_t i;
      json_t *e;
      json_array_foreach(lists[k], i, e) json_object_set_new(e, "key", json_string(""));
    }
    json_decref(run->hdr);
  }
  for (size_t i = 0; i < run->nin; i++) free(run->in_data[i]);
  free(run->in_data);
  free(run->in_len);
  for (size_t i = 0; i < run->nout; i++) free(run->out_ids[i]);
  free(run->out_ids);
}

static void cp_signal_reason(int sig, char *out, size_t cap) {
  if (sig == SIGSYS)
    snprintf(out, cap,
             "worker crashed: killed by the sandbox (a forbidden system "
             "call)");
  else if (sig == SIGXCPU)
    snprintf(out, cap, "worker crashed: CPU time limit exceeded");
  else
    snprintf(out, cap, "worker crashed: killed by signal %d (%s)", sig,
             strsignal(sig));
}

int cp_validate_payload(clave_platform *p, const uint8_t *payload, size_t len,
                        char *msg, size_t cap) {
  pid_t pid;
  int sock;
  clave_error err;
  if (cp_spawn_child(p, &pid, &sock, &err)) {
    snprintf(msg, cap, "%s", err.message);
    return -1;
  }
  struct timeval tv = {60, 0};
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static const char hdr[] = "{\"validate\": true}";
  uint8_t *reply = NULL, *log = NULL;
  size_t rlen, llen;
  clave_status st = cp_wire_write(sock, hdr, sizeof hdr - 1, &err);
  if (!st) st = cp_wire_write(sock, payload, len, &err);
  if (!st) st = cp_wire_read(sock, 1u << 20, &reply, &rlen, &err);
  if (!st) st = cp_wire_read(sock, 1u << 20, &log, &llen, &err);
  if (st) kill(pid, SIGKILL);
  close(sock);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  int rc = -1;
  json_t *j = st ? NULL : json_loadb((const char *)reply, rlen, 0, NULL);
  if (json_is_true(json_object_get(j, "ok"))) {
    rc = 0;
  } else if (j) {
    snprintf(msg, cap, "%s", cp_jstr(j, "error") ? cp_jstr(j, "error") : "?");
  } else if (WIFSIGNALED(wstatus)) {
    snprintf(msg, cap, "payload refused: checking it crashed the checker "
             "(signal %d)", WTERMSIG(wstatus));
  } else {
    snprintf(msg, cap, "payload refused: the checker failed: %s", err.message);
  }
  json_decref(j);
  free(reply);
  free(log);
  return rc;
}

/* Fork the task process, talk to it, and settle the task. */
static void cp_execute(cp_run *run) {
  clave_platform *p = run->p;
  clave_error err;
  pid_t pid = 0;
  int sv[1];
  if (cp_prep_fork(p, run->sha, &pid, &sv[0], &err)) {
    pthread_mutex_lock(&p->mu);
    int stopping = p->stopping;
    pthread_mutex_unlock(&p->mu);
    cp_finish(run, 0, 0,
              stopping ? "server stopped while the task ran" : err.message,
              NULL, NULL);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->running[run->slot].pid = pid;
  if (p->running[run->slot].cancel || p->stopping) kill(pid, SIGKILL);
  pthread_mutex_unlock(&p->mu);

  /* bound the whole exchange: the engine's own deadline plus grace */
  uint64_t ms = run->timeout_ms + 5000;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  char *text = cp_jdump(run->hdr);
  clave_status st = cp_wire_write(sv[0], text, strlen(text), &err);
  clave_crypto_wipe(text, strlen(text));
  free(text);
  for (size_t i = 0; !st && i < run->nin; i++)
    st = cp_wire_write(sv[0], run->in_data[i], run->in_len[i], &err);

  uint8_t *rhdr = NULL, *log = NULL;
  size_t rhdr_len = 0, log_len = 0;
  json_t *reply = NULL;
  if (!st) st = cp_wire_read(sv[0], 1u << 24, &rhdr, &rhdr_len, &err);
  if (!st) st = cp_wire_read(sv[0], 64u << 20, &log, &log_len, &err);
  int timed_out = st && (errno == EAGAIN || errno == EWOULDBLOCK);
  if (!st) reply = json_loadb((const char *)rhdr, rhdr_len, 0, NULL);
  free(rhdr);
  json_t *outs = json_object_get(reply, "outputs");
  size_t nouts = json_array_size(outs);
  uint8_t **odata = calloc(nouts + 1, sizeof *odata);
  size_t *olen = calloc(nouts + 1, sizeof *olen);
  for (size_t i = 0; !st && reply && i < nouts; i++)
    if (json_is_true(json_object_get(json_array_get(outs, i), "created")))
      st = cp_wire_read(sv[0], p->cfg.max_file_bytes + 16, &odata[i], &olen[i],
                        &err);
  if (st) kill(pid, SIGKILL);
  close(sv[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pthread_mutex_lock(&p->mu);
  int canceled = p->running[run->slot].cancel;
  int stopping = p->stopping;
  p->running[run->slot].pid = 0;
  pthread_mutex_unlock(&p->mu);

  char reason[700];
  const char *logtext = log ? (const char *)log : "";
  if (canceled) {
    /* the cancel call already wrote Canceled */
  } else if (!st && reply && json_is_true(json_object_get(reply, "ok"))) {
    /* store outputs, then the result, in one transaction */
    json_t *tags = json_object();
    clave_status s2 = clave_store_begin(p->store, &err);
    int began = s2 == CLAVE_OK;
    for (size_t i = 0; !s2 && i < nouts && i < run->nout; i++) {
      json_t *o = json_array_get(outs, i);
      if (!json_is_true(json_object_get(o, "created"))) continue;
      clave_file_rec f;
      char sha[65];
      uint8_t tag[16];
      size_t tl;
      s2 = clave_store_file_get(p->store, run->out_ids[i], &f, &err);
      if (s2) break;
      s2 = clave_blob_put(p->store, odata[i], olen[i], sha, &err);
      if (!s2)
        s2 = clave_crypto_unhex(cp_jstr(o, "tag"), tag, 16, &tl, &err);
      if (!s2) {
        free(f.blob_sha256);
        f.blob_sha256 = strdup(sha);
        memcpy(f.tag, tag, 16);
        f.has_tag = 1;
        f.size = (int64_t)olen[i];
        s2 = clave_store_file_put(p->store, &f, 0, &err);
        json_object_set_new(tags, cp_jstr(o, "name"),
                            json_string(cp_jstr(o, "tag")));
      }
      clave_file_rec_free(&f);
    }
    if (s2) {
      if (began) clave_store_rollback(p->store);
      snprintf(reason, sizeof reason, "storing the outputs failed: %s",
               err.message);
      cp_finish(run, 0, 0, reason, logtext, NULL);
    } else {
      cp_finish(run, 1,
                (int32_t)json_integer_value(json_object_get(reply, "return_value")),
                "", logtext, tags);
      if (clave_store_commit(p->store, &err) && !p->cfg.quiet)
        fprintf(stderr, "clave: task %s: %s\n", run->task.id, err.message);
    }
    json_decref(tags);
  } else if (!st && reply) {
    cp_finish(run, 0, 0, cp_jstr(reply, "error"), logtext, NULL);
  } else if (stopping) {
    cp_finish(run, 0, 0, "server stopped while the task ran", logtext, NULL);
  } else if (WIFSIGNALED(wstatus) && !timed_out) {
    cp_signal_reason(WTERMSIG(wstatus), reason, sizeof reason);
    cp_finish(run, 0, 0, reason, logtext, NULL);
  } else if (timed_out) {
    snprintf(reason, sizeof reason,
             "deadline passed (the task ran longer than %llu ms)",
             (unsigned long long)run->timeout_ms);
    cp_finish(run, 0, 0, reason, logtext, NULL);
  } else {
    snprintf(reason, sizeof reason, "worker crashed: %s (exit status %d)",
             err.message, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    cp_finish(run, 0, 0, reason, logtext, NULL);
  }
  for (size_t i = 0; i < nouts; i++) free(odata[i]);
  free(odata);
  free(olen);
  free(log);
  json_decref(reply);
}

static void cp_run_task(clave_platform *p, int slot, const char *task_id) {
  cp_run run;
  memset(&run, 0, sizeof run);
  run.p = p;
  run.slot = slot;
  clave_error err;
  /* Staged -> Running, or skip a task canceled while queued */
  if (clave_store_task_get(p->store, task_id, &run.task, &err)) return;
  if (run.task.state != CLAVE_TASK_STAGED) {
    cp_run_free(&run);
    return;
  }
  run.task.state = CLAVE_TASK_RUNNING;
  run.task.updated_at = cp_now_ms();
  if (clave_store_task_update(p->store, &run.task, CLAVE_TASK_STAGED, &err)) {
    cp_run_free(&run);
    return;
  }
  if (cp_gather(&run, &err)) cp_finish(&run, 0, 0, err.message, NULL, NULL);
  else cp_execute(&run);
  cp_sched_task_done(p, task_id);
  cp_run_free(&run);
}

static void *cp_worker(void *arg) {
  clave_platform *p = ((void **)arg)[0];
  int slot = (int)(intptr_t)((void **)arg)[1];
  free(arg);
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (!p->queue_head && !p->stopping)
      pthread_cond_wait(&p->work_cv, &p->mu);
    if (p->stopping) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    cp_job *j = p->queue_head;
    p->queue_head = j->next;
    if (!p->queue_head) p->queue_tail = NULL;
    snprintf(p->running[slot].task_id, sizeof p->running[slot].task_id, "%s",
             j->task_id);
    p->running[slot].cancel = 0;
    p->running[slot].pid = 0;
    pthread_mutex_unlock(&p->mu);
    cp_run_task(p, slot, j->task_id);
    pthread_mutex_lock(&p->mu);
    p->running[slot].task_id[0] = 0;
    pthread_mutex_unlock(&p->mu);
    free(j->task_id);
    free(j);
  }
}

clave_status cp_sched_start(clave_platform *p, clave_error *err) {
  int n = p->cfg.workers;
  p->running = calloc((size_t)n, sizeof *p->running);
  p->threads = calloc((size_t)n, sizeof *p->threads);
  if (!p->running || !p->threads)
    return cv_err(err, CLAVE_ENOMEM, "out of memory");
  p->stopping = 0;
  for (int i = 0; i < n; i++) {
    void **arg = malloc(2 * sizeof *arg);
    if (!arg) break;
    arg[0] = p;
    arg[1] = (void *)(intptr_t)i;
    if (pthread_create(&p->threads[i], NULL, cp_worker, arg) != 0) {
      free(arg);
      break;
    }
    p->nthreads++;
  }
  if (p->nthreads == 0) return cv_err(err, CLAVE_EIO, "cannot start workers");
  return CLAVE_OK;
}

void cp_sched_stop(clave_platform *p) {
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  for (int i = 0; i < p->nthreads; i++)
    if (p->running[i].pid > 0) kill(p->running[i].pid, SIGKILL);
  pthread_cond_broadcast(&p->work_cv);
  pthread_cond_broadcast(&p->done_cv);
  pthread_mutex_unlock(&p->mu);
  cp_prep_kill_all(p); /* a worker waiting on one gets its answer now */
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  cp_prep_stop_all(p);
  p->nthreads = 0;
}

clave_status cp_sched_recover(clave_platform *p, clave_error *err) {
  char **ids;
  size_t n;
  clave_status st =
      clave_store_task_ids_in_state(p->store, CLAVE_TASK_RUNNING, &ids, &n, err);
  if (st) return st;
  for (size_t i = 0; i < n; i++) {
    clave_task_rec t;
    if (clave_store_task_get(p->store, ids[i], &t, err)) continue;
    t.state = CLAVE_TASK_FAILED;
    free(t.failure);
    t.failure = strdup("worker lost: the server stopped while the task ran");
    t.updated_at = cp_now_ms();
    clave_store_task_update(p->store, &t, CLAVE_TASK_RUNNING, NULL);
    clave_task_rec_free(&t);
  }
  clave_store_ids_free(ids, n);
  st = clave_store_task_ids_in_state(p->store, CLAVE_TASK_STAGED, &ids, &n, err);
  if (st) return st;
  for (size_t i = 0; i < n; i++) cp_sched_enqueue(p, ids[i]);
  clave_store_ids_free(ids, n);
  return CLAVE_OK;
}
