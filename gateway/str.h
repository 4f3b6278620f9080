/* str.h - bounded copies, decimal text without printf and a slot hash, for the paths every request takes. */
#ifndef FAIRGATE_STR_H
#define FAIRGATE_STR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copies src into dst of cap bytes (cap > 0), cut to cap - 1 bytes and always
 * terminated, as snprintf(dst, cap, "%s", src) does; returns strlen(src), so a
 * result >= cap says it was cut. Cannot fail.
 */
size_t str_copy(char *dst, size_t cap, const char *src);

/*
 * Appends src to dst of cap bytes at offset len, as
 * snprintf(dst + len, cap - len, "%s", src) does while len < cap (cut to fit,
 * always terminated); once len >= cap it writes nothing. Returns
 * len + strlen(src), so a chain of calls builds what one snprintf of the
 * whole text would, its result >= cap saying it was cut. Cannot fail.
 */
size_t str_add(char *dst, size_t cap, size_t len, const char *src);

/*
 * Writes parts[0..n) one after another into dst of cap bytes, as one
 * snprintf of their concatenation does (cut to fit, always terminated when
 * cap > 0); returns the whole length, >= cap when cut. Cannot fail.
 */
size_t str_join(char *dst, size_t cap, const char *const *parts, size_t n);

/* Writes v (0 to 999) as three digits and a NUL into out, as "%03d" does. Cannot fail. */
void str_pad3(char out[4], int v);

/* Writes v in decimal and a NUL into out (STR_LL_MAX bytes); returns the digits' length. Cannot fail. */
#define STR_LL_MAX 21
size_t str_ll(char out[STR_LL_MAX], long long v);

/*
 * Writes v as 16 lower-case hex digits and a NUL into out (STR_HEX64_MAX
 * bytes), as "%016llx" does (request ids). Cannot fail.
 */
#define STR_HEX64_MAX 17
void str_hex64(char out[STR_HEX64_MAX], uint64_t v);

/*
 * A 64-bit hash of len bytes, for choosing a slot (compare the text itself for a
 * hit): FNV-1a over 8-byte words, then the tail's bytes, then a finaliser so
 * that the low bits depend on every bit. A byte at a time, hashing the
 * contract's and partner's documents and the statements' text had cost ~8,000
 * instructions per decision (callgrind). Cannot fail.
 */
uint64_t str_hash(const char *s, size_t len);

#endif
