/*
 * cc_ops.h - what the operator files (cc_op_*.c) share: their tables and
 * helpers for broadcasting, strided views and kernel names.
 */
#ifndef CC_OPS_H
#define CC_OPS_H

#include "compiler/cc.h"

extern const cc_op cc_ops_elementwise[];
extern const cc_op cc_ops_nn[];
extern const cc_op cc_ops_shape[];
extern const cc_op cc_ops_reduce[];

/* numpy broadcasting of a and b into out dims; error names the node */
clave_status cc_broadcast(cc_ctx *c, cc_node *n, const cc_value *a,
                          const cc_value *b, int *rank, int64_t *dims);
/* Parameters {rank, dims, str(op0), str(op1)...} for operands broadcast
 * into the output dims, with size-1 and contiguous dims merged; returns
 * the parameter count written to p (room: 1 + (1+nops) * CC_MAX_RANK). */
int cc_bcast_params(int orank, const int64_t *odims,
                    const cc_value *const *ops, int nops, int64_t *p);
/* Kernel name base_sfx for dtype into buf; CLAVE_EUNSUPPORTED if the
 * kernel does not exist. */
clave_status cc_kname(cc_ctx *c, cc_node *n, const char *base, int dtype,
                      char *buf, size_t len);
/* Emit a strided copy: dst[doff + i.dstr] = src[soff + i.sstr]. */
clave_status cc_emit_view(cc_ctx *c, cc_node *n, int src, int dst, int rank,
                          const int64_t *dims, const int64_t *sstr,
                          int64_t soff, const int64_t *dstr, int64_t doff);
/* Row-major element strides of dims. */
void cc_strides(int rank, const int64_t *dims, int64_t *str);
/* Normalise an axis (negative counts from the end); error if outside. */
clave_status cc_axis(cc_ctx *c, cc_node *n, int64_t axis, int rank,
                     int *out);
/* Make out an alias of in (Reshape and friends: no copy). */
void cc_alias(cc_ctx *c, cc_node *n, int out_index, int in_index);
/* The shape of a value equals dims? */
bool cc_same_shape(const cc_value *v, int rank, const int64_t *dims);
/* Emit a copy of a whole value. */
clave_status cc_emit_copy(cc_ctx *c, cc_node *n, int src, int dst);

#endif
