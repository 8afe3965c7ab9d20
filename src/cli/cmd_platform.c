/*
 * cmd_platform.c - the CLI's client subcommands: one per API call.
 *
 *   clave login USER [--password-file F]       (saves a token)
 *   clave user register ID --role R [--attribute A] [--password-file F]
 *   clave user me
 *   clave function register --name N --payload WASM [--description D]
 *        [--private] [--allow USER]... [--arg KEY[=DEFAULT][!]]...
 *        [--input NAME]... [--output NAME]... [--quota N]
 *        [--fuel N] [--memory-mb N] [--timeout-ms N]
 *   clave function get|disable|delete ID;  clave function list [--user U]
 *   clave file register-input FILE --key-file K [--schema S]
 *   clave file register-output --key-file K [--schema S]
 *   clave file get ID;  clave file download ID OUT [--key-file K]
 *   clave task create --function ID [--arg K=V]... [--input-owner N=U,U]...
 *        [--output-owner N=U,U]...
 *   clave task assign ID [--input N=FILE_ID]... [--output N=FILE_ID]...
 *   clave task approve|invoke|cancel|get ID
 *   clave task result ID [--wait SECONDS]
 *   clave audit [--user U] [--action A] [--limit N]
 *   clave encrypt IN OUT --key-file K [--schema aes-gcm-128]
 *   clave decrypt IN OUT --key-file K
 *
 * Every client command takes --server URL, --fingerprint FP (or
 * --insecure) and --profile NAME; what `clave login` was given is kept
 * with its token in the credentials file
 * ($CLAVE_CONFIG_DIR or $XDG_CONFIG_HOME/clave or ~/.config/clave,
 * credentials.json, mode 0600), one entry per profile.
 *
 * A key file is JSON {"schema", "key", "iv", "cmac"} (hex), mode 0600: the
 * data owner's secret, never sent except when registering the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cmd_platform.h"
#include "clave/crypto.h"
#include "clave/platform.h"

/* ---- options ------------------------------------------------------------- */

typedef struct cl_opts {
  const char *server, *fingerprint, *profile, *cafile;
  int insecure;
  /* positional arguments and repeated options, in order */
  const char *pos[8];
  int npos;
  const char *keys[64];
  const char *vals[64];
  int nkv;
} cl_opts;

/* Options that take a value; anything else starting with -- is a flag. */
static const char *const cl_valued[] = {
    "--server", "--fingerprint", "--profile", "--cafile", "--password-file",
    "--role", "--attribute", "--name", "--payload", "--description",
    "--allow", "--arg", "--input", "--output", "--quota", "--fuel",
    "--memory-mb", "--timeout-ms", "--key-file", "--schema", "--function",
    "--input-owner", "--output-owner", "--wait", "--user", "--action",
    "--limit", "--executor", NULL};

static int cl_parse(const char *cmd, int argc, char **argv, int first,
                    cl_opts *o) {
  memset(o, 0, sizeof *o);
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      if (o->npos == 8) {
        fprintf(stderr, "error: %s: too many arguments\n", cmd);
        return -1;
      }
      o->pos[o->npos++] = a;
      continue;
    }
    int valued = 0;
    for (int k = 0; cl_valued[k]; k++) valued |= !strcmp(a, cl_valued[k]);
    const char *v = NULL;
    if (valued) {
      if (i + 1 >= argc) {
        fprintf(stderr, "error: %s: %s needs a value\n", cmd, a);
        return -1;
      }
      v = argv[++i];
    }
    if (!strcmp(a, "--server")) o->server = v;
    else if (!strcmp(a, "--fingerprint")) o->fingerprint = v;
    else if (!strcmp(a, "--profile")) o->profile = v;
    else if (!strcmp(a, "--cafile")) o->cafile = v;
    else if (!strcmp(a, "--insecure")) o->insecure = 1;
    else if (o->nkv == 64) {
      fprintf(stderr, "error: %s: too many options\n", cmd);
      return -1;
    } else {
      o->keys[o->nkv] = a;
      o->vals[o->nkv++] = v ? v : "";
    }
  }
  if (!o->profile) o->profile = getenv("CLAVE_PROFILE");
  if (!o->profile) o->profile = "default";
  return 0;
}

static const char *cl_opt(const cl_opts *o, const char *key) {
  for (int i = o->nkv - 1; i >= 0; i--)
    if (!strcmp(o->keys[i], key)) return o->vals[i];
  return NULL;
}

static int cl_unknown(const char *cmd, const cl_opts *o,
                      const char *const *known) {
  for (int i = 0; i < o->nkv; i++) {
    int ok = 0;
    for (int k = 0; known[k]; k++) ok |= !strcmp(o->keys[i], known[k]);
    if (!ok) {
      fprintf(stderr, "error: %s: unknown option %s\n", cmd, o->keys[i]);
      return 1;
    }
  }
  return 0;
}

static const char cl_common_help[] =
    "common options: --server URL (https://HOST:PORT), --fingerprint FP (the\n"
    "  certificate's, as clave serve prints it) or --cafile PEM or --insecure,\n"
    "  --profile NAME (credentials saved by clave login; default \"default\")\n";

/* --help or -h anywhere: print the command's usage on stdout. */
static int cl_help(int argc, char **argv, const char *usage) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage, stdout);
      fputs(cl_common_help, stdout);
      return 1;
    }
  return 0;
}

