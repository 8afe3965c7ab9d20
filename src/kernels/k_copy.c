/*
 * k_copy.c - data movement kernels: copies, strided views (Transpose,
 * Slice, Expand, Concat, Split, Pad and friends all lower to "view"),
 * fills, gathers and scatters, Where, and Cast.
 *
 * These kernels move elements by size (e1..e8), not by type: a float and
 * an int32 move alike.  Indices coming from data (Gather, Scatter) are
 * checked against the axis and refused with an error, never followed.
 */
#include "ck_internal.h"

CK_FN(copy) {
  if (p[0] > 0 && t[0] != t[1])
    memmove(t[1], t[0], (size_t)p[0]);
  return NULL;
}

/* view: p = {rank, dims[rank], sstr[rank], soff, dstr[rank], doff}; element
 * strides; dst[doff + sum i*dstr] = src[soff + sum i*sstr]. */
#define CK_VIEW(name, T)                                                     \
  CK_FN(name) {                                                              \
    const T *s = t[0];                                                       \
    T *d = t[1];                                                             \
    int64_t rank = p[0];                                                     \
    if (rank == 0) {                                                         \
      d[p[2]] = s[p[1]];                                                     \
      return NULL;                                                           \
    }                                                                        \
    const int64_t *dims = p + 1, *ss = p + 1 + rank;                         \
    const int64_t *ds = p + 2 + 2 * rank;                                    \
    int64_t outer = ck_prod(dims, rank - 1), n = dims[rank - 1];             \
    int64_t si = ss[rank - 1], di = ds[rank - 1];                            \
    int64_t idx[CK_MAX_RANK] = {0}, off[2] = {p[1 + 2 * rank], p[2 + 3 * rank]}; \
    const int64_t *str[2] = {ss, ds};                                        \
    if (n == 0)                                                              \
      return NULL;                                                           \
    for (int64_t o = 0; o < outer; o++) {                                    \
      const T *sp = s + off[0];                                              \
      T *dp = d + off[1];                                                    \
      if (si == 1 && di == 1)                                                \
        memcpy(dp, sp, (size_t)n * sizeof(T));                               \
      else                                                                   \
        for (int64_t i = 0; i < n; i++)                                      \
          dp[i * di] = sp[i * si];                                           \
      ck_step(rank, dims, idx, 2, off, str);                                 \
    }                                                                        \
    return NULL;                                                             \
  }
CK_VIEW(view_e1, uint8_t)
CK_VIEW(view_e2, uint16_t)
CK_VIEW(view_e4, uint32_t)
CK_VIEW(view_e8, uint64_t)

/* fill: p = {n, bits}; the low bytes of bits are the element. */
#define CK_FILL(name, T)                                                     \
  CK_FN(name) {                                                              \
    T *d = t[0], v;                                                          \
    uint64_t bits = (uint64_t)p[1];                                          \
    memcpy(&v, &bits, sizeof v); /* little endian */                         \
    for (int64_t i = 0; i < p[0]; i++)                                       \
      d[i] = v;                                                              \
    return NULL;                                                             \
  }
CK_FILL(fill_e1, uint8_t)
CK_FILL(fill_e2, uint16_t)
CK_FILL(fill_e4, uint32_t)
CK_FILL(fill_e8, uint64_t)

/* gather: p = {outer, axis_dim, inner, nidx}; t = {data, indices, out};
 * out[o, j, i] = data[o, indices[j], i]. */
#define CK_GATHER(name, T, I)                                                \
  CK_FN(name) {                                                              \
    const T *s = t[0];                                                       \
    const I *ix = t[1];                                                      \
    T *d = t[2];                                                             \
    int64_t outer = p[0], ad = p[1], inner = p[2], nidx = p[3];              \
    for (int64_t j = 0; j < nidx; j++) {                                     \
      int64_t k = (int64_t)ix[j];                                            \
      if (k < -ad || k >= ad)                                                \
        return "Gather: index out of range";                                 \
    }                                                                        \
    for (int64_t o = 0; o < outer; o++)                                      \
      for (int64_t j = 0; j < nidx; j++) {                                   \
        int64_t k = (int64_t)ix[j];                                          \
        if (k < 0)                                                           \
          k += ad;                                                           \
        memcpy(d + (o * nidx + j) * inner, s + (o * ad + k) * inner,        \
               (size_t)inner * sizeof(T));                                   \
      }                                                                      \
    return NULL;                                                             \
  }
