/*
 * wasi.c - a WASI preview1 subset (module "wasi_snapshot_preview1").
 *
 * Enough for programs built with wasi-libc to run as functions and as
 * commands: stdout and stderr (collected into the run's log, optionally
 * passed through to host descriptors), an empty stdin, argv (the command's
 * for _start, none for a function), an empty environment, clocks, real
 * randomness and proc_exit.  There are no preopened directories, so no
 * path ever reaches the host file system; every other call in preview1 is
 * present (so any wasi-libc program links) and answers ENOSYS.
 *
 * Every pointer and length is checked against linear memory before
 * anything is read or written (EFAULT); a WASI call never traps, except
 * proc_exit, which stops the run with its exit code.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "executor/cx_internal.h"

/* errno values of preview1 */
enum {
  CX_WASI_OK = 0,
  CX_WASI_EBADF = 8,
  CX_WASI_EFAULT = 21,
  CX_WASI_EINVAL = 28,
  CX_WASI_EIO = 29,
  CX_WASI_ENOSYS = 52,
  CX_WASI_ESPIPE = 70
};

/* fdstat fields of the three standard descriptors */
#define CX_WASI_FILETYPE_CHARACTER_DEVICE 2
#define CX_WASI_RIGHT_FD_READ (1u << 1)
#define CX_WASI_RIGHT_FD_WRITE (1u << 6)
#define CX_WASI_RIGHT_POLL_FD_READWRITE (1u << 27)

static void cx_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void cx_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t cx_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static clave_status cx_ret(clave_value *results, int32_t errno_) {
  results[0] = clave_i32(errno_);
  return CLAVE_OK;
}

static uint32_t cx_u32(const clave_value *args, int i) {
  return (uint32_t)args[i].of.i32;
}

/* Is fd one of 0, 1, 2 and still open? */
static bool cx_stdio_open(const cx_run *run, int32_t fd) {
  return fd >= 0 && fd <= 2 && !run->stdio_closed[fd];
}

/* ---- argv and environment ----------------------------------------------- */

