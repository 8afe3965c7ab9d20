/*
 * blob.c - content-addressed blobs beside the database.
 *
 * Payloads and file contents can be tens of MiB: keeping them out of
 * SQLite keeps the database small and lets an upload be streamed to disk
 * while its hash is computed.  A blob is written to a temporary file,
 * fsync'ed, then renamed to blobs/<sha256>, so a crash leaves either the
 * whole blob or nothing under its name; since the name is the hash, the
 * same content stored twice is one file.  Reads check the hash again.
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
  int fd;
  char tmp[4096];
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

clave_status clave_blob_begin(clave_store *store, uint64_t max_bytes,
                              clave_blob_writer **out, clave_error *err) {
  *out = NULL;
  clave_blob_writer *w = calloc(1, sizeof *w);
  if (!w) return cv_err(err, CLAVE_ENOMEM, "out of memory");
  w->store = store;
  w->max = max_bytes;
  snprintf(w->tmp, sizeof w->tmp, "%s/.tmp-XXXXXX", cs_blob_dir(store));
  w->fd = mkostemp(w->tmp, O_CLOEXEC);
  if (w->fd < 0) {
    clave_status st = cv_err(err, CLAVE_EIO, "%s: cannot create blob: %s",
                             cs_blob_dir(store), strerror(errno));
    free(w);
    return st;
  }
  w->md = EVP_MD_CTX_new();
  if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
    clave_blob_abort(w);
    return cv_err(err, CLAVE_ENOMEM, "cannot start SHA-256");
  }
  *out = w;
  return CLAVE_OK;
}

clave_status clave_blob_write(clave_blob_writer *w, const void *data,
                              size_t len, clave_error *err) {
  if (w->max && w->size + len > w->max)
    return cv_err(err, CLAVE_ELIMIT, "content larger than %llu bytes",
                  (unsigned long long)w->max);
  const uint8_t *p = data;
  size_t left = len;
  while (left) {
    ssize_t n = write(w->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return cv_err(err, CLAVE_EIO, "%s: write failed: %s", w->tmp,
                    strerror(errno));
    p += n;
    left -= (size_t)n;
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
  /* make the rename durable */
  int dfd = open(cs_blob_dir(w->store), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  EVP_MD_CTX_free(w->md);
  free(w);
  return CLAVE_OK;
}

void clave_blob_abort(clave_blob_writer *w) {
  if (!w) return;
  if (w->fd >= 0) close(w->fd);
  unlink(w->tmp);
  EVP_MD_CTX_free(w->md);
  free(w);
}

clave_status clave_blob_put(clave_store *store, const void *data, size_t len,
                            char *sha256_hex, clave_error *err) {
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
  char path[4200];
  cs_blob_path(store, sha256_hex, path, sizeof path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cv_err(err, errno == ENOENT ? CLAVE_ENOTFOUND : CLAVE_EIO,
                  "blob %s: %s", sha256_hex, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return cv_err(err, CLAVE_EIO, "blob %s: %s", sha256_hex, strerror(errno));
  }
  size_t n = (size_t)sb.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    close(fd);
    return cv_err(err, CLAVE_ENOMEM, "blob %s: out of memory (%zu bytes)",
                  sha256_hex, n);
  }
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
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
