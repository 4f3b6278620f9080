/* str.h - bounded copies and decimal text without printf, for the paths every request takes. */
#ifndef FAIRGATE_STR_H
#define FAIRGATE_STR_H

#include <stddef.h>

/*
 * Copies src into dst of cap bytes (cap > 0), cut to cap - 1 bytes and always
 * terminated, as snprintf(dst, cap, "%s", src) does; returns strlen(src), so a
 * result >= cap says it was cut. Cannot fail.
 */
size_t str_copy(char *dst, size_t cap, const char *src);

/* Writes v in decimal and a NUL into out (STR_LL_MAX bytes); returns the digits' length. Cannot fail. */
#define STR_LL_MAX 21
size_t str_ll(char out[STR_LL_MAX], long long v);

#endif
