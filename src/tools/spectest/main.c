/*
 * main.c - clave-spectest: run WebAssembly spec-test scripts (wast2json
 * output) against Clave's engine and report per file and per command kind.
 *
 *   clave-spectest [options] FILE.json...
 *
 * The last line of the output is always "N passed, N failed, N skipped",
 * and the exit status is 0 only when nothing failed (or, with --ratchet,
 * when no script fell below its recorded passes and nothing timed out or
 * crashed).  Exit status 2 means the run itself could not be set up.
 *
 * Each script runs in a child process of its own (unless --no-fork), so
 * that an engine crash is reported against its script and the remaining
 * scripts still run; the child hands its counts back through a pipe.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef CLAVE_SANITIZE
#include <sanitizer/common_interface_defs.h>
#endif

#include "spectest.h"

#define ST_DEFAULT_TIMEOUT_MS 5000

static void st_usage(FILE *f) {
  fprintf(f,
          "usage: clave-spectest [options] FILE.json...\n"
          "Run WebAssembly spec-test scripts converted by wast2json.\n"
          "\n"
          "  --engine TIER       interp (default), aot or auto\n"
          "  --aot-bounds-checks AOT code checks bounds instead of using "
          "guard pages\n"
          "  --aot-cache DIR     folder of compiled AOT objects (default\n"
          "                      $XDG_CACHE_HOME/clave)\n"
          "  --aot-no-cache      compile every module afresh, cache "
          "nothing\n"
          "  -v, --verbose       every failure in full; spectest.print "
          "output\n"
          "  -q, --quiet         no line per failure, only the table\n"
          "  --trace             print each command to stderr before it "
          "runs\n"
          "  --timeout MS        deadline of each call (default %d)\n"
          "  --skips FILE        skip counts must match this skip list\n"
          "  --ratchet FILE      pass when no script passes fewer commands\n"
          "                      than FILE records and nothing timed out\n"
          "  --write-ratchet FILE  record this run's passes in FILE\n"
          "  --no-fork           run every script in this process (for a "
          "debugger)\n"
          "  --self-test         check the runner's own value handling\n"
          "  -h, --help          this help\n",
          ST_DEFAULT_TIMEOUT_MS);
}

/* ---- crash reports --------------------------------------------------------
 */

/* Where a crash happened matters more than anything else the runner can
 * say then; only async-signal-safe calls from here on. */
static void st_write_location(const char *what) {
  static const char pre[] = "clave-spectest: ";
  static const char mid[] = " while running ";
  size_t n = strlen(st_current_location);
  if (write(STDERR_FILENO, pre, sizeof pre - 1) < 0) return;
  if (write(STDERR_FILENO, what, strlen(what)) < 0) return;
  if (n > 0) {
    if (write(STDERR_FILENO, mid, sizeof mid - 1) < 0) return;
    if (write(STDERR_FILENO, st_current_location, n) < 0) return;
  }
  if (write(STDERR_FILENO, "\n", 1) < 0) return;
}

#ifdef CLAVE_SANITIZE
static void st_on_sanitizer_death(void) {
  st_write_location("sanitizer report above");
}

static void st_install_crash_report(void) {
  __sanitizer_set_death_callback(st_on_sanitizer_death);
}
#else
static const int st_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                       SIGABRT};
#define ST_NSIGNALS (sizeof st_crash_signals / sizeof st_crash_signals[0])
static struct sigaction st_old_actions[ST_NSIGNALS];

/* Report, put back the previous handler and return: the faulting
 * instruction runs again (or abort raises again) and the process dies as
 * it would have. */
static void st_on_crash(int sig) {
  st_write_location(sig == SIGABRT ? "aborted" : "crashed");
  for (size_t i = 0; i < ST_NSIGNALS; i++) {
    if (st_crash_signals[i] == sig) sigaction(sig, &st_old_actions[i], NULL);
  }
}

static void st_install_crash_report(void) {
  static char altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = st_on_crash;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < ST_NSIGNALS; i++)
    sigaction(st_crash_signals[i], &sa, &st_old_actions[i]);
}
#endif

/* ---- the table ------------------------------------------------------------
 */

static const char *const st_headers[ST_KIND_COUNT] = {
    "module",  "register", "action",    "return", "trap",
    "exhaust", "invalid",  "malformed", "unlink", "uninst",
};

