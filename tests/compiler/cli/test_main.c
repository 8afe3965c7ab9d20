/*
 * test_main.c - clave-test-compile: `clave compile` and `clave infer`
 * behind a small dispatcher until src/cli/main.c has its command table
 * (same names, same arguments).
 */
#include <stdio.h>
#include <string.h>

int cmd_compile(int argc, char **argv);
int cmd_infer(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "compile") == 0)
    return cmd_compile(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "infer") == 0)
    return cmd_infer(argc - 1, argv + 1);
  fprintf(stderr, "usage: clave-test-compile compile|infer ...\n");
  return 2;
}
