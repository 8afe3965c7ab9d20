/*
 * plat_int.h - what the platform's files share: the server object, the
 * request being served, and the entry points of each file.
 *
 * Files: server.c (HTTP, routing, bodies, auth, audit), tls.c (certificate),
 * users.c, functions.c, files.c, tasks.c (the API calls), scheduler.c
 * (queue, workers, long-poll wake-ups, recovery), child.c (the sandboxed
 * task process), wire.c (framing on the child's pipes), json.c (helpers).
 */
#ifndef CLAVE_PLAT_INT_H
#define CLAVE_PLAT_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "clave/crypto.h"
#include "clave/platform.h"
#include "clave/store.h"

/* ---- the server ---------------------------------------------------------- */

#define CP_DONE_RING 256
#define CP_PW_SLOTS 2

typedef struct cp_job {
  char *task_id;
  struct cp_job *next;
} cp_job;

typedef struct cp_running {
  char task_id[64];
  pid_t pid;        /* 0 until the child exists */
  int cancel;       /* set by cancel_task: kill and do not overwrite state */
} cp_running;

/* A prepared process: one function's payload loaded once (prepared.c). */
typedef struct cp_prep {
  char sha[65];          /* the payload's SHA-256 */
  pid_t pid;
  int sock;              /* control socket: task sockets go out, pids back */
  pthread_mutex_t mu;    /* one exchange (or the start) at a time */
  int started;           /* loaded and answering (under mu) */
  int dead;              /* failed: removed once nobody uses it (set
                            under mu and p->prep_mu) */
  int refs;              /* workers holding it (under p->prep_mu) */
  uint64_t used;         /* last use, for eviction (under p->prep_mu) */
  struct cp_prep *next;
} cp_prep;

struct clave_platform {
  clave_platform_config cfg;
  char data_dir[4096];
  char import_dir[4096];
  char child_exe[4096];
  char listen_host[256];
  uint16_t port;
  clave_store *store;
  uint8_t master_key[CLAVE_MASTER_KEY_LEN];
  char *cert_pem, *key_pem;
  char fingerprint[100];
  int lock_fd;
  struct MHD_Daemon *mhd;

  pthread_mutex_t mu;        /* queue, running, done_gen, stopping */
  pthread_cond_t work_cv;    /* a job was queued, or stopping */
  pthread_cond_t done_cv;    /* some task reached a final state */
  uint64_t done_gen;         /* tasks ended so far */
  /* the ids of the last CP_DONE_RING tasks that ended, by done_gen, so
   * that a long-poll wakes for its own task without reading the store */
  char done_ring[CP_DONE_RING][64];
  cp_job *queue_head, *queue_tail;
  cp_running *running;       /* one slot per worker */
  pthread_t *threads;
  int nthreads;
  int stopping;
  int started;

  /* Argon2id takes 64 MiB for each hash it computes: at most
   * CP_PW_SLOTS at once, so that many logins at once queue instead of
   * taking memory without bound */
  pthread_mutex_t pw_mu;
  pthread_cond_t pw_cv;
  int pw_busy;

  pthread_mutex_t prep_mu;   /* the list of prepared processes */
  cp_prep *preps;
  int npreps;
  uint64_t prep_clock;
};

/* ---- a request ---------------------------------------------------------- */

typedef struct cp_req {
  clave_platform *p;
  struct MHD_Connection *conn;
  const char *method;
  const char *url;
  char *parts[8];   /* path segments after /v1 */
  int nparts;
  json_t *body;     /* parsed JSON body (NULL when none) */
  const uint8_t *raw;
  size_t raw_len;
  char blob_sha[65];  /* set for streamed uploads */
  uint64_t blob_size;
  clave_user_rec user; /* the caller (after auth) */
  int authed;
  /* response */
  int status;
  json_t *reply;
  uint8_t *reply_bytes; /* raw response (file content) */
  size_t reply_len;
  /* audit */
  const char *action;  /* set by state-changing handlers */
  char target[128];
} cp_req;

