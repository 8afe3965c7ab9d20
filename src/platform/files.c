/*
 * files.c - input and output files: registration, metadata, content.
 *
 * The server stores a file's bytes exactly as its owner encrypted them
 * (a blob) and its key sealed under the master key, bound to the file id.
 * It never decrypts a file itself: only a task child does, in memory.  At
 * registration it checks the form (scheme, key and IV sizes, that the
 * registered tag is the file's last 16 bytes); the child checks the GCM
 * tag again before the function sees a byte, so a file changed after
 * registration fails its task with "input 'x': authentication tag
 * mismatch".  Keys never leave through the API; contents only to owners.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

int cp_file_owned_by(const clave_file_rec *f, const char *user) {
  json_t *owners = cp_jload(f->owners_json);
  int ok = json_is_array(owners) && cp_jset_contains(owners, user);
  json_decref(owners);
  return ok;
}

/* Bytes from a hex string or a list of byte values (Teaclave's SDK sends
 * lists).  Returns -1 with the reply set. */
static int cp_bytes_field(cp_req *r, json_t *v, const char *what,
                          uint8_t *out, size_t max, size_t *len) {
  *len = 0;
  if (!v || json_is_null(v)) return 0;
  if (json_is_string(v)) {
    clave_error err;
    if (clave_crypto_unhex(json_string_value(v), out, max, len, &err))
      return cp_fail(r, 400, "\"%s\": %s", what, err.message);
    return 0;
  }
  if (json_is_array(v)) {
    if (json_array_size(v) > max)
      return cp_fail(r, 400, "\"%s\": more than %zu bytes", what, max);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      if (!json_is_integer(e) || json_integer_value(e) < 0 ||
          json_integer_value(e) > 255)
        return cp_fail(r, 400, "\"%s\": element %zu is not a byte", what, i);
      out[i] = (uint8_t)json_integer_value(e);
    }
    *len = json_array_size(v);
    return 0;
  }
  return cp_fail(r, 400, "\"%s\" must be hex text or a list of bytes", what);
}

/* Read a file:// url inside the import folder into a blob. */
static int cp_import_url(cp_req *r, const char *url, char *sha,
                         int64_t *size) {
  if (!r->p->import_dir[0])
    return cp_fail(r, 400,
                   "file:// urls are disabled on this server (no import "
                   "folder); upload the file instead");
  char *real = realpath(url + 7, NULL);
  if (!real) return cp_fail(r, 400, "%s: %s", url, strerror(errno));
  size_t dl = strlen(r->p->import_dir);
  if (strncmp(real, r->p->import_dir, dl) != 0 || real[dl] != '/') {
    free(real);
    return cp_fail(r, 403, "%s is outside the server's import folder", url);
  }
  int fd = open(real, O_RDONLY | O_CLOEXEC);
  free(real);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    return cp_fail(r, 400, "%s: not a readable regular file", url);
  }
  if ((uint64_t)sb.st_size > r->p->cfg.max_file_bytes) {
    close(fd);
    return cp_fail(r, 413, "%s: larger than %llu bytes", url,
                   (unsigned long long)r->p->cfg.max_file_bytes);
  }
  clave_blob_writer *w;
  clave_error err;
  if (clave_blob_begin(r->p->store, r->p->cfg.max_file_bytes, &w, &err)) {
    close(fd);
    return cp_fail_err(r, &err);
  }
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      clave_blob_abort(w);
      return cp_fail(r, 400, "%s: %s", url, strerror(errno));
    }
    if (n == 0) break;
    if (clave_blob_write(w, buf, (size_t)n, &err)) {
      close(fd);
      clave_blob_abort(w);
      return cp_fail_err(r, &err);
    }
  }
  close(fd);
  uint64_t n = 0;
  if (clave_blob_finish(w, sha, &n, &err)) return cp_fail_err(r, &err);
  *size = (int64_t)n;
  return 0;
}

