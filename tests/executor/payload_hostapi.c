/*
 * payload_hostapi.c - a no-libc test payload that misuses the host API.
 *
 * Built like a Teaclave payload (--export-all, no libc, so no malloc:
 * arguments arrive in grown memory).  The argument "case" picks a
 * scenario; each returns 1 when every host call answered as specified, or
 * 100 + the number of the first check that did not, so a failing test
 * says which call misbehaved.  Inputs are "in" (and "in2"), the output
 * "out".
 */
#include "clave.h"

#define WASI_IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

WASI_IMPORT("fd_write") int wasi_fd_write(int fd, const void *iovs, int n,
                                          int *nwritten);
WASI_IMPORT("fd_close") int wasi_fd_close(int fd);
WASI_IMPORT("fd_seek")
int wasi_fd_seek(int fd, long long offset, int whence, long long *newoff);
WASI_IMPORT("fd_fdstat_get") int wasi_fd_fdstat_get(int fd, void *stat);
WASI_IMPORT("fd_prestat_get") int wasi_fd_prestat_get(int fd, void *stat);
WASI_IMPORT("fd_read") int wasi_fd_read(int fd, const void *iovs, int n,
                                        int *nread);
WASI_IMPORT("args_sizes_get") int wasi_args_sizes_get(int *argc, int *size);
WASI_IMPORT("environ_sizes_get")
int wasi_environ_sizes_get(int *count, int *size);
WASI_IMPORT("random_get") int wasi_random_get(void *buf, int len);
WASI_IMPORT("clock_time_get")
int wasi_clock_time_get(int id, long long precision, long long *time);
WASI_IMPORT("path_open")
int wasi_path_open(int fd, int dirflags, const char *path, int path_len,
                   int oflags, long long base, long long inheriting,
                   int fdflags, int *opened);
WASI_IMPORT("proc_exit") void wasi_proc_exit(int code);

extern unsigned char __heap_base;

static int ctor_ran;
__attribute__((constructor)) static void set_ctor(void) { ctor_ran = 42; }

#define CHECK(n, cond) \
  do {                 \
    if (!(cond)) return 100 + (n); \
  } while (0)

static unsigned mem_bytes(void) {
  return (unsigned)__builtin_wasm_memory_size(0) * 65536u;
}

static int case_bad_handle(void) {
  char buf[8];
  CHECK(1, teaclave_read_file(999, buf, 8) == -1);
  CHECK(2, teaclave_write_file(-5, buf, 8) == -1);
  CHECK(3, teaclave_close_file(12345) == -1);
  CHECK(4, teaclave_read_file(0, buf, 8) == -1);
  CHECK(5, teaclave_close_file(-1) == -1);
  CHECK(6, teaclave_write_file(2147483647, buf, 1) == -1);
  return 1;
}

static int case_oob_buffer(void) {
  int fd = teaclave_open_input("in");
  CHECK(1, fd >= 0);
  unsigned end = mem_bytes();
  CHECK(2, teaclave_read_file(fd, (char *)(end - 4), 10) == -1);
  CHECK(3, teaclave_read_file(fd, (char *)0xFFFFFFF0u, 32) == -1);
  CHECK(4, teaclave_read_file(fd, (char *)end, 1) == -1);
  char buf[4];
  CHECK(5, teaclave_read_file(fd, buf, -1) == -1);
  CHECK(6, teaclave_read_file(fd, (char *)end, 0) == 0);
  /* nothing was consumed by the failed reads */
  CHECK(7, teaclave_read_file(fd, buf, 4) == 4 && buf[0] == 'h');
  int out = teaclave_create_output("out");
  CHECK(8, out >= 0);
  CHECK(9, teaclave_write_file(out, (char *)(end - 2), 3) == -1);
  CHECK(10, teaclave_write_file(out, buf, -7) == -1);
  CHECK(11, teaclave_write_file(out, (char *)(end - 2), 2) == 2);
  return 1;
}

