/*
 * blob.c - content-addressed blobs, named by their SHA-256.
 *
 * Payloads and file contents can be tens of MiB: keeping large ones out of
 * SQLite keeps the database small and lets an upload be streamed to disk
 * while its hash is computed.  A large blob is written to a temporary
 * file, fsync'ed, then renamed to blobs/<sha256> (and the folder fsync'ed)
 * before anything can refer to it, so a crash, even of the machine, leaves
 * either the whole blob or nothing under its name.
 *
 * Small blobs (up to CS_INLINE_MAX: task outputs, most inputs) go into the
 * database's blobs table instead, in the same transaction as the record
 * that refers to them.  They cost no fsync of their own, yet the record
 * and its content are committed together or not at all: after a crash of
 * the process every committed result is there, and after a crash of the
 * machine no committed record can point to a blob that is missing (see
 * sqlite.c on what synchronous=NORMAL gives).  A stream is kept in memory
 * until it outgrows that size.  Since the name is the hash, the same
 * content stored twice is one blob.  Reads check the hash again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clave/crypto.h"
#include "crypto/cerr.h"
#include "store/store_int.h"

struct clave_blob_writer {
  clave_store *store;
  int fd;          /* -1 while the content fits in buf */
  char tmp[4096];
  uint8_t *buf;    /* the content while it is small */
  size_t buf_len;
  EVP_MD_CTX *md;
  uint64_t size, max;
};

static int cs_valid_sha(const char *hex) {
  if (!hex || strlen(hex) != 64) return 0;
  for (int i = 0; i < 64; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
      return 0;
  return 1;
}

static void cs_blob_path(clave_store *store, const char *sha, char *out,
                         size_t cap) {
  snprintf(out, cap, "%s/%s", cs_blob_dir(store), sha);
}

static clave_status cs_write_all(clave_blob_writer *w, const uint8_t *p,
                                 size_t left, clave_error *err) {
  while (left) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return cv_err(err, CLAVE_EIO, "%s: write failed: %s", w->tmp,
                    strerror(errno));
    p += n;
    left -= (size_t)n;
  }
  return CLAVE_OK;
}

clave_status clave_blob_begin(clave_store *store, uint64_t max_bytes,
                              clave_blob_writer **out, clave_error *err) {
  *out = NULL;
  clave_blob_writer *w = calloc(1, sizeof *w);
  if (!w) return cv_err(err, CLAVE_ENOMEM, "out of memory");
  w->store = store;
  w->max = max_bytes;
  w->fd = -1;
  w->md = EVP_MD_CTX_new();
  if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
    clave_blob_abort(w);
    return cv_err(err, CLAVE_ENOMEM, "cannot start SHA-256");
  }
  *out = w;
  return CLAVE_OK;
}

/* The content outgrew memory: continue in a temporary file. */
static clave_status cs_spill(clave_blob_writer *w, clave_error *err) {
  snprintf(w->tmp, sizeof w->tmp, "%s/.tmp-XXXXXX", cs_blob_dir(w->store));
  w->fd = mkostemp(w->tmp, O_CLOEXEC);
  if (w->fd < 0) {
    w->tmp[0] = 0;
    return cv_err(err, CLAVE_EIO, "%s: cannot create blob: %s",
                  cs_blob_dir(w->store), strerror(errno));
  }
  clave_status st = cs_write_all(w, w->buf, w->buf_len, err);
  free(w->buf);
  w->buf = NULL;
  w->buf_len = 0;
  return st;
}

clave_status clave_blob_write(clave_blob_writer *w, const void *data,
                              size_t len, clave_error *err) {
  if (w->max && w->size + len > w->max)
    return cv_err(err, CLAVE_ELIMIT, "content larger than %llu bytes",
                  (unsigned long long)w->max);
  if (w->fd < 0 && w->buf_len + len <= CS_INLINE_MAX) {
    if (!w->buf && !(w->buf = malloc(CS_INLINE_MAX)))
      return cv_err(err, CLAVE_ENOMEM, "out of memory");
    memcpy(w->buf + w->buf_len, data, len);
    w->buf_len += len;
  } else {
    clave_status st = w->fd < 0 ? cs_spill(w, err) : CLAVE_OK;
    if (!st) st = cs_write_all(w, data, len, err);
    if (st) return st;
  }
  EVP_DigestUpdate(w->md, data, len);
  w->size += len;
  return CLAVE_OK;
}

