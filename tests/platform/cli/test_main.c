/*
 * test_main.c - clave-test-cli: the platform's CLI subcommands behind a
 * small dispatcher, so that they are built and tested before they join
 * the real `clave` command table (src/cli/main.c).  Same names, same
 * arguments: `clave-test-cli task create ...` is `clave task create ...`.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_platform.h"

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } cmds[] = {{"serve", clave_cmd_serve},       {"__task-child", clave_cmd_task_child},
              {"login", clave_cmd_login},       {"user", clave_cmd_user},
              {"function", clave_cmd_function}, {"file", clave_cmd_file},
              {"task", clave_cmd_task},         {"audit", clave_cmd_audit},
              {"encrypt", clave_cmd_encrypt},   {"decrypt", clave_cmd_decrypt}};
  if (argc < 2) {
    fprintf(stderr, "usage: clave-test-cli COMMAND ...\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "clave-test-cli: unknown command '%s'\n", argv[1]);
  return 2;
}
