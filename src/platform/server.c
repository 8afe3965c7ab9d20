/*
 * server.c - the platform's HTTP(S) front: set-up, routing, request
 * bodies, authentication, the audit trail and replies.
 *
 * libmicrohttpd runs a thread per connection, so a long-polling result
 * call blocks only its own connection.  A body is bounded before it is
 * read (Content-Length against the route's limit gives 413 at once) and
 * while it is read; uploads to /v1/blobs stream into the blob store and
 * are never held in memory whole.  Every call but health and login needs a
 * bearer token; every call that changes state leaves an audit record with
 * who, what, when and the result, whether it succeeded or not.
 *
 * Errors reach the client as {"error": "message"} with the HTTP status
 * that says what kind: 400 bad input, 401 no or bad token, 403 not
 * allowed, 404 unknown id, 409 wrong state, 413 too large.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

#define CP_MIB (1024ull * 1024ull)

int64_t cp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cp_fail(cp_req *r, int http_status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_decref(r->reply);
  free(r->reply_bytes);
  r->reply_bytes = NULL;
  r->status = http_status;
  r->reply = json_pack("{s:s}", "error", msg);
  return -1;
}

int cp_fail_err(cp_req *r, const clave_error *err) {
  int code;
  switch (err->status) {
    case CLAVE_ENOTFOUND: code = 404; break;
    case CLAVE_EARG:
    case CLAVE_EMALFORMED:
    case CLAVE_EINVALID:
    case CLAVE_EUNLINKABLE:
    case CLAVE_EUNSUPPORTED: code = 400; break;
    case CLAVE_ELIMIT: code = 409; break;
    default: code = 500; break;
  }
  return cp_fail(r, code, "%s", err->message);
}

int cp_ok(cp_req *r, json_t *reply) {
  json_decref(r->reply);
  r->status = 200;
  r->reply = reply ? reply : json_object();
  return 0;
}

const char *cp_query(cp_req *r, const char *key) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

int cp_is_admin(const cp_req *r) {
  return r->authed && !strcmp(r->user.role, "PlatformAdmin");
}

/* ---- routing ------------------------------------------------------------- */

typedef int (*cp_handler)(cp_req *r);

typedef struct cp_route {
  const char *method;
  const char *pattern; /* segments after /v1, '*' matches one id */
  cp_handler fn;
  int auth;
  const char *action; /* audit name for state changes, NULL for reads */
  int body;           /* 0 JSON (small), 1 JSON with payload, 2 blob */
} cp_route;

static int cp_files_register_input(cp_req *r) { return cp_files_register(r, 0); }
static int cp_files_register_output(cp_req *r) {
  return cp_files_register(r, 1);
}
static int cp_health(cp_req *r) {
  return cp_ok(r, json_pack("{s:s,s:i}", "status", "ok", "schema",
                            clave_store_schema_version(r->p->store)));
}

static const cp_route cp_routes[] = {
    {"GET", "health", cp_health, 0, NULL, 0},
    {"POST", "users/login", cp_users_login, 0, "user_login", 0},
    {"POST", "users", cp_users_register, 1, "register_user", 0},
    {"GET", "users/me", cp_users_me, 1, NULL, 0},
    {"POST", "users/me/password", cp_users_password, 1,
     "user_change_password", 0},
    {"POST", "blobs", cp_blobs_upload_done, 1, "upload", 2},
    {"POST", "functions", cp_functions_register, 1, "register_function", 1},
    {"GET", "functions", cp_functions_list, 1, NULL, 0},
    {"GET", "functions/*", cp_functions_get, 1, NULL, 0},
    {"PUT", "functions/*", cp_functions_update, 1, "update_function", 1},
    {"DELETE", "functions/*", cp_functions_delete, 1, "delete_function", 0},
    {"POST", "functions/*/disable", cp_functions_disable, 1,
     "disable_function", 0},
    {"POST", "files/input", cp_files_register_input, 1,
     "register_input_file", 0},
    {"POST", "files/output", cp_files_register_output, 1,
     "register_output_file", 0},
    {"GET", "files/*", cp_files_get, 1, NULL, 0},
    {"GET", "files/*/content", cp_files_content, 1, NULL, 0},
    {"POST", "tasks", cp_tasks_create, 1, "create_task", 0},
    {"GET", "tasks/*", cp_tasks_get, 1, NULL, 0},
    {"POST", "tasks/*/assign", cp_tasks_assign, 1, "assign_data_to_task", 0},
    {"POST", "tasks/*/approve", cp_tasks_approve, 1, "approve_task", 0},
    {"POST", "tasks/*/invoke", cp_tasks_invoke, 1, "invoke_task", 0},
    {"POST", "tasks/*/cancel", cp_tasks_cancel, 1, "cancel_task", 0},
    {"GET", "tasks/*/result", cp_tasks_result, 1, NULL, 0},
    {"GET", "audit", cp_audit_query, 1, NULL, 0},
};