CK_GATHER(gather_i32_e1, uint8_t, int32_t)
CK_GATHER(gather_i32_e2, uint16_t, int32_t)
CK_GATHER(gather_i32_e4, uint32_t, int32_t)
CK_GATHER(gather_i32_e8, uint64_t, int32_t)
CK_GATHER(gather_i64_e1, uint8_t, int64_t)
CK_GATHER(gather_i64_e2, uint16_t, int64_t)
CK_GATHER(gather_i64_e4, uint32_t, int64_t)
CK_GATHER(gather_i64_e8, uint64_t, int64_t)

/* Offset in a row-major tensor of dims `dims` of the element whose index
 * is the unravelled flat index e of `shape`, with the axis replaced. */
static int64_t ck_elem_offset(int64_t rank, const int64_t *shape,
                              const int64_t *dims, int64_t e, int64_t axis,
                              int64_t axis_val) {
  int64_t off = 0, mul = 1;
  for (int64_t r = rank - 1; r >= 0; r--) {
    int64_t i = e % shape[r];
    e /= shape[r];
    if (r == axis)
      i = axis_val;
    off += i * mul;
    mul *= dims[r];
  }
  return off;
}

/* gather_elements: p = {rank, axis, idx_dims[rank], data_dims[rank]};
 * t = {data, indices, out}; out has the indices' shape. */
#define CK_GATHER_EL(name, T, I)                                             \
  CK_FN(name) {                                                              \
    const T *s = t[0];                                                       \
    const I *ix = t[1];                                                      \
    T *d = t[2];                                                             \
    int64_t rank = p[0], axis = p[1];                                        \
    const int64_t *id = p + 2, *dd = p + 2 + rank;                           \
    int64_t n = ck_prod(id, rank), ad = dd[axis];                            \
    for (int64_t e = 0; e < n; e++) {                                        \
      int64_t k = (int64_t)ix[e];                                            \
      if (k < -ad || k >= ad)                                                \
        return "GatherElements: index out of range";                         \
      if (k < 0)                                                             \
        k += ad;                                                             \
      d[e] = s[ck_elem_offset(rank, id, dd, e, axis, k)];                    \
    }                                                                        \
    return NULL;                                                             \
  }
CK_GATHER_EL(gather_elements_i32_e1, uint8_t, int32_t)
CK_GATHER_EL(gather_elements_i32_e2, uint16_t, int32_t)
CK_GATHER_EL(gather_elements_i32_e4, uint32_t, int32_t)
CK_GATHER_EL(gather_elements_i32_e8, uint64_t, int32_t)
CK_GATHER_EL(gather_elements_i64_e1, uint8_t, int64_t)
CK_GATHER_EL(gather_elements_i64_e2, uint16_t, int64_t)
CK_GATHER_EL(gather_elements_i64_e4, uint32_t, int64_t)
CK_GATHER_EL(gather_elements_i64_e8, uint64_t, int64_t)

/* scatter_elements: p = {rank, axis, idx_dims[rank], data_dims[rank]};
 * t = {data, indices, updates, out}; out = data with the updates put at
 * the indexed places (no reduction). */
#define CK_SCATTER_EL(name, T, I)                                            \
  CK_FN(name) {                                                              \
    const T *s = t[0], *u = t[2];                                            \
    const I *ix = t[1];                                                      \
    T *d = t[3];                                                             \
    int64_t rank = p[0], axis = p[1];                                        \
    const int64_t *id = p + 2, *dd = p + 2 + rank;                           \
    int64_t n = ck_prod(id, rank), ad = dd[axis];                            \
    if (d != s)                                                              \
      memmove(d, s, (size_t)ck_prod(dd, rank) * sizeof(T));                  \
    for (int64_t e = 0; e < n; e++) {                                        \
      int64_t k = (int64_t)ix[e];                                            \
      if (k < -ad || k >= ad)                                                \
        return "ScatterElements: index out of range";                        \
      if (k < 0)                                                             \
        k += ad;                                                             \
      d[ck_elem_offset(rank, id, dd, e, axis, k)] = u[e];                    \
    }                                                                        \
    return NULL;                                                             \
  }
