/*
 * child.c - the processes that run functions: a prepared process per
 * function, and from it one task process per task run.
 *
 * The server starts its own executable with CLAVE_PLATFORM_CHILD_ARG; the
 * first frame on fd 0 says what the process is for:
 *
 *   {"validate": true} + payload: load the payload under the sandbox and
 *     say whether it loads (registration check), then exit.
 *   {"prepare": true, "memory_bytes": N} + payload: a prepared process.
 *     It enters a sandbox of its own, loads the payload once (decode,
 *     validate, translate), answers {"ok": ...}, then waits on fd 0 for
 *     task sockets (SCM_RIGHTS, one byte each).  For each it forks a task
 *     process as a sibling of itself (CLONE_PARENT: the task process is
 *     the server's child, which waits for it, kills it and reads how it
 *     ended) and answers with its pid.  It never sees a task's data: that
 *     goes over the task's own socket, straight to the task process.
 *
 * A task process starts with the program already loaded: it reads the
 * task's request (arguments, limits, each input's stored bytes with its
 * key, each output's key) from its socket, decrypts and checks the inputs,
 * enters the task sandbox (stacked on the prepared process's) and runs the
 * function with the executor.  Outputs are encrypted with their owners'
 * keys before anything is written back, so plaintext exists only in this
 * process's memory and dies with it; nothing of one task can reach
 * another, since each is a fresh copy of the prepared process.
 *
 * It never trusts the server's framing blindly either: every frame is
 * bounded.  It ends with _exit so that no atexit work (or leak checker)
 * runs under the seccomp filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clave/executor.h"
#include "crypto/cerr.h"
#include "platform/plat_int.h"

#define CP_MAX_FRAME (1ull << 31)

typedef struct cp_child {
  json_t *req;
  size_t nin, nout;
  clave_exec_input *inputs;
  clave_exec_output *outputs;
  clave_file_crypto *out_crypto;
  uint8_t **plain; /* decrypted inputs */
  size_t *plain_len;
} cp_child;

static void cp_child_reply(json_t *hdr, const char *log, size_t log_len,
                           uint8_t **outs, size_t *out_lens, size_t nouts) {
  char *text = cp_jdump(hdr);
  cp_wire_write(1, text, strlen(text), NULL);
  free(text);
  cp_wire_write(1, log ? log : "", log ? log_len : 0, NULL);
  for (size_t i = 0; i < nouts; i++)
    if (outs[i]) cp_wire_write(1, outs[i], out_lens[i], NULL);
}

static void cp_child_fail(const char *msg, const char *log, size_t log_len) {
  json_t *hdr = json_pack("{s:b,s:s,s:[]}", "ok", 0, "error", msg, "outputs");
  cp_child_reply(hdr, log, log_len, NULL, NULL, 0);
  json_decref(hdr);
}

#ifdef CLAVE_HAVE_EXECUTOR
static int cp_child_crypto(json_t *e, clave_file_crypto *fc, clave_error *err) {
  uint8_t key[64], iv[64];
  size_t kl = 0, il = 0;
  const char *k = cp_jstr(e, "key"), *v = cp_jstr(e, "iv");
  if (clave_crypto_unhex(k ? k : "", key, sizeof key, &kl, err) ||
      clave_crypto_unhex(v ? v : "", iv, sizeof iv, &il, err))
    return -1;
  int rc =
      clave_file_crypto_init(fc, cp_jstr(e, "scheme"), key, kl, iv, il, err)
          ? -1
          : 0;
  clave_crypto_wipe(key, sizeof key);
  return rc;
}

static uint64_t cp_ju(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_integer(v) && json_integer_value(v) > 0
             ? (uint64_t)json_integer_value(v)
             : 0;
}

/* Registration check: load the payload under the sandbox, report. */
static void cp_child_validate(const uint8_t *payload, size_t len) {
  clave_error err;
  memset(&err, 0, sizeof err);
  if (cp_sandbox_enter(4ull << 30, 60, &err)) {
    cp_child_fail(err.message, NULL, 0);
    _exit(0);
  }
  clave_program *prog = NULL;
  if (clave_program_load(NULL, payload, len, &prog, &err)) {
    char msg[700];
    snprintf(msg, sizeof msg, "payload refused: %s", err.message);
    cp_child_fail(msg, NULL, 0);
    _exit(0);
  }
  json_t *ok = json_pack("{s:b,s:s,s:[]}", "ok", 1, "error", "", "outputs");
  cp_child_reply(ok, NULL, 0, NULL, NULL, 0);
  _exit(0);
}