/* Split url ("/v1/a/b") into r->parts; 0 when it is not under /v1. */
static int cp_split(cp_req *r, const char *url, char *buf, size_t cap) {
  if (strncmp(url, "/v1/", 4) != 0) return 0;
  snprintf(buf, cap, "%s", url + 4);
  r->nparts = 0;
  char *save = NULL;
  for (char *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
    if (r->nparts == 8) return 0;
    r->parts[r->nparts++] = s;
  }
  return r->nparts > 0;
}

static int cp_match(const cp_route *rt, const cp_req *r) {
  char pat[64];
  snprintf(pat, sizeof pat, "%s", rt->pattern);
  int i = 0;
  char *save = NULL;
  for (char *s = strtok_r(pat, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
    if (i >= r->nparts) return 0;
    if (strcmp(s, "*") != 0 && strcmp(s, r->parts[i]) != 0) return 0;
    i++;
  }
  return i == r->nparts;
}

/* Which route (ignoring the method) and whether the method fits. */
static const cp_route *cp_find(const cp_req *r, int *path_known) {
  *path_known = 0;
  for (size_t i = 0; i < sizeof cp_routes / sizeof cp_routes[0]; i++) {
    if (!cp_match(&cp_routes[i], r)) continue;
    *path_known = 1;
    if (!strcmp(cp_routes[i].method, r->method)) return &cp_routes[i];
  }
  return NULL;
}

/* ---- authentication ------------------------------------------------------- */

static int cp_authenticate(cp_req *r) {
  const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                              MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
    return cp_fail(r, 401, "missing bearer token (log in first)");
  uint8_t digest[32];
  char hash[65];
  clave_crypto_sha256(h + 7, strlen(h + 7), digest);
  clave_crypto_hex(digest, 32, hash);
  char *uid = NULL;
  int64_t expires = 0;
  clave_error err;
  if (clave_store_token_get(r->p->store, hash, &uid, &expires, &err) !=
      CLAVE_OK)
    return cp_fail(r, 401, "invalid or expired token (log in again)");
  if (expires <= cp_now_ms() / 1000) {
    free(uid);
    return cp_fail(r, 401, "invalid or expired token (log in again)");
  }
  clave_status st = clave_store_user_get(r->p->store, uid, &r->user, &err);
  free(uid);
  if (st) return cp_fail(r, 401, "invalid or expired token (log in again)");
  r->authed = 1;
  return 0;
}

/* ---- connections ------------------------------------------------------------ */

typedef struct cp_conn {
  cp_req req;
  char pathbuf[1024];
  const cp_route *route;
  int routed;          /* 1: route found; -1: reply already decided */
  uint8_t *buf;
  size_t len, cap;
  uint64_t limit;
  int too_large;
  clave_blob_writer *blob;
  clave_error blob_err;
  int blob_failed;
} cp_conn;

static void cp_conn_free(cp_conn *c) {
  if (!c) return;
  json_decref(c->req.body);
  json_decref(c->req.reply);
  free(c->req.reply_bytes);
  clave_user_rec_free(&c->req.user);
  clave_blob_abort(c->blob);
  free(c->buf);
  free(c);
}

static void cp_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
  cp_conn_free(*con_cls);
  *con_cls = NULL;
}

