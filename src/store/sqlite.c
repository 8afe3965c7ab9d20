/*
 * sqlite.c - the store on SQLite: schema, migrations, and every record.
 *
 * One connection, serialised by a recursive mutex: SQLite in WAL mode
 * commits in well under a millisecond here, the platform's calls are short,
 * and one connection makes "a task's state change is one transaction"
 * trivially true (clave_store_begin holds the mutex until commit).  Its
 * statements are prepared once and kept (cs_prep), since parsing SQL cost
 * more than running it.  The schema version is PRAGMA user_version; each
 * migration in cs_migrations moves it up by one inside a transaction, and
 * a database from a newer Clave is refused instead of being misread.
 *
 * Durability: WAL with synchronous=NORMAL.  A commit is in the WAL file
 * before it returns, so a crash of the process (kill -9) loses nothing
 * committed; only an OS crash or power loss may roll back the last
 * commits, and never leaves the database inconsistent.  No fsync happens
 * at a commit: the WAL is synced when it is checkpointed, which a thread
 * of the store does on a connection of its own (cs_checkpointer), so
 * that no request waits for the disk.  Small blobs live in this database
 * too (blob.c), inside the transaction that refers to them.
 *
 * Compound fields are JSON text: the store does not interpret them.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/cerr.h"
#include "store/store_int.h"

/* Prepared statements kept per SQL text (cs_prep is given literals). */
#define CS_NSTMT 48

/* Checkpoint once the WAL holds this many pages (SQLite's own default)... */
#define CS_CHECKPOINT_PAGES 1000
/* ... and past this many, catch up with the writers held off, so that the
 * WAL can start over (see cs_checkpointer). */
#define CS_RESTART_PAGES 4096

struct clave_store {
  sqlite3 *db;
  pthread_mutex_t lock; /* recursive */
  int in_txn;
  char dir[4096];
  char blob_dir[4200];
  struct {
    const char *sql;
    sqlite3_stmt *st;
    int busy;
  } stmts[CS_NSTMT];
  /* the checkpointer: its own connection and thread */
  sqlite3 *ckpt_db;
  pthread_t ckpt_thread;
  int ckpt_running;
  pthread_mutex_t ckpt_mu;
  pthread_cond_t ckpt_cv;
  int ckpt_wanted, ckpt_stop;
};

const char *cs_blob_dir(clave_store *store) { return store->blob_dir; }

/* ---- schema ------------------------------------------------------------- */

static const char *const cs_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY, role TEXT NOT NULL, attr TEXT NOT NULL,"
    " pw_hash TEXT NOT NULL, created_by TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    " hash TEXT PRIMARY KEY,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE functions ("
    " id TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL REFERENCES users(id),"
    " name TEXT NOT NULL, description TEXT NOT NULL, executor TEXT NOT NULL,"
    " is_public INTEGER NOT NULL, disabled INTEGER NOT NULL,"
    " allowlist TEXT NOT NULL, arguments TEXT NOT NULL, inputs TEXT NOT NULL,"
    " outputs TEXT NOT NULL, limits TEXT NOT NULL,"
    " usage_quota INTEGER NOT NULL, usage_count INTEGER NOT NULL,"
    " payload_sha256 TEXT NOT NULL, payload_size INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX functions_owner ON functions(owner);"
    "CREATE TABLE files ("
    " id TEXT PRIMARY KEY, is_output INTEGER NOT NULL,"
    " creator TEXT NOT NULL REFERENCES users(id),"
    " owners TEXT NOT NULL, url TEXT NOT NULL, scheme TEXT NOT NULL,"
    " sealed_key BLOB NOT NULL, iv BLOB NOT NULL, tag BLOB,"
    " blob_sha256 TEXT, size INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE tasks ("
    " id TEXT PRIMARY KEY,"
    " function_id TEXT NOT NULL REFERENCES functions(id),"
    " creator TEXT NOT NULL REFERENCES users(id),"
    " executor TEXT NOT NULL, args TEXT NOT NULL,"
    " inputs_owners TEXT NOT NULL, outputs_owners TEXT NOT NULL,"
    " inputs_assigned TEXT NOT NULL, outputs_assigned TEXT NOT NULL,"
    " participants TEXT NOT NULL, approvals TEXT NOT NULL,"
    " state INTEGER NOT NULL, has_result INTEGER NOT NULL,"
    " return_value INTEGER NOT NULL, log TEXT NOT NULL,"
    " output_tags TEXT NOT NULL, failure TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX tasks_state ON tasks(state, created_at);"
    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,"
    " user_id TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,"
    " result TEXT NOT NULL);"
    "CREATE INDEX audit_user ON audit(user_id, seq);",
    /* 1 -> 2: a task runs the payload it was created (and approved) with */
    "ALTER TABLE tasks ADD COLUMN payload_sha256 TEXT NOT NULL DEFAULT '';",
    /* 2 -> 3: small blobs inside the database (blob.c) */
    "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);",
};
#define CS_NMIGRATIONS (sizeof cs_migrations / sizeof cs_migrations[0])
_Static_assert(CS_NMIGRATIONS == CLAVE_STORE_SCHEMA_VERSION,
               "one migration per schema version");

