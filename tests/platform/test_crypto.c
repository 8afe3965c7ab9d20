/*
 * test_crypto.c - file schemes against vectors made by another
 * implementation (Python cryptography's AESGCM), tamper detection, the
 * master key file rules, sealing, password hashing and strength rules.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clave/crypto.h"
#include "tp.h"

static void unhex(const char *h, uint8_t *out, size_t *n) {
  clave_error err;
  if (clave_crypto_unhex(h, out, 4096, n, &err)) abort();
}

static void test_vectors(void) {
  /* AESGCM(key).encrypt(iv, b"hello clave", bytes(8)) from Python */
  static const struct {
    const char *scheme, *file_hex;
    size_t key_len;
  } v[] = {
      {"aes-gcm-128", "720722c9b422db96fa48325c32b188f96cf121a4240f6eb18083cd",
       16},
      {"aes-gcm-256", "207eb20a16c935f25f143aa8ca9655740d70918bc18ccef347b77b",
       32},
  };
  for (size_t i = 0; i < 2; i++) {
    uint8_t key[32], iv[12], want[64];
    size_t want_len;
    for (int j = 0; j < 32; j++) key[j] = (uint8_t)j;
    for (int j = 0; j < 12; j++) iv[j] = (uint8_t)(100 + j);
    unhex(v[i].file_hex, want, &want_len);
    clave_file_crypto fc;
    clave_error err;
    TP_CHECK_INT(clave_file_crypto_init(&fc, v[i].scheme, key, v[i].key_len,
                                        iv, 12, &err),
                 CLAVE_OK);
    uint8_t *out, tag[16];
    size_t out_len;
    TP_CHECK_INT(clave_file_encrypt(&fc, (const uint8_t *)"hello clave", 11,
                                    &out, &out_len, tag, &err),
                 CLAVE_OK);
    TP_CHECK_INT(out_len, want_len);
    TP_CHECK(memcmp(out, want, want_len) == 0);
    TP_CHECK(memcmp(tag, want + want_len - 16, 16) == 0);
    uint8_t *plain;
    size_t plain_len;
    TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, tag, &plain,
                                    &plain_len, &err),
                 CLAVE_OK);
    TP_CHECK_INT(plain_len, 11);
    TP_CHECK(memcmp(plain, "hello clave", 11) == 0);
    free(plain);

    /* a flipped ciphertext bit */
    out[3] ^= 1;
    TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, tag, &plain,
                                    &plain_len, &err),
                 CLAVE_EARG);
    TP_CHECK_STR(err.message, "authentication tag mismatch");
    TP_CHECK(plain == NULL);
    out[3] ^= 1;
    /* a registered tag that is not the file's */
    uint8_t other[16];
    memcpy(other, tag, 16);
    other[0] ^= 0x80;
    TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, other, &plain,
                                    &plain_len, &err),
                 CLAVE_EARG);
    TP_CHECK_STR(err.message, "authentication tag mismatch");
    /* a file shorter than a tag */
    TP_CHECK_INT(
        clave_file_decrypt(&fc, out, 5, NULL, &plain, &plain_len, &err),
        CLAVE_EARG);
    TP_CHECK(strstr(err.message, "too short") != NULL);
    free(out);
  }
}

static void test_init_errors(void) {
  clave_file_crypto fc;
  clave_error err;
  uint8_t key[32] = {0}, iv[12] = {0};
  TP_CHECK_INT(clave_file_crypto_init(&fc, "aes-gcm-128", key, 32, iv, 12,
                                      &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message, "aes-gcm-128 needs a 16-byte key, got 32 bytes");
  TP_CHECK_INT(clave_file_crypto_init(&fc, "aes-gcm-256", key, 32, iv, 11,
                                      &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message, "aes-gcm-256 needs a 12-byte iv, got 11 bytes");
  TP_CHECK_INT(clave_file_crypto_init(&fc, "teaclave-file-128", key, 16, iv,
                                      12, &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message,
               "unknown crypto scheme 'teaclave-file-128' (expected raw, "
               "aes-gcm-128 or aes-gcm-256)");
  TP_CHECK_INT(clave_file_crypto_init(&fc, "raw", NULL, 0, NULL, 0, &err),
               CLAVE_OK);
  TP_CHECK_INT(fc.scheme, CLAVE_CRYPTO_RAW);
}

static void test_raw_and_empty(void) {
  clave_file_crypto fc;
  clave_error err;
  TP_CHECK_INT(clave_file_crypto_init(&fc, "raw", NULL, 0, NULL, 0, &err), 0);
  uint8_t *out, tag[16], *plain;
  size_t out_len, plain_len;
  TP_CHECK_INT(clave_file_encrypt(&fc, (const uint8_t *)"abc", 3, &out,
                                  &out_len, tag, &err),
               0);
  TP_CHECK_INT(out_len, 3);
  /* raw tag: first 16 bytes of SHA-256("abc") */
  char hex[33];
  clave_crypto_hex(tag, 16, hex);
  TP_CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223");
  TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, tag, &plain, &plain_len,
                                  &err),
               0);
  free(plain);
  out[0] = 'x';
  TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, tag, &plain, &plain_len,
                                  &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message, "authentication tag mismatch");
  free(out);

  /* an empty aes-gcm file is just its tag */
  TP_CHECK_INT(clave_file_crypto_generate(&fc, CLAVE_CRYPTO_AES_GCM_256, &err),
               0);
  TP_CHECK_INT(clave_file_encrypt(&fc, NULL, 0, &out, &out_len, tag, &err), 0);
  TP_CHECK_INT(out_len, 16);
  TP_CHECK_INT(clave_file_decrypt(&fc, out, out_len, tag, &plain, &plain_len,
                                  &err),
               0);
  TP_CHECK_INT(plain_len, 0);
  TP_CHECK(plain != NULL);
  free(plain);
  free(out);
}

