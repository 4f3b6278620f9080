/* docread.c - reading JSON documents field by field, with (pointer, message) errors. */
#include "caldate.h"
#include "contract.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DESCRIBE_MAX 48    /* room for a described value, quotes and ellipsis included */
#define DESCRIBE_STRING 20 /* longer strings are cut, so a message stays one line */

/* Empties an error list. */
void contract_errors_init(struct contract_errors *errs)
{
	errs->count = 0;
	errs->truncated = false;
}

/* The length of the valid UTF-8 sequence at s (strict, as jansson), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : lo;
	hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : hi;
	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf) {
		if (s[i] < lo || s[i] > hi)
			return 0;
	}
	return n;
}

/*
 * Replaces every byte that is not part of valid UTF-8 by '?': a message may
 * quote a jansson syntax error or a cut string, and must still be JSON text.
 */
static void utf8_clean(char *s)
{
	while (*s != '\0') {
		size_t n = utf8_len((unsigned char *)s);

		if (n == 0)
			*s++ = '?';
		else
			s += n;
	}
}

/* Appends one error; a full list only remembers that more were found. */
void contract_errors_add(struct contract_errors *errs, const char *pointer, const char *fmt,
                         ...)
{
	struct contract_error *e;
	va_list ap;

	if (errs->count >= CONTRACT_ERRORS_MAX) {
		errs->truncated = true;
		return;
	}
	e = &errs->items[errs->count++];
	snprintf(e->pointer, sizeof e->pointer, "%s", pointer);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	utf8_clean(e->pointer);
	utf8_clean(e->message);
}

/* Appends {"pointer", "message"} to an array; false when out of memory. */
static bool errors_append(json_t *list, const char *pointer, const char *message)
{
	json_t *item = json_pack("{s:s, s:s}", "pointer", pointer, "message", message);

	return item != NULL && json_array_append_new(list, item) == 0;
}

/* The errors as the list of a 422 body; NULL when out of memory. */
json_t *contract_errors_to_json(const struct contract_errors *errs)
{
	json_t *list = json_array();

	if (list == NULL)
		return NULL;
	for (int i = 0; i < errs->count; i++) {
		if (!errors_append(list, errs->items[i].pointer, errs->items[i].message))
			goto fail;
	}
	if (errs->truncated &&
	    !errors_append(list, "", "more errors were found than could be reported"))
		goto fail;
	return list;
fail:
	json_decref(list);
	return NULL;
}

/* True when s has the form of an id: [a-z0-9][a-z0-9._-]{0,62}. */
bool contract_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONTRACT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* Writes a real so that it never reads as an integer: 120.0, not 120. */
static void describe_real(double x, char *out, size_t size)
{
	int n = snprintf(out, size, "%.15g", x);

	if (n > 0 && (size_t)n + 2 < size && strpbrk(out, ".eni") == NULL)
		memcpy(out + n, ".0", 3);
}

