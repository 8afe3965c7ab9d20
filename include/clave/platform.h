/*
 * clave/platform.h - the multi-party confidential function service.
 *
 * One server process: an HTTPS JSON API under /v1 (libmicrohttpd), users
 * and roles with bearer tokens, functions, encrypted files, tasks that
 * every participant approves, a scheduler and execution workers.  Each task
 * runs in a child process that holds decrypted inputs only in memory, is
 * limited by rlimits and a seccomp filter, and hands back outputs that are
 * already encrypted for their owners; it is forked from a prepared process
 * of its function (the same executable started with the argument
 * CLAVE_PLATFORM_CHILD_ARG, the payload loaded once), so a task does not
 * pay for loading its payload.  State lives in a clave_store in
 * the data folder, so a restart (even after kill -9) loses nothing that
 * was acknowledged.
 *
 * Usage: clave_platform_config_init, set fields, clave_platform_new (opens
 * the store, keys and certificate, recovers interrupted tasks),
 * clave_platform_start (listens, starts workers), ... clave_platform_stop,
 * clave_platform_free.
 */
#ifndef CLAVE_PLATFORM_H
#define CLAVE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* argv[1] of a task child process; the CLI dispatches it to
 * clave_platform_child_main. */
#define CLAVE_PLATFORM_CHILD_ARG "__task-child"

typedef struct clave_platform_config {
  const char *data_dir;        /* required */
  const char *listen;          /* "127.0.0.1:7777"; port 0 picks one */
  int workers;                 /* task processes at once; 0: 2 */
  int prepared_functions;      /* functions kept loaded, each in a prepared
                                  process that forks its tasks; 0: 8 */
  int insecure_http;           /* plain HTTP, loopback addresses only */
  const char *cert_file;       /* PEM; NULL: data_dir/tls/ self-signed */
  const char *key_file;
  const char *admin_password;  /* required on first start */
  const char *master_key_file; /* NULL: data_dir/master.key */
  const char *import_dir;      /* root for file:// urls; NULL: refused */
  const char *child_exe;       /* NULL: /proc/self/exe */
  int64_t token_ttl_s;         /* 0: 12 hours */
  uint64_t max_payload_bytes;  /* 0: 64 MiB */
  uint64_t max_file_bytes;     /* 0: 256 MiB */
  uint64_t max_json_bytes;     /* 0: 1 MiB (JSON bodies without payload) */
  /* Limits of a task unless its function asks for less. */
  uint64_t task_memory_bytes;  /* 0: 1 GiB */
  uint64_t task_timeout_ms;    /* 0: 60 s */
  uint64_t task_fuel;          /* 0: unlimited */
  int quiet;                   /* no request log on stderr */
} clave_platform_config;

typedef struct clave_platform clave_platform;

void clave_platform_config_init(clave_platform_config *cfg);
clave_status clave_platform_new(const clave_platform_config *cfg,
                                clave_platform **out, clave_error *err);
clave_status clave_platform_start(clave_platform *p, clave_error *err);
/* The port actually listened on (useful with port 0). */
uint16_t clave_platform_port(const clave_platform *p);
/* SHA-256 fingerprint of the TLS certificate, "AB:CD:..." (empty for
 * plain HTTP). */
const char *clave_platform_fingerprint(const clave_platform *p);
/* Stop accepting requests, kill running task children (their tasks are
 * failed with "server stopped"), join the workers. */
void clave_platform_stop(clave_platform *p);
void clave_platform_free(clave_platform *p);

/* ---- a client of the API (for the CLI and benchmarks) ------------------ */

typedef struct clave_client clave_client;

/* url: https://HOST:PORT (or http:// for a loopback --insecure-http
 * server).  The server is verified by its certificate's SHA-256
 * fingerprint ("AB:CD:..." as clave serve prints it), else by cafile,
 * else not at all if insecure is set; otherwise CLAVE_EARG. */
clave_status clave_client_new(const char *url, const char *fingerprint,
                              const char *cafile, int insecure,
                              clave_client **out, clave_error *err);
void clave_client_free(clave_client *c);
/* Bearer token sent with every later call (NULL or "" for none). */
void clave_client_set_token(clave_client *c, const char *token);
/* One call to /v1/PATH.  body/content_type may be NULL.  On CLAVE_OK,
 * *status is the HTTP status and *reply the body (malloc'ed, NUL
 * terminated); transport failures return an error instead. */
clave_status clave_client_call(clave_client *c, const char *method,
                               const char *path, const char *content_type,
                               const void *body, size_t body_len, int *status,
                               char **reply, size_t *reply_len,
                               clave_error *err);

/* Body of a task child: reads its request on in_fd, writes its result on
 * out_fd, returns the process exit status. */
int clave_platform_child_main(int in_fd, int out_fd);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_PLATFORM_H */
