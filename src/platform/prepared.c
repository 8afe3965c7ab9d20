/*
 * prepared.c - one prepared process per function payload, which forks a
 * task process per task.
 *
 * Loading a payload (decode, validate every function, translate) costs
 * milliseconds, and starting a process of the server's executable (exec,
 * dynamic linking, OpenSSL's set-up) as much again; a small inference runs
 * in less.  So the first task of a payload starts a process that loads it
 * once under a sandbox (child.c, sandbox.c) and then, for each task, gets
 * a fresh socket over its control socket and forks a task process that
 * talks over it.  The task process is a sibling of the prepared process
 * (CLONE_PARENT): a child of the server, which waits for it, kills it on
 * cancel and reads how it ended, as for any child.  Task data never goes
 * through the prepared process.
 *
 * Prepared processes are kept per payload SHA-256 (a task runs the payload
 * it was approved with), at most cfg.prepared_functions of them; the least
 * recently used idle one goes when another is needed.  One that died (or
 * answers nonsense) is dropped and started again once; a payload that does
 * not load fails the task with the engine's message, as before.
 *
 * A prepared process dies with the thread that started it (its parent-death
 * signal), so only the worker threads, which live as long as the
 * scheduler, start them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

extern char **environ;

#define CP_PREP_LOAD_S 60 /* loading a payload, at most */
#define CP_PREP_FORK_S 10 /* one fork request, at most */

clave_status cp_spawn_child(clave_platform *p, pid_t *pid, int *sock,
                            clave_error *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return cv_err(err, CLAVE_EIO, "worker: cannot create the child's socket");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  char *argv[] = {p->child_exe, (char *)CLAVE_PLATFORM_CHILD_ARG, NULL};
  int rc = posix_spawn(pid, p->child_exe, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    return cv_err(err, CLAVE_EIO, "worker: cannot start %.400s: %s",
                  p->child_exe, strerror(rc));
  }
  *sock = sv[0];
  return CLAVE_OK;
}