static clave_status cx_args_sizes_get(clave_caller *caller,
                                      const clave_value *args,
                                      clave_value *results, void *user) {
  cx_run *run = user;
  uint8_t *pc = cx_mem_range(caller, cx_u32(args, 0), 4);
  uint8_t *ps = cx_mem_range(caller, cx_u32(args, 1), 4);
  if (!pc || !ps) return cx_ret(results, CX_WASI_EFAULT);
  uint64_t total = 0;
  for (size_t i = 0; i < run->argc; i++) total += strlen(run->argv[i]) + 1;
  if (total > UINT32_MAX) return cx_ret(results, CX_WASI_EINVAL);
  cx_put32(pc, (uint32_t)run->argc);
  cx_put32(ps, (uint32_t)total);
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_args_get(clave_caller *caller, const clave_value *args,
                                clave_value *results, void *user) {
  cx_run *run = user;
  uint32_t argv_addr = cx_u32(args, 0), buf_addr = cx_u32(args, 1);
  uint64_t total = 0;
  for (size_t i = 0; i < run->argc; i++) total += strlen(run->argv[i]) + 1;
  uint8_t *pv = cx_mem_range(caller, argv_addr, (uint64_t)run->argc * 4);
  uint8_t *pb = cx_mem_range(caller, buf_addr, total);
  if (!pv || !pb) return cx_ret(results, CX_WASI_EFAULT);
  uint32_t off = 0;
  for (size_t i = 0; i < run->argc; i++) {
    size_t n = strlen(run->argv[i]) + 1;
    memcpy(pb + off, run->argv[i], n);
    cx_put32(pv + 4 * i, buf_addr + off);
    off += (uint32_t)n;
  }
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_environ_sizes_get(clave_caller *caller,
                                         const clave_value *args,
                                         clave_value *results, void *user) {
  uint8_t *pc = cx_mem_range(caller, cx_u32(args, 0), 4);
  uint8_t *ps = cx_mem_range(caller, cx_u32(args, 1), 4);
  if (!pc || !ps) return cx_ret(results, CX_WASI_EFAULT);
  cx_put32(pc, 0);
  cx_put32(ps, 0);
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_environ_get(clave_caller *caller,
                                   const clave_value *args,
                                   clave_value *results, void *user) {
  /* nothing to write: the environment is empty */
  return cx_ret(results, CX_WASI_OK);
}

/* ---- clocks and randomness --------------------------------------------- */

static bool cx_clock_id(uint32_t id, clockid_t *out) {
  switch (id) {
    case 0: *out = CLOCK_REALTIME; return true;
    case 1: *out = CLOCK_MONOTONIC; return true;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  }
  return false;
}

static uint64_t cx_ns(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static clave_status cx_clock_res_get(clave_caller *caller,
                                     const clave_value *args,
                                     clave_value *results, void *user) {
  clockid_t id;
  struct timespec ts;
  if (!cx_clock_id(cx_u32(args, 0), &id)) return cx_ret(results, CX_WASI_EINVAL);
  uint8_t *p = cx_mem_range(caller, cx_u32(args, 1), 8);
  if (!p) return cx_ret(results, CX_WASI_EFAULT);
  if (clock_getres(id, &ts) != 0) return cx_ret(results, CX_WASI_EIO);
  cx_put64(p, cx_ns(&ts));
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_clock_time_get(clave_caller *caller,
                                      const clave_value *args,
                                      clave_value *results, void *user) {
  clockid_t id;
  struct timespec ts;
  if (!cx_clock_id(cx_u32(args, 0), &id)) return cx_ret(results, CX_WASI_EINVAL);
  uint8_t *p = cx_mem_range(caller, cx_u32(args, 2), 8);
  if (!p) return cx_ret(results, CX_WASI_EFAULT);
  if (clock_gettime(id, &ts) != 0) return cx_ret(results, CX_WASI_EIO);
  cx_put64(p, cx_ns(&ts));
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_random_get(clave_caller *caller,
                                  const clave_value *args,
                                  clave_value *results, void *user) {
  uint32_t len = cx_u32(args, 1);
  uint8_t *p = cx_mem_range(caller, cx_u32(args, 0), len);
  if (!p) return cx_ret(results, CX_WASI_EFAULT);
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cx_ret(results, CX_WASI_EIO);
    }
    done += (size_t)n;
  }
  return cx_ret(results, CX_WASI_OK);
}

/* ---- the standard descriptors ------------------------------------------ */

/* Write all of data to a host descriptor; errors there are the host's
 * business (a closed pipe must not stop the payload). */
static void cx_passthrough(int fd, const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

static clave_status cx_fd_write(clave_caller *caller, const clave_value *args,
                                clave_value *results, void *user) {
  cx_run *run = user;
  int32_t fd = args[0].of.i32;
  uint32_t iovs = cx_u32(args, 1), niovs = cx_u32(args, 2);
  if (!cx_stdio_open(run, fd) || fd == 0) return cx_ret(results, CX_WASI_EBADF);
  const uint8_t *iov = cx_mem_range(caller, iovs, (uint64_t)niovs * 8);
  uint8_t *pn = cx_mem_range(caller, cx_u32(args, 3), 4);
  if (!iov || !pn) return cx_ret(results, CX_WASI_EFAULT);
  /* check every buffer before writing any, so a fault writes nothing */
  uint64_t total = 0;
  for (uint32_t i = 0; i < niovs; i++) {
    uint32_t len = cx_get32(iov + 8 * i + 4);
    if (!cx_mem_range(caller, cx_get32(iov + 8 * i), len))
      return cx_ret(results, CX_WASI_EFAULT);
    total += len;
  }
  if (total > INT32_MAX) return cx_ret(results, CX_WASI_EINVAL);
  const clave_exec_request *req = run->req;
  int host_fd = fd == 1 ? req->passthrough_stdout_fd : req->passthrough_stderr_fd;
  for (uint32_t i = 0; i < niovs; i++) {
    uint32_t len = cx_get32(iov + 8 * i + 4);
    const uint8_t *buf = cx_mem_range(caller, cx_get32(iov + 8 * i), len);
    cx_log_append(run, buf, len);
    if (host_fd >= 0) cx_passthrough(host_fd, buf, len);
  }
  cx_put32(pn, (uint32_t)total);
  return cx_ret(results, CX_WASI_OK);
}

/* stdin is empty: a read on it is at its end at once. */
static clave_status cx_fd_read(clave_caller *caller, const clave_value *args,
                               clave_value *results, void *user) {
  cx_run *run = user;
  int32_t fd = args[0].of.i32;
  if (fd != 0 || !cx_stdio_open(run, fd)) return cx_ret(results, CX_WASI_EBADF);
  const uint8_t *iov =
      cx_mem_range(caller, cx_u32(args, 1), (uint64_t)cx_u32(args, 2) * 8);
  uint8_t *pn = cx_mem_range(caller, cx_u32(args, 3), 4);
  if (!iov || !pn) return cx_ret(results, CX_WASI_EFAULT);
  cx_put32(pn, 0);
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_fd_close(clave_caller *caller, const clave_value *args,
                                clave_value *results, void *user) {
  cx_run *run = user;
  int32_t fd = args[0].of.i32;
  if (!cx_stdio_open(run, fd)) return cx_ret(results, CX_WASI_EBADF);
  run->stdio_closed[fd] = true;
  return cx_ret(results, CX_WASI_OK);
}

static clave_status cx_fd_seek(clave_caller *caller, const clave_value *args,
                               clave_value *results, void *user) {
  cx_run *run = user;
  if (!cx_stdio_open(run, args[0].of.i32))
    return cx_ret(results, CX_WASI_EBADF);
  return cx_ret(results, CX_WASI_ESPIPE);
}

/* The standard descriptors are character devices without seek or tell
 * rights, which wasi-libc reads as a terminal: stdout is line buffered,
 * so a function's printf lines reach the log even if it never flushes. */
static clave_status cx_fd_fdstat_get(clave_caller *caller,
                                     const clave_value *args,
                                     clave_value *results, void *user) {
  cx_run *run = user;
  int32_t fd = args[0].of.i32;
  if (!cx_stdio_open(run, fd)) return cx_ret(results, CX_WASI_EBADF);
  uint8_t *p = cx_mem_range(caller, cx_u32(args, 1), 24);
  if (!p) return cx_ret(results, CX_WASI_EFAULT);
  uint64_t rights = CX_WASI_RIGHT_POLL_FD_READWRITE |
                    (fd == 0 ? CX_WASI_RIGHT_FD_READ : CX_WASI_RIGHT_FD_WRITE);
  memset(p, 0, 24);
  p[0] = CX_WASI_FILETYPE_CHARACTER_DEVICE;
  cx_put64(p + 8, rights);
  return cx_ret(results, CX_WASI_OK);
}

/* No preopened directories: wasi-libc's scan for them stops at once. */
static clave_status cx_fd_prestat_get(clave_caller *caller,
                                      const clave_value *args,
                                      clave_value *results, void *user) {
  return cx_ret(results, CX_WASI_EBADF);
}

static clave_status cx_fd_prestat_dir_name(clave_caller *caller,
                                           const clave_value *args,
                                           clave_value *results, void *user) {
  return cx_ret(results, CX_WASI_EBADF);
}

static clave_status cx_proc_exit(clave_caller *caller, const clave_value *args,
                                 clave_value *results, void *user) {
  return clave_caller_exit(caller, args[0].of.i32);
}

/* Every call the executor does not offer: linkable, and ENOSYS. */
static clave_status cx_nosys(clave_caller *caller, const clave_value *args,
                             clave_value *results, void *user) {
  return cx_ret(results, CX_WASI_ENOSYS);
}

#define W "wasi_snapshot_preview1"

/* All of preview1, in the order of its specification. */
const cx_hostdef cx_wasi_defs[] = {
    {W, "args_get", "ii", "i", cx_args_get},
    {W, "args_sizes_get", "ii", "i", cx_args_sizes_get},
    {W, "environ_get", "ii", "i", cx_environ_get},
    {W, "environ_sizes_get", "ii", "i", cx_environ_sizes_get},
    {W, "clock_res_get", "ii", "i", cx_clock_res_get},
    {W, "clock_time_get", "iIi", "i", cx_clock_time_get},
    {W, "fd_advise", "iIIi", "i", cx_nosys},
    {W, "fd_allocate", "iII", "i", cx_nosys},
    {W, "fd_close", "i", "i", cx_fd_close},
    {W, "fd_datasync", "i", "i", cx_nosys},
    {W, "fd_fdstat_get", "ii", "i", cx_fd_fdstat_get},
    {W, "fd_fdstat_set_flags", "ii", "i", cx_nosys},
    {W, "fd_fdstat_set_rights", "iII", "i", cx_nosys},
    {W, "fd_filestat_get", "ii", "i", cx_nosys},
    {W, "fd_filestat_set_size", "iI", "i", cx_nosys},
    {W, "fd_filestat_set_times", "iIIi", "i", cx_nosys},
    {W, "fd_pread", "iiiIi", "i", cx_nosys},
    {W, "fd_prestat_get", "ii", "i", cx_fd_prestat_get},
    {W, "fd_prestat_dir_name", "iii", "i", cx_fd_prestat_dir_name},
    {W, "fd_pwrite", "iiiIi", "i", cx_nosys},
    {W, "fd_read", "iiii", "i", cx_fd_read},
    {W, "fd_readdir", "iiiIi", "i", cx_nosys},
    {W, "fd_renumber", "ii", "i", cx_nosys},
    {W, "fd_seek", "iIii", "i", cx_fd_seek},
    {W, "fd_sync", "i", "i", cx_nosys},
    {W, "fd_tell", "ii", "i", cx_nosys},
    {W, "fd_write", "iiii", "i", cx_fd_write},
    {W, "path_create_directory", "iii", "i", cx_nosys},
    {W, "path_filestat_get", "iiiii", "i", cx_nosys},
    {W, "path_filestat_set_times", "iiiiIIi", "i", cx_nosys},
    {W, "path_link", "iiiiiii", "i", cx_nosys},
    {W, "path_open", "iiiiiIIii", "i", cx_nosys},
    {W, "path_readlink", "iiiiii", "i", cx_nosys},
    {W, "path_remove_directory", "iii", "i", cx_nosys},
    {W, "path_rename", "iiiiii", "i", cx_nosys},
    {W, "path_symlink", "iiiii", "i", cx_nosys},
    {W, "path_unlink_file", "iii", "i", cx_nosys},
    {W, "poll_oneoff", "iiii", "i", cx_nosys},
    {W, "proc_exit", "i", "", cx_proc_exit},
    {W, "proc_raise", "i", "i", cx_nosys},
    {W, "sched_yield", "", "i", cx_nosys},
    {W, "random_get", "ii", "i", cx_random_get},
    {W, "sock_accept", "iii", "i", cx_nosys},
    {W, "sock_recv", "iiiiii", "i", cx_nosys},
    {W, "sock_send", "iiiii", "i", cx_nosys},
    {W, "sock_shutdown", "ii", "i", cx_nosys},
};
const size_t cx_wasi_ndefs = sizeof cx_wasi_defs / sizeof cx_wasi_defs[0];
