/*
 * bench_platform.c - how fast the platform runs a small inference task, end
 * to end, on loopback: the figures of issue 5's "Speed" section.
 *
 * It starts a release `clave serve` in a temporary data folder (HTTPS with
 * the server's self-signed certificate pinned, or --http), registers a
 * function owner and one data owner per client, compiles and registers the
 * Fashion-MNIST model (models/fashion_mnist/model.onnx, or the seed's
 * mnist-8 while that is not there) as a public function, and each data
 * owner registers one encrypted 28x28 image.  Then it measures:
 *
 *   - latency: invoke to result (POST invoke, then GET result?wait=) of
 *     tasks prepared ahead, one at a time, after warm-up tasks so that the
 *     function is cached: median and p99;
 *   - throughput with 1, 8 and 32 concurrent clients: each client runs
 *     whole tasks (create, assign, approve, invoke, result) for a fixed
 *     time; and the invoke-to-result rate alone, on tasks prepared ahead;
 *   - a whole task with an encrypted output file as well (register the
 *     output, ..., the output stored), to show what storing results costs;
 *   - the server's memory: VmRSS idle, and at 32 clients its VmHWM (reset
 *     through /proc/PID/clear_refs before the phase), plus the proportional
 *     set size of the server and its task children together.
 *
 * It prints a table with the targets beside the figures, the machine and
 * the load average before and after.  Progress goes to stderr when it is a
 * terminal.  Every phase is bounded in time and count, every connection is
 * to 127.0.0.1, and the server and its folder are gone when it returns.
 *
 * This is a benchmark: it reports, it asserts nothing but that every task
 * it ran finished with a class in 0..9.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clave/crypto.h"
#include "clave/platform.h"

extern char **environ;

#ifndef CLAVE_SOURCE_DIR
#define CLAVE_SOURCE_DIR "."
#endif
#ifndef CLAVE_SHARED_DIR
#define CLAVE_SHARED_DIR "../shared"
#endif

#define BP_ADMIN_PW "Bench-admin-2024"
#define BP_USER_PW "Bench-user-2024"
#define BP_MAX_CLIENTS 256

/* ---- options and shared state ------------------------------------------- */

typedef struct bp_opts {
  const char *clave;   /* the clave binary */
  const char *model;   /* ONNX model to compile */
  const char *payload; /* or a compiled payload */
  const char *shared;  /* ../shared */
  int workers;         /* server --workers */
  int latency_tasks;   /* measured invoke-to-result tasks */
  int warmup_tasks;
  double seconds;   /* per throughput phase */
  int invoke_tasks; /* tasks per invoke-only phase (all clients) */
  int clients[8];
  int nclients;
  int output_clients; /* concurrency of the with-output phase (0: off) */
  int http;           /* plain HTTP instead of HTTPS */
  int progress;       /* stderr is a terminal */
  double timeout;     /* the whole run, seconds */
} bp_opts;

typedef struct bp_server {
  pid_t pid;
  char dir[PATH_MAX];
  char url[256];
  char fingerprint[128];
} bp_server;

typedef struct bp_ctx {
  bp_opts o;
  bp_server srv;
  char fn_plain[64];  /* function with an input only */
  char fn_output[64]; /* the same payload with an output too */
  uint8_t *image;     /* the plaintext input (a PGM) */
  size_t image_len;
  char model_desc[PATH_MAX + 64];
  char inputs[BP_MAX_CLIENTS][64]; /* each data owner's input file */
  char tokens[BP_MAX_CLIENTS][80];
  int nusers;
} bp_ctx;

static double bp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bp_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static uint8_t *bp_read_file(const char *path, size_t *len);

static bp_server *bp_live_server; /* for bp_die's clean-up (this program) */

static int bp_rm_one(const char *path, const struct stat *sb, int flag,
                     struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void bp_server_stop(bp_server *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    int status;
    double until = bp_now() + 30;
    while (waitpid(s->pid, &status, WNOHANG) == 0) {
      if (bp_now() > until) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        break;
      }
      usleep(20000);
    }
    s->pid = 0;
  }
  if (s->dir[0]) {
    nftw(s->dir, bp_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = 0;
  }
}

static void bp_die(const char *fmt, ...) {
  /* once: the watchdog and the main thread may both get here */
  static atomic_int dying;
  if (atomic_exchange(&dying, 1))
    for (;;) pause();
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench/platform: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (bp_live_server && bp_live_server->dir[0]) {
    /* what the server said, for the reason */
    char log[PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/server.log", bp_live_server->dir);
    size_t n = 0;
    uint8_t *text = bp_read_file(log, &n);
    if (text && n) {
      size_t from = n > 2000 ? n - 2000 : 0;
      fprintf(stderr, "server log (end):\n%.*s\n", (int)(n - from),
              (const char *)text + from);
    }
    free(text);
  }
  if (bp_live_server) bp_server_stop(bp_live_server);
  exit(1);
}

static int bp_progress_on;

static void bp_progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void bp_progress(const char *fmt, ...) {
  if (!bp_progress_on) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "\r\033[K");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fflush(stderr);
}

static void bp_progress_done(void) {
  if (bp_progress_on) fprintf(stderr, "\r\033[K");
}

