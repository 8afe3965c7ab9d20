/*
 * test_store.c - the SQLite store: persistence across reopen, schema
 * version rules, every record kind, the task state compare-and-set,
 * transactions that roll back, foreign keys, the audit log, and blobs
 * (streamed, bounded, damage detected).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "clave/store.h"
#include "tp.h"

static char tp_dir[] = "/tmp/clave-test-store-XXXXXX";

static clave_store *open_store(void) {
  clave_store *s = NULL;
  clave_error err;
  if (clave_store_open(tp_dir, &s, &err) != CLAVE_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    exit(1);
  }
  return s;
}

static void add_user(clave_store *s, const char *id, const char *role) {
  clave_user_rec u = {(char *)id, (char *)role, "", "$argon2id$x", "admin",
                      1};
  clave_error err;
  TP_CHECK_INT(clave_store_user_put(s, &u, 1, &err), CLAVE_OK);
}

static void test_users_tokens(void) {
  clave_store *s = open_store();
  clave_error err;
  TP_CHECK_INT(clave_store_schema_version(s), CLAVE_STORE_SCHEMA_VERSION);
  add_user(s, "admin", "PlatformAdmin");
  add_user(s, "alice", "DataOwner");
  clave_user_rec u = {"alice", "DataOwner", "", "h", "admin", 1};
  TP_CHECK_INT(clave_store_user_put(s, &u, 1, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "user 'alice' already exists");
  u.id = "nobody";
  TP_CHECK_INT(clave_store_user_put(s, &u, 0, &err), CLAVE_ENOTFOUND);
  TP_CHECK_STR(err.message, "user 'nobody' not found");
  clave_user_rec got;
  TP_CHECK_INT(clave_store_user_get(s, "ghost", &got, &err), CLAVE_ENOTFOUND);
  TP_CHECK_STR(err.message, "user 'ghost' not found");
  int64_t count = 0;
  TP_CHECK_INT(clave_store_user_count(s, &count, &err), 0);
  TP_CHECK_INT(count, 2);

  TP_CHECK_INT(clave_store_token_put(s, "h1", "alice", 100, &err), 0);
  TP_CHECK_INT(clave_store_token_put(s, "h2", "alice", 300, &err), 0);
  /* a token for an unknown user breaks the foreign key */
  TP_CHECK_INT(clave_store_token_put(s, "h3", "ghost", 300, &err), CLAVE_EIO);
  TP_CHECK(strstr(err.message, "FOREIGN KEY") != NULL);
  char *uid;
  int64_t exp;
  TP_CHECK_INT(clave_store_token_get(s, "h1", &uid, &exp, &err), 0);
  TP_CHECK_STR(uid, "alice");
  TP_CHECK_INT(exp, 100);
  free(uid);
  TP_CHECK_INT(clave_store_token_purge(s, 200, &err), 0);
  TP_CHECK_INT(clave_store_token_get(s, "h1", &uid, &exp, &err),
               CLAVE_ENOTFOUND);
  TP_CHECK_INT(clave_store_token_get(s, "h2", &uid, &exp, &err), 0);
  free(uid);
  clave_store_close(s);

  /* persisted */
  s = open_store();
  TP_CHECK_INT(clave_store_user_get(s, "alice", &got, &err), 0);
  TP_CHECK_STR(got.role, "DataOwner");
  TP_CHECK_STR(got.created_by, "admin");
  clave_user_rec_free(&got);
  clave_store_close(s);
}