static void cp_timeout(int fd, int seconds) {
  struct timeval tv = {seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void cp_prep_free(cp_prep *z) {
  if (z->sock >= 0) close(z->sock);
  if (z->pid > 0) {
    kill(z->pid, SIGKILL);
    while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  pthread_mutex_destroy(&z->mu);
  free(z);
}

static void cp_prep_unlink(clave_platform *p, cp_prep *z) {
  for (cp_prep **pp = &p->preps; *pp; pp = &(*pp)->next)
    if (*pp == z) {
      *pp = z->next;
      p->npreps--;
      return;
    }
}

/* The entry for sha, referenced (created when there is none), and the
 * entries evicted to make room, to be freed by the caller. */
static cp_prep *cp_prep_acquire(clave_platform *p, const char *sha,
                                cp_prep **evicted) {
  *evicted = NULL;
  pthread_mutex_lock(&p->prep_mu);
  cp_prep *z = p->preps;
  while (z && (z->dead || strcmp(z->sha, sha) != 0)) z = z->next;
  if (!z && (z = calloc(1, sizeof *z))) {
    snprintf(z->sha, sizeof z->sha, "%s", sha);
    z->sock = -1;
    pthread_mutex_init(&z->mu, NULL);
    z->next = p->preps;
    p->preps = z;
    p->npreps++;
    int cap = p->cfg.prepared_functions;
    while (p->npreps > cap) {
      cp_prep *lru = NULL;
      for (cp_prep *q = p->preps; q; q = q->next)
        if (q != z && q->refs == 0 && (!lru || q->used < lru->used)) lru = q;
      if (!lru) break; /* all busy: over the cap until one is idle */
      cp_prep_unlink(p, lru);
      lru->next = *evicted;
      *evicted = lru;
    }
  }
  if (z) {
    z->refs++;
    z->used = ++p->prep_clock;
  }
  pthread_mutex_unlock(&p->prep_mu);
  return z;
}

/* Mark z unusable (z->mu held; dead is read under either mutex). */
static void cp_prep_mark_dead(clave_platform *p, cp_prep *z) {
  pthread_mutex_lock(&p->prep_mu);
  z->dead = 1;
  pthread_mutex_unlock(&p->prep_mu);
}

static void cp_prep_release(clave_platform *p, cp_prep *z) {
  pthread_mutex_lock(&p->prep_mu);
  int drop = --z->refs == 0 && z->dead;
  if (drop) cp_prep_unlink(p, z);
  pthread_mutex_unlock(&p->prep_mu);
  if (drop) cp_prep_free(z);
}

/* Start z's process and load its payload (z->mu held). */
static clave_status cp_prep_start(clave_platform *p, cp_prep *z,
                                  clave_error *err) {
  uint8_t *payload;
  size_t len;
  clave_status st = clave_blob_get(p->store, z->sha, &payload, &len, err);
  if (st) return cv_err_prefix(err, "payload: ");
  pid_t pid;
  int sock;
  st = cp_spawn_child(p, &pid, &sock, err);
  if (st) {
    free(payload);
    return st;
  }
  pthread_mutex_lock(&p->prep_mu);
  z->pid = pid; /* cp_prep_kill_all may see it from now on */
  z->sock = sock;
  pthread_mutex_unlock(&p->prep_mu);
  cp_timeout(sock, CP_PREP_LOAD_S);
  json_t *hdr = json_pack("{s:b,s:I}", "prepare", 1, "memory_bytes",
                          (json_int_t)p->cfg.task_memory_bytes);
  char *text = cp_jdump(hdr);
  json_decref(hdr);
  st = text ? cp_wire_write(sock, text, strlen(text), err)
            : cv_err(err, CLAVE_ENOMEM, "out of memory");
  free(text);
  if (!st) st = cp_wire_write(sock, payload, len, err);
  free(payload);
  uint8_t *reply = NULL, *log = NULL;
  size_t rlen, llen;
  if (!st) st = cp_wire_read(sock, 1u << 20, &reply, &rlen, err);
  if (!st) st = cp_wire_read(sock, 1u << 20, &log, &llen, err);
  free(log);
  if (st) {
    free(reply);
    return cv_err_prefix(err, "worker: the function's process did not start: ");
  }
  json_t *j = json_loadb((const char *)reply, rlen, 0, NULL);
  free(reply);
  if (!json_is_true(json_object_get(j, "ok"))) {
    const char *m = cp_jstr(j, "error");
    st = cv_err(err, CLAVE_EINVALID, "%s",
                m ? m : "worker: the function's process sent a bad reply");
  }
  json_decref(j);
  cp_timeout(sock, CP_PREP_FORK_S);
  return st;
}

/* Ask z for a task process (z->mu held).  *retry: z is unusable (dead or
 * confused), a fresh one may do. */
static clave_status cp_prep_exchange(cp_prep *z, pid_t *pid, int *sock,
                                     int *retry, clave_error *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return cv_err(err, CLAVE_EIO, "worker: cannot create a task socket: %s",
                  strerror(errno));
  char byte = 'T';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.buf;
  mh.msg_controllen = sizeof ctl.buf;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
  ssize_t n;
  do n = sendmsg(z->sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  close(sv[1]);
  if (n != 1) {
    close(sv[0]);
    *retry = 1;
    return cv_err(err, CLAVE_EIO, "worker: the function's process is gone (%s)",
                  n < 0 ? strerror(errno) : "short write");
  }
  uint8_t *frame = NULL;
  size_t flen = 0;
  clave_status st = cp_wire_read(z->sock, 8, &frame, &flen, err);
  int64_t v = 0;
  if (!st && flen == 8)
    for (int i = 0; i < 8; i++) v |= (int64_t)((uint64_t)frame[i] << (8 * i));
  free(frame);
  if (st || flen != 8) {
    close(sv[0]);
    *retry = 1;
    if (!st)
      st = cv_err(err, CLAVE_EIO,
                  "worker: bad answer from the "
                  "function's process");
    return cv_err_prefix(err, "worker: no task process: ");
  }
  if (v <= 0) {
    close(sv[0]);
    return cv_err(err, CLAVE_EIO, "worker: cannot fork a task process: %s",
                  strerror((int)-v));
  }
  /* it must be a child of the server (CLONE_PARENT), and a new one */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (v == z->pid || v > INT32_MAX ||
      waitid(P_PID, (id_t)v, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    close(sv[0]);
    *retry = 1;
    return cv_err(err, CLAVE_EIO,
                  "worker: the function's process named pid %lld, not a "
                  "task process of this server",
                  (long long)v);
  }
  *pid = (pid_t)v;
  *sock = sv[0];
  return CLAVE_OK;
}

clave_status cp_prep_fork(clave_platform *p, const char *sha, pid_t *pid,
                          int *sock, clave_error *err) {
  clave_status st = CLAVE_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    cp_prep *evicted;
    cp_prep *z = cp_prep_acquire(p, sha, &evicted);
    while (evicted) {
      cp_prep *next = evicted->next;
      cp_prep_free(evicted);
      evicted = next;
    }
    if (!z) return cv_err(err, CLAVE_ENOMEM, "out of memory");
    int retry = 0;
    pthread_mutex_lock(&z->mu);
    if (z->dead) {
      retry = 1; /* another worker found it broken meanwhile */
      st = cv_err(err, CLAVE_EIO, "worker: the function's process failed");
    } else if (!z->started) {
      st = cp_prep_start(p, z, err);
      if (st)
        cp_prep_mark_dead(p, z); /* the next task tries afresh */
      else
        z->started = 1;
    }
    if (!st) {
      st = cp_prep_exchange(z, pid, sock, &retry, err);
      if (st && retry) cp_prep_mark_dead(p, z);
    }
    pthread_mutex_unlock(&z->mu);
    cp_prep_release(p, z);
    if (!st || !retry) return st;
  }
  return st;
}

void cp_prep_kill_all(clave_platform *p) {
  pthread_mutex_lock(&p->prep_mu);
  for (cp_prep *z = p->preps; z; z = z->next)
    if (z->pid > 0) kill(z->pid, SIGKILL);
  pthread_mutex_unlock(&p->prep_mu);
}

void cp_prep_stop_all(clave_platform *p) {
  pthread_mutex_lock(&p->prep_mu);
  cp_prep *z = p->preps;
  p->preps = NULL;
  p->npreps = 0;
  pthread_mutex_unlock(&p->prep_mu);
  while (z) {
    cp_prep *next = z->next;
    cp_prep_free(z);
    z = next;
  }
}