static uint8_t *bp_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    if (n == cap) {
      uint8_t *g = realloc(buf, cap *= 2);
      if (!g) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = g;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (!got) break;
    n += got;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Run a command to completion; 0 when it exited 0. */
static int bp_run(char *const argv[]) {
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the server ---------------------------------------------------------- */

static void bp_server_start(bp_ctx *b) {
  bp_server *s = &b->srv;
  snprintf(s->dir, sizeof s->dir, "/tmp/clave-bench-XXXXXX");
  if (!mkdtemp(s->dir)) bp_die("mkdtemp: %s", strerror(errno));
  bp_live_server = s;
  char data[PATH_MAX + 8], workers[16];
  snprintf(data, sizeof data, "%s/data", s->dir);
  snprintf(workers, sizeof workers, "%d", b->o.workers);
  char *argv[16];
  int n = 0;
  argv[n++] = (char *)b->o.clave;
  argv[n++] = "serve";
  argv[n++] = "--data";
  argv[n++] = data;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--workers";
  argv[n++] = workers;
  argv[n++] = "--quiet";
  if (b->o.http) argv[n++] = "--insecure-http";
  argv[n] = NULL;
  int out[2];
  if (pipe2(out, O_CLOEXEC)) bp_die("pipe: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  char log[PATH_MAX + 16];
  snprintf(log, sizeof log, "%s/server.log", s->dir);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  setenv("CLAVE_ADMIN_PASSWORD", BP_ADMIN_PW, 1);
  int rc = posix_spawn(&s->pid, b->o.clave, &fa, NULL, argv, environ);
  unsetenv("CLAVE_ADMIN_PASSWORD");
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc) bp_die("cannot start %s: %s", b->o.clave, strerror(rc));
  /* "clave: serving URL", "clave: certificate sha256 fingerprint FP" */
  char buf[4096];
  size_t got = 0;
  double until = bp_now() + 60;
  for (;;) {
    buf[got] = 0;
    char *u = strstr(buf, "clave: serving ");
    char *f = strstr(buf, "fingerprint ");
    if (u && strchr(u, '\n') && (b->o.http || (f && strchr(f, '\n')))) {
      sscanf(u + 15, "%255s", s->url);
      if (!b->o.http) sscanf(f + 12, "%127s", s->fingerprint);
      break;
    }
    struct pollfd pfd = {out[0], POLLIN, 0};
    int left = (int)((until - bp_now()) * 1000);
    if (left <= 0 || poll(&pfd, 1, left) <= 0)
      bp_die("clave serve did not report its address within 60 s");
    ssize_t r = read(out[0], buf + got, sizeof buf - 1 - got);
    if (r <= 0) bp_die("clave serve exited before serving");
    got += (size_t)r;
  }
  close(out[0]);
}

/* A value of /proc/PID/status in KiB (VmRSS, VmHWM), or -1. */
static long bp_status_kib(pid_t pid, const char *key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') v = atol(line + kl + 1);
  fclose(f);
  return v;
}

/* Proportional set size of a process in KiB, or 0. */
static long bp_pss_kib(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  long v = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "Pss:", 4)) v = atol(line + 4);
  fclose(f);
  return v;
}

/* PSS of the server and all its children (the task processes). */
static long bp_tree_pss_kib(pid_t server) {
  long sum = bp_pss_kib(server);
  DIR *d = opendir("/proc");
  if (!d) return sum;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], text[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) continue;
    text[n] = 0;
    char *rp = strrchr(text, ')');
    int ppid = 0;
    if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == server)
      sum += bp_pss_kib((pid_t)atoi(e->d_name));
  }
  closedir(d);
  return sum;
}

static void bp_reset_hwm(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)pid);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, "5", 1) != 1) {
      /* older kernels: the peak then includes the set-up */
    }
    close(fd);
  }
}

/* A sampler of the server's memory while a phase runs. */
typedef struct bp_sampler {
  pid_t pid;
  volatile int stop;
  long max_rss_kib, max_tree_pss_kib;
  pthread_t th;
} bp_sampler;

static void *bp_sample_loop(void *arg) {
  bp_sampler *s = arg;
  while (!s->stop) {
    long rss = bp_status_kib(s->pid, "VmRSS");
    long pss = bp_tree_pss_kib(s->pid);
    if (rss > s->max_rss_kib) s->max_rss_kib = rss;
    if (pss > s->max_tree_pss_kib) s->max_tree_pss_kib = pss;
    usleep(100000);
  }
  return NULL;
}

/* ---- API calls ------------------------------------------------------------
 */

static clave_client *bp_client(bp_ctx *b, const char *token) {
  clave_client *c;
  clave_error err;
  if (clave_client_new(b->srv.url, b->o.http ? NULL : b->srv.fingerprint, NULL,
                       0, &c, &err))
    bp_die("client: %s", err.message);
  if (token) clave_client_set_token(c, token);
  return c;
}

/* One call; the reply's JSON (NULL with why in err when it failed). */
static json_t *bp_call(clave_client *c, const char *method, const char *path,
                       json_t *body, char *why, size_t cap) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  int status = 0;
  char *reply = NULL;
  size_t rlen = 0;
  clave_error err;
  clave_status st =
      clave_client_call(c, method, path, NULL, text, text ? strlen(text) : 0,
                        &status, &reply, &rlen, &err);
  free(text);
  if (st) {
    snprintf(why, cap, "%s %s: %s", method, path, err.message);
    return NULL;
  }
  json_t *j = json_loadb(reply, rlen, 0, NULL);
  if (status != 200 || !j) {
    const char *m = json_string_value(json_object_get(j, "error"));
    snprintf(why, cap, "%s %s: HTTP %d: %s", method, path, status,
             m ? m : reply);
    json_decref(j);
    free(reply);
    return NULL;
  }
  free(reply);
  return j;
}

static json_t *bp_must(clave_client *c, const char *method, const char *path,
                       json_t *body) {
  char why[1200];
  json_t *j = bp_call(c, method, path, body, why, sizeof why);
  json_decref(body);
  if (!j) bp_die("%s", why);
  return j;
}

static void bp_login(bp_ctx *b, const char *id, const char *pw, char *token,
                     size_t cap) {
  clave_client *c = bp_client(b, NULL);
  json_t *r = bp_must(c, "POST", "users/login",
                      json_pack("{s:s,s:s}", "id", id, "password", pw));
  snprintf(token, cap, "%s", json_string_value(json_object_get(r, "token")));
  json_decref(r);
  clave_client_free(c);
}

/* ---- set-up ----------------------------------------------------------------
 */

/* A 28x28 grayscale PGM: the first Fashion-MNIST test image when Debian's
 * dataset-fashion-mnist is installed, else a fixed pattern. */
