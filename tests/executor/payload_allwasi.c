/*
 * payload_allwasi.c - a wasi-libc command that imports all of WASI.
 *
 * Its table names every function wasi-libc's <wasi/api.h> declares, so the
 * module imports each of them: if it starts at all, the executor provides
 * every import wasi-libc can make, with the right types.  It then calls a
 * few of those the executor does not implement and expects ENOSYS, and
 * prints how many functions it referenced.
 */
#include <stdio.h>
#include <wasi/api.h>

typedef void (*wasi_fn)(void);

wasi_fn volatile all[] = {
    (wasi_fn)__wasi_args_get,
    (wasi_fn)__wasi_args_sizes_get,
    (wasi_fn)__wasi_environ_get,
    (wasi_fn)__wasi_environ_sizes_get,
    (wasi_fn)__wasi_clock_res_get,
    (wasi_fn)__wasi_clock_time_get,
    (wasi_fn)__wasi_fd_advise,
    (wasi_fn)__wasi_fd_allocate,
    (wasi_fn)__wasi_fd_close,
    (wasi_fn)__wasi_fd_datasync,
    (wasi_fn)__wasi_fd_fdstat_get,
    (wasi_fn)__wasi_fd_fdstat_set_flags,
    (wasi_fn)__wasi_fd_fdstat_set_rights,
    (wasi_fn)__wasi_fd_filestat_get,
    (wasi_fn)__wasi_fd_filestat_set_size,
    (wasi_fn)__wasi_fd_filestat_set_times,
    (wasi_fn)__wasi_fd_pread,
    (wasi_fn)__wasi_fd_prestat_get,
    (wasi_fn)__wasi_fd_prestat_dir_name,
    (wasi_fn)__wasi_fd_pwrite,
    (wasi_fn)__wasi_fd_read,
    (wasi_fn)__wasi_fd_readdir,
    (wasi_fn)__wasi_fd_renumber,
    (wasi_fn)__wasi_fd_seek,
    (wasi_fn)__wasi_fd_sync,
    (wasi_fn)__wasi_fd_tell,
    (wasi_fn)__wasi_fd_write,
    (wasi_fn)__wasi_path_create_directory,
    (wasi_fn)__wasi_path_filestat_get,
    (wasi_fn)__wasi_path_filestat_set_times,
    (wasi_fn)__wasi_path_link,
    (wasi_fn)__wasi_path_open,
    (wasi_fn)__wasi_path_readlink,
    (wasi_fn)__wasi_path_remove_directory,
    (wasi_fn)__wasi_path_rename,
    (wasi_fn)__wasi_path_symlink,
    (wasi_fn)__wasi_path_unlink_file,
    (wasi_fn)__wasi_poll_oneoff,
    (wasi_fn)__wasi_proc_exit,
    (wasi_fn)__wasi_sched_yield,
    (wasi_fn)__wasi_random_get,
    (wasi_fn)__wasi_sock_accept,
    (wasi_fn)__wasi_sock_recv,
    (wasi_fn)__wasi_sock_send,
    (wasi_fn)__wasi_sock_shutdown,
};

int main(void) {
  int bad = 0;
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_event_t ev;
  __wasi_subscription_t sub = {0};
  if (__wasi_sched_yield() != __WASI_ERRNO_NOSYS) bad |= 1;
  if (__wasi_path_open(3, 0, "x", 0, 0, 0, 0, &fd) != __WASI_ERRNO_NOSYS)
    bad |= 2;
  if (__wasi_fd_renumber(1, 5) != __WASI_ERRNO_NOSYS) bad |= 4;
  if (__wasi_poll_oneoff(&sub, &ev, 1, &n) != __WASI_ERRNO_NOSYS) bad |= 8;
  if (__wasi_sock_accept(3, 0, &fd) != __WASI_ERRNO_NOSYS) bad |= 16;
  int linked = 0;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) linked += !!all[i];
  printf("%d wasi functions referenced, ENOSYS checks %s\n", linked,
         bad ? "failed" : "passed");
  return bad;
}
