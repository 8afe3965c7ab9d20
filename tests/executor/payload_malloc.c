/*
 * payload_malloc.c - a no-libc test payload that exports its own malloc.
 *
 * The executor must place the arguments through an exported malloc when
 * there is one.  This malloc hands out blocks from a static arena and
 * remembers the last block and its size, so the entry point can check
 * that argv is that block and that the block holds the pointer array and
 * the strings.  Returns 1 when all holds, 100 + the failing check
 * otherwise.
 */
#include "clave.h"

static char arena[1 << 16];
static unsigned arena_used;
static char *last_block;
static unsigned last_size;
static int calls;
static int fail_next;

CLAVE_EXPORT("malloc") void *malloc(unsigned long size) {
  calls++;
  if (fail_next || size > sizeof arena - arena_used) return 0;
  last_block = arena + arena_used;
  last_size = (unsigned)size;
  arena_used += (unsigned)(size + 7) & ~7u;
  return last_block;
}

/* Built a second time with -DFAIL_MALLOC, malloc answers NULL from the
 * start (the constructor runs before the executor places arguments). */
#ifdef FAIL_MALLOC
static const int fail_init = 1;
#else
static const int fail_init = 0;
#endif

__attribute__((constructor)) static void init(void) { fail_next = fail_init; }

#define CHECK(n, cond) \
  do {                 \
    if (!(cond)) return 100 + (n); \
  } while (0)

CLAVE_ENTRYPOINT {
  CHECK(1, calls == 1);
  CHECK(2, (char *)argv == last_block);
  unsigned need = 4 * (unsigned)(argc + 1);
  for (int i = 0; i < argc; i++) need += (unsigned)clave_strlen(argv[i]) + 1;
  CHECK(3, need == last_size);
  CHECK(4, argv[argc] == 0);
  for (int i = 0; i < argc; i++)
    CHECK(5, argv[i] > (char *)argv && argv[i] < last_block + last_size);
  return 1;
}