static void bp_make_image(bp_ctx *b) {
  uint8_t pix[784];
  int have = 0;
  FILE *p = popen(
      "gzip -dc /usr/share/datasets/fashion-mnist/"
      "t10k-images-idx3-ubyte.gz 2>/dev/null",
      "r");
  if (p) {
    uint8_t head[16];
    have = fread(head, 1, 16, p) == 16 && fread(pix, 1, 784, p) == 784;
    pclose(p); /* gzip stops on the closed pipe */
  }
  if (!have)
    for (int i = 0; i < 784; i++)
      pix[i] = (uint8_t)((i % 28) * 9 ^ (i / 28) * 5);
  static const char hdr[] = "P5\n28 28\n255\n";
  b->image_len = sizeof hdr - 1 + 784;
  b->image = malloc(b->image_len);
  if (!b->image) bp_die("out of memory");
  memcpy(b->image, hdr, sizeof hdr - 1);
  memcpy(b->image + sizeof hdr - 1, pix, 784);
}

static uint8_t *bp_payload(bp_ctx *b, size_t *len) {
  if (b->o.payload) {
    uint8_t *p = bp_read_file(b->o.payload, len);
    if (!p) bp_die("%s: %s", b->o.payload, strerror(errno));
    snprintf(b->model_desc, sizeof b->model_desc, "%s", b->o.payload);
    return p;
  }
  char out[PATH_MAX + 32];
  snprintf(out, sizeof out, "%s/model.wasm", b->srv.dir);
  char *argv[] = {(char *)b->o.clave,
                  "compile",
                  (char *)b->o.model,
                  "-o",
                  out,
                  "--image",
                  "28x28,gray,scale=1/255",
                  NULL};
  bp_progress("compiling %s", b->o.model);
  if (bp_run(argv)) bp_die("clave compile %s failed", b->o.model);
  uint8_t *p = bp_read_file(out, len);
  if (!p) bp_die("%s: %s", out, strerror(errno));
  snprintf(b->model_desc, sizeof b->model_desc, "%s", b->o.model);
  return p;
}

static void bp_setup(bp_ctx *b, int nusers) {
  char admin_tok[80], fo_tok[80];
  bp_login(b, "admin", BP_ADMIN_PW, admin_tok, sizeof admin_tok);
  clave_client *admin = bp_client(b, admin_tok);
  json_decref(bp_must(admin, "POST", "users",
                      json_pack("{s:s,s:s,s:s}", "id", "bench-fo", "password",
                                BP_USER_PW, "role", "FunctionOwner")));
  for (int i = 0; i < nusers; i++) {
    char id[32];
    snprintf(id, sizeof id, "bench-do%d", i);
    bp_progress("registering users: %d of %d", i + 1, nusers);
    json_decref(bp_must(admin, "POST", "users",
                        json_pack("{s:s,s:s,s:s}", "id", id, "password",
                                  BP_USER_PW, "role", "DataOwner")));
    bp_login(b, id, BP_USER_PW, b->tokens[i], sizeof b->tokens[i]);
  }
  b->nusers = nusers;
  clave_client_free(admin);

  size_t plen;
  uint8_t *payload = bp_payload(b, &plen);
  bp_login(b, "bench-fo", BP_USER_PW, fo_tok, sizeof fo_tok);
  clave_client *fo = bp_client(b, fo_tok);
  /* upload once, register twice: with and without an output */
  int status;
  char *reply;
  size_t rlen;
  clave_error err;
  if (clave_client_call(fo, "POST", "blobs", "application/octet-stream",
                        payload, plen, &status, &reply, &rlen, &err))
    bp_die("upload: %s", err.message);
  json_t *up = json_loads(reply, 0, NULL);
  if (status != 200 || !up) bp_die("upload: HTTP %d: %s", status, reply);
  free(reply);
  free(payload);
  const char *blob = json_string_value(json_object_get(up, "blob"));
  for (int k = 0; k < 2; k++) {
    bp_progress("registering the function (%s)",
                k ? "with an output" : "input only");
    json_t *args = json_pack("[{s:s,s:s,s:b}]", "key", "input", "default_value",
                             "image", "allow_overwrite", 0);
    if (k)
      json_array_append_new(
          args, json_pack("{s:s,s:s,s:b}", "key", "output", "default_value",
                          "scores", "allow_overwrite", 0));
    json_t *body =
        json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:[{s:s}],s:o,s:i}", "name",
                  k ? "fashion-mnist-out" : "fashion-mnist", "description",
                  "classifies a 28x28 grayscale image", "executor_type", "wamr",
                  "payload_blob", blob, "public", 1, "arguments", args,
                  "inputs", "name", "image", "outputs",
                  k ? json_pack("[{s:s}]", "name", "scores") : json_array(),
                  "usage_quota", -1);
    json_t *r = bp_must(fo, "POST", "functions", body);
    snprintf(k ? b->fn_output : b->fn_plain, sizeof b->fn_plain, "%s",
             json_string_value(json_object_get(r, "function_id")));
    json_decref(r);
  }
  json_decref(up);
  clave_client_free(fo);

  /* each data owner encrypts the image with its own key and registers it */
  for (int i = 0; i < nusers; i++) {
    bp_progress("registering inputs: %d of %d", i + 1, nusers);
    clave_client *c = bp_client(b, b->tokens[i]);
    clave_file_crypto fc;
    uint8_t *enc, tag[16];
    size_t enc_len;
    if (clave_file_crypto_generate(&fc, CLAVE_CRYPTO_AES_GCM_128, &err) ||
        clave_file_encrypt(&fc, b->image, b->image_len, &enc, &enc_len, tag,
                           &err))
      bp_die("encrypting the input: %s", err.message);
    if (clave_client_call(c, "POST", "blobs", "application/octet-stream", enc,
                          enc_len, &status, &reply, &rlen, &err))
      bp_die("upload: %s", err.message);
    free(enc);
    json_t *u = json_loads(reply, 0, NULL);
    if (status != 200 || !u) bp_die("upload: HTTP %d: %s", status, reply);
    free(reply);
    char kh[65], ivh[25], th[33];
    clave_crypto_hex(fc.key, 16, kh);
    clave_crypto_hex(fc.iv, 12, ivh);
    clave_crypto_hex(tag, 16, th);
    json_t *r = bp_must(
        c, "POST", "files/input",
        json_pack("{s:s,s:s,s:s,s:s,s:O}", "schema", "aes-gcm-128", "key", kh,
                  "iv", ivh, "cmac", th, "blob", json_object_get(u, "blob")));
    snprintf(b->inputs[i], sizeof b->inputs[i], "%s",
             json_string_value(json_object_get(r, "data_id")));
    json_decref(r);
    json_decref(u);
    clave_client_free(c);
  }
  bp_progress_done();
}

