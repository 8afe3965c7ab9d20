/*
 * watchdog.c - a last line of defence against a call that never returns.
 *
 * Every instance already runs under clave_limits.timeout_ms, so a runaway
 * loop should come back as a CLAVE_TRAP_DEADLINE trap.  The watchdog covers
 * an engine whose deadline does not work: past soft_ms it asks the
 * instance to stop (clave_instance_interrupt, which is thread safe), and
 * past hard_ms it names the command and ends the process, because a suite
 * that hangs tells nobody anything.
 *
 * The instance pointer is only used under the mutex, and the runner
 * disarms (taking the mutex) before it frees an instance.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spectest.h"

uint64_t st_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The condition variable runs on CLOCK_MONOTONIC (see st_watchdog_start). */
static void st_deadline(struct timespec *ts, uint64_t at_ms) {
  ts->tv_sec = (time_t)(at_ms / 1000u);
  ts->tv_nsec = (long)(at_ms % 1000u) * 1000000L;
}

static void *st_watchdog_main(void *arg) {
  st_watchdog *wd = arg;
  pthread_mutex_lock(&wd->mu);
  while (!wd->stop) {
    if (!wd->armed) {
      pthread_cond_wait(&wd->cv, &wd->mu);
      continue;
    }
    uint64_t now = st_now_ms();
    uint64_t soft = wd->armed_at_ms + wd->soft_ms;
    uint64_t hard = wd->armed_at_ms + wd->hard_ms;
    if (now >= hard) {
      char msg[400];
      int n = snprintf(msg, sizeof msg,
                       "clave-spectest: %s: still running after %llu ms "
                       "despite the %llu ms deadline; giving up on the "
                       "whole run\n",
                       wd->where, (unsigned long long)(now - wd->armed_at_ms),
                       (unsigned long long)wd->soft_ms);
      fflush(stdout);
      if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) {
        /* nothing more to do: we are exiting anyway */
      }
      _exit(3);
    }
    if (now >= soft && !wd->interrupted) {
      wd->interrupted = true;
      if (wd->instance) clave_instance_interrupt(wd->instance);
      continue;
    }
    struct timespec ts;
    st_deadline(&ts, wd->interrupted ? hard : soft);
    int rc = pthread_cond_timedwait(&wd->cv, &wd->mu, &ts);
    if (rc != 0 && rc != ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&wd->mu);
  return NULL;
}

int st_watchdog_start(st_watchdog *wd, uint64_t soft_ms, uint64_t hard_ms) {
  memset(wd, 0, sizeof *wd);
  wd->soft_ms = soft_ms;
  wd->hard_ms = hard_ms;
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) return -1;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&wd->cv, &attr);
  pthread_condattr_destroy(&attr);
  if (rc != 0) return -1;
  if (pthread_mutex_init(&wd->mu, NULL) != 0) {
    pthread_cond_destroy(&wd->cv);
    return -1;
  }
  if (pthread_create(&wd->thread, NULL, st_watchdog_main, wd) != 0) {
    pthread_mutex_destroy(&wd->mu);
    pthread_cond_destroy(&wd->cv);
    return -1;
  }
  wd->started = true;
  return 0;
}

void st_watchdog_arm(st_watchdog *wd, clave_instance *instance,
                     const char *where) {
  if (!wd || !wd->started) return;
  pthread_mutex_lock(&wd->mu);
  wd->armed = true;
  wd->interrupted = false;
  wd->armed_at_ms = st_now_ms();
  wd->instance = instance;
  snprintf(wd->where, sizeof wd->where, "%s", where);
  pthread_cond_signal(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
}

void st_watchdog_disarm(st_watchdog *wd) {
  if (!wd || !wd->started) return;
  pthread_mutex_lock(&wd->mu);
  wd->armed = false;
  wd->instance = NULL;
  pthread_cond_signal(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
}

void st_watchdog_stop(st_watchdog *wd) {
  if (!wd || !wd->started) return;
  pthread_mutex_lock(&wd->mu);
  wd->stop = true;
  pthread_cond_signal(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
  pthread_join(wd->thread, NULL);
  pthread_mutex_destroy(&wd->mu);
  pthread_cond_destroy(&wd->cv);
  wd->started = false;
}
