/*
 * main.c - the `clave` command: a table of subcommands.
 *
 * Each subcommand lives in src/cli/cmd_NAME.c as
 * `int clave_cmd_NAME(int argc, char **argv)` (argv[0] is "NAME"), answers
 * `--help`, and returns the exit status.  Adding one is two lines here: its
 * declaration and its row in the table.  `clave help NAME` runs
 * `clave NAME --help`.  Names starting with "__" are internal (run by
 * clave itself) and left out of `clave --help`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"

#ifndef CLAVE_VERSION
#define CLAVE_VERSION "0.1.0"
#endif

clave_cli_fn clave_cmd_exec;
clave_cli_fn clave_cmd_wasm;
clave_cli_fn clave_cmd_serve;
clave_cli_fn clave_cmd_login;
clave_cli_fn clave_cmd_user;
clave_cli_fn clave_cmd_function;
clave_cli_fn clave_cmd_file;
clave_cli_fn clave_cmd_task;
clave_cli_fn clave_cmd_audit;
clave_cli_fn clave_cmd_encrypt;
clave_cli_fn clave_cmd_decrypt;
clave_cli_fn clave_cmd_task_child;
clave_cli_fn clave_cmd_compile;
clave_cli_fn clave_cmd_infer;

static const struct cli_command {
  const char *name;
  clave_cli_fn *fn;
  const char *summary;
} cli_commands[] = {
    {"exec", clave_cmd_exec, "run one function of a payload locally"},
    {"compile", clave_cmd_compile, "compile an ONNX model into a payload (.wasm)"},
    {"infer", clave_cmd_infer, "run a compiled model locally, print the top classes"},
    {"wasm", clave_cmd_wasm, "run, validate or inspect a WebAssembly module"},
    {"serve", clave_cmd_serve, "run the platform server (HTTPS API, workers)"},
    {"login", clave_cmd_login, "log in to a platform server, keep the token"},
    {"user", clave_cmd_user, "register platform users, show who you are"},
    {"function", clave_cmd_function, "register, get, list, disable, delete functions"},
    {"file", clave_cmd_file, "register input and output files, download results"},
    {"task", clave_cmd_task, "create, assign, approve, invoke, cancel tasks; results"},
    {"audit", clave_cmd_audit, "read the platform's audit log (admin)"},
    {"encrypt", clave_cmd_encrypt, "encrypt a file for the platform (AES-GCM)"},
    {"decrypt", clave_cmd_decrypt, "decrypt a platform file with its key file"},
    {"__task-child", clave_cmd_task_child, "(internal) a platform task's sandboxed process"},
};

static const size_t cli_ncommands = sizeof cli_commands / sizeof cli_commands[0];

static void cli_usage(FILE *out) {
  fprintf(out,
          "usage: clave COMMAND [ARGS...]\n"
          "       clave help COMMAND | clave --help | clave --version\n"
          "\n"
          "Clave: confidential functions, run in Clave's own WebAssembly "
          "engine.\n\ncommands:\n");
  for (size_t i = 0; i < cli_ncommands; i++) {
    if (strncmp(cli_commands[i].name, "__", 2) == 0) continue; /* internal */
    fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
  }
}

static const struct cli_command *cli_find(const char *name) {
  for (size_t i = 0; i < cli_ncommands; i++)
    if (strcmp(cli_commands[i].name, name) == 0) return &cli_commands[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_usage(stderr);
    return 1;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
      (strcmp(name, "help") == 0 && argc == 2)) {
    cli_usage(stdout);
    return 0;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("clave %s\n", CLAVE_VERSION);
    return 0;
  }
  if (strcmp(name, "help") == 0) {
    const struct cli_command *c = cli_find(argv[2]);
    if (!c) return cli_error("unknown command '%s' (see 'clave --help')", argv[2]);
    char help[] = "--help";
    char *sub_argv[] = {argv[2], help, NULL};
    return c->fn(2, sub_argv);
  }
  const struct cli_command *c = cli_find(name);
  if (!c) return cli_error("unknown command '%s' (see 'clave --help')", name);
  return c->fn(argc - 1, argv + 1);
}
