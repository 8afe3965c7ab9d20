/*
 * keys.c - the server master key, sealing of stored secrets, and password
 * hashes.
 *
 * The master key is 32 random bytes in a file of mode 0600 in the data
 * folder (or a file the operator names).  A key file readable by anyone but
 * its owner is refused rather than silently used.  Sealed values carry
 * their own random IV and are bound to a purpose string (AAD) so a sealed
 * key of one file cannot be swapped in for another's.  Passwords are
 * Argon2id strings from libsodium (salt and cost inside the string).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clave/crypto.h"
#include "crypto/cerr.h"

clave_status cv_gcm256(const uint8_t *key, const uint8_t *iv,
                       const uint8_t *aad, size_t aad_len, int enc,
                       const uint8_t *in, size_t len, uint8_t *out,
                       uint8_t *tag, clave_error *err);

static clave_status cv_read_all(int fd, uint8_t *buf, size_t want,
                                size_t *got) {
  size_t n = 0;
  while (n < want) {
    ssize_t r = read(fd, buf + n, want - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return CLAVE_EIO;
    if (r == 0) break;
    n += (size_t)r;
  }
  *got = n;
  return CLAVE_OK;
}

clave_status clave_master_key_load(const char *path, int create,
                                   uint8_t key[CLAVE_MASTER_KEY_LEN],
                                   clave_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && create) {
    uint8_t fresh[CLAVE_MASTER_KEY_LEN];
    clave_status st = clave_crypto_random(fresh, sizeof fresh, err);
    if (st) return st;
    int wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (wfd < 0)
      return cv_err(err, CLAVE_EIO, "%s: cannot create master key: %s", path,
                    strerror(errno));
    ssize_t w = write(wfd, fresh, sizeof fresh);
    int ok = w == (ssize_t)sizeof fresh && fsync(wfd) == 0;
    int saved = errno;
    close(wfd);
    clave_crypto_wipe(fresh, sizeof fresh);
    if (!ok) {
      unlink(path);
      return cv_err(err, CLAVE_EIO, "%s: cannot write master key: %s", path,
                    strerror(saved));
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0)
    return cv_err(err, CLAVE_EIO, "%s: cannot open master key: %s", path,
                  strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return cv_err(err, CLAVE_EIO, "%s: cannot stat master key: %s", path,
                  strerror(errno));
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return cv_err(err, CLAVE_EARG, "%s: master key is not a regular file",
                  path);
  }
  if (sb.st_mode & 077) {
    close(fd);
    return cv_err(err, CLAVE_EARG,
                  "%s: master key has mode %03o; it must be readable by its "
                  "owner only (chmod 600)",
                  path, (unsigned)(sb.st_mode & 0777));
  }
  uint8_t buf[CLAVE_MASTER_KEY_LEN + 1];
  size_t got = 0;
  clave_status st = cv_read_all(fd, buf, sizeof buf, &got);
  close(fd);
  if (st)
    return cv_err(err, CLAVE_EIO, "%s: cannot read master key: %s", path,
                  strerror(errno));
  if (got != CLAVE_MASTER_KEY_LEN) {
    clave_crypto_wipe(buf, sizeof buf);
    return cv_err(err, CLAVE_EARG,
                  "%s: master key must be exactly %d bytes, found %s%zu",
                  path, CLAVE_MASTER_KEY_LEN,
                  got > CLAVE_MASTER_KEY_LEN ? "more than " : "",
                  got > CLAVE_MASTER_KEY_LEN ? (size_t)CLAVE_MASTER_KEY_LEN
                                             : got);
  }
  memcpy(key, buf, CLAVE_MASTER_KEY_LEN);
  clave_crypto_wipe(buf, sizeof buf);
  return CLAVE_OK;
}

clave_status clave_crypto_seal(const uint8_t key[CLAVE_MASTER_KEY_LEN],
                               const char *aad, const uint8_t *plain,
                               size_t len, uint8_t **out, size_t *out_len,
                               clave_error *err) {
  *out = NULL;
  *out_len = 0;
  size_t total = CLAVE_CRYPTO_IV_LEN + len + CLAVE_CRYPTO_TAG_LEN;
  uint8_t *buf = malloc(total);
  if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory sealing a key");
  clave_status st = clave_crypto_random(buf, CLAVE_CRYPTO_IV_LEN, err);
  if (!st)
    st = cv_gcm256(key, buf, (const uint8_t *)aad, aad ? strlen(aad) : 0, 1,
                   plain, len, buf + CLAVE_CRYPTO_IV_LEN,
                   buf + CLAVE_CRYPTO_IV_LEN + len, err);
  if (st) {
    free(buf);
    return st;
  }
  *out = buf;
  *out_len = total;
  return CLAVE_OK;
}

clave_status clave_crypto_unseal(const uint8_t key[CLAVE_MASTER_KEY_LEN],
                                 const char *aad, const uint8_t *sealed,
                                 size_t len, uint8_t **out, size_t *out_len,
                                 clave_error *err) {
  *out = NULL;
  *out_len = 0;
  if (len < CLAVE_CRYPTO_IV_LEN + CLAVE_CRYPTO_TAG_LEN)
    return cv_err(err, CLAVE_EARG, "sealed value too short (%zu bytes)", len);
  size_t plen = len - CLAVE_CRYPTO_IV_LEN - CLAVE_CRYPTO_TAG_LEN;
  uint8_t *buf = malloc(plen ? plen : 1);
  if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory unsealing a key");
  uint8_t tag[CLAVE_CRYPTO_TAG_LEN];
  memcpy(tag, sealed + len - CLAVE_CRYPTO_TAG_LEN, sizeof tag);
  clave_status st =
      cv_gcm256(key, sealed, (const uint8_t *)aad, aad ? strlen(aad) : 0, 0,
                sealed + CLAVE_CRYPTO_IV_LEN, plen, buf, tag, err);
  if (st) {
    free(buf);
    return cv_err(err, CLAVE_EARG,
                  "sealed value does not open under this master key "
                  "(wrong key, or the value was changed)");
  }
  *out = buf;
  *out_len = plen;
  return CLAVE_OK;
}

/* ---- passwords ---------------------------------------------------------- */

