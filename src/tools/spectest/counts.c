/*
 * counts.c - command kinds, skip reasons and the pass/fail/skip tallies.
 *
 * Kept apart from script.c so that the tallies (used by the table, the
 * skip list and the ratchet) are testable without an engine.
 */
#include <string.h>

#include "spectest.h"

static const char *const st_kind_names[ST_KIND_COUNT] = {
    "module",
    "register",
    "action",
    "assert_return",
    "assert_trap",
    "assert_exhaustion",
    "assert_invalid",
    "assert_malformed",
    "assert_unlinkable",
    "assert_uninstantiable",
};

const char *st_kind_name(st_kind kind) {
  return kind < ST_KIND_COUNT ? st_kind_names[kind] : "?";
}

bool st_kind_parse(const char *name, st_kind *out) {
  for (int k = 0; k < ST_KIND_COUNT; k++) {
    if (strcmp(name, st_kind_names[k]) == 0) {
      *out = (st_kind)k;
      return true;
    }
  }
  return false;
}

static const char *const st_skip_names[ST_SKIP_COUNT] = {"text", "SIMD",
                                                         "datacount"};

const char *st_skip_reason_name(st_skip_reason reason) {
  return reason < ST_SKIP_COUNT ? st_skip_names[reason] : "?";
}

bool st_skip_reason_parse(const char *name, st_skip_reason *out) {
  for (int i = 0; i < ST_SKIP_COUNT; i++) {
    if (strcmp(name, st_skip_names[i]) == 0) {
      *out = (st_skip_reason)i;
      return true;
    }
  }
  return false;
}

bool st_skip_reason_by_line(st_skip_reason reason) {
  return reason == ST_SKIP_DATACOUNT;
}

uint32_t st_counts_passed(const st_counts *c) {
  uint32_t n = 0;
  for (int k = 0; k < ST_KIND_COUNT; k++) n += c->passed[k];
  return n;
}

uint32_t st_counts_failed(const st_counts *c) {
  uint32_t n = c->errors;
  for (int k = 0; k < ST_KIND_COUNT; k++) n += c->failed[k];
  return n;
}

uint32_t st_counts_skipped(const st_counts *c) {
  uint32_t n = 0;
  for (int k = 0; k < ST_KIND_COUNT; k++) n += c->skipped[k];
  return n;
}

void st_counts_add(st_counts *to, const st_counts *c) {
  for (int k = 0; k < ST_KIND_COUNT; k++) {
    to->passed[k] += c->passed[k];
    to->failed[k] += c->failed[k];
    to->skipped[k] += c->skipped[k];
  }
  for (int r = 0; r < ST_SKIP_COUNT; r++)
    to->skipped_for[r] += c->skipped_for[r];
  to->errors += c->errors;
  to->timeouts += c->timeouts;
  to->crashes += c->crashes;
}