static void test_functions_files(void) {
  clave_store *s = open_store();
  clave_error err;
  add_user(s, "fo", "FunctionOwner");
  clave_function_rec f = {0};
  f.id = "function-1";
  f.owner = "fo";
  f.name = "echo";
  f.description = "d";
  f.executor = "wasm";
  f.is_public = 1;
  f.arguments_json = "[{\"key\":\"a\"}]";
  f.usage_quota = -1;
  f.payload_sha256 = "ab";
  f.payload_size = 2;
  TP_CHECK_INT(clave_store_function_put(s, &f, 1, &err), 0);
  f.id = "function-2";
  f.owner = "ghost";
  TP_CHECK_INT(clave_store_function_put(s, &f, 1, &err), CLAVE_EIO);
  f.owner = "fo";
  f.name = "second";
  TP_CHECK_INT(clave_store_function_put(s, &f, 1, &err), 0);
  f.disabled = 1;
  TP_CHECK_INT(clave_store_function_put(s, &f, 0, &err), 0);
  clave_function_rec got;
  TP_CHECK_INT(clave_store_function_get(s, "function-2", &got, &err), 0);
  TP_CHECK_INT(got.disabled, 1);
  TP_CHECK_STR(got.arguments_json, "[{\"key\":\"a\"}]");
  TP_CHECK_STR(got.allowlist_json, "[]");
  TP_CHECK_INT(got.usage_quota, -1);
  clave_function_rec_free(&got);
  clave_function_rec *list;
  size_t n;
  TP_CHECK_INT(clave_store_function_list(s, "fo", &list, &n, &err), 0);
  TP_CHECK_INT(n, 2);
  if (n == 2) TP_CHECK_STR(list[1].name, "second");
  clave_function_recs_free(list, n);
  TP_CHECK_INT(clave_store_function_list(s, "nobody", &list, &n, &err), 0);
  TP_CHECK_INT(n, 0);
  TP_CHECK_INT(clave_store_function_delete(s, "function-2", &err), 0);
  TP_CHECK_INT(clave_store_function_delete(s, "function-2", &err),
               CLAVE_ENOTFOUND);
  TP_CHECK_STR(err.message, "function 'function-2' not found");

  clave_file_rec fr = {0};
  fr.id = "input-1";
  fr.creator = "fo";
  fr.owners_json = "[\"fo\"]";
  fr.url = "";
  fr.scheme = "aes-gcm-128";
  uint8_t key[40] = {1, 2, 3};
  fr.sealed_key = key;
  fr.sealed_key_len = sizeof key;
  fr.iv[0] = 9;
  fr.has_tag = 1;
  fr.tag[15] = 7;
  fr.blob_sha256 = NULL;
  TP_CHECK_INT(clave_store_file_put(s, &fr, 1, &err), 0);
  clave_file_rec fg;
  TP_CHECK_INT(clave_store_file_get(s, "input-1", &fg, &err), 0);
  TP_CHECK_INT(fg.sealed_key_len, 40);
  TP_CHECK(fg.sealed_key && fg.sealed_key[2] == 3);
  TP_CHECK(fg.iv[0] == 9 && fg.has_tag && fg.tag[15] == 7);
  TP_CHECK(fg.blob_sha256 == NULL);
  clave_file_rec_free(&fg);
  fr.blob_sha256 = "cafe";
  fr.has_tag = 0;
  TP_CHECK_INT(clave_store_file_put(s, &fr, 0, &err), 0);
  TP_CHECK_INT(clave_store_file_get(s, "input-1", &fg, &err), 0);
  TP_CHECK_STR(fg.blob_sha256, "cafe");
  TP_CHECK_INT(fg.has_tag, 0);
  clave_file_rec_free(&fg);
  TP_CHECK_INT(clave_store_file_get(s, "input-2", &fg, &err),
               CLAVE_ENOTFOUND);
  TP_CHECK_STR(err.message, "file 'input-2' not found");
  clave_store_close(s);
}

