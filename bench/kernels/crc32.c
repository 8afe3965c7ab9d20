/*
 * crc32.c - CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) over a
 * 16 MiB buffer, one table lookup per byte.
 *
 * A byte-at-a-time table CRC is a chain of dependent loads, shifts and
 * xors that no compiler vectorises, so it measures an engine on plain
 * scalar integer code and memory loads.  The table and the input are made
 * at setup; the table is checked against the standard test vector
 * ("123456789" -> CBF43926) before anything is timed.  The checksum is the
 * CRC itself.
 */
#include "harness.h"

#define CRC_BYTES (16u << 20)

typedef struct crc_ctx {
  uint32_t table[256];
  uint8_t *data;
  uint32_t crc;
} crc_ctx;

static void crc_make_table(uint32_t table[256]) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int b = 0; b < 8; b++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

static uint32_t crc_compute(const uint32_t table[256], const uint8_t *p,
                            size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static void crc_prepare(void *ctx) { (void)ctx; }

static void crc_run(void *ctx) {
  crc_ctx *g = ctx;
  g->crc = crc_compute(g->table, g->data, CRC_BYTES);
}

static bool crc_check(void *ctx, uint32_t *sum) {
  *sum = ((crc_ctx *)ctx)->crc;
  return true;
}

int main(int argc, char **argv) {
  static crc_ctx g;
  crc_make_table(g.table);
  const uint8_t vec[] = "123456789";
  uint32_t got = crc_compute(g.table, vec, 9);
  if (got != 0xCBF43926u) {
    fprintf(stderr, "crc32: test vector gave %08x, expected cbf43926\n",
            (unsigned)got);
    return 1;
  }
  g.data = bench_alloc("crc32", CRC_BYTES);
  uint32_t seed = 0x6a09e667u;
  for (size_t i = 0; i < CRC_BYTES; i += 4) {
    uint32_t r = bench_rand_next(&seed);
    memcpy(g.data + i, &r, 4);
  }
  bench_kernel k = {"crc32", &g, crc_prepare, crc_run, crc_check};
  int rc = bench_main(argc, argv, &k);
  free(g.data);
  return rc;
}