static clave_status cv_sodium_ready(clave_error *err) {
  /* sodium_init is idempotent and thread-safe; it is not library state of
   * ours. */
  if (sodium_init() < 0)
    return cv_err(err, CLAVE_EIO, "libsodium failed to initialise");
  return CLAVE_OK;
}

clave_status clave_password_hash(const char *password,
                                 char out[CLAVE_PASSWORD_HASH_LEN],
                                 clave_error *err) {
  clave_status st = cv_sodium_ready(err);
  if (st) return st;
  _Static_assert(crypto_pwhash_STRBYTES <= CLAVE_PASSWORD_HASH_LEN,
                 "password hash buffer too small");
  /* interactive limits: about 64 MiB and a fraction of a second, the
   * figure libsodium recommends for logins */
  if (crypto_pwhash_str_alg(out, password, strlen(password),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return cv_err(err, CLAVE_ENOMEM,
                  "password hashing failed (out of memory?)");
  return CLAVE_OK;
}

int clave_password_verify(const char *hash, const char *password) {
  if (!hash || !password || cv_sodium_ready(NULL)) return 0;
  return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

const char *clave_password_weakness(const char *password) {
  size_t n = strlen(password);
  int lower = 0, upper = 0, digit = 0, other = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)password[i];
    if (c >= 'a' && c <= 'z') lower = 1;
    else if (c >= 'A' && c <= 'Z') upper = 1;
    else if (c >= '0' && c <= '9') digit = 1;
    else other = 1;
  }
  if (n < 10) return "a password needs at least 10 characters";
  if (n > 1024) return "a password may have at most 1024 characters";
  if (lower + upper + digit + other < 2)
    return "a password must mix at least two kinds of characters (lower "
           "case, upper case, digits, symbols)";
  size_t distinct = 0;
  unsigned char seen[256] = {0};
  for (size_t i = 0; i < n; i++)
    if (!seen[(unsigned char)password[i]]++) distinct++;
  if (distinct < 5) return "a password needs at least 5 different characters";
  return NULL;
}
