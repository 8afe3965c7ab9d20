/*
 * payload_reactor.c - a wasi-libc reactor (-mexec-model=reactor).
 *
 * A reactor has no _start; its libc and constructors are set up by
 * _initialize, which the executor must call before the entry point.  The
 * entry point prints its arguments with printf and returns the value the
 * constructor stored, so a missing _initialize call shows as 0.
 */
#include <stdio.h>
#include <stdlib.h>

static int initialised;
__attribute__((constructor)) static void init(void) { initialised = 42; }

__attribute__((export_name("entrypoint"))) int entrypoint(int argc,
                                                          char **argv) {
  char *copy = malloc(64); /* wasi-libc's allocator works after our args */
  if (!copy) return -1;
  for (int i = 0; i + 1 < argc; i += 2) printf("%s=%s\n", argv[i], argv[i + 1]);
  free(copy);
  return initialised;
}
