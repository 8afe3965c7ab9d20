/*
 * cmd_wasm.c - `clave wasm run|validate|info`: the engine on plain modules.
 *
 * `run` executes a WASI command (_start) the way a shell runs a program:
 * argv[0] is the file name, stdout and stderr go straight through, and the
 * exit status is the program's.  Benchmarks run their kernels this way,
 * so it does no more than load, instantiate and call.  `validate` decodes
 * and validates only; `info` shows what a module imports and exports and
 * how large its code is before and after translation.
 *
 * Exit status of `run`: the program's exit code (proc_exit, or 0 when
 * _start returns); 134 when it traps (like a process killed by SIGABRT);
 * 1 when the module cannot be read, loaded or linked, or for bad options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clave/executor.h"
#include "cli/cli_util.h"

clave_cli_fn clave_cmd_wasm;

#define WASM_TRAP_STATUS 134

static const char wasm_help[] =
    "usage: clave wasm run [OPTIONS] FILE.wasm [ARGS...]\n"
    "       clave wasm validate FILE.wasm\n"
    "       clave wasm info FILE.wasm\n"
    "\n"
    "run       run a WASI command module (_start) with argv [FILE.wasm,\n"
    "          ARGS...]; its stdout and stderr pass straight through.\n"
    "          Exit status: the program's exit code; 134 on a trap ('trap:\n"
    "          ...' on stderr); 1 when the module cannot be read, loaded or\n"
    "          linked, or for bad options.\n"
    "validate  decode and validate; print OK or the error\n"
    "info      imports, exports, code size before and after translation\n"
    "\n"
    "options of run:\n"
    CLI_LIMIT_HELP
    CLI_ENGINE_HELP("interp")
    "\n"
    "options of info: --engine TIER, --aot-cache DIR, --aot-bounds-checks\n"
    "          (info then also says how the module runs: interpreted, or\n"
    "          native code compiled now or found in the cache)\n";

enum { OPT_HELP = 1 };

static const cli_opt wasm_run_opts[] = {
    {"help", 'h', false, OPT_HELP},
    CLI_LIMIT_OPTS,
    CLI_ENGINE_OPTS,
    {NULL, 0, false, 0},
};

static const cli_opt wasm_info_opts[] = {
    {"help", 'h', false, OPT_HELP},
    CLI_ENGINE_OPTS,
    {NULL, 0, false, 0},
};

static const cli_opt wasm_help_opts[] = {
    {"help", 'h', false, OPT_HELP},
    {NULL, 0, false, 0},
};

static int wasm_run(int argc, char **argv) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, wasm_run_opts);
  clave_limits limits;
  memset(&limits, 0, sizeof limits);
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  int id;
  const char *file = NULL;
  while (!file && (id = cli_next(&p)) != CLI_END) {
    if (id == CLI_BAD) return cli_usage_error("wasm", "%s", p.error);
    if (id == CLI_POSITIONAL) {
      file = p.arg;
    } else if (id == OPT_HELP) {
      fputs(wasm_help, stdout);
      return 0;
    } else if (id >= CLI_OPT_ENGINE) {
      if (!cli_engine_option(&p, id, &cfg))
        return cli_usage_error("wasm", "%s", p.error);
    } else if (!cli_limit_option(&p, id, &limits)) {
      return cli_usage_error("wasm", "%s", p.error);
    }
  }
  if (!file) return cli_usage_error("wasm", "run: no module given");

  char msg[512];
  uint8_t *wasm = NULL;
  size_t len = 0;
  if (!cli_read_file(file, &wasm, &len, msg, sizeof msg))
    return cli_error("%s", msg);
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_engine *engine = clave_engine_new(&cfg);
  if (!engine) {
    free(wasm);
    return cli_error("out of memory");
  }
  clave_program *prog = NULL;
  if (clave_program_load(engine, wasm, len, &prog, &err) != CLAVE_OK) {
    free(wasm);
    clave_engine_free(engine);
    return cli_error("%s: %s", file, err.message);
  }
  free(wasm);

  /* argv of the program: the file name, then everything after it */
  clave_exec_request req;
  clave_exec_request_init(&req);
  req.entry = CLAVE_ENTRY_WASI_START;
  req.argv = (const char *const *)(argv + p.index - 1);
  req.argc = (size_t)(argc - (p.index - 1));
  req.limits = limits;
  req.passthrough_stdout_fd = STDOUT_FILENO;
  req.passthrough_stderr_fd = STDERR_FILENO;
  fflush(stdout);
  clave_exec_result result;
  clave_status st = clave_program_run(prog, &req, &result);
  int rc;
  if (st == CLAVE_OK) {
    rc = result.return_value & 0xFF;
  } else if (st == CLAVE_ETRAP) {
    cli_trap(&result.error, result.log, result.log_len);
    rc = WASM_TRAP_STATUS;
  } else {
    rc = cli_error("%s: %s", file, result.error.message);
  }
  clave_exec_result_free(&result, NULL, 0);
  clave_program_free(prog);
  clave_engine_free(engine);
  return rc;
}

