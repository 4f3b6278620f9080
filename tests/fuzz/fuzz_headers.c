/* fuzz_headers.c - libFuzzer target: any bytes as a header value, through every header reader.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so the fuzzer keeps the input. */
static void require(bool ok)
{
	if (!ok)
		abort();
}

/* An accepted bearer value is "Bearer fg_" and exactly 64 lowercase hex digits; and back. */
static void bearer(const char *v)
{
	const char *token = v;
	bool ok = header_bearer(v, &token);
	size_t n = strlen(v);
	bool form = n == 7 + HEADER_TOKEN_LEN && memcmp(v, "Bearer fg_", 10) == 0 &&
	            strspn(v + 10, "0123456789abcdef") == HEADER_TOKEN_LEN - 3;
	require(ok == form);
	require(ok ? token == v + 7 && strlen(token) == HEADER_TOKEN_LEN : token == NULL);
}

/* An accepted key is 1 to 255 bytes, each visible ASCII; and back. */
static void idempotency_key(const char *v)
{
	size_t n = strlen(v), visible = 0;
	while (visible < n && v[visible] > ' ' && v[visible] < 0x7f)
		visible++;
	require(header_idempotency_key(v) ==
	        (n >= 1 && n <= HEADER_IDEM_KEY_MAX && visible == n));
}

/* JSON is "application/json" in any case, then the end or parameters after optional blanks. */
static void is_json(const char *v)
{
	bool form = false;
	if (strlen(v) >= 16 && strncasecmp(v, "application/json", 16) == 0) {
		const char *rest = v + 16 + strspn(v + 16, " \t");
		form = *rest == '\0' || *rest == ';';
	}
	require(header_is_json(v) == form);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0'; /* libevent hands us C strings: an embedded NUL ends the value */
	bearer(v);
	idempotency_key(v);
	is_json(v);
	free(v);
	return 0;
}