static clave_status cs_sqlerr(clave_store *s, clave_error *err,
                              const char *what) {
  return cv_err(err, CLAVE_EIO, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static clave_status cs_exec(clave_store *s, const char *sql, clave_error *err,
                            const char *what) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    clave_status st =
        cv_err(err, CLAVE_EIO, "store: %s: %s", what, msg ? msg : "failed");
    sqlite3_free(msg);
    return st;
  }
  return CLAVE_OK;
}

static int cs_user_version(clave_store *s) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  return v;
}

static clave_status cs_migrate(clave_store *s, clave_error *err) {
  int v = cs_user_version(s);
  if (v < 0) return cs_sqlerr(s, err, "reading the schema version");
  if (v > CLAVE_STORE_SCHEMA_VERSION)
    return cv_err(err, CLAVE_EUNSUPPORTED,
                  "store: %s/clave.db has schema version %d, newer than this "
                  "Clave's %d",
                  s->dir, v, CLAVE_STORE_SCHEMA_VERSION);
  for (; v < CLAVE_STORE_SCHEMA_VERSION; v++) {
    char what[64], bump[64];
    snprintf(what, sizeof what, "migration to schema version %d", v + 1);
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
    clave_status st = cs_exec(s, "BEGIN IMMEDIATE", err, what);
    if (!st) st = cs_exec(s, cs_migrations[v], err, what);
    if (!st) st = cs_exec(s, bump, err, what);
    if (!st) st = cs_exec(s, "COMMIT", err, what);
    if (st) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return st;
    }
  }
  return CLAVE_OK;
}

static clave_status cs_mkdir(const char *path, clave_error *err) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST)
    return cv_err(err, CLAVE_EIO, "store: cannot create %s: %s", path,
                  strerror(errno));
  return CLAVE_OK;
}

/* ---- checkpoints -------------------------------------------------------- */

/* Called by SQLite after each commit of the main connection (in place of
 * its automatic checkpoint, which would run in the committing request and
 * make it wait for two fsyncs). */
static int cs_wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
  (void)db;
  (void)name;
  clave_store *s = arg;
  if (pages >= CS_CHECKPOINT_PAGES) {
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_wanted = 1;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
  }
  return SQLITE_OK;
}

/* Copies the WAL into the database when asked: a PASSIVE checkpoint takes
 * no lock that a writer waits for, at most one every 100 ms.  The WAL
 * starts over only when a writer finds every frame copied, which under a
 * steady stream of commits never happens, so once it holds
 * CS_RESTART_PAGES the checkpointer takes the store and copies the last
 * frames with no writer running: a pause of the frames appended since the
 * previous pass and two fsyncs, every few thousand pages instead of
 * every thousand. */
static void *cs_checkpointer(void *arg) {
  clave_store *s = arg;
  pthread_mutex_lock(&s->ckpt_mu);
  while (!s->ckpt_stop) {
    if (!s->ckpt_wanted) {
      pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
      continue;
    }
    s->ckpt_wanted = 0;
    pthread_mutex_unlock(&s->ckpt_mu);
    int log = 0;
    sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                              &log, NULL);
    if (log >= CS_RESTART_PAGES) {
      pthread_mutex_lock(&s->lock);
      sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                NULL, NULL);
      pthread_mutex_unlock(&s->lock);
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100 * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->ckpt_mu);
    while (!s->ckpt_stop &&
           pthread_cond_timedwait(&s->ckpt_cv, &s->ckpt_mu, &until) == 0) {
    }
  }
  pthread_mutex_unlock(&s->ckpt_mu);
  return NULL;
}

static clave_status cs_checkpointer_start(clave_store *s, const char *path,
                                          clave_error *err) {
  if (sqlite3_open_v2(path, &s->ckpt_db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      NULL) != SQLITE_OK ||
      sqlite3_exec(s->ckpt_db, "PRAGMA synchronous=NORMAL", NULL, NULL,
                   NULL) != SQLITE_OK)
    return cv_err(err, CLAVE_EIO, "store: cannot open %s for checkpoints: %s",
                  path,
                  s->ckpt_db ? sqlite3_errmsg(s->ckpt_db) : "out of memory");
  if (pthread_create(&s->ckpt_thread, NULL, cs_checkpointer, s) != 0)
    return cv_err(err, CLAVE_EIO, "store: cannot start the checkpoint thread");
  s->ckpt_running = 1;
  sqlite3_wal_hook(s->db, cs_wal_hook, s);
  return CLAVE_OK;
}

