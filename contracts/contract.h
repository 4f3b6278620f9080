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

#endif