static enum MHD_Result cp_send(cp_conn *c) {
  cp_req *r = &c->req;
  struct MHD_Response *resp;
  if (r->reply_bytes && r->status == 200) {
    resp = MHD_create_response_from_buffer(r->reply_len, r->reply_bytes,
                                           MHD_RESPMEM_MUST_FREE);
    r->reply_bytes = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/octet-stream");
  } else {
    if (!r->reply) r->reply = json_object();
    char *text = json_dumps(r->reply, JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
  }
  if (!resp) return MHD_NO;
  if (r->status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"clave\"");
  enum MHD_Result ret =
      MHD_queue_response(r->conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void cp_audit(cp_req *r) {
  const char *result = "ok";
  if (r->status != 200) {
    const char *m = cp_jstr(r->reply, "error");
    result = m ? m : "failed";
  }
  const char *who = r->authed ? r->user.id : "";
  if (!r->authed && r->body) {
    const char *id = cp_jstr(r->body, "id");
    if (id) who = id;
  }
  clave_error err;
  if (clave_store_audit_add(r->p->store, cp_now_ms(), who, r->action,
                            r->target, result, &err) != CLAVE_OK &&
      !r->p->cfg.quiet)
    fprintf(stderr, "clave: audit: %s\n", err.message);
}

static void cp_dispatch(cp_conn *c) {
  cp_req *r = &c->req;
  const cp_route *rt = c->route;
  if (c->too_large) {
    cp_fail(r, 413, "request body larger than %llu bytes",
            (unsigned long long)c->limit);
    return;
  }
  if (rt->auth && !r->authed && cp_authenticate(r)) goto audit;
  if (rt->body == 2) {
    if (c->blob_failed) {
      cp_fail(r, c->blob_err.status == CLAVE_ELIMIT ? 413 : 500, "%s",
              c->blob_err.message);
      goto audit;
    }
    clave_error err;
    if (!c->blob) clave_blob_begin(r->p->store, 0, &c->blob, &err);
    if (!c->blob ||
        clave_blob_finish(c->blob, r->blob_sha, &r->blob_size, &err)) {
      c->blob = NULL;
      cp_fail(r, 500, "storing the upload failed");
      goto audit;
    }
    c->blob = NULL;
  } else if (c->len) {
    json_error_t jerr;
    r->body = json_loadb((const char *)c->buf, c->len, 0, &jerr);
    if (!r->body) {
      cp_fail(r, 400, "malformed JSON body: %s (line %d, column %d)",
              jerr.text, jerr.line, jerr.column);
      goto audit;
    }
    if (!json_is_object(r->body)) {
      cp_fail(r, 400, "the JSON body must be an object");
      goto audit;
    }
  }
  if (!r->body && rt->body != 2) r->body = json_object();
  rt->fn(r);
audit:
  if (rt->action) {
    r->action = rt->action;
    cp_audit(r);
  }
}

static enum MHD_Result cp_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
  clave_platform *p = cls;
  cp_conn *c = *con_cls;
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c) return MHD_NO;
    *con_cls = c;
    cp_req *r = &c->req;
    r->p = p;
    r->conn = conn;
    r->method = method;
    r->url = url;
    r->status = 200;
    int known = 0;
    if (cp_split(r, url, c->pathbuf, sizeof c->pathbuf))
      c->route = cp_find(r, &known);
    if (!c->route) {
      c->routed = -1;
      if (known) cp_fail(r, 405, "method %s not allowed on %s", method, url);
      else cp_fail(r, 404, "no such API path: %s %s", method, url);
      return cp_send(c);
    }
    c->routed = 1;
    const clave_platform_config *cfg = &p->cfg;
    switch (c->route->body) {
      case 1: c->limit = cfg->max_payload_bytes / 3 * 4 + cfg->max_json_bytes; break;
      case 2:
        c->limit = cfg->max_payload_bytes > cfg->max_file_bytes
                       ? cfg->max_payload_bytes
                       : cfg->max_file_bytes;
        break;
      default: c->limit = cfg->max_json_bytes; break;
    }
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    /* refuse before reading a byte of the body: no token, or too big */
    int refuse = 0;
    if (c->route->auth && cp_authenticate(r)) refuse = 1;
    else if (cl && strtoull(cl, NULL, 10) > c->limit)
      refuse = cp_fail(r, 413, "request body larger than %llu bytes",
                       (unsigned long long)c->limit);
    if (refuse) {
      c->routed = -1;
      if (c->route->action) {
        r->action = c->route->action;
        cp_audit(r);
      }
      return cp_send(c);
    }
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (c->too_large || c->routed != 1) return MHD_YES;
    if (c->len + n > c->limit) {
      c->too_large = 1;
      return MHD_YES;
    }
    if (c->route->body == 2) {
      if (c->blob_failed) return MHD_YES;
      if (!c->blob &&
          clave_blob_begin(c->req.p->store, c->limit, &c->blob,
                           &c->blob_err) != CLAVE_OK) {
        c->blob_failed = 1;
        return MHD_YES;
      }
      if (clave_blob_write(c->blob, upload_data, n, &c->blob_err)) {
        c->blob_failed = 1;
        clave_blob_abort(c->blob);
        c->blob = NULL;
      }
      c->len += n;
      return MHD_YES;
    }
    if (c->len + n > c->cap) {
      size_t cap = c->cap ? c->cap : 4096;
      while (cap < c->len + n) cap *= 2;
      uint8_t *g = realloc(c->buf, cap);
      if (!g) {
        c->too_large = 1;
        return MHD_YES;
      }
      c->buf = g;
      c->cap = cap;
    }
    memcpy(c->buf + c->len, upload_data, n);
    c->len += n;
    return MHD_YES;
  }
  if (c->routed != 1) return MHD_YES; /* reply already queued */
  cp_dispatch(c);
  if (!p->cfg.quiet)
    fprintf(stderr, "clave: %s %s -> %d%s%s\n", method, url, c->req.status,
            c->req.authed ? " by " : "", c->req.authed ? c->req.user.id : "");
  c->routed = -1;
  return cp_send(c);
}

