/*
 * plat_server.c - a test server: the platform library behind a minimal
 * command line, so the platform's tests do not depend on the CLI.
 *
 *   clave-test-server --data DIR [--listen HOST:PORT] [--workers N]
 *                     [--insecure-http] [--import DIR] [--timeout-ms N]
 *                     [--prepared N]
 *
 * The admin password comes from CLAVE_ADMIN_PASSWORD.  It prints
 * "listening PORT FINGERPRINT" on stdout once it serves, and stops on
 * SIGTERM or SIGINT.  Started with __task-child it is a task child.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clave/platform.h"

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], CLAVE_PLATFORM_CHILD_ARG))
    return clave_platform_child_main(0, 1);
  clave_platform_config cfg;
  clave_platform_config_init(&cfg);
  cfg.admin_password = getenv("CLAVE_ADMIN_PASSWORD");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--data") && v) cfg.data_dir = argv[++i];
    else if (!strcmp(a, "--listen") && v) cfg.listen = argv[++i];
    else if (!strcmp(a, "--workers") && v) cfg.workers = atoi(argv[++i]);
    else if (!strcmp(a, "--prepared") && v)
      cfg.prepared_functions = atoi(argv[++i]);
    else if (!strcmp(a, "--import") && v) cfg.import_dir = argv[++i];
    else if (!strcmp(a, "--timeout-ms") && v)
      cfg.task_timeout_ms = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(a, "--max-json") && v)
      cfg.max_json_bytes = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(a, "--insecure-http")) cfg.insecure_http = 1;
    else if (!strcmp(a, "--quiet")) cfg.quiet = 1;
    else {
      fprintf(stderr, "clave-test-server: unknown argument %s\n", a);
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  clave_platform *p;
  clave_error err;
  if (clave_platform_new(&cfg, &p, &err) ||
      clave_platform_start(p, &err)) {
    fprintf(stderr, "clave-test-server: %s\n", err.message);
    return 1;
  }
  printf("listening %u %s\n", clave_platform_port(p),
         clave_platform_fingerprint(p));
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  clave_platform_stop(p);
  clave_platform_free(p);
  return 0;
}