clave_status clave_store_open(const char *dir, clave_store **out,
                              clave_error *err) {
  *out = NULL;
  if (strlen(dir) >= 4000)
    return cv_err(err, CLAVE_EARG, "store: folder path too long");
  clave_store *s = calloc(1, sizeof *s);
  if (!s) return cv_err(err, CLAVE_ENOMEM, "store: out of memory");
  snprintf(s->dir, sizeof s->dir, "%s", dir);
  snprintf(s->blob_dir, sizeof s->blob_dir, "%s/blobs", dir);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&s->lock, &attr);
  pthread_mutexattr_destroy(&attr);
  pthread_mutex_init(&s->ckpt_mu, NULL);
  pthread_cond_init(&s->ckpt_cv, NULL);

  clave_status st = cs_mkdir(dir, err);
  if (!st) st = cs_mkdir(s->blob_dir, err);
  if (st) {
    clave_store_close(s);
    return st;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/clave.db", dir);
  if (sqlite3_open_v2(path, &s->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_FULLMUTEX,
                      NULL) != SQLITE_OK) {
    st = cv_err(err, CLAVE_EIO, "store: cannot open %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
    clave_store_close(s);
    return st;
  }
  chmod(path, 0600);
  sqlite3_busy_timeout(s->db, 5000);
  st = cs_exec(s,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               " PRAGMA foreign_keys=ON;",
               err, "setting up the database");
  if (!st) st = cs_migrate(s, err);
  if (!st) st = cs_checkpointer_start(s, path, err);
  if (st) {
    clave_store_close(s);
    return st;
  }
  *out = s;
  return CLAVE_OK;
}

void clave_store_close(clave_store *s) {
  if (!s) return;
  if (s->ckpt_running) {
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_stop = 1;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    pthread_join(s->ckpt_thread, NULL);
  }
  if (s->ckpt_db) sqlite3_close_v2(s->ckpt_db);
  pthread_mutex_destroy(&s->ckpt_mu);
  pthread_cond_destroy(&s->ckpt_cv);
  for (int i = 0; i < CS_NSTMT; i++)
    if (s->stmts[i].st) sqlite3_finalize(s->stmts[i].st);
  /* the last connection to close checkpoints and removes the WAL */
  if (s->db) sqlite3_close_v2(s->db);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

int clave_store_schema_version(clave_store *s) {
  pthread_mutex_lock(&s->lock);
  int v = cs_user_version(s);
  pthread_mutex_unlock(&s->lock);
  return v;
}

clave_status clave_store_begin(clave_store *s, clave_error *err) {
  pthread_mutex_lock(&s->lock);
  if (s->in_txn) {
    pthread_mutex_unlock(&s->lock);
    return cv_err(err, CLAVE_EARG, "store: a transaction is already open");
  }
  clave_status st = cs_exec(s, "BEGIN IMMEDIATE", err, "begin");
  if (st) {
    pthread_mutex_unlock(&s->lock);
    return st;
  }
  s->in_txn = 1;
  return CLAVE_OK;
}

clave_status clave_store_commit(clave_store *s, clave_error *err) {
  clave_status st = cs_exec(s, "COMMIT", err, "commit");
  if (st) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_txn = 0;
  pthread_mutex_unlock(&s->lock);
  return st;
}

void clave_store_rollback(clave_store *s) {
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_txn = 0;
  pthread_mutex_unlock(&s->lock);
}

/* ---- statement helpers ---------------------------------------------------- */

typedef struct cs_q {
  clave_store *s;
  sqlite3_stmt *st;
  int col;  /* next bind index */
  int slot; /* in s->stmts, or -1 for a statement of this call alone */
} cs_q;

/* Take the store and a statement for sql, which must be a string literal:
 * statements are kept by its address.  A statement already in use (a
 * nested call) gets a copy of its own. */
static clave_status cs_prep(clave_store *s, cs_q *q, const char *sql,
                            clave_error *err) {
  pthread_mutex_lock(&s->lock);
  q->s = s;
  q->col = 1;
  q->slot = -1;
  int free_slot = -1, in_use = 0;
  for (int i = 0; i < CS_NSTMT; i++) {
    if (s->stmts[i].sql == sql) {
      if (s->stmts[i].busy) {
        in_use = 1;
        break;
      }
      s->stmts[i].busy = 1;
      q->st = s->stmts[i].st;
      q->slot = i;
      return CLAVE_OK;
    }
    if (!s->stmts[i].sql && free_slot < 0) free_slot = i;
  }
  int keep = !in_use && free_slot >= 0;
  if (sqlite3_prepare_v3(s->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0,
                         &q->st, NULL) != SQLITE_OK) {
    clave_status st = cs_sqlerr(s, err, "prepare");
    pthread_mutex_unlock(&s->lock);
    return st;
  }
  if (keep) {
    s->stmts[free_slot].sql = sql;
    s->stmts[free_slot].st = q->st;
    s->stmts[free_slot].busy = 1;
    q->slot = free_slot;
  }
  return CLAVE_OK;
}

/* Give the statement back (reset: no read stays open) and the store. */
static void cs_done(cs_q *q) {
  if (q->slot >= 0) {
    sqlite3_reset(q->st);
    sqlite3_clear_bindings(q->st);
    q->s->stmts[q->slot].busy = 0;
  } else {
    sqlite3_finalize(q->st);
  }
  pthread_mutex_unlock(&q->s->lock);
}

static void cs_text(cs_q *q, const char *v) {
  sqlite3_bind_text(q->st, q->col++, v ? v : "", -1, SQLITE_TRANSIENT);
}
static void cs_null_text(cs_q *q, const char *v) {
  if (v) sqlite3_bind_text(q->st, q->col++, v, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(q->st, q->col++);
}
static void cs_int(cs_q *q, int64_t v) {
  sqlite3_bind_int64(q->st, q->col++, v);
}
static void cs_blob(cs_q *q, const void *p, size_t n) {
  if (p) sqlite3_bind_blob(q->st, q->col++, p, (int)n, SQLITE_TRANSIENT);
  else sqlite3_bind_null(q->st, q->col++);
}

static char *cs_coldup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return strdup(t ? (const char *)t : "");
}
static char *cs_coldup_null(sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
  return cs_coldup(st, i);
}

/* Run a statement that returns no rows. */
static clave_status cs_run(cs_q *q, clave_error *err, const char *what) {
  int rc = sqlite3_step(q->st);
  clave_status st = CLAVE_OK;
  if (rc != SQLITE_DONE) st = cs_sqlerr(q->s, err, what);
  cs_done(q);
  return st;
}

/* ---- users and tokens ---------------------------------------------------- */

clave_status clave_store_user_put(clave_store *s, const clave_user_rec *u,
                                  int create, clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      create ? "INSERT INTO users(id, role, attr, pw_hash, created_by,"
               " created_at) VALUES (?,?,?,?,?,?)"
             : "UPDATE users SET role=?2, attr=?3, pw_hash=?4 WHERE id=?1",
      err);
  if (st) return st;
  cs_text(&q, u->id);
  cs_text(&q, u->role);
  cs_text(&q, u->attr);
  cs_text(&q, u->pw_hash);
  if (create) {
    cs_text(&q, u->created_by);
    cs_int(&q, u->created_at);
  }
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_CONSTRAINT) {
    cs_done(&q);
    return cv_err(err, CLAVE_EARG, "user '%s' already exists", u->id);
  }
  if (rc != SQLITE_DONE) {
    st = cs_sqlerr(s, err, "saving a user");
    cs_done(&q);
    return st;
  }
  int changed = sqlite3_changes(s->db);
  cs_done(&q);
  if (!changed)
    return cv_err(err, CLAVE_ENOTFOUND, "user '%s' not found", u->id);
  return CLAVE_OK;
}