/* ---- one task
 * ---------------------------------------------------------------- */

typedef struct bp_worker {
  bp_ctx *b;
  int user;
  clave_client *c;
  int with_output;
  /* prepared tasks (invoke-only phases) */
  char (*tasks)[64];
  int ntasks;
  /* results */
  int done, failed;
  double *lat; /* per task, seconds (invoke to result) */
  int nlat;
  char why[1200];
} bp_worker;

/* Create, (register an output,) assign and approve: an Approved task. */
static int bp_prepare(bp_worker *w, char *task_id, size_t cap) {
  bp_ctx *b = w->b;
  char who[32];
  snprintf(who, sizeof who, "bench-do%d", w->user);
  char out_id[64] = "";
  if (w->with_output) {
    clave_file_crypto fc;
    clave_error err;
    if (clave_file_crypto_generate(&fc, CLAVE_CRYPTO_AES_GCM_128, &err)) {
      snprintf(w->why, sizeof w->why, "%s", err.message);
      return -1;
    }
    char kh[65], ivh[25];
    clave_crypto_hex(fc.key, 16, kh);
    clave_crypto_hex(fc.iv, 12, ivh);
    json_t *body = json_pack("{s:s,s:s,s:s}", "schema", "aes-gcm-128", "key",
                             kh, "iv", ivh);
    json_t *r =
        bp_call(w->c, "POST", "files/output", body, w->why, sizeof w->why);
    json_decref(body);
    if (!r) return -1;
    snprintf(out_id, sizeof out_id, "%s",
             json_string_value(json_object_get(r, "data_id")));
    json_decref(r);
  }
  json_t *body =
      json_pack("{s:s,s:s,s:[{s:s,s:[s]}]}", "function_id",
                w->with_output ? b->fn_output : b->fn_plain, "executor", "wamr",
                "inputs_ownership", "data_name", "image", "uids", who);
  if (w->with_output)
    json_object_set_new(
        body, "outputs_ownership",
        json_pack("[{s:s,s:[s]}]", "data_name", "scores", "uids", who));
  json_t *r = bp_call(w->c, "POST", "tasks", body, w->why, sizeof w->why);
  json_decref(body);
  if (!r) return -1;
  snprintf(task_id, cap, "%s",
           json_string_value(json_object_get(r, "task_id")));
  json_decref(r);
  char path[128];
  body = json_pack("{s:[{s:s,s:s}]}", "inputs", "data_name", "image", "data_id",
                   b->inputs[w->user]);
  if (w->with_output)
    json_object_set_new(
        body, "outputs",
        json_pack("[{s:s,s:s}]", "data_name", "scores", "data_id", out_id));
  snprintf(path, sizeof path, "tasks/%s/assign", task_id);
  r = bp_call(w->c, "POST", path, body, w->why, sizeof w->why);
  json_decref(body);
  if (!r) return -1;
  json_decref(r);
  snprintf(path, sizeof path, "tasks/%s/approve", task_id);
  r = bp_call(w->c, "POST", path, NULL, w->why, sizeof w->why);
  if (!r) return -1;
  const char *st = json_string_value(json_object_get(r, "status"));
  int ok = st && !strcmp(st, "Approved");
  if (!ok)
    snprintf(w->why, sizeof w->why, "task %s is %s after approval", task_id,
             st ? st : "?");
  json_decref(r);
  return ok ? 0 : -1;
}

/* Invoke and wait for the result; the class must be 0..9. */
static int bp_invoke(bp_worker *w, const char *task_id) {
  char path[128];
  snprintf(path, sizeof path, "tasks/%s/invoke", task_id);
  json_t *r = bp_call(w->c, "POST", path, NULL, w->why, sizeof w->why);
  if (!r) return -1;
  json_decref(r);
  snprintf(path, sizeof path, "tasks/%s/result?wait=60", task_id);
  r = bp_call(w->c, "GET", path, NULL, w->why, sizeof w->why);
  if (!r) return -1;
  const char *st = json_string_value(json_object_get(r, "status"));
  json_t *res = json_object_get(r, "result");
  int rv = (int)json_integer_value(json_object_get(res, "return_value"));
  int ok = st && !strcmp(st, "Finished") && rv >= 0 && rv <= 9;
  if (!ok) {
    const char *reason = json_string_value(json_object_get(res, "reason"));
    const char *log = json_string_value(json_object_get(res, "log"));
    snprintf(w->why, sizeof w->why, "task %s: %s (return value %d) %s %s",
             task_id, st ? st : "?", rv, reason ? reason : "", log ? log : "");
  }
  json_decref(r);
  return ok ? 0 : -1;
}

/* ---- phases
 * ------------------------------------------------------------------ */

typedef struct bp_phase {
  int nclients;
  int with_output;
  double deadline; /* whole-task phases */
  pthread_barrier_t go;
  double t_start;
} bp_phase;

typedef struct bp_arg {
  bp_phase *ph;
  bp_worker *w;
} bp_arg;

static void *bp_full_loop(void *arg) {
  bp_arg *a = arg;
  bp_worker *w = a->w;
  pthread_barrier_wait(&a->ph->go);
  while (bp_now() < a->ph->deadline) {
    char tid[64];
    if (bp_prepare(w, tid, sizeof tid) || bp_invoke(w, tid)) {
      w->failed++;
      break;
    }
    w->done++;
  }
  return NULL;
}