static int case_read_on_write(void) {
  char buf[4];
  int out = teaclave_create_output("out");
  CHECK(1, out >= 0);
  CHECK(2, teaclave_read_file(out, buf, 4) == -1);
  return 1;
}

static int case_write_on_read(void) {
  int in = teaclave_open_input("in");
  CHECK(1, in >= 0);
  CHECK(2, teaclave_write_file(in, "x", 1) == -1);
  return 1;
}

static int case_double_close(void) {
  char buf[4];
  int in = teaclave_open_input("in");
  CHECK(1, in >= 0);
  CHECK(2, teaclave_close_file(in) == 0);
  CHECK(3, teaclave_close_file(in) == -1);
  CHECK(4, teaclave_read_file(in, buf, 4) == -1);
  int out = teaclave_create_output("out");
  CHECK(5, out >= 0 && out != in);
  CHECK(6, teaclave_close_file(out) == 0);
  CHECK(7, teaclave_close_file(out) == -1);
  CHECK(8, teaclave_write_file(out, "x", 1) == -1);
  /* an output is created once per run */
  CHECK(9, teaclave_create_output("out") == -1);
  return 1;
}

static int case_unknown_fid(void) {
  CHECK(1, teaclave_open_input("nope") == -1);
  CHECK(2, teaclave_create_output("nope") == -1);
  CHECK(3, teaclave_open_input("out") == -1);   /* an output, not an input */
  CHECK(4, teaclave_create_output("in") == -1); /* an input, not an output */
  CHECK(5, teaclave_open_input("") == -1);
  CHECK(6, teaclave_open_input("i") == -1);     /* a prefix is not a name */
  CHECK(7, teaclave_open_input("in ") == -1);
  return 1;
}

static int case_fid_off_memory(void) {
  unsigned end = mem_bytes();
  char *tail = (char *)(end - 3);
  tail[0] = 'i';
  tail[1] = 'n';
  tail[2] = 'x'; /* no NUL before the end of memory */
  CHECK(1, teaclave_open_input(tail) == -1);
  CHECK(2, teaclave_create_output(tail) == -1);
  CHECK(3, teaclave_open_input((char *)end) == -1);
  CHECK(4, teaclave_open_input((char *)0xFFFFFFFFu) == -1);
  /* "in" with its NUL as the very last byte of memory is fine */
  tail[2] = '\0';
  CHECK(5, teaclave_open_input(tail) >= 0);
  /* a name longer than the host scans for */
  /* (volatile, or the compiler turns the loop into an env.memset import) */
  static volatile char longname[5000];
  for (int i = 0; i < 4999; i++) longname[i] = 'a';
  longname[4999] = '\0';
  CHECK(6, teaclave_open_input((char *)longname) == -1);
  return 1;
}

/* Write the argument "size" bytes in chunks of "chunk" to "out"; returns
 * the number of bytes accepted (a refused write ends the loop). */
static int case_output_cap(int argc, char **argv) {
  long long size = 0, chunk = 0;
  const char *s = clave_arg(argc, argv, "size", "0");
  const char *c = clave_arg(argc, argv, "chunk", "1");
  if (clave_parse_i64(s, clave_strlen(s), &size) ||
      clave_parse_i64(c, clave_strlen(c), &chunk))
    return -1;
  static volatile char block[4096];
  for (int i = 0; i < (int)sizeof block; i++) block[i] = (char)('a' + i % 26);
  int out = teaclave_create_output("out");
  if (out < 0) return -2;
  int total = 0;
  while (total < size) {
    int n = teaclave_write_file(out, (char *)block, (int)chunk);
    if (n < 0) break;
    total += n;
  }
  /* after a refused write the handle still works for what fits */
  teaclave_write_file(out, (char *)block, 0);
  teaclave_close_file(out);
  return total;
}

