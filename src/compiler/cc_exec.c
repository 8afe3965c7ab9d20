/*
 * cc_exec.c - native execution of kernel calls: constant folding runs the
 * calls of one node; cc_run_native runs a whole planned graph in one arena
 * exactly as the payload lays it out (differential tests, the onnxtest
 * runner's native mode).
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"

#define CK(name) ck_##name,
static const ck_fn cc_kernel_fns[] = {
#include "kernels/ck_list.h"
    NULL};
#undef CK

clave_status cc_exec_calls(const cc_graph *g, int from, int to, void **ptrs,
                           clave_error *err) {
  void *t[64];
  for (int i = from; i < to; i++) {
    const cc_call *call = &g->calls[i];
    if (call->nt > 64)
      return cc_fail(err, CLAVE_EINVALID, "kernel call with %d tensors",
                     call->nt);
    for (int k = 0; k < call->nt; k++)
      t[k] = call->t[k] < 0 ? NULL : ptrs[call->t[k]];
    const char *msg = cc_kernel_fns[call->kernel](call->p, t);
    if (msg) {
      if (call->node >= 0)
        return cc_node_fail(g, g->nodes[call->node], err, CLAVE_EINVALID, "%s",
                            msg);
      return cc_fail(err, CLAVE_EINVALID, "%s: %s", g->source, msg);
    }
  }
  return CLAVE_OK;
}

clave_status cc_run_native(const cc_graph *g, const void *const *inputs,
                           void **outputs, clave_error *err) {
  uint8_t *arena = calloc((size_t)g->arena_size + 64, 1);
  void **ptrs = calloc((size_t)g->nvals + 1, sizeof *ptrs);
  if (!arena || !ptrs) {
    free(arena);
    free(ptrs);
    return cc_fail(err, CLAVE_ENOMEM, "%s: cannot allocate an arena of %lld bytes",
                   g->source, (long long)g->arena_size);
  }
  for (int i = 0; i < g->nvals; i++) {
    int r = cc_root(g, i);
    const cc_value *v = g->vals[r];
    if (v->data)
      ptrs[i] = v->data;
    else if (v->offset >= 0)
      ptrs[i] = arena + v->offset;
  }
  for (int i = 0; i < g->ninputs; i++)
    memcpy(ptrs[g->inputs[i]], inputs[i], cc_nbytes(g->vals[g->inputs[i]]));
  clave_status st = cc_exec_calls(g, 0, g->ncalls, ptrs, err);
  for (int i = 0; i < g->noutputs && st == CLAVE_OK; i++) {
    const cc_value *v = g->vals[g->outputs[i]];
    size_t nb = cc_nbytes(v);
    outputs[i] = malloc(nb + 1);
    if (nb)
      memcpy(outputs[i], ptrs[g->outputs[i]], nb);
  }
  free(arena);
  free(ptrs);
  return st;
}