static void *bp_invoke_loop(void *arg) {
  bp_arg *a = arg;
  bp_worker *w = a->w;
  pthread_barrier_wait(&a->ph->go);
  for (int i = 0; i < w->ntasks; i++) {
    double t0 = bp_now();
    if (bp_invoke(w, w->tasks[i])) {
      w->failed++;
      break;
    }
    w->lat[w->nlat++] = bp_now() - t0;
    w->done++;
  }
  return NULL;
}

/* CPU seconds used so far: the server's threads, and its waited-for
 * children (the task processes), from /proc/PID/stat; this process's. */
typedef struct bp_cpu {
  double server, tasks, client;
} bp_cpu;

static bp_cpu bp_cpu_now(pid_t server) {
  bp_cpu c = {0, 0, 0};
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)server);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    char *rp = strrchr(text, ')');
    unsigned long long ut, st;
    long long cut, cst;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime */
    if (rp && sscanf(rp + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                     "%llu %llu %lld %lld",
                     &ut, &st, &cut, &cst) == 4) {
      double hz = (double)sysconf(_SC_CLK_TCK);
      c.server = (double)(ut + st) / hz;
      c.tasks = (double)(cut + cst) / hz;
    }
  }
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  c.client = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  return c;
}

typedef struct bp_result {
  double rate; /* tasks per second */
  int tasks;
  double seconds;
  bp_cpu cpu; /* CPU milliseconds per task in the phase */
  long hwm_kib, max_rss_kib, max_tree_pss_kib;
  double *lat; /* merged latencies (invoke phases) */
  int nlat;
} bp_result;

static void bp_cpu_per_task(bp_result *r, bp_cpu a, bp_cpu b) {
  double n = r->tasks > 0 ? r->tasks : 1;
  r->cpu.server = (b.server - a.server) * 1e3 / n;
  r->cpu.tasks = (b.tasks - a.tasks) * 1e3 / n;
  r->cpu.client = (b.client - a.client) * 1e3 / n;
}

static bp_worker *bp_workers_new(bp_ctx *b, int n, int with_output) {
  bp_worker *ws = calloc((size_t)n, sizeof *ws);
  if (!ws) bp_die("out of memory");
  for (int i = 0; i < n; i++) {
    ws[i].b = b;
    ws[i].user = i % b->nusers;
    ws[i].c = bp_client(b, b->tokens[ws[i].user]);
    ws[i].with_output = with_output;
  }
  return ws;
}

static void bp_workers_free(bp_worker *ws, int n) {
  for (int i = 0; i < n; i++) {
    clave_client_free(ws[i].c);
    free(ws[i].tasks);
    free(ws[i].lat);
  }
  free(ws);
}

/* Run n threads of fn over the workers; returns the elapsed seconds. */
static double bp_run_threads(bp_phase *ph, bp_worker *ws, int n,
                             void *(*fn)(void *), bp_sampler *sampler) {
  pthread_t *th = calloc((size_t)n, sizeof *th);
  bp_arg *args = calloc((size_t)n, sizeof *args);
  if (!th || !args) bp_die("out of memory");
  pthread_barrier_init(&ph->go, NULL, (unsigned)n + 1);
  for (int i = 0; i < n; i++) {
    args[i].ph = ph;
    args[i].w = &ws[i];
    if (pthread_create(&th[i], NULL, fn, &args[i]))
      bp_die("cannot start client thread %d", i);
  }
  if (sampler) {
    sampler->stop = 0;
    if (pthread_create(&sampler->th, NULL, bp_sample_loop, sampler))
      bp_die("cannot start the memory sampler");
  }
  ph->t_start = bp_now();
  ph->deadline += ph->t_start;
  pthread_barrier_wait(&ph->go);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  double el = bp_now() - ph->t_start;
  if (sampler) {
    sampler->stop = 1;
    pthread_join(sampler->th, NULL);
  }
  pthread_barrier_destroy(&ph->go);
  free(th);
  free(args);
  return el;
}

static void bp_check_failures(bp_worker *ws, int n, const char *phase) {
  for (int i = 0; i < n; i++)
    if (ws[i].failed) bp_die("%s: client %d: %s", phase, i, ws[i].why);
}

/* Whole tasks for o.seconds with n clients. */
static bp_result bp_phase_full(bp_ctx *b, int n, int with_output, int sample) {
  bp_result res = {0};
  bp_worker *ws = bp_workers_new(b, n, with_output);
  bp_phase ph = {
      .nclients = n, .with_output = with_output, .deadline = b->o.seconds};
  bp_sampler smp = {.pid = b->srv.pid};
  if (sample) bp_reset_hwm(b->srv.pid);
  bp_progress("whole tasks%s, %d client%s, %.0f s",
              with_output ? " with an output" : "", n, n == 1 ? "" : "s",
              b->o.seconds);
  bp_cpu c0 = bp_cpu_now(b->srv.pid);
  double el = bp_run_threads(&ph, ws, n, bp_full_loop, sample ? &smp : NULL);
  bp_cpu c1 = bp_cpu_now(b->srv.pid);
  bp_check_failures(ws, n, "whole tasks");
  for (int i = 0; i < n; i++) res.tasks += ws[i].done;
  bp_cpu_per_task(&res, c0, c1);
  res.seconds = el;
  res.rate = res.tasks / el;
  if (sample) {
    res.hwm_kib = bp_status_kib(b->srv.pid, "VmHWM");
    res.max_rss_kib = smp.max_rss_kib;
    res.max_tree_pss_kib = smp.max_tree_pss_kib;
  }
  bp_workers_free(ws, n);
  return res;
}

