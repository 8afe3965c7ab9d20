/*
 * wordcount.c - lines, words and bytes of a private text, like wc(1).
 *
 * A no-libc payload written with Clave's SDK header (clave.h).  It streams
 * its input in small chunks, so the text may be far larger than anything
 * the payload keeps in memory, and writes "lines L\nwords W\nbytes B\n" to
 * its output.  Input and output names come from the arguments, the way
 * Teaclave clients usually pass them:
 *
 *   clang-19 --target=wasm32 -nostdlib -O2 -Wl,--no-entry -Wl,--export-all \
 *     -Wl,--allow-undefined -I sdk/payload wordcount.c -o wordcount.wasm
 *   clave exec wordcount.wasm --arg input=text --arg output=counts \
 *     --input text=README.md --output counts=counts.txt
 *
 * Arguments: input (default "text"), output (default "counts").
 * Returns the number of words, or -1 when the input cannot be read and -2
 * when the output cannot be written.
 */
#include "clave.h"

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static int put_line(char *out, int n, const char *label, long long v) {
  while (*label) out[n++] = *label++;
  out[n++] = ' ';
  n += clave_format_i64(v, out + n);
  out[n++] = '\n';
  return n;
}

CLAVE_ENTRYPOINT {
  const char *in_name = clave_arg(argc, argv, "input", "text");
  const char *out_name = clave_arg(argc, argv, "output", "counts");
  int fd = teaclave_open_input((char *)in_name);
  if (fd < 0) return -1;

  char chunk[4096];
  long long lines = 0, words = 0, bytes = 0;
  int in_word = 0;
  for (;;) {
    int n = teaclave_read_file(fd, chunk, sizeof chunk);
    if (n < 0) {
      teaclave_close_file(fd);
      return -1;
    }
    if (n == 0) break;
    bytes += n;
    for (int i = 0; i < n; i++) {
      if (chunk[i] == '\n') lines++;
      if (is_blank(chunk[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  teaclave_close_file(fd);

  char out[96];
  int len = 0;
  len = put_line(out, len, "lines", lines);
  len = put_line(out, len, "words", words);
  len = put_line(out, len, "bytes", bytes);
  if (clave_output_write(out_name, out, len) != 0) return -2;
  return words > 2147483647 ? 2147483647 : (int)words;
}
