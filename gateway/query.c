/* query.c - a request's query string, read into typed values (pure). */
#include "query.h"

#include <event2/http.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caldate.h"

/* Copies s into dst (size n) as printable ASCII: other bytes become '?', a long name is cut. */
static void printable(char *dst, size_t n, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		dst[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	dst[i] = '\0';
}

bool query_fail(struct query_error *err, const char *parameter, const char *fmt, ...)
{
	va_list ap;
	printable(err->parameter, sizeof(err->parameter), parameter);
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return false;
}

/* "a, b or c" (joiner "or") into out; cut short, not overrun, when long. */
static const char *join(char *out, size_t n, const char *const *words, const char *joiner)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; words[i] && used < n; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] ? ", " : joiner;
		int w = snprintf(out + used, n - used, "%s%s", sep, words[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return out;
}

/* Index of name in known, or -1. */
static int known_index(const char *const *known, const char *name)
{
	for (int i = 0; known[i] && i < QUERY_KNOWN_MAX; i++)
		if (strcmp(known[i], name) == 0)
			return i;
	return -1;
}

/* Every name known and none twice. */
static bool names_ok(const struct query *q, const char *const *known, struct query_error *err)
{
	unsigned seen = 0;
	char list[QUERY_DETAIL_MAX / 2];
	for (const struct evkeyval *kv = q->kv.tqh_first; kv; kv = kv->next.tqe_next) {
		int i = known_index(known, kv->key);
		if (i < 0)
			return query_fail(err, kv->key, "unknown parameter; this call takes %s",
			                  known[0] ? join(list, sizeof(list), known, " and ")
			                           : "none");
		if (seen & (1u << i))
			return query_fail(err, kv->key, "%s is given more than once", known[i]);
		seen |= 1u << i;
	}
	return true;
}

bool query_parse(struct query *q, const char *raw, const char *const *known,
                 struct query_error *err)
{
	/* libevent initialises the list itself, also when it refuses the string */
	if (evhttp_parse_query_str(raw ? raw : "", &q->kv) != 0)
		return query_fail(err, "",
		                  "the query string is malformed (every piece is name=value)");
	if (raw && (strstr(raw, "%00") != NULL)) {
		query_cleanup(q);
		return query_fail(err, "", "the query string holds an encoded NUL (%%00)");
	}
	if (!names_ok(q, known, err)) {
		query_cleanup(q);
		return false;
	}
	return true;
}

void query_cleanup(struct query *q)
{
	evhttp_clear_headers(&q->kv);
}

const char *query_value(const struct query *q, const char *name)
{
	for (const struct evkeyval *kv = q->kv.tqh_first; kv; kv = kv->next.tqe_next)
		if (strcmp(kv->key, name) == 0)
			return kv->value;
	return NULL;
}

bool query_int(const struct query *q, const char *name, long long def, long long lo,
               long long hi, long long *out, struct query_error *err)
{
	const char *v = query_value(q, name);
	long long n = 0;
	*out = def;
	if (!v)
		return true;
	if (!*v)
		return query_fail(err, name, "%s is empty; give an integer from %lld to %lld",
		                  name, lo, hi);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return query_fail(
			    err, name,
			    "%s must be an integer from %lld to %lld, in digits only", name, lo,
			    hi);
		if (n > (LLONG_MAX - (*p - '0')) / 10)
			return query_fail(err, name,
			                  "%s is out of range: an integer from %lld to %lld",
			                  name, lo, hi);
		n = n * 10 + (*p - '0');
	}
	if (n < lo || n > hi)
		return query_fail(err, name, "%s is out of range: an integer from %lld to %lld",
		                  name, lo, hi);
	*out = n;
	return true;
}

bool query_date(const struct query *q, const char *name, int32_t *day, struct query_error *err)
{
	const char *v = query_value(q, name);
	if (!v)
		return query_fail(err, name, "%s is required (YYYY-MM-DD)", name);
	if (!*v)
		return query_fail(err, name, "%s is empty; give a date YYYY-MM-DD", name);
	if (!caldate_parse(v, day))
		return query_fail(err, name, "%s must be a date YYYY-MM-DD", name);
	return true;
}

bool query_enum(const struct query *q, const char *name, const char *const *values, int def,
                int *out, struct query_error *err)
{
	const char *v = query_value(q, name);
	char list[QUERY_DETAIL_MAX / 2];
	*out = def;
	if (!v)
		return true;
	for (int i = 0; values[i]; i++) {
		if (strcmp(values[i], v) == 0) {
			*out = i;
			return true;
		}
	}
	return query_fail(err, name, "%s %s %s", name, *v ? "must be" : "is empty; give",
	                  join(list, sizeof(list), values, " or "));
}

bool query_id(const struct query *q, const char *name, char out[static CONTRACT_ID_MAX],
              struct query_error *err)
{
	const char *v = query_value(q, name);
	out[0] = '\0';
	if (!v)
		return true;
	if (!*v)
		return query_fail(err, name, "%s is empty; give an id", name);
	if (!contract_id_valid(v))
		return query_fail(err, name,
		                  "%s must be an id: 1 to %d of a-z, 0-9, '.', '_', '-', "
		                  "starting with a letter or digit",
		                  name, CONTRACT_ID_MAX - 1);
	memcpy(out, v, strlen(v) + 1);
	return true;
}

bool query_text(const struct query *q, const char *name, char *out, size_t size,
                struct query_error *err)
{
	const char *v = query_value(q, name);
	size_t n = v ? strlen(v) : 0;
	out[0] = '\0';
	if (!v)
		return true;
	if (n == 0)
		return query_fail(err, name, "%s is empty", name);
	if (n >= size)
		return query_fail(err, name, "%s is longer than %zu characters", name,
		                  size - 1);
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return query_fail(
			    err, name, "%s must be visible ASCII characters (no spaces)", name);
	memcpy(out, v, n + 1);
	return true;
}