/* Invoke-to-result of `total` tasks prepared ahead, spread over n clients. */
static bp_result bp_phase_invoke(bp_ctx *b, int n, int total, int sample) {
  bp_result res = {0};
  bp_worker *ws = bp_workers_new(b, n, 0);
  int per = (total + n - 1) / n;
  for (int i = 0; i < n; i++) {
    ws[i].tasks = calloc((size_t)per, sizeof *ws[i].tasks);
    ws[i].lat = calloc((size_t)per, sizeof *ws[i].lat);
    if (!ws[i].tasks || !ws[i].lat) bp_die("out of memory");
    ws[i].ntasks = per;
  }
  for (int k = 0; k < per; k++)
    for (int i = 0; i < n; i++) {
      bp_progress("preparing tasks: %d of %d", k * n + i + 1, per * n);
      if (bp_prepare(&ws[i], ws[i].tasks[k], sizeof ws[i].tasks[k]))
        bp_die("preparing tasks: %s", ws[i].why);
    }
  bp_phase ph = {.nclients = n, .deadline = 0};
  bp_sampler smp = {.pid = b->srv.pid};
  if (sample) bp_reset_hwm(b->srv.pid);
  bp_progress("invoke to result, %d client%s, %d tasks", n, n == 1 ? "" : "s",
              per * n);
  bp_cpu c0 = bp_cpu_now(b->srv.pid);
  double el = bp_run_threads(&ph, ws, n, bp_invoke_loop, sample ? &smp : NULL);
  bp_cpu c1 = bp_cpu_now(b->srv.pid);
  bp_check_failures(ws, n, "invoke to result");
  res.lat = calloc((size_t)(per * n), sizeof *res.lat);
  if (!res.lat) bp_die("out of memory");
  for (int i = 0; i < n; i++) {
    res.tasks += ws[i].done;
    memcpy(res.lat + res.nlat, ws[i].lat, (size_t)ws[i].nlat * sizeof *res.lat);
    res.nlat += ws[i].nlat;
  }
  res.seconds = el;
  res.rate = res.tasks / el;
  bp_cpu_per_task(&res, c0, c1);
  if (sample) {
    res.hwm_kib = bp_status_kib(b->srv.pid, "VmHWM");
    res.max_rss_kib = smp.max_rss_kib;
    res.max_tree_pss_kib = smp.max_tree_pss_kib;
  }
  bp_workers_free(ws, n);
  return res;
}

/* n clients log in at once (Argon2id each): the server's peak memory. */
typedef struct bp_login_arg {
  bp_ctx *b;
  int user;
  pthread_barrier_t *go;
  char token[80];
} bp_login_arg;

static void *bp_login_one(void *arg) {
  bp_login_arg *a = arg;
  char id[32];
  snprintf(id, sizeof id, "bench-do%d", a->user);
  pthread_barrier_wait(a->go);
  bp_login(a->b, id, BP_USER_PW, a->token, sizeof a->token);
  return NULL;
}

static long bp_phase_logins(bp_ctx *b, int n, double *seconds) {
  bp_login_arg *args = calloc((size_t)n, sizeof *args);
  pthread_t *th = calloc((size_t)n, sizeof *th);
  pthread_barrier_t go;
  if (!args || !th) bp_die("out of memory");
  pthread_barrier_init(&go, NULL, (unsigned)n + 1);
  bp_reset_hwm(b->srv.pid);
  bp_progress("%d logins at once", n);
  for (int i = 0; i < n; i++) {
    args[i].b = b;
    args[i].user = i % b->nusers;
    args[i].go = &go;
    if (pthread_create(&th[i], NULL, bp_login_one, &args[i]))
      bp_die("cannot start login thread %d", i);
  }
  double t0 = bp_now();
  pthread_barrier_wait(&go);
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  *seconds = bp_now() - t0;
  long hwm = bp_status_kib(b->srv.pid, "VmHWM");
  pthread_barrier_destroy(&go);
  free(args);
  free(th);
  return hwm;
}

static int bp_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of sorted values. */
static double bp_quantile(const double *v, int n, double q) {
  if (n <= 0) return 0;
  int i = (int)(q * n + 0.999999) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return v[i];
}

/* ---- a bound on the whole run ------------------------------------------ */

/* Stops the server and the benchmark when the run takes longer than
 * allowed (a server that stopped answering must not hang it). */
static void *bp_watchdog(void *arg) {
  double limit = *(double *)arg;
  struct timespec ts = {(time_t)limit, 0};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  bp_die("gave up after %.0f s (--timeout)", limit);
}

/* ---- the machine
 * ---------------------------------------------------------------- */

static void bp_cpu_model(char *out, size_t cap) {
  snprintf(out, cap, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "model name", 10)) {
      char *v = strchr(line, ':');
      if (v) {
        v += 2;
        v[strcspn(v, "\n")] = 0;
        snprintf(out, cap, "%s", v);
      }
      break;
    }
  }
  fclose(f);
}

static void bp_loadavg(char *out, size_t cap) {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) < 0)
    snprintf(out, cap, "?");
  else
    snprintf(out, cap, "%.2f %.2f %.2f", l[0], l[1], l[2]);
}

/* ---- main
 * ---------------------------------------------------------------------------
 */

static void bp_usage(FILE *f) {
  fprintf(
      f,
      "usage: clave-bench-platform [options]\n"
      "  --clave PATH        the clave binary (default: bin/clave beside this "
      "program)\n"
      "  --model ONNX        model to compile (default: "
      "models/fashion_mnist/model.onnx,\n"
      "                      else SHARED/models/mnist-8/model.onnx)\n"
      "  --payload WASM      a compiled payload instead of --model\n"
      "  --shared DIR        shared data folder (default: CLAVE_SHARED or %s)\n"
      "  --workers N         server workers (default: the number of CPUs)\n"
      "  --latency-tasks N   invoke-to-result tasks timed one at a time "
      "(default 300)\n"
      "  --seconds S         length of each whole-task phase (default 3)\n"
      "  --invoke-tasks N    tasks per invoke-only phase (default 300)\n"
      "  --clients LIST      concurrent clients, e.g. 1,8,32 (the default)\n"
      "  --output-clients N  clients of the with-output phase (default 8, 0: "
      "skip)\n"
      "  --http              plain HTTP on loopback instead of HTTPS\n"
      "  --timeout S         give up, stopping the server, after S seconds "
      "(default 900)\n",
      CLAVE_SHARED_DIR);
}

