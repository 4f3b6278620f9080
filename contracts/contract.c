/* contract.c - reading and validating a creditor-partner contract document. */
#include "contract.h"
#include "caldate.h"

#include <stdio.h>
#include <string.h>

#define POINTER_MAX sizeof(((struct contract_error *)0)->pointer)
#define DESCRIBE_MAX 48
#define CENTS_MAX INT64_C(9999999999999) /* < 10^13 cents: 100 billion euro */
#define SOURCE_004 "004_1ea786a807cbb0c5.txt"

/* A table of API names (actions, channels, fee models) read by index. */
struct name_set {
	const char *(*name)(int i);
	int count;
	const char *noun; /* "channel", for "must list at least one channel" */
	int min_items;    /* for arrays of names */
};

static const char *action_at(int i)
{
	return action_name((enum action)i);
}

static const char *channel_at(int i)
{
	return channel_name((enum channel)i);
}

static const char *fee_model_at(int i)
{
	return fee_model_name((enum fee_model)i);
}

static const struct name_set actions = {action_at, ACTION__COUNT, "action", 0};
static const struct name_set channels = {channel_at, CHANNEL__COUNT, "channel", 1};
/* no_cure_no_pay, the last fee model, is left out: it is refused by name (R02). */
static const struct name_set fee_models = {fee_model_at, FEE_NO_CURE_NO_PAY, "fee model", 1};

/* "a, b, c": the names of a set, for a message. */
static void names_list(const struct name_set *set, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < set->count && n < size; i++) {
		int w = snprintf(out + n, size - n, "%s%s", i ? ", " : "", set->name(i));

		if (w < 0)
			return;
		n += (size_t)w;
	}
}

/* Reads one name of the set; its index, or -1 after reporting the error. */
static int read_name(const json_t *v, const char *at, const struct name_set *set,
                     struct contract_errors *errs)
{
	char list[160], d[DESCRIBE_MAX];

	for (int i = 0; json_is_string(v) && i < set->count; i++) {
		if (strcmp(json_string_value(v), set->name(i)) == 0)
			return i;
	}
	names_list(set, list, sizeof list);
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be one of %s, got %s", list, d);
	return -1;
}

/* Reports an array that is not one, and returns false. */
static bool want_array(const json_t *v, const char *at, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_array(v))
		return true;
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be an array, got %s", d);
	return false;
}

/* Reads an array of distinct names of the set into a bit mask. */
static bool read_name_set(const json_t *v, const char *at, const struct name_set *set,
                          uint32_t *mask, struct contract_errors *errs)
{
	char p[POINTER_MAX];
	int first[32] = {0}, before = errs->count;
	uint32_t seen = 0;

	if (!want_array(v, at, errs))
		return false;
	for (size_t i = 0; i < json_array_size(v); i++) {
		int k;

		snprintf(p, sizeof p, "%s/%zu", at, i);
		k = read_name(json_array_get(v, i), p, set, errs);
		if (k >= 0 && (seen & (1u << k)))
			contract_errors_add(errs, p,
			                    "repeats \"%s\", already listed at index %d",
			                    set->name(k), first[k]);
		else if (k >= 0)
			first[k] = (int)i;
		if (k >= 0)
			seen |= 1u << k;
	}
	if (json_array_size(v) < (size_t)set->min_items)
		contract_errors_add(errs, at, "must list at least one %s", set->noun);
	if (errs->count != before)
		return false;
	*mask = seen;
	return true;
}

/* fee_model: one of the fee models, never no_cure_no_pay (R02). */
static bool read_fee_model(const json_t *v, const char *at, void *dst,
                           struct contract_errors *errs)
{
	int k;

	if (json_is_string(v) && strcmp(json_string_value(v), "no_cure_no_pay") == 0) {
		contract_errors_add(errs, at,
		                    "no_cure_no_pay is refused by rule R02 \"no no-cure-no-pay "
		                    "contracts\" (source " SOURCE_004 ")");
		return false;
	}
	k = read_name(v, at, &fee_models, errs);
	if (k < 0)
		return false;
	*(enum fee_model *)dst = (enum fee_model)k;
	return true;
}

/* allowed_actions: distinct action names. */
static bool read_actions(const json_t *v, const char *at, void *dst,
                         struct contract_errors *errs)
{
	return read_name_set(v, at, &actions, dst, errs);
}

/* channels: at least one distinct channel name. */
static bool read_channels(const json_t *v, const char *at, void *dst,
                          struct contract_errors *errs)
{
	return read_name_set(v, at, &channels, dst, errs);
}

