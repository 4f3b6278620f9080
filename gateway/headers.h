/* headers.h - the request headers the gateway reads, checked (pure: libc only). */
#ifndef FAIRGATE_HEADERS_H
#define FAIRGATE_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

/* A bearer token as auth_token_new makes it: "fg_" and 64 lowercase hex digits. */
#define HEADER_TOKEN_PREFIX "fg_"
#define HEADER_TOKEN_LEN 67
#define HEADER_IDEM_KEY_MAX 255 /* Idempotency-Key characters */

/*
 * Authorization: exactly "Bearer " (one space) and a token of the form above,
 * nothing after it. On true *token points at the token inside value.
 */
bool header_bearer(const char *value, const char **token);

/*
 * Idempotency-Key: 1 to HEADER_IDEM_KEY_MAX visible ASCII characters
 * (0x21..0x7e). The draft's quoted form is taken too, quotes and all, as a
 * key of its own.
 */
bool header_idempotency_key(const char *value);

/*
 * Content-Type names JSON: "application/json" in any case, alone or followed
 * by parameters (";", optionally after spaces), e.g. "; charset=utf-8".
 * "application/json-seq" or "application/jsonx" are not JSON.
 */
bool header_is_json(const char *value);

#endif