clave_status clave_store_user_get(clave_store *s, const char *id,
                                  clave_user_rec *out, clave_error *err) {
  memset(out, 0, sizeof *out);
  cs_q q;
  clave_status st = cs_prep(s, &q,
                            "SELECT id, role, attr, pw_hash, created_by,"
                            " created_at FROM users WHERE id=?",
                            err);
  if (st) return st;
  cs_text(&q, id);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_ROW) {
    out->id = cs_coldup(q.st, 0);
    out->role = cs_coldup(q.st, 1);
    out->attr = cs_coldup(q.st, 2);
    out->pw_hash = cs_coldup(q.st, 3);
    out->created_by = cs_coldup(q.st, 4);
    out->created_at = sqlite3_column_int64(q.st, 5);
  } else if (rc == SQLITE_DONE) {
    st = cv_err(err, CLAVE_ENOTFOUND, "user '%s' not found", id);
  } else {
    st = cs_sqlerr(s, err, "reading a user");
  }
  cs_done(&q);
  return st;
}

clave_status clave_store_user_count(clave_store *s, int64_t *count,
                                    clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(s, &q, "SELECT count(*) FROM users", err);
  if (st) return st;
  if (sqlite3_step(q.st) == SQLITE_ROW) *count = sqlite3_column_int64(q.st, 0);
  else st = cs_sqlerr(s, err, "counting users");
  cs_done(&q);
  return st;
}

void clave_user_rec_free(clave_user_rec *u) {
  if (!u) return;
  free(u->id);
  free(u->role);
  free(u->attr);
  free(u->pw_hash);
  free(u->created_by);
  memset(u, 0, sizeof *u);
}

clave_status clave_store_token_put(clave_store *s, const char *token_hash,
                                   const char *user_id, int64_t expires_at,
                                   clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q, "INSERT INTO tokens(hash, user_id, expires_at) VALUES (?,?,?)",
      err);
  if (st) return st;
  cs_text(&q, token_hash);
  cs_text(&q, user_id);
  cs_int(&q, expires_at);
  return cs_run(&q, err, "saving a token");
}

clave_status clave_store_token_get(clave_store *s, const char *token_hash,
                                   char **user_id, int64_t *expires_at,
                                   clave_error *err) {
  *user_id = NULL;
  cs_q q;
  clave_status st = cs_prep(
      s, &q, "SELECT user_id, expires_at FROM tokens WHERE hash=?", err);
  if (st) return st;
  cs_text(&q, token_hash);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_ROW) {
    *user_id = cs_coldup(q.st, 0);
    *expires_at = sqlite3_column_int64(q.st, 1);
  } else if (rc == SQLITE_DONE) {
    st = cv_err(err, CLAVE_ENOTFOUND, "unknown token");
  } else {
    st = cs_sqlerr(s, err, "reading a token");
  }
  cs_done(&q);
  return st;
}

clave_status clave_store_token_purge(clave_store *s, int64_t now,
                                     clave_error *err) {
  cs_q q;
  clave_status st =
      cs_prep(s, &q, "DELETE FROM tokens WHERE expires_at <= ?", err);
  if (st) return st;
  cs_int(&q, now);
  return cs_run(&q, err, "purging tokens");
}

/* ---- functions ---------------------------------------------------------- */

#define CS_FN_COLS                                                        \
  "id, owner, name, description, executor, is_public, disabled,"          \
  " allowlist, arguments, inputs, outputs, limits, usage_quota,"          \
  " usage_count, payload_sha256, payload_size, created_at, updated_at"

