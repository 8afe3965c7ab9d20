/*
 * sandbox.c - what the processes that run functions give up.
 *
 * A task process: rlimits first (no new files or processes, no core dumps,
 * a CPU-time cap, a cap on private writable memory), then a seccomp filter
 * (libseccomp) that kills the process on any system call outside a short
 * list: reading its request (fd 0) and writing its result and diagnostics
 * (fds 1 and 2), memory management, clocks, threads' futexes, and exit.
 * No open, no socket, no exec: a function that escaped the WebAssembly
 * engine would still find nothing to talk to but the server's own socket.
 *
 * A prepared process (one per function, see child.c) gets a filter of the
 * same kind with what forking task processes needs on top: receiving a
 * task socket on fd 0, forking a sibling process (CLONE_PARENT; there is
 * still no exec), moving the socket to fds 0 and 1, and what a task
 * process does before its own filter is stacked on this one (its
 * parent-death signal, its rlimits, loading that filter).  Every task
 * process runs under both filters.
 *
 * The memory cap is RLIMIT_DATA, not RLIMIT_AS: the engine reserves large
 * inaccessible guard regions around linear memory, which cost no memory
 * and must not count (a PROT_NONE mapping is not "data"; the pages that
 * memory.grow makes writable are).  The sanitizer build keeps the cap off:
 * ASan maps terabytes of shadow memory up front.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

static clave_status cp_limit(int res, rlim_t v, const char *name,
                             clave_error *err) {
  struct rlimit rl = {v, v};
  if (setrlimit(res, &rl) != 0)
    return cv_err(err, CLAVE_EIO, "sandbox: setrlimit(%s): %s", name,
                  strerror(errno));
  return CLAVE_OK;
}

/* The seccomp filter of a task process, or (prepared) of a prepared
 * process, which also forks task processes and hands them their socket. */
static clave_status cp_filter_load(int prepared, clave_error *err) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) return cv_err(err, CLAVE_ENOMEM, "sandbox: seccomp_init failed");
  int rc = 0;
#define ALLOW(name) \
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), 0)
  ALLOW(mmap);
  ALLOW(munmap);
  ALLOW(mremap);
  ALLOW(mprotect);
  ALLOW(madvise);
  ALLOW(brk);
  ALLOW(futex);
  ALLOW(clock_gettime);
  ALLOW(clock_nanosleep);
  ALLOW(nanosleep);
  ALLOW(gettimeofday);
  ALLOW(getrandom);
  ALLOW(sched_yield);
  ALLOW(rt_sigreturn);
  ALLOW(rt_sigprocmask);
  ALLOW(exit);
  ALLOW(exit_group);
  ALLOW(getpid);
  ALLOW(gettid);
  ALLOW(set_robust_list);
  ALLOW(rseq);
  ALLOW(sigaltstack);
  /* fds: read its request, write its result (1) and diagnostics (2) */
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
                         SCMP_A0(SCMP_CMP_EQ, 0));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                         SCMP_A0(SCMP_CMP_LE, 2));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1,
                         SCMP_A0(SCMP_CMP_EQ, 1));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
                         SCMP_A0(SCMP_CMP_LE, 2));
  /* threads only (an engine may use a timer thread), never processes */
  rc |=
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (prepared) {
    /* a task socket arrives on fd 0 */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
                           SCMP_A0(SCMP_CMP_EQ, 0));
    /* fork a sibling task process: CLONE_PARENT, not a thread, sharing
     * nothing, in no new namespace */
    const scmp_datum_t fork_mask =
        CLONE_PARENT | CLONE_THREAD | CLONE_VM | CLONE_FILES | CLONE_FS |
        CLONE_SIGHAND | CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID |
        CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, fork_mask,
                                   CLONE_PARENT));
    /* the task process moves its socket to 0 and 1 */
    ALLOW(dup2);
    ALLOW(dup3);
    ALLOW(close);
    ALLOW(getppid);
    /* ... then limits itself and stacks the task filter on this one */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                           SCMP_A0(SCMP_CMP_EQ, 0));
    ALLOW(setrlimit);
    static const int prctl_ops[] = {PR_SET_PDEATHSIG, PR_SET_NAME,
                                    PR_SET_DUMPABLE,  PR_SET_NO_NEW_PRIVS,
                                    PR_SET_SECCOMP,   PR_GET_SECCOMP};
    for (size_t i = 0; i < sizeof prctl_ops / sizeof prctl_ops[0]; i++)
      rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctl_ops[i]));
    ALLOW(seccomp); /* a filter can only take away */
  }
#undef ALLOW
  if (rc != 0) {
    seccomp_release(ctx);
    return cv_err(err, CLAVE_EIO,
                  "sandbox: building the seccomp filter failed");
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0)
    return cv_err(err, CLAVE_EIO, "sandbox: loading the seccomp filter: %s",
                  strerror(-rc));
  return CLAVE_OK;
}

clave_status cp_sandbox_enter(uint64_t memory_bytes, uint64_t cpu_seconds,
                              clave_error *err) {
  clave_status st = cp_limit(RLIMIT_CORE, 0, "CORE", err);
  if (!st) st = cp_limit(RLIMIT_NPROC, 0, "NPROC", err);
  if (!st) st = cp_limit(RLIMIT_FSIZE, 0, "FSIZE", err);
  if (!st) st = cp_limit(RLIMIT_NOFILE, 3, "NOFILE", err);
  if (!st && cpu_seconds) st = cp_limit(RLIMIT_CPU, cpu_seconds, "CPU", err);
#ifndef CLAVE_SANITIZE
  if (!st && memory_bytes)
    st = cp_limit(RLIMIT_DATA, memory_bytes, "DATA", err);
#else
  (void)memory_bytes;
#endif
  if (st) return st;
  return cp_filter_load(0, err);
}

clave_status cp_sandbox_enter_prepared(uint64_t memory_bytes,
                                       clave_error *err) {
  clave_status st = cp_limit(RLIMIT_CORE, 0, "CORE", err);
  if (!st) st = cp_limit(RLIMIT_FSIZE, 0, "FSIZE", err);
  /* fds 0-2 and the task socket being handed over */
  if (!st) st = cp_limit(RLIMIT_NOFILE, 8, "NOFILE", err);
#ifndef CLAVE_SANITIZE
  if (!st && memory_bytes)
    st = cp_limit(RLIMIT_DATA, memory_bytes, "DATA", err);
#else
  (void)memory_bytes;
#endif
  if (st) return st;
  return cp_filter_load(1, err);
}