/* The single FILE operand of validate and info, or NULL after a message
 * (*rc is then the exit status). */
static const char *wasm_one_file(int argc, char **argv, const char *sub,
                                 int *rc, clave_engine_config *cfg) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, cfg ? wasm_info_opts : wasm_help_opts);
  const char *file = NULL;
  int id;
  while ((id = cli_next(&p)) != CLI_END) {
    if (id == CLI_BAD) {
      *rc = cli_usage_error("wasm", "%s", p.error);
      return NULL;
    }
    if (id == OPT_HELP) {
      fputs(wasm_help, stdout);
      *rc = 0;
      return NULL;
    }
    if (cfg && id >= CLI_OPT_ENGINE) {
      if (!cli_engine_option(&p, id, cfg)) {
        *rc = cli_usage_error("wasm", "%s", p.error);
        return NULL;
      }
      continue;
    }
    if (file) {
      *rc = cli_usage_error("wasm", "%s: unexpected argument '%s'", sub, p.arg);
      return NULL;
    }
    file = p.arg;
  }
  if (!file) *rc = cli_usage_error("wasm", "%s: no module given", sub);
  return file;
}

static int wasm_validate(int argc, char **argv) {
  int rc = 1;
  const char *file = wasm_one_file(argc, argv, "validate", &rc, NULL);
  if (!file) return rc;
  char msg[512];
  uint8_t *wasm = NULL;
  size_t len = 0;
  if (!cli_read_file(file, &wasm, &len, msg, sizeof msg))
    return cli_error("%s", msg);
  clave_error err;
  memset(&err, 0, sizeof err);
  clave_status st = clave_module_validate(wasm, len, &err);
  free(wasm);
  if (st != CLAVE_OK) return cli_error("%s: %s", file, err.message);
  printf("OK\n");
  return 0;
}

static const char *wasm_kind(clave_extern_kind kind) {
  switch (kind) {
    case CLAVE_EXTERN_FUNC: return "func";
    case CLAVE_EXTERN_TABLE: return "table";
    case CLAVE_EXTERN_MEMORY: return "memory";
    case CLAVE_EXTERN_GLOBAL: return "global";
  }
  return "?";
}

/* stands in for every imported function while `info` measures an
 * instance: nothing calls it (only a start function could) */
static clave_status wasm_stub(clave_caller *caller, const clave_value *args,
                              clave_value *results, void *user) {
  (void)caller;
  (void)args;
  (void)results;
  (void)user;
  return CLAVE_OK;
}

/* Instantiate m with stub imports and report what the instance costs
 * beyond its linear memory and stacks; false when the module imports
 * something other than functions or does not instantiate. */
static bool wasm_instance_cost(clave_engine *engine, clave_module *m,
                               size_t *bytes) {
  uint32_t n = clave_module_import_count(m);
  clave_extern *imps = calloc(n ? n : 1, sizeof *imps);
  bool ok = imps != NULL;
  for (uint32_t i = 0; ok && i < n; i++) {
    clave_functype ft;
    if (clave_module_import_functype(m, i, &ft) != CLAVE_OK) {
      ok = false;
      break;
    }
    imps[i].kind = CLAVE_EXTERN_FUNC;
    imps[i].of.func = clave_func_new_host(engine, &ft, wasm_stub, NULL, NULL);
    ok = imps[i].of.func != NULL;
  }
  clave_instance *inst = NULL;
  clave_error err;
  if (ok) ok = clave_instance_new(engine, m, imps, n, NULL, &inst, &err) ==
               CLAVE_OK;
  if (ok) {
    *bytes = clave_instance_footprint(inst);
    clave_instance_free(inst);
  }
  for (uint32_t i = 0; imps && i < n; i++)
    if (imps[i].of.func) clave_extern_release(imps[i]);
  free(imps);
  return ok;
}