static void bp_parse(bp_opts *o, int argc, char **argv) {
  static char clave[PATH_MAX], model[PATH_MAX + 64];
  memset(o, 0, sizeof *o);
  o->latency_tasks = 300;
  o->warmup_tasks = 20;
  o->seconds = 3;
  o->invoke_tasks = 300;
  o->output_clients = 8;
  o->timeout = 900;
  o->timeout = 900;
  o->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (o->workers < 1) o->workers = 2;
  o->clients[0] = 1;
  o->clients[1] = 8;
  o->clients[2] = 32;
  o->nclients = 3;
  o->shared =
      getenv("CLAVE_SHARED") ? getenv("CLAVE_SHARED") : CLAVE_SHARED_DIR;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
    if (OPT("--clave"))
      o->clave = v;
    else if (OPT("--model"))
      o->model = v;
    else if (OPT("--payload"))
      o->payload = v;
    else if (OPT("--shared"))
      o->shared = v;
    else if (OPT("--workers"))
      o->workers = atoi(v);
    else if (OPT("--latency-tasks"))
      o->latency_tasks = atoi(v);
    else if (OPT("--seconds"))
      o->seconds = atof(v);
    else if (OPT("--invoke-tasks"))
      o->invoke_tasks = atoi(v);
    else if (OPT("--output-clients"))
      o->output_clients = atoi(v);
    else if (OPT("--timeout"))
      o->timeout = atof(v);
    else if (OPT("--clients")) {
      o->nclients = 0;
      char buf[128];
      snprintf(buf, sizeof buf, "%s", v);
      char *save = NULL;
      for (char *s = strtok_r(buf, ",", &save); s && o->nclients < 8;
           s = strtok_r(NULL, ",", &save))
        o->clients[o->nclients++] = atoi(s);
    } else if (!strcmp(a, "--http"))
      o->http = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      bp_usage(stdout);
      exit(0);
    } else {
      fprintf(stderr, "bench/platform: unknown or incomplete option '%s'\n", a);
      bp_usage(stderr);
      exit(2);
    }
#undef OPT
  }
  /* bounds: a benchmark that cannot run away */
  if (o->workers < 1 || o->workers > 64) bp_die("--workers must be 1..64");
  if (o->latency_tasks < 10 || o->latency_tasks > 100000)
    bp_die("--latency-tasks must be 10..100000");
  if (o->timeout < 10 || o->timeout > 86400)
    bp_die("--timeout must be 10..86400 seconds");
  if (o->timeout < 10 || o->timeout > 86400)
    bp_die("--timeout must be 10..86400 seconds");
  if (o->seconds <= 0 || o->seconds > 120)
    bp_die("--seconds must be in (0, 120]");
  if (o->invoke_tasks < 1 || o->invoke_tasks > 100000)
    bp_die("--invoke-tasks must be 1..100000");
  if (o->output_clients < 0 || o->output_clients > BP_MAX_CLIENTS)
    bp_die("--output-clients must be 0..%d", BP_MAX_CLIENTS);
  for (int i = 0; i < o->nclients; i++)
    if (o->clients[i] < 1 || o->clients[i] > BP_MAX_CLIENTS)
      bp_die("--clients: each count must be 1..%d", BP_MAX_CLIENTS);
  if (!o->nclients) bp_die("--clients needs at least one count");
  if (!o->clave) {
    ssize_t n = readlink("/proc/self/exe", clave, sizeof clave - 8);
    if (n <= 0) bp_die("cannot find this program's folder; give --clave");
    clave[n] = 0;
    char *slash = strrchr(clave, '/');
    snprintf(slash + 1, sizeof clave - (size_t)(slash + 1 - clave), "clave");
    o->clave = clave;
  }
  if (access(o->clave, X_OK) != 0) bp_die("%s: not an executable", o->clave);
  if (!o->model && !o->payload) {
    snprintf(model, sizeof model, "%s/models/fashion_mnist/model.onnx",
             CLAVE_SOURCE_DIR);
    if (access(model, R_OK) != 0)
      snprintf(model, sizeof model, "%s/models/mnist-8/model.onnx", o->shared);
    o->model = model;
  }
  if (o->model && !o->payload && access(o->model, R_OK) != 0)
    bp_die("%s: no such model (give --model or --payload)", o->model);
}

