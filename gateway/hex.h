/* hex.h - lower-case hexadecimal text of bytes (digests, signatures, ids). */
#ifndef FAIRGATE_HEX_H
#define FAIRGATE_HEX_H

#include <stddef.h>

/* Writes 2 * n digits and a NUL to out (2 * n + 1 bytes). Cannot fail. */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
