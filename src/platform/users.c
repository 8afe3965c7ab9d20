/*
 * users.c - users, roles, logins and the first administrator.
 *
 * Roles are Teaclave's: PlatformAdmin registers anyone; a
 * DataOwnerManager(attr) registers DataOwners with its own attribute;
 * nobody else registers users.  Passwords are Argon2id hashes; a login
 * hands out a random bearer token of which the store keeps only the
 * SHA-256, with an expiry.  The first start creates `admin` with the
 * password the operator gave, refusing a weak one: there is no default.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/cerr.h"
#include "platform/plat_int.h"

/* Take and give back one of the CP_PW_SLOTS Argon2id slots. */
static void cp_pw_enter(clave_platform *p) {
  pthread_mutex_lock(&p->pw_mu);
  while (p->pw_busy >= CP_PW_SLOTS) pthread_cond_wait(&p->pw_cv, &p->pw_mu);
  p->pw_busy++;
  pthread_mutex_unlock(&p->pw_mu);
}

static void cp_pw_leave(clave_platform *p) {
  pthread_mutex_lock(&p->pw_mu);
  p->pw_busy--;
  pthread_cond_signal(&p->pw_cv);
  pthread_mutex_unlock(&p->pw_mu);
}

static clave_status cp_pw_hash(clave_platform *p, const char *pw, char *hash,
                               clave_error *err) {
  cp_pw_enter(p);
  clave_status st = clave_password_hash(pw, hash, err);
  cp_pw_leave(p);
  return st;
}

static const char *const cp_roles[] = {"PlatformAdmin", "FunctionOwner",
                                       "DataOwnerManager", "DataOwner"};

int cp_role_valid(const char *role) {
  for (size_t i = 0; i < 4; i++)
    if (!strcmp(role, cp_roles[i])) return 1;
  return 0;
}

clave_status cp_users_bootstrap(clave_platform *p, clave_error *err) {
  int64_t n = 0;
  clave_status st = clave_store_user_count(p->store, &n, err);
  if (st || n > 0) return st;
  const char *pw = p->cfg.admin_password;
  if (!pw || !*pw)
    return cv_err(err, CLAVE_EARG,
                  "first start: an admin password is required "
                  "(--admin-password-file FILE, CLAVE_ADMIN_PASSWORD, or "
                  "the prompt)");
  const char *weak = clave_password_weakness(pw);
  if (weak) return cv_err(err, CLAVE_EARG, "admin password refused: %s", weak);
  char hash[CLAVE_PASSWORD_HASH_LEN];
  st = cp_pw_hash(p, pw, hash, err);
  if (st) return st;
  clave_user_rec u = {"admin", "PlatformAdmin", "", hash, "",
                      cp_now_ms() / 1000};
  return clave_store_user_put(p->store, &u, 1, err);
}

int cp_users_login(cp_req *r) {
  const char *id = cp_jstr(r->body, "id");
  const char *pw = cp_jstr(r->body, "password");
  if (!id || !pw) return cp_fail(r, 400, "login needs \"id\" and \"password\"");
  snprintf(r->target, sizeof r->target, "%.100s", id);
  clave_user_rec u;
  clave_error err;
  int known = clave_store_user_get(r->p->store, id, &u, &err) == CLAVE_OK;
  /* verify even for an unknown user, against a fixed hash, so that the
   * answer takes as long either way */
  static const char dummy[] =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "qBaS2vBm3oUvuwAsOHpUz4ATFx6hOEu2IEiOqdoEfg4";
  cp_pw_enter(r->p);
  int ok = clave_password_verify(known ? u.pw_hash : dummy, pw) && known;
  cp_pw_leave(r->p);
  clave_user_rec_free(&u);
  if (!ok) return cp_fail(r, 401, "wrong user id or password");
  uint8_t raw[32], digest[32];
  char token[65], hash[65];
  if (clave_crypto_random(raw, sizeof raw, &err)) return cp_fail_err(r, &err);
  clave_crypto_hex(raw, sizeof raw, token);
  clave_crypto_sha256(token, strlen(token), digest);
  clave_crypto_hex(digest, 32, hash);
  int64_t expires = cp_now_ms() / 1000 + r->p->cfg.token_ttl_s;
  clave_store_token_purge(r->p->store, cp_now_ms() / 1000, NULL);
  if (clave_store_token_put(r->p->store, hash, id, expires, &err))
    return cp_fail_err(r, &err);
  return cp_ok(r, json_pack("{s:s,s:I}", "token", token, "expires_at",
                            (json_int_t)expires));
}

