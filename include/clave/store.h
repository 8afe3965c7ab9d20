/*
 * clave/store.h - the platform's persistent state behind one interface.
 *
 * Users, login tokens, functions, files, tasks and the audit log live in a
 * store; large contents (payloads, uploaded and produced files) live in a
 * content-addressed blob area beside it, named by their SHA-256.  The
 * default (and for now only) backend is SQLite in WAL mode with foreign keys
 * and a schema version that migrations move forward.
 *
 * Records are plain structs of owned strings; the compound fields of
 * functions and tasks (argument lists, ownership maps, approvals) are JSON
 * text that the platform parses.  Every *_get fills a record that the
 * caller releases with the matching *_free.
 *
 * Threads: a store may be used from any thread.  clave_store_begin starts a
 * transaction that holds the store for the calling thread until commit or
 * rollback, so a read-check-write sequence (a task's state change) is one
 * atomic step; single calls outside a transaction are atomic themselves.
 */
#ifndef CLAVE_STORE_H
#define CLAVE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_STORE_SCHEMA_VERSION 3

typedef struct clave_store clave_store;

/* Open (creating when absent) the store in folder dir: dir/clave.db and
 * dir/blobs/.  Migrates an older schema; refuses a newer one. */
clave_status clave_store_open(const char *dir, clave_store **out,
                              clave_error *err);
void clave_store_close(clave_store *store);
int clave_store_schema_version(clave_store *store);

clave_status clave_store_begin(clave_store *store, clave_error *err);
clave_status clave_store_commit(clave_store *store, clave_error *err);
void clave_store_rollback(clave_store *store);

/* ---- blobs --------------------------------------------------------------- */

typedef struct clave_blob_writer clave_blob_writer;

/* Stream a blob in: its SHA-256 (hex) names it once finished.  max_bytes
 * bounds it (CLAVE_ELIMIT beyond). */
clave_status clave_blob_begin(clave_store *store, uint64_t max_bytes,
                              clave_blob_writer **out, clave_error *err);
clave_status clave_blob_write(clave_blob_writer *w, const void *data,
                              size_t len, clave_error *err);
/* Make the blob durable; sha256_hex gets 65 bytes.  Frees w. */
clave_status clave_blob_finish(clave_blob_writer *w, char *sha256_hex,
                               uint64_t *size, clave_error *err);
void clave_blob_abort(clave_blob_writer *w);
/* Store a blob from memory. */
clave_status clave_blob_put(clave_store *store, const void *data, size_t len,
                            char *sha256_hex, clave_error *err);
/* Read a whole blob (malloc'ed), checking its hash. */
clave_status clave_blob_get(clave_store *store, const char *sha256_hex,
                            uint8_t **data, size_t *len, clave_error *err);
int clave_blob_exists(clave_store *store, const char *sha256_hex);

/* ---- users and tokens --------------------------------------------------- */

typedef struct clave_user_rec {
  char *id;
  char *role;       /* PlatformAdmin, FunctionOwner, DataOwnerManager,
                       DataOwner */
  char *attr;       /* the role's attribute ("" if none) */
  char *pw_hash;    /* Argon2id string */
  char *created_by;
  int64_t created_at;
} clave_user_rec;

/* CLAVE_EARG "user 'x' already exists" when create and it exists. */
clave_status clave_store_user_put(clave_store *store,
                                  const clave_user_rec *user, int create,
                                  clave_error *err);
clave_status clave_store_user_get(clave_store *store, const char *id,
                                  clave_user_rec *out, clave_error *err);
clave_status clave_store_user_count(clave_store *store, int64_t *count,
                                    clave_error *err);
void clave_user_rec_free(clave_user_rec *user);

clave_status clave_store_token_put(clave_store *store, const char *token_hash,
                                   const char *user_id, int64_t expires_at,
                                   clave_error *err);
/* CLAVE_ENOTFOUND when unknown; *user_id malloc'ed. */
clave_status clave_store_token_get(clave_store *store, const char *token_hash,
                                   char **user_id, int64_t *expires_at,
                                   clave_error *err);
clave_status clave_store_token_purge(clave_store *store, int64_t now,
                                     clave_error *err);

/* ---- functions ---------------------------------------------------------- */

typedef struct clave_function_rec {
  char *id;
  char *owner;
  char *name;
  char *description;
  char *executor;        /* "wasm" (also accepted: "wamr") */
  int is_public;
  int disabled;
  char *allowlist_json;  /* ["user", ...] */
  char *arguments_json;  /* [{"key","default_value","allow_overwrite"}] */
  char *inputs_json;     /* [{"name","description","optional"}] */
  char *outputs_json;
  char *limits_json;     /* {"fuel","memory_mb","timeout_ms"} */
  int64_t usage_quota;   /* -1: unlimited */
  int64_t usage_count;
  char *payload_sha256;
  int64_t payload_size;
  int64_t created_at;
  int64_t updated_at;
} clave_function_rec;

