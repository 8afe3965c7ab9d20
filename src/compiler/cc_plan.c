/*
 * cc_plan.c - the static memory plan.
 *
 * Every tensor that is not a constant lives in one arena at an offset
 * fixed at compile time.  A tensor is live from the first kernel call that
 * touches it to the last (inputs from the start, outputs to the end);
 * two tensors may share bytes when their live ranges do not meet.
 * Placement is greedy by decreasing size, each tensor at the lowest
 * 64-byte aligned offset that does not overlap a live neighbour already
 * placed, which is simple and close to optimal for the chain-shaped
 * graphs of inference.  Aliases (Reshape) resolve to the tensor that owns
 * the bytes, whose live range covers theirs.
 *
 * Constants used by the calls or returned as outputs are laid out, 64-byte
 * aligned, in the weights blob.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/cc.h"

#define CC_ALIGN 64

static int64_t cc_align(int64_t x) { return (x + CC_ALIGN - 1) & ~(int64_t)(CC_ALIGN - 1); }

typedef struct cc_slot {
  int id;
  int64_t size;
} cc_slot;

static int cc_slot_cmp(const void *a, const void *b) {
  const cc_slot *x = a, *y = b;
  if (x->size != y->size)
    return x->size > y->size ? -1 : 1;
  return x->id - y->id;
}

static void cc_touch(cc_graph *g, int id, int at) {
  cc_value *v = g->vals[cc_root(g, id)];
  if (v->data)
    return;
  if (v->first < 0 || at < v->first)
    v->first = at;
  if (at > v->last)
    v->last = at;
}

clave_status cc_plan(cc_ctx *c) {
  cc_graph *g = c->g;
  for (int i = 0; i < g->nvals; i++) {
    g->vals[i]->first = g->vals[i]->last = -1;
    g->vals[i]->offset = -1;
  }
  for (int i = 0; i < g->ninputs; i++)
    cc_touch(g, g->inputs[i], 0);
  for (int i = 0; i < g->ncalls; i++)
    for (int k = 0; k < g->calls[i].nt; k++)
      if (g->calls[i].t[k] >= 0)
        cc_touch(g, g->calls[i].t[k], i);
  for (int i = 0; i < g->noutputs; i++)
    cc_touch(g, g->outputs[i], g->ncalls);

  /* arena */
  cc_slot *slots = cc_xmalloc((size_t)g->nvals * sizeof *slots);
  int ns = 0;
  for (int i = 0; i < g->nvals; i++) {
    cc_value *v = g->vals[i];
    if (v->first >= 0 && !v->data && v->alias < 0)
      slots[ns++] = (cc_slot){i, cc_align((int64_t)cc_nbytes(v))};
  }
  qsort(slots, (size_t)ns, sizeof *slots, cc_slot_cmp);
  int *placed = cc_xmalloc((size_t)(ns + 1) * sizeof *placed);
  int np = 0;
  int64_t arena = 0;
  for (int s = 0; s < ns; s++) {
    cc_value *v = g->vals[slots[s].id];
    int64_t size = slots[s].size, off = 0;
    /* retry until a pass finds no overlap with a live placed tensor */
    for (bool moved = true; moved;) {
      moved = false;
      for (int k = 0; k < np; k++) {
        cc_value *w = g->vals[placed[k]];
        if (w->last < v->first || v->last < w->first)
          continue; /* lifetimes do not meet */
        int64_t wsize = cc_align((int64_t)cc_nbytes(w));
        if (off < w->offset + wsize && w->offset < off + size && size && wsize) {
          off = w->offset + wsize;
          moved = true;
        }
      }
    }
    v->offset = off;
    placed[np++] = slots[s].id;
    if (off + size > arena)
      arena = off + size;
  }
  free(slots);
  free(placed);
  g->arena_size = arena;

  /* weights: constants the calls or the outputs read */
  int64_t w = 0;
  bool *used = cc_xcalloc((size_t)g->nvals, sizeof *used);
  for (int i = 0; i < g->ncalls; i++)
    for (int k = 0; k < g->calls[i].nt; k++)
      if (g->calls[i].t[k] >= 0)
        used[cc_root(g, g->calls[i].t[k])] = true;
  for (int i = 0; i < g->noutputs; i++)
    used[cc_root(g, g->outputs[i])] = true;
  for (int i = 0; i < g->nvals; i++) {
    cc_value *v = g->vals[i];
    if (!used[i] || !v->data)
      continue;
    v->offset = w;
    w = cc_align(w + (int64_t)cc_nbytes(v));
  }
  free(used);
  g->weights_size = w;
  return CLAVE_OK;
}

uint8_t *cc_weights_blob(const cc_graph *g) {
  uint8_t *blob = cc_xcalloc((size_t)g->weights_size + 1, 1);
  for (int i = 0; i < g->nvals; i++) {
    const cc_value *v = g->vals[i];
    if (v->data && v->offset >= 0 && v->alias < 0 && cc_nbytes(v))
      memcpy(blob + v->offset, v->data, cc_nbytes(v));
  }
  return blob;
}