CK_SCATTER_EL(scatter_elements_i32_e1, uint8_t, int32_t)
CK_SCATTER_EL(scatter_elements_i32_e2, uint16_t, int32_t)
CK_SCATTER_EL(scatter_elements_i32_e4, uint32_t, int32_t)
CK_SCATTER_EL(scatter_elements_i32_e8, uint64_t, int32_t)
CK_SCATTER_EL(scatter_elements_i64_e1, uint8_t, int64_t)
CK_SCATTER_EL(scatter_elements_i64_e2, uint16_t, int64_t)
CK_SCATTER_EL(scatter_elements_i64_e4, uint32_t, int64_t)
CK_SCATTER_EL(scatter_elements_i64_e8, uint64_t, int64_t)

/* gather_nd: p = {nslices, q (index tuple length), slice (elements per
 * slice), batch, batch_data_stride, data_dims[q]}; t = {data, indices
 * (int64), out}.  The indices hold batch*nslices tuples. */
#define CK_GATHER_ND(name, T)                                                \
  CK_FN(name) {                                                              \
    const T *s = t[0];                                                       \
    const int64_t *ix = t[1];                                                \
    T *d = t[2];                                                             \
    int64_t ns = p[0], q = p[1], sl = p[2], nb = p[3], bstr = p[4];          \
    const int64_t *dd = p + 5;                                               \
    for (int64_t b = 0; b < nb; b++)                                         \
      for (int64_t j = 0; j < ns; j++) {                                     \
        const int64_t *tup = ix + (b * ns + j) * q;                          \
        int64_t off = 0;                                                     \
        for (int64_t k = 0; k < q; k++) {                                    \
          int64_t v = tup[k];                                                \
          if (v < -dd[k] || v >= dd[k])                                      \
            return "GatherND: index out of range";                           \
          off = off * dd[k] + (v < 0 ? v + dd[k] : v);                       \
        }                                                                    \
        memcpy(d + (b * ns + j) * sl, s + b * bstr + off * sl,               \
               (size_t)sl * sizeof(T));                                      \
      }                                                                      \
    return NULL;                                                             \
  }
CK_GATHER_ND(gather_nd_e1, uint8_t)
CK_GATHER_ND(gather_nd_e2, uint16_t)
CK_GATHER_ND(gather_nd_e4, uint32_t)
CK_GATHER_ND(gather_nd_e8, uint64_t)

/* scatter_nd: p = {nupd, q, slice, data_elems, data_dims[q]};
 * t = {data, indices (int64), updates, out}. */
#define CK_SCATTER_ND(name, T)                                               \
  CK_FN(name) {                                                              \
    const T *s = t[0], *u = t[2];                                            \
    const int64_t *ix = t[1];                                                \
    T *d = t[3];                                                             \
    int64_t nu = p[0], q = p[1], sl = p[2], ne = p[3];                       \
    const int64_t *dd = p + 4;                                               \
    if (d != s)                                                              \
      memmove(d, s, (size_t)ne * sizeof(T));                                 \
    for (int64_t j = 0; j < nu; j++) {                                       \
      const int64_t *tup = ix + j * q;                                       \
      int64_t off = 0;                                                       \
      for (int64_t k = 0; k < q; k++) {                                      \
        int64_t v = tup[k];                                                  \
        if (v < -dd[k] || v >= dd[k])                                        \
          return "ScatterND: index out of range";                            \
        off = off * dd[k] + (v < 0 ? v + dd[k] : v);                         \
      }                                                                      \
      memcpy(d + off * sl, u + j * sl, (size_t)sl * sizeof(T));              \
    }                                                                        \
    return NULL;                                                             \
  }
CK_SCATTER_ND(scatter_nd_e1, uint8_t)
CK_SCATTER_ND(scatter_nd_e2, uint16_t)
CK_SCATTER_ND(scatter_nd_e4, uint32_t)
CK_SCATTER_ND(scatter_nd_e8, uint64_t)

/* where: p = {rank, dims[rank], cstr[rank], astr[rank], bstr[rank]};
 * t = {cond (bool), a, b, out}. */
#define CK_WHERE(name, T)                                                    \
  CK_FN(name) {                                                              \
    const uint8_t *c = t[0];                                                 \
    const T *a = t[1], *b = t[2];                                            \
    T *y = t[3];                                                             \
    int64_t rank = p[0];                                                     \
    const int64_t *dims = p + 1;                                             \
    const int64_t *str[3] = {p + 1 + rank, p + 1 + 2 * rank, p + 1 + 3 * rank}; \
    int64_t outer = ck_prod(dims, rank - 1), n = dims[rank - 1];             \
    int64_t idx[CK_MAX_RANK] = {0}, off[3] = {0, 0, 0};                      \
    int64_t cs = str[0][rank - 1], as = str[1][rank - 1], bs = str[2][rank - 1]; \
    for (int64_t o = 0; o < outer; o++) {                                    \
      for (int64_t i = 0; i < n; i++)                                        \
        y[i] = c[off[0] + i * cs] ? a[off[1] + i * as] : b[off[2] + i * bs]; \
      y += n;                                                                \
      ck_step(rank, dims, idx, 3, off, str);                                 \
    }                                                                        \
    return NULL;                                                             \
  }