static int wasm_info(int argc, char **argv) {
  int rc = 1;
  clave_engine_config cfg;
  memset(&cfg, 0, sizeof cfg);
  const char *file = wasm_one_file(argc, argv, "info", &rc, &cfg);
  if (!file) return rc;
  char msg[512];
  uint8_t *wasm = NULL;
  size_t len = 0;
  if (!cli_read_file(file, &wasm, &len, msg, sizeof msg))
    return cli_error("%s", msg);
  clave_engine *engine = clave_engine_new(&cfg);
  if (!engine) {
    free(wasm);
    return cli_error("out of memory");
  }
  clave_module *m = NULL;
  clave_error err;
  memset(&err, 0, sizeof err);
  if (clave_module_load(engine, wasm, len, &m, &err) != CLAVE_OK) {
    free(wasm);
    clave_engine_free(engine);
    return cli_error("%s: %s", file, err.message);
  }
  printf("module: %s (%zu bytes)\n", file, len);
  uint32_t n = clave_module_import_count(m);
  printf("imports: %u\n", n);
  for (uint32_t i = 0; i < n; i++) {
    clave_import_desc d;
    clave_module_import(m, i, &d);
    printf("  %-6s %.*s.%.*s\n", wasm_kind(d.kind), (int)d.module_len,
           d.module, (int)d.name_len, d.name);
  }
  n = clave_module_export_count(m);
  printf("exports: %u\n", n);
  for (uint32_t i = 0; i < n; i++) {
    clave_export_desc d;
    clave_module_export(m, i, &d);
    printf("  %-6s %.*s\n", wasm_kind(d.kind), (int)d.name_len, d.name);
  }
  size_t wasm_code = clave_module_wasm_code_size(m);
  size_t code = clave_module_code_size(m);
  printf("code section: %zu bytes\n", wasm_code);
  if (wasm_code)
    printf("translated code: %zu bytes (%.2fx the code section)\n", code,
           (double)code / (double)wasm_code);
  else
    printf("translated code: %zu bytes\n", code);
  size_t inst_bytes = 0;
  if (wasm_instance_cost(engine, m, &inst_bytes))
    printf("instance: %zu bytes (%.1f KiB) beyond linear memory and stacks\n",
           inst_bytes, (double)inst_bytes / 1024.0);
  clave_aot_info ai;
  clave_module_aot_info(m, &ai);
  if (ai.tier == CLAVE_TIER_AOT && ai.cached)
    printf("tier: aot (native code from the cache: %s)\n", ai.object);
  else if (ai.tier == CLAVE_TIER_AOT)
    printf("tier: aot (compiled now: %zu bytes of C in %.0f ms%s%s)\n",
           ai.c_bytes, ai.compile_ms, ai.object ? "; cached as " : "",
           ai.object ? ai.object : "");
  else
    printf("tier: interp%s%s%s\n", ai.note ? " (" : "",
           ai.note ? ai.note : "", ai.note ? ")" : "");
  /* can the executor run it, and how? */
  clave_program *prog = NULL;
  memset(&err, 0, sizeof err);
  if (clave_program_load(engine, wasm, len, &prog, &err) == CLAVE_OK) {
    bool entry = false, start = false;
    for (uint32_t i = 0; i < n; i++) {
      clave_export_desc d;
      clave_module_export(m, i, &d);
      if (d.kind != CLAVE_EXTERN_FUNC) continue;
      if (d.name_len == 10 && memcmp(d.name, "entrypoint", 10) == 0)
        entry = true;
      if (d.name_len == 6 && memcmp(d.name, "_start", 6) == 0) start = true;
    }
    printf("executor: runs as %s%s%s\n", entry ? "a function (clave exec)" : "",
           entry && start ? " and " : "",
           start ? "a command (clave wasm run)" : "");
  } else {
    printf("executor: cannot run it: %s\n", err.message);
  }
  clave_program_free(prog);
  clave_module_free(m);
  clave_engine_free(engine);
  free(wasm);
  return 0;
}

int clave_cmd_wasm(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("wasm", "no subcommand given");
  const char *sub = argv[1];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
    fputs(wasm_help, stdout);
    return 0;
  }
  if (strcmp(sub, "run") == 0) return wasm_run(argc - 1, argv + 1);
  if (strcmp(sub, "validate") == 0) return wasm_validate(argc - 1, argv + 1);
  if (strcmp(sub, "info") == 0) return wasm_info(argc - 1, argv + 1);
  return cli_usage_error("wasm", "unknown subcommand '%s' (run, validate, info)",
                         sub);
}
