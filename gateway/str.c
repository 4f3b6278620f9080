/* str.c - bounded copies, decimal text without printf and a slot hash. */
#include "str.h"

#include <string.h>

size_t str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	size_t k = n < cap ? n : cap - 1;
	memcpy(dst, src, k);
	dst[k] = '\0';
	return n;
}

size_t str_add(char *dst, size_t cap, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (len < cap) {
		size_t k = n < cap - len ? n : cap - len - 1;
		memcpy(dst + len, src, k);
		dst[len + k] = '\0';
	}
	return len + n;
}

size_t str_join(char *dst, size_t cap, const char *const *parts, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len = str_add(dst, cap, len, parts[i]);
	return len;
}

void str_pad3(char out[4], int v)
{
	out[0] = (char)('0' + v / 100 % 10);
	out[1] = (char)('0' + v / 10 % 10);
	out[2] = (char)('0' + v % 10);
	out[3] = '\0';
}

size_t str_ll(char out[STR_LL_MAX], long long v)
{
	char tmp[STR_LL_MAX];
	size_t n = 0, len = 0;
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}

void str_hex64(char out[STR_HEX64_MAX], uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = STR_HEX64_MAX - 2; i >= 0; i--) {
		out[i] = digits[v & 15];
		v >>= 4;
	}
	out[STR_HEX64_MAX - 1] = '\0';
}

uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
