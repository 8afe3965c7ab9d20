/*
 * lists.c - the two committed lists that keep the spec run honest.
 *
 * The skip list (tests/spec/skips.txt) says, per script and reason, exactly
 * how many commands may be skipped: "SCRIPT REASON COUNT", followed by the
 * commands' line numbers for reasons that cannot be recognised from the
 * command itself.  Any difference, up or down, is an error of that script,
 * so a skip can never be added silently (a new skip must be written down
 * with its justification).
 *
 * The ratchet (tests/spec/passing.txt) records per script how many
 * commands passed: "FILE COUNT".  A run fails when a script passes fewer,
 * so progress on the engine can only go forward until every assertion
 * passes and the ratchet is retired.
 *
 * Both files allow blank lines and '#' comments.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

#define ST_LIST_WORDS 40

/* Reads the next non-comment line into up to ST_LIST_WORDS words; returns
 * the number of words, 0 at end of file, -1 on a line that is too long or
 * has too many words. */
static int st_list_next(FILE *f, char words[ST_LIST_WORDS][128], int *lineno) {
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    (*lineno)++;
    if (!strchr(line, '\n') && !feof(f)) return -1;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    int n = 0;
    char *p = line;
    for (;;) {
      while (isspace((unsigned char)*p)) p++;
      if (!*p) break;
      if (n == ST_LIST_WORDS) return -1;
      size_t len = 0;
      while (p[len] && !isspace((unsigned char)p[len])) len++;
      if (len >= 128) return -1;
      memcpy(words[n], p, len);
      words[n][len] = '\0';
      n++;
      p += len;
    }
    if (n > 0) return n;
  }
  return 0;
}

static bool st_list_count(const char *text, uint32_t *out) {
  if (!isdigit((unsigned char)text[0])) return false;
  errno = 0;
  char *end;
  unsigned long v = strtoul(text, &end, 10);
  if (errno || *end || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static st_file_result *st_find_file(st_file_result *files, size_t nfiles,
                                    const char *name) {
  for (size_t i = 0; i < nfiles; i++) {
    if (strcmp(files[i].name, name) == 0) return &files[i];
  }
  return NULL;
}

void st_skiplist_free(st_skiplist *list) {
  for (size_t i = 0; i < list->n; i++) free(list->entries[i].lines);
  free(list->entries);
  list->entries = NULL;
  list->n = 0;
}

/* Parses one "SCRIPT REASON COUNT [LINE...]" line into e; false with a
 * message in why. */
static bool st_skip_entry_parse(char w[ST_LIST_WORDS][128], int n,
                                st_skip_entry *e, char *why, size_t len) {
  memset(e, 0, sizeof *e);
  if (n < 3) {
    snprintf(why, len, "expected \"SCRIPT REASON COUNT [LINE...]\"");
    return false;
  }
  size_t sl = strnlen(w[0], sizeof e->script - 1);
  memcpy(e->script, w[0], sl);
  e->script[sl] = '\0';
  if (!st_skip_reason_parse(w[1], &e->reason)) {
    snprintf(why, len, "unknown reason \"%.60s\" (text, SIMD or datacount)",
             w[1]);
    return false;
  }
  if (!st_list_count(w[2], &e->count)) {
    snprintf(why, len, "bad count \"%.60s\"", w[2]);
    return false;
  }
  uint32_t nlines = (uint32_t)(n - 3);
  if (!st_skip_reason_by_line(e->reason)) {
    if (nlines == 0) return true;
    snprintf(why, len, "reason %.60s is recognised by the runner: no lines",
             w[1]);
    return false;
  }
  if (nlines != e->count) {
    snprintf(why, len,
             "reason %.60s needs the line of every skipped command: %" PRIu32
             " given for a count of %" PRIu32,
             w[1], nlines, e->count);
    return false;
  }
  if (nlines && !(e->lines = calloc(nlines, sizeof *e->lines))) {
    snprintf(why, len, "out of memory");
    return false;
  }
  for (uint32_t i = 0; i < nlines; i++) {
    if (!st_list_count(w[3 + i], &e->lines[i]) || e->lines[i] == 0) {
      snprintf(why, len, "bad line number \"%.60s\"", w[3 + i]);
      free(e->lines);
      e->lines = NULL;
      return false;
    }
  }
  return true;
}

int st_skiplist_load(const char *path, st_skiplist *out, FILE *msg) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(msg, "clave-spectest: cannot open skip list %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  char w[ST_LIST_WORDS][128];
  int n, lineno = 0, rc = 0;
  size_t cap = 0;
  while ((n = st_list_next(f, w, &lineno)) != 0) {
    st_skip_entry e;
    char why[200];
    if (n < 0) {
      snprintf(why, sizeof why, "line too long or too many words");
    } else if (st_skip_entry_parse(w, n, &e, why, sizeof why)) {
      bool dup = false;
      for (size_t i = 0; i < out->n; i++) {
        dup |= strcmp(out->entries[i].script, e.script) == 0 &&
               out->entries[i].reason == e.reason;
      }
      if (dup) {
        snprintf(why, sizeof why, "%s %s is listed twice", e.script,
                 st_skip_reason_name(e.reason));
        free(e.lines);
      } else {
        if (out->n == cap) {
          cap = cap ? 2 * cap : 32;
          st_skip_entry *more = realloc(out->entries, cap * sizeof *more);
          if (!more) {
            free(e.lines);
            snprintf(why, sizeof why, "out of memory");
            goto bad;
          }
          out->entries = more;
        }
        out->entries[out->n++] = e;
        continue;
      }
    }
  bad:
    fprintf(msg, "clave-spectest: %s:%d: %s\n", path, lineno, why);
    rc = -1;
    break;
  }
  fclose(f);
  if (rc != 0) st_skiplist_free(out);
  return rc;
}

int st_skiplist_line(const st_skiplist *list, const char *script,
                     uint32_t line) {
  if (!list) return -1;
  for (size_t i = 0; i < list->n; i++) {
    const st_skip_entry *e = &list->entries[i];
    if (!e->lines || strcmp(e->script, script) != 0) continue;
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->lines[k] == line) return (int)e->reason;
    }
  }
  return -1;
}

