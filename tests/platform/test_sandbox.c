/*
 * test_sandbox.c - the task child's sandbox: after cp_sandbox_enter a
 * process may still compute, allocate and write its result on fd 1, but
 * opening a file, creating a socket or starting a process kills it with
 * SIGSYS, and its rlimits forbid new files and processes.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clave/engine.h"
#include "tp.h"

clave_status cp_sandbox_enter(uint64_t memory_bytes, uint64_t cpu_seconds,
                              clave_error *err);

/* Run fn in a sandboxed child; returns its wait status, and what it wrote
 * on its fd 1 in out. */
static int tp_sandboxed(void (*fn)(void), char *out, size_t cap) {
  int pfd[2];
  if (pipe(pfd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    clave_error err;
    if (cp_sandbox_enter(0, 10, &err) != CLAVE_OK) _exit(90);
    fn();
    _exit(0);
  }
  close(pfd[1]);
  ssize_t n = read(pfd[0], out, cap - 1);
  out[n > 0 ? n : 0] = 0;
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static void tp_compute(void) {
  char *p = malloc(1 << 20);
  memset(p, 7, 1 << 20);
  char msg[32];
  int len = snprintf(msg, sizeof msg, "sum %d", p[12345] + p[99]);
  free(p);
  if (write(1, msg, (size_t)len) != len) _exit(91);
}

static void tp_open(void) {
  int fd = open("/etc/hostname", O_RDONLY);
  (void)fd;
  _exit(92); /* not reached: the filter kills the process */
}

static void tp_socket(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  (void)s;
  _exit(93);
}

static void tp_fork(void) {
  pid_t p = fork();
  if (p == 0) _exit(0);
  _exit(94);
}

static void test_allowed(void) {
  char out[64];
  int st = tp_sandboxed(tp_compute, out, sizeof out);
  TP_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  TP_CHECK_STR(out, "sum 14");
}

static void test_refused(void) {
  char out[64];
  void (*fns[])(void) = {tp_open, tp_socket, tp_fork};
  for (size_t i = 0; i < 3; i++) {
    int st = tp_sandboxed(fns[i], out, sizeof out);
    TP_CHECK(WIFSIGNALED(st));
    TP_CHECK_INT(WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSYS);
  }
}

int main(void) {
  TP_RUN(test_allowed);
  TP_RUN(test_refused);
  return tp_finish();
}
