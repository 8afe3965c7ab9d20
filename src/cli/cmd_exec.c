/*
 * cmd_exec.c - `clave exec`: run one payload function locally.
 *
 * The local twin of a platform task: the payload's entrypoint(argc, argv)
 * gets the arguments, its inputs are files read here, its outputs are
 * written to files after it returns.  The result goes to stdout alone (so
 * scripts can capture it), the payload's log to stderr.  Outputs of a run
 * that trapped are not written: a failed task has no outputs.
 *
 * Exit status: 0 when the function returned (whatever it returned), 1 for
 * a trap ("trap: ...") or any error ("error: ...").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clave/executor.h"
#include "cli/cli_util.h"

clave_cli_fn clave_cmd_exec;

static const char exec_help[] =
    "usage: clave exec PAYLOAD.wasm [OPTIONS]\n"
    "\n"
    "Run one function of a payload: call its entrypoint(argc, argv) with the\n"
    "arguments flattened as [k1, v1, k2, v2, ...] in key order, print the int\n"
    "it returns on stdout and its log (WASI stdout/stderr) on stderr.\n"
    "\n"
    "  --arg KEY=VALUE     an argument with a string value (repeatable)\n"
    "  --args-json JSON    arguments as a JSON object; --arg entries are\n"
    "                      added to it (and win)\n"
    "  --input NAME=PATH   bind the input NAME to the file PATH (repeatable)\n"
    "  --output NAME=PATH  write the output NAME to PATH (repeatable)\n"
    CLI_LIMIT_HELP
    CLI_ENGINE_HELP("auto")
    "\n"
    "Exit status: 0 when the function returned, 1 on a trap or an error.\n";

enum { OPT_HELP = 1, OPT_ARG, OPT_ARGS_JSON, OPT_INPUT, OPT_OUTPUT };

static const cli_opt exec_opts[] = {
    {"help", 'h', false, OPT_HELP},
    {"arg", 0, true, OPT_ARG},
    {"args-json", 0, true, OPT_ARGS_JSON},
    {"input", 0, true, OPT_INPUT},
    {"output", 0, true, OPT_OUTPUT},
    CLI_LIMIT_OPTS,
    CLI_ENGINE_OPTS,
    {NULL, 0, false, 0},
};

typedef struct exec_binding {
  char *name;
  const char *path;
} exec_binding;

typedef struct exec_state {
  const char *payload;
  json_t *args;
  exec_binding *inputs;
  size_t ninputs;
  exec_binding *outputs;
  size_t noutputs;
  clave_limits limits;
  clave_engine_config engine; /* tier: auto unless --engine says */
} exec_state;

static void exec_state_free(exec_state *s) {
  json_decref(s->args);
  for (size_t i = 0; i < s->ninputs; i++) free(s->inputs[i].name);
  for (size_t i = 0; i < s->noutputs; i++) free(s->outputs[i].name);
  free(s->inputs);
  free(s->outputs);
}

static bool exec_bind(exec_binding **list, size_t *n, const char *opt,
                      const char *text) {
  char *key;
  const char *path;
  if (!cli_split_kv(text, &key, &path) || !*path) {
    cli_usage_error("exec", "%s: '%s' is not NAME=PATH", opt, text);
    return false;
  }
  for (size_t i = 0; i < *n; i++) {
    if (strcmp((*list)[i].name, key) == 0) {
      cli_usage_error("exec", "%s: '%s' is bound twice", opt, key);
      free(key);
      return false;
    }
  }
  exec_binding *b = realloc(*list, (*n + 1) * sizeof *b);
  if (!b) {
    free(key);
    cli_error("out of memory");
    return false;
  }
  *list = b;
  b[*n].name = key;
  b[*n].path = path;
  (*n)++;
  return true;
}

/* Parse the command line into s; returns -1 to go on, else an exit status. */
static int exec_parse(int argc, char **argv, exec_state *s) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, exec_opts);
  json_t *from_json = NULL;
  json_t *from_args = json_object();
  int id;
  while ((id = cli_next(&p)) != CLI_END) {
    switch (id) {
      case CLI_BAD:
        json_decref(from_json);
        json_decref(from_args);
        return cli_usage_error("exec", "%s", p.error);
      case CLI_POSITIONAL:
        if (s->payload) {
          json_decref(from_json);
          json_decref(from_args);
          return cli_usage_error("exec", "unexpected argument '%s'", p.arg);
        }
        s->payload = p.arg;
        break;
      case OPT_HELP:
        json_decref(from_json);
        json_decref(from_args);
        fputs(exec_help, stdout);
        return 0;
      case OPT_ARG: {
        char *key;
        const char *value;
        json_t *v = NULL;
        if (!cli_split_kv(p.arg, &key, &value)) {
          json_decref(from_json);
          json_decref(from_args);
          return cli_usage_error("exec", "--arg: '%s' is not KEY=VALUE", p.arg);
        }
        v = json_string(value);
        if (!v || json_object_set_new(from_args, key, v) != 0) {
          int rc = cli_error("--arg %s: the key and value must be UTF-8 text",
                             key);
          free(key);
          json_decref(from_json);
          json_decref(from_args);
          return rc;
        }
        free(key);
        break;
      }
      case OPT_ARGS_JSON: {
        json_error_t jerr;
        json_decref(from_json);
        from_json = json_loads(p.arg, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                               &jerr);
        if (!from_json || !json_is_object(from_json)) {
          json_decref(from_json);
          json_decref(from_args);
          if (!from_json)
            return cli_error("--args-json: invalid JSON at column %d: %s",
                             jerr.column, jerr.text);
          return cli_error("--args-json: arguments must be a JSON object");
        }
        break;
      }
      case OPT_INPUT:
      case OPT_OUTPUT: {
        bool ok = id == OPT_INPUT
                      ? exec_bind(&s->inputs, &s->ninputs, "--input", p.arg)
                      : exec_bind(&s->outputs, &s->noutputs, "--output", p.arg);
        if (!ok) {
          json_decref(from_json);
          json_decref(from_args);
          return 1;
        }
        break;
      }
      default:
        if (id >= CLI_OPT_ENGINE) {
          if (cli_engine_option(&p, id, &s->engine)) break;
          json_decref(from_json);
          json_decref(from_args);
          return cli_usage_error("exec", "%s", p.error);
        }
        if (!cli_limit_option(&p, id, &s->limits)) {
          json_decref(from_json);
          json_decref(from_args);
          return cli_usage_error("exec", "%s", p.error);
        }
    }
  }
  if (!s->payload) {
    json_decref(from_json);
    json_decref(from_args);
    return cli_usage_error("exec", "no payload given");
  }
  s->args = from_json ? from_json : json_object();
  json_object_update(s->args, from_args);
  json_decref(from_args);
  return -1;
}

