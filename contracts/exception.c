/* exception.c - a creditor's written, time-bound waiver of one rule of one contract. */
#include "exception.h"
#include "caldate.h"

#include <stdio.h>
#include <string.h>

#define DESCRIBE_MAX 48
#define SOURCE_002 "seed 002_ab97219eb29f6ea7.txt, section 1.4"

/* The contract terms an exception may name as its clause. */
static const char *const terms[] = {
    "fee_model",
    "allowed_actions",
    "bank_seizure_allowed",
    "personal_contact_before_summons",
    "max_duration_days",
    "shortened_amicable_days",
    "collection_costs",
    "summons_min_principal_cents",
    "judicial_cost_ratio_max",
    "approved_letter_templates",
};

/* rule: "R01".."R18", the rule ids of DESIGN.md's catalogue. */
static bool read_rule(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	const char *s = json_string_value(v);
	char d[DESCRIBE_MAX];

	if (s != NULL && strlen(s) == 3 && json_string_length(v) == 3 && s[0] == 'R' &&
	    s[1] >= '0' && s[1] <= '1' && s[2] >= '0' && s[2] <= '9') {
		int n = (s[1] - '0') * 10 + (s[2] - '0');

		if (n >= 1 && n <= 18) {
			memcpy(dst, s, 4);
			return true;
		}
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be a rule id from R01 to R18, got %s", d);
	return false;
}

/* clause: the name of the contract term the exception waives. */
static bool read_clause(const json_t *v, const char *at, void *dst,
                        struct contract_errors *errs)
{
	const char *s = json_string_value(v);
	char d[DESCRIBE_MAX];

	for (size_t i = 0; s != NULL && i < sizeof terms / sizeof terms[0]; i++) {
		if (strcmp(s, terms[i]) == 0 && strlen(s) == json_string_length(v)) {
			memcpy(dst, s, strlen(s) + 1);
			return true;
		}
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at,
	                    "must name a contract term such as max_duration_days, got %s", d);
	return false;
}

/* valid_until: a date; null is not allowed, an exception is time-bound. */
static bool read_until(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	const struct contract_field f = {"valid_until", CFIELD_DATE, true, dst, 0, 0, 0,
	                                 NULL,          NULL};

	if (json_is_null(v)) {
		contract_errors_add(errs, at,
		                    "is required: an exception is time-bound (" SOURCE_002 ")");
		return false;
	}
	return contract_value_read(v, at, &f, errs);
}

/* valid_until, inclusive, is not before valid_from. */
static void check_window(const struct contract_exception *e, struct contract_errors *errs)
{
	char from[11], until[11];

	if (e->valid_until >= e->valid_from)
		return;
	caldate_format(e->valid_from, from);
	caldate_format(e->valid_until, until);
	contract_errors_add(errs, "/valid_until", "must not be before valid_from (%s), got %s",
	                    from, until);
}

/* Bits of the table in exception_from_json, for the window check. */
#define EXC_WINDOW ((1u << 9) | (1u << 10))

/* Reads and validates an exception document; see exception.h. */
bool exception_from_json(const json_t *doc, struct contract_exception *out,
                         struct contract_errors *errs)
{
	struct contract_errors scratch;
	const struct contract_field f[] = {
	    {"id", CFIELD_ID, true, out->id, 0, 0, 0, NULL, NULL},
	    {"version", CFIELD_INT, true, &out->version, 0, 1, 1000000, NULL, NULL},
	    {"contract_id", CFIELD_ID, true, out->contract_id, 0, 0, 0, NULL, NULL},
	    {"partner_id", CFIELD_ID, true, out->partner_id, 0, 0, 0, NULL, NULL},
	    {"rule", CFIELD_CUSTOM, true, out->rule, 0, 0, 0, read_rule, NULL},
	    {"clause", CFIELD_CUSTOM, false, out->clause, 0, 0, 0, read_clause, NULL},
	    {"reason", CFIELD_TEXT, true, out->reason, sizeof out->reason, 0, 0, NULL, NULL},
	    {"scope", CFIELD_TEXT, false, out->scope, sizeof out->scope, 0, 0, NULL, NULL},
	    {"decided_by", CFIELD_TEXT, true, out->decided_by, sizeof out->decided_by, 0, 0,
	     NULL, NULL},
	    {"valid_from", CFIELD_DATE, true, &out->valid_from, 0, 0, 0, NULL, NULL},
	    {"valid_until", CFIELD_CUSTOM, true, &out->valid_until, 0, 0, 0, read_until,
	     "is required: an exception is time-bound (" SOURCE_002 ")"},
	};
	uint32_t ok;

	if (errs == NULL)
		errs = &scratch;
	contract_errors_init(errs);
	memset(out, 0, sizeof *out);
	ok = contract_fields_read(doc, "", f, (int)(sizeof f / sizeof f[0]), errs);
	if ((ok & EXC_WINDOW) == EXC_WINDOW)
		check_window(out, errs);
	return errs->count == 0 && !errs->truncated;
}

/* Sets key to a string unless it is empty; false when out of memory. */
static bool set_optional(json_t *doc, const char *key, const char *s)
{
	return s[0] == '\0' || json_object_set_new(doc, key, json_string(s)) == 0;
}

/* The document form of an exception, which exception_from_json reads back. */
json_t *exception_to_json(const struct contract_exception *e)
{
	char from[11], until[11];
	json_t *doc;

	caldate_format(e->valid_from, from);
	caldate_format(e->valid_until, until);
	doc = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", e->id, "version",
	                e->version, "contract_id", e->contract_id, "partner_id", e->partner_id,
	                "rule", e->rule, "reason", e->reason, "decided_by", e->decided_by,
	                "valid_from", from, "valid_until", until);
	if (doc != NULL && (!set_optional(doc, "clause", e->clause) ||
	                    !set_optional(doc, "scope", e->scope))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* True when the exception applies on that day (both ends inclusive). */
bool exception_in_force(const struct contract_exception *e, int32_t day)
{
	return day >= e->valid_from && day <= e->valid_until;
}
