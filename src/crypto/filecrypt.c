/*
 * filecrypt.c - Teaclave's file encryption schemes with OpenSSL EVP.
 *
 * aes-gcm-128/256: file = ciphertext || 16-byte tag, IV from the
 * registration, AAD = 8 zero bytes.  raw: plaintext; its integrity tag is
 * the first 16 bytes of its SHA-256 so that a raw input is also pinned to
 * the bytes its owner registered.  The registered tag is compared (in
 * constant time) before any decryption, and GCM verifies it again, so a
 * changed tag and a changed ciphertext both fail the same way.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "clave/crypto.h"
#include "crypto/cerr.h"

static const uint8_t cv_zero_aad[CLAVE_CRYPTO_AAD_LEN];

const char *clave_crypto_scheme_name(clave_crypto_scheme scheme) {
  switch (scheme) {
    case CLAVE_CRYPTO_RAW: return "raw";
    case CLAVE_CRYPTO_AES_GCM_128: return "aes-gcm-128";
    case CLAVE_CRYPTO_AES_GCM_256: return "aes-gcm-256";
  }
  return "unknown";
}

clave_status clave_crypto_scheme_parse(const char *name,
                                       clave_crypto_scheme *out,
                                       clave_error *err) {
  if (!name) return cv_err(err, CLAVE_EARG, "crypto scheme missing");
  if (!strcmp(name, "raw")) *out = CLAVE_CRYPTO_RAW;
  else if (!strcmp(name, "aes-gcm-128")) *out = CLAVE_CRYPTO_AES_GCM_128;
  else if (!strcmp(name, "aes-gcm-256")) *out = CLAVE_CRYPTO_AES_GCM_256;
  else
    return cv_err(err, CLAVE_EARG,
                  "unknown crypto scheme '%.64s' (expected raw, aes-gcm-128 "
                  "or aes-gcm-256)",
                  name);
  return CLAVE_OK;
}

size_t clave_crypto_key_len(clave_crypto_scheme scheme) {
  switch (scheme) {
    case CLAVE_CRYPTO_AES_GCM_128: return 16;
    case CLAVE_CRYPTO_AES_GCM_256: return 32;
    default: return 0;
  }
}

clave_status clave_file_crypto_init(clave_file_crypto *fc, const char *scheme,
                                    const uint8_t *key, size_t key_len,
                                    const uint8_t *iv, size_t iv_len,
                                    clave_error *err) {
  memset(fc, 0, sizeof *fc);
  clave_status st = clave_crypto_scheme_parse(scheme, &fc->scheme, err);
  if (st) return st;
  size_t want = clave_crypto_key_len(fc->scheme);
  if (fc->scheme == CLAVE_CRYPTO_RAW) {
    /* raw ignores key and iv; Teaclave clients send empty ones */
    return CLAVE_OK;
  }
  if (key_len != want)
    return cv_err(err, CLAVE_EARG, "%s needs a %zu-byte key, got %zu bytes",
                  scheme, want, key_len);
  if (iv_len != CLAVE_CRYPTO_IV_LEN)
    return cv_err(err, CLAVE_EARG, "%s needs a %d-byte iv, got %zu bytes",
                  scheme, CLAVE_CRYPTO_IV_LEN, iv_len);
  memcpy(fc->key, key, key_len);
  memcpy(fc->iv, iv, iv_len);
  return CLAVE_OK;
}

clave_status clave_file_crypto_generate(clave_file_crypto *fc,
                                        clave_crypto_scheme scheme,
                                        clave_error *err) {
  memset(fc, 0, sizeof *fc);
  fc->scheme = scheme;
  if (scheme == CLAVE_CRYPTO_RAW) return CLAVE_OK;
  clave_status st = clave_crypto_random(fc->key, clave_crypto_key_len(scheme),
                                        err);
  if (st) return st;
  return clave_crypto_random(fc->iv, sizeof fc->iv, err);
}

static const EVP_CIPHER *cv_cipher(clave_crypto_scheme scheme) {
  return scheme == CLAVE_CRYPTO_AES_GCM_128 ? EVP_aes_128_gcm()
                                            : EVP_aes_256_gcm();
}

