/* mem.h - allocation wrappers that abort on out-of-memory (no untested recovery paths). */
#ifndef FAIRGATE_MEM_H
#define FAIRGATE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