/* Copy "in" to "out"; a second handle on "in" reads from the start. */
static int case_echo(void) {
  char buf[7];
  int in = teaclave_open_input("in");
  int in_again = teaclave_open_input("in");
  int out = teaclave_create_output("out");
  CHECK(1, in >= 0 && in_again >= 0 && out >= 0 && in != in_again);
  int total = 0, n;
  while ((n = teaclave_read_file(in, buf, sizeof buf)) > 0) {
    CHECK(2, teaclave_write_file(out, buf, n) == n);
    total += n;
  }
  CHECK(3, n == 0);
  CHECK(4, teaclave_read_file(in, buf, sizeof buf) == 0);
  CHECK(5, teaclave_read_file(in_again, buf, 1) == (total ? 1 : 0));
  CHECK(6, teaclave_close_file(in) == 0 && teaclave_close_file(out) == 0);
  return total;
}

/* Write the arguments to "out", one per line; returns argc. */
static int case_args(int argc, char **argv) {
  if (argv[argc] != 0) return -1;
  int out = teaclave_create_output("out");
  if (out < 0) return -2;
  for (int i = 0; i < argc; i++) {
    clave_write_str(out, argv[i]);
    clave_write_all(out, "\n", 1);
  }
  teaclave_close_file(out);
  return argc;
}

/* The arguments were placed in fresh pages above the module's data. */
static int case_args_grown(char **argv) {
  unsigned a = (unsigned)argv;
  CHECK(1, a >= (unsigned)&__heap_base);
  CHECK(2, a % 65536 == 0);
  CHECK(3, a < mem_bytes());
  CHECK(4, (unsigned)argv[0] > a && (unsigned)argv[0] < mem_bytes());
  return 1;
}

static int case_wasi(void) {
  int n = 0, size = 0;
  CHECK(1, wasi_args_sizes_get(&n, &size) == 0 && n == 0 && size == 0);
  CHECK(2, wasi_environ_sizes_get(&n, &size) == 0 && n == 0 && size == 0);
  char bad_iov[8];
  unsigned *iov = (unsigned *)bad_iov;
  iov[0] = mem_bytes() - 2; /* buffer runs off memory */
  iov[1] = 5;
  CHECK(3, wasi_fd_write(1, bad_iov, 1, &n) == 21);
  CHECK(4, wasi_fd_write(1, (void *)(mem_bytes() - 4), 1, &n) == 21);
  CHECK(5, wasi_fd_write(1, bad_iov, 0, (int *)(mem_bytes() - 2)) == 21);
  CHECK(6, wasi_fd_write(7, bad_iov, 0, &n) == 8);
  CHECK(7, wasi_fd_write(0, bad_iov, 0, &n) == 8);
  volatile unsigned char rnd[32];
  for (int i = 0; i < 32; i++) rnd[i] = 0;
  CHECK(8, wasi_random_get((void *)rnd, 32) == 0);
  int nonzero = 0;
  for (int i = 0; i < 32; i++) nonzero |= rnd[i];
  CHECK(9, nonzero);
  CHECK(10, wasi_random_get((void *)(mem_bytes() - 8), 16) == 21);
  long long t = 0;
  CHECK(11, wasi_clock_time_get(0, 1, &t) == 0 && t > 1600000000ll * 1000000000ll);
  CHECK(12, wasi_clock_time_get(1, 1, &t) == 0);
  CHECK(13, wasi_clock_time_get(99, 1, &t) == 28);
  CHECK(14, wasi_clock_time_get(0, 1, (long long *)(mem_bytes() - 4)) == 21);
  char stat[24];
  CHECK(15, wasi_fd_prestat_get(3, stat) == 8);
  CHECK(16, wasi_fd_fdstat_get(1, stat) == 0 && stat[0] == 2);
  CHECK(17, wasi_fd_fdstat_get(5, stat) == 8);
  long long off;
  CHECK(18, wasi_fd_seek(1, 0, 0, &off) == 70);
  CHECK(19, wasi_fd_seek(9, 0, 0, &off) == 8);
  CHECK(20, wasi_path_open(3, 0, "x", 1, 0, 0, 0, 0, &n) == 52);
  /* stdin is empty */
  char c;
  unsigned rd_iov[2] = {(unsigned)&c, 1};
  CHECK(21, wasi_fd_read(0, rd_iov, 1, &n) == 0 && n == 0);
  CHECK(22, wasi_fd_read(1, rd_iov, 1, &n) == 8);
  /* a good write reaches the log */
  unsigned ok_iov[4] = {(unsigned)"hello ", 6, (unsigned)"log\n", 4};
  CHECK(23, wasi_fd_write(2, ok_iov, 2, &n) == 0 && n == 10);
  CHECK(24, wasi_fd_close(2) == 0);
  CHECK(25, wasi_fd_close(2) == 8);
  CHECK(26, wasi_fd_write(2, ok_iov, 2, &n) == 8);
  return 1;
}