static void test_tasks(void) {
  clave_store *s = open_store();
  clave_error err;
  clave_task_rec t = {0};
  t.id = "task-1";
  t.function_id = "function-1";
  t.creator = "alice";
  t.executor = "wasm";
  t.state = CLAVE_TASK_CREATED;
  t.log = "";
  t.failure = "";
  t.created_at = t.updated_at = 5;
  TP_CHECK_INT(clave_store_task_insert(s, &t, &err), 0);
  /* unknown function: foreign key */
  t.id = "task-2";
  t.function_id = "function-9";
  TP_CHECK_INT(clave_store_task_insert(s, &t, &err), CLAVE_EIO);
  t.id = "task-1";
  t.function_id = "function-1";

  /* deleting a function that has tasks is refused */
  TP_CHECK_INT(clave_store_function_delete(s, "function-1", &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message,
               "function 'function-1' still has tasks; disable it instead");

  t.state = CLAVE_TASK_DATA_ASSIGNED;
  t.inputs_assigned_json = "{\"x\":\"input-1\"}";
  TP_CHECK_INT(clave_store_task_update(s, &t, CLAVE_TASK_CREATED, &err), 0);
  /* a second writer that still believes Created loses */
  t.state = CLAVE_TASK_CANCELED;
  TP_CHECK_INT(clave_store_task_update(s, &t, CLAVE_TASK_CREATED, &err),
               CLAVE_ELIMIT);
  TP_CHECK_STR(err.message, "task task-1 is DataAssigned, not Created");

  /* a transaction that rolls back leaves nothing */
  TP_CHECK_INT(clave_store_begin(s, &err), 0);
  t.state = CLAVE_TASK_APPROVED;
  TP_CHECK_INT(clave_store_task_update(s, &t, CLAVE_TASK_DATA_ASSIGNED, &err),
               0);
  TP_CHECK_INT(clave_store_audit_add(s, 1, "alice", "approve", "task-1", "ok",
                                     &err),
               0);
  TP_CHECK_INT(clave_store_begin(s, &err), CLAVE_EARG);
  clave_store_rollback(s);
  clave_task_rec got;
  TP_CHECK_INT(clave_store_task_get(s, "task-1", &got, &err), 0);
  TP_CHECK_INT(got.state, CLAVE_TASK_DATA_ASSIGNED);
  TP_CHECK_STR(got.inputs_assigned_json, "{\"x\":\"input-1\"}");
  TP_CHECK_STR(got.outputs_assigned_json, "{}");
  clave_task_rec_free(&got);

  /* and one that commits keeps all of it */
  TP_CHECK_INT(clave_store_begin(s, &err), 0);
  t.state = CLAVE_TASK_STAGED;
  TP_CHECK_INT(clave_store_task_update(s, &t, CLAVE_TASK_DATA_ASSIGNED, &err),
               0);
  TP_CHECK_INT(clave_store_audit_add(s, 2, "alice", "invoke", "task-1", "ok",
                                     &err),
               0);
  TP_CHECK_INT(clave_store_commit(s, &err), 0);
  char **ids;
  size_t n;
  TP_CHECK_INT(
      clave_store_task_ids_in_state(s, CLAVE_TASK_STAGED, &ids, &n, &err), 0);
  TP_CHECK_INT(n, 1);
  if (n) TP_CHECK_STR(ids[0], "task-1");
  clave_store_ids_free(ids, n);

  clave_audit_rec *a;
  TP_CHECK_INT(clave_store_audit_add(s, 3, "bob", "login", "bob",
                                     "wrong password", &err),
               0);
  TP_CHECK_INT(clave_store_audit_query(s, NULL, NULL, 0, &a, &n, &err), 0);
  TP_CHECK_INT(n, 2);
  if (n == 2) {
    TP_CHECK_STR(a[0].action, "login");
    TP_CHECK_STR(a[0].result, "wrong password");
    TP_CHECK_STR(a[1].action, "invoke");
  }
  clave_audit_recs_free(a, n);
  TP_CHECK_INT(clave_store_audit_query(s, "alice", NULL, 10, &a, &n, &err), 0);
  TP_CHECK_INT(n, 1);
  clave_audit_recs_free(a, n);
  TP_CHECK_INT(clave_store_audit_query(s, NULL, "login", 10, &a, &n, &err), 0);
  TP_CHECK_INT(n, 1);
  clave_audit_recs_free(a, n);
  clave_store_close(s);
}

static void test_blobs(void) {
  clave_store *s = open_store();
  clave_error err;
  char sha[65];
  TP_CHECK_INT(clave_blob_put(s, "abc", 3, sha, &err), 0);
  TP_CHECK_STR(sha,
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015"
               "ad");
  TP_CHECK(clave_blob_exists(s, sha));
  TP_CHECK(!clave_blob_exists(s, "../clave.db"));
  uint8_t *data;
  size_t len;
  TP_CHECK_INT(clave_blob_get(s, sha, &data, &len, &err), 0);
  TP_CHECK(len == 3 && memcmp(data, "abc", 3) == 0);
  free(data);

  /* streamed in pieces, bounded */
  clave_blob_writer *w;
  TP_CHECK_INT(clave_blob_begin(s, 5, &w, &err), 0);
  TP_CHECK_INT(clave_blob_write(w, "ab", 2, &err), 0);
  TP_CHECK_INT(clave_blob_write(w, "c", 1, &err), 0);
  TP_CHECK_INT(clave_blob_write(w, "defg", 4, &err), CLAVE_ELIMIT);
  TP_CHECK_STR(err.message, "content larger than 5 bytes");
  clave_blob_abort(w);
  TP_CHECK_INT(clave_blob_begin(s, 0, &w, &err), 0);
  TP_CHECK_INT(clave_blob_write(w, "a", 1, &err), 0);
  TP_CHECK_INT(clave_blob_write(w, "bc", 2, &err), 0);
  char sha2[65];
  uint64_t size;
  TP_CHECK_INT(clave_blob_finish(w, sha2, &size, &err), 0);
  TP_CHECK_STR(sha2, sha);
  TP_CHECK_INT(size, 3);

  /* damage on disk is noticed */
  char path[512];
  snprintf(path, sizeof path, "%s/blobs/%s", tp_dir, sha);
  FILE *fp = fopen(path, "w");
  fputs("abd", fp);
  fclose(fp);
  TP_CHECK_INT(clave_blob_get(s, sha, &data, &len, &err), CLAVE_EIO);
  char want[256];
  snprintf(want, sizeof want,
           "blob %s is damaged on disk (its content no longer has its hash)",
           sha);
  TP_CHECK_STR(err.message, want);
  TP_CHECK_INT(clave_blob_get(s, "zz", &data, &len, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "bad blob name 'zz'");
  clave_store_close(s);
}

/* A version-1 database (tasks without payload_sha256) is migrated in
 * place and keeps its rows. */
static void test_migration(void) {
  clave_store *s = open_store();
  clave_error err;
  clave_task_rec t = {0};
  t.id = "task-old";
  t.function_id = "function-1";
  t.creator = "alice";
  t.executor = "wasm";
  t.log = "";
  t.failure = "";
  t.payload_sha256 = "abc";
  TP_CHECK_INT(clave_store_task_insert(s, &t, &err), 0);
  clave_store_close(s);
  char path[512];
  snprintf(path, sizeof path, "%s/clave.db", tp_dir);
  sqlite3 *db;
  TP_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  TP_CHECK(sqlite3_exec(db,
                        "ALTER TABLE tasks DROP COLUMN payload_sha256;"
                        "PRAGMA user_version = 1;",
                        NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  s = open_store();
  TP_CHECK_INT(clave_store_schema_version(s), 2);
  clave_task_rec got;
  TP_CHECK_INT(clave_store_task_get(s, "task-old", &got, &err), 0);
  TP_CHECK_STR(got.payload_sha256, "");
  TP_CHECK_STR(got.creator, "alice");
  clave_task_rec_free(&got);
  clave_store_close(s);
}

static void test_newer_schema(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/clave.db", tp_dir);
  sqlite3 *db;
  TP_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  TP_CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) ==
           SQLITE_OK);
  sqlite3_close(db);
  clave_store *s;
  clave_error err;
  TP_CHECK_INT(clave_store_open(tp_dir, &s, &err), CLAVE_EUNSUPPORTED);
  char want[512];
  snprintf(want, sizeof want,
           "store: %s/clave.db has schema version 99, newer than this "
           "Clave's %d",
           tp_dir, CLAVE_STORE_SCHEMA_VERSION);
  TP_CHECK_STR(err.message, want);
}

int main(void) {
  if (!mkdtemp(tp_dir)) return 1;
  TP_RUN(test_users_tokens);
  TP_RUN(test_functions_files);
  TP_RUN(test_tasks);
  TP_RUN(test_blobs);
  TP_RUN(test_migration);
  TP_RUN(test_newer_schema);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tp_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tp_dir);
  return tp_finish();
}
