/*
 * store_int.h - what the store's files share: the blob folder of an open
 * store.  Nothing outside src/store/ includes this.
 */
#ifndef CLAVE_STORE_INT_H
#define CLAVE_STORE_INT_H

#include "clave/store.h"

const char *cs_blob_dir(clave_store *store);

#endif
