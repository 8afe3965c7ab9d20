/*
 * clave/crypto.h - file encryption schemes, the server master key, password
 * hashing and the small helpers (random, SHA-256, hex) the platform uses.
 *
 * File schemes are Teaclave's: for aes-gcm-128 and aes-gcm-256 a file is
 * the ciphertext followed by the 16-byte GCM tag, encrypted with the 12-byte
 * IV given at registration and an AAD of 8 zero bytes; the registered tag
 * ("cmac") must equal the file's last 16 bytes.  raw is plaintext and is
 * accepted for inputs only.
 *
 * Keys that the server keeps are sealed under a 32-byte master key with
 * AES-256-GCM (random IV, stored beside the ciphertext).  Nothing here keeps
 * global state; every call that can fail fills a clave_error.
 */
#ifndef CLAVE_CRYPTO_H
#define CLAVE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "clave/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_CRYPTO_TAG_LEN 16
#define CLAVE_CRYPTO_IV_LEN 12
#define CLAVE_CRYPTO_MAX_KEY_LEN 32
#define CLAVE_CRYPTO_AAD_LEN 8
#define CLAVE_MASTER_KEY_LEN 32
/* libsodium's crypto_pwhash_STRBYTES */
#define CLAVE_PASSWORD_HASH_LEN 128

typedef enum clave_crypto_scheme {
  CLAVE_CRYPTO_RAW = 0,
  CLAVE_CRYPTO_AES_GCM_128 = 1,
  CLAVE_CRYPTO_AES_GCM_256 = 2
} clave_crypto_scheme;

typedef struct clave_file_crypto {
  clave_crypto_scheme scheme;
  uint8_t key[CLAVE_CRYPTO_MAX_KEY_LEN];
  uint8_t iv[CLAVE_CRYPTO_IV_LEN];
} clave_file_crypto;

/* "raw", "aes-gcm-128", "aes-gcm-256". */
const char *clave_crypto_scheme_name(clave_crypto_scheme scheme);
/* Parse a scheme name; "teaclave-file-128" is refused by name. */
clave_status clave_crypto_scheme_parse(const char *name,
                                       clave_crypto_scheme *out,
                                       clave_error *err);
/* Key length in bytes (0 for raw). */
size_t clave_crypto_key_len(clave_crypto_scheme scheme);

/* Fill fc from a scheme name and key/iv bytes, checking their lengths
 * (raw takes an empty key and iv). */
clave_status clave_file_crypto_init(clave_file_crypto *fc, const char *scheme,
                                    const uint8_t *key, size_t key_len,
                                    const uint8_t *iv, size_t iv_len,
                                    clave_error *err);
/* A fresh random key and IV for the scheme. */
clave_status clave_file_crypto_generate(clave_file_crypto *fc,
                                        clave_crypto_scheme scheme,
                                        clave_error *err);

/* Encrypt into the file format (ciphertext || tag; raw: a copy).  *out is
 * malloc'ed.  tag receives the 16-byte tag (raw: the first 16 bytes of the
 * SHA-256 of the content, the platform's integrity tag for raw files). */
clave_status clave_file_encrypt(const clave_file_crypto *fc,
                                const uint8_t *plain, size_t len,
                                uint8_t **out, size_t *out_len,
                                uint8_t tag[CLAVE_CRYPTO_TAG_LEN],
                                clave_error *err);
/* Decrypt a file.  When expected_tag is given it must equal the file's tag
 * (raw: its SHA-256 prefix).  A wrong tag or a tampered ciphertext fails
 * with "authentication tag mismatch".  *out is malloc'ed (never NULL on
 * success, even for an empty file). */
clave_status clave_file_decrypt(const clave_file_crypto *fc,
                                const uint8_t *data, size_t len,
                                const uint8_t *expected_tag, uint8_t **out,
                                size_t *out_len, clave_error *err);
/* The tag a stored file carries (its last 16 bytes; raw: SHA-256 prefix). */
clave_status clave_file_tag(clave_crypto_scheme scheme, const uint8_t *data,
                            size_t len, uint8_t tag[CLAVE_CRYPTO_TAG_LEN],
                            clave_error *err);

/* ---- master key and sealing ------------------------------------------- */

/* Load the master key from path; create it (mode 0600, random) when absent
 * and create is set.  Refuses a file readable by group or others and a
 * file of the wrong size. */
clave_status clave_master_key_load(const char *path, int create,
                                   uint8_t key[CLAVE_MASTER_KEY_LEN],
                                   clave_error *err);
/* Seal: iv(12) || ciphertext || tag(16) under the master key; aad binds the
 * sealed value to its use (for example a file id). */
clave_status clave_crypto_seal(const uint8_t key[CLAVE_MASTER_KEY_LEN],
                               const char *aad, const uint8_t *plain,
                               size_t len, uint8_t **out, size_t *out_len,
                               clave_error *err);
clave_status clave_crypto_unseal(const uint8_t key[CLAVE_MASTER_KEY_LEN],
                                 const char *aad, const uint8_t *sealed,
                                 size_t len, uint8_t **out, size_t *out_len,
                                 clave_error *err);

/* ---- passwords (Argon2id, libsodium) ----------------------------------- */

clave_status clave_password_hash(const char *password,
                                 char out[CLAVE_PASSWORD_HASH_LEN],
                                 clave_error *err);
/* 1 when password matches the stored hash, 0 otherwise. */
int clave_password_verify(const char *hash, const char *password);
/* NULL when strong enough, else why not ("at least 10 characters ..."). */
const char *clave_password_weakness(const char *password);

/* ---- helpers ------------------------------------------------------------ */

clave_status clave_crypto_random(uint8_t *buf, size_t len, clave_error *err);
void clave_crypto_sha256(const void *data, size_t len, uint8_t out[32]);
/* Constant-time comparison: 1 when equal. */
int clave_crypto_equal(const void *a, const void *b, size_t len);
/* Lower-case hex; out has room for 2*len+1 bytes. */
void clave_crypto_hex(const uint8_t *data, size_t len, char *out);
/* Decode hex (either case) into out (room for max bytes). */
clave_status clave_crypto_unhex(const char *hex, uint8_t *out, size_t max,
                                size_t *len, clave_error *err);
/* Zero memory in a way the compiler keeps. */
void clave_crypto_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CLAVE_CRYPTO_H */
