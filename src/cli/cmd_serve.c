/*
 * cmd_serve.c - `clave serve`: run the platform server until SIGINT or
 * SIGTERM, and `clave __task-child`, the hidden entry of a task process.
 *
 *   clave serve [--data DIR] [--listen HOST:PORT] [--workers N]
 *               [--cert PEM --key PEM] [--insecure-http] [--import DIR]
 *               [--admin-password-file FILE] [--master-key FILE]
 *               [--task-timeout-ms N] [--task-memory-mb N] [--task-fuel N]
 *               [--quiet]
 *
 * The first start needs the admin's password: --admin-password-file,
 * CLAVE_ADMIN_PASSWORD, or a prompt on the terminal.  It prints the URL
 * and the certificate's fingerprint so that clients can pin it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cmd_platform.h"
#include "clave/platform.h"

static void serve_usage(FILE *fp) {
  fputs(
      "usage: clave serve [--data DIR] [--listen HOST:PORT] [--workers N]\n"
      "                   [--cert PEM --key PEM] [--insecure-http]\n"
      "                   [--import DIR] [--admin-password-file FILE]\n"
      "                   [--master-key FILE] [--task-timeout-ms N]\n"
      "                   [--task-memory-mb N] [--task-fuel N] [--quiet]\n"
      "Runs the platform's HTTPS API under /v1 (docs/api.md).  Data\n"
      "(default ./clave-data) holds the database, blobs, master key and\n"
      "certificate.\n",
      fp);
}

static char *serve_read_password_file(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    fprintf(stderr, "error: serve: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  char buf[1100];
  if (!fgets(buf, sizeof buf, fp)) buf[0] = 0;
  fclose(fp);
  buf[strcspn(buf, "\r\n")] = 0;
  return strdup(buf);
}

static char *serve_prompt(void) {
  if (!isatty(0)) return NULL;
  char a[1100], b[1100];
  struct termios old, quiet;
  tcgetattr(0, &old);
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  fprintf(stderr, "First start: choose the admin password: ");
  tcsetattr(0, TCSANOW, &quiet);
  int ok = fgets(a, sizeof a, stdin) != NULL;
  fprintf(stderr, "\nRepeat it: ");
  ok = ok && fgets(b, sizeof b, stdin) != NULL;
  tcsetattr(0, TCSANOW, &old);
  fprintf(stderr, "\n");
  if (!ok) return NULL;
  a[strcspn(a, "\r\n")] = 0;
  b[strcspn(b, "\r\n")] = 0;
  if (strcmp(a, b) != 0) {
    fprintf(stderr, "error: serve: the passwords differ\n");
    return NULL;
  }
  return strdup(a);
}

int clave_cmd_serve(int argc, char **argv) {
  clave_platform_config cfg;
  clave_platform_config_init(&cfg);
  cfg.data_dir = "clave-data";
  const char *pwfile = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
    if (OPT("--data")) cfg.data_dir = v;
    else if (OPT("--listen")) cfg.listen = v;
    else if (OPT("--workers")) cfg.workers = atoi(v);
    else if (OPT("--cert")) cfg.cert_file = v;
    else if (OPT("--key")) cfg.key_file = v;
    else if (OPT("--import")) cfg.import_dir = v;
    else if (OPT("--admin-password-file")) pwfile = v;
    else if (OPT("--master-key")) cfg.master_key_file = v;
    else if (OPT("--task-timeout-ms")) cfg.task_timeout_ms = strtoull(v, NULL, 10);
    else if (OPT("--task-memory-mb"))
      cfg.task_memory_bytes = strtoull(v, NULL, 10) << 20;
    else if (OPT("--task-fuel")) cfg.task_fuel = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--insecure-http")) cfg.insecure_http = 1;
    else if (!strcmp(a, "--quiet")) cfg.quiet = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      serve_usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "error: serve: unknown or incomplete option '%s'\n", a);
      serve_usage(stderr);
      return 2;
    }
#undef OPT
  }
  char *pw = NULL;
  if (pwfile) {
    pw = serve_read_password_file(pwfile);
    if (!pw) return 1;
  } else if (getenv("CLAVE_ADMIN_PASSWORD")) {
    pw = strdup(getenv("CLAVE_ADMIN_PASSWORD"));
  }
  /* signals are taken synchronously by sigwait; workers inherit the mask */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  clave_platform *p = NULL;
  clave_error err;
  cfg.admin_password = pw;
  clave_status st = clave_platform_new(&cfg, &p, &err);
  if (st && !pw && strstr(err.message, "admin password is required")) {
    pw = serve_prompt();
    if (pw) {
      cfg.admin_password = pw;
      st = clave_platform_new(&cfg, &p, &err);
    }
  }
  if (pw) {
    memset(pw, 0, strlen(pw));
    free(pw);
  }
  if (!st) st = clave_platform_start(p, &err);
  if (st) {
    fprintf(stderr, "error: serve: %s\n", err.message);
    clave_platform_free(p);
    return 1;
  }
  const char *host = cfg.listen;
  char hostbuf[300];
  snprintf(hostbuf, sizeof hostbuf, "%s", host);
  char *colon = strrchr(hostbuf, ':');
  if (colon) *colon = 0;
  printf("clave: serving %s://%s:%u\n", cfg.insecure_http ? "http" : "https",
         hostbuf, clave_platform_port(p));
  if (!cfg.insecure_http)
    printf("clave: certificate sha256 fingerprint %s\n",
           clave_platform_fingerprint(p));
  printf("clave: data in %s, %d workers\n", cfg.data_dir, cfg.workers);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "clave: stopping (%s)\n", strsignal(sig));
  clave_platform_stop(p);
  clave_platform_free(p);
  return 0;
}

int clave_cmd_task_child(int argc, char **argv) {
  return clave_platform_child_main(0, 1);
}