/* personal_contact_before_summons: each member defaults as in DESIGN.md. */
static bool read_contact(const json_t *v, const char *at, void *dst,
                         struct contract_errors *errs)
{
	struct contact_terms *c = dst;
	const struct contract_field f[] = {
	    {"required", CFIELD_BOOL, false, &c->required, 0, 0, 0, NULL, NULL},
	    {"channels", CFIELD_CUSTOM, false, &c->channels, 0, 0, 0, read_channels, NULL},
	    {"min_attempts", CFIELD_INT, false, &c->min_attempts, 0, 1, 20, NULL, NULL},
	    {"within_days", CFIELD_INT, false, &c->within_days, 0, 1, 365, NULL, NULL},
	};
	int n = (int)(sizeof f / sizeof f[0]);

	return contract_fields_read(v, at, f, n, errs) == (1u << n) - 1;
}

/* collection_costs.scale: only the statutory WIK scale. */
static bool read_scale(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_string(v) && strcmp(json_string_value(v), "wik") == 0)
		return true;
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(errs, at, "must be \"wik\" (the statutory WIK scale), got %s", d);
	return false;
}

/* collection_costs: {scale: "wik", vat: bool}, both optional. */
static bool read_costs(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	const struct contract_field f[] = {
	    {"scale", CFIELD_CUSTOM, false, NULL, 0, 0, 0, read_scale, NULL},
	    {"vat", CFIELD_BOOL, false, dst, 0, 0, 0, NULL, NULL},
	};

	return contract_fields_read(v, at, f, 2, errs) == 3u;
}

/* judicial_cost_ratio_max: a number 0..100 with at most 3 decimals, as milli. */
static bool read_ratio(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	char d[DESCRIBE_MAX];

	if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 100) {
		double milli = json_number_value(v) * 1000.0;
		int32_t r = (int32_t)(milli + 0.5);

		if (milli - r < 1e-6 && r - milli < 1e-6) {
			*(int32_t *)dst = r;
			return true;
		}
	}
	contract_json_describe(v, d, sizeof d);
	contract_errors_add(
	    errs, at, "must be a number between 0 and 100 with at most 3 decimals, got %s", d);
	return false;
}

/* The index of an earlier element of the array equal to string s, or -1. */
static int earlier_string(const json_t *arr, size_t i, const char *s)
{
	for (size_t j = 0; j < i; j++) {
		const char *t = json_string_value(json_array_get(arr, j));

		if (t != NULL && strcmp(t, s) == 0)
			return (int)j;
	}
	return -1;
}

/* One template id at index i; stored when it fits and is new. */
static bool read_template(const json_t *arr, size_t i, const char *at, struct contract_terms *t,
                          struct contract_errors *errs)
{
	char p[POINTER_MAX], id[CONTRACT_ID_MAX];
	const struct contract_field f = {"", CFIELD_ID, true, id, 0, 0, 0, NULL, NULL};
	int dup;

	snprintf(p, sizeof p, "%s/%zu", at, i);
	if (!contract_value_read(json_array_get(arr, i), p, &f, errs))
		return false;
	dup = earlier_string(arr, i, id);
	if (dup >= 0) {
		contract_errors_add(errs, p, "repeats \"%s\", already listed at index %d", id,
		                    dup);
		return false;
	}
	if (t->n_templates < CONTRACT_TEMPLATES_MAX)
		memcpy(t->templates[t->n_templates++], id, sizeof id);
	return true;
}

/* approved_letter_templates: 1..CONTRACT_TEMPLATES_MAX distinct template ids. */
static bool read_templates(const json_t *v, const char *at, void *dst,
                           struct contract_errors *errs)
{
	struct contract_terms *t = dst;
	size_t n = json_array_size(v);
	bool ok = true;

	if (!want_array(v, at, errs))
		return false;
	if (n == 0)
		contract_errors_add(errs, at, "must list at least one template");
	if (n > CONTRACT_TEMPLATES_MAX)
		contract_errors_add(errs, at, "must list at most %d templates, got %zu",
		                    CONTRACT_TEMPLATES_MAX, n);
	t->n_templates = 0;
	for (size_t i = 0; i < n; i++)
		ok = read_template(v, i, at, t, errs) && ok;
	return ok && n >= 1 && n <= CONTRACT_TEMPLATES_MAX;
}

/* R01 in the contract itself: bank_seizure is listed only when it is allowed. */
static void check_bank_seizure(const json_t *terms, const char *at,
                               struct contract_errors *errs)
{
	const json_t *list = json_object_get(terms, "allowed_actions");
	char p[POINTER_MAX];

	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));

		if (s == NULL || strcmp(s, "bank_seizure") != 0)
			continue;
		snprintf(p, sizeof p, "%s/allowed_actions/%zu", at, i);
		contract_errors_add(
		    errs, p,
		    "bank_seizure needs bank_seizure_allowed true; rule R01 forbids "
		    "bank seizure by default (source " SOURCE_004 ")");
		return;
	}
}