/* A task process: its socket is fd 0 and 1, prog is loaded. */
static void cp_child_task(clave_program *prog) {
  cp_child c;
  memset(&c, 0, sizeof c);
  clave_error err;
  uint8_t *hdr;
  size_t hdr_len;
  if (cp_wire_read(0, 1u << 24, &hdr, &hdr_len, &err)) _exit(3);
  c.req = json_loadb((const char *)hdr, hdr_len, 0, NULL);
  clave_crypto_wipe(hdr, hdr_len); /* it holds the keys */
  free(hdr);
  if (!json_is_object(c.req)) {
    cp_child_fail("task child: malformed request", NULL, 0);
    _exit(0);
  }
  json_t *ins = json_object_get(c.req, "inputs");
  json_t *outs = json_object_get(c.req, "outputs");
  c.nin = json_array_size(ins);
  c.nout = json_array_size(outs);
  c.inputs = calloc(c.nin + 1, sizeof *c.inputs);
  c.plain = calloc(c.nin + 1, sizeof *c.plain);
  c.plain_len = calloc(c.nin + 1, sizeof *c.plain_len);
  c.outputs = calloc(c.nout + 1, sizeof *c.outputs);
  c.out_crypto = calloc(c.nout + 1, sizeof *c.out_crypto);
  if (!c.inputs || !c.plain || !c.plain_len || !c.outputs || !c.out_crypto) {
    cp_child_fail("task child: out of memory", NULL, 0);
    _exit(0);
  }
  /* inputs: read, check the tag, decrypt */
  for (size_t i = 0; i < c.nin; i++) {
    json_t *e = json_array_get(ins, i);
    const char *name = cp_jstr(e, "name");
    uint8_t *data;
    size_t len;
    if (cp_wire_read(0, CP_MAX_FRAME, &data, &len, &err)) _exit(3);
    clave_file_crypto fc;
    uint8_t tag[16];
    size_t tl = 0;
    const char *th = cp_jstr(e, "tag");
    char msg[700];
    if (cp_child_crypto(e, &fc, &err) ||
        clave_crypto_unhex(th ? th : "", tag, sizeof tag, &tl, &err) ||
        clave_file_decrypt(&fc, data, len, tl == 16 ? tag : NULL, &c.plain[i],
                           &c.plain_len[i], &err)) {
      snprintf(msg, sizeof msg, "input '%s': %s", name ? name : "?",
               err.message);
      cp_child_fail(msg, NULL, 0);
      _exit(0);
    }
    clave_crypto_wipe(&fc, sizeof fc);
    free(data);
    c.inputs[i].name = name;
    c.inputs[i].data = c.plain[i];
    c.inputs[i].len = c.plain_len[i];
  }
  for (size_t i = 0; i < c.nout; i++) {
    json_t *e = json_array_get(outs, i);
    c.outputs[i].name = cp_jstr(e, "name");
    if (cp_child_crypto(e, &c.out_crypto[i], &err)) {
      char msg[700];
      snprintf(msg, sizeof msg, "output '%s': %s", c.outputs[i].name,
               err.message);
      cp_child_fail(msg, NULL, 0);
      _exit(0);
    }
  }

  uint64_t mem = cp_ju(c.req, "memory_bytes");
  uint64_t timeout_ms = cp_ju(c.req, "timeout_ms");
  /* the memory cap leaves room for the engine and the host side
   * (inputs, outputs, code) beyond the function's own linear memory */
  uint64_t data_cap = mem ? mem + (512ull << 20) : 0;
  memset(&err, 0, sizeof err);
  if (cp_sandbox_enter(data_cap, timeout_ms ? timeout_ms / 1000 + 2 : 0,
                       &err)) {
    cp_child_fail(err.message, NULL, 0);
    _exit(0);
  }

  clave_exec_request rq;
  clave_exec_request_init(&rq);
  rq.entry = CLAVE_ENTRY_TEACLAVE;
  rq.args_json = cp_jstr(c.req, "args");
  rq.inputs = c.inputs;
  rq.ninputs = c.nin;
  rq.outputs = c.outputs;
  rq.noutputs = c.nout;
  rq.limits.fuel = cp_ju(c.req, "fuel");
  rq.limits.max_memory_bytes = mem;
  rq.limits.timeout_ms = timeout_ms;
  rq.max_output_bytes = cp_ju(c.req, "max_output");
  clave_exec_result res;
  memset(&res, 0, sizeof res);
  clave_status st = clave_program_run(prog, &rq, &res);

  json_t *reply = json_object();
  uint8_t **enc = calloc(c.nout + 1, sizeof *enc);
  size_t *enc_len = calloc(c.nout + 1, sizeof *enc_len);
  json_t *olist = json_array();
  int ok = st == CLAVE_OK;
  char reason[700] = "";
  if (!ok) {
    /* "trap: unreachable", "trap: fuel exhausted", "limit exceeded: ..." */
    const char *m = res.error.message[0] ? res.error.message
                    : res.error.trap     ? clave_trap_message(res.error.trap)
                                         : "";
    snprintf(reason, sizeof reason, "%s%s%s", clave_status_name(st),
             *m ? ": " : "", m);
  }
  for (size_t i = 0; ok && i < c.nout; i++) {
    uint8_t tag[16];
    char th[33] = "";
    if (c.outputs[i].created) {
      if (clave_file_encrypt(&c.out_crypto[i], c.outputs[i].data,
                             c.outputs[i].len, &enc[i], &enc_len[i], tag,
                             &err)) {
        ok = 0;
        snprintf(reason, sizeof reason, "output '%s': %s", c.outputs[i].name,
                 err.message);
        break;
      }
      clave_crypto_hex(tag, 16, th);
    }
    json_array_append_new(
        olist, json_pack("{s:s,s:b,s:s}", "name", c.outputs[i].name, "created",
                         c.outputs[i].created, "tag", th));
  }
  json_object_set_new(reply, "ok", json_boolean(ok));
  json_object_set_new(reply, "return_value", json_integer(res.return_value));
  json_object_set_new(reply, "error", json_string(reason));
  json_object_set_new(reply, "log_truncated", json_boolean(res.log_truncated));
  json_object_set_new(reply, "fuel_used",
                      json_integer((json_int_t)res.fuel_used));
  json_object_set_new(reply, "outputs", ok ? olist : json_array());
  if (!ok) json_decref(olist);
  cp_child_reply(reply, res.log, res.log_len, ok ? enc : NULL, enc_len,
                 ok ? c.nout : 0);
  _exit(0);
}