/* ---- set-up and tear-down ------------------------------------------------ */

void clave_platform_config_init(clave_platform_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->listen = "127.0.0.1:7777";
  cfg->workers = 2;
}

static int cp_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)ss;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  const struct sockaddr_in6 *a6 = (const void *)ss;
  return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
}

static clave_status cp_parse_listen(clave_platform *p,
                                    struct sockaddr_storage *ss,
                                    clave_error *err) {
  const char *s = p->cfg.listen;
  char host[256];
  const char *colon;
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (!end || end[1] != ':')
      return cv_err(err, CLAVE_EARG, "bad listen address '%s'", s);
    snprintf(host, sizeof host, "%.*s", (int)(end - s - 1), s + 1);
    colon = end + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon)
      return cv_err(err, CLAVE_EARG,
                    "bad listen address '%s' (expected HOST:PORT)", s);
    snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535 || end == colon + 1)
    return cv_err(err, CLAVE_EARG, "bad port in listen address '%s'", s);
  if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a = (void *)ss;
  struct sockaddr_in6 *a6 = (void *)ss;
  if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
  } else {
    return cv_err(err, CLAVE_EARG,
                  "listen address '%s' is not a numeric IPv4/IPv6 address",
                  host);
  }
  snprintf(p->listen_host, sizeof p->listen_host, "%s", host);
  p->port = (uint16_t)port;
  return CLAVE_OK;
}