static void test_master_key(void) {
  char dir[] = "/tmp/clave-test-crypto-XXXXXX";
  TP_CHECK(mkdtemp(dir) != NULL);
  char path[256];
  snprintf(path, sizeof path, "%s/master.key", dir);
  uint8_t k1[32], k2[32];
  clave_error err;
  TP_CHECK_INT(clave_master_key_load(path, 0, k1, &err), CLAVE_EIO);
  TP_CHECK(strstr(err.message, "cannot open master key") != NULL);
  TP_CHECK_INT(clave_master_key_load(path, 1, k1, &err), CLAVE_OK);
  struct stat sb;
  TP_CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
  TP_CHECK_INT(clave_master_key_load(path, 1, k2, &err), CLAVE_OK);
  TP_CHECK(memcmp(k1, k2, 32) == 0);

  chmod(path, 0644);
  TP_CHECK_INT(clave_master_key_load(path, 0, k2, &err), CLAVE_EARG);
  char want[512];
  snprintf(want, sizeof want,
           "%s: master key has mode 644; it must be readable by its owner "
           "only (chmod 600)",
           path);
  TP_CHECK_STR(err.message, want);
  chmod(path, 0600);
  int fd = open(path, O_WRONLY | O_APPEND);
  TP_CHECK(write(fd, "x", 1) == 1);
  close(fd);
  TP_CHECK_INT(clave_master_key_load(path, 0, k2, &err), CLAVE_EARG);
  snprintf(want, sizeof want,
           "%s: master key must be exactly 32 bytes, found more than 32",
           path);
  TP_CHECK_STR(err.message, want);

  /* sealing: round trip, wrong purpose, wrong key, tampering */
  uint8_t *sealed, *opened;
  size_t sealed_len, opened_len;
  TP_CHECK_INT(clave_crypto_seal(k1, "file:input-1", (const uint8_t *)"secret",
                                 6, &sealed, &sealed_len, &err),
               0);
  TP_CHECK_INT(sealed_len, 12 + 6 + 16);
  TP_CHECK_INT(clave_crypto_unseal(k1, "file:input-1", sealed, sealed_len,
                                   &opened, &opened_len, &err),
               0);
  TP_CHECK(opened_len == 6 && memcmp(opened, "secret", 6) == 0);
  free(opened);
  TP_CHECK_INT(clave_crypto_unseal(k1, "file:input-2", sealed, sealed_len,
                                   &opened, &opened_len, &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message,
               "sealed value does not open under this master key (wrong "
               "key, or the value was changed)");
  k2[0] ^= 1;
  TP_CHECK_INT(clave_crypto_unseal(k2, "file:input-1", sealed, sealed_len,
                                   &opened, &opened_len, &err),
               CLAVE_EARG);
  TP_CHECK_INT(clave_crypto_unseal(k1, "file:input-1", sealed, 20, &opened,
                                   &opened_len, &err),
               CLAVE_EARG);
  TP_CHECK_STR(err.message, "sealed value too short (20 bytes)");
  free(sealed);
  unlink(path);
  rmdir(dir);
}

static void test_passwords(void) {
  char hash[CLAVE_PASSWORD_HASH_LEN];
  clave_error err;
  TP_CHECK_INT(clave_password_hash("correct horse 42", hash, &err), 0);
  TP_CHECK(strncmp(hash, "$argon2id$", 10) == 0);
  TP_CHECK(clave_password_verify(hash, "correct horse 42"));
  TP_CHECK(!clave_password_verify(hash, "correct horse 43"));
  TP_CHECK(!clave_password_verify("garbage", "x"));
  TP_CHECK_STR(clave_password_weakness("short1"),
               "a password needs at least 10 characters");
  TP_CHECK_STR(clave_password_weakness("onlyletterslong"),
               "a password must mix at least two kinds of characters (lower "
               "case, upper case, digits, symbols)");
  TP_CHECK_STR(clave_password_weakness("ab12ab12ab12"),
               "a password needs at least 5 different characters");
  TP_CHECK(clave_password_weakness("Tr0ub4dor&3x") == NULL);
}

static void test_hex(void) {
  uint8_t out[4];
  size_t n;
  clave_error err;
  TP_CHECK_INT(clave_crypto_unhex("0aFf", out, 4, &n, &err), 0);
  TP_CHECK(n == 2 && out[0] == 0x0a && out[1] == 0xff);
  TP_CHECK_INT(clave_crypto_unhex("abc", out, 4, &n, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "hex string has an odd length (3)");
  TP_CHECK_INT(clave_crypto_unhex("zz", out, 4, &n, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "bad hex digit at offset 0");
  TP_CHECK_INT(clave_crypto_unhex("0011223344", out, 4, &n, &err), CLAVE_EARG);
  TP_CHECK_STR(err.message, "hex string too long: 5 bytes, at most 4");
}

int main(void) {
  TP_RUN(test_vectors);
  TP_RUN(test_init_errors);
  TP_RUN(test_raw_and_empty);
  TP_RUN(test_master_key);
  TP_RUN(test_passwords);
  TP_RUN(test_hex);
  return tp_finish();
}