/* Run each crypto primitive a task process uses once, so that OpenSSL's
 * lazy set-up (configuration, providers) happens before the sandbox
 * forbids opening files. */
static void cp_child_warm_crypto(void) {
  static const uint8_t zero[32];
  static const char *const schemes[] = {"aes-gcm-128", "aes-gcm-256", "raw"};
  for (size_t i = 0; i < 3; i++) {
    clave_file_crypto fc;
    uint8_t *enc = NULL, *dec = NULL, tag[16];
    size_t el = 0, dl = 0;
    size_t kl = strcmp(schemes[i], "aes-gcm-256") ? 16 : 32;
    if (clave_file_crypto_init(&fc, schemes[i], zero, i == 2 ? 0 : kl, zero,
                               i == 2 ? 0 : 12, NULL) ||
        clave_file_encrypt(&fc, zero, sizeof zero, &enc, &el, tag, NULL) ||
        clave_file_decrypt(&fc, enc, el, tag, &dec, &dl, NULL)) {
      /* a failure here shows up again, with its message, in the task */
    }
    free(enc);
    free(dec);
  }
}

/* Receive one task socket (a byte with SCM_RIGHTS) on fd 0: 1 and *fd,
 * 0 when the server closed the channel, -1 on a malformed message. */
static int cp_child_recv_fd(int *fd) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl.buf;
  mh.msg_controllen = sizeof ctl.buf;
  ssize_t n;
  do n = recvmsg(0, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n == 0) return 0;
  if (n < 0) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int)) || (mh.msg_flags & MSG_CTRUNC))
    return -1;
  memcpy(fd, CMSG_DATA(cm), sizeof(int));
  return 1;
}