/* The shortened amicable track cannot outlast the whole amicable phase. */
static void check_shortened(const json_t *terms, const char *at, const struct contract_terms *t,
                            struct contract_errors *errs)
{
	char p[POINTER_MAX];

	if (t->shortened_amicable_days <= t->max_duration_days)
		return;
	snprintf(p, sizeof p, "%s/shortened_amicable_days", at);
	contract_errors_add(
	    errs, p, "must not exceed max_duration_days (%d), got %s%d", t->max_duration_days,
	    json_object_get(terms, "shortened_amicable_days") ? "" : "the default of ",
	    t->shortened_amicable_days);
}

/* Bits of the terms table below, for the cross-field checks. */
#define TERMS_BANK_SEIZURE (1u << 2)
#define TERMS_DURATIONS ((1u << 4) | (1u << 5))

/* terms: every term of DESIGN.md, then the checks that span terms. */
static bool read_terms(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	struct contract_terms *t = dst;
	const struct contract_field f[] = {
	    {"fee_model", CFIELD_CUSTOM, true, &t->fee_model, 0, 0, 0, read_fee_model, NULL},
	    {"allowed_actions", CFIELD_CUSTOM, true, &t->allowed_actions, 0, 0, 0, read_actions,
	     NULL},
	    {"bank_seizure_allowed", CFIELD_BOOL, false, &t->bank_seizure_allowed, 0, 0, 0,
	     NULL, NULL},
	    {"personal_contact_before_summons", CFIELD_CUSTOM, false, &t->contact, 0, 0, 0,
	     read_contact, NULL},
	    {"max_duration_days", CFIELD_INT, true, &t->max_duration_days, 0, 1, 3650, NULL,
	     NULL},
	    {"shortened_amicable_days", CFIELD_INT, false, &t->shortened_amicable_days, 0, 1,
	     365, NULL, NULL},
	    {"collection_costs", CFIELD_CUSTOM, false, &t->costs_vat, 0, 0, 0, read_costs,
	     NULL},
	    {"summons_min_principal_cents", CFIELD_INT64, true, &t->summons_min_principal_cents,
	     0, 0, CENTS_MAX, NULL, NULL},
	    {"judicial_cost_ratio_max", CFIELD_CUSTOM, true, &t->judicial_cost_ratio_max_milli,
	     0, 0, 0, read_ratio, NULL},
	    {"approved_letter_templates", CFIELD_CUSTOM, true, t, 0, 0, 0, read_templates,
	     NULL},
	};
	int n = (int)(sizeof f / sizeof f[0]), before = errs->count;
	uint32_t ok = contract_fields_read(v, at, f, n, errs);

	if (!json_is_object(v))
		return false;
	if ((ok & TERMS_BANK_SEIZURE) && !t->bank_seizure_allowed)
		check_bank_seizure(v, at, errs);
	if ((ok & TERMS_DURATIONS) == TERMS_DURATIONS)
		check_shortened(v, at, t, errs);
	return errs->count == before;
}

/* The defaults of DESIGN.md, for every term a document may leave out. */
static void contract_defaults(struct contract *c)
{
	memset(c, 0, sizeof *c);
	c->valid_from = CALDATE_NONE;
	c->valid_to = CALDATE_NONE;
	c->terms.bank_seizure_allowed = false;
	c->terms.contact.required = true;
	c->terms.contact.channels = (1u << CHANNEL_PHONE) | (1u << CHANNEL_VISIT);
	c->terms.contact.min_attempts = 1;
	c->terms.contact.within_days = 90;
	c->terms.shortened_amicable_days = 14;
	c->terms.costs_vat = false;
}

/* valid_to, when set, is not before valid_from (both inclusive). */
static void check_window(const struct contract *c, struct contract_errors *errs)
{
	char from[11], to[11];

	if (c->valid_to == CALDATE_NONE || c->valid_to >= c->valid_from)
		return;
	caldate_format(c->valid_from, from);
	caldate_format(c->valid_to, to);
	contract_errors_add(errs, "/valid_to", "must not be before valid_from (%s), got %s",
	                    from, to);
}

