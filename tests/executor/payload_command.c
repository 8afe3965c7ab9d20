/*
 * payload_command.c - a wasi-libc command for `clave wasm run` tests.
 *
 *   payload_command.wasm args A B ...   print argc and each argv element
 *   payload_command.wasm exit N         print to both streams, exit(N)
 *   payload_command.wasm return N       return N from main
 *   payload_command.wasm trap           divide by zero
 *   payload_command.wasm trap-midline   the same after half a line
 *   payload_command.wasm env            print the environment size and
 *                                       whether stdin is empty
 *   payload_command.wasm files          try to open a host file
 *   payload_command.wasm loop           spin forever (for the limits)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s args|exit N|return N|trap|trap-midline|env|files|loop\n",
            argv[0]);
    return 64;
  }
  const char *what = argv[1];
  if (strcmp(what, "args") == 0) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
  }
  if (strcmp(what, "exit") == 0 && argc > 2) {
    printf("to stdout\n");
    fprintf(stderr, "to stderr\n");
    exit(atoi(argv[2]));
  }
  if (strcmp(what, "return") == 0 && argc > 2) return atoi(argv[2]);
  if (strcmp(what, "trap") == 0 || strcmp(what, "trap-midline") == 0) {
    volatile int zero = 0;
    printf(what[4] ? "half a line" : "before the trap\n");
    fflush(stdout);
    return 10 / zero;
  }
  if (strcmp(what, "env") == 0) {
    int n = 0;
    while (environ && environ[n]) n++;
    int c = getchar();
    printf("environ=%d stdin=%s\n", n, c == EOF ? "empty" : "data");
    return 0;
  }
  if (strcmp(what, "files") == 0) {
    FILE *f = fopen("/etc/passwd", "r");
    printf("fopen: %s\n", f ? "opened" : strerror(errno));
    return f ? 1 : 0;
  }
  if (strcmp(what, "loop") == 0) {
    volatile unsigned spin = 0;
    for (;;) spin++;
  }
  fprintf(stderr, "%s: unknown request '%s'\n", argv[0], what);
  return 64;
}