void st_skips_check(const st_skiplist *list, st_file_result *files,
                    size_t nfiles, FILE *out) {
  for (size_t i = 0; i < nfiles; i++) {
    for (int r = 0; r < ST_SKIP_COUNT; r++) {
      uint32_t allowed = 0;
      for (size_t k = 0; k < list->n; k++) {
        const st_skip_entry *e = &list->entries[k];
        if (e->reason == (st_skip_reason)r &&
            strcmp(e->script, files[i].name) == 0)
          allowed = e->count;
      }
      uint32_t got = files[i].counts.skipped_for[r];
      if (got == allowed) continue;
      fprintf(out,
              "%s: skipped %" PRIu32
              " command(s) for reason %s, the skip "
              "list allows exactly %" PRIu32 "\n",
              files[i].name, got, st_skip_reason_name((st_skip_reason)r),
              allowed);
      files[i].counts.errors++;
    }
  }
}

int st_ratchet_check(const char *path, const st_file_result *files,
                     size_t nfiles, FILE *out) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(out, "clave-spectest: cannot open ratchet file %s\n", path);
    return -1;
  }
  bool *seen = calloc(nfiles ? nfiles : 1, sizeof *seen);
  if (!seen) {
    fclose(f);
    return -1;
  }
  char w[ST_LIST_WORDS][128];
  int n, lineno = 0, below = 0;
  while ((n = st_list_next(f, w, &lineno)) != 0) {
    uint32_t count;
    if (n != 2 || !st_list_count(w[1], &count)) {
      fprintf(out, "clave-spectest: %s:%d: expected \"FILE COUNT\"\n", path,
              lineno);
      below = -1;
      break;
    }
    const st_file_result *fr =
        st_find_file((st_file_result *)files, nfiles, w[0]);
    if (!fr) {
      fprintf(out,
              "ratchet: %s is recorded with %" PRIu32
              " passes but was not run\n",
              w[0], count);
      below++;
      continue;
    }
    seen[fr - files] = true;
    uint32_t passed = st_counts_passed(&fr->counts);
    if (passed < count) {
      fprintf(out,
              "ratchet: %s: %" PRIu32 " passed, fewer than the %" PRIu32
              " recorded in %s\n",
              fr->name, passed, count, path);
      below++;
    } else if (passed > count) {
      fprintf(out,
              "ratchet: %s: %" PRIu32 " passed, more than the %" PRIu32
              " recorded (record it with tests/spec/update-passing)\n",
              fr->name, passed, count);
    }
  }
  fclose(f);
  for (size_t i = 0; below >= 0 && i < nfiles; i++) {
    if (!seen[i] && st_counts_passed(&files[i].counts) > 0)
      fprintf(out,
              "ratchet: %s is not recorded (record it with "
              "tests/spec/update-passing)\n",
              files[i].name);
  }
  free(seen);
  return below;
}

static int st_by_name(const void *a, const void *b) {
  const st_file_result *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

int st_ratchet_write(const char *path, const st_file_result *files,
                     size_t nfiles) {
  const st_file_result **sorted = calloc(nfiles ? nfiles : 1, sizeof *sorted);
  if (!sorted) return -1;
  for (size_t i = 0; i < nfiles; i++) sorted[i] = &files[i];
  qsort(sorted, nfiles, sizeof *sorted, st_by_name);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "clave-spectest: cannot write %s\n", path);
    free(sorted);
    return -1;
  }
  fprintf(f,
          "# The spec-test ratchet: per script of the core suite, the number "
          "of\n"
          "# commands that pass.  The spec_core test fails when a script "
          "passes\n"
          "# fewer.  Written by tests/spec/update-passing; delete this file "
          "once\n"
          "# every assertion passes, and spec_core then requires zero "
          "failures.\n");
  for (size_t i = 0; i < nfiles; i++)
    fprintf(f, "%s %" PRIu32 "\n", sorted[i]->name,
            st_counts_passed(&sorted[i]->counts));
  free(sorted);
  if (fclose(f) != 0) {
    fprintf(stderr, "clave-spectest: cannot write %s\n", path);
    return -1;
  }
  return 0;
}