/* The prepared process of one function: load once, fork per task. */
static void cp_child_prepared(json_t *req, uint8_t *payload, size_t len) {
  clave_error err;
  memset(&err, 0, sizeof err);
  prctl(PR_SET_NAME, "clave-prepared"); /* for ps and the tests */
  cp_child_warm_crypto();
  /* the payload is untrusted: load it under a sandbox too */
  uint64_t mem = cp_ju(req, "memory_bytes");
  uint64_t cap =
      mem + (1ull << 30) > (4ull << 30) ? mem + (1ull << 30) : (4ull << 30);
  if (cp_sandbox_enter_prepared(cap, &err)) {
    cp_child_fail(err.message, NULL, 0);
    _exit(0);
  }
  clave_program *prog = NULL;
  if (clave_program_load(NULL, payload, len, &prog, &err)) {
    char msg[700];
    snprintf(msg, sizeof msg, "payload refused: %s", err.message);
    cp_child_fail(msg, NULL, 0);
    _exit(0);
  }
  free(payload);
  json_decref(req);
  json_t *ok = json_pack("{s:b,s:s,s:[]}", "ok", 1, "error", "", "outputs");
  cp_child_reply(ok, NULL, 0, NULL, NULL, 0);
  json_decref(ok);
  pid_t server = getppid();
  for (;;) {
    int fd = -1;
    int rc = cp_child_recv_fd(&fd);
    if (rc == 0) _exit(0); /* the server let this function go */
    if (rc < 0) _exit(3);
    /* a sibling, not a child: the server waits for it and reads its
     * end; the copy of this process's memory is the task's alone */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL,
                       NULL, NULL, 0UL);
    if (pid == 0) {
      if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) _exit(3);
      close(fd);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != server) _exit(1); /* the server is gone already */
      prctl(PR_SET_NAME, "clave-task");
      cp_child_task(prog);
    }
    int saved = errno;
    close(fd);
    uint8_t frame[8];
    int64_t v = pid > 0 ? (int64_t)pid : -(int64_t)saved;
    for (int i = 0; i < 8; i++) frame[i] = (uint8_t)((uint64_t)v >> (8 * i));
    if (cp_wire_write(1, frame, 8, NULL)) _exit(3);
  }
}
#endif

int clave_platform_child_main(int in_fd, int out_fd) {
  if (in_fd != 0 || out_fd != 1) {
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0) return 2;
  }
  close_range(3, ~0u, 0);
  /* die with the server: an orphaned run has nobody to report to */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(1);
  clave_error err;
  uint8_t *hdr;
  size_t hdr_len;
  if (cp_wire_read(0, 1u << 24, &hdr, &hdr_len, &err)) return 3;
  json_t *req = json_loadb((const char *)hdr, hdr_len, 0, NULL);
  free(hdr);
  if (!json_is_object(req)) {
    cp_child_fail("task child: malformed request", NULL, 0);
    _exit(0);
  }
  uint8_t *payload;
  size_t len;
  if (cp_wire_read(0, CP_MAX_FRAME, &payload, &len, &err)) return 3;
#ifdef CLAVE_HAVE_EXECUTOR
  if (json_is_true(json_object_get(req, "validate")))
    cp_child_validate(payload, len);
  if (json_is_true(json_object_get(req, "prepare")))
    cp_child_prepared(req, payload, len);
  cp_child_fail("task child: unknown request (neither validate nor prepare)",
                NULL, 0);
#else
  (void)len;
  free(payload);
  if (json_is_true(json_object_get(req, "validate"))) {
    json_t *ok = json_pack("{s:b,s:s,s:[]}", "ok", 1, "error", "", "outputs");
    cp_child_reply(ok, NULL, 0, NULL, NULL, 0);
  } else {
    cp_child_fail(
        "this clave was built without the executor "
        "(clave_program_run is missing)",
        NULL, 0);
  }
#endif
  _exit(0);
}