clave_status clave_store_function_put(clave_store *s,
                                      const clave_function_rec *f, int create,
                                      clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      create ? "INSERT INTO functions(" CS_FN_COLS
               ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
               "?16,?17,?18)"
             : "UPDATE functions SET owner=?2, name=?3, description=?4,"
               " executor=?5, is_public=?6, disabled=?7, allowlist=?8,"
               " arguments=?9, inputs=?10, outputs=?11, limits=?12,"
               " usage_quota=?13, usage_count=?14, payload_sha256=?15,"
               " payload_size=?16, created_at=?17, updated_at=?18 WHERE id=?1",
      err);
  if (st) return st;
  cs_text(&q, f->id);
  cs_text(&q, f->owner);
  cs_text(&q, f->name);
  cs_text(&q, f->description);
  cs_text(&q, f->executor);
  cs_int(&q, f->is_public);
  cs_int(&q, f->disabled);
  cs_text(&q, f->allowlist_json ? f->allowlist_json : "[]");
  cs_text(&q, f->arguments_json ? f->arguments_json : "[]");
  cs_text(&q, f->inputs_json ? f->inputs_json : "[]");
  cs_text(&q, f->outputs_json ? f->outputs_json : "[]");
  cs_text(&q, f->limits_json ? f->limits_json : "{}");
  cs_int(&q, f->usage_quota);
  cs_int(&q, f->usage_count);
  cs_text(&q, f->payload_sha256);
  cs_int(&q, f->payload_size);
  cs_int(&q, f->created_at);
  cs_int(&q, f->updated_at);
  int rc = sqlite3_step(q.st);
  if (rc != SQLITE_DONE) {
    st = cs_sqlerr(s, err, "saving a function");
    cs_done(&q);
    return st;
  }
  int changed = sqlite3_changes(s->db);
  cs_done(&q);
  if (!changed)
    return cv_err(err, CLAVE_ENOTFOUND, "function '%s' not found", f->id);
  return CLAVE_OK;
}

static void cs_read_function(sqlite3_stmt *st, clave_function_rec *f) {
  f->id = cs_coldup(st, 0);
  f->owner = cs_coldup(st, 1);
  f->name = cs_coldup(st, 2);
  f->description = cs_coldup(st, 3);
  f->executor = cs_coldup(st, 4);
  f->is_public = sqlite3_column_int(st, 5);
  f->disabled = sqlite3_column_int(st, 6);
  f->allowlist_json = cs_coldup(st, 7);
  f->arguments_json = cs_coldup(st, 8);
  f->inputs_json = cs_coldup(st, 9);
  f->outputs_json = cs_coldup(st, 10);
  f->limits_json = cs_coldup(st, 11);
  f->usage_quota = sqlite3_column_int64(st, 12);
  f->usage_count = sqlite3_column_int64(st, 13);
  f->payload_sha256 = cs_coldup(st, 14);
  f->payload_size = sqlite3_column_int64(st, 15);
  f->created_at = sqlite3_column_int64(st, 16);
  f->updated_at = sqlite3_column_int64(st, 17);
}

clave_status clave_store_function_get(clave_store *s, const char *id,
                                      clave_function_rec *out,
                                      clave_error *err) {
  memset(out, 0, sizeof *out);
  cs_q q;
  clave_status st = cs_prep(
      s, &q, "SELECT " CS_FN_COLS " FROM functions WHERE id=?", err);
  if (st) return st;
  cs_text(&q, id);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_ROW) cs_read_function(q.st, out);
  else if (rc == SQLITE_DONE)
    st = cv_err(err, CLAVE_ENOTFOUND, "function '%s' not found", id);
  else st = cs_sqlerr(s, err, "reading a function");
  cs_done(&q);
  return st;
}

clave_status clave_store_function_list(clave_store *s, const char *owner,
                                       clave_function_rec **out, size_t *n,
                                       clave_error *err) {
  *out = NULL;
  *n = 0;
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      owner ? "SELECT " CS_FN_COLS
              " FROM functions WHERE owner=? ORDER BY created_at, id"
            : "SELECT " CS_FN_COLS " FROM functions ORDER BY created_at, id",
      err);
  if (st) return st;
  if (owner) cs_text(&q, owner);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(q.st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      clave_function_rec *grown = realloc(*out, cap * sizeof **out);
      if (!grown) {
        st = cv_err(err, CLAVE_ENOMEM, "store: out of memory");
        break;
      }
      *out = grown;
    }
    memset(&(*out)[*n], 0, sizeof **out);
    cs_read_function(q.st, &(*out)[(*n)++]);
  }
  if (!st && rc != SQLITE_DONE) st = cs_sqlerr(s, err, "listing functions");
  cs_done(&q);
  if (st) {
    clave_function_recs_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return st;
}

clave_status clave_store_function_delete(clave_store *s, const char *id,
                                         clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(s, &q, "DELETE FROM functions WHERE id=?", err);
  if (st) return st;
  cs_text(&q, id);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_CONSTRAINT) {
    cs_done(&q);
    return cv_err(err, CLAVE_EARG,
                  "function '%s' still has tasks; disable it instead", id);
  }
  if (rc != SQLITE_DONE) {
    st = cs_sqlerr(s, err, "deleting a function");
    cs_done(&q);
    return st;
  }
  int changed = sqlite3_changes(s->db);
  cs_done(&q);
  if (!changed)
    return cv_err(err, CLAVE_ENOTFOUND, "function '%s' not found", id);
  return CLAVE_OK;
}

void clave_function_rec_free(clave_function_rec *f) {
  if (!f) return;
  free(f->id);
  free(f->owner);
  free(f->name);
  free(f->description);
  free(f->executor);
  free(f->allowlist_json);
  free(f->arguments_json);
  free(f->inputs_json);
  free(f->outputs_json);
  free(f->limits_json);
  free(f->payload_sha256);
  memset(f, 0, sizeof *f);
}