CK_WHERE(where_e1, uint8_t)
CK_WHERE(where_e2, uint16_t)
CK_WHERE(where_e4, uint32_t)
CK_WHERE(where_e8, uint64_t)

/* ---- Cast ---------------------------------------------------------------- */

static int ck_is_float(int dt) {
  return dt == CK_FLOAT || dt == CK_DOUBLE || dt == CK_FLOAT16 ||
         dt == CK_BFLOAT16;
}

static double ck_load_f(const void *s, int dt, int64_t i) {
  switch (dt) {
  case CK_FLOAT: return ((const float *)s)[i];
  case CK_DOUBLE: return ((const double *)s)[i];
  case CK_FLOAT16: return ck_h2f(((const uint16_t *)s)[i]);
  case CK_BFLOAT16: return ck_bf2f(((const uint16_t *)s)[i]);
  case CK_INT8: return ((const int8_t *)s)[i];
  case CK_INT16: return ((const int16_t *)s)[i];
  case CK_INT32: return ((const int32_t *)s)[i];
  case CK_INT64: return (double)((const int64_t *)s)[i];
  case CK_UINT8: case CK_BOOL: return ((const uint8_t *)s)[i];
  case CK_UINT16: return ((const uint16_t *)s)[i];
  case CK_UINT32: return ((const uint32_t *)s)[i];
  case CK_UINT64: return (double)((const uint64_t *)s)[i];
  default: return 0;
  }
}

static int64_t ck_load_i(const void *s, int dt, int64_t i) {
  switch (dt) {
  case CK_INT8: return ((const int8_t *)s)[i];
  case CK_INT16: return ((const int16_t *)s)[i];
  case CK_INT32: return ((const int32_t *)s)[i];
  case CK_INT64: return ((const int64_t *)s)[i];
  case CK_UINT8: case CK_BOOL: return ((const uint8_t *)s)[i];
  case CK_UINT16: return ((const uint16_t *)s)[i];
  case CK_UINT32: return ((const uint32_t *)s)[i];
  case CK_UINT64: return (int64_t)((const uint64_t *)s)[i];
  default: return 0;
  }
}

/* Saturating double -> integer in [lo, hi] (NaN -> 0): never UB. */
static int64_t ck_sat(double v, double lo, double hi) {
  if (v != v)
    return 0;
  if (v <= lo)
    return (int64_t)lo;
  if (v >= hi)
    return hi >= 9.2e18 ? INT64_MAX : (int64_t)hi;
  return (int64_t)v;
}

static uint64_t ck_sat_u64(double v) {
  if (v != v || v <= 0)
    return 0;
  if (v >= 18446744073709551615.0)
    return UINT64_MAX;
  return (uint64_t)v;
}

static void ck_store_i(void *d, int dt, int64_t i, int64_t v) {
  switch (dt) {
  case CK_INT8: ((int8_t *)d)[i] = (int8_t)v; break;
  case CK_INT16: ((int16_t *)d)[i] = (int16_t)v; break;
  case CK_INT32: ((int32_t *)d)[i] = (int32_t)v; break;
  case CK_INT64: ((int64_t *)d)[i] = v; break;
  case CK_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
  case CK_BOOL: ((uint8_t *)d)[i] = v != 0; break;
  case CK_UINT16: ((uint16_t *)d)[i] = (uint16_t)v; break;
  case CK_UINT32: ((uint32_t *)d)[i] = (uint32_t)v; break;
  case CK_UINT64: ((uint64_t *)d)[i] = (uint64_t)v; break;
  case CK_FLOAT: ((float *)d)[i] = (float)v; break;
  case CK_DOUBLE: ((double *)d)[i] = (double)v; break;
  case CK_FLOAT16: ((uint16_t *)d)[i] = ck_f2h((float)v); break;
  case CK_BFLOAT16: ((uint16_t *)d)[i] = ck_f2bf((float)v); break;
  default: break;
  }
}

