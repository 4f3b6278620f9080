/* partner.c - reading and validating a partner: a collection agency or a bailiff. */
#include "partner.h"
#include "caldate.h"

#include <stdio.h>
#include <string.h>

#define DESCRIBE_MAX 48

/* Describes a value, or a too-long string by its length. */
static void describe(const json_t *v, size_t max, char *out, size_t size)
{
	if (json_is_string(v) && json_string_length(v) > max)
		snprintf(out, size, "a string of %zu bytes", json_string_length(v));
	else
		contract_json_describe(v, out, size);
}

/* kind: "agency" or "bailiff". */
static bool read_kind(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_string(v) && partner_kind_parse(json_string_value(v), dst))
		return true;
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be \"agency\" or \"bailiff\", got %s", d);
	return false;
}

/* True when s is 1..max characters of letters, digits, '-', '.' or '/'. */
static bool wki_number_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '/'))
			return false;
	}
	return true;
}

/* wki_registration.number: the number in the WKI register (Justis). */
static bool read_wki_number(const json_t *v, const char *at, void *dst,
                            struct contract_errors *errs)
{
	const size_t max = sizeof(((struct partner *)0)->wki_number) - 1;
	char d[DESCRIBE_MAX];

	if (json_is_string(v) &&
	    wki_number_valid(json_string_value(v), json_string_length(v), max)) {
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
		return true;
	}
	describe(v, max, d, sizeof d);
	contract_errors_add(
	    errs, at, "must be 1 to %zu letters, digits, '-', '.' or '/', got %s", max, d);
	return false;
}

/* wki_registration: {number, valid_until}, both required when it is present. */
static bool read_wki(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	struct partner *p = dst;
	const struct contract_field f[] = {
	    {"number", CFIELD_CUSTOM, true, p->wki_number, 0, 0, 0, read_wki_number, NULL},
	    {"valid_until", CFIELD_DATE, true, &p->wki_valid_until, 0, 0, 0, NULL, NULL},
	};

	p->has_wki = contract_fields_read(v, at, f, 2, errs) == 3u;
	return p->has_wki;
}

/* True when s is an http(s) URL with a host part and no spaces or controls. */
static bool url_valid(const char *s, size_t len, size_t max)
{
	size_t start;

	if (len > max || strlen(s) != len)
		return false;
	if (strncmp(s, "https://", 8) == 0)
		start = 8;
	else if (strncmp(s, "http://", 7) == 0)
		start = 7;
	else
		return false;
	if (len == start || s[start] == '/')
		return false;
	for (size_t i = start; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* webhook_url: where the gateway delivers handovers and decisions. */
static bool read_webhook(const json_t *v, const char *at, void *dst,
                         struct contract_errors *errs)
{
	const size_t max = sizeof(((struct partner *)0)->webhook_url) - 1;
	char d[DESCRIBE_MAX];

	if (json_is_string(v) && url_valid(json_string_value(v), json_string_length(v), max)) {
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
		return true;
	}
	describe(v, max, d, sizeof d);
	contract_errors_add(
	    errs, at,
	    "must be an http:// or https:// URL of at most %zu bytes without spaces, "
	    "got %s",
	    max, d);
	return false;
}

/* Reads and validates a partner document; see partner.h. */
bool partner_from_json(const json_t *doc, struct partner *out, struct contract_errors *errs)
{
	struct contract_errors scratch;
	const struct contract_field f[] = {
	    {"id", CFIELD_ID, true, out->id, 0, 0, 0, NULL, NULL},
	    {"kind", CFIELD_CUSTOM, true, &out->kind, 0, 0, 0, read_kind, NULL},
	    {"name", CFIELD_TEXT, true, out->name, sizeof out->name, 0, 0, NULL, NULL},
	    {"wki_registration", CFIELD_CUSTOM, false, out, 0, 0, 0, read_wki, NULL},
	    {"webhook_url", CFIELD_CUSTOM, false, out->webhook_url, 0, 0, 0, read_webhook,
	     NULL},
	};
	uint32_t ok;

	if (errs == NULL)
		errs = &scratch;
	contract_errors_init(errs);
	memset(out, 0, sizeof *out);
	out->wki_valid_until = CALDATE_NONE;
	ok = contract_fields_read(doc, "", f, (int)(sizeof f / sizeof f[0]), errs);
	if ((ok & 2u) && out->kind == PARTNER_BAILIFF &&
	    json_object_get(doc, "wki_registration") != NULL)
		contract_errors_add(
		    errs, "/wki_registration",
		    "must be absent for a bailiff: the WKI registers collection "
		    "agencies only");
	return errs->count == 0 && !errs->truncated;
}

/* The document form of a partner, which partner_from_json reads back. */
json_t *partner_to_json(const struct partner *p)
{
	char until[11];
	json_t *doc = json_pack("{s:s, s:s, s:s}", "id", p->id, "kind",
	                        partner_kind_name(p->kind), "name", p->name);

	if (doc != NULL && p->has_wki) {
		caldate_format(p->wki_valid_until, until);
		if (json_object_set_new(doc, "wki_registration",
		                        json_pack("{s:s, s:s}", "number", p->wki_number,
		                                  "valid_until", until)) != 0)
			goto fail;
	}
	if (doc != NULL && p->webhook_url[0] != '\0' &&
	    json_object_set_new(doc, "webhook_url", json_string(p->webhook_url)) != 0)
		goto fail;
	return doc;
fail:
	json_decref(doc);
	return NULL;
}

/* An agency's WKI registration covers the day (R12); a bailiff needs none. */
bool partner_registered_on(const struct partner *p, int32_t day)
{
	if (p->kind == PARTNER_BAILIFF)
		return true;
	return p->has_wki && day <= p->wki_valid_until;
}