/* One AES-GCM pass.  enc: out = ct, tag written; !enc: out = pt, tag read.
 * OpenSSL takes int lengths, so data is fed in chunks. */
static clave_status cv_gcm(clave_crypto_scheme scheme, const uint8_t *key,
                           const uint8_t *iv, const uint8_t *aad,
                           size_t aad_len, int enc, const uint8_t *in,
                           size_t len, uint8_t *out, uint8_t *tag,
                           clave_error *err) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return cv_err(err, CLAVE_ENOMEM, "cannot allocate cipher context");
  clave_status st = CLAVE_OK;
  int n = 0;
  if (EVP_CipherInit_ex(ctx, cv_cipher(scheme), NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CLAVE_CRYPTO_IV_LEN,
                          NULL) != 1 ||
      EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1 ||
      EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) {
    st = cv_err(err, CLAVE_EARG, "cannot set up %s",
                clave_crypto_scheme_name(scheme));
    goto done;
  }
  size_t off = 0;
  while (off < len) {
    size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
    if (EVP_CipherUpdate(ctx, out + off, &n, in + off, (int)chunk) != 1) {
      st = cv_err(err, CLAVE_EARG, "%s failed at byte %zu",
                  clave_crypto_scheme_name(scheme), off);
      goto done;
    }
    off += chunk;
  }
  if (!enc &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CLAVE_CRYPTO_TAG_LEN,
                          tag) != 1) {
    st = cv_err(err, CLAVE_EARG, "cannot set the GCM tag");
    goto done;
  }
  uint8_t last[16];
  if (EVP_CipherFinal_ex(ctx, last, &n) != 1) {
    st = cv_err(err, CLAVE_EARG, "authentication tag mismatch");
    goto done;
  }
  if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                 CLAVE_CRYPTO_TAG_LEN, tag) != 1)
    st = cv_err(err, CLAVE_EARG, "cannot read the GCM tag");
done:
  EVP_CIPHER_CTX_free(ctx);
  return st;
}

clave_status clave_file_tag(clave_crypto_scheme scheme, const uint8_t *data,
                            size_t len, uint8_t tag[CLAVE_CRYPTO_TAG_LEN],
                            clave_error *err) {
  if (scheme == CLAVE_CRYPTO_RAW) {
    uint8_t h[32];
    clave_crypto_sha256(data, len, h);
    memcpy(tag, h, CLAVE_CRYPTO_TAG_LEN);
    return CLAVE_OK;
  }
  if (len < CLAVE_CRYPTO_TAG_LEN)
    return cv_err(err, CLAVE_EARG,
                  "file of %zu bytes is too short for %s (needs at least the "
                  "16-byte tag)",
                  len, clave_crypto_scheme_name(scheme));
  memcpy(tag, data + len - CLAVE_CRYPTO_TAG_LEN, CLAVE_CRYPTO_TAG_LEN);
  return CLAVE_OK;
}

clave_status clave_file_encrypt(const clave_file_crypto *fc,
                                const uint8_t *plain, size_t len,
                                uint8_t **out, size_t *out_len,
                                uint8_t tag[CLAVE_CRYPTO_TAG_LEN],
                                clave_error *err) {
  *out = NULL;
  *out_len = 0;
  if (fc->scheme == CLAVE_CRYPTO_RAW) {
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory (%zu bytes)", len);
    if (len) memcpy(buf, plain, len);
    clave_file_tag(CLAVE_CRYPTO_RAW, plain, len, tag, err);
    *out = buf;
    *out_len = len;
    return CLAVE_OK;
  }
  if (len > SIZE_MAX - CLAVE_CRYPTO_TAG_LEN)
    return cv_err(err, CLAVE_EARG, "file too large");
  uint8_t *buf = malloc(len + CLAVE_CRYPTO_TAG_LEN);
  if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory (%zu bytes)", len);
  clave_status st = cv_gcm(fc->scheme, fc->key, fc->iv, cv_zero_aad,
                           sizeof cv_zero_aad, 1, plain, len, buf, tag, err);
  if (st) {
    free(buf);
    return st;
  }
  memcpy(buf + len, tag, CLAVE_CRYPTO_TAG_LEN);
  *out = buf;
  *out_len = len + CLAVE_CRYPTO_TAG_LEN;
  return CLAVE_OK;
}

