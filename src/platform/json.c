/*
 * json.c - small helpers around jansson, base64 and ids for the API code.
 *
 * Sets of user ids are kept as sorted, de-duplicated JSON arrays so that
 * "the owner list must match" is a plain equality of two arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "clave/crypto.h"
#include "platform/plat_int.h"

const char *cp_jstr(json_t *obj, const char *key) {
  json_t *v = obj ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static int cp_cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *cp_jstrset(json_t *arr) {
  if (!json_is_array(arr)) return NULL;
  size_t n = json_array_size(arr);
  const char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(arr, i);
    if (!json_is_string(e)) {
      free(v);
      return NULL;
    }
    v[i] = json_string_value(e);
  }
  qsort(v, n, sizeof *v, cp_cmp_str);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
      json_array_append_new(out, json_string(v[i]));
  free(v);
  return out;
}

int cp_jset_contains(json_t *arr, const char *s) {
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e) {
    if (json_is_string(e) && !strcmp(json_string_value(e), s)) return 1;
  }
  return 0;
}

char *cp_jdump(json_t *j) {
  return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

json_t *cp_jload(const char *text) {
  return json_loads(text ? text : "null", JSON_DECODE_ANY, NULL);
}

static const char cp_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cp_b64_encode(const uint8_t *data, size_t len) {
  size_t olen = 4 * ((len + 2) / 3);
  char *out = malloc(olen + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < len) v |= data[i + 2];
    out[o++] = cp_b64[v >> 18 & 63];
    out[o++] = cp_b64[v >> 12 & 63];
    out[o++] = i + 1 < len ? cp_b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? cp_b64[v & 63] : '=';
  }
  out[o] = 0;
  return out;
}

static int cp_b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int cp_b64_decode(const char *text, uint8_t **out, size_t *len) {
  size_t n = strlen(text);
  *out = NULL;
  *len = 0;
  if (n % 4) return -1;
  uint8_t *buf = malloc(n / 4 * 3 + 1);
  if (!buf) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    for (int k = 0; k < 4; k++) {
      char c = text[i + k];
      if (c == '=' && i + 4 == n && k >= 2) v[k] = -2;
      else if ((v[k] = cp_b64val(c)) < 0) {
        free(buf);
        return -1;
      }
    }
    if (v[2] == -2 && v[3] != -2) {
      free(buf);
      return -1;
    }
    buf[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
    if (v[2] >= 0) buf[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
    if (v[3] >= 0) buf[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
  }
  *out = buf;
  *len = o;
  return 0;
}

void cp_new_id(const char *prefix, char *out, size_t cap) {
  uint8_t u[16];
  if (clave_crypto_random(u, sizeof u, NULL) != CLAVE_OK) abort();
  u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
  u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
  char h[33];
  clave_crypto_hex(u, 16, h);
  snprintf(out, cap, "%s-%.8s-%.4s-%.4s-%.4s-%.12s", prefix, h, h + 8,
           h + 12, h + 16, h + 20);
}

int cp_valid_name(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
          c == '@'))
      return 0;
  }
  return 1;
}
