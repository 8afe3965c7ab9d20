/*
 * translate.c - validated wasm bytecode -> the interpreter's slot code.
 *
 * Runs once per function, after validation, and trusts what the validator
 * proved.  wasm's operand stack is resolved at translation time: stack
 * position h lives in frame slot nparams + nlocals + h (its "natural"
 * slot), so the interpreter never pushes or pops.  Three tricks remove most
 * of the moves a naive translation would emit:
 *   - local.get and constants are not copied: the stack entry remembers the
 *     local (or the constant) and the consumer reads it directly;
 *   - local.set/tee after an instruction rewrites that instruction's
 *     destination to the local ("dst patching");
 *   - a compare (or eqz) followed by br_if/if becomes one fused
 *     compare-and-branch; integer ops with a constant right operand take it
 *     as an immediate.
 * Invariants at control boundaries: on entry to a block/loop/if no stack
 * entry refers to a local (a later local.set could otherwise change it on
 * one path only), and at every label the label's values are in their
 * natural slots.
 *
 * A v128 takes two consecutive slots wherever it lives.  v128.const is
 * emitted at once (CONST_V128) rather than kept as a constant entry, and
 * each SIMD instruction becomes the one internal op of its row in
 * opcodes_simd.h (tr_simd); dst patching retargets those like any other.
 *
 * Unreachable code (after br, br_table, return, unreachable) is skipped up
 * to the end of its block.  The output is one cl_code per function; its
 * words hold handler values from cl_interp_handlers(), so the same
 * translation works for computed-goto and switch dispatch.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/interp_ops.h"
#include "engine/opcodes_simd.h"
#include "engine/reader.h"
#include "engine/runtime.h"

#define NONE UINT32_MAX

enum { K_TEMP = 0, K_LOCAL = 1, K_CONST = 2 };

typedef struct tr_val {
  uint8_t type;
  uint8_t kind;
  uint32_t slot;  /* the natural slot of this stack position */
  uint32_t local; /* K_LOCAL: slot of the local */
  uint64_t k;     /* K_CONST: the bits */
} tr_val;

/* slots a value of this type takes (v128: two) */
static inline uint32_t tw(uint8_t type) { return type == CL_V128 ? 2 : 1; }

enum { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };

typedef struct tr_ctrl {
  uint8_t kind;
  bool unreachable;
  uint32_t height; /* stack height below the block's params */
  uint32_t slot;   /* natural slot of stack position `height` */
  uint32_t nparams, nresults;
  const uint8_t *params, *results;
  uint8_t single; /* storage for a one-value block type */
  uint32_t loop_pc;    /* C_LOOP: word index of the header */
  uint32_t fixups;     /* chain of target words to patch at end */
  uint32_t else_fixup; /* C_IF: the branch to the else arm */
} tr_ctrl;

typedef struct tr {
  const cl_module *m;
  const int32_t *h; /* handler words */
  clave_error *err;
  uint32_t funcidx;
  uint32_t base; /* slot of stack position 0 */
  uint32_t maxslot; /* one past the highest slot used */
  uint16_t *w; /* code units */
  uint32_t nw, capw;
  tr_val *st;
  uint32_t sp, capst, maxsp;
  tr_ctrl *cs;
  uint32_t csp, capcs;
  uint8_t *ltypes; /* types of params + locals */
  uint32_t *lslot; /* slot of each param and local */
  uint32_t nltypes;
  /* peephole state: valid only right after the instruction that set it */
  uint32_t last_dst; /* unit index of the dst operand of the last instr */
  int last_cmp;      /* index in CL_CMP_OPS of the last compare, or -1 */
  bool last_cmp_imm;
  uint32_t last_cmp_a, last_cmp_b; /* slots (b: imm when last_cmp_imm) */
  uint32_t last_pos;               /* unit index where it starts */
  bool last_eqz;                   /* last instr was i32.eqz */
  bool oom;
} tr;

/* ---- emission ---- */

static void tr_reserve(tr *t, uint32_t n) {
  if (t->nw + n <= t->capw) return;
  uint32_t cap = t->capw ? t->capw * 2 : 512;
  while (cap < t->nw + n) cap *= 2;
  uint16_t *w = realloc(t->w, (size_t)cap * sizeof *w);
  if (!w) {
    t->oom = true;
    return;
  }
  t->w = w;
  t->capw = cap;
}

static void tr_reset_peephole(tr *t) {
  t->last_dst = NONE;
  t->last_cmp = -1;
  t->last_eqz = false;
}

static inline void put32(tr *t, uint32_t at, uint32_t v) {
  if (!t->oom) memcpy(t->w + at, &v, 4);
}
static inline uint32_t get32(const tr *t, uint32_t at) {
  uint32_t v = 0;
  if (!t->oom) memcpy(&v, t->w + at, 4);
  return v;
}

/* Emit an instruction: fmt gives its operands, 's' a slot (one unit),
 * 'i' a 32-bit immediate, index or branch target (two units).  Returns
 * the unit index where it starts (its first operand is at +2). */
static uint32_t tr_emit(tr *t, int iop, const char *fmt, ...) {
  uint32_t n = 2;
  for (const char *f = fmt; *f; f++) n += *f == 's' ? 1 : 2;
  tr_reserve(t, n);
  if (t->oom) return 0;
  tr_reset_peephole(t);
  uint32_t pos = t->nw;
  put32(t, pos, (uint32_t)t->h[iop]);
  uint32_t at = pos + 2;
  va_list ap;
  va_start(ap, fmt);
  for (const char *f = fmt; *f; f++) {
    uint32_t v = va_arg(ap, uint32_t);
    if (*f == 's') {
      t->w[at++] = (uint16_t)v;
    } else {
      put32(t, at, v);
      at += 2;
    }
  }
  va_end(ap);
  t->nw = at;
  t->last_pos = pos;
  return pos;
}

/* ---- the virtual operand stack ---- */

/* The natural slot of stack position pos (<= sp): right after the value
 * below it. */
static inline uint32_t NAT(const tr *t, uint32_t pos) {
  return pos == 0 ? t->base : t->st[pos - 1].slot + tw(t->st[pos - 1].type);
}

static int copy_op(uint8_t type) {
  switch (type) {
    case CL_I32: return IOP_COPY_I32;
    case CL_I64: return IOP_COPY_I64;
    case CL_F32: return IOP_COPY_F32;
    case CL_F64: return IOP_COPY_F64;
    case CL_V128: return IOP_COPY_V128;
    default: return IOP_COPY_REF;
  }
}

static int select_op(uint8_t type) {
  switch (type) {
    case CL_I32: return IOP_SELECT_I32;
    case CL_I64: return IOP_SELECT_I64;
    case CL_F32: return IOP_SELECT_F32;
    case CL_F64: return IOP_SELECT_F64;
    case CL_V128: return IOP_SELECT_V128;
    default: return IOP_SELECT_REF;
  }
}