void clave_function_recs_free(clave_function_rec *fns, size_t n) {
  for (size_t i = 0; i < n; i++) clave_function_rec_free(&fns[i]);
  free(fns);
}

/* ---- files ------------------------------------------------------------ */

#define CS_FILE_COLS                                                   \
  "id, is_output, creator, owners, url, scheme, sealed_key, iv, tag,"  \
  " blob_sha256, size, created_at"

clave_status clave_store_file_put(clave_store *s, const clave_file_rec *f,
                                  int create, clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      create ? "INSERT INTO files(" CS_FILE_COLS
               ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
             : "UPDATE files SET is_output=?2, creator=?3, owners=?4, url=?5,"
               " scheme=?6, sealed_key=?7, iv=?8, tag=?9, blob_sha256=?10,"
               " size=?11, created_at=?12 WHERE id=?1",
      err);
  if (st) return st;
  cs_text(&q, f->id);
  cs_int(&q, f->is_output);
  cs_text(&q, f->creator);
  cs_text(&q, f->owners_json ? f->owners_json : "[]");
  cs_text(&q, f->url);
  cs_text(&q, f->scheme);
  cs_blob(&q, f->sealed_key ? (const void *)f->sealed_key : "",
          f->sealed_key_len);
  cs_blob(&q, f->iv, sizeof f->iv);
  cs_blob(&q, f->has_tag ? f->tag : NULL, sizeof f->tag);
  cs_null_text(&q, f->blob_sha256);
  cs_int(&q, f->size);
  cs_int(&q, f->created_at);
  int rc = sqlite3_step(q.st);
  if (rc != SQLITE_DONE) {
    st = cs_sqlerr(s, err, "saving a file");
    cs_done(&q);
    return st;
  }
  int changed = sqlite3_changes(s->db);
  cs_done(&q);
  if (!changed)
    return cv_err(err, CLAVE_ENOTFOUND, "file '%s' not found", f->id);
  return CLAVE_OK;
}

clave_status clave_store_file_get(clave_store *s, const char *id,
                                  clave_file_rec *f, clave_error *err) {
  memset(f, 0, sizeof *f);
  cs_q q;
  clave_status st =
      cs_prep(s, &q, "SELECT " CS_FILE_COLS " FROM files WHERE id=?", err);
  if (st) return st;
  cs_text(&q, id);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_ROW) {
    f->id = cs_coldup(q.st, 0);
    f->is_output = sqlite3_column_int(q.st, 1);
    f->creator = cs_coldup(q.st, 2);
    f->owners_json = cs_coldup(q.st, 3);
    f->url = cs_coldup(q.st, 4);
    f->scheme = cs_coldup(q.st, 5);
    int kl = sqlite3_column_bytes(q.st, 6);
    f->sealed_key = malloc(kl ? (size_t)kl : 1);
    if (f->sealed_key) {
      if (kl) memcpy(f->sealed_key, sqlite3_column_blob(q.st, 6), (size_t)kl);
      f->sealed_key_len = (size_t)kl;
    }
    if (sqlite3_column_bytes(q.st, 7) == (int)sizeof f->iv)
      memcpy(f->iv, sqlite3_column_blob(q.st, 7), sizeof f->iv);
    if (sqlite3_column_type(q.st, 8) != SQLITE_NULL &&
        sqlite3_column_bytes(q.st, 8) == (int)sizeof f->tag) {
      f->has_tag = 1;
      memcpy(f->tag, sqlite3_column_blob(q.st, 8), sizeof f->tag);
    }
    f->blob_sha256 = cs_coldup_null(q.st, 9);
    f->size = sqlite3_column_int64(q.st, 10);
    f->created_at = sqlite3_column_int64(q.st, 11);
  } else if (rc == SQLITE_DONE) {
    st = cv_err(err, CLAVE_ENOTFOUND, "file '%s' not found", id);
  } else {
    st = cs_sqlerr(s, err, "reading a file");
  }
  cs_done(&q);
  return st;
}

void clave_file_rec_free(clave_file_rec *f) {
  if (!f) return;
  free(f->id);
  free(f->creator);
  free(f->owners_json);
  free(f->url);
  free(f->scheme);
  if (f->sealed_key) {
    memset(f->sealed_key, 0, f->sealed_key_len);
    free(f->sealed_key);
  }
  free(f->blob_sha256);
  memset(f, 0, sizeof *f);
}

/* ---- tasks ------------------------------------------------------------ */

const char *clave_task_state_name(clave_task_state state) {
  switch (state) {
    case CLAVE_TASK_CREATED: return "Created";
    case CLAVE_TASK_DATA_ASSIGNED: return "DataAssigned";
    case CLAVE_TASK_APPROVED: return "Approved";
    case CLAVE_TASK_STAGED: return "Staged";
    case CLAVE_TASK_RUNNING: return "Running";
    case CLAVE_TASK_FINISHED: return "Finished";
    case CLAVE_TASK_CANCELED: return "Canceled";
    case CLAVE_TASK_FAILED: return "Failed";
  }
  return "Unknown";
}

int clave_task_state_final(clave_task_state state) {
  return state == CLAVE_TASK_FINISHED || state == CLAVE_TASK_CANCELED ||
         state == CLAVE_TASK_FAILED;
}

