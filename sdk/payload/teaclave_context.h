/*
 * teaclave_context.h - Teaclave's payload file API, for Clave.
 *
 * A compatibility header: payloads written for Apache Teaclave's WebAssembly
 * executor include a header of this name and build unchanged with
 *
 *   clang-19 --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-all \
 *     -Wl,--allow-undefined -I sdk/payload payload.c -o payload.wasm
 *
 * The five functions are imported from module "env" and behave as in
 * Teaclave: handles are small non-negative ints, every error is -1.
 * Clave's own header, clave.h, declares the same functions (so the two may
 * be included together) and adds helpers.
 */
#ifndef TEACLAVE_CONTEXT_H
#define TEACLAVE_CONTEXT_H

#ifdef __cplusplus
extern "C" {
#endif

#define TEACLAVE_IMPORT_(name) \
  __attribute__((import_module("env"), import_name(name)))

/* Open the task input bound to the name fid; a handle, or -1. */
TEACLAVE_IMPORT_("teaclave_open_input")
int teaclave_open_input(char *fid);

/* Create the task output bound to the name fid; a handle, or -1. */
TEACLAVE_IMPORT_("teaclave_create_output")
int teaclave_create_output(char *fid);

/* Read up to size bytes into buf: the count, 0 at the end, -1 on error. */
TEACLAVE_IMPORT_("teaclave_read_file")
int teaclave_read_file(int fd, char *buf, int size);

/* Write size bytes from buf: the count, or -1 on error. */
TEACLAVE_IMPORT_("teaclave_write_file")
int teaclave_write_file(int fd, char *buf, int size);

/* Close a handle: 0, or -1 (bad handle, closed already). */
TEACLAVE_IMPORT_("teaclave_close_file")
int teaclave_close_file(int fd);

#ifdef __cplusplus
}
#endif

#endif /* TEACLAVE_CONTEXT_H */