static void tr_copy(tr *t, uint8_t type, uint32_t dst, uint32_t src) {
  tr_emit(t, copy_op(type), "ss", dst, src);
}

static void tr_push(tr *t, uint8_t type, uint8_t kind, uint32_t local,
                    uint64_t k) {
  if (t->sp == t->capst) {
    uint32_t cap = t->capst ? t->capst * 2 : 64;
    tr_val *s = realloc(t->st, (size_t)cap * sizeof *s);
    if (!s) {
      t->oom = true;
      return;
    }
    t->st = s;
    t->capst = cap;
  }
  uint32_t slot = NAT(t, t->sp);
  tr_val *v = &t->st[t->sp++];
  v->type = type;
  v->kind = kind;
  v->slot = slot;
  v->local = local;
  v->k = k;
  if (t->sp > t->maxsp) t->maxsp = t->sp;
  if (slot + tw(type) > t->maxslot) t->maxslot = slot + tw(type);
}

static void tr_push_temp(tr *t, uint8_t type) { tr_push(t, type, K_TEMP, 0, 0); }

static void tr_const(tr *t, uint8_t type, uint32_t dst, uint64_t k) {
  switch (type) {
    case CL_I32: tr_emit(t, IOP_CONST_I32, "si", dst, (uint32_t)k); break;
    case CL_F32: tr_emit(t, IOP_CONST_F32, "si", dst, (uint32_t)k); break;
    case CL_I64:
      tr_emit(t, IOP_CONST_I64, "sii", dst, (uint32_t)k, (uint32_t)(k >> 32));
      break;
    case CL_F64:
      tr_emit(t, IOP_CONST_F64, "sii", dst, (uint32_t)k, (uint32_t)(k >> 32));
      break;
    default: tr_emit(t, IOP_CONST_REF, "s", dst); break;
  }
}

/* Make stack entry i live in its natural slot. */
static void tr_materialize(tr *t, uint32_t i) {
  tr_val *v = &t->st[i];
  if (v->kind == K_LOCAL) {
    tr_copy(t, v->type, v->slot, v->local);
  } else if (v->kind == K_CONST) {
    tr_const(t, v->type, v->slot, v->k);
  }
  t->st[i].kind = K_TEMP;
}

/* The slot to read stack entry i from (constants get materialized). */
static uint32_t tr_use(tr *t, uint32_t i) {
  tr_val *v = &t->st[i];
  if (v->kind == K_LOCAL) return v->local;
  if (v->kind == K_CONST) tr_materialize(t, i);
  return v->slot;
}

static void tr_materialize_locals(tr *t, uint32_t from) {
  for (uint32_t i = from; i < t->sp; i++)
    if (t->st[i].kind == K_LOCAL) tr_materialize(t, i);
}

/* ---- control ---- */

