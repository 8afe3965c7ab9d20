/*
 * reader.h - bounds-checked reading of the binary format (internal).
 *
 * Every read checks the end of the buffer and the LEB128 rules of the spec
 * (at most ceil(N/7) bytes, unused bits of the last byte zero or sign
 * bits).  A failed read sets r->err to a static message ("unexpected end",
 * "integer representation too long", "integer too large") and returns 0;
 * callers check cl_reader_ok() at convenient points and turn the message
 * into an error with the offset r->err_at.
 */
#ifndef CLAVE_ENGINE_READER_H
#define CLAVE_ENGINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cl_reader {
  const uint8_t *base; /* start of the module, for offsets */
  const uint8_t *p;
  const uint8_t *end;
  const char *err; /* first error, or NULL */
  size_t err_at;   /* module offset of the first error */
} cl_reader;

static inline void cl_reader_init(cl_reader *r, const uint8_t *base,
                                  const uint8_t *p, const uint8_t *end) {
  r->base = base;
  r->p = p;
  r->end = end;
  r->err = NULL;
  r->err_at = 0;
}

static inline bool cl_reader_ok(const cl_reader *r) { return r->err == NULL; }
static inline size_t cl_reader_offset(const cl_reader *r) {
  return (size_t)(r->p - r->base);
}
static inline bool cl_reader_eof(const cl_reader *r) { return r->p >= r->end; }

static inline void cl_reader_fail(cl_reader *r, const char *msg) {
  if (!r->err) {
    r->err = msg;
    r->err_at = (size_t)(r->p - r->base);
  }
  r->p = r->end; /* stop further reads */
}

static inline uint8_t cl_read_u8(cl_reader *r) {
  if (r->p >= r->end) {
    cl_reader_fail(r, "unexpected end");
    return 0;
  }
  return *r->p++;
}

/* Unsigned LEB128 of at most `bits` bits. */
static inline uint64_t cl_read_uleb(cl_reader *r, unsigned bits) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    if (r->p >= r->end) {
      cl_reader_fail(r, "unexpected end");
      return 0;
    }
    uint8_t b = *r->p++;
    if (shift + 7 >= bits && shift < bits) {
      /* last permitted byte: no continuation, unused bits must be zero */
      unsigned used = bits - shift;
      if (b & 0x80) {
        r->p--;
        cl_reader_fail(r, "integer representation too long");
        return 0;
      }
      if (used < 7 && (b >> used) != 0) {
        r->p--;
        cl_reader_fail(r, "integer too large");
        return 0;
      }
    }
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

/* Signed LEB128 of at most `bits` bits (33 for block types). */
static inline int64_t cl_read_sleb(cl_reader *r, unsigned bits) {
  int64_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  for (;;) {
    if (r->p >= r->end) {
      cl_reader_fail(r, "unexpected end");
      return 0;
    }
    b = *r->p++;
    if (shift + 7 >= bits) {
      /* last permitted byte: unused bits must equal the sign bit */
      unsigned used = bits - shift; /* 1..7 */
      if (b & 0x80) {
        r->p--;
        cl_reader_fail(r, "integer representation too long");
        return 0;
      }
      if (used < 7) {
        int sign = (b >> (used - 1)) & 1;
        uint8_t rest = (uint8_t)((b & 0x7F) >> used);
        uint8_t want = sign ? (uint8_t)(0x7F >> used) : 0;
        if (rest != want) {
          r->p--;
          cl_reader_fail(r, "integer too large");
          return 0;
        }
      }
    }
    v |= (int64_t)((uint64_t)(b & 0x7F) << shift);
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) v |= (int64_t)(~(uint64_t)0 << shift);
  return v;
}

static inline uint32_t cl_read_u32(cl_reader *r) {
  return (uint32_t)cl_read_uleb(r, 32);
}
static inline int32_t cl_read_s32(cl_reader *r) {
  return (int32_t)cl_read_sleb(r, 32);
}
static inline int64_t cl_read_s64(cl_reader *r) { return cl_read_sleb(r, 64); }

static inline uint32_t cl_read_fixed32(cl_reader *r) {
  if (r->end - r->p < 4) {
    cl_reader_fail(r, "unexpected end");
    return 0;
  }
  uint32_t v;
  memcpy(&v, r->p, 4); /* the format is little endian, as is the host */
  r->p += 4;
  return v;
}

static inline uint64_t cl_read_fixed64(cl_reader *r) {
  if (r->end - r->p < 8) {
    cl_reader_fail(r, "unexpected end");
    return 0;
  }
  uint64_t v;
  memcpy(&v, r->p, 8);
  r->p += 8;
  return v;
}

/* Block type: 0x40 (empty), a value type, or a type index (s33 >= 0).
 * Returns -64 for empty, -(valtype byte) ... see cl_blocktype below. */
typedef struct cl_blocktype {
  int kind; /* 0: empty, 1: one value type, 2: type index */
  uint8_t valtype;
  uint32_t typeidx;
} cl_blocktype;

static inline cl_blocktype cl_read_blocktype(cl_reader *r) {
  cl_blocktype bt = {0, 0, 0};
  if (r->p >= r->end) {
    cl_reader_fail(r, "unexpected end");
    return bt;
  }
  uint8_t b = *r->p;
  if (b == 0x40) {
    r->p++;
    return bt;
  }
  if (b >= 0x40 && b < 0x80) { /* single-byte negative s33: a value type */
    r->p++;
    bt.kind = 1;
    bt.valtype = b;
    return bt;
  }
  int64_t idx = cl_read_sleb(r, 33);
  if (idx < 0) {
    cl_reader_fail(r, "malformed block type");
    return bt;
  }
  bt.kind = 2;
  bt.typeidx = (uint32_t)idx;
  if (idx > 0xFFFFFFFFll) cl_reader_fail(r, "type index too large");
  return bt;
}

#endif /* CLAVE_ENGINE_READER_H */
