/*
 * teaclave_api.c - the Teaclave host file API (module "env").
 *
 * A payload opens the task's inputs and creates its outputs by name (the
 * fid, a NUL terminated string in its linear memory) and reads and writes
 * them through small integer handles.  Inputs are bytes the caller handed
 * in; outputs are collected in memory and handed back after the run.
 *
 * Every misuse answers -1 and never traps or touches anything outside the
 * run: a bad or closed handle, a read on a write handle (and the reverse),
 * a negative size, a buffer or fid that leaves linear memory, a name that
 * is not bound, an output past max_output_bytes.  Handles are never
 * reused within a run, so a stale handle cannot reach another file.
 */
#include <stdlib.h>
#include <string.h>

#include "executor/cx_internal.h"

/* The fid at address ptr: scanned for its NUL inside linear memory and
 * within CX_MAX_FID_LEN bytes.  NULL when it runs off either. */
static const char *cx_fid(clave_caller *caller, uint32_t ptr, size_t *len) {
  size_t size = 0;
  clave_memory *mem = clave_caller_memory(caller);
  if (!mem) return NULL;
  uint8_t *base = clave_memory_data(mem, &size);
  if (ptr >= size) return NULL;
  size_t room = size - ptr;
  if (room > CX_MAX_FID_LEN + 1) room = CX_MAX_FID_LEN + 1;
  const uint8_t *nul = memchr(base + ptr, 0, room);
  if (!nul) return NULL;
  *len = (size_t)(nul - (base + ptr));
  return (const char *)(base + ptr);
}

static int32_t cx_handle_new(cx_run *run, cx_handle_kind kind,
                             uint32_t index) {
  if (run->nhandles >= CX_MAX_HANDLES) return -1;
  if (run->nhandles == run->handles_cap) {
    uint32_t cap = run->handles_cap ? run->handles_cap * 2 : 8;
    cx_handle *h = realloc(run->handles, cap * sizeof *h);
    if (!h) return -1;
    run->handles = h;
    run->handles_cap = cap;
  }
  cx_handle *h = &run->handles[run->nhandles];
  h->kind = (uint8_t)kind;
  h->closed = false;
  h->index = index;
  h->pos = 0;
  return (int32_t)(CX_HANDLE_BASE + run->nhandles++);
}

/* The open handle fd of this kind, or NULL. */
static cx_handle *cx_handle_get(cx_run *run, int32_t fd, cx_handle_kind kind) {
  if (fd < CX_HANDLE_BASE) return NULL;
  uint32_t i = (uint32_t)(fd - CX_HANDLE_BASE);
  if (i >= run->nhandles) return NULL;
  cx_handle *h = &run->handles[i];
  if (h->closed || (kind && h->kind != kind)) return NULL;
  return h;
}

static clave_status cx_open_input(clave_caller *caller,
                                  const clave_value *args,
                                  clave_value *results, void *user) {
  cx_run *run = user;
  const clave_exec_request *req = run->req;
  size_t len = 0;
  const char *fid = cx_fid(caller, (uint32_t)args[0].of.i32, &len);
  results[0] = clave_i32(-1);
  if (!fid) return CLAVE_OK;
  for (size_t i = 0; i < req->ninputs; i++) {
    const char *name = req->inputs[i].name;
    if (strlen(name) == len && memcmp(name, fid, len) == 0) {
      results[0] = clave_i32(cx_handle_new(run, CX_H_READ, (uint32_t)i));
      break;
    }
  }
  return CLAVE_OK;
}

/* An output is created at most once per run: a second create (or a
 * create after close) answers -1 rather than silently dropping what was
 * written. */
static clave_status cx_create_output(clave_caller *caller,
                                     const clave_value *args,
                                     clave_value *results, void *user) {
  cx_run *run = user;
  const clave_exec_request *req = run->req;
  size_t len = 0;
  const char *fid = cx_fid(caller, (uint32_t)args[0].of.i32, &len);
  results[0] = clave_i32(-1);
  if (!fid) return CLAVE_OK;
  for (size_t i = 0; i < req->noutputs; i++) {
    const char *name = req->outputs[i].name;
    if (strlen(name) == len && memcmp(name, fid, len) == 0) {
      if (run->outs[i].created) break;
      int32_t fd = cx_handle_new(run, CX_H_WRITE, (uint32_t)i);
      if (fd >= 0) run->outs[i].created = true;
      results[0] = clave_i32(fd);
      break;
    }
  }
  return CLAVE_OK;
}

static clave_status cx_read_file(clave_caller *caller,
                                 const clave_value *args,
                                 clave_value *results, void *user) {
  cx_run *run = user;
  int32_t size = args[2].of.i32;
  cx_handle *h = cx_handle_get(run, args[0].of.i32, CX_H_READ);
  uint8_t *dst = size < 0 ? NULL
                          : cx_mem_range(caller, (uint32_t)args[1].of.i32,
                                         (uint64_t)size);
  results[0] = clave_i32(-1);
  if (!h || !dst) return CLAVE_OK;
  const clave_exec_input *in = &run->req->inputs[h->index];
  size_t left = in->len - h->pos;
  size_t n = (size_t)size < left ? (size_t)size : left;
  if (n) memcpy(dst, in->data + h->pos, n);
  h->pos += n;
  results[0] = clave_i32((int32_t)n);
  return CLAVE_OK;
}

static clave_status cx_write_file(clave_caller *caller,
                                  const clave_value *args,
                                  clave_value *results, void *user) {
  cx_run *run = user;
  int32_t size = args[2].of.i32;
  cx_handle *h = cx_handle_get(run, args[0].of.i32, CX_H_WRITE);
  const uint8_t *src =
      size < 0 ? NULL
               : cx_mem_range(caller, (uint32_t)args[1].of.i32,
                              (uint64_t)size);
  results[0] = clave_i32(-1);
  if (!h || !src) return CLAVE_OK;
  cx_buf *b = &run->outs[h->index].buf;
  if ((size_t)size > run->max_output ||
      b->len > run->max_output - (size_t)size)
    return CLAVE_OK;
  if (!cx_buf_reserve(b, (size_t)size)) return CLAVE_OK;
  if (size) memcpy(b->data + b->len, src, (size_t)size);
  b->len += (size_t)size;
  results[0] = clave_i32(size);
  return CLAVE_OK;
}

static clave_status cx_close_file(clave_caller *caller,
                                  const clave_value *args,
                                  clave_value *results, void *user) {
  cx_run *run = user;
  cx_handle *h = cx_handle_get(run, args[0].of.i32, 0);
  results[0] = clave_i32(-1);
  if (!h) return CLAVE_OK;
  h->closed = true;
  results[0] = clave_i32(0);
  return CLAVE_OK;
}

const cx_hostdef cx_env_defs[] = {
    {"env", "teaclave_open_input", "i", "i", cx_open_input},
    {"env", "teaclave_create_output", "i", "i", cx_create_output},
    {"env", "teaclave_read_file", "iii", "i", cx_read_file},
    {"env", "teaclave_write_file", "iii", "i", cx_write_file},
    {"env", "teaclave_close_file", "i", "i", cx_close_file},
};
const size_t cx_env_ndefs = sizeof cx_env_defs / sizeof cx_env_defs[0];
