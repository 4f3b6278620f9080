/* doc_cache.h - contract and partner documents parsed once per process, keyed by their text. */
#ifndef FAIRGATE_DOC_CACHE_H
#define FAIRGATE_DOC_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "contract.h"
#include "partner.h"

/*
 * Every decision reads its contract and partner documents; parsing and
 * checking them is most of a dossier's read in the gateway (10.5 us for the
 * example contract). A document stored in PostgreSQL is the validated one, so
 * the same text always gives the same struct: these remember the last valid
 * documents by their exact text (a slot per text hash, 64 slots each), which
 * needs no invalidation. Not thread-safe: the event loop's thread only.
 *
 * Each reads text (len bytes, NUL-terminated) into *out; false when it is not
 * a valid document (nothing is cached then, and *out is unspecified).
 */
bool doc_cache_contract(const char *text, size_t len, struct contract *out);
bool doc_cache_partner(const char *text, size_t len, struct partner *out);
/* Frees every cached document (at shutdown). */
void doc_cache_clear(void);

#endif