/* Set an error reply; returns -1 so handlers can `return cp_fail(...)`. */
int cp_fail(cp_req *r, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map a clave_error from the store or crypto to an HTTP status. */
int cp_fail_err(cp_req *r, const clave_error *err);
int cp_ok(cp_req *r, json_t *reply); /* 200 with reply (stolen) */
/* A query-string argument or NULL. */
const char *cp_query(cp_req *r, const char *key);
int64_t cp_now_ms(void);

/* Roles. */
int cp_is_admin(const cp_req *r);
int cp_role_valid(const char *role);

/* ---- API calls (each returns 0 or -1 with the reply set) ---------------- */

int cp_users_login(cp_req *r);
int cp_users_register(cp_req *r);
int cp_users_me(cp_req *r);
int cp_users_password(cp_req *r);
clave_status cp_users_bootstrap(clave_platform *p, clave_error *err);

int cp_functions_register(cp_req *r);
int cp_functions_update(cp_req *r);
int cp_functions_get(cp_req *r);
int cp_functions_list(cp_req *r);
int cp_functions_delete(cp_req *r);
int cp_functions_disable(cp_req *r);
int cp_function_usable(const cp_req *r, const clave_function_rec *fn);

int cp_files_register(cp_req *r, int is_output);
int cp_files_get(cp_req *r);
int cp_files_content(cp_req *r);
int cp_blobs_upload_done(cp_req *r);
int cp_file_owned_by(const clave_file_rec *f, const char *user);

int cp_tasks_create(cp_req *r);
int cp_tasks_get(cp_req *r);
int cp_tasks_assign(cp_req *r);
int cp_tasks_approve(cp_req *r);
int cp_tasks_invoke(cp_req *r);
int cp_tasks_cancel(cp_req *r);
int cp_tasks_result(cp_req *r);
json_t *cp_task_json(const clave_task_rec *t);

int cp_audit_query(cp_req *r);

/* ---- TLS ------------------------------------------------------------------ */

clave_status cp_tls_load(clave_platform *p, clave_error *err);

/* ---- scheduler ------------------------------------------------------------ */

clave_status cp_sched_start(clave_platform *p, clave_error *err);
void cp_sched_stop(clave_platform *p);
void cp_sched_enqueue(clave_platform *p, const char *task_id);
/* Wake long-polls: task_id reached a final state. */
void cp_sched_task_done(clave_platform *p, const char *task_id);
/* Kill the child of a running task (cancel). Returns 1 if it was running. */
int cp_sched_cancel(clave_platform *p, const char *task_id);
/* Wait until the task is final or timeout_ms passed. */
void cp_sched_wait(clave_platform *p, const char *task_id, int64_t timeout_ms);
/* Load a payload in a sandboxed child: 0, or -1 with the reason in msg
 * ("payload refused: ..."). */
int cp_validate_payload(clave_platform *p, const uint8_t *payload, size_t len,
                        char *msg, size_t cap);
/* After a restart: Running -> Failed "worker lost", Staged -> queued. */
clave_status cp_sched_recover(clave_platform *p, clave_error *err);

/* ---- prepared processes and sandboxes --------------------------------------- */

/* A task process for the payload sha (its prepared process started, and
 * the payload read from the blob store, when needed): *pid is a child of
 * the server, *sock the server's end of its socket.  Worker threads only
 * (a prepared process dies with the thread that started it). */
clave_status cp_prep_fork(clave_platform *p, const char *sha, pid_t *pid,
                          int *sock, clave_error *err);
/* Kill every prepared process (stopping: no exchange may hang), then,
 * once the workers are joined, reap and forget them. */
void cp_prep_kill_all(clave_platform *p);
void cp_prep_stop_all(clave_platform *p);
/* Start the server's executable as a child (CLAVE_PLATFORM_CHILD_ARG)
 * with a socket on its fds 0 and 1; *sock is the server's end. */
clave_status cp_spawn_child(clave_platform *p, pid_t *pid, int *sock,
                            clave_error *err);

/* In a task process: rlimits and the task filter. */
clave_status cp_sandbox_enter(uint64_t memory_bytes, uint64_t cpu_seconds,
                              clave_error *err);
/* In a prepared process: rlimits and the prepared filter. */
clave_status cp_sandbox_enter_prepared(uint64_t memory_bytes,
                                       clave_error *err);

/* ---- child wire format ---------------------------------------------------- */

clave_status cp_wire_write(int fd, const void *data, size_t len,
                           clave_error *err);
clave_status cp_wire_read(int fd, uint64_t max, uint8_t **data, size_t *len,
                          clave_error *err);

/* ---- JSON helpers ----------------------------------------------------------- */

/* A string member or NULL. */
const char *cp_jstr(json_t *obj, const char *key);
/* Sorted, de-duplicated list of strings from a JSON array; NULL if the
 * array holds a non-string. */
json_t *cp_jstrset(json_t *arr);
int cp_jset_contains(json_t *arr, const char *s);
char *cp_jdump(json_t *j); /* compact, sorted keys; malloc'ed */
json_t *cp_jload(const char *text);
/* base64 (standard alphabet, padding) */
char *cp_b64_encode(const uint8_t *data, size_t len);
int cp_b64_decode(const char *text, uint8_t **out, size_t *len);
/* id with a prefix and a random UUID v4 */
void cp_new_id(const char *prefix, char *out, size_t cap);
int cp_valid_name(const char *s, size_t max);

#endif /* CLAVE_PLAT_INT_H */