clave_status clave_blob_finish(clave_blob_writer *w, char *sha256_hex,
                               uint64_t *size, clave_error *err) {
  uint8_t digest[32];
  unsigned dlen = 0;
  EVP_DigestFinal_ex(w->md, digest, &dlen);
  clave_crypto_hex(digest, 32, sha256_hex);
  if (size) *size = w->size;
  if (w->fd < 0) {
    clave_status st = cs_inline_put(w->store, sha256_hex, w->buf, w->buf_len,
                                    err);
    clave_blob_abort(w);
    return st;
  }
  if (fsync(w->fd) != 0) {
    clave_status st = cv_err(err, CLAVE_EIO, "%s: fsync failed: %s", w->tmp,
                             strerror(errno));
    clave_blob_abort(w);
    return st;
  }
  close(w->fd);
  w->fd = -1;
  char path[4200];
  cs_blob_path(w->store, sha256_hex, path, sizeof path);
  if (rename(w->tmp, path) != 0) {
    clave_status st = cv_err(err, CLAVE_EIO, "%s: cannot store blob: %s",
                             path, strerror(errno));
    clave_blob_abort(w);
    return st;
  }
  w->tmp[0] = 0;
  /* make the rename durable */
  int dfd = open(cs_blob_dir(w->store), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  clave_blob_abort(w);
  return CLAVE_OK;
}

void clave_blob_abort(clave_blob_writer *w) {
  if (!w) return;
  if (w->fd >= 0) close(w->fd);
  if (w->tmp[0]) unlink(w->tmp);
  free(w->buf);
  EVP_MD_CTX_free(w->md);
  free(w);
}

clave_status clave_blob_put(clave_store *store, const void *data, size_t len,
                            char *sha256_hex, clave_error *err) {
  if (len <= CS_INLINE_MAX) {
    uint8_t digest[32];
    clave_crypto_sha256(data, len, digest);
    clave_crypto_hex(digest, 32, sha256_hex);
    return cs_inline_put(store, sha256_hex, data, len, err);
  }
  clave_blob_writer *w;
  clave_status st = clave_blob_begin(store, 0, &w, err);
  if (st) return st;
  st = clave_blob_write(w, data, len, err);
  if (st) {
    clave_blob_abort(w);
    return st;
  }
  return clave_blob_finish(w, sha256_hex, NULL, err);
}

int clave_blob_exists(clave_store *store, const char *sha256_hex) {
  if (!cs_valid_sha(sha256_hex)) return 0;
  uint8_t *data;
  size_t len;
  if (cs_inline_get(store, sha256_hex, &data, &len, NULL) == 1) {
    free(data);
    return 1;
  }
  char path[4200];
  cs_blob_path(store, sha256_hex, path, sizeof path);
  return access(path, R_OK) == 0;
}

clave_status clave_blob_get(clave_store *store, const char *sha256_hex,
                            uint8_t **data, size_t *len, clave_error *err) {
  *data = NULL;
  *len = 0;
  if (!cs_valid_sha(sha256_hex))
    return cv_err(err, CLAVE_EARG, "bad blob name '%.80s'",
                  sha256_hex ? sha256_hex : "");
  uint8_t *buf = NULL;
  size_t n = 0, got = 0;
  int in_db = cs_inline_get(store, sha256_hex, &buf, &n, err);
  if (in_db < 0) return err ? err->status : CLAVE_EIO;
  if (in_db) {
    got = n;
  } else {
    char path[4200];
    cs_blob_path(store, sha256_hex, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return cv_err(err, errno == ENOENT ? CLAVE_ENOTFOUND : CLAVE_EIO,
                    "blob %s: %s", sha256_hex, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
      close(fd);
      return cv_err(err, CLAVE_EIO, "blob %s: %s", sha256_hex,
                    strerror(errno));
    }
    n = (size_t)sb.st_size;
    buf = malloc(n ? n : 1);
    if (!buf) {
      close(fd);
      return cv_err(err, CLAVE_ENOMEM, "blob %s: out of memory (%zu bytes)",
                    sha256_hex, n);
    }
    while (got < n) {
      ssize_t r = read(fd, buf + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    close(fd);
  }
  uint8_t digest[32];
  char hex[65];
  clave_crypto_sha256(buf, got, digest);
  clave_crypto_hex(digest, 32, hex);
  if (got != n || strcmp(hex, sha256_hex) != 0) {
    free(buf);
    return cv_err(err, CLAVE_EIO,
                  "blob %s is damaged on disk (its content no longer has "
                  "its hash)",
                  sha256_hex);
  }
  *data = buf;
  *len = n;
  return CLAVE_OK;
}