/* "370", "370/2f", "0+46s", "370/2f+1s" */
static void st_cell(const st_counts *c, int k, char *buf, size_t len) {
  int n = snprintf(buf, len, "%" PRIu32, c->passed[k]);
  if (c->failed[k] && n > 0 && (size_t)n < len)
    n += snprintf(buf + n, len - (size_t)n, "/%" PRIu32 "f", c->failed[k]);
  if (c->skipped[k] && n > 0 && (size_t)n < len)
    snprintf(buf + n, len - (size_t)n, "+%" PRIu32 "s", c->skipped[k]);
}

static void st_print_row(const char *name, const st_counts *c, int namew,
                         const int *w) {
  char cell[64];
  printf("%-*s", namew, name);
  for (int k = 0; k < ST_KIND_COUNT; k++) {
    st_cell(c, k, cell, sizeof cell);
    printf("  %*s", w[k], cell);
  }
  printf("  %8" PRIu32 "  %8" PRIu32 "  %8" PRIu32 "\n", st_counts_passed(c),
         st_counts_failed(c), st_counts_skipped(c));
}

static void st_print_table(const st_file_result *files, size_t nfiles,
                           const st_counts *total) {
  int namew = 5;
  int w[ST_KIND_COUNT];
  char cell[64];
  for (size_t i = 0; i < nfiles; i++) {
    int n = (int)strlen(files[i].name);
    if (n > namew) namew = n;
  }
  for (int k = 0; k < ST_KIND_COUNT; k++) {
    w[k] = (int)strlen(st_headers[k]);
    st_cell(total, k, cell, sizeof cell);
    if ((int)strlen(cell) > w[k]) w[k] = (int)strlen(cell);
    for (size_t i = 0; i < nfiles; i++) {
      st_cell(&files[i].counts, k, cell, sizeof cell);
      if ((int)strlen(cell) > w[k]) w[k] = (int)strlen(cell);
    }
  }
  printf("\ncells: passed[/failed f][+skipped s]\n");
  printf("%-*s", namew, "file");
  for (int k = 0; k < ST_KIND_COUNT; k++) printf("  %*s", w[k], st_headers[k]);
  printf("  %8s  %8s  %8s\n", "passed", "failed", "skipped");
  for (size_t i = 0; i < nfiles; i++)
    st_print_row(files[i].name, &files[i].counts, namew, w);
  if (nfiles > 1) st_print_row("total", total, namew, w);
}

/* "dir/i32.json" -> "i32" */
static void st_file_name(const char *path, char *buf, size_t len) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t n = strlen(base);
  if (n > 5 && strcmp(base + n - 5, ".json") == 0) n -= 5;
  snprintf(buf, len, "%.*s", (int)n, base);
}

/* ---- running a script ------------------------------------------------------
 */

/* One script in this process, under a watchdog of its own. */
static int st_run_here(const char *path, st_options *opt, st_counts *counts) {
  st_watchdog wd;
  if (st_watchdog_start(&wd, opt->timeout_ms + 2000,
                        2 * opt->timeout_ms + 10000) != 0) {
    fprintf(stderr, "clave-spectest: cannot start the watchdog thread\n");
    return -1;
  }
  opt->watchdog = &wd;
  char label[256], name[128];
  st_file_name(path, name, sizeof name);
  st_script_run(path, name, opt, counts, label, sizeof label);
  st_watchdog_stop(&wd);
  opt->watchdog = NULL;
  return 0;
}

static bool st_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

static size_t st_read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  return got;
}

/* One script in a child process.  A child that dies without handing back
 * its counts crashed: the script counts as one error with no passes. */