/* ---- credentials ------------------------------------------------------------ */

static void cl_config_path(char *out, size_t cap) {
  const char *dir = getenv("CLAVE_CONFIG_DIR");
  if (dir) {
    snprintf(out, cap, "%s/credentials.json", dir);
    return;
  }
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  if (xdg && *xdg) snprintf(out, cap, "%s/clave/credentials.json", xdg);
  else snprintf(out, cap, "%s/.config/clave/credentials.json", home ? home : ".");
}

static json_t *cl_load_creds(void) {
  char path[4096];
  cl_config_path(path, sizeof path);
  json_t *j = json_load_file(path, 0, NULL);
  if (!json_is_object(j)) {
    json_decref(j);
    j = json_object();
  }
  return j;
}

static int cl_mkdirs(const char *path) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return 0;
}

static int cl_save_json(const char *path, json_t *j) {
  if (cl_mkdirs(path) != 0) {
    fprintf(stderr, "clave: cannot create the folder of %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  size_t n = text ? strlen(text) : 0;
  int ok = fd >= 0 && text && write(fd, text, n) == (ssize_t)n &&
           write(fd, "\n", 1) == 1 && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  free(text);
  if (!ok || rename(tmp, path) != 0) {
    fprintf(stderr, "clave: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* Connect with the options, filling gaps from the profile. */
static clave_client *cl_connect(const char *cmd, cl_opts *o, int need_token) {
  json_t *creds = cl_load_creds();
  json_t *prof = json_object_get(json_object_get(creds, "profiles"), o->profile);
  const char *server = o->server ? o->server : json_string_value(json_object_get(prof, "server"));
  const char *fp = o->fingerprint;
  int insecure = o->insecure;
  if (!o->server && prof) {
    if (!fp) fp = json_string_value(json_object_get(prof, "fingerprint"));
    insecure |= json_is_true(json_object_get(prof, "insecure"));
  }
  if (!server) server = getenv("CLAVE_SERVER");
  if (!server) server = "https://127.0.0.1:7777";
  if (!fp) fp = getenv("CLAVE_FINGERPRINT");
  clave_client *c = NULL;
  clave_error err;
  if (clave_client_new(server, fp, o->cafile, insecure || !strncmp(server, "http://", 7), &c,
                       &err)) {
    fprintf(stderr, "error: %s: %s\n", cmd, err.message);
    json_decref(creds);
    return NULL;
  }
  const char *token = json_string_value(json_object_get(prof, "token"));
  if (need_token && !token) {
    fprintf(stderr, "error: %s: not logged in (run clave login%s%s first)\n",
            cmd, strcmp(o->profile, "default") ? " --profile " : "",
            strcmp(o->profile, "default") ? o->profile : "");
    clave_client_free(c);
    json_decref(creds);
    return NULL;
  }
  if (token && (!o->server || !strcmp(o->server, server))) clave_client_set_token(c, token);
  json_decref(creds);
  return c;
}

/* One API call with a JSON body; the reply (JSON) or NULL after printing
 * the server's message. */
static json_t *cl_call(clave_client *c, const char *cmd, const char *method,
                       const char *path, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  int status;
  char *reply;
  size_t len;
  clave_error err;
  clave_status st = clave_client_call(c, method, path, "application/json",
                                      text, text ? strlen(text) : 0, &status,
                                      &reply, &len, &err);
  free(text);
  if (st) {
    fprintf(stderr, "error: %s: %s\n", cmd, err.message);
    return NULL;
  }
  json_t *j = json_loadb(reply, len, 0, NULL);
  if (status != 200) {
    const char *m = json_string_value(json_object_get(j, "error"));
    fprintf(stderr, "error: %s: %s (HTTP %d)\n", cmd, m ? m : reply, status);
    json_decref(j);
    j = NULL;
  } else if (!j) {
    fprintf(stderr, "error: %s: the server's reply is not JSON\n", cmd);
  }
  free(reply);
  return j;
}

static int cl_print(json_t *j) {
  if (!j) return 1;
  char *t = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  puts(t ? t : "{}");
  free(t);
  json_decref(j);
  return 0;
}

static int cl_print_field(json_t *j, const char *key) {
  if (!j) return 1;
  json_t *v = json_object_get(j, key);
  if (json_is_string(v)) puts(json_string_value(v));
  else if (json_is_integer(v)) printf("%lld\n", (long long)json_integer_value(v));
  json_decref(j);
  return 0;
}

static char *cl_password(const char *cmd, const cl_opts *o, const char *env,
                         const char *prompt) {
  const char *file = cl_opt(o, "--password-file");
  char buf[1100];
  if (file) {
    FILE *fp = fopen(file, "r");
    if (!fp) {
      fprintf(stderr, "error: %s: %s: %s\n", cmd, file, strerror(errno));
      return NULL;
    }
    if (!fgets(buf, sizeof buf, fp)) buf[0] = 0;
    fclose(fp);
  } else if (env && getenv(env)) {
    snprintf(buf, sizeof buf, "%s", getenv(env));
  } else if (isatty(0)) {
    struct termios old, quiet;
    tcgetattr(0, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fprintf(stderr, "%s", prompt);
    tcsetattr(0, TCSANOW, &quiet);
    if (!fgets(buf, sizeof buf, stdin)) buf[0] = 0;
    tcsetattr(0, TCSANOW, &old);
    fprintf(stderr, "\n");
  } else {
    fprintf(stderr,
            "error: %s: no password (--password-file FILE, %s, or a "
            "terminal)\n",
            cmd, env ? env : "a terminal");
    return NULL;
  }
  buf[strcspn(buf, "\r\n")] = 0;
  return strdup(buf);
}

/* ---- login and users --------------------------------------------------------- */

static const char cl_login_help[] =
    "usage: clave login USER [--password-file F]\n"
    "Logs in and saves the token (password from --password-file, CLAVE_PASSWORD\n"
    "or the terminal).\n";

int clave_cmd_login(int argc, char **argv) {
  if (cl_help(argc, argv, cl_login_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--password-file", NULL};
  if (cl_parse("login", argc, argv, 1, &o) || cl_unknown("login", &o, known))
    return 2;
  if (o.npos != 1) {
    fputs(cl_login_help, stderr);
    return 2;
  }
  clave_client *c = cl_connect("login", &o, 0);
  if (!c) return 1;
  char *pw = cl_password("login", &o, "CLAVE_PASSWORD", "Password: ");
  if (!pw) {
    clave_client_free(c);
    return 1;
  }
  json_t *body = json_pack("{s:s,s:s}", "id", o.pos[0], "password", pw);
  memset(pw, 0, strlen(pw));
  free(pw);
  clave_client_set_token(c, NULL);
  json_t *r = cl_call(c, "login", "POST", "users/login", body);
  json_decref(body);
  clave_client_free(c);
  if (!r) return 1;
  json_t *creds = cl_load_creds();
  json_t *profs = json_object_get(creds, "profiles");
  if (!json_is_object(profs)) {
    profs = json_object();
    json_object_set_new(creds, "profiles", profs);
  }
  /* keep what was given to reach the server, so later calls need none */
  json_t *old = json_object_get(profs, o.profile);
  const char *server = o.server ? o.server : json_string_value(json_object_get(old, "server"));
  const char *fp = o.fingerprint ? o.fingerprint
                   : o.server ? NULL : json_string_value(json_object_get(old, "fingerprint"));
  json_t *prof = json_pack("{s:s,s:O,s:b}", "user", o.pos[0], "token",
                           json_object_get(r, "token"), "insecure", o.insecure);
  if (server) json_object_set_new(prof, "server", json_string(server));
  else if (getenv("CLAVE_SERVER")) json_object_set_new(prof, "server", json_string(getenv("CLAVE_SERVER")));
  if (fp) json_object_set_new(prof, "fingerprint", json_string(fp));
  else if (getenv("CLAVE_FINGERPRINT")) json_object_set_new(prof, "fingerprint", json_string(getenv("CLAVE_FINGERPRINT")));
  json_object_set_new(profs, o.profile, prof);
  char path[4096];
  cl_config_path(path, sizeof path);
  int rc = cl_save_json(path, creds);
  json_decref(creds);
  json_decref(r);
  if (rc) return 1;
  fprintf(stderr, "clave: logged in as %s (profile %s)\n", o.pos[0], o.profile);
  return 0;
}

static const char cl_user_help[] =
    "usage: clave user register ID --role ROLE [--attribute A] [--password-file F]\n"
    "       clave user me\n"
    "The new user's password comes from --password-file, CLAVE_NEW_PASSWORD or\n"
    "the terminal.\n";

int clave_cmd_user(int argc, char **argv) {
  if (cl_help(argc, argv, cl_user_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--password-file", "--role", "--attribute", NULL};
  if (cl_parse("user", argc, argv, 1, &o) || cl_unknown("user", &o, known)) return 2;
  const char *sub = o.npos ? o.pos[0] : "";
  if (!strcmp(sub, "me") && o.npos == 1) {
    clave_client *c = cl_connect("user me", &o, 1);
    if (!c) return 1;
    int rc = cl_print(cl_call(c, "user me", "GET", "users/me", NULL));
    clave_client_free(c);
    return rc;
  }
  if (!strcmp(sub, "register") && o.npos == 2) {
    clave_client *c = cl_connect("user register", &o, 1);
    if (!c) return 1;
    char *pw = cl_password("user register", &o, "CLAVE_NEW_PASSWORD",
                           "Password for the new user: ");
    if (!pw) {
      clave_client_free(c);
      return 1;
    }
    const char *role = cl_opt(&o, "--role"), *attr = cl_opt(&o, "--attribute");
    json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "id", o.pos[1], "password", pw,
                             "role", role ? role : "DataOwner", "attribute",
                             attr ? attr : "");
    memset(pw, 0, strlen(pw));
    free(pw);
    int rc = cl_print(cl_call(c, "user register", "POST", "users", body));
    json_decref(body);
    clave_client_free(c);
    return rc;
  }
  fputs(cl_user_help, stderr);
  return 2;
}

/* ---- files and keys ------------------------------------------------------------ */

static uint8_t *cl_read_file(const char *cmd, const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    fprintf(stderr, "error: %s: %s: %s\n", cmd, path, strerror(errno));
    return NULL;
  }
  size_t cap = 65536, n = 0;
  uint8_t *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += r;
    if (n == cap) {
      uint8_t *g = realloc(buf, cap *= 2);
      if (!g) {
        free(buf);
        buf = NULL;
      } else {
        buf = g;
      }
    }
  }
  fclose(fp);
  if (!buf) fprintf(stderr, "error: %s: %s: out of memory\n", cmd, path);
  *len = n;
  return buf;
}

static int cl_write_file(const char *cmd, const char *path, const void *data,
                         size_t len, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
    fprintf(stderr, "error: %s: %s: %s\n", cmd, path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

/* Read a key file into fc (and its cmac when present). */
static int cl_load_key(const char *cmd, const char *path, clave_file_crypto *fc,
                       uint8_t cmac[16], int *has_cmac) {
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (!j) {
    fprintf(stderr, "error: %s: %s: %s\n", cmd, path, je.text);
    return -1;
  }
  uint8_t key[64], iv[64];
  size_t kl = 0, il = 0, cl = 0;
  clave_error err;
  const char *k = json_string_value(json_object_get(j, "key"));
  const char *v = json_string_value(json_object_get(j, "iv"));
  const char *t = json_string_value(json_object_get(j, "cmac"));
  int rc = -1;
  if (clave_crypto_unhex(k ? k : "", key, sizeof key, &kl, &err) ||
      clave_crypto_unhex(v ? v : "", iv, sizeof iv, &il, &err) ||
      clave_file_crypto_init(fc, json_string_value(json_object_get(j, "schema")),
                             key, kl, iv, il, &err)) {
    fprintf(stderr, "error: %s: %s: %s\n", cmd, path, err.message);
  } else {
    rc = 0;
    if (has_cmac) *has_cmac = t && !clave_crypto_unhex(t, cmac, 16, &cl, NULL) && cl == 16;
  }
  clave_crypto_wipe(key, sizeof key);
  json_decref(j);
  return rc;
}

static int cl_save_key(const char *cmd, const char *path,
                       const clave_file_crypto *fc, const uint8_t *cmac) {
  char k[65], iv[25], t[33] = "";
  clave_crypto_hex(fc->key, clave_crypto_key_len(fc->scheme), k);
  clave_crypto_hex(fc->iv, fc->scheme == CLAVE_CRYPTO_RAW ? 0 : 12, iv);
  if (cmac) clave_crypto_hex(cmac, 16, t);
  json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "schema",
                        clave_crypto_scheme_name(fc->scheme), "key", k, "iv", iv,
                        "cmac", t);
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(j);
  int rc = cl_write_file(cmd, path, text, strlen(text), 0600);
  clave_crypto_wipe(text, strlen(text));
  clave_crypto_wipe(k, sizeof k);
  free(text);
  return rc;
}

static const char cl_encrypt_help[] =
    "usage: clave encrypt IN OUT --key-file K.json [--schema aes-gcm-128|aes-gcm-256|raw]\n"
    "Encrypts IN into Teaclave's file format.  A fresh key is made unless K.json\n"
    "exists; the IV is fresh every time; K.json (mode 0600) receives the key,\n"
    "the IV and the file's tag.\n";

int clave_cmd_encrypt(int argc, char **argv) {
  if (cl_help(argc, argv, cl_encrypt_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--key-file", "--schema", NULL};
  if (cl_parse("encrypt", argc, argv, 1, &o) || cl_unknown("encrypt", &o, known)) return 2;
  const char *kf = cl_opt(&o, "--key-file");
  if (o.npos != 2 || !kf) {
    fputs(cl_encrypt_help, stderr);
    return 2;
  }
  const char *schema = cl_opt(&o, "--schema");
  clave_file_crypto fc;
  clave_crypto_scheme sc;
  clave_error err;
  if (access(kf, F_OK) == 0) {
    if (cl_load_key("encrypt", kf, &fc, NULL, NULL)) return 1;
    if (schema && strcmp(schema, clave_crypto_scheme_name(fc.scheme))) {
      fprintf(stderr, "error: encrypt: %s holds a %s key, not %s\n", kf,
              clave_crypto_scheme_name(fc.scheme), schema);
      return 1;
    }
    /* a new IV for every file encrypted under this key */
    if (fc.scheme != CLAVE_CRYPTO_RAW &&
        clave_crypto_random(fc.iv, sizeof fc.iv, &err)) {
      fprintf(stderr, "error: encrypt: %s\n", err.message);
      return 1;
    }
  } else {
    if (clave_crypto_scheme_parse(schema ? schema : "aes-gcm-128", &sc, &err) ||
        clave_file_crypto_generate(&fc, sc, &err)) {
      fprintf(stderr, "error: encrypt: %s\n", err.message);
      return 1;
    }
  }
  size_t len;
  uint8_t *plain = cl_read_file("encrypt", o.pos[0], &len);
  if (!plain) return 1;
  uint8_t *out, tag[16];
  size_t out_len;
  clave_status st = clave_file_encrypt(&fc, plain, len, &out, &out_len, tag, &err);
  clave_crypto_wipe(plain, len);
  free(plain);
  if (st) {
    fprintf(stderr, "error: encrypt: %s\n", err.message);
    return 1;
  }
  int rc = cl_write_file("encrypt", o.pos[1], out, out_len, 0644) ||
           cl_save_key("encrypt", kf, &fc, tag);
  free(out);
  clave_crypto_wipe(&fc, sizeof fc);
  return rc ? 1 : 0;
}

static const char cl_decrypt_help[] =
    "usage: clave decrypt IN OUT --key-file K.json\n";

int clave_cmd_decrypt(int argc, char **argv) {
  if (cl_help(argc, argv, cl_decrypt_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--key-file", NULL};
  if (cl_parse("decrypt", argc, argv, 1, &o) || cl_unknown("decrypt", &o, known)) return 2;
  const char *kf = cl_opt(&o, "--key-file");
  if (o.npos != 2 || !kf) {
    fputs(cl_decrypt_help, stderr);
    return 2;
  }
  clave_file_crypto fc;
  if (cl_load_key("decrypt", kf, &fc, NULL, NULL)) return 1;
  size_t len;
  uint8_t *data = cl_read_file("decrypt", o.pos[0], &len);
  if (!data) return 1;
  uint8_t *plain;
  size_t plen;
  clave_error err;
  clave_status st = clave_file_decrypt(&fc, data, len, NULL, &plain, &plen, &err);
  free(data);
  clave_crypto_wipe(&fc, sizeof fc);
  if (st) {
    fprintf(stderr, "error: decrypt: %s: %s\n", o.pos[0], err.message);
    return 1;
  }
  int rc = cl_write_file("decrypt", o.pos[1], plain, plen, 0600);
  clave_crypto_wipe(plain, plen);
  free(plain);
  return rc ? 1 : 0;
}

static json_t *cl_crypto_body(const clave_file_crypto *fc) {
  char k[65], iv[25];
  clave_crypto_hex(fc->key, clave_crypto_key_len(fc->scheme), k);
  clave_crypto_hex(fc->iv, fc->scheme == CLAVE_CRYPTO_RAW ? 0 : 12, iv);
  json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "url", "", "schema",
                        clave_crypto_scheme_name(fc->scheme), "key", k, "iv", iv);
  clave_crypto_wipe(k, sizeof k);
  return j;
}

static const char cl_file_help[] =
    "usage: clave file register-input FILE --key-file K.json\n"
    "       clave file register-output --key-file K.json [--schema S]\n"
    "       clave file get ID\n"
    "       clave file download ID OUT [--key-file K.json]\n";

int clave_cmd_file(int argc, char **argv) {
  if (cl_help(argc, argv, cl_file_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--key-file", "--schema", NULL};
  if (cl_parse("file", argc, argv, 1, &o) || cl_unknown("file", &o, known)) return 2;
  const char *sub = o.npos ? o.pos[0] : "";
  const char *kf = cl_opt(&o, "--key-file");
  clave_client *c = NULL;
  int rc = 2;
  if (!strcmp(sub, "register-input") && o.npos == 2 && kf) {
    clave_file_crypto fc;
    uint8_t cmac[16];
    int has_cmac = 0;
    if (cl_load_key("file register-input", kf, &fc, cmac, &has_cmac)) return 1;
    size_t len;
    uint8_t *data = cl_read_file("file register-input", o.pos[1], &len);
    if (!data || !(c = cl_connect("file register-input", &o, 1))) {
      free(data);
      return 1;
    }
    int status;
    char *reply;
    size_t rlen;
    clave_error err;
    rc = 1;
    if (clave_client_call(c, "POST", "blobs", "application/octet-stream", data,
                          len, &status, &reply, &rlen, &err)) {
      fprintf(stderr, "error: file register-input: %s\n", err.message);
    } else {
      json_t *r = json_loadb(reply, rlen, 0, NULL);
      if (status != 200) {
        fprintf(stderr, "error: file register-input: %s (HTTP %d)\n",
                json_string_value(json_object_get(r, "error")), status);
      } else {
        uint8_t tag[16];
        clave_file_tag(fc.scheme, data, len, tag, NULL);
        char t[33];
        clave_crypto_hex(has_cmac ? cmac : tag, 16, t);
        json_t *body = cl_crypto_body(&fc);
        json_object_set_new(body, "cmac", json_string(t));
        json_object_set(body, "blob", json_object_get(r, "blob"));
        rc = cl_print_field(cl_call(c, "file register-input", "POST", "files/input", body),
                            "data_id");
        json_decref(body);
      }
      json_decref(r);
      free(reply);
    }
    free(data);
    clave_crypto_wipe(&fc, sizeof fc);
  } else if (!strcmp(sub, "register-output") && o.npos == 1 && kf) {
    clave_file_crypto fc;
    clave_error err;
    if (access(kf, F_OK) != 0) {
      const char *schema = cl_opt(&o, "--schema");
      clave_crypto_scheme sc;
      if (clave_crypto_scheme_parse(schema ? schema : "aes-gcm-128", &sc, &err) ||
          clave_file_crypto_generate(&fc, sc, &err)) {
        fprintf(stderr, "error: file register-output: %s\n", err.message);
        return 1;
      }
      if (cl_save_key("file register-output", kf, &fc, NULL)) return 1;
    } else if (cl_load_key("file register-output", kf, &fc, NULL, NULL)) {
      return 1;
    }
    if (!(c = cl_connect("file register-output", &o, 1))) return 1;
    json_t *body = cl_crypto_body(&fc);
    rc = cl_print_field(cl_call(c, "file register-output", "POST", "files/output", body),
                        "data_id");
    json_decref(body);
    clave_crypto_wipe(&fc, sizeof fc);
  } else if (!strcmp(sub, "get") && o.npos == 2) {
    if (!(c = cl_connect("file get", &o, 1))) return 1;
    char path[300];
    snprintf(path, sizeof path, "files/%.200s", o.pos[1]);
    rc = cl_print(cl_call(c, "file get", "GET", path, NULL));
  } else if (!strcmp(sub, "download") && o.npos == 3) {
    if (!(c = cl_connect("file download", &o, 1))) return 1;
    char path[300];
    snprintf(path, sizeof path, "files/%.200s/content", o.pos[1]);
    int status;
    char *reply;
    size_t len;
    clave_error err;
    rc = 1;
    if (clave_client_call(c, "GET", path, NULL, NULL, 0, &status, &reply, &len, &err)) {
      fprintf(stderr, "error: file download: %s\n", err.message);
    } else if (status != 200) {
      json_t *r = json_loadb(reply, len, 0, NULL);
      fprintf(stderr, "error: file download: %s (HTTP %d)\n",
              json_string_value(json_object_get(r, "error")), status);
      json_decref(r);
      free(reply);
    } else {
      if (kf) {
        clave_file_crypto fc;
        uint8_t *plain;
        size_t plen;
        if (!cl_load_key("file download", kf, &fc, NULL, NULL)) {
          if (clave_file_decrypt(&fc, (uint8_t *)reply, len, NULL, &plain, &plen, &err)) {
            fprintf(stderr, "error: file download: %s\n", err.message);
          } else {
            rc = cl_write_file("file download", o.pos[2], plain, plen, 0600) ? 1 : 0;
            clave_crypto_wipe(plain, plen);
            free(plain);
          }
          clave_crypto_wipe(&fc, sizeof fc);
        }
      } else {
        rc = cl_write_file("file download", o.pos[2], reply, len, 0644) ? 1 : 0;
      }
      free(reply);
    }
  }
  if (rc == 2)
    fputs(cl_file_help, stderr);
  clave_client_free(c);
  return rc;
}

/* ---- functions --------------------------------------------------------------- */

static const char cl_function_help[] =
    "usage: clave function register --name N --payload WASM [--description D]\n"
    "         [--private] [--allow USER]... [--arg KEY[=DEFAULT][!]]...\n"
    "         [--input NAME]... [--output NAME]... [--quota N]\n"
    "         [--fuel N] [--memory-mb N] [--timeout-ms N]\n"
    "       clave function get|disable|delete ID\n"
    "       clave function list [--user U]\n"
    "A trailing ! on --arg makes its default fixed (tasks may not override it).\n";

int clave_cmd_function(int argc, char **argv) {
  if (cl_help(argc, argv, cl_function_help)) return 0;
  cl_opts o;
  static const char *const known[] = {
      "--name", "--payload", "--description", "--private", "--allow", "--arg",
      "--input", "--output", "--quota", "--fuel", "--memory-mb", "--timeout-ms",
      "--user", "--executor", NULL};
  if (cl_parse("function", argc, argv, 1, &o) || cl_unknown("function", &o, known))
    return 2;
  const char *sub = o.npos ? o.pos[0] : "";
  clave_client *c = NULL;
  int rc = 2;
  char path[300];
  if (!strcmp(sub, "register") && o.npos == 1 && cl_opt(&o, "--name") &&
      cl_opt(&o, "--payload")) {
    size_t len;
    uint8_t *wasm = cl_read_file("function register", cl_opt(&o, "--payload"), &len);
    if (!wasm || !(c = cl_connect("function register", &o, 1))) {
      free(wasm);
      return 1;
    }
    int status;
    char *reply;
    size_t rlen;
    clave_error err;
    rc = 1;
    if (clave_client_call(c, "POST", "blobs", "application/octet-stream", wasm, len,
                          &status, &reply, &rlen, &err)) {
      fprintf(stderr, "error: function register: %s\n", err.message);
      free(wasm);
      clave_client_free(c);
      return 1;
    }
    free(wasm);
    json_t *up = json_loadb(reply, rlen, 0, NULL);
    free(reply);
    if (status != 200) {
      fprintf(stderr, "error: function register: %s (HTTP %d)\n",
              json_string_value(json_object_get(up, "error")), status);
      json_decref(up);
      clave_client_free(c);
      return 1;
    }
    const char *d = cl_opt(&o, "--description"), *ex = cl_opt(&o, "--executor");
    json_t *body = json_pack("{s:s,s:s,s:s,s:b,s:O}", "name", cl_opt(&o, "--name"),
                             "description", d ? d : "", "executor_type",
                             ex ? ex : "wasm", "public", !cl_opt(&o, "--private"),
                             "payload_blob", json_object_get(up, "blob"));
    json_decref(up);
    json_t *args = json_array(), *ins = json_array(), *outs = json_array(),
           *allow = json_array(), *limits = json_object();
    for (int i = 0; i < o.nkv; i++) {
      const char *k = o.keys[i], *v = o.vals[i];
      if (!strcmp(k, "--arg")) {
        /* KEY[=DEFAULT][!]: a trailing ! makes the default fixed */
        char key[300], def[1024] = "";
        const char *eq = strchr(v, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq ? (size_t)(eq - v) : strlen(v)), v);
        if (eq) snprintf(def, sizeof def, "%s", eq + 1);
        char *holder = eq ? def : key;
        size_t hl = strlen(holder);
        int fixed = hl && holder[hl - 1] == '!';
        if (fixed) holder[hl - 1] = 0;
        json_array_append_new(args, json_pack("{s:s,s:s,s:b}", "key", key,
                                              "default_value", def,
                                              "allow_overwrite", !fixed));
      } else if (!strcmp(k, "--input")) {
        json_array_append_new(ins, json_pack("{s:s}", "name", v));
      } else if (!strcmp(k, "--output")) {
        json_array_append_new(outs, json_pack("{s:s}", "name", v));
      } else if (!strcmp(k, "--allow")) {
        json_array_append_new(allow, json_string(v));
      } else if (!strcmp(k, "--quota")) {
        json_object_set_new(body, "usage_quota", json_integer(atoll(v)));
      } else if (!strcmp(k, "--fuel")) {
        json_object_set_new(limits, "fuel", json_integer(atoll(v)));
      } else if (!strcmp(k, "--memory-mb")) {
        json_object_set_new(limits, "memory_mb", json_integer(atoll(v)));
      } else if (!strcmp(k, "--timeout-ms")) {
        json_object_set_new(limits, "timeout_ms", json_integer(atoll(v)));
      }
    }
    json_object_set_new(body, "arguments", args);
    json_object_set_new(body, "inputs", ins);
    json_object_set_new(body, "outputs", outs);
    json_object_set_new(body, "user_allowlist", allow);
    json_object_set_new(body, "limits", limits);
    rc = cl_print_field(cl_call(c, "function register", "POST", "functions", body),
                        "function_id");
    json_decref(body);
  } else if (!strcmp(sub, "list") && o.npos == 1) {
    if (!(c = cl_connect("function list", &o, 1))) return 1;
    const char *u = cl_opt(&o, "--user");
    snprintf(path, sizeof path, "functions%s%.200s", u ? "?user_id=" : "", u ? u : "");
    rc = cl_print(cl_call(c, "function list", "GET", path, NULL));
  } else if (o.npos == 2 && (!strcmp(sub, "get") || !strcmp(sub, "disable") ||
                             !strcmp(sub, "delete"))) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "function %s", sub);
    if (!(c = cl_connect(cmd, &o, 1))) return 1;
    snprintf(path, sizeof path, "functions/%.200s%s", o.pos[1],
             !strcmp(sub, "disable") ? "/disable" : "");
    const char *method = !strcmp(sub, "get") ? "GET" : !strcmp(sub, "delete") ? "DELETE" : "POST";
    json_t *r = cl_call(c, cmd, method, path, NULL);
    rc = !strcmp(sub, "get") ? cl_print(r) : (r ? (json_decref(r), 0) : 1);
  }
  if (rc == 2)
    fputs(cl_function_help, stderr);
  clave_client_free(c);
  return rc;
}

/* ---- tasks --------------------------------------------------------------------- */

/* NAME=A,B,C -> {"data_name": NAME, "uids": [A, B, C]} */
static json_t *cl_owner_list(const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq) return NULL;
  char name[300];
  snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
  json_t *uids = json_array();
  char *copy = strdup(eq + 1), *save = NULL;
  for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save))
    json_array_append_new(uids, json_string(u));
  free(copy);
  return json_pack("{s:s,s:o}", "data_name", name, "uids", uids);
}

static const char cl_task_help[] =
    "usage: clave task create --function ID [--arg K=V]...\n"
    "         [--input-owner NAME=USER[,USER]]... [--output-owner NAME=USER]...\n"
    "       clave task assign ID [--input NAME=FILE_ID]... [--output NAME=FILE_ID]...\n"
    "       clave task approve|invoke|cancel|get ID\n"
    "       clave task result ID [--wait SECONDS]\n";

int clave_cmd_task(int argc, char **argv) {
  if (cl_help(argc, argv, cl_task_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--function", "--arg", "--input-owner",
                                      "--output-owner", "--input", "--output",
                                      "--wait", "--executor", NULL};
  if (cl_parse("task", argc, argv, 1, &o) || cl_unknown("task", &o, known)) return 2;
  const char *sub = o.npos ? o.pos[0] : "";
  clave_client *c = NULL;
  int rc = 2;
  char path[300], cmd[64];
  snprintf(cmd, sizeof cmd, "task %s", sub);
  if (!strcmp(sub, "create") && o.npos == 1 && cl_opt(&o, "--function")) {
    json_t *args = json_object(), *ins = json_array(), *outs = json_array();
    for (int i = 0; i < o.nkv; i++) {
      const char *k = o.keys[i], *v = o.vals[i];
      if (!strcmp(k, "--arg")) {
        const char *eq = strchr(v, '=');
        char key[300];
        snprintf(key, sizeof key, "%.*s", (int)(eq ? (size_t)(eq - v) : strlen(v)), v);
        json_object_set_new(args, key, json_string(eq ? eq + 1 : ""));
      } else if (!strcmp(k, "--input-owner") || !strcmp(k, "--output-owner")) {
        json_t *ol = cl_owner_list(v);
        if (!ol) {
          fprintf(stderr, "error: task create: %s wants NAME=USER[,USER...]\n", k);
          json_decref(args);
          json_decref(ins);
          json_decref(outs);
          return 2;
        }
        json_array_append_new(k[2] == 'i' ? ins : outs, ol);
      }
    }
    const char *ex = cl_opt(&o, "--executor");
    json_t *body = json_pack("{s:s,s:o,s:s,s:o,s:o}", "function_id",
                             cl_opt(&o, "--function"), "function_arguments", args,
                             "executor", ex ? ex : "wasm", "inputs_ownership", ins,
                             "outputs_ownership", outs);
    if ((c = cl_connect(cmd, &o, 1)))
      rc = cl_print_field(cl_call(c, cmd, "POST", "tasks", body), "task_id");
    else
      rc = 1;
    json_decref(body);
  } else if (!strcmp(sub, "assign") && o.npos == 2) {
    json_t *ins = json_array(), *outs = json_array();
    for (int i = 0; i < o.nkv; i++) {
      const char *k = o.keys[i], *v = o.vals[i];
      const char *eq = strchr(v, '=');
      if (strcmp(k, "--input") && strcmp(k, "--output")) continue;
      if (!eq) {
        fprintf(stderr, "error: task assign: %s wants NAME=FILE_ID\n", k);
        json_decref(ins);
        json_decref(outs);
        return 2;
      }
      json_array_append_new(k[2] == 'i' ? ins : outs,
                            json_pack("{s:s%,s:s}", "data_name", v, (size_t)(eq - v),
                                      "data_id", eq + 1));
    }
    json_t *body = json_pack("{s:o,s:o}", "inputs", ins, "outputs", outs);
    snprintf(path, sizeof path, "tasks/%.200s/assign", o.pos[1]);
    if ((c = cl_connect(cmd, &o, 1)))
      rc = cl_print_field(cl_call(c, cmd, "POST", path, body), "status");
    else
      rc = 1;
    json_decref(body);
  } else if (o.npos == 2 && (!strcmp(sub, "approve") || !strcmp(sub, "invoke") ||
                             !strcmp(sub, "cancel"))) {
    if (!(c = cl_connect(cmd, &o, 1))) return 1;
    snprintf(path, sizeof path, "tasks/%.200s/%s", o.pos[1], sub);
    rc = cl_print_field(cl_call(c, cmd, "POST", path, NULL), "status");
  } else if (!strcmp(sub, "get") && o.npos == 2) {
    if (!(c = cl_connect(cmd, &o, 1))) return 1;
    snprintf(path, sizeof path, "tasks/%.200s", o.pos[1]);
    rc = cl_print(cl_call(c, cmd, "GET", path, NULL));
  } else if (!strcmp(sub, "result") && o.npos == 2) {
    if (!(c = cl_connect(cmd, &o, 1))) return 1;
    const char *w = cl_opt(&o, "--wait");
    long long wait = w ? atoll(w) : 300;
    json_t *t = NULL;
    const char *st = "";
    for (;;) {
      long long step = wait > 600 ? 600 : wait;
      snprintf(path, sizeof path, "tasks/%.200s/result?wait=%lld", o.pos[1], step);
      json_decref(t);
      t = cl_call(c, cmd, "GET", path, NULL);
      if (!t) break;
      st = json_string_value(json_object_get(t, "status"));
      wait -= step;
      if (!strcmp(st, "Finished") || !strcmp(st, "Failed") ||
          !strcmp(st, "Canceled") || wait <= 0)
        break;
    }
    rc = 1;
    if (t) {
      json_t *res = json_object_get(t, "result");
      if (!strcmp(st, "Finished")) {
        printf("%s\n", json_string_value(json_object_get(res, "return_text")));
        rc = 0;
      } else if (!strcmp(st, "Failed") || !strcmp(st, "Canceled")) {
        fprintf(stderr, "error: task result: task %s: %s\n", st,
                json_string_value(json_object_get(res, "reason")));
      } else {
        fprintf(stderr, "error: task result: task is still %s\n", st);
      }
      const char *log = json_string_value(json_object_get(res, "log"));
      if (log && *log) fprintf(stderr, "--- log ---\n%s", log);
      json_decref(t);
    }
  }
  if (rc == 2)
    fputs(cl_task_help, stderr);
  clave_client_free(c);
  return rc;
}

static const char cl_audit_help[] =
    "usage: clave audit [--user U] [--action A] [--limit N]\n";

int clave_cmd_audit(int argc, char **argv) {
  if (cl_help(argc, argv, cl_audit_help)) return 0;
  cl_opts o;
  static const char *const known[] = {"--user", "--action", "--limit", NULL};
  if (cl_parse("audit", argc, argv, 1, &o) || cl_unknown("audit", &o, known)) return 2;
  clave_client *c = cl_connect("audit", &o, 1);
  if (!c) return 1;
  char path[600];
  const char *u = cl_opt(&o, "--user"), *a = cl_opt(&o, "--action"),
             *l = cl_opt(&o, "--limit");
  snprintf(path, sizeof path, "audit?limit=%.20s%s%.200s%s%.100s", l ? l : "100",
           u ? "&user=" : "", u ? u : "", a ? "&action=" : "", a ? a : "");
  json_t *r = cl_call(c, "audit", "GET", path, NULL);
  clave_client_free(c);
  if (!r) return 1;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r, "logs"), i, e) {
    printf("%lld %-10s %-22s %-44s %s\n",
           (long long)json_integer_value(json_object_get(e, "at_ms")),
           json_string_value(json_object_get(e, "user")),
           json_string_value(json_object_get(e, "action")),
           json_string_value(json_object_get(e, "target")),
           json_string_value(json_object_get(e, "result")));
  }
  json_decref(r);
  return 0;
}
