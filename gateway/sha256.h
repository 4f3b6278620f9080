/* sha256.h - SHA-256 of a message given in parts, as lower-case hex. */
#ifndef FAIRGATE_SHA256_H
#define FAIRGATE_SHA256_H

#include <stddef.h>

#define SHA256_HEX 65 /* 64 hex digits and NUL */

/* One part of a message: len bytes at data (which may hold NUL bytes). */
struct sha256_part {
	const void *data;
	size_t len;
};

/*
 * The hash of the n parts one after the other, written to out. For the event
 * loop's thread only (one digest context, reused). Aborts when OpenSSL has no
 * SHA-256 or cannot allocate: the process could not keep its promises.
 */
void sha256_hex(const struct sha256_part *parts, size_t n, char out[SHA256_HEX]);

/* The same for a NUL-terminated string. */
void sha256_hex_str(const char *s, char out[SHA256_HEX]);

#endif
