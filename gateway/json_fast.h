/* json_fast.h - JSON text into a jansson tree, several times faster than json_loads. */
#ifndef FAIRGATE_JSON_FAST_H
#define FAIRGATE_JSON_FAST_H

#include <jansson.h>

/*
 * Parses the NUL-terminated text as json_loads(text, JSON_REJECT_DUPLICATES,
 * NULL) does and returns the same tree (a new reference), or NULL for any
 * text json_loads refuses: RFC 8259 with an array or object at the top,
 * valid UTF-8 without NUL in strings, no duplicate keys, integers that fit
 * json_int_t, reals that do not overflow, at most 2048 levels deep.
 *
 * For the JSON the gateway reads back from its own database on every
 * decision (the facts, the allowed escalations, the exceptions): jansson's
 * reader takes its text a byte at a time through a stream and a growing
 * buffer, ~15 us for a dossier's kilobyte of facts. A client's body is read by
 * it too, and by json_loadb when refused: jansson's errors say where the text
 * went wrong.
 */
json_t *json_fast_loads(const char *text);
/*
 * The same for len bytes that need not end in NUL. NULL when they hold a NUL,
 * which JSON never does; json_loadb skips a NUL after some tokens (it accepts
 * {"a":8<NUL>}), so there the two differ, and only there.
 */
json_t *json_fast_loadb(const char *text, size_t len);
/*
 * A file's JSON as json_load_file(path, JSON_REJECT_DUPLICATES, err) reads it,
 * except that a NUL byte anywhere is refused (jansson's file reader, like
 * json_loadb, skips a NUL after some tokens and accepts the rest). NULL with err
 * set (its line and column, and why) when the file cannot be read or is no JSON.
 */
json_t *json_fast_load_file(const char *path, json_error_t *err);

#endif