/* Describes a JSON value for a message: "\"abc\"", "12", "1.5", "null", "an array". */
void contract_json_describe(const json_t *v, char *out, size_t size)
{
	if (v == NULL) {
		snprintf(out, size, "nothing");
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int n = DESCRIBE_STRING;
		bool cut = strlen(s) > DESCRIBE_STRING;

		while (cut && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* cut before a whole UTF-8 character, never inside one */
		snprintf(out, size, "\"%.*s%s\"", n, s, cut ? "..." : "");
	} else if (json_is_integer(v)) {
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		describe_real(json_real_value(v), out, size);
	} else if (json_is_boolean(v)) {
		snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
	} else if (json_is_null(v)) {
		snprintf(out, size, "null");
	} else {
		snprintf(out, size, "%s", json_is_object(v) ? "an object" : "an array");
	}
}

/* Appends "/key" to a JSON pointer, escaping '~' and '/' (RFC 6901); cuts when full. */
void contract_pointer_join(char *out, size_t size, const char *base, const char *key)
{
	size_t n = 0;

	if (size == 0)
		return;
	for (const char *s = base; *s != '\0' && n + 1 < size; s++)
		out[n++] = *s;
	if (n + 1 < size)
		out[n++] = '/';
	for (const char *s = key; *s != '\0' && n + 2 < size; s++) {
		if (*s == '~' || *s == '/') {
			out[n++] = '~';
			out[n++] = *s == '~' ? '0' : '1';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

/* Describes a string by its length when it is too long to quote usefully. */
static void describe_sized(const json_t *v, size_t max, const char *unit, char *out,
                           size_t size)
{
	if (json_is_string(v) && json_string_length(v) > max)
		snprintf(out, size, "a string of %zu %s", json_string_length(v), unit);
	else
		contract_json_describe(v, out, size);
}

/* An id: [a-z0-9][a-z0-9._-]{0,62}. */
static bool read_id(const json_t *v, const char *at, char *dst, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_string(v) && json_string_length(v) == strlen(json_string_value(v)) &&
	    contract_id_valid(json_string_value(v))) {
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
		return true;
	}
	describe_sized(v, CONTRACT_ID_MAX - 1, "characters", d, sizeof d);
	contract_errors_add(errs, at,
	                    "must be an id of 1 to 63 characters a-z, 0-9, '.', '_' or '-', "
	                    "starting with a letter or digit, got %s",
	                    d);
	return false;
}

/* Free text of 1..size-1 bytes, without NUL characters. */
static bool read_text(const json_t *v, const char *at, char *dst, size_t size,
                      struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];
	size_t n = json_string_length(v);

	if (json_is_string(v) && n == strlen(json_string_value(v)) && n >= 1 && n < size) {
		memcpy(dst, json_string_value(v), n + 1);
		return true;
	}
	if (json_is_string(v) && n != strlen(json_string_value(v))) {
		contract_errors_add(errs, at, "must not contain a NUL character");
		return false;
	}
	describe_sized(v, size - 1, "bytes", d, sizeof d);
	contract_errors_add(errs, at, "must be a string of 1 to %zu bytes, got %s", size - 1,
	                    d);
	return false;
}

/* An integer within the field's bounds, stored as int or int64_t. */
static bool read_integer(const json_t *v, const char *at, const struct contract_field *f,
                         struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_integer(v) && json_integer_value(v) >= f->min &&
	    json_integer_value(v) <= f->max) {
		if (f->kind == CFIELD_INT)
			*(int *)f->dst = (int)json_integer_value(v);
		else
			*(int64_t *)f->dst = (int64_t)json_integer_value(v);
		return true;
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at,
	                    "must be an integer between %" PRId64 " and %" PRId64 ", got %s",
	                    f->min, f->max, d);
	return false;
}

/* true or false. */
static bool read_bool(const json_t *v, const char *at, bool *dst, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_boolean(v)) {
		*dst = json_is_true(v);
		return true;
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be true or false, got %s", d);
	return false;
}

/* A calendar date "YYYY-MM-DD", or (when null_ok) null for "no date". */
static bool read_date(const json_t *v, const char *at, int32_t *dst, bool null_ok,
                      struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];
	int32_t day;

	if (null_ok && json_is_null(v)) {
		*dst = CALDATE_NONE;
		return true;
	}
	if (json_is_string(v) && caldate_parse(json_string_value(v), &day)) {
		*dst = day;
		return true;
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be a date in the form YYYY-MM-DD%s, got %s",
	                    null_ok ? " or null" : "", d);
	return false;
}

/* Reads one value (a member, or an array element) by a field's kind. */
bool contract_value_read(const json_t *v, const char *at, const struct contract_field *f,
                         struct contract_errors *errs)
{
	switch (f->kind) {
	case CFIELD_ID:
		return read_id(v, at, f->dst, errs);
	case CFIELD_TEXT:
		return read_text(v, at, f->dst, f->size, errs);
	case CFIELD_INT:
	case CFIELD_INT64:
		return read_integer(v, at, f, errs);
	case CFIELD_BOOL:
		return read_bool(v, at, f->dst, errs);
	case CFIELD_DATE:
	case CFIELD_DATE_OR_NULL:
		return read_date(v, at, f->dst, f->kind == CFIELD_DATE_OR_NULL, errs);
	case CFIELD_CUSTOM:
		return f->read(v, at, f->dst, errs);
	}
	return false;
}

/* Reads one field of the table; an absent optional field keeps its default. */
static bool field_read(const json_t *obj, const char *at, const struct contract_field *f,
                       struct contract_errors *errs)
{
	char p[sizeof(((struct contract_error *)0)->pointer)];
	const json_t *v = json_object_get(obj, f->name);

	contract_pointer_join(p, sizeof p, at, f->name);
	if (v == NULL) {
		if (f->required)
			contract_errors_add(errs, p, "%s",
			                    f->missing ? f->missing : "is required");
		return !f->required;
	}
	return contract_value_read(v, p, f, errs);
}

/* True when the table has a field of that name. */
static bool field_known(const struct contract_field *fields, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(fields[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Reads an object's members by a table of fields; see contract.h. */
uint32_t contract_fields_read(const json_t *obj, const char *at,
                              const struct contract_field *fields, int n,
                              struct contract_errors *errs)
{
	char d[DESCRIBE_MAX], p[sizeof(((struct contract_error *)0)->pointer)];
	uint32_t ok = 0;

	if (!json_is_object(obj)) {
		contract_json_describe(obj, d, sizeof d);
		contract_errors_add(errs, at, "must be an object, got %s", d);
		return 0;
	}
	for (int i = 0; i < n && i < 32; i++) {
		if (field_read(obj, at, &fields[i], errs))
			ok |= 1u << i;
	}
	for (void *it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		const char *key = json_object_iter_key(it);

		if (!field_known(fields, n, key)) {
			contract_pointer_join(p, sizeof p, at, key);
			contract_errors_add(errs, p, "is not a known field");
		}
	}
	return ok;
}