static void exec_print_log(const clave_exec_result *r, size_t max_log) {
  if (r->log_len) fwrite(r->log, 1, r->log_len, stderr);
  if (r->log_truncated)
    fprintf(stderr, "%s[log truncated at %zu bytes]\n",
            r->log_len && r->log[r->log_len - 1] != '\n' ? "\n" : "", max_log);
}

int clave_cmd_exec(int argc, char **argv) {
  exec_state s;
  memset(&s, 0, sizeof s);
  s.engine.tier = CLAVE_TIER_AUTO;
  int rc = exec_parse(argc, argv, &s);
  if (rc >= 0) {
    exec_state_free(&s);
    return rc;
  }
  char msg[512];
  uint8_t *wasm = NULL;
  size_t wasm_len = 0;
  clave_exec_input *inputs = calloc(s.ninputs + 1, sizeof *inputs);
  uint8_t **input_data = calloc(s.ninputs + 1, sizeof *input_data);
  clave_exec_output *outputs = calloc(s.noutputs + 1, sizeof *outputs);
  char *args_json = NULL;
  clave_engine *engine = NULL;
  clave_program *prog = NULL;
  clave_exec_result result;
  memset(&result, 0, sizeof result);
  rc = 1;
  if (!inputs || !input_data || !outputs) {
    cli_error("out of memory");
    goto done;
  }
  if (!cli_read_file(s.payload, &wasm, &wasm_len, msg, sizeof msg)) {
    cli_error("%s", msg);
    goto done;
  }
  for (size_t i = 0; i < s.ninputs; i++) {
    size_t len;
    if (!cli_read_file(s.inputs[i].path, &input_data[i], &len, msg,
                       sizeof msg)) {
      cli_error("input '%s': %s", s.inputs[i].name, msg);
      goto done;
    }
    inputs[i].name = s.inputs[i].name;
    inputs[i].data = input_data[i];
    inputs[i].len = len;
  }
  for (size_t i = 0; i < s.noutputs; i++) outputs[i].name = s.outputs[i].name;
  args_json = json_dumps(s.args, JSON_COMPACT);
  if (!args_json) {
    cli_error("out of memory");
    goto done;
  }

  clave_error err;
  memset(&err, 0, sizeof err);
  engine = clave_engine_new(&s.engine);
  if (!engine) {
    cli_error("out of memory");
    goto done;
  }
  if (clave_program_load(engine, wasm, wasm_len, &prog, &err) != CLAVE_OK) {
    cli_error("%s: %s", s.payload, err.message);
    goto done;
  }
  clave_exec_request req;
  clave_exec_request_init(&req);
  req.entry = CLAVE_ENTRY_TEACLAVE;
  req.args_json = args_json;
  req.inputs = inputs;
  req.ninputs = s.ninputs;
  req.outputs = outputs;
  req.noutputs = s.noutputs;
  req.limits = s.limits;
  clave_status st = clave_program_run(prog, &req, &result);
  exec_print_log(&result, req.max_log_bytes ? req.max_log_bytes : (1u << 20));
  if (st == CLAVE_ETRAP) {
    /* the truncation note (if any) already ended the log's last line */
    cli_trap(&result.error, result.log,
             result.log_truncated ? 0 : result.log_len);
    goto done;
  }
  if (st != CLAVE_OK) {
    cli_error("%s: %s", s.payload, result.error.message);
    goto done;
  }
  for (size_t i = 0; i < s.noutputs; i++) {
    if (!outputs[i].created) {
      fprintf(stderr, "note: the payload did not create output '%s'; %s not "
                      "written\n",
              outputs[i].name, s.outputs[i].path);
      continue;
    }
    if (!cli_write_file(s.outputs[i].path, outputs[i].data, outputs[i].len,
                        msg, sizeof msg)) {
      cli_error("output '%s': %s", outputs[i].name, msg);
      goto done;
    }
  }
  printf("%d\n", (int)result.return_value);
  rc = fflush(stdout) == 0 ? 0 : 1;

done:
  clave_exec_result_free(&result, outputs, s.noutputs);
  clave_program_free(prog);
  clave_engine_free(engine);
  for (size_t i = 0; input_data && i < s.ninputs; i++) free(input_data[i]);
  free(input_data);
  free(inputs);
  free(outputs);
  free(args_json);
  free(wasm);
  exec_state_free(&s);
  return rc;
}