static const char *bp_mark(int ok) {
  return ok ? "yes" : "NO";
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  static bp_ctx b;
  bp_parse(&b.o, argc, argv);
  bp_progress_on = isatty(2);
  pthread_t watchdog;
  if (pthread_create(&watchdog, NULL, bp_watchdog, &b.o.timeout))
    bp_die("cannot start the watchdog");
  pthread_detach(watchdog);
  int maxc = 1;
  for (int i = 0; i < b.o.nclients; i++)
    if (b.o.clients[i] > maxc) maxc = b.o.clients[i];
  if (b.o.output_clients > maxc) maxc = b.o.output_clients;

  char load_before[64], load_after[64], cpu[256];
  bp_loadavg(load_before, sizeof load_before);
  bp_cpu_model(cpu, sizeof cpu);
  bp_make_image(&b);
  bp_progress("starting %s serve", b.o.clave);
  bp_server_start(&b);
  usleep(500000); /* let the workers start their spare children */
  long idle_rss = bp_status_kib(b.srv.pid, "VmRSS");
  long idle_pss = bp_tree_pss_kib(b.srv.pid);

  bp_setup(&b, maxc);

  /* latency: warm-up tasks, then one at a time */
  bp_result warm = bp_phase_invoke(&b, 1, b.o.warmup_tasks, 0);
  free(warm.lat);
  bp_result lat = bp_phase_invoke(&b, 1, b.o.latency_tasks, 0);
  qsort(lat.lat, (size_t)lat.nlat, sizeof *lat.lat, bp_cmp_double);
  double med = bp_quantile(lat.lat, lat.nlat, 0.5) * 1e3;
  double p99 = bp_quantile(lat.lat, lat.nlat, 0.99) * 1e3;
  double lmin = lat.lat[0] * 1e3;

  bp_result full[8], inv[8];
  for (int i = 0; i < b.o.nclients; i++) {
    int n = b.o.clients[i];
    int sample = n == maxc;
    full[i] = bp_phase_full(&b, n, 0, sample);
    inv[i] = bp_phase_invoke(&b, n, b.o.invoke_tasks < n ? n : b.o.invoke_tasks,
                             sample);
  }
  bp_result outp = {0};
  if (b.o.output_clients) outp = bp_phase_full(&b, b.o.output_clients, 1, 0);
  double login_s = 0;
  long login_hwm = bp_phase_logins(&b, maxc, &login_s);
  usleep(500000);
  long idle_after = bp_status_kib(b.srv.pid, "VmRSS");
  bp_loadavg(load_after, sizeof load_after);
  bp_progress_done();

  /* the table */
  struct utsname un;
  uname(&un);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  printf("Clave platform benchmark (bench/platform)\n");
  printf("  machine: %s, %ld CPUs, %s %s\n", cpu, ncpu, un.sysname, un.release);
  printf("  server:  %s serve, %s on 127.0.0.1, %d workers\n", b.o.clave,
         b.o.http ? "HTTP" : "HTTPS (pinned certificate, keep-alive)",
         b.o.workers);
  printf("  model:   %s (input: an encrypted 28x28 PGM, aes-gcm-128)\n",
         b.model_desc);
  printf("  load average (1, 5, 15 min): before %s, after %s\n\n", load_before,
         load_after);
  printf("| figure | measured | target | met |\n");
  printf("|---|---:|---:|:---:|\n");
  printf(
      "| invoke to result, median (%d tasks, cached function) | %.2f ms | < 5 "
      "ms | %s |\n",
      lat.nlat, med, bp_mark(med < 5));
  printf("| invoke to result, p99 | %.2f ms | | |\n", p99);
  printf("| invoke to result, fastest | %.2f ms | | |\n", lmin);
  double best_full = 0, best_inv = 0;
  for (int i = 0; i < b.o.nclients; i++) {
    if (full[i].rate > best_full) best_full = full[i].rate;
    if (inv[i].rate > best_inv) best_inv = inv[i].rate;
  }
  for (int i = 0; i < b.o.nclients; i++) {
    int n = b.o.clients[i];
    printf(
        "| whole tasks/s, %d client%s (%d tasks in %.1f s) | %.0f | >= 300 | "
        "%s |\n",
        n, n == 1 ? "" : "s", full[i].tasks, full[i].seconds, full[i].rate,
        bp_mark(full[i].rate >= 300));
    printf(
        "| invoke-to-result tasks/s, %d client%s (%d tasks) | %.0f | >= 300 | "
        "%s |\n",
        n, n == 1 ? "" : "s", inv[i].tasks, inv[i].rate,
        bp_mark(inv[i].rate >= 300));
  }
  if (b.o.output_clients)
    printf(
        "| whole tasks/s with an encrypted output, %d clients | %.0f | | |\n",
        b.o.output_clients, outp.rate);
  /* CPU per task: what the rates would be if nothing else ran */
  for (int i = 0; i < b.o.nclients; i++) {
    int n = b.o.clients[i];
    bp_result *r[2] = {&full[i], &inv[i]};
    const char *what[2] = {"whole task", "invoke to result"};
    for (int k = 0; k < 2; k++) {
      double srv = r[k]->cpu.server + r[k]->cpu.tasks;
      printf(
          "| CPU per %s, %d client%s: server %.2f + task process %.2f "
          "(+ client %.2f) ms | %.0f tasks/s on %ld cores | | |\n",
          what[k], n, n == 1 ? "" : "s", r[k]->cpu.server, r[k]->cpu.tasks,
          r[k]->cpu.client, srv > 0 ? 1e3 * ncpu / srv : 0, ncpu);
    }
  }
  printf("| server RSS idle (fresh start) | %.1f MiB | < 64 MiB | %s |\n",
         idle_rss / 1024.0, bp_mark(idle_rss < 64 * 1024));
  printf("| server + task children PSS idle | %.1f MiB | | |\n",
         idle_pss / 1024.0);
  /* at the largest client count: the peak over both of its phases */
  for (int i = 0; i < b.o.nclients; i++) {
    if (b.o.clients[i] != maxc) continue;
    long hwm =
        full[i].hwm_kib > inv[i].hwm_kib ? full[i].hwm_kib : inv[i].hwm_kib;
    long pss = full[i].max_tree_pss_kib > inv[i].max_tree_pss_kib
                   ? full[i].max_tree_pss_kib
                   : inv[i].max_tree_pss_kib;
    printf(
        "| server peak RSS (VmHWM), %d clients | %.1f MiB | < 256 MiB | %s |\n",
        maxc, hwm / 1024.0, bp_mark(hwm > 0 && hwm < 256 * 1024));
    printf(
        "| server + task children PSS, %d clients (sampled peak) | %.1f MiB | "
        "| |\n",
        maxc, pss / 1024.0);
    break;
  }
  printf(
      "| server peak RSS (VmHWM), %d logins at once (Argon2id, %.1f s) | %.1f "
      "MiB | < 256 MiB | %s |\n",
      maxc, login_s, login_hwm / 1024.0,
      bp_mark(login_hwm > 0 && login_hwm < 256 * 1024));
  printf("| server RSS idle after the runs | %.1f MiB | | |\n",
         idle_after / 1024.0);
  printf(
      "\nwhole task = create, assign, approve, invoke, result (5 calls);"
      " invoke to result = invoke, result?wait (2 calls).\n");
  printf("best whole tasks/s %.0f, best invoke-to-result tasks/s %.0f\n",
         best_full, best_inv);
  fflush(stdout);

  free(lat.lat);
  for (int i = 0; i < b.o.nclients; i++) free(inv[i].lat);
  bp_server_stop(&b.srv);
  bp_live_server = NULL;
  free(b.image);
  return 0;
}