int cp_users_register(cp_req *r) {
  const char *id = cp_jstr(r->body, "id");
  const char *pw = cp_jstr(r->body, "password");
  const char *role = cp_jstr(r->body, "role");
  const char *attr = cp_jstr(r->body, "attribute");
  if (!id || !pw)
    return cp_fail(r, 400, "register_user needs \"id\" and \"password\"");
  snprintf(r->target, sizeof r->target, "%.100s", id);
  if (!role || !*role) role = "DataOwner";
  if (!attr) attr = "";
  if (!cp_valid_name(id, 64))
    return cp_fail(r, 400,
                   "bad user id '%.80s': use 1-64 letters, digits, '_', "
                   "'-', '.', '@'",
                   id);
  if (!cp_role_valid(role))
    return cp_fail(r, 400,
                   "unknown role '%.64s' (PlatformAdmin, FunctionOwner, "
                   "DataOwnerManager, DataOwner)",
                   role);
  if (strlen(attr) > 64) return cp_fail(r, 400, "attribute too long");
  if (!cp_is_admin(r)) {
    if (strcmp(r->user.role, "DataOwnerManager") != 0)
      return cp_fail(r, 403, "role %s may not register users", r->user.role);
    if (strcmp(role, "DataOwner") != 0)
      return cp_fail(r, 403,
                     "a DataOwnerManager may register DataOwner users only");
    if (!*attr) attr = r->user.attr;
    if (strcmp(attr, r->user.attr) != 0)
      return cp_fail(r, 403,
                     "a DataOwnerManager may register users of its own "
                     "attribute '%s' only",
                     r->user.attr);
  }
  const char *weak = clave_password_weakness(pw);
  if (weak) return cp_fail(r, 400, "password refused: %s", weak);
  char hash[CLAVE_PASSWORD_HASH_LEN];
  clave_error err;
  if (cp_pw_hash(r->p, pw, hash, &err)) return cp_fail_err(r, &err);
  clave_user_rec u = {(char *)id, (char *)role, (char *)attr, hash,
                      r->user.id, cp_now_ms() / 1000};
  if (clave_store_user_put(r->p->store, &u, 1, &err)) {
    if (err.status == CLAVE_EARG) return cp_fail(r, 409, "%s", err.message);
    return cp_fail_err(r, &err);
  }
  return cp_ok(r, json_pack("{s:s,s:s,s:s}", "id", id, "role", role,
                            "attribute", attr));
}

int cp_users_me(cp_req *r) {
  return cp_ok(r, json_pack("{s:s,s:s,s:s}", "id", r->user.id, "role",
                            r->user.role, "attribute", r->user.attr));
}

int cp_users_password(cp_req *r) {
  const char *pw = cp_jstr(r->body, "password");
  snprintf(r->target, sizeof r->target, "%.100s", r->user.id);
  if (!pw) return cp_fail(r, 400, "needs \"password\"");
  const char *weak = clave_password_weakness(pw);
  if (weak) return cp_fail(r, 400, "password refused: %s", weak);
  char hash[CLAVE_PASSWORD_HASH_LEN];
  clave_error err;
  if (cp_pw_hash(r->p, pw, hash, &err)) return cp_fail_err(r, &err);
  clave_user_rec u = r->user;
  u.pw_hash = hash;
  if (clave_store_user_put(r->p->store, &u, 0, &err))
    return cp_fail_err(r, &err);
  return cp_ok(r, NULL);
}

int cp_audit_query(cp_req *r) {
  if (!cp_is_admin(r))
    return cp_fail(r, 403, "only a PlatformAdmin may read the audit log");
  const char *user = cp_query(r, "user");
  const char *action = cp_query(r, "action");
  const char *lim = cp_query(r, "limit");
  int64_t limit = lim ? strtoll(lim, NULL, 10) : 100;
  if (limit <= 0 || limit > 10000)
    return cp_fail(r, 400, "limit must be between 1 and 10000");
  clave_audit_rec *recs;
  size_t n;
  clave_error err;
  if (clave_store_audit_query(r->p->store, user, action, limit, &recs, &n,
                              &err))
    return cp_fail_err(r, &err);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(
        arr, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "seq",
                       (json_int_t)recs[i].seq, "at_ms",
                       (json_int_t)recs[i].at_ms, "user", recs[i].user_id,
                       "action", recs[i].action, "target", recs[i].target,
                       "result", recs[i].result));
  clave_audit_recs_free(recs, n);
  return cp_ok(r, json_pack("{s:o}", "logs", arr));
}