static void ck_store_f(void *d, int dt, int64_t i, double v) {
  switch (dt) {
  case CK_FLOAT: ((float *)d)[i] = (float)v; break;
  case CK_DOUBLE: ((double *)d)[i] = v; break;
  case CK_FLOAT16: ((uint16_t *)d)[i] = ck_f2h((float)v); break;
  case CK_BFLOAT16: ((uint16_t *)d)[i] = ck_f2bf((float)v); break;
  case CK_BOOL: ((uint8_t *)d)[i] = v != 0; break;
  case CK_INT8: ((int8_t *)d)[i] = (int8_t)ck_sat(v, -128, 127); break;
  case CK_INT16: ((int16_t *)d)[i] = (int16_t)ck_sat(v, -32768, 32767); break;
  case CK_INT32:
    ((int32_t *)d)[i] = (int32_t)ck_sat(v, -2147483648.0, 2147483647.0);
    break;
  case CK_INT64:
    ((int64_t *)d)[i] = ck_sat(v, -9223372036854775808.0, 9.3e18);
    break;
  case CK_UINT8: ((uint8_t *)d)[i] = (uint8_t)ck_sat(v, 0, 255); break;
  case CK_UINT16: ((uint16_t *)d)[i] = (uint16_t)ck_sat(v, 0, 65535); break;
  case CK_UINT32: ((uint32_t *)d)[i] = (uint32_t)ck_sat(v, 0, 4294967295.0); break;
  case CK_UINT64: ((uint64_t *)d)[i] = ck_sat_u64(v); break;
  default: break;
  }
}

/* cast: p = {n, from, to}; t = {in, out}. */
CK_FN(cast) {
  int64_t n = p[0];
  int from = (int)p[1], to = (int)p[2];
  if (ck_is_float(from)) {
    for (int64_t i = 0; i < n; i++)
      ck_store_f(t[1], to, i, ck_load_f(t[0], from, i));
  } else if (from == CK_UINT64 && ck_is_float(to)) {
    for (int64_t i = 0; i < n; i++)
      ck_store_f(t[1], to, i, (double)((const uint64_t *)t[0])[i]);
  } else {
    for (int64_t i = 0; i < n; i++)
      ck_store_i(t[1], to, i, ck_load_i(t[0], from, i));
  }
  return NULL;
}

/* pad: p = {rank, mode (0 constant, 1 reflect, 2 edge, 3 wrap), value bits,
 * out_dims[rank], in_dims[rank], begin[rank]}; t = {in, out}.  begin may
 * be negative (cropping). */
#define CK_PAD(name, T)                                                      \
  CK_FN(name) {                                                              \
    const T *s = t[0];                                                       \
    T *d = t[1], cv;                                                         \
    int64_t rank = p[0], mode = p[1];                                        \
    uint64_t bits = (uint64_t)p[2];                                          \
    memcpy(&cv, &bits, sizeof cv);                                           \
    const int64_t *od = p + 3, *id = p + 3 + rank, *bg = p + 3 + 2 * rank;   \
    int64_t n = ck_prod(od, rank);                                           \
    for (int64_t e = 0; e < n; e++) {                                        \
      int64_t rem = e, off = 0, mul = 1, inside = 1;                         \
      for (int64_t r = rank - 1; r >= 0; r--) {                              \
        int64_t o = rem % od[r], i = o - bg[r], m = id[r];                   \
        rem /= od[r];                                                        \
        if (i < 0 || i >= m) {                                               \
          if (mode == 0 || m == 0) {                                         \
            inside = 0;                                                      \
            break;                                                           \
          } else if (mode == 2) {                                            \
            i = i < 0 ? 0 : m - 1;                                           \
          } else if (mode == 3) {                                            \
            i = ((i % m) + m) % m;                                           \
          } else if (m == 1) {                                               \
            i = 0;                                                           \
          } else {                                                           \
            int64_t period = 2 * (m - 1);                                    \
            i = ((i % period) + period) % period;                            \
            if (i >= m)                                                      \
              i = period - i;                                                \
          }                                                                  \
        }                                                                    \
        off += i * mul;                                                      \
        mul *= m;                                                            \
      }                                                                      \
      d[e] = inside ? s[off] : cv;                                           \
    }                                                                        \
    return NULL;                                                             \
  }
CK_PAD(pad_e1, uint8_t)
CK_PAD(pad_e2, uint16_t)
CK_PAD(pad_e4, uint32_t)
CK_PAD(pad_e8, uint64_t)
