/*
 * wire.c - length-prefixed frames on the socket between the server and a
 * task child: 8-byte little-endian length, then the bytes.
 *
 * The reader bounds every frame before allocating, so a confused or
 * hostile peer cannot make the other side allocate what it likes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

static clave_status cp_write_all(int fd, const uint8_t *p, size_t n,
                                 clave_error *err) {
  while (n) {
    /* a socket: no SIGPIPE when the peer is gone, just EPIPE */
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0)
      return cv_err(err, CLAVE_EIO, "pipe write failed: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
  return CLAVE_OK;
}

static clave_status cp_read_all(int fd, uint8_t *p, size_t n,
                                clave_error *err) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return cv_err(err, CLAVE_EIO, "pipe read failed: %s", strerror(errno));
    if (r == 0) return cv_err(err, CLAVE_EIO, "pipe closed early");
    p += r;
    n -= (size_t)r;
  }
  return CLAVE_OK;
}

clave_status cp_wire_write(int fd, const void *data, size_t len,
                           clave_error *err) {
  uint8_t hdr[8];
  for (int i = 0; i < 8; i++) hdr[i] = (uint8_t)((uint64_t)len >> (8 * i));
  clave_status st = cp_write_all(fd, hdr, 8, err);
  if (!st && len) st = cp_write_all(fd, data, len, err);
  return st;
}

clave_status cp_wire_read(int fd, uint64_t max, uint8_t **data, size_t *len,
                          clave_error *err) {
  *data = NULL;
  *len = 0;
  uint8_t hdr[8];
  clave_status st = cp_read_all(fd, hdr, 8, err);
  if (st) return st;
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)hdr[i] << (8 * i);
  if (n > max)
    return cv_err(err, CLAVE_ELIMIT, "frame of %llu bytes exceeds %llu",
                  (unsigned long long)n, (unsigned long long)max);
  uint8_t *buf = malloc(n ? n + 1 : 1);
  if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory (%llu bytes)",
                          (unsigned long long)n);
  st = cp_read_all(fd, buf, n, err);
  if (st) {
    free(buf);
    return st;
  }
  buf[n] = 0; /* frames holding text can be used as C strings */
  *data = buf;
  *len = n;
  return CLAVE_OK;
}
