/*
 * cc_embedded.h - the kernel library's sources, embedded into libclave at
 * build time (embed.cmake) so that `clave compile` can write them next to
 * the generated model code wherever it runs.  The table ends with a NULL
 * name.
 */
#ifndef CC_EMBEDDED_H
#define CC_EMBEDDED_H

#include <stddef.h>

typedef struct cc_embedded_file {
  const char *name;
  const unsigned char *data;
  size_t len;
} cc_embedded_file;

extern const cc_embedded_file cc_embedded_files[];

#endif
