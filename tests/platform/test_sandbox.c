/*
 * test_sandbox.c - the sandboxes of the processes that run functions.
 *
 * After cp_sandbox_enter (a task process) a process may still compute,
 * allocate and write its result on fd 1, but opening a file, creating a
 * socket or starting a process kills it with SIGSYS, and its rlimits
 * forbid new files and processes.  Its memory cap is RLIMIT_DATA: the
 * engine's guard reservation (8 GiB of PROT_NONE address space per linear
 * memory) must work under it, and pages made writable beyond it must not.
 * After cp_sandbox_enter_prepared (a prepared process) a process may fork
 * a sibling (CLONE_PARENT) that stacks the task sandbox, and nothing more:
 * a plain fork, an exec or an open kills it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clave/engine.h"
#include "tp.h"

clave_status cp_sandbox_enter(uint64_t memory_bytes, uint64_t cpu_seconds,
                              clave_error *err);
clave_status cp_sandbox_enter_prepared(uint64_t memory_bytes,
                                       clave_error *err);

#define TP_MIB (1024ull * 1024ull)

/* Run fn in a child under the task sandbox (memory cap data_cap, 0 for
 * none) or, when prepared, the prepared one; returns its wait status, and
 * what it wrote on its fd 1 in out. */
static int tp_sandboxed_as(void (*fn)(void), int prepared, uint64_t data_cap,
                           char *out, size_t cap) {
  int pfd[2];
  if (pipe(pfd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    clave_error err;
    if ((prepared ? cp_sandbox_enter_prepared(data_cap, &err)
                  : cp_sandbox_enter(data_cap, 10, &err)) != CLAVE_OK)
      _exit(90);
    fn();
    _exit(0);
  }
  close(pfd[1]);
  /* to the end: every writer (a forked sibling too) has closed it */
  size_t got = 0;
  ssize_t n;
  while (got < cap - 1 && (n = read(pfd[0], out + got, cap - 1 - got)) > 0)
    got += (size_t)n;
  out[got] = 0;
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static int tp_sandboxed(void (*fn)(void), char *out, size_t cap) {
  return tp_sandboxed_as(fn, 0, 0, out, cap);
}

static void tp_say(const char *msg) {
  size_t n = strlen(msg);
  if (write(1, msg, n) != (ssize_t)n) _exit(91);
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

/* Under a 64 MiB cap: the engine's way of reserving a linear memory. */
static void tp_guard_reservation(void) {
  uint8_t *p = mmap(NULL, 8ull << 30, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) _exit(95);
  if (mprotect(p, 16 * TP_MIB, PROT_READ | PROT_WRITE) != 0) _exit(96);
  memset(p, 1, 16 * TP_MIB);
#ifndef CLAVE_SANITIZE
  /* writable pages count: 128 MiB more do not fit under 64 MiB */
  if (mprotect(p + 16 * TP_MIB, 128 * TP_MIB, PROT_READ | PROT_WRITE) == 0)
    _exit(97);
#endif
  tp_say("reserved");
}

/* The same through the engine: a memory of 1 page, grown within the cap,
 * then refused beyond it (a failed grow, not a crash). */
static clave_engine *tp_engine;

static void tp_engine_memory(void) {
  clave_memory *m = clave_memory_new(tp_engine, 1, false, 0);
  if (!m) _exit(95);
  if (clave_memory_grow(m, 256) != 1) _exit(96); /* 16 MiB */
  size_t size = 0;
  uint8_t *data = clave_memory_data(m, &size);
  memset(data, 2, size);
#ifndef CLAVE_SANITIZE
  if (clave_memory_grow(m, 2048) != -1) _exit(97); /* 128 MiB more */
#endif
  tp_say("grown");
}

static void test_memory_cap(void) {
  char out[64];
  int st = tp_sandboxed_as(tp_guard_reservation, 0, 64 * TP_MIB, out,
                           sizeof out);
  TP_CHECK(WIFEXITED(st));
  TP_CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  TP_CHECK_STR(out, "reserved");
  tp_engine = clave_engine_new(NULL);
  st = tp_sandboxed_as(tp_engine_memory, 0, 64 * TP_MIB, out, sizeof out);
  TP_CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  TP_CHECK_STR(out, "grown");
  clave_engine_free(tp_engine);
  tp_engine = NULL;
}

/* A prepared process forks a sibling, which stacks the task sandbox and
 * reports; the sibling is a child of the test (the prepared process's
 * parent), which reaps it. */
static void tp_prepared_fork(void) {
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL,
                     NULL, NULL, 0UL);
  if (pid < 0) _exit(95);
  if (pid == 0) {
    clave_error err;
    if (cp_sandbox_enter(32 * TP_MIB, 10, &err) != CLAVE_OK) _exit(96);
    tp_say("task ");
    _exit(0);
  }
  tp_say("forked ");
}

static void tp_plain_fork(void) {
  pid_t p = fork(); /* no CLONE_PARENT: refused */
  if (p == 0) _exit(0);
  _exit(94);
}

static void tp_exec(void) {
  char *argv[] = {"/bin/true", NULL};
  execv(argv[0], argv);
  _exit(94);
}

static void test_prepared(void) {
  char out[64];
  int st = tp_sandboxed_as(tp_prepared_fork, 1, 0, out, sizeof out);
  TP_CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  /* the sibling is ours to reap, and it ran under both filters */
  int sib = 0;
  pid_t got = waitpid(-1, &sib, 0);
  TP_CHECK(got > 0);
  TP_CHECK_INT(WIFEXITED(sib) ? WEXITSTATUS(sib) : -1, 0);
  TP_CHECK(strstr(out, "forked") != NULL);
  void (*refused[])(void) = {tp_plain_fork, tp_exec, tp_open, tp_socket};
  for (size_t i = 0; i < 4; i++) {
    st = tp_sandboxed_as(refused[i], 1, 0, out, sizeof out);
    TP_CHECK_INT(WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSYS);
  }
}

int main(void) {
  TP_RUN(test_allowed);
  TP_RUN(test_refused);
  TP_RUN(test_memory_cap);
  TP_RUN(test_prepared);
  return tp_finish();
}
