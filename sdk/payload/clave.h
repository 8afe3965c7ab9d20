/*
 * clave.h - Clave's payload SDK: the host file API and small helpers.
 *
 * For C payloads compiled to WebAssembly, with or without a libc:
 *
 *   no libc:   clang-19 --target=wasm32 -nostdlib -O2 -Wl,--no-entry \
 *                -Wl,--export-all -Wl,--allow-undefined -I sdk/payload ...
 *   wasi-libc: clang-19 --target=wasm32-wasi --sysroot=/usr -O2 \
 *                -I sdk/payload ...
 *
 * A payload exports `int entrypoint(int argc, char **argv)`; argv holds the
 * task's arguments as [k1, v1, k2, v2, ...] with the keys in byte order
 * (argc is twice their number, argv[argc] is NULL), and the int it returns
 * is the task's result.  Inputs and outputs are files named by the
 * function's declared input and output names (fids).
 *
 * Everything here but the five imports is static inline and uses no libc,
 * so it costs nothing a payload does not call.  Under -nostdlib, keep in
 * mind that the compiler may turn a copy loop into a call to memcpy or
 * memset, which then becomes an import the executor refuses; the helpers
 * below are written so that it does not.
 */
#ifndef CLAVE_PAYLOAD_H
#define CLAVE_PAYLOAD_H

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_IMPORT_(name) \
  __attribute__((import_module("env"), import_name(name)))

/* Export a function under name even without -Wl,--export-all. */
#define CLAVE_EXPORT(name) __attribute__((export_name(name), used))

/* Define the entry point:  CLAVE_ENTRYPOINT { ... use argc, argv ... } */
#define CLAVE_ENTRYPOINT \
  CLAVE_EXPORT("entrypoint") int entrypoint(int argc, char **argv)

/* ---- the host file API (the same declarations as teaclave_context.h) ---- */

/* Open the task input bound to the name fid; a handle, or -1. */
CLAVE_IMPORT_("teaclave_open_input") int teaclave_open_input(char *fid);
/* Create the task output bound to the name fid; a handle, or -1.  Each
 * output may be created once per run. */
CLAVE_IMPORT_("teaclave_create_output") int teaclave_create_output(char *fid);
/* Read up to size bytes: the count, 0 at the end, -1 on error. */
CLAVE_IMPORT_("teaclave_read_file")
int teaclave_read_file(int fd, char *buf, int size);
/* Write size bytes: the count (all of them), or -1 on error (including an
 * output grown past the run's output limit). */
CLAVE_IMPORT_("teaclave_write_file")
int teaclave_write_file(int fd, char *buf, int size);
/* Close a handle: 0, or -1. */
CLAVE_IMPORT_("teaclave_close_file") int teaclave_close_file(int fd);

/* ---- strings and arguments ---------------------------------------------- */

static inline int clave_strlen(const char *s) {
  int n = 0;
  while (s[n]) n++;
  return n;
}

static inline int clave_streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* The value of argument key, or fallback when the task did not pass it. */
static inline const char *clave_arg(int argc, char **argv, const char *key,
                                    const char *fallback) {
  for (int i = 0; i + 1 < argc; i += 2)
    if (clave_streq(argv[i], key)) return argv[i + 1];
  return fallback;
}

/* Parse a decimal integer (optional sign, surrounding blanks allowed) from
 * s[0..len).  0 and *out set on success, -1 if it is not one. */
static inline int clave_parse_i64(const char *s, int len, long long *out) {
  int i = 0, neg = 0, digits = 0;
  unsigned long long v = 0, limit;
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r'))
    i++;
  if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  limit = 9223372036854775807ull + (unsigned long long)neg;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
    unsigned long long d = (unsigned long long)(s[i] - '0');
    if (v > (limit - d) / 10) return -1;
    v = v * 10 + d;
  }
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r'))
    i++;
  if (!digits || i != len) return -1;
  *out = neg ? (long long)(0 - v) : (long long)v;
  return 0;
}

/* Write v in decimal into buf (room for 21 bytes); returns the length.
 * No NUL is added. */
static inline int clave_format_i64(long long v, char *buf) {
  char tmp[20];
  int n = 0, len = 0;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                               : (unsigned long long)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[len++] = '-';
  while (n) buf[len++] = tmp[--n];
  return len;
}

/* ---- files -------------------------------------------------------------- */

/* Read the whole file behind fd into buf: the byte count, -1 on a read
 * error, -2 when it does not fit in cap bytes. */
static inline int clave_read_all(int fd, char *buf, int cap) {
  int n = 0;
  for (;;) {
    if (n == cap) {
      char probe;
      int r = teaclave_read_file(fd, &probe, 1);
      return r == 0 ? n : r < 0 ? -1 : -2;
    }
    int r = teaclave_read_file(fd, buf + n, cap - n);
    if (r < 0) return -1;
    if (r == 0) return n;
    n += r;
  }
}

/* Write all len bytes: 0, or -1. */
static inline int clave_write_all(int fd, const char *buf, int len) {
  while (len > 0) {
    int r = teaclave_write_file(fd, (char *)buf, len);
    if (r <= 0) return -1;
    buf += r;
    len -= r;
  }
  return 0;
}

static inline int clave_write_str(int fd, const char *s) {
  return clave_write_all(fd, s, clave_strlen(s));
}

/* Open input fid, read it whole into buf, close it: the byte count or a
 * negative value (-1 cannot open or read, -2 too large for cap). */
static inline int clave_input_read(const char *fid, char *buf, int cap) {
  int fd = teaclave_open_input((char *)fid);
  if (fd < 0) return -1;
  int n = clave_read_all(fd, buf, cap);
  teaclave_close_file(fd);
  return n;
}

/* Create output fid and write len bytes to it: 0, or -1. */
static inline int clave_output_write(const char *fid, const char *buf,
                                     int len) {
  int fd = teaclave_create_output((char *)fid);
  if (fd < 0) return -1;
  int r = clave_write_all(fd, buf, len);
  if (teaclave_close_file(fd) != 0) r = -1;
  return r;
}

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_PAYLOAD_H */
