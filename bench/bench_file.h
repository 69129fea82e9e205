/* bench_file: the bench tools' one file reader, written once for
 * decoder_bench, transport_bench, load_server, sources/source_bench,
 * schema/codec_bench and floor/lua_floor (events, expected answers,
 * payloads, tapes). Static inline: each tool is one C file built alone. */
#ifndef BENCH_FILE_H
#define BENCH_FILE_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file at 'path' in a malloc'd buffer, NUL-terminated, its size
 * in *len; NULL when it cannot be opened, sized or read. */
static inline char *bench_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *p = NULL;
  long n;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
    if (fread(p, 1, (size_t)n, f) == (size_t)n) {
      p[n] = '\0';
      *len = (size_t)n;
    } else {
      free(p);
      p = NULL;
    }
  }
  fclose(f);
  return p;
}

#endif
