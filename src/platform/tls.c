/*
 * tls.c - the server's certificate: the operator's, or a self-signed one
 * made on first start in the data folder.
 *
 * The self-signed certificate (EC P-256, ten years, names localhost,
 * 127.0.0.1 and ::1) is made once and kept, so its SHA-256 fingerprint
 * stays the same across restarts and clients can pin it.  The key file is
 * written with mode 0600.  The fingerprint is what `openssl x509
 * -fingerprint -sha256` prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

static char *cp_read_text(const char *path, clave_error *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    cv_err(err, CLAVE_EIO, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 8192;
      char *g = realloc(buf, cap);
      if (!g) {
        free(buf);
        fclose(fp);
        cv_err(err, CLAVE_ENOMEM, "%s: out of memory", path);
        return NULL;
      }
      buf = g;
    }
    size_t r = fread(buf + n, 1, 4096, fp);
    n += r;
    if (r < 4096) break;
  }
  fclose(fp);
  buf[n] = 0;
  return buf;
}

static clave_status cp_write_pem(const char *path, mode_t mode,
                                 const char *data, size_t len,
                                 clave_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return cv_err(err, CLAVE_EIO, "%s: %s", path, strerror(errno));
  ssize_t w = write(fd, data, len);
  int ok = w == (ssize_t)len && fsync(fd) == 0;
  close(fd);
  if (!ok) return cv_err(err, CLAVE_EIO, "%s: write failed", path);
  return CLAVE_OK;
}

static char *cp_bio_text(BIO *bio, size_t *len) {
  char *mem;
  long n = BIO_get_mem_data(bio, &mem);
  char *out = malloc((size_t)n + 1);
  if (!out) return NULL;
  memcpy(out, mem, (size_t)n);
  out[n] = 0;
  *len = (size_t)n;
  return out;
}

static clave_status cp_make_cert(const char *cert_path, const char *key_path,
                                 clave_error *err) {
  clave_status st = CLAVE_OK;
  EVP_PKEY *pkey = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
  char *kt = NULL, *ct = NULL;
  size_t kl = 0, cl = 0;
  if (!pkey || !x || !kb || !cb) {
    st = cv_err(err, CLAVE_ENOMEM, "cannot make a TLS key");
    goto done;
  }
  X509_set_version(x, 2);
  uint8_t serial[16];
  clave_crypto_random(serial, sizeof serial, NULL);
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)"clave", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             (const unsigned char *)"Clave self-signed", -1,
                             -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(
      NULL, &v3, NID_subject_alt_name,
      "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
  if (ext) {
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(x, pkey, EVP_sha256())) {
    st = cv_err(err, CLAVE_EIO, "cannot sign the TLS certificate");
    goto done;
  }
  PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL);
  PEM_write_bio_X509(cb, x);
  kt = cp_bio_text(kb, &kl);
  ct = cp_bio_text(cb, &cl);
  if (!kt || !ct) {
    st = cv_err(err, CLAVE_ENOMEM, "out of memory");
    goto done;
  }
  st = cp_write_pem(key_path, 0600, kt, kl, err);
  if (!st) st = cp_write_pem(cert_path, 0644, ct, cl, err);
done:
  if (kt) clave_crypto_wipe(kt, kl);
  free(kt);
  free(ct);
  BIO_free(kb);
  BIO_free(cb);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return st;
}

static clave_status cp_fingerprint(const char *pem, char *out, size_t cap,
                                   clave_error *err) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (!x) return cv_err(err, CLAVE_EARG, "certificate is not PEM X.509");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  X509_digest(x, EVP_sha256(), md, &n);
  X509_free(x);
  size_t o = 0;
  for (unsigned i = 0; i < n && o + 3 < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, i ? ":%02X" : "%02X", md[i]);
  return CLAVE_OK;
}

clave_status cp_tls_load(clave_platform *p, clave_error *err) {
  char cert_path[4200], key_path[4200];
  if (p->cfg.cert_file || p->cfg.key_file) {
    if (!p->cfg.cert_file || !p->cfg.key_file)
      return cv_err(err, CLAVE_EARG,
                    "a certificate needs both --cert and --key");
    snprintf(cert_path, sizeof cert_path, "%s", p->cfg.cert_file);
    snprintf(key_path, sizeof key_path, "%s", p->cfg.key_file);
  } else {
    char dir[4110];
    snprintf(dir, sizeof dir, "%s/tls", p->data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
      return cv_err(err, CLAVE_EIO, "%s: %s", dir, strerror(errno));
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    if (access(cert_path, R_OK) != 0 || access(key_path, R_OK) != 0) {
      clave_status st = cp_make_cert(cert_path, key_path, err);
      if (st) return st;
    }
  }
  p->cert_pem = cp_read_text(cert_path, err);
  if (!p->cert_pem) return err ? err->status : CLAVE_EIO;
  p->key_pem = cp_read_text(key_path, err);
  if (!p->key_pem) return err ? err->status : CLAVE_EIO;
  clave_status st =
      cp_fingerprint(p->cert_pem, p->fingerprint, sizeof p->fingerprint, err);
  if (st) return cv_err_prefix(err, "%s: ", cert_path);
  return CLAVE_OK;
}