/* Insert (create) or replace all fields of an existing function. */
clave_status clave_store_function_put(clave_store *store,
                                      const clave_function_rec *fn, int create,
                                      clave_error *err);
clave_status clave_store_function_get(clave_store *store, const char *id,
                                      clave_function_rec *out,
                                      clave_error *err);
/* All functions of owner (NULL: all), oldest first. */
clave_status clave_store_function_list(clave_store *store, const char *owner,
                                       clave_function_rec **out, size_t *n,
                                       clave_error *err);
clave_status clave_store_function_delete(clave_store *store, const char *id,
                                         clave_error *err);
void clave_function_rec_free(clave_function_rec *fn);
void clave_function_recs_free(clave_function_rec *fns, size_t n);

/* ---- files ---------------------------------------------------------------- */

typedef struct clave_file_rec {
  char *id;            /* input-UUID or output-UUID */
  int is_output;
  char *creator;
  char *owners_json;   /* ["user", ...] */
  char *url;           /* as registered ("" for uploads) */
  char *scheme;        /* raw, aes-gcm-128, aes-gcm-256 */
  uint8_t *sealed_key; /* the file key sealed under the master key */
  size_t sealed_key_len;
  uint8_t iv[12];
  int has_tag;
  uint8_t tag[16];
  char *blob_sha256;   /* NULL until the content exists (outputs) */
  int64_t size;
  int64_t created_at;
} clave_file_rec;

clave_status clave_store_file_put(clave_store *store, const clave_file_rec *f,
                                  int create, clave_error *err);
clave_status clave_store_file_get(clave_store *store, const char *id,
                                  clave_file_rec *out, clave_error *err);
void clave_file_rec_free(clave_file_rec *f);

/* ---- tasks ------------------------------------------------------------- */

typedef enum clave_task_state {
  CLAVE_TASK_CREATED = 0,
  CLAVE_TASK_DATA_ASSIGNED = 1,
  CLAVE_TASK_APPROVED = 2,
  CLAVE_TASK_STAGED = 3,
  CLAVE_TASK_RUNNING = 4,
  CLAVE_TASK_FINISHED = 5,
  CLAVE_TASK_CANCELED = 6,
  CLAVE_TASK_FAILED = 7
} clave_task_state;

/* "Created", "DataAssigned", ... */
const char *clave_task_state_name(clave_task_state state);
int clave_task_state_final(clave_task_state state);

typedef struct clave_task_rec {
  char *id;
  char *function_id;
  char *creator;
  char *executor;
  char *args_json;              /* resolved arguments object */
  char *inputs_owners_json;     /* {"name": ["user", ...]} */
  char *outputs_owners_json;
  char *inputs_assigned_json;   /* {"name": "input-..."} */
  char *outputs_assigned_json;
  char *participants_json;      /* ["user", ...] */
  char *approvals_json;         /* ["user", ...] */
  clave_task_state state;
  int has_result;
  int32_t return_value;
  char *log;
  char *output_tags_json;       /* {"name": "hex tag"} */
  char *failure;                /* reason when Failed/Canceled */
  char *payload_sha256;         /* the function's payload when created:
                                   what the participants approve */
  int64_t created_at;
  int64_t updated_at;
} clave_task_rec;

clave_status clave_store_task_insert(clave_store *store,
                                     const clave_task_rec *task,
                                     clave_error *err);
clave_status clave_store_task_get(clave_store *store, const char *id,
                                  clave_task_rec *out, clave_error *err);
/* Write every mutable field if the stored state is still expect_state;
 * CLAVE_ELIMIT "task x is Y, not Z" when it changed meanwhile. */
clave_status clave_store_task_update(clave_store *store,
                                     const clave_task_rec *task,
                                     clave_task_state expect_state,
                                     clave_error *err);
/* Ids of the tasks in a state, oldest first (malloc'ed array of
 * malloc'ed strings). */
clave_status clave_store_task_ids_in_state(clave_store *store,
                                           clave_task_state state,
                                           char ***ids, size_t *n,
                                           clave_error *err);
void clave_task_rec_free(clave_task_rec *task);
void clave_store_ids_free(char **ids, size_t n);

/* ---- audit ---------------------------------------------------------------- */

typedef struct clave_audit_rec {
  int64_t seq;
  int64_t at_ms;
  char *user_id;
  char *action;
  char *target;
  char *result;   /* "ok" or the error message */
} clave_audit_rec;

clave_status clave_store_audit_add(clave_store *store, int64_t at_ms,
                                   const char *user_id, const char *action,
                                   const char *target, const char *result,
                                   clave_error *err);
/* Newest first; user_id/action filters may be NULL; limit <= 0: 100. */
clave_status clave_store_audit_query(clave_store *store, const char *user_id,
                                     const char *action, int64_t limit,
                                     clave_audit_rec **out, size_t *n,
                                     clave_error *err);
void clave_audit_recs_free(clave_audit_rec *recs, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_STORE_H */