clave_status clave_platform_new(const clave_platform_config *cfg,
                                clave_platform **out, clave_error *err) {
  *out = NULL;
  if (!cfg->data_dir || !*cfg->data_dir)
    return cv_err(err, CLAVE_EARG, "a data folder is required (--data DIR)");
  clave_platform *p = calloc(1, sizeof *p);
  if (!p) return cv_err(err, CLAVE_ENOMEM, "out of memory");
  p->cfg = *cfg;
  p->lock_fd = -1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->prep_mu, NULL);
  pthread_mutex_init(&p->pw_mu, NULL);
  pthread_cond_init(&p->pw_cv, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->work_cv, &ca);
  pthread_cond_init(&p->done_cv, &ca);
  pthread_condattr_destroy(&ca);
  clave_platform_config *c = &p->cfg;
  if (!c->listen) c->listen = "127.0.0.1:7777";
  if (c->workers <= 0) c->workers = 2;
  if (c->workers > 256) c->workers = 256;
  if (c->prepared_functions <= 0) c->prepared_functions = 8;
  if (!c->token_ttl_s) c->token_ttl_s = 12 * 3600;
  if (!c->max_payload_bytes) c->max_payload_bytes = 64 * CP_MIB;
  if (!c->max_file_bytes) c->max_file_bytes = 256 * CP_MIB;
  if (!c->max_json_bytes) c->max_json_bytes = 1 * CP_MIB;
  if (!c->task_memory_bytes) c->task_memory_bytes = 1024 * CP_MIB;
  if (!c->task_timeout_ms) c->task_timeout_ms = 60000;
  snprintf(p->data_dir, sizeof p->data_dir, "%s", cfg->data_dir);
  snprintf(p->child_exe, sizeof p->child_exe, "%s",
           cfg->child_exe ? cfg->child_exe : "/proc/self/exe");
  if (cfg->import_dir) {
    char *real = realpath(cfg->import_dir, NULL);
    if (!real) {
      clave_status st = cv_err(err, CLAVE_EARG, "import folder %s: %s",
                               cfg->import_dir, strerror(errno));
      clave_platform_free(p);
      return st;
    }
    snprintf(p->import_dir, sizeof p->import_dir, "%s", real);
    free(real);
  }
  c->data_dir = p->data_dir;

  struct sockaddr_storage ss;
  clave_status st = cp_parse_listen(p, &ss, err);
  if (!st && c->insecure_http && !cp_loopback(&ss))
    st = cv_err(err, CLAVE_EARG,
                "--insecure-http is only allowed on a loopback address "
                "(got %s)",
                p->listen_host);
  if (st) goto fail;

  if (mkdir(p->data_dir, 0700) != 0 && errno != EEXIST) {
    st = cv_err(err, CLAVE_EIO, "data folder %s: %s", p->data_dir,
                strerror(errno));
    goto fail;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/server.lock", p->data_dir);
  p->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p->lock_fd < 0 || flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    st = cv_err(err, CLAVE_EIO,
                "data folder %s is in use by another clave server",
                p->data_dir);
    goto fail;
  }
  if (c->master_key_file) {
    st = clave_master_key_load(c->master_key_file, 0, p->master_key, err);
  } else {
    snprintf(path, sizeof path, "%s/master.key", p->data_dir);
    st = clave_master_key_load(path, 1, p->master_key, err);
  }
  if (st) goto fail;
  st = clave_store_open(p->data_dir, &p->store, err);
  if (!st) st = cp_users_bootstrap(p, err);
  if (!st && !c->insecure_http) st = cp_tls_load(p, err);
  if (!st) st = cp_sched_recover(p, err);
  if (st) goto fail;
  *out = p;
  return CLAVE_OK;
fail:
  clave_platform_free(p);
  return st;
}

clave_status clave_platform_start(clave_platform *p, clave_error *err) {
  struct sockaddr_storage ss;
  clave_status st = cp_parse_listen(p, &ss, err);
  if (st) return st;
  st = cp_sched_start(p, err);
  if (st) return st;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION;
  if (!p->cfg.quiet) flags |= MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  if (!p->cfg.insecure_http) flags |= MHD_USE_TLS;
  struct MHD_OptionItem opts[8];
  int n = 0;
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 512, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                      (intptr_t)cp_completed, NULL};
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
  if (!p->cfg.insecure_http) {
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, p->key_pem};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, p->cert_pem};
  }
  opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  p->mhd = MHD_start_daemon(flags, 0, NULL, NULL, cp_access, p,
                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!p->mhd) {
    cp_sched_stop(p);
    return cv_err(err, CLAVE_EIO, "cannot listen on %s (in use?)",
                  p->cfg.listen);
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
  if (info) p->port = info->port;
  p->started = 1;
  return CLAVE_OK;
}

uint16_t clave_platform_port(const clave_platform *p) { return p->port; }

const char *clave_platform_fingerprint(const clave_platform *p) {
  return p->fingerprint;
}

void clave_platform_stop(clave_platform *p) {
  if (!p || !p->started) return;
  /* wake long-polls first: the HTTP side waits for its threads */
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  pthread_cond_broadcast(&p->done_cv);
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  MHD_stop_daemon(p->mhd);
  p->mhd = NULL;
  cp_sched_stop(p);
  p->started = 0;
}

void clave_platform_free(clave_platform *p) {
  if (!p) return;
  clave_platform_stop(p);
  clave_store_close(p->store);
  clave_crypto_wipe(p->master_key, sizeof p->master_key);
  if (p->key_pem) clave_crypto_wipe(p->key_pem, strlen(p->key_pem));
  free(p->key_pem);
  free(p->cert_pem);
  if (p->lock_fd >= 0) close(p->lock_fd);
  while (p->queue_head) {
    cp_job *j = p->queue_head;
    p->queue_head = j->next;
    free(j->task_id);
    free(j);
  }
  free(p->running);
  free(p->threads);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->prep_mu);
  pthread_mutex_destroy(&p->pw_mu);
  pthread_cond_destroy(&p->pw_cv);
  free(p);
}
