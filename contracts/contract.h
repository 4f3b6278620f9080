/* contract.h - the creditor-partner contract model: terms, versions, exceptions. */
#ifndef FAIRGATE_CONTRACT_H
#define FAIRGATE_CONTRACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define CONTRACT_ID_MAX 64        /* ids: [a-z0-9][a-z0-9._-]{0,62} */
#define CONTRACT_TEMPLATES_MAX 32 /* approved letter templates per contract */

enum action {
	ACTION_COLLECTION_COSTS,
	ACTION_TRANSFER_TO_BAILIFF,
	ACTION_SUMMONS,
	ACTION_WAGE_GARNISHMENT,
	ACTION_GOODS_SEIZURE,
	ACTION_BANK_SEIZURE,
	ACTION_EVICTION,
	ACTION_CREDIT_REGISTRATION,
	ACTION_EXTEND_DURATION,
	ACTION__COUNT
};

enum channel {
	CHANNEL_PHONE,
	CHANNEL_VISIT,
	CHANNEL_VIDEO,
	CHANNEL_EMAIL,
	CHANNEL_SMS,
	CHANNEL_LETTER,
	CHANNEL__COUNT
};

enum fee_model {
	FEE_FIXED_FEE,
	FEE_HOURLY,
	FEE_PER_ACTION,
	FEE_PERCENTAGE_WITH_BASE,
	FEE_NO_CURE_NO_PAY, /* parsed so it can be named in the refusal (R02) */
	FEE__COUNT
};

enum partner_kind {
	PARTNER_AGENCY,  /* incassobureau, WKI-registered */
	PARTNER_BAILIFF, /* gerechtsdeurwaarder */
	PARTNER__COUNT
};

/* Names as they appear in the API; NULL for an out-of-range value. */
const char *action_name(enum action a);
const char *channel_name(enum channel c);
const char *fee_model_name(enum fee_model f);
const char *partner_kind_name(enum partner_kind k);
/* Name to value; false when the name is unknown. */
bool action_parse(const char *s, enum action *out);
bool channel_parse(const char *s, enum channel *out);
bool fee_model_parse(const char *s, enum fee_model *out);
bool partner_kind_parse(const char *s, enum partner_kind *out);

struct contact_terms {
	bool required;
	uint32_t channels; /* bit (1u << CHANNEL_x) for each channel that counts */
	int min_attempts;
	int within_days;
};

struct contract_terms {
	enum fee_model fee_model;
	uint32_t allowed_actions; /* bit (1u << ACTION_x) */
	bool bank_seizure_allowed;
	struct contact_terms contact;
	int max_duration_days;
	int shortened_amicable_days;
	bool costs_vat; /* VAT on top of WIK costs: creditor cannot deduct it */
	int64_t summons_min_principal_cents;
	int32_t judicial_cost_ratio_max_milli; /* 1.0 is 1000 */
	int n_templates;
	char templates[CONTRACT_TEMPLATES_MAX][CONTRACT_ID_MAX];
};

struct contract {
	char id[CONTRACT_ID_MAX];
	char partner_id[CONTRACT_ID_MAX];
	char creditor_id[CONTRACT_ID_MAX]; /* set by the gateway, not the document */
	int version;
	int32_t valid_from; /* caldate */
	int32_t valid_to;   /* caldate, or CALDATE_NONE */
	struct contract_terms terms;
};

/* One validation error: where (RFC 6901 JSON pointer) and why. */
struct contract_error {
	char pointer[128];
	char message[192];
};

#define CONTRACT_ERRORS_MAX 64
struct contract_errors {
	int count;
	bool truncated; /* more errors than fit */
	struct contract_error items[CONTRACT_ERRORS_MAX];
};

/*
 * Reads and validates a contract document (the JSON of DESIGN.md).
 * Returns true with *out filled, or false with every error found in *errs.
 */
bool contract_from_json(const json_t *doc, struct contract *out,
			struct contract_errors *errs);
/* The same from text; a JSON syntax error is one error at pointer "". */
bool contract_parse(const char *text, size_t len, struct contract *out,
		    struct contract_errors *errs);
/* The document form of a contract (new reference; caller decrefs). */
json_t *contract_to_json(const struct contract *c);

bool contract_allows_action(const struct contract *c, enum action a);
bool contract_template_approved(const struct contract *c, const char *tmpl);
/* True when the contract version is in force on that day. */
bool contract_in_force(const struct contract *c, int32_t day);

/* Empties an error list. */
void contract_errors_init(struct contract_errors *errs);
/*
 * Appends one error at a JSON pointer, with a printf-style message; when the
 * list is full it sets truncated instead.
 */
void contract_errors_add(struct contract_errors *errs, const char *pointer, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));
/*
 * The errors as the body of a 422: [{"pointer": "/terms/max_duration_days",
 * "message": "..."}], with a last entry at "" when the list was truncated.
 * New reference, or NULL when out of memory.
 */
json_t *contract_errors_to_json(const struct contract_errors *errs)
    __attribute__((warn_unused_result));

/*
 * Reading documents field by field. Used by the contract, partner and
 * exception readers, and usable for any JSON body that reports its errors
 * as (pointer, message). A table names every member an object may have;
 * any other member is reported as unknown.
 */
enum contract_field_kind {
	CFIELD_ID,           /* string of the id form; dst is char[CONTRACT_ID_MAX] */
	CFIELD_TEXT,         /* string of 1..size-1 bytes; dst is char[size] */
	CFIELD_INT,          /* integer in [min, max]; dst is int */
	CFIELD_INT64,        /* integer in [min, max]; dst is int64_t */
	CFIELD_BOOL,         /* true or false; dst is bool */
	CFIELD_DATE,         /* "YYYY-MM-DD"; dst is int32_t (caldate) */
	CFIELD_DATE_OR_NULL, /* the same, or null: CALDATE_NONE */
	CFIELD_CUSTOM,       /* read by the read callback */
};

/* Reads one member value found at pointer `at`; false when it added errors. */
typedef bool (*contract_field_fn)(const json_t *v, const char *at, void *dst,
                                  struct contract_errors *errs);

struct contract_field {
	const char *name;
	enum contract_field_kind kind;
	bool required;
	void *dst;              /* written only when the value is valid */
	size_t size;            /* CFIELD_TEXT: size of the buffer at dst */
	int64_t min, max;       /* CFIELD_INT, CFIELD_INT64: inclusive bounds */
	contract_field_fn read; /* CFIELD_CUSTOM */
	const char *missing;    /* message for an absent required member; NULL: "is required" */
};

/*
 * Reads the members of the object `obj` (found at pointer `at`, "" for the
 * root) by a table of at most 32 fields. Returns a bit mask with bit i set
 * when field i is valid, or optional and absent (its default stands):
 * callers use it to run cross-field checks only on values that were read.
 */
uint32_t contract_fields_read(const json_t *obj, const char *at,
                              const struct contract_field *fields, int n,
                              struct contract_errors *errs);
/* Reads one value (a member, or an array element) at pointer `at` by a field's kind. */
bool contract_value_read(const json_t *v, const char *at, const struct contract_field *f,
                         struct contract_errors *errs);
/* True when s has the form of an id: [a-z0-9][a-z0-9._-]{0,62}. */
bool contract_id_valid(const char *s);
/* Describes a JSON value for a message: "\"abc\"", "12", "1.5", "null", "an array". */
void contract_json_describe(const json_t *v, char *out, size_t size);
/* Appends "/key" to a JSON pointer, escaping '~' and '/' (RFC 6901). */
void contract_pointer_join(char *out, size_t size, const char *base, const char *key);

#endif