#define CS_TASK_COLS                                                        \
  "id, function_id, creator, executor, args, inputs_owners,"                \
  " outputs_owners, inputs_assigned, outputs_assigned, participants,"       \
  " approvals, state, has_result, return_value, log, output_tags, failure," \
  " created_at, updated_at, payload_sha256"

static void cs_bind_task(cs_q *q, const clave_task_rec *t) {
  cs_text(q, t->id);
  cs_text(q, t->function_id);
  cs_text(q, t->creator);
  cs_text(q, t->executor);
  cs_text(q, t->args_json ? t->args_json : "{}");
  cs_text(q, t->inputs_owners_json ? t->inputs_owners_json : "{}");
  cs_text(q, t->outputs_owners_json ? t->outputs_owners_json : "{}");
  cs_text(q, t->inputs_assigned_json ? t->inputs_assigned_json : "{}");
  cs_text(q, t->outputs_assigned_json ? t->outputs_assigned_json : "{}");
  cs_text(q, t->participants_json ? t->participants_json : "[]");
  cs_text(q, t->approvals_json ? t->approvals_json : "[]");
  cs_int(q, t->state);
  cs_int(q, t->has_result);
  cs_int(q, t->return_value);
  cs_text(q, t->log);
  cs_text(q, t->output_tags_json ? t->output_tags_json : "{}");
  cs_text(q, t->failure);
  cs_int(q, t->created_at);
  cs_int(q, t->updated_at);
  cs_text(q, t->payload_sha256);
}

clave_status clave_store_task_insert(clave_store *s, const clave_task_rec *t,
                                     clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(s, &q,
                            "INSERT INTO tasks(" CS_TASK_COLS
                            ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"
                            "?12,?13,?14,?15,?16,?17,?18,?19,?20)",
                            err);
  if (st) return st;
  cs_bind_task(&q, t);
  return cs_run(&q, err, "saving a task");
}

clave_status clave_store_task_get(clave_store *s, const char *id,
                                  clave_task_rec *t, clave_error *err) {
  memset(t, 0, sizeof *t);
  cs_q q;
  clave_status st =
      cs_prep(s, &q, "SELECT " CS_TASK_COLS " FROM tasks WHERE id=?", err);
  if (st) return st;
  cs_text(&q, id);
  int rc = sqlite3_step(q.st);
  if (rc == SQLITE_ROW) {
    sqlite3_stmt *r = q.st;
    t->id = cs_coldup(r, 0);
    t->function_id = cs_coldup(r, 1);
    t->creator = cs_coldup(r, 2);
    t->executor = cs_coldup(r, 3);
    t->args_json = cs_coldup(r, 4);
    t->inputs_owners_json = cs_coldup(r, 5);
    t->outputs_owners_json = cs_coldup(r, 6);
    t->inputs_assigned_json = cs_coldup(r, 7);
    t->outputs_assigned_json = cs_coldup(r, 8);
    t->participants_json = cs_coldup(r, 9);
    t->approvals_json = cs_coldup(r, 10);
    t->state = (clave_task_state)sqlite3_column_int(r, 11);
    t->has_result = sqlite3_column_int(r, 12);
    t->return_value = (int32_t)sqlite3_column_int64(r, 13);
    t->log = cs_coldup(r, 14);
    t->output_tags_json = cs_coldup(r, 15);
    t->failure = cs_coldup(r, 16);
    t->created_at = sqlite3_column_int64(r, 17);
    t->updated_at = sqlite3_column_int64(r, 18);
    t->payload_sha256 = cs_coldup(r, 19);
  } else if (rc == SQLITE_DONE) {
    st = cv_err(err, CLAVE_ENOTFOUND, "task '%s' not found", id);
  } else {
    st = cs_sqlerr(s, err, "reading a task");
  }
  cs_done(&q);
  return st;
}

clave_status clave_store_task_update(clave_store *s, const clave_task_rec *t,
                                     clave_task_state expect_state,
                                     clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      "UPDATE tasks SET function_id=?2, creator=?3, executor=?4, args=?5,"
      " inputs_owners=?6, outputs_owners=?7, inputs_assigned=?8,"
      " outputs_assigned=?9, participants=?10, approvals=?11, state=?12,"
      " has_result=?13, return_value=?14, log=?15, output_tags=?16,"
      " failure=?17, created_at=?18, updated_at=?19, payload_sha256=?20"
      " WHERE id=?1 AND state=?21",
      err);
  if (st) return st;
  cs_bind_task(&q, t);
  cs_int(&q, expect_state);
  int rc = sqlite3_step(q.st);
  if (rc != SQLITE_DONE) {
    st = cs_sqlerr(s, err, "updating a task");
    cs_done(&q);
    return st;
  }
  int changed = sqlite3_changes(s->db);
  cs_done(&q);
  if (!changed) {
    clave_task_rec now;
    clave_error e2;
    if (clave_store_task_get(s, t->id, &now, &e2) != CLAVE_OK)
      return cv_err(err, CLAVE_ENOTFOUND, "task '%s' not found", t->id);
    st = cv_err(err, CLAVE_ELIMIT, "task %s is %s, not %s", t->id,
                clave_task_state_name(now.state),
                clave_task_state_name(expect_state));
    clave_task_rec_free(&now);
    return st;
  }
  return CLAVE_OK;
}