static tr_ctrl *tr_push_ctrl(tr *t, uint8_t kind, cl_blocktype bt) {
  if (t->csp == t->capcs) {
    uint32_t cap = t->capcs ? t->capcs * 2 : 16;
    tr_ctrl *c = realloc(t->cs, (size_t)cap * sizeof *c);
    if (!c) {
      t->oom = true;
      return NULL;
    }
    t->cs = c;
    t->capcs = cap;
  }
  tr_ctrl *c = &t->cs[t->csp++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->fixups = NONE;
  c->else_fixup = NONE;
  if (bt.kind == 1) {
    c->single = bt.valtype;
    c->nresults = 1;
  } else if (bt.kind == 2) {
    const cl_functype *ft = &t->m->types[bt.typeidx];
    c->nparams = ft->nparams;
    c->nresults = ft->nresults;
    c->params = ft->params;
    c->results = ft->results;
  }
  c->height = t->sp - c->nparams;
  c->slot = NAT(t, c->height);
  return c;
}

static const uint8_t *ctrl_results(const tr_ctrl *c) {
  return c->nresults == 1 && !c->results ? &c->single : c->results;
}

static uint32_t label_arity(const tr_ctrl *c) {
  return c->kind == C_LOOP ? c->nparams : c->nresults;
}

static const uint8_t *label_types(const tr_ctrl *c) {
  return c->kind == C_LOOP ? c->params : ctrl_results(c);
}

/* Does branching to c need moves (values not yet in the label's slots)? */
static bool tr_needs_moves(const tr *t, const tr_ctrl *c) {
  uint32_t n = label_arity(c);
  const uint8_t *ty = label_types(c);
  uint32_t dst = c->slot;
  for (uint32_t i = 0; i < n; i++) {
    const tr_val *v = &t->st[t->sp - n + i];
    if (v->kind != K_TEMP || v->slot != dst) return true;
    dst += tw(ty[i]);
  }
  return false;
}

/* Move the top values into the label's slots (ascending order is safe:
 * each source is at or above its destination). */
static void tr_moves_to(tr *t, uint32_t n, const uint8_t *ty, uint32_t dst) {
  for (uint32_t i = 0; i < n; i++) {
    tr_val *v = &t->st[t->sp - n + i];
    if (v->kind == K_TEMP) {
      if (v->slot != dst) tr_copy(t, ty[i], dst, v->slot);
    } else if (v->kind == K_LOCAL) {
      tr_copy(t, ty[i], dst, v->local);
    } else {
      tr_const(t, ty[i], dst, v->k);
    }
    dst += tw(ty[i]);
  }
}

static void tr_moves(tr *t, const tr_ctrl *c) {
  tr_moves_to(t, label_arity(c), label_types(c), c->slot);
}

/* Target word for a branch to c at word index `at`: loops are known,
 * forward labels are chained and patched at `end`. */
static void tr_target(tr *t, tr_ctrl *c, uint32_t at) {
  if (t->oom) return;
  if (c->kind == C_LOOP) {
    put32(t, at, c->loop_pc);
  } else {
    put32(t, at, c->fixups);
    c->fixups = at;
  }
}

static void tr_patch_chain(tr *t, uint32_t chain, uint32_t target) {
  while (chain != NONE && !t->oom) {
    uint32_t next = get32(t, chain);
    put32(t, chain, target);
    chain = next;
  }
}

/* An unconditional branch (moves included) to label depth d. */
static void tr_return(tr *t);

static void tr_br(tr *t, uint32_t d) {
  tr_ctrl *c = &t->cs[t->csp - 1 - d];
  if (c->kind == C_FUNC) {
    tr_return(t);
    return;
  }
  tr_moves(t, c);
  if (c->kind == C_LOOP) {
    uint32_t p = tr_emit(t, IOP_BR_BACK, "i", 0);
    tr_target(t, c, p + 2);
  } else {
    uint32_t p = tr_emit(t, IOP_BR, "i", 0);
    tr_target(t, c, p + 2);
  }
}

/* The results of the function into slots 0..n-1, then RETURN.  Values
 * held in locals are first copied up, since slots 0.. are the params. */
static void tr_return(tr *t) {
  const cl_functype *ft = cl_func_type(t->m, t->funcidx);
  uint32_t n = ft->nresults;
  for (uint32_t i = t->sp - n; i < t->sp; i++)
    if (t->st[i].kind == K_LOCAL) tr_materialize(t, i);
  tr_moves_to(t, n, ft->results, 0);
  tr_emit(t, IOP_RETURN, "");
}

/* ---- skipping immediates (unreachable code) ---- */

static void tr_skip_memarg(cl_reader *r) {
  cl_read_u32(r);
  cl_read_u32(r);
}

/* Skip the immediates of opcode op (already read). */
static void tr_skip_imm(cl_reader *r, uint8_t op) {
  switch (op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF:
      cl_read_blocktype(r);
      break;
    case OP_BR: case OP_BR_IF: case OP_CALL: case OP_LOCAL_GET:
    case OP_LOCAL_SET: case OP_LOCAL_TEE: case OP_GLOBAL_GET:
    case OP_GLOBAL_SET: case OP_TABLE_GET: case OP_TABLE_SET:
    case OP_REF_FUNC:
      cl_read_u32(r);
      break;
    case OP_BR_TABLE: {
      uint32_t n = cl_read_u32(r);
      for (uint32_t i = 0; i <= n && cl_reader_ok(r); i++) cl_read_u32(r);
      break;
    }
    case OP_CALL_INDIRECT:
      cl_read_u32(r);
      cl_read_u32(r);
      break;
    case OP_SELECT_T: {
      uint32_t n = cl_read_u32(r);
      for (uint32_t i = 0; i < n && cl_reader_ok(r); i++) cl_read_u8(r);
      break;
    }
    case OP_MEMORY_SIZE: case OP_MEMORY_GROW: case OP_REF_NULL:
      cl_read_u8(r);
      break;
    case OP_I32_CONST: cl_read_s32(r); break;
    case OP_I64_CONST: cl_read_s64(r); break;
    case OP_F32_CONST: cl_read_fixed32(r); break;
    case OP_F64_CONST: cl_read_fixed64(r); break;
    case OP_PREFIX_FD: {
      const cl_simd_info *si = cl_simd_op(cl_read_u32(r));
      if (si) cl_simd_skip_imm(r, si->shape);
      break;
    }
    case OP_PREFIX_FC: {
      uint32_t sub = cl_read_u32(r);
      switch (sub) {
        case OPFC_MEMORY_INIT: cl_read_u32(r); cl_read_u8(r); break;
        case OPFC_DATA_DROP: case OPFC_ELEM_DROP: case OPFC_TABLE_GROW:
        case OPFC_TABLE_SIZE: case OPFC_TABLE_FILL:
          cl_read_u32(r);
          break;
        case OPFC_MEMORY_COPY: cl_read_u8(r); cl_read_u8(r); break;
        case OPFC_MEMORY_FILL: cl_read_u8(r); break;
        case OPFC_TABLE_INIT: case OPFC_TABLE_COPY:
          cl_read_u32(r);
          cl_read_u32(r);
          break;
        default: break;
      }
      break;
    }
    default:
      if (op >= 0x28 && op <= 0x3E) tr_skip_memarg(r);
      break;
  }
}

/* ---- numeric ops ---- */

static int iop_of_unary(uint8_t op) {
  switch (op) {
#define X(NAME, code, text, in, out) case code: return IOP_##NAME;
    CL_UNARY_OPS(X)
#undef X
  }
  return -1;
}

static int iop_of_binary(uint8_t op) {
  switch (op) {
#define X(NAME, code, text, in, out) case code: return IOP_##NAME;
    CL_BINARY_OPS(X)
#undef X
  }
  return -1;
}

static int iop_imm_of(int iop) {
  switch (iop) {
#define X(NAME) case IOP_##NAME: return IOP_##NAME##_I;
    CL_IMM_OPS(X)
#undef X
  }
  return -1;
}

/* index of a compare in CL_CMP_OPS, or -1 */
static int cmp_index(int iop) {
  int i = 0;
#define X(NAME, type, op) \
  if (iop == IOP_##NAME) return i; \
  i++;
  CL_CMP_OPS(X)
#undef X
  (void)i;
  return -1;
}

static const int cmp_br_if[] = {
#define X(NAME, type, op) IOP_BR_IF_##NAME,
    CL_CMP_OPS(X)
#undef X
};
static const int cmp_br_if_i[] = {
#define X(NAME, type, op) IOP_BR_IF_##NAME##_I,
    CL_CMP_OPS(X)
#undef X
};
static const int cmp_br_if_back[] = {
#define X(NAME, type, op) IOP_BR_IF_##NAME##_BACK,
    CL_CMP_OPS(X)
#undef X
};
static const int cmp_br_if_i_back[] = {
#define X(NAME, type, op) IOP_BR_IF_##NAME##_I_BACK,
    CL_CMP_OPS(X)
#undef X
};
static const int cmp_br_unless[] = {
#define X(NAME, type, op) IOP_BR_UNLESS_##NAME,
    CL_CMP_OPS(X)
#undef X
};
static const int cmp_br_unless_i[] = {
#define X(NAME, type, op) IOP_BR_UNLESS_##NAME##_I,
    CL_CMP_OPS(X)
#undef X
};

static bool is_commutative(int iop) {
  switch (iop) {
    case IOP_I32_ADD: case IOP_I32_MUL: case IOP_I32_AND: case IOP_I32_OR:
    case IOP_I32_XOR: case IOP_I32_EQ: case IOP_I32_NE:
    case IOP_I64_ADD: case IOP_I64_MUL: case IOP_I64_AND: case IOP_I64_OR:
    case IOP_I64_XOR: case IOP_I64_EQ: case IOP_I64_NE:
      return true;
  }
  return false;
}

static uint8_t result_type_of(uint8_t op) {
  switch (op) {
#define X(NAME, code, text, in, out) case code: return CL_##out;
    CL_UNARY_OPS(X)
    CL_BINARY_OPS(X)
#undef X
  }
  return CL_I32;
}

static void tr_unary(tr *t, int iop, uint8_t rtype) {
  uint32_t i = t->sp - 1;
  uint32_t a = tr_use(t, i);
  t->sp--;
  uint32_t p = tr_emit(t, iop, "ss", NAT(t, i), a);
  if (t->oom) return;
  tr_push_temp(t, rtype);
  (void)i;
  t->last_dst = p + 2;
  if (iop == IOP_I32_EQZ) {
    t->last_eqz = true;
    t->last_cmp_a = a;
  }
}

static bool fits_imm(int iop, uint64_t k) {
  /* i32 ops: any 32 bits; i64 ops: the value must sign-extend from 32 */
  if (iop >= IOP_I64_EQ && iop <= IOP_I64_ROTR) {
    int64_t s = (int64_t)k;
    return s >= INT32_MIN && s <= INT32_MAX;
  }
  return true;
}

static void tr_binary(tr *t, uint8_t op) {
  int iop = iop_of_binary(op);
  uint32_t ia = t->sp - 2, ib = t->sp - 1;
  tr_val *A = &t->st[ia], *B = &t->st[ib];
  int imm = iop_imm_of(iop);
  uint32_t dst = NAT(t, ia);
  int cmp = cmp_index(iop);
  /* a constant right operand becomes an immediate; a constant left
   * operand too when the op commutes */
  int imm_from = -1;
  if (imm >= 0 && B->kind == K_CONST && fits_imm(iop, B->k))
    imm_from = (int)ib;
  else if (imm >= 0 && A->kind == K_CONST && B->kind != K_CONST &&
           is_commutative(iop) && fits_imm(iop, A->k))
    imm_from = (int)ia;
  if (imm_from >= 0) {
    uint32_t other = imm_from == (int)ib ? ia : ib;
    uint64_t k = t->st[imm_from].k;
    uint32_t a = tr_use(t, other);
    t->sp -= 2;
    uint32_t p = tr_emit(t, imm, "ssi", dst, a, (uint32_t)k);
    if (t->oom) return;
    tr_push_temp(t, result_type_of(op));
    t->last_dst = p + 2;
    if (cmp >= 0) {
      t->last_cmp = cmp;
      t->last_cmp_imm = true;
      t->last_cmp_a = a;
      t->last_cmp_b = (uint32_t)k;
    }
    return;
  }
  uint32_t a = tr_use(t, ia);
  uint32_t b = tr_use(t, ib);
  t->sp -= 2;
  uint32_t p = tr_emit(t, iop, "sss", dst, a, b);
  if (t->oom) return;
  tr_push_temp(t, result_type_of(op));
  t->last_dst = p + 2;
  if (cmp >= 0) {
    t->last_cmp = cmp;
    t->last_cmp_imm = false;
    t->last_cmp_a = a;
    t->last_cmp_b = b;
  }
}

/* local.set / local.tee of local slot x */
static void tr_set_local(tr *t, uint32_t x, bool tee) {
  uint32_t top = t->sp - 1;
  tr_val v = t->st[top];
  if (v.kind == K_LOCAL && v.local == x) {
    /* local.get x; local.set x: nothing to do */
    if (!tee) t->sp--;
    return;
  }
  /* entries below that still read x must be copied out first */
  bool others = false;
  for (uint32_t i = 0; i < top; i++)
    if (t->st[i].kind == K_LOCAL && t->st[i].local == x) others = true;
  uint32_t last_dst = t->last_dst;
  if (others) {
    for (uint32_t i = 0; i < top; i++)
      if (t->st[i].kind == K_LOCAL && t->st[i].local == x)
        tr_materialize(t, i);
    last_dst = NONE;
  }
  if (v.kind == K_TEMP && last_dst != NONE && !t->oom &&
      t->w[last_dst] == NAT(t, top)) {
    t->w[last_dst] = (uint16_t)x; /* retarget the producer */
    tr_reset_peephole(t);
  } else if (v.kind == K_CONST) {
    tr_const(t, v.type, x, v.k);
  } else {
    tr_copy(t, v.type, x, v.kind == K_LOCAL ? v.local : v.slot);
  }
  t->sp--;
  if (tee) tr_push(t, v.type, K_LOCAL, x, 0);
}

/* Conditional branch to label depth d on the top of stack.  Fuses a
 * preceding compare or eqz. */
static void tr_br_if(tr *t, uint32_t d) {
  tr_ctrl *c = &t->cs[t->csp - 1 - d];
  uint32_t ci = t->sp - 1;
  int cmp = -1;
  bool cimm = false, eqz = false;
  uint32_t ca = 0, cb = 0;
  bool fuse = t->st[ci].kind == K_TEMP && t->last_dst != NONE &&
              !t->oom && t->w[t->last_dst] == NAT(t, ci);
  if (fuse && t->last_cmp >= 0) {
    cmp = t->last_cmp;
    cimm = t->last_cmp_imm;
    ca = t->last_cmp_a;
    cb = t->last_cmp_b;
    t->nw = t->last_pos; /* drop the compare */
  } else if (fuse && t->last_eqz) {
    eqz = true;
    ca = t->last_cmp_a;
    t->nw = t->last_pos;
  } else {
    ca = tr_use(t, ci);
  }
  t->sp--;
  tr_reset_peephole(t);
  bool back = c->kind == C_LOOP;
  bool moves = tr_needs_moves(t, c) || c->kind == C_FUNC;
  if (!moves) {
    if (cmp >= 0) {
      int iop = back ? (cimm ? cmp_br_if_i_back[cmp] : cmp_br_if_back[cmp])
                     : (cimm ? cmp_br_if_i[cmp] : cmp_br_if[cmp]);
      uint32_t p = tr_emit(t, iop, cimm ? "sii" : "ssi", ca, cb, 0);
      tr_target(t, c, p + (cimm ? 5 : 4));
    } else if (eqz && back) {
      /* no fused "branch back if zero": skip over a branch back */
      uint32_t p = tr_emit(t, IOP_BR_IF, "si", ca, 0);
      uint32_t q = tr_emit(t, IOP_BR_BACK, "i", 0);
      tr_target(t, c, q + 2);
      put32(t, p + 3, t->nw);
    } else {
      int iop = eqz ? IOP_BR_UNLESS : back ? IOP_BR_IF_BACK : IOP_BR_IF;
      uint32_t p = tr_emit(t, iop, "si", ca, 0);
      tr_target(t, c, p + 3);
    }
    return;
  }
  /* branch over the moves when the condition is false */
  uint32_t skip;
  if (cmp >= 0) {
    uint32_t p = tr_emit(t, cimm ? cmp_br_unless_i[cmp] : cmp_br_unless[cmp],
                         cimm ? "sii" : "ssi", ca, cb, 0);
    skip = p + (cimm ? 5 : 4);
  } else {
    uint32_t p = tr_emit(t, eqz ? IOP_BR_IF : IOP_BR_UNLESS, "si", ca, 0);
    skip = p + 3;
  }
  tr_br(t, d);
  put32(t, skip, t->nw);
  tr_reset_peephole(t);
}

/* ---- SIMD ---- */

/* The internal op of each SIMD sub-opcode (v128.const: CONST_V128). */
#define TR_SIMD_IOP_CONST(NAME) IOP_CONST_V128
#define TR_SIMD_IOP_OTHER(NAME) IOP_##NAME
#define TR_SIMD_IOP_LOAD TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_STORE TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_LOAD_LANE TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_STORE_LANE TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_SHUFFLE TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_SPLAT TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_EXTRACT TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_REPLACE TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_UNARY TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_BINARY TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_TERNARY TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_TEST TR_SIMD_IOP_OTHER
#define TR_SIMD_IOP_SHIFT TR_SIMD_IOP_OTHER
static const uint16_t tr_simd_iops[OPFD_COUNT] = {
#define X(NAME, sub, text, SHAPE, T, N) [sub] = TR_SIMD_IOP_##SHAPE(NAME),
    CL_SIMD_OPS(X)
#undef X
};

/* Pop n operands (the slots to read them from into in[]) and give the
 * natural slot of the first one, where the result goes. */
static uint32_t tr_pop_n(tr *t, uint32_t n, uint32_t *in) {
  uint32_t first = t->sp - n;
  for (uint32_t i = 0; i < n; i++) in[i] = tr_use(t, first + i);
  t->sp = first;
  return NAT(t, first);
}

/* One 0xFD instruction (its sub-opcode comes next in r).  v128 values are
 * never kept as K_CONST entries: v128.const is emitted at once, which dst
 * patching can still retarget to a local. */
static void tr_simd(tr *t, cl_reader *r) {
  uint32_t sub = cl_read_u32(r);
  const cl_simd_info *si = cl_simd_op(sub);
  if (!si) return; /* the validator refused it; the reader error says */
  int iop = tr_simd_iops[sub];
  uint32_t in[3], dst, off = 0, lane = 0, p = 0;
  uint8_t rtype = CL_V128;
  if (si->shape == CL_SIMD_LOAD || si->shape == CL_SIMD_STORE ||
      si->shape == CL_SIMD_LOAD_LANE || si->shape == CL_SIMD_STORE_LANE) {
    cl_read_u32(r); /* alignment: a hint */
    off = cl_read_u32(r);
  }
  if (si->shape == CL_SIMD_LOAD_LANE || si->shape == CL_SIMD_STORE_LANE ||
      si->shape == CL_SIMD_EXTRACT || si->shape == CL_SIMD_REPLACE)
    lane = cl_read_u8(r);
  switch (si->shape) {
    case CL_SIMD_LOAD:
      dst = tr_pop_n(t, 1, in);
      p = tr_emit(t, iop, "ssi", dst, in[0], off);
      break;
    case CL_SIMD_STORE:
      tr_pop_n(t, 2, in);
      tr_emit(t, iop, "ssi", in[0], in[1], off);
      return;
    case CL_SIMD_LOAD_LANE:
      dst = tr_pop_n(t, 2, in);
      p = tr_emit(t, iop, "sssii", dst, in[0], in[1], off, lane);
      break;
    case CL_SIMD_STORE_LANE:
      tr_pop_n(t, 2, in);
      tr_emit(t, iop, "ssii", in[0], in[1], off, lane);
      return;
    case CL_SIMD_CONST:
    case CL_SIMD_SHUFFLE: {
      uint32_t w[4];
      for (int i = 0; i < 4; i++) w[i] = cl_read_fixed32(r);
      if (si->shape == CL_SIMD_CONST) {
        dst = NAT(t, t->sp);
        p = tr_emit(t, iop, "siiii", dst, w[0], w[1], w[2], w[3]);
      } else {
        dst = tr_pop_n(t, 2, in);
        p = tr_emit(t, iop, "sssiiii", dst, in[0], in[1], w[0], w[1], w[2],
                    w[3]);
      }
      break;
    }
    case CL_SIMD_EXTRACT:
      rtype = si->type;
      dst = tr_pop_n(t, 1, in);
      p = tr_emit(t, iop, "ssi", dst, in[0], lane);
      break;
    case CL_SIMD_REPLACE:
      dst = tr_pop_n(t, 2, in);
      p = tr_emit(t, iop, "sssi", dst, in[0], in[1], lane);
      break;
    case CL_SIMD_TEST:
      rtype = CL_I32;
      /* fall through */
    case CL_SIMD_SPLAT:
    case CL_SIMD_UNARY:
      dst = tr_pop_n(t, 1, in);
      p = tr_emit(t, iop, "ss", dst, in[0]);
      break;
    case CL_SIMD_BINARY:
    case CL_SIMD_SHIFT:
      dst = tr_pop_n(t, 2, in);
      p = tr_emit(t, iop, "sss", dst, in[0], in[1]);
      break;
    case CL_SIMD_TERNARY:
      dst = tr_pop_n(t, 3, in);
      p = tr_emit(t, iop, "ssss", dst, in[0], in[1], in[2]);
      break;
    default:
      return;
  }
  if (t->oom) return;
  tr_push_temp(t, rtype);
  t->last_dst = p + 2;
}

/* ---- the main loop ---- */

static clave_status tr_function(tr *t, uint32_t defidx, cl_code *out) {
  const cl_module *m = t->m;
  const cl_func *f = &m->funcs[defidx];
  uint32_t funcidx = m->nfunc_imports + defidx;
  const cl_functype *ft = cl_func_type(m, funcidx);
  t->funcidx = funcidx;
  t->nw = 0;
  t->sp = 0;
  t->maxsp = 0;
  t->csp = 0;
  tr_reset_peephole(t);
  uint64_t nl = (uint64_t)ft->nparams + f->nlocals;
  if (t->nltypes < nl) {
    uint8_t *lt = realloc(t->ltypes, nl ? nl : 1);
    if (!lt) return CLAVE_ENOMEM;
    t->ltypes = lt;
    uint32_t *ls = realloc(t->lslot, (nl ? nl : 1) * sizeof *ls);
    if (!ls) return CLAVE_ENOMEM;
    t->lslot = ls;
    t->nltypes = (uint32_t)nl;
  }
  if (ft->nparams) memcpy(t->ltypes, ft->params, ft->nparams);
  if (f->nlocals) memcpy(t->ltypes + ft->nparams, f->local_types, f->nlocals);
  uint64_t slots = 0, param_slots = 0;
  for (uint64_t i = 0; i < nl; i++) {
    if (i == ft->nparams) param_slots = slots;
    t->lslot[i] = (uint32_t)slots;
    slots += tw(t->ltypes[i]);
  }
  if (nl == ft->nparams) param_slots = slots;
  uint64_t result_slots = 0;
  for (uint32_t i = 0; i < ft->nresults; i++) result_slots += tw(ft->results[i]);
  if (slots > CL_MAX_FRAME_SLOTS) {
    cl_error_set(t->err, CLAVE_ELIMIT,
                 "function %u has %llu slots of locals; the limit is %u",
                 funcidx, (unsigned long long)slots, CL_MAX_FRAME_SLOTS);
    return CLAVE_ELIMIT;
  }
  t->base = (uint32_t)slots;
  t->maxslot = t->base > result_slots ? t->base : (uint32_t)result_slots;

  cl_blocktype fbt = {0, 0, 0};
  tr_ctrl *fc = tr_push_ctrl(t, C_FUNC, fbt);
  if (!fc) return CLAVE_ENOMEM;
  fc->nresults = ft->nresults;
  fc->results = ft->results;
  fc->height = 0;

  cl_reader r;
  cl_reader_init(&r, m->bytes, f->code, f->end);
  uint32_t skip_depth = 0;

  while (t->csp > 0 && cl_reader_ok(&r) && !t->oom) {
    uint8_t op = cl_read_u8(&r);
    tr_ctrl *cur = &t->cs[t->csp - 1];

    if (cur->unreachable) {
      if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
        skip_depth++;
        cl_read_blocktype(&r);
        continue;
      }
      if (op == OP_END && skip_depth > 0) {
        skip_depth--;
        continue;
      }
      if (op == OP_ELSE && skip_depth > 0) continue;
      if (op != OP_END && op != OP_ELSE) {
        tr_skip_imm(&r, op);
        continue;
      }
      /* else/end of the current block: handled below */
    }

    switch (op) {
      case OP_UNREACHABLE:
        tr_emit(t, IOP_UNREACHABLE, "");
        cur->unreachable = true;
        break;
      case OP_NOP:
        break;
      case OP_BLOCK:
      case OP_LOOP: {
        cl_blocktype bt = cl_read_blocktype(&r);
        tr_materialize_locals(t, 0);
        tr_ctrl *c = tr_push_ctrl(t, op == OP_BLOCK ? C_BLOCK : C_LOOP, bt);
        if (!c) break;
        for (uint32_t i = c->height; i < t->sp; i++) tr_materialize(t, i);
        c->loop_pc = t->nw;
        tr_reset_peephole(t);
        break;
      }
      case OP_IF: {
        cl_blocktype bt = cl_read_blocktype(&r);
        /* condition first (it is on top, above the params) */
        uint32_t ci = t->sp - 1;
        int cmp = -1;
        bool cimm = false, eqz = false;
        uint32_t ca = 0, cb = 0;
        bool fuse = t->st[ci].kind == K_TEMP && t->last_dst != NONE &&
                    !t->oom && t->w[t->last_dst] == NAT(t, ci);
        if (fuse && t->last_cmp >= 0) {
          cmp = t->last_cmp, cimm = t->last_cmp_imm;
          ca = t->last_cmp_a, cb = t->last_cmp_b;
          t->nw = t->last_pos;
        } else if (fuse && t->last_eqz) {
          eqz = true, ca = t->last_cmp_a;
          t->nw = t->last_pos;
        } else {
          ca = tr_use(t, ci);
        }
        t->sp--;
        tr_reset_peephole(t);
        /* the copies below write only slots of entries still on the
         * stack, never the (popped) compare operands */
        tr_materialize_locals(t, 0);
        tr_ctrl *c = tr_push_ctrl(t, C_IF, bt);
        if (!c) break;
        for (uint32_t i = c->height; i < t->sp; i++) tr_materialize(t, i);
        if (cmp >= 0) {
          uint32_t p =
              tr_emit(t, cimm ? cmp_br_unless_i[cmp] : cmp_br_unless[cmp],
                      cimm ? "sii" : "ssi", ca, cb, NONE);
          c->else_fixup = p + (cimm ? 5 : 4);
        } else {
          uint32_t p = tr_emit(t, eqz ? IOP_BR_IF : IOP_BR_UNLESS, "si", ca,
                               NONE);
          c->else_fixup = p + 3;
        }
        tr_reset_peephole(t);
        break;
      }
      case OP_ELSE: {
        tr_ctrl *c = cur;
        if (!c->unreachable) {
          tr_moves(t, c);
          uint32_t p = tr_emit(t, IOP_BR, "i", 0);
          tr_target(t, c, p + 2);
        }
        tr_patch_chain(t, c->else_fixup, t->nw);
        c->else_fixup = NONE;
        c->kind = C_ELSE;
        c->unreachable = false;
        skip_depth = 0;
        t->sp = c->height;
        for (uint32_t i = 0; i < c->nparams; i++)
          tr_push_temp(t, c->params[i]);
        tr_reset_peephole(t);
        break;
      }
      case OP_END: {
        tr_ctrl *c = cur;
        skip_depth = 0;
        if (c->kind == C_FUNC) {
          if (!c->unreachable) tr_return(t);
          t->csp--;
          break;
        }
        if (!c->unreachable) /* the fall-through path's results */
          tr_moves_to(t, c->nresults, ctrl_results(c), c->slot);
        if (c->kind == C_IF) tr_patch_chain(t, c->else_fixup, t->nw);
        if (c->kind != C_LOOP) tr_patch_chain(t, c->fixups, t->nw);
        t->sp = c->height;
        const uint8_t *res = ctrl_results(c);
        uint32_t n = c->nresults;
        uint8_t one = n == 1 ? res[0] : 0;
        t->csp--;
        for (uint32_t i = 0; i < n; i++)
          tr_push_temp(t, n == 1 ? one : res[i]);
        tr_reset_peephole(t);
        break;
      }
      case OP_BR: {
        uint32_t d = cl_read_u32(&r);
        tr_br(t, d);
        cur = &t->cs[t->csp - 1];
        cur->unreachable = true;
        break;
      }
      case OP_BR_IF: {
        uint32_t d = cl_read_u32(&r);
        tr_br_if(t, d);
        break;
      }
      case OP_BR_TABLE: {
        uint32_t n = cl_read_u32(&r);
        uint32_t *labels = malloc(((size_t)n + 1) * sizeof *labels);
        if (!labels) {
          t->oom = true;
          break;
        }
        for (uint32_t i = 0; i <= n; i++) labels[i] = cl_read_u32(&r);
        uint32_t idx = tr_use(t, t->sp - 1);
        t->sp--;
        uint32_t p = tr_emit(t, IOP_BR_TABLE, "si", idx, n);
        tr_reserve(t, 2 * (n + 1));
        if (t->oom) {
          free(labels);
          break;
        }
        t->nw += 2 * (n + 1);
        for (uint32_t i = 0; i <= n; i++) {
          tr_ctrl *c = &t->cs[t->csp - 1 - labels[i]];
          uint32_t at = p + 5 + 2 * i;
          if (c->kind == C_BLOCK || c->kind == C_IF || c->kind == C_ELSE) {
            if (!tr_needs_moves(t, c)) {
              tr_target(t, c, at);
              continue;
            }
          }
          /* a stub: moves (if any), then the branch or return */
          put32(t, at, t->nw);
          tr_br(t, labels[i]);
        }
        free(labels);
        cur = &t->cs[t->csp - 1];
        cur->unreachable = true;
        break;
      }
      case OP_RETURN:
        tr_return(t);
        cur->unreachable = true;
        break;
      case OP_CALL: {
        uint32_t fi = cl_read_u32(&r);
        const cl_functype *ct = cl_func_type(m, fi);
        uint32_t first = t->sp - ct->nparams;
        for (uint32_t i = first; i < t->sp; i++) tr_materialize(t, i);
        if (fi >= m->nfunc_imports)
          tr_emit(t, IOP_CALL_INTERNAL, "is", fi - m->nfunc_imports,
                  NAT(t, first));
        else
          tr_emit(t, IOP_CALL, "is", fi, NAT(t, first));
        t->sp = first;
        for (uint32_t i = 0; i < ct->nresults; i++)
          tr_push_temp(t, ct->results[i]);
        break;
      }
      case OP_CALL_INDIRECT: {
        uint32_t ti = cl_read_u32(&r);
        uint32_t table = cl_read_u32(&r);
        const cl_functype *ct = &m->types[ti];
        uint32_t elem = tr_use(t, t->sp - 1);
        t->sp--;
        uint32_t first = t->sp - ct->nparams;
        for (uint32_t i = first; i < t->sp; i++) tr_materialize(t, i);
        /* elem may lie in the callee's frame: the handler reads it
         * before it sets the frame up */
        tr_emit(t, IOP_CALL_INDIRECT, "iiss", ti, table, NAT(t, first), elem);
        t->sp = first;
        for (uint32_t i = 0; i < ct->nresults; i++)
          tr_push_temp(t, ct->results[i]);
        break;
      }
      case OP_DROP:
        t->sp--;
        break;
      case OP_SELECT:
      case OP_SELECT_T: {
        if (op == OP_SELECT_T) {
          uint32_t n = cl_read_u32(&r);
          for (uint32_t i = 0; i < n; i++) cl_read_u8(&r);
        }
        uint32_t ia = t->sp - 3;
        uint8_t type = t->st[ia].type;
        uint32_t a = tr_use(t, ia);
        uint32_t b = tr_use(t, ia + 1);
        uint32_t cnd = tr_use(t, ia + 2);
        t->sp = ia;
        uint32_t p =
            tr_emit(t, select_op(type), "ssss", NAT(t, ia), a, b, cnd);
        tr_push_temp(t, type);
        t->last_dst = p + 2;
        break;
      }
      case OP_LOCAL_GET: {
        uint32_t x = cl_read_u32(&r);
        tr_push(t, t->ltypes[x], K_LOCAL, t->lslot[x], 0);
        break;
      }
      case OP_LOCAL_SET:
      case OP_LOCAL_TEE: {
        uint32_t x = cl_read_u32(&r);
        tr_set_local(t, t->lslot[x], op == OP_LOCAL_TEE);
        break;
      }
      case OP_GLOBAL_GET: {
        uint32_t g = cl_read_u32(&r);
        uint8_t gt = m->globals[g].type.type;
        uint32_t p =
            tr_emit(t, gt == CL_V128 ? IOP_GLOBAL_GET_V128 : IOP_GLOBAL_GET,
                    "si", NAT(t, t->sp), g);
        tr_push_temp(t, gt);
        t->last_dst = p + 2;
        break;
      }
      case OP_GLOBAL_SET: {
        uint32_t g = cl_read_u32(&r);
        uint32_t s = tr_use(t, t->sp - 1);
        t->sp--;
        tr_emit(t,
                m->globals[g].type.type == CL_V128 ? IOP_GLOBAL_SET_V128
                                                   : IOP_GLOBAL_SET,
                "is", g, s);
        break;
      }
      case OP_TABLE_GET: {
        uint32_t tb = cl_read_u32(&r);
        uint32_t i = t->sp - 1;
        uint32_t s = tr_use(t, i);
        t->sp--;
        tr_emit(t, IOP_TABLE_GET, "sis", NAT(t, i), tb, s);
        tr_push_temp(t, m->tables[tb].elem);
        t->last_dst = t->last_pos + 2;
        break;
      }
      case OP_TABLE_SET: {
        uint32_t tb = cl_read_u32(&r);
        uint32_t i = tr_use(t, t->sp - 2);
        uint32_t v = tr_use(t, t->sp - 1);
        t->sp -= 2;
        tr_emit(t, IOP_TABLE_SET, "iss", tb, i, v);
        break;
      }
      case OP_MEMORY_SIZE:
        cl_read_u8(&r);
        tr_emit(t, IOP_MEMORY_SIZE, "s", NAT(t, t->sp));
        tr_push_temp(t, CL_I32);
        t->last_dst = t->last_pos + 2;
        break;
      case OP_MEMORY_GROW: {
        cl_read_u8(&r);
        uint32_t i = t->sp - 1;
        uint32_t s = tr_use(t, i);
        t->sp--;
        tr_emit(t, IOP_MEMORY_GROW, "ss", NAT(t, i), s);
        tr_push_temp(t, CL_I32);
        t->last_dst = t->last_pos + 2;
        break;
      }
      case OP_I32_CONST:
        tr_push(t, CL_I32, K_CONST, 0, (uint32_t)cl_read_s32(&r));
        break;
      case OP_I64_CONST:
        tr_push(t, CL_I64, K_CONST, 0, (uint64_t)cl_read_s64(&r));
        break;
      case OP_F32_CONST:
        tr_push(t, CL_F32, K_CONST, 0, cl_read_fixed32(&r));
        break;
      case OP_F64_CONST:
        tr_push(t, CL_F64, K_CONST, 0, cl_read_fixed64(&r));
        break;
      case OP_REF_NULL: {
        uint8_t rt = cl_read_u8(&r);
        tr_push(t, rt, K_CONST, 0, 0);
        break;
      }
      case OP_REF_IS_NULL: {
        uint32_t i = t->sp - 1;
        uint32_t s = tr_use(t, i);
        t->sp--;
        tr_emit(t, IOP_REF_IS_NULL, "ss", NAT(t, i), s);
        tr_push_temp(t, CL_I32);
        t->last_dst = t->last_pos + 2;
        break;
      }
      case OP_REF_FUNC: {
        uint32_t fi = cl_read_u32(&r);
        tr_emit(t, IOP_REF_FUNC, "si", NAT(t, t->sp), fi);
        tr_push_temp(t, CL_FUNCREF);
        t->last_dst = t->last_pos + 2;
        break;
      }
      case OP_PREFIX_FD:
        tr_simd(t, &r);
        break;
      case OP_PREFIX_FC: {
        uint32_t sub = cl_read_u32(&r);
        switch (sub) {
#define X(NAME, code, text, in, out)  \
  case code:                          \
    tr_unary(t, IOP_##NAME, CL_##out); \
    break;
          CL_SAT_OPS(X)
#undef X
          case OPFC_MEMORY_INIT: {
            uint32_t seg = cl_read_u32(&r);
            cl_read_u8(&r);
            uint32_t b = t->sp - 3;
            uint32_t d = tr_use(t, b), s = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_MEMORY_INIT, "isss", seg, d, s, n);
            break;
          }
          case OPFC_DATA_DROP:
            tr_emit(t, IOP_DATA_DROP, "i", cl_read_u32(&r));
            break;
          case OPFC_MEMORY_COPY: {
            cl_read_u8(&r);
            cl_read_u8(&r);
            uint32_t b = t->sp - 3;
            uint32_t d = tr_use(t, b), s = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_MEMORY_COPY, "sss", d, s, n);
            break;
          }
          case OPFC_MEMORY_FILL: {
            cl_read_u8(&r);
            uint32_t b = t->sp - 3;
            uint32_t d = tr_use(t, b), v = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_MEMORY_FILL, "sss", d, v, n);
            break;
          }
          case OPFC_TABLE_INIT: {
            uint32_t seg = cl_read_u32(&r);
            uint32_t tb = cl_read_u32(&r);
            uint32_t b = t->sp - 3;
            uint32_t d = tr_use(t, b), s = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_TABLE_INIT, "iisss", tb, seg, d, s, n);
            break;
          }
          case OPFC_ELEM_DROP:
            tr_emit(t, IOP_ELEM_DROP, "i", cl_read_u32(&r));
            break;
          case OPFC_TABLE_COPY: {
            uint32_t dt = cl_read_u32(&r);
            uint32_t stb = cl_read_u32(&r);
            uint32_t b = t->sp - 3;
            uint32_t d = tr_use(t, b), s = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_TABLE_COPY, "iisss", dt, stb, d, s, n);
            break;
          }
          case OPFC_TABLE_GROW: {
            uint32_t tb = cl_read_u32(&r);
            uint32_t b = t->sp - 2;
            uint32_t init = tr_use(t, b), n = tr_use(t, b + 1);
            t->sp = b;
            tr_emit(t, IOP_TABLE_GROW, "siss", NAT(t, b), tb, init, n);
            tr_push_temp(t, CL_I32);
            break;
          }
          case OPFC_TABLE_SIZE: {
            uint32_t tb = cl_read_u32(&r);
            tr_emit(t, IOP_TABLE_SIZE, "si", NAT(t, t->sp), tb);
            tr_push_temp(t, CL_I32);
            t->last_dst = t->last_pos + 2;
            break;
          }
          case OPFC_TABLE_FILL: {
            uint32_t tb = cl_read_u32(&r);
            uint32_t b = t->sp - 3;
            uint32_t i = tr_use(t, b), v = tr_use(t, b + 1),
                     n = tr_use(t, b + 2);
            t->sp = b;
            tr_emit(t, IOP_TABLE_FILL, "isss", tb, i, v, n);
            break;
          }
          default:
            cl_error_set(t->err, CLAVE_EINVALID,
                         "function %u: unknown 0xFC opcode %u", funcidx, sub);
            return CLAVE_EINVALID;
        }
        break;
      }
      default: {
        if (op >= 0x28 && op <= 0x35) { /* loads */
          cl_read_u32(&r);
          uint32_t off = cl_read_u32(&r);
          uint32_t i = t->sp - 1;
          uint32_t a = tr_use(t, i);
          t->sp--;
          int iop = -1;
          uint8_t rt = CL_I32;
          switch (op) {
#define X(NAME, code, text, type, bytes) \
  case code:                             \
    iop = IOP_##NAME;                    \
    rt = CL_##type;                      \
    break;
            CL_LOAD_OPS(X)
#undef X
          }
          tr_emit(t, iop, "ssi", NAT(t, i), a, off);
          tr_push_temp(t, rt);
          t->last_dst = t->last_pos + 2;
          break;
        }
        if (op >= 0x36 && op <= 0x3E) { /* stores */
          cl_read_u32(&r);
          uint32_t off = cl_read_u32(&r);
          uint32_t a = tr_use(t, t->sp - 2);
          uint32_t v = tr_use(t, t->sp - 1);
          t->sp -= 2;
          int iop = -1;
          switch (op) {
#define X(NAME, code, text, type, bytes) \
  case code:                             \
    iop = IOP_##NAME;                    \
    break;
            CL_STORE_OPS(X)
#undef X
          }
          tr_emit(t, iop, "ssi", a, v, off);
          break;
        }
        int u = iop_of_unary(op);
        if (u >= 0) {
          tr_unary(t, u, result_type_of(op));
          break;
        }
        if (iop_of_binary(op) >= 0) {
          tr_binary(t, op);
          break;
        }
        cl_error_set(t->err, CLAVE_EINVALID,
                     "function %u, offset 0x%zx: opcode 0x%02x cannot be "
                     "translated",
                     funcidx, cl_reader_offset(&r) - 1, op);
        return CLAVE_EINVALID;
      }
    }
  }
  if (t->oom) return CLAVE_ENOMEM;
  if (!cl_reader_ok(&r)) {
    cl_error_set(t->err, CLAVE_EMALFORMED, "function %u, offset 0x%zx: %s",
                 funcidx, r.err_at, r.err);
    return CLAVE_EMALFORMED;
  }
  uint64_t frame = (uint64_t)t->maxslot + 2;
  if (frame > CL_MAX_FRAME_SLOTS) {
    cl_error_set(t->err, CLAVE_ELIMIT,
                 "function %u needs %llu frame slots (locals plus operand "
                 "stack); the limit is %u",
                 funcidx, (unsigned long long)frame, CL_MAX_FRAME_SLOTS);
    return CLAVE_ELIMIT;
  }
  out->words = malloc((size_t)(t->nw ? t->nw : 1) * sizeof(uint16_t));
  if (!out->words) return CLAVE_ENOMEM;
  memcpy(out->words, t->w, (size_t)t->nw * sizeof(uint16_t));
  out->nwords = t->nw;
  out->nparams = (uint32_t)param_slots;
  out->nresults = (uint32_t)result_slots;
  out->nlocals = (uint32_t)(slots - param_slots);
  out->frame_slots = (uint32_t)frame;
  out->funcidx = funcidx;
  return CLAVE_OK;
}