/* Write "text" to stdout "times" times through WASI. */
static int case_log(int argc, char **argv) {
  const char *text = clave_arg(argc, argv, "text", "");
  const char *t = clave_arg(argc, argv, "times", "1");
  long long times = 0;
  if (clave_parse_i64(t, clave_strlen(t), &times)) return -1;
  unsigned iov[2] = {(unsigned)text, (unsigned)clave_strlen(text)};
  int n;
  for (long long i = 0; i < times; i++)
    if (wasi_fd_write(1, iov, 1, &n) != 0) return -2;
  return (int)times;
}

/* Open "in" until the host refuses: a run has a bounded number of
 * handles, closed ones included (they are never reused).  Returns how many
 * opens succeeded. */
static int case_many_handles(void) {
  int opened = 0, last = -1;
  for (int i = 0; i < 10000; i++) {
    int fd = teaclave_open_input("in");
    if (fd < 0) break;
    if (fd == last) return -2; /* a handle value came back */
    last = fd;
    opened++;
    if (teaclave_close_file(fd) != 0) return -3;
  }
  return opened;
}

static int case_loop(void) {
  volatile unsigned x = 0;
  for (;;) x++;
  return 0;
}

static int case_grow(int argc, char **argv) {
  const char *p = clave_arg(argc, argv, "pages", "1");
  long long pages = 0;
  if (clave_parse_i64(p, clave_strlen(p), &pages)) return -2;
  return (int)__builtin_wasm_memory_grow(0, (unsigned long)pages);
}

/* Recurse until the engine's call depth limit stops it.  The volatile
 * flag keeps the compiler from proving the recursion endless, the store
 * after the call keeps it from turning the recursion into a loop. */
static volatile int stop_recursing, sink;
__attribute__((noinline)) static int case_recurse(int depth) {
  if (stop_recursing) return depth;
  int r = case_recurse(depth + 1);
  sink = r;
  return r;
}

CLAVE_ENTRYPOINT {
  const char *c = clave_arg(argc, argv, "case", "");
  if (clave_streq(c, "bad_handle")) return case_bad_handle();
  if (clave_streq(c, "oob_buffer")) return case_oob_buffer();
  if (clave_streq(c, "read_on_write")) return case_read_on_write();
  if (clave_streq(c, "write_on_read")) return case_write_on_read();
  if (clave_streq(c, "double_close")) return case_double_close();
  if (clave_streq(c, "unknown_fid")) return case_unknown_fid();
  if (clave_streq(c, "fid_off_memory")) return case_fid_off_memory();
  if (clave_streq(c, "output_cap")) return case_output_cap(argc, argv);
  if (clave_streq(c, "echo")) return case_echo();
  if (clave_streq(c, "args")) return case_args(argc, argv);
  if (clave_streq(c, "args_grown")) return case_args_grown(argv);
  if (clave_streq(c, "wasi")) return case_wasi();
  if (clave_streq(c, "log")) return case_log(argc, argv);
  if (clave_streq(c, "loop")) return case_loop();
  if (clave_streq(c, "many_handles")) return case_many_handles();
  if (clave_streq(c, "grow")) return case_grow(argc, argv);
  if (clave_streq(c, "recurse")) return case_recurse(0);
  if (clave_streq(c, "ctor")) return ctor_ran;
  if (clave_streq(c, "exit")) wasi_proc_exit(7);
  if (clave_streq(c, "trap")) __builtin_trap();
  return -1000;
}