clave_status clave_store_task_ids_in_state(clave_store *s,
                                           clave_task_state state,
                                           char ***ids, size_t *n,
                                           clave_error *err) {
  *ids = NULL;
  *n = 0;
  cs_q q;
  clave_status st = cs_prep(
      s, &q, "SELECT id FROM tasks WHERE state=? ORDER BY updated_at, id",
      err);
  if (st) return st;
  cs_int(&q, state);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(q.st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      char **grown = realloc(*ids, cap * sizeof **ids);
      if (!grown) {
        st = cv_err(err, CLAVE_ENOMEM, "store: out of memory");
        break;
      }
      *ids = grown;
    }
    (*ids)[(*n)++] = cs_coldup(q.st, 0);
  }
  if (!st && rc != SQLITE_DONE) st = cs_sqlerr(s, err, "listing tasks");
  cs_done(&q);
  if (st) {
    clave_store_ids_free(*ids, *n);
    *ids = NULL;
    *n = 0;
  }
  return st;
}

void clave_store_ids_free(char **ids, size_t n) {
  for (size_t i = 0; i < n; i++) free(ids[i]);
  free(ids);
}

void clave_task_rec_free(clave_task_rec *t) {
  if (!t) return;
  free(t->id);
  free(t->function_id);
  free(t->creator);
  free(t->executor);
  free(t->args_json);
  free(t->inputs_owners_json);
  free(t->outputs_owners_json);
  free(t->inputs_assigned_json);
  free(t->outputs_assigned_json);
  free(t->participants_json);
  free(t->approvals_json);
  free(t->log);
  free(t->output_tags_json);
  free(t->failure);
  free(t->payload_sha256);
  memset(t, 0, sizeof *t);
}

/* ---- audit ---------------------------------------------------------------- */

clave_status clave_store_audit_add(clave_store *s, int64_t at_ms,
                                   const char *user_id, const char *action,
                                   const char *target, const char *result,
                                   clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(s, &q,
                            "INSERT INTO audit(at_ms, user_id, action,"
                            " target, result) VALUES (?,?,?,?,?)",
                            err);
  if (st) return st;
  cs_int(&q, at_ms);
  cs_text(&q, user_id);
  cs_text(&q, action);
  cs_text(&q, target);
  cs_text(&q, result);
  return cs_run(&q, err, "writing the audit log");
}

clave_status clave_store_audit_query(clave_store *s, const char *user_id,
                                     const char *action, int64_t limit,
                                     clave_audit_rec **out, size_t *n,
                                     clave_error *err) {
  *out = NULL;
  *n = 0;
  if (limit <= 0) limit = 100;
  cs_q q;
  clave_status st = cs_prep(
      s, &q,
      "SELECT seq, at_ms, user_id, action, target, result FROM audit"
      " WHERE (?1 IS NULL OR user_id=?1) AND (?2 IS NULL OR action=?2)"
      " ORDER BY seq DESC LIMIT ?3",
      err);
  if (st) return st;
  cs_null_text(&q, user_id);
  cs_null_text(&q, action);
  cs_int(&q, limit);
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step(q.st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      clave_audit_rec *grown = realloc(*out, cap * sizeof **out);
      if (!grown) {
        st = cv_err(err, CLAVE_ENOMEM, "store: out of memory");
        break;
      }
      *out = grown;
    }
    clave_audit_rec *r = &(*out)[(*n)++];
    r->seq = sqlite3_column_int64(q.st, 0);
    r->at_ms = sqlite3_column_int64(q.st, 1);
    r->user_id = cs_coldup(q.st, 2);
    r->action = cs_coldup(q.st, 3);
    r->target = cs_coldup(q.st, 4);
    r->result = cs_coldup(q.st, 5);
  }
  if (!st && rc != SQLITE_DONE) st = cs_sqlerr(s, err, "reading the audit log");
  cs_done(&q);
  if (st) {
    clave_audit_recs_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return st;
}

void clave_audit_recs_free(clave_audit_rec *recs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(recs[i].user_id);
    free(recs[i].action);
    free(recs[i].target);
    free(recs[i].result);
  }
  free(recs);
}

/* ---- small blobs (blob.c) ------------------------------------------------ */

clave_status cs_inline_put(clave_store *s, const char *sha, const void *data,
                           size_t len, clave_error *err) {
  cs_q q;
  clave_status st = cs_prep(
      s, &q, "INSERT OR IGNORE INTO blobs(sha256, data) VALUES (?,?)", err);
  if (st) return st;
  cs_text(&q, sha);
  sqlite3_bind_blob64(q.st, q.col++, len ? data : "", len, SQLITE_STATIC);
  return cs_run(&q, err, "saving a blob");
}

int cs_inline_get(clave_store *s, const char *sha, uint8_t **data,
                  size_t *len, clave_error *err) {
  cs_q q;
  if (cs_prep(s, &q, "SELECT data FROM blobs WHERE sha256=?", err)) return -1;
  cs_text(&q, sha);
  int rc = sqlite3_step(q.st), found = 0;
  if (rc == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(q.st, 0);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
      cv_err(err, CLAVE_ENOMEM, "blob %s: out of memory (%zu bytes)", sha, n);
      found = -1;
    } else {
      if (n) memcpy(buf, sqlite3_column_blob(q.st, 0), n);
      *data = buf;
      *len = n;
      found = 1;
    }
  } else if (rc != SQLITE_DONE) {
    cs_sqlerr(s, err, "reading a blob");
    found = -1;
  }
  cs_done(&q);
  return found;
}