int cp_files_register(cp_req *r, int is_output) {
  json_t *b = r->body;
  json_t *ci = json_object_get(b, "crypto_info");
  json_t *src = json_is_object(ci) ? ci : b;
  const char *scheme = cp_jstr(src, "schema");
  if (!scheme) scheme = cp_jstr(src, "scheme");
  if (!scheme) return cp_fail(r, 400, "a file needs a crypto \"schema\"");
  uint8_t key[64], iv[64], cmac[64];
  size_t key_len, iv_len, cmac_len;
  if (cp_bytes_field(r, json_object_get(src, "key"), "key", key, sizeof key,
                     &key_len) ||
      cp_bytes_field(r, json_object_get(src, "iv"), "iv", iv, sizeof iv,
                     &iv_len) ||
      cp_bytes_field(r, json_object_get(b, "cmac"), "cmac", cmac,
                     sizeof cmac, &cmac_len))
    return -1;
  clave_file_crypto fc;
  clave_error err;
  if (clave_file_crypto_init(&fc, scheme, key, key_len, iv, iv_len, &err))
    return cp_fail(r, 400, "%s", err.message);
  clave_crypto_wipe(key, sizeof key);
  if (is_output && fc.scheme == CLAVE_CRYPTO_RAW)
    return cp_fail(r, 400,
                   "raw is for inputs only: an output needs aes-gcm-128 or "
                   "aes-gcm-256");
  if (cmac_len && cmac_len != CLAVE_CRYPTO_TAG_LEN)
    return cp_fail(r, 400, "\"cmac\" must be 16 bytes, got %zu", cmac_len);

  char id[64];
  cp_new_id(is_output ? "output" : "input", id, sizeof id);
  snprintf(r->target, sizeof r->target, "%s", id);
  const char *url = cp_jstr(b, "url");
  if (!url) url = "";
  clave_file_rec f = {0};
  char sha[65] = "";
  int64_t size = 0;
  if (!is_output) {
    const char *blob = cp_jstr(b, "blob");
    if (blob) {
      if (!clave_blob_exists(r->p->store, blob))
        return cp_fail(r, 404,
                       "blob '%.80s' not found (upload to /v1/blobs first)",
                       blob);
      snprintf(sha, sizeof sha, "%s", blob);
    } else if (!strncmp(url, "file://", 7)) {
      if (cp_import_url(r, url, sha, &size)) return -1;
    } else {
      return cp_fail(r, 400,
                     "an input needs its content: a \"blob\" uploaded to "
                     "/v1/blobs, or a file:// url inside the server's "
                     "import folder (got url '%.200s')",
                     url);
    }
    uint8_t *data;
    size_t len;
    if (clave_blob_get(r->p->store, sha, &data, &len, &err))
      return cp_fail_err(r, &err);
    size = (int64_t)len;
    if (clave_file_tag(fc.scheme, data, len, f.tag, &err)) {
      free(data);
      return cp_fail(r, 400, "%s", err.message);
    }
    free(data);
    if (cmac_len && !clave_crypto_equal(cmac, f.tag, sizeof f.tag))
      return cp_fail(r, 400,
                     "the registered cmac does not match the file's tag "
                     "(its last 16 bytes)");
    if (!cmac_len && fc.scheme != CLAVE_CRYPTO_RAW)
      return cp_fail(r, 400, "an encrypted input needs its \"cmac\" (tag)");
    f.has_tag = 1;
    f.blob_sha256 = sha;
  }
  uint8_t *sealed;
  size_t sealed_len;
  char aad[96];
  snprintf(aad, sizeof aad, "file-key:%s", id);
  if (clave_crypto_seal(r->p->master_key, aad, fc.key,
                        clave_crypto_key_len(fc.scheme), &sealed, &sealed_len,
                        &err))
    return cp_fail_err(r, &err);
  clave_crypto_wipe(&fc.key, sizeof fc.key);
  json_t *owners = json_pack("[s]", r->user.id);
  f.id = id;
  f.is_output = is_output;
  f.creator = r->user.id;
  f.owners_json = cp_jdump(owners);
  json_decref(owners);
  f.url = (char *)url;
  f.scheme = (char *)clave_crypto_scheme_name(fc.scheme);
  f.sealed_key = sealed;
  f.sealed_key_len = sealed_len;
  memcpy(f.iv, fc.iv, sizeof f.iv);
  f.size = size;
  f.created_at = cp_now_ms() / 1000;
  clave_status st = clave_store_file_put(r->p->store, &f, 1, &err);
  free(f.owners_json);
  free(sealed);
  if (st) return cp_fail_err(r, &err);
  return cp_ok(r, json_pack("{s:s}", "data_id", id));
}

static int cp_load_owned_file(cp_req *r, clave_file_rec *f) {
  const char *id = r->parts[1];
  clave_error err;
  if (clave_store_file_get(r->p->store, id, f, &err))
    return cp_fail_err(r, &err);
  if (!cp_file_owned_by(f, r->user.id) && !cp_is_admin(r)) {
    clave_file_rec_free(f);
    return cp_fail(r, 403, "file %s belongs to other users", id);
  }
  return 0;
}

int cp_files_get(cp_req *r) {
  clave_file_rec f;
  if (cp_load_owned_file(r, &f)) return -1;
  char tag[33] = "", iv[25];
  if (f.has_tag) clave_crypto_hex(f.tag, 16, tag);
  clave_crypto_hex(f.iv, 12, iv);
  json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:I}", "data_id",
                        f.id, "kind", f.is_output ? "output" : "input",
                        "url", f.url, "schema", f.scheme, "iv", iv, "size",
                        (json_int_t)f.size, "has_content",
                        f.blob_sha256 != NULL, "cmac", tag, "created_at",
                        (json_int_t)f.created_at);
  json_object_set_new(j, "owners", cp_jload(f.owners_json));
  clave_file_rec_free(&f);
  return cp_ok(r, j);
}

int cp_files_content(cp_req *r) {
  clave_file_rec f;
  if (cp_load_owned_file(r, &f)) return -1;
  if (!f.blob_sha256) {
    int rc = cp_fail(r, 409,
                     "%s has no content yet (its task has not finished)",
                     f.id);
    clave_file_rec_free(&f);
    return rc;
  }
  uint8_t *data;
  size_t len;
  clave_error err;
  clave_status st = clave_blob_get(r->p->store, f.blob_sha256, &data, &len,
                                   &err);
  clave_file_rec_free(&f);
  if (st) return cp_fail_err(r, &err);
  r->status = 200;
  r->reply_bytes = data;
  r->reply_len = len;
  return 0;
}

int cp_blobs_upload_done(cp_req *r) {
  snprintf(r->target, sizeof r->target, "blob-%.40s", r->blob_sha);
  return cp_ok(r, json_pack("{s:s,s:I}", "blob", r->blob_sha, "size",
                            (json_int_t)r->blob_size));
}
