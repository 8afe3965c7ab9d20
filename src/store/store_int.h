/*
 * store_int.h - what the store's files share: the blob folder of an open
 * store and the table of small blobs.  Nothing outside src/store/
 * includes this.
 */
#ifndef CLAVE_STORE_INT_H
#define CLAVE_STORE_INT_H

#include "clave/store.h"

const char *cs_blob_dir(clave_store *store);

/* Blobs up to this size live in the database (table blobs), larger ones
 * as files in the blob folder. */
#define CS_INLINE_MAX (64u * 1024u)

/* Store a small blob (kept if already there), inside the calling thread's
 * transaction when one is open. */
clave_status cs_inline_put(clave_store *store, const char *sha256_hex,
                           const void *data, size_t len, clave_error *err);
/* 1 and a malloc'ed copy when the table has it, 0 when not, -1 on error. */
int cs_inline_get(clave_store *store, const char *sha256_hex, uint8_t **data,
                  size_t *len, clave_error *err);

#endif