clave_status clave_file_decrypt(const clave_file_crypto *fc,
                                const uint8_t *data, size_t len,
                                const uint8_t *expected_tag, uint8_t **out,
                                size_t *out_len, clave_error *err) {
  *out = NULL;
  *out_len = 0;
  uint8_t tag[CLAVE_CRYPTO_TAG_LEN];
  clave_status st = clave_file_tag(fc->scheme, data, len, tag, err);
  if (st) return st;
  if (expected_tag && !clave_crypto_equal(tag, expected_tag, sizeof tag))
    return cv_err(err, CLAVE_EARG, "authentication tag mismatch");
  size_t plen =
      fc->scheme == CLAVE_CRYPTO_RAW ? len : len - CLAVE_CRYPTO_TAG_LEN;
  uint8_t *buf = malloc(plen ? plen : 1);
  if (!buf) return cv_err(err, CLAVE_ENOMEM, "out of memory (%zu bytes)", plen);
  if (fc->scheme == CLAVE_CRYPTO_RAW) {
    if (plen) memcpy(buf, data, plen);
  } else {
    st = cv_gcm(fc->scheme, fc->key, fc->iv, cv_zero_aad, sizeof cv_zero_aad,
                0, data, plen, buf, tag, err);
    if (st) {
      clave_crypto_wipe(buf, plen);
      free(buf);
      return st;
    }
  }
  *out = buf;
  *out_len = plen;
  return CLAVE_OK;
}

/* ---- helpers ------------------------------------------------------------ */

clave_status clave_crypto_random(uint8_t *buf, size_t len, clave_error *err) {
  while (len) {
    int chunk = len > (1u << 20) ? (1 << 20) : (int)len;
    if (RAND_bytes(buf, chunk) != 1)
      return cv_err(err, CLAVE_EIO, "random number generator failed");
    buf += chunk;
    len -= (size_t)chunk;
  }
  return CLAVE_OK;
}

void clave_crypto_sha256(const void *data, size_t len, uint8_t out[32]) {
  SHA256(len ? data : (const void *)"", len, out);
}

int clave_crypto_equal(const void *a, const void *b, size_t len) {
  const volatile uint8_t *x = a, *y = b;
  uint8_t d = 0;
  for (size_t i = 0; i < len; i++) d |= x[i] ^ y[i];
  return d == 0;
}

void clave_crypto_hex(const uint8_t *data, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  out[2 * len] = 0;
}

static int cv_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

clave_status clave_crypto_unhex(const char *hex, uint8_t *out, size_t max,
                                size_t *len, clave_error *err) {
  size_t n = strlen(hex);
  if (n % 2)
    return cv_err(err, CLAVE_EARG, "hex string has an odd length (%zu)", n);
  if (n / 2 > max)
    return cv_err(err, CLAVE_EARG,
                  "hex string too long: %zu bytes, at most %zu", n / 2, max);
  for (size_t i = 0; i < n; i += 2) {
    int hi = cv_hexval(hex[i]), lo = cv_hexval(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return cv_err(err, CLAVE_EARG, "bad hex digit at offset %zu",
                    hi < 0 ? i : i + 1);
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  *len = n / 2;
  return CLAVE_OK;
}

void clave_crypto_wipe(void *p, size_t len) {
  if (p && len) OPENSSL_cleanse(p, len);
}

/* Shared with keys.c: AES-256-GCM with a caller-chosen AAD. */
clave_status cv_gcm256(const uint8_t *key, const uint8_t *iv,
                       const uint8_t *aad, size_t aad_len, int enc,
                       const uint8_t *in, size_t len, uint8_t *out,
                       uint8_t *tag, clave_error *err);
clave_status cv_gcm256(const uint8_t *key, const uint8_t *iv,
                       const uint8_t *aad, size_t aad_len, int enc,
                       const uint8_t *in, size_t len, uint8_t *out,
                       uint8_t *tag, clave_error *err) {
  return cv_gcm(CLAVE_CRYPTO_AES_GCM_256, key, iv, aad, aad_len, enc, in, len,
                out, tag, err);
}