static int st_run_isolated(const char *path, st_options *opt,
                           st_file_result *fr) {
  int fds[2];
  if (pipe(fds) != 0) return st_run_here(path, opt, &fr->counts);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return st_run_here(path, opt, &fr->counts);
  }
  if (pid == 0) {
    close(fds[0]);
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep what precedes a crash */
    st_counts c;
    memset(&c, 0, sizeof c);
    int rc = st_run_here(path, opt, &c);
    fflush(stdout);
    if (rc == 0 && !st_write_all(fds[1], &c, sizeof c)) rc = -1;
    /* exit, not _exit: LeakSanitizer checks at exit, and a leak in the
     * engine is a failure of the script too.  Nothing buffered in the
     * parent before the fork is left to flush twice. */
    exit(rc == 0 ? 0 : 2);
  }
  close(fds[1]);
  st_counts c;
  size_t got = st_read_all(fds[0], &c, sizeof c);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      status = -1;
      break;
    }
  }
  bool counted = got == sizeof c;
  if (counted && status == 0) {
    fr->counts = c;
    return 0;
  }
  /* Results handed over but a bad ending (a leak report at exit): keep
   * the counts, and count the ending as a crash. */
  if (counted)
    fr->counts = c;
  else
    memset(&fr->counts, 0, sizeof fr->counts);
  fr->counts.crashes++;
  fr->counts.errors++;
  if (opt->tty) printf("\r\033[K");
  if (status == -1)
    printf("%s: CRASHED: lost track of the script's process\n", fr->name);
  else if (WIFSIGNALED(status))
    printf("%s: CRASHED: killed by signal %d (%s)\n", fr->name,
           WTERMSIG(status), strsignal(WTERMSIG(status)));
  else if (counted)
    printf(
        "%s: CRASHED: the script's process ended with status %d after "
        "its results (a leak report? see stderr)\n",
        fr->name, WEXITSTATUS(status));
  else
    printf(
        "%s: CRASHED: the script's process ended with status %d "
        "without a result (a sanitizer report or a hang, see stderr)\n",
        fr->name, WEXITSTATUS(status));
  return 0;
}

/* ---- main ------------------------------------------------------------------
 */

