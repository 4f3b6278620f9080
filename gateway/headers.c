/* headers.c - the request headers the gateway reads, checked (pure: libc only). */
#include "headers.h"

#include <string.h>
#include <strings.h>

#define BEARER "Bearer "
#define JSON_TYPE "application/json"

static bool lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool header_bearer(const char *value, const char **token)
{
	const size_t skip = sizeof(BEARER) - 1, prefix = sizeof(HEADER_TOKEN_PREFIX) - 1;
	*token = NULL;
	if (!value || strncmp(value, BEARER, skip) != 0)
		return false;
	const char *t = value + skip;
	if (strlen(t) != HEADER_TOKEN_LEN || strncmp(t, HEADER_TOKEN_PREFIX, prefix) != 0)
		return false;
	for (size_t i = prefix; i < HEADER_TOKEN_LEN; i++)
		if (!lower_hex(t[i]))
			return false;
	*token = t;
	return true;
}

bool header_idempotency_key(const char *value)
{
	size_t n = value ? strlen(value) : 0;
	if (n == 0 || n > HEADER_IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (value[i] < 0x21 || value[i] > 0x7e)
			return false;
	return true;
}

bool header_is_json(const char *value)
{
	const size_t n = sizeof(JSON_TYPE) - 1;
	if (!value || strncasecmp(value, JSON_TYPE, n) != 0)
		return false;
	const char *p = value + n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}
