/*
 * test_store.c - the SQLite store: persistence across reopen, schema
 * version rules, every record kind, the task state compare-and-set,
 * transactions that roll back, foreign keys, the audit log, blobs
 * (small ones in the database, large ones as files; streamed, bounded,
 * damage detected), and what a kill -9 leaves: every committed record and
 * blob, nothing of a transaction that was still open.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static int file_exists(const char *sha) {
  char path[512];
  snprintf(path, sizeof path, "%s/blobs/%s", tp_dir, sha);
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* Overwrite a blob behind the store's back: its file, or its row. */
static void damage(const char *sha) {
  char path[512];
  snprintf(path, sizeof path, "%s/blobs/%s", tp_dir, sha);
  FILE *fp = fopen(path, "r+");
  if (fp) {
    fputs("abd", fp);
    fclose(fp);
    return;
  }
  snprintf(path, sizeof path, "%s/clave.db", tp_dir);
  sqlite3 *db;
  TP_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  char sql[256];
  snprintf(sql, sizeof sql,
           "UPDATE blobs SET data = x'616264' WHERE sha256 = '%s'", sha);
  TP_CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
  TP_CHECK_INT(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

static void check_damaged(clave_store *s, const char *sha) {
  uint8_t *data;
  size_t len;
  clave_error err;
  TP_CHECK_INT(clave_blob_get(s, sha, &data, &len, &err), CLAVE_EIO);
  char want[256];
  snprintf(want, sizeof want,
           "blob %s is damaged on disk (its content no longer has its hash)",
           sha);
  TP_CHECK_STR(err.message, want);
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
  TP_CHECK(!file_exists(sha)); /* small: in the database */
  TP_CHECK(!clave_blob_exists(s, "../clave.db"));
  uint8_t *data;
  size_t len;
  TP_CHECK_INT(clave_blob_get(s, sha, &data, &len, &err), 0);
  TP_CHECK(len == 3 && memcmp(data, "abc", 3) == 0);
  free(data);
  TP_CHECK_INT(clave_blob_put(s, "abc", 3, sha, &err), 0); /* again: one */

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

  /* large: a file, whether put at once or streamed past the limit */
  size_t big_len = 64 * 1024 + 1;
  uint8_t *big = malloc(big_len);
  for (size_t i = 0; i < big_len; i++) big[i] = (uint8_t)(i * 7);
  char big_sha[65], big_sha2[65];
  TP_CHECK_INT(clave_blob_put(s, big, big_len, big_sha, &err), 0);
  TP_CHECK(file_exists(big_sha));
  TP_CHECK_INT(clave_blob_begin(s, 0, &w, &err), 0);
  for (size_t off = 0; off < big_len; off += 1000)
    TP_CHECK_INT(clave_blob_write(w, big + off,
                                  big_len - off < 1000 ? big_len - off : 1000,
                                  &err),
                 0);
  TP_CHECK_INT(clave_blob_finish(w, big_sha2, &size, &err), 0);
  TP_CHECK_STR(big_sha2, big_sha);
  TP_CHECK_INT(size, big_len);
  TP_CHECK_INT(clave_blob_get(s, big_sha, &data, &len, &err), 0);
  TP_CHECK(len == big_len && memcmp(data, big, big_len) == 0);
  free(data);
  /* exactly the limit stays in the database */
  TP_CHECK_INT(clave_blob_put(s, big, big_len - 1, sha2, &err), 0);
  TP_CHECK(!file_exists(sha2) && clave_blob_exists(s, sha2));
  free(big);

  /* damage is noticed, in a file and in the database */
  damage(big_sha);
  check_damaged(s, big_sha);
  damage(sha);
  check_damaged(s, sha);
  TP_CHECK_INT(clave_blob_get(s, "zz", &data, &len, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "bad blob name 'zz'");
  char none[65];
  memset(none, 'e', 64);
  none[64] = 0;
  TP_CHECK_INT(clave_blob_get(s, none, &data, &len, &err), CLAVE_ENOTFOUND);
  clave_store_close(s);
}

/* What a task's end writes in one transaction: its output's content, the
 * output file's record, the task's state.  Killed (-9) before the commit
 * or after it, then reopened. */
static void crash_writer(int commit, const char *out_id, const void *content,
                         size_t len, int ready_fd) {
  clave_store *s = open_store();
  clave_error err;
  char sha[65];
  if (clave_store_begin(s, &err) ||
      clave_blob_put(s, content, len, sha, &err))
    _exit(2);
  clave_file_rec f;
  if (clave_store_file_get(s, out_id, &f, &err)) _exit(3);
  free(f.blob_sha256);
  f.blob_sha256 = strdup(sha);
  f.size = (int64_t)len;
  if (clave_store_file_put(s, &f, 0, &err)) _exit(4);
  if (commit && clave_store_commit(s, &err)) _exit(5);
  if (write(ready_fd, sha, 64) != 64) _exit(6);
  for (;;) pause(); /* killed here, store open, maybe mid-transaction */
}

static void crash_case(int commit, const char *out_id, size_t len) {
  uint8_t *content = malloc(len);
  for (size_t i = 0; i < len; i++)
    content[i] = (uint8_t)(i * 13 + len + (commit ? 0 : 101)); /* unique */
  int pfd[2];
  TP_CHECK(pipe(pfd) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    crash_writer(commit, out_id, content, len, pfd[1]);
  }
  close(pfd[1]);
  char sha[65] = "";
  TP_CHECK_INT(read(pfd[0], sha, 64), 64);
  close(pfd[0]);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  TP_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  clave_store *s = open_store();
  clave_error err;
  clave_file_rec f;
  TP_CHECK_INT(clave_store_file_get(s, out_id, &f, &err), 0);
  uint8_t *data = NULL;
  size_t got = 0;
  if (commit) {
    TP_CHECK_STR(f.blob_sha256, sha);
    TP_CHECK_INT(clave_blob_get(s, sha, &data, &got, &err), 0);
    TP_CHECK(got == len && data && memcmp(data, content, len) == 0);
  } else {
    TP_CHECK(f.blob_sha256 == NULL);
    /* a small blob went with its transaction; a large file may stay
     * behind, harmless (nothing names it) */
    if (len <= 64 * 1024) TP_CHECK(!clave_blob_exists(s, sha));
  }
  free(data);
  clave_file_rec_free(&f);
  clave_store_close(s);
  free(content);
}

static void test_crash_safety(void) {
  clave_store *s = open_store();
  clave_error err;
  const char *ids[] = {"output-small", "output-big", "output-open",
                       "output-open-big"};
  for (size_t i = 0; i < 4; i++) {
    clave_file_rec fr = {0};
    fr.id = (char *)ids[i];
    fr.is_output = 1;
    fr.creator = "fo";
    fr.owners_json = "[\"fo\"]";
    fr.url = "";
    fr.scheme = "aes-gcm-128";
    uint8_t key[40] = {1};
    fr.sealed_key = key;
    fr.sealed_key_len = sizeof key;
    TP_CHECK_INT(clave_store_file_put(s, &fr, 1, &err), 0);
  }
  clave_store_close(s);
  crash_case(1, "output-small", 216);       /* a result: in the database */
  crash_case(1, "output-big", 300 * 1024);  /* a file, fsync'ed first */
  crash_case(0, "output-open", 216);        /* killed before the commit */
  crash_case(0, "output-open-big", 300 * 1024);
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
                        "DROP TABLE blobs; PRAGMA user_version = 1;",
                        NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  s = open_store();
  TP_CHECK_INT(clave_store_schema_version(s), CLAVE_STORE_SCHEMA_VERSION);
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
  TP_RUN(test_crash_safety);
  TP_RUN(test_migration);
  TP_RUN(test_newer_schema);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tp_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tp_dir);
  return tp_finish();
}