clave_status cl_translate_module(const cl_module *m, cl_code **codes_out,
                                 clave_error *err) {
  uint32_t n = m->nfuncs - m->nfunc_imports;
  cl_code *codes = calloc(n ? n : 1, sizeof *codes);
  if (!codes) {
    cl_error_set(err, CLAVE_ENOMEM, "out of memory translating the module");
    return CLAVE_ENOMEM;
  }
  tr t;
  memset(&t, 0, sizeof t);
  t.m = m;
  t.h = cl_interp_handlers();
  t.err = err;
  clave_status st = CLAVE_OK;
  for (uint32_t i = 0; i < n; i++) {
    st = tr_function(&t, i, &codes[i]);
    if (st != CLAVE_OK) {
      if (st == CLAVE_ENOMEM)
        cl_error_set(err, CLAVE_ENOMEM,
                     "out of memory translating function %u",
                     m->nfunc_imports + i);
      cl_codes_free(codes, n);
      codes = NULL;
      break;
    }
  }
  free(t.w);
  free(t.st);
  free(t.cs);
  free(t.ltypes);
  free(t.lslot);
  *codes_out = codes;
  return st;
}

void cl_codes_free(cl_code *codes, uint32_t n) {
  if (!codes) return;
  for (uint32_t i = 0; i < n; i++) free(codes[i].words);
  free(codes);
}