/* Reads and validates a contract document; see contract.h. */
bool contract_from_json(const json_t *doc, struct contract *out, struct contract_errors *errs)
{
	struct contract_errors scratch;
	const struct contract_field f[] = {
	    {"id", CFIELD_ID, true, out->id, 0, 0, 0, NULL, NULL},
	    {"partner_id", CFIELD_ID, true, out->partner_id, 0, 0, 0, NULL, NULL},
	    {"version", CFIELD_INT, true, &out->version, 0, 1, 1000000, NULL, NULL},
	    {"valid_from", CFIELD_DATE, true, &out->valid_from, 0, 0, 0, NULL, NULL},
	    {"valid_to", CFIELD_DATE_OR_NULL, false, &out->valid_to, 0, 0, 0, NULL, NULL},
	    {"terms", CFIELD_CUSTOM, true, &out->terms, 0, 0, 0, read_terms, NULL},
	};
	uint32_t ok;

	if (errs == NULL)
		errs = &scratch;
	contract_errors_init(errs);
	contract_defaults(out);
	ok = contract_fields_read(doc, "", f, (int)(sizeof f / sizeof f[0]), errs);
	if ((ok & (1u << 3)) && (ok & (1u << 4)))
		check_window(out, errs);
	return errs->count == 0 && !errs->truncated;
}

/* Parses JSON text (duplicate keys refused) and reads it as a contract. */
bool contract_parse(const char *text, size_t len, struct contract *out,
                    struct contract_errors *errs)
{
	struct contract_errors scratch;
	json_error_t jerr;
	json_t *doc;
	bool ok;

	if (errs == NULL)
		errs = &scratch;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		contract_defaults(out);
		contract_errors_init(errs);
		contract_errors_add(errs, "", "is not valid JSON: %s (line %d, column %d)",
		                    jerr.text, jerr.line, jerr.column);
		return false;
	}
	ok = contract_from_json(doc, out, errs);
	json_decref(doc);
	return ok;
}

/* The names of the bits set in mask, as a JSON array; NULL when out of memory. */
static json_t *names_to_json(uint32_t mask, const struct name_set *set)
{
	json_t *arr = json_array();

	for (int i = 0; arr != NULL && i < set->count; i++) {
		if ((mask & (1u << i)) &&
		    json_array_append_new(arr, json_string(set->name(i))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* approved_letter_templates as a JSON array; NULL when out of memory. */
static json_t *templates_to_json(const struct contract_terms *t)
{
	json_t *arr = json_array();

	for (int i = 0; arr != NULL && i < t->n_templates; i++) {
		if (json_array_append_new(arr, json_string(t->templates[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The terms object, every term written out, defaults included. */
static json_t *terms_to_json(const struct contract_terms *t)
{
	return json_pack(
	    "{s:s, s:o, s:b, s:{s:b, s:o, s:i, s:i}, s:i, s:i, s:{s:s, s:b}, "
	    "s:I, s:f, s:o}",
	    "fee_model", fee_model_name(t->fee_model), "allowed_actions",
	    names_to_json(t->allowed_actions, &actions), "bank_seizure_allowed",
	    t->bank_seizure_allowed, "personal_contact_before_summons", "required",
	    t->contact.required, "channels", names_to_json(t->contact.channels, &channels),
	    "min_attempts", t->contact.min_attempts, "within_days", t->contact.within_days,
	    "max_duration_days", t->max_duration_days, "shortened_amicable_days",
	    t->shortened_amicable_days, "collection_costs", "scale", "wik", "vat", t->costs_vat,
	    "summons_min_principal_cents", (json_int_t)t->summons_min_principal_cents,
	    "judicial_cost_ratio_max", t->judicial_cost_ratio_max_milli / 1000.0,
	    "approved_letter_templates", templates_to_json(t));
}

/* A date as a JSON string, or null for CALDATE_NONE. */
static json_t *date_to_json(int32_t day)
{
	char s[11];

	if (day == CALDATE_NONE)
		return json_null();
	caldate_format(day, s);
	return json_string(s);
}

/* The document form of a contract, which contract_from_json reads back. */
json_t *contract_to_json(const struct contract *c)
{
	return json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "id", c->id, "partner_id",
	                 c->partner_id, "version", c->version, "valid_from",
	                 date_to_json(c->valid_from), "valid_to", date_to_json(c->valid_to),
	                 "terms", terms_to_json(&c->terms));
}

/* True when the contract lists the action among its allowed actions. */
bool contract_allows_action(const struct contract *c, enum action a)
{
	if ((int)a < 0 || a >= ACTION__COUNT)
		return false;
	return (c->terms.allowed_actions & (1u << a)) != 0;
}

/* True when the letter template is one the creditor approved (R13). */
bool contract_template_approved(const struct contract *c, const char *tmpl)
{
	for (int i = 0; tmpl != NULL && i < c->terms.n_templates; i++) {
		if (strcmp(c->terms.templates[i], tmpl) == 0)
			return true;
	}
	return false;
}

/* True when the contract version is in force on that day (both ends inclusive). */
bool contract_in_force(const struct contract *c, int32_t day)
{
	if (day < c->valid_from)
		return false;
	return c->valid_to == CALDATE_NONE || day <= c->valid_to;
}