int main(int argc, char **argv) {
  enum {
    OPT_ENGINE = 256,
    OPT_TRACE,
    OPT_TIMEOUT,
    OPT_SKIPS,
    OPT_RATCHET,
    OPT_WRITE_RATCHET,
    OPT_SELF_TEST,
    OPT_NO_FORK,
    OPT_AOT_BOUNDS,
    OPT_AOT_CACHE,
    OPT_AOT_NO_CACHE
  };
  static const struct option longopts[] = {
      {"engine", required_argument, NULL, OPT_ENGINE},
      {"verbose", no_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"trace", no_argument, NULL, OPT_TRACE},
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"skips", required_argument, NULL, OPT_SKIPS},
      {"ratchet", required_argument, NULL, OPT_RATCHET},
      {"write-ratchet", required_argument, NULL, OPT_WRITE_RATCHET},
      {"self-test", no_argument, NULL, OPT_SELF_TEST},
      {"no-fork", no_argument, NULL, OPT_NO_FORK},
      {"aot-bounds-checks", no_argument, NULL, OPT_AOT_BOUNDS},
      {"aot-cache", required_argument, NULL, OPT_AOT_CACHE},
      {"aot-no-cache", no_argument, NULL, OPT_AOT_NO_CACHE},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  st_options opt;
  memset(&opt, 0, sizeof opt);
  opt.timeout_ms = ST_DEFAULT_TIMEOUT_MS;
  const char *skips = NULL, *ratchet = NULL, *write_ratchet = NULL;
  bool fork_scripts = true;
  int c;
  while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
    switch (c) {
      case 'v':
        opt.verbose = true;
        break;
      case 'q':
        opt.quiet = true;
        break;
      case OPT_TRACE:
        opt.trace = true;
        break;
      case OPT_ENGINE:
        if (!clave_tier_parse(optarg, &opt.tier)) {
          fprintf(stderr,
                  "clave-spectest: unknown engine \"%s\" (available: "
                  "interp, aot, auto)\n",
                  optarg);
          return 2;
        }
        break;
      case OPT_AOT_BOUNDS:
        opt.engine_flags |= CLAVE_ENGINE_AOT_BOUNDS_CHECKS;
        break;
      case OPT_AOT_CACHE:
        opt.aot_cache = optarg;
        break;
      case OPT_AOT_NO_CACHE:
        opt.engine_flags |= CLAVE_ENGINE_AOT_NO_CACHE;
        break;
      case OPT_TIMEOUT: {
        char *end;
        unsigned long long ms = strtoull(optarg, &end, 10);
        if (*end || ms == 0 || optarg[0] == '-') {
          fprintf(stderr,
                  "clave-spectest: --timeout wants milliseconds > 0, got "
                  "\"%s\"\n",
                  optarg);
          return 2;
        }
        opt.timeout_ms = ms;
        break;
      }
      case OPT_SKIPS:
        skips = optarg;
        break;
      case OPT_RATCHET:
        ratchet = optarg;
        break;
      case OPT_WRITE_RATCHET:
        write_ratchet = optarg;
        break;
      case OPT_NO_FORK:
        fork_scripts = false;
        break;
      case OPT_SELF_TEST: {
        int failed = st_self_test();
        printf("self-test: %s\n", failed ? "FAILED" : "ok");
        return failed ? 1 : 0;
      }
      case 'h':
        st_usage(stdout);
        return 0;
      default:
        st_usage(stderr);
        return 2;
    }
  }
  if (optind >= argc) {
    st_usage(stderr);
    return 2;
  }
  if (opt.verbose) opt.quiet = false;
  st_skiplist skiplist;
  memset(&skiplist, 0, sizeof skiplist);
  if (skips) {
    if (st_skiplist_load(skips, &skiplist, stderr) != 0) return 2;
    opt.skips = &skiplist;
  }
  opt.tty = isatty(STDOUT_FILENO) && !opt.verbose;

  size_t nfiles = (size_t)(argc - optind);
  st_file_result *files = calloc(nfiles, sizeof *files);
  if (!files) {
    fprintf(stderr, "clave-spectest: out of memory\n");
    st_skiplist_free(&skiplist);
    return 2;
  }
  st_install_crash_report();
  for (size_t i = 0; i < nfiles; i++) {
    const char *path = argv[optind + (int)i];
    st_file_name(path, files[i].name, sizeof files[i].name);
    if (opt.tty) {
      printf("\r\033[K[%zu/%zu] %s", i + 1, nfiles, files[i].name);
      fflush(stdout);
    }
    int r = fork_scripts ? st_run_isolated(path, &opt, &files[i])
                         : st_run_here(path, &opt, &files[i].counts);
    if (r != 0) {
      free(files);
      st_skiplist_free(&skiplist);
      return 2;
    }
    fflush(stdout);
  }
  if (opt.tty) printf("\r\033[K");

  int rc = 0;
  if (skips) st_skips_check(&skiplist, files, nfiles, stdout);
  st_skiplist_free(&skiplist);

  st_counts total;
  memset(&total, 0, sizeof total);
  for (size_t i = 0; i < nfiles; i++) st_counts_add(&total, &files[i].counts);
  st_print_table(files, nfiles, &total);

  if (total.timeouts > 0) {
    printf("\ntimeouts (calls stopped after %" PRIu64 " ms):", opt.timeout_ms);
    for (size_t i = 0; i < nfiles; i++) {
      if (files[i].counts.timeouts)
        printf(" %s (%" PRIu32 ")", files[i].name, files[i].counts.timeouts);
    }
    printf("\n");
  }
  if (total.crashes > 0) {
    printf("\ncrashed:");
    for (size_t i = 0; i < nfiles; i++) {
      if (files[i].counts.crashes) printf(" %s", files[i].name);
    }
    printf("\n");
  }
  if (total.errors > 0)
    printf("\n%" PRIu32
           " script-level error(s) (crash, bad or missing "
           "script, skip list mismatch), counted as failures\n",
           total.errors);

  if (rc == 0 && ratchet) {
    printf("\n");
    int below = st_ratchet_check(ratchet, files, nfiles, stdout);
    if (below < 0)
      rc = 2;
    else if (below > 0 || total.timeouts > 0 || total.errors > 0)
      rc = 1;
    printf("ratchet %s: %s\n", ratchet,
           rc == 0 ? "no script below its recorded passes"
                   : "FAILED (fewer passes, a timeout or a script error)");
  } else if (rc == 0) {
    rc = st_counts_failed(&total) > 0 ? 1 : 0;
  }
  if (write_ratchet) {
    if (total.timeouts > 0 || total.errors > 0) {
      printf(
          "not writing %s: a run with timeouts or script errors is not "
          "a baseline\n",
          write_ratchet);
      if (rc == 0) rc = 1;
    } else if (st_ratchet_write(write_ratchet, files, nfiles) != 0) {
      rc = 2;
    } else {
      printf("recorded the passes of %zu script(s) in %s\n", nfiles,
             write_ratchet);
      if (rc == 1) rc = 0; /* recording, not judging */
    }
  }
  free(files);

  printf("%" PRIu32 " passed, %" PRIu32 " failed, %" PRIu32 " skipped\n",
         st_counts_passed(&total), st_counts_failed(&total),
         st_counts_skipped(&total));
  return rc;
}
