/* json_fast.c - JSON text into a jansson tree, several times faster than json_loads. */
#include "json_fast.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/*
 * One pass over the text with a pointer: no stream, no byte-at-a-time buffer.
 * A string without escapes is handed to jansson straight from the text; one
 * with escapes is decoded into buf first. The text's NUL ends it: every test
 * below fails on it, so nothing reads past the end.
 */
struct jf {
	const unsigned char *p;
	int depth;   /* values open, as jansson counts them (JSON_PARSER_MAX_DEPTH) */
	char *buf;   /* decoded strings */
	size_t cap;
};

static json_t *value(struct jf *j);

static void skip_ws(struct jf *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the UTF-8 sequence at s, or 0 when it is not one jansson accepts
 * (no overlong forms, no surrogates, nothing above U+10FFFF). s[0] >= 0x80. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also the text's NUL */
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static bool hex4(const unsigned char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i]; /* stops at the NUL: it is no digit */
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

static void buf_put(struct jf *j, size_t *used, const void *s, size_t n)
{
	if (!n)
		return;
	if (*used + n > j->cap) {
		while (*used + n > j->cap)
			j->cap = j->cap ? 2 * j->cap : 256;
		j->buf = xrealloc(j->buf, j->cap);
	}
	memcpy(j->buf + *used, s, n);
	*used += n;
}

/* The escape at q (after its backslash) decoded into buf; q moved past it. */
static bool unescape(struct jf *j, const unsigned char **q, size_t *used)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const unsigned char *s = *q;
	const char *e = s[0] ? strchr(from, s[0]) : NULL;
	if (e) {
		buf_put(j, used, &to[e - from], 1);
		*q = s + 1;
		return true;
	}
	uint32_t cp, lo;
	if (s[0] != 'u' || !hex4(s + 1, &cp))
		return false;
	s += 5;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return false;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		s += 6;
	} else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
		return false; /* a lone low surrogate; NUL, which jansson refuses by default */
	}
	char u[4];
	buf_put(j, used, u, utf8_encode(cp, u));
	*q = s;
	return true;
}

