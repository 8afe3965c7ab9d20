/*
 * client.c - a small HTTP/1.1 client for the platform's own API, for the
 * CLI and the benchmarks.
 *
 * It speaks just what clave serve speaks: requests with a Content-Length
 * body, replies with a Content-Length body, keep-alive connections (one
 * retry on a fresh connection when a kept one turns out closed).  TLS is
 * OpenSSL; the server is verified by the SHA-256 fingerprint of its
 * certificate (what `clave serve` prints), by a CA file with host or IP
 * check, or not at all when the caller insists (tests on loopback).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clave/platform.h"
#include "crypto/cerr.h"

struct clave_client {
  int tls;
  char host[256];
  char port[16];
  char fingerprint[100]; /* normalised: lower-case hex, no colons */
  char token[200];
  SSL_CTX *ctx;
  SSL *ssl;
  int fd;
};

static void cc_norm_fp(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; *in && o + 1 < cap; in++) {
    char c = *in;
    if (c == ':') continue;
    if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
    out[o++] = c;
  }
  out[o] = 0;
}

clave_status clave_client_new(const char *url, const char *fingerprint,
                              const char *cafile, int insecure,
                              clave_client **out, clave_error *err) {
  *out = NULL;
  clave_client *c = calloc(1, sizeof *c);
  if (!c) return cv_err(err, CLAVE_ENOMEM, "out of memory");
  c->fd = -1;
  const char *rest;
  if (!strncmp(url, "https://", 8)) {
    c->tls = 1;
    rest = url + 8;
  } else if (!strncmp(url, "http://", 7)) {
    rest = url + 7;
  } else {
    free(c);
    return cv_err(err, CLAVE_EARG,
                  "bad server url '%s' (expected https://HOST:PORT)", url);
  }
  const char *hs = rest, *he;
  if (*rest == '[') {
    hs = rest + 1;
    he = strchr(hs, ']');
    if (!he) {
      free(c);
      return cv_err(err, CLAVE_EARG, "bad server url '%s'", url);
    }
    rest = he + 1;
  } else {
    he = rest + strcspn(rest, ":/");
    rest = he;
  }
  snprintf(c->host, sizeof c->host, "%.*s", (int)(he - hs), hs);
  if (*rest == ':') {
    size_t n = strspn(rest + 1, "0123456789");
    snprintf(c->port, sizeof c->port, "%.*s", (int)(n < 6 ? n : 6), rest + 1);
  } else {
    snprintf(c->port, sizeof c->port, "%s", c->tls ? "443" : "80");
  }
  if (c->tls) {
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx) {
      free(c);
      return cv_err(err, CLAVE_ENOMEM, "cannot create a TLS context");
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (fingerprint && *fingerprint) {
      cc_norm_fp(fingerprint, c->fingerprint, sizeof c->fingerprint);
      SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    } else if (cafile) {
      if (SSL_CTX_load_verify_locations(c->ctx, cafile, NULL) != 1) {
        clave_client_free(c);
        return cv_err(err, CLAVE_EARG, "%s: not a usable CA file", cafile);
      }
      SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else if (insecure) {
      SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    } else {
      clave_client_free(c);
      return cv_err(err, CLAVE_EARG,
                    "give the server's certificate fingerprint (as clave "
                    "serve prints it) or a CA file");
    }
  }
  *out = c;
  return CLAVE_OK;
}

static void cc_close(clave_client *c) {
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

void clave_client_free(clave_client *c) {
  if (!c) return;
  cc_close(c);
  if (c->ctx) SSL_CTX_free(c->ctx);
  memset(c->token, 0, sizeof c->token);
  free(c);
}

void clave_client_set_token(clave_client *c, const char *token) {
  snprintf(c->token, sizeof c->token, "%s", token ? token : "");
}

static clave_status cc_connect(clave_client *c, clave_error *err) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(c->host, c->port, &hints, &res);
  if (rc != 0)
    return cv_err(err, CLAVE_EIO, "cannot resolve %s: %s", c->host,
                  gai_strerror(rc));
  int saved = 0;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (c->fd < 0) continue;
    if (connect(c->fd, a->ai_addr, a->ai_addrlen) == 0) {
      /* a request goes out in one write; do not hold it for an ACK */
      int one = 1;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      break;
    }
    saved = errno;
    close(c->fd);
    c->fd = -1;
  }
  freeaddrinfo(res);
  if (c->fd < 0)
    return cv_err(err, CLAVE_EIO, "cannot connect to %s:%s: %s", c->host,
                  c->port, strerror(saved ? saved : ECONNREFUSED));
  if (!c->tls) return CLAVE_OK;
  c->ssl = SSL_new(c->ctx);
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_tlsext_host_name(c->ssl, c->host);
  if (!c->fingerprint[0] && SSL_CTX_get_verify_mode(c->ctx) & SSL_VERIFY_PEER) {
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(vp, c->host) != 1)
      X509_VERIFY_PARAM_set1_host(vp, c->host, 0);
  }
  if (SSL_connect(c->ssl) != 1) {
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    cc_close(c);
    return cv_err(err, CLAVE_EIO, "TLS handshake with %s:%s failed: %s",
                  c->host, c->port, buf);
  }
  if (c->fingerprint[0]) {
    X509 *peer = SSL_get1_peer_certificate(c->ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (peer) {
      X509_digest(peer, EVP_sha256(), md, &n);
      X509_free(peer);
      for (unsigned i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    if (strcmp(hex, c->fingerprint) != 0) {
      cc_close(c);
      return cv_err(err, CLAVE_EARG,
                    "server certificate fingerprint mismatch (got %s)",
                    hex[0] ? hex : "no certificate");
    }
  }
  return CLAVE_OK;
}

static int cc_write(clave_client *c, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    int n = c->tls ? SSL_write(c->ssl, p, (int)(len > (1u << 30) ? (1u << 30) : len))
                   : (int)send(c->fd, p, len, MSG_NOSIGNAL);
    if (n <= 0) {
      if (!c->tls && n < 0 && errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int cc_read(clave_client *c, void *buf, size_t len) {
  for (;;) {
    int n = c->tls ? SSL_read(c->ssl, buf, (int)(len > (1u << 30) ? (1u << 30) : len))
                   : (int)read(c->fd, buf, len);
    if (n < 0 && !c->tls && errno == EINTR) continue;
    return n;
  }
}

/* One exchange on the current connection.  Returns 1 when the connection
 * failed before any reply byte came (the caller may retry). */
static int cc_exchange(clave_client *c, const char *head, size_t head_len,
                       const void *body, size_t body_len, int *status,
                       char **reply, size_t *reply_len, int *keep,
                       clave_error *err) {
  if (cc_write(c, head, head_len) || (body_len && cc_write(c, body, body_len)))
    return 1;
  char hdr[16384];
  size_t got = 0;
  char *end = NULL;
  while (!end) {
    if (got == sizeof hdr - 1) {
      cv_err(err, CLAVE_EIO, "reply headers too long");
      return -1;
    }
    int n = cc_read(c, hdr + got, sizeof hdr - 1 - got);
    if (n <= 0) {
      if (got == 0) return 1;
      cv_err(err, CLAVE_EIO, "connection closed in the reply headers");
      return -1;
    }
    got += (size_t)n;
    hdr[got] = 0;
    end = strstr(hdr, "\r\n\r\n");
  }
  *end = 0;
  char *bodystart = end + 4;
  size_t have = got - (size_t)(bodystart - hdr);
  if (sscanf(hdr, "HTTP/1.%*d %d", status) != 1) {
    cv_err(err, CLAVE_EIO, "malformed reply status line");
    return -1;
  }
  long long clen = -1;
  *keep = 1;
  for (char *line = strstr(hdr, "\r\n"); line; line = strstr(line, "\r\n")) {
    line += 2;
    if (!strncasecmp(line, "Content-Length:", 15)) clen = atoll(line + 15);
    else if (!strncasecmp(line, "Connection:", 11)) {
      char val[64];
      snprintf(val, sizeof val, "%.*s", (int)strcspn(line + 11, "\r"),
               line + 11);
      if (strcasestr(val, "close")) *keep = 0;
    }
    else if (!strncasecmp(line, "Transfer-Encoding:", 18)) {
      cv_err(err, CLAVE_EUNSUPPORTED, "chunked replies are not supported");
      return -1;
    }
  }
  if (clen < 0) {
    cv_err(err, CLAVE_EIO, "reply without Content-Length");
    return -1;
  }
  char *buf = malloc((size_t)clen + 1);
  if (!buf) {
    cv_err(err, CLAVE_ENOMEM, "out of memory (%lld bytes)", clen);
    return -1;
  }
  size_t take = have < (size_t)clen ? have : (size_t)clen;
  memcpy(buf, bodystart, take);
  size_t off = take;
  while (off < (size_t)clen) {
    int n = cc_read(c, buf + off, (size_t)clen - off);
    if (n <= 0) {
      free(buf);
      cv_err(err, CLAVE_EIO, "connection closed in the reply body");
      return -1;
    }
    off += (size_t)n;
  }
  buf[clen] = 0;
  *reply = buf;
  *reply_len = (size_t)clen;
  return 0;
}

clave_status clave_client_call(clave_client *c, const char *method,
                               const char *path, const char *content_type,
                               const void *body, size_t body_len, int *status,
                               char **reply, size_t *reply_len,
                               clave_error *err) {
  *reply = NULL;
  *reply_len = 0;
  *status = 0;
  /* a small body travels in the same write as the head: two writes would
   * make the second wait for the server's delayed ACK (Nagle) */
  size_t inline_body = body_len <= 65536 ? body_len : 0;
  const char *ctype = content_type ? content_type : "application/json";
  size_t cap = strlen(path) + strlen(c->token) + strlen(c->host) +
               strlen(ctype) + 256 + inline_body;
  char *head = malloc(cap);
  if (!head) return cv_err(err, CLAVE_ENOMEM, "out of memory");
  int n = snprintf(head, cap,
                   "%s /v1/%s HTTP/1.1\r\nHost: %s:%s\r\n%s%s%s"
                   "Content-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: keep-alive\r\n\r\n",
                   method, path, c->host, c->port,
                   c->token[0] ? "Authorization: Bearer " : "", c->token,
                   c->token[0] ? "\r\n" : "",
                   ctype, body_len);
  if (inline_body) {
    memcpy(head + n, body, inline_body);
    n += (int)inline_body;
    body = NULL;
    body_len = 0;
  }
  clave_status st = CLAVE_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    int fresh = c->fd < 0;
    if (fresh && (st = cc_connect(c, err))) break;
    int keep = 0;
    int rc = cc_exchange(c, head, (size_t)n, body, body_len, status, reply,
                         reply_len, &keep, err);
    if (rc == 0) {
      if (!keep) cc_close(c);
      st = CLAVE_OK;
      break;
    }
    cc_close(c);
    if (rc < 0 || fresh) {
      st = rc < 0 ? (err ? err->status : CLAVE_EIO)
                  : cv_err(err, CLAVE_EIO, "%s:%s closed the connection",
                           c->host, c->port);
      break;
    }
  }
  free(head);
  return st;
}