/* The string at j->p ('"'): its bytes in the text when it has no escape, else in j->buf. */
static bool string(struct jf *j, const char **out, size_t *len)
{
	const unsigned char *s = j->p + 1, *q = s;
	size_t n, used = 0;
	for (;;) { /* the common case: no escape */
		if (*q == '"') {
			*out = (const char *)s;
			*len = (size_t)(q - s);
			j->p = q + 1;
			return true;
		}
		if (*q == '\\')
			break;
		if (*q < 0x20)
			return false; /* a control character, or the end of the text */
		if (*q < 0x80)
			q++;
		else if ((n = utf8_len(q)) != 0)
			q += n;
		else
			return false;
	}
	buf_put(j, &used, s, (size_t)(q - s));
	while (*q != '"') {
		if (*q == '\\') {
			q++;
			if (!unescape(j, &q, &used))
				return false;
			continue;
		}
		if (*q < 0x20)
			return false;
		n = *q < 0x80 ? 1 : utf8_len(q);
		if (!n)
			return false;
		buf_put(j, &used, q, n);
		q += n;
	}
	*out = used ? j->buf : "";
	*len = used;
	j->p = q + 1;
	return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer without fraction and exponent */
static json_t *number(struct jf *j)
{
	const unsigned char *s = j->p, *q = s;
	bool real = false;
	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (is_digit(*q))
			q++;
	else
		return NULL;
	if (*q == '.') {
		real = true;
		if (!is_digit(*++q))
			return NULL;
		while (is_digit(*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		real = true;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!is_digit(*q))
			return NULL;
		while (is_digit(*q))
			q++;
	}
	char *end;
	errno = 0;
	j->p = q;
	if (!real) {
		long long v = strtoll((const char *)s, &end, 10);
		if (errno == ERANGE || end != (const char *)q)
			return NULL; /* beyond json_int_t, as jansson */
		return json_integer((json_int_t)v);
	}
	double d = strtod((const char *)s, &end);
	if (end != (const char *)q || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
		return NULL; /* overflow; underflow is kept, as jansson keeps it */
	return json_real(d);
}

static json_t *literal(struct jf *j, const char *word, json_t *v)
{
	size_t n = strlen(word);
	if (strncmp((const char *)j->p, word, n) != 0)
		return NULL;
	j->p += n;
	return v;
}

static json_t *array(struct jf *j)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	j->p++;
	skip_ws(j);
	if (*j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		json_t *v = value(j);
		if (!v || json_array_append_new(a, v))
			break;
		skip_ws(j);
		if (*j->p == ']') {
			j->p++;
			return a;
		}
		if (*j->p++ != ',')
			break;
	}
	json_decref(a);
	return NULL;
}

static json_t *object(struct jf *j)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	j->p++;
	skip_ws(j);
	if (*j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		const char *key;
		char *copy = NULL;
		size_t len;
		skip_ws(j);
		if (*j->p != '"' || !string(j, &key, &len))
			break;
		if (len && key == j->buf) /* decoded: the value's strings reuse buf */
			key = copy = xstrndup(key, len);
		skip_ws(j);
		json_t *v = NULL;
		if (*j->p == ':' && !json_object_getn(o, key, len)) {
			j->p++;
			v = value(j);
		}
		int rc = v ? json_object_setn_new_nocheck(o, key, len, v) : -1;
		free(copy);
		if (rc)
			break;
		skip_ws(j);
		if (*j->p == '}') {
			j->p++;
			return o;
		}
		if (*j->p++ != ',')
			break;
	}
	json_decref(o);
	return NULL;
}

static json_t *value(struct jf *j)
{
	json_t *v = NULL;
	if (++j->depth > JSON_PARSER_MAX_DEPTH)
		return NULL;
	skip_ws(j);
	switch (*j->p) {
	case '{':
		v = object(j);
		break;
	case '[':
		v = array(j);
		break;
	case '"': {
		const char *s;
		size_t n;
		if (string(j, &s, &n))
			v = json_stringn_nocheck(s, n);
		break;
	}
	case 't':
		v = literal(j, "true", json_true());
		break;
	case 'f':
		v = literal(j, "false", json_false());
		break;
	case 'n':
		v = literal(j, "null", json_null());
		break;
	default:
		if (*j->p == '-' || is_digit(*j->p))
			v = number(j);
	}
	j->depth--;
	return v;
}

json_t *json_fast_loads(const char *text)
{
	struct jf j = {(const unsigned char *)text, 0, NULL, 0};
	json_t *v = NULL;
	skip_ws(&j);
	if (*j.p == '[' || *j.p == '{')
		v = value(&j);
	if (v) {
		skip_ws(&j);
		if (*j.p) { /* something after the value */
			json_decref(v);
			v = NULL;
		}
	}
	free(j.buf);
	return v;
}

json_t *json_fast_loadb(const char *text, size_t len)
{
	if (memchr(text, '\0', len))
		return NULL; /* json_loadb refuses it; json_fast_loads would stop there */
	char *copy = xstrndup(text, len);
	json_t *v = json_fast_loads(copy);
	free(copy);
	return v;
}

static void file_error(json_error_t *err, const char *path, int line, int column, size_t position,
		       const char *why)
{
	memset(err, 0, sizeof(*err));
	err->line = line;
	err->column = column;
	err->position = (int)position;
	snprintf(err->source, sizeof(err->source), "%s", path);
	snprintf(err->text, sizeof(err->text), "%s", why);
}

json_t *json_fast_load_file(const char *path, json_error_t *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		file_error(err, path, -1, -1, 0, strerror(errno));
		return NULL;
	}
	size_t n = 0, cap = 4096;
	char *buf = xmalloc(cap);
	size_t k;
	while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	json_t *v = NULL;
	const char *nul = failed ? NULL : memchr(buf, '\0', n);
	if (failed) {
		file_error(err, path, -1, -1, 0, "read error");
	} else if (nul) {
		int line = 1, column = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n', column = *p == '\n' ? 1 : column + 1;
		file_error(err, path, line, column, (size_t)(nul - buf), "a NUL byte, which JSON never holds");
	} else if (!(v = json_fast_loadb(buf, n))) {
		v = json_loadb(buf, n, JSON_REJECT_DUPLICATES, err);
	}
	free(buf);
	return v;
}
