/* input.c - strict readers for the request bodies of dossiers, facts and escalations. */
#include "input.h"

#include <string.h>

#include "caldate.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* A member of a field table (contract.h), named so the rest stays zero. */
#define FIELD(n, k, req, d) .name = (n), .kind = (k), .required = (req), .dst = (d)
#define CENTS_MAX 100000000000000LL /* EUR 1,000,000,000,000: beyond any real claim */

static bool read_timestamp(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	int64_t t;
	if (!json_is_string(v) || !timestamp_parse(json_string_value(v), &t)) {
		contract_errors_add(errs, at, "must be an RFC 3339 timestamp such as 2026-11-02T10:30:00+01:00");
		return false;
	}
	*(int64_t *)dst = t;
	return true;
}

/* A debtor reference is pseudonymous: letters, digits, '-' and '_', and not a BSN. */
static bool read_debtor_ref(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t n = s ? strlen(s) : 0, digits = 0;
	bool ok = s && n >= 4 && n < DEBTOR_REF_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_';
		digits += c >= '0' && c <= '9';
	}
	if (!ok) {
		contract_errors_add(errs, at, "must be a pseudonymous reference of 4 to 64 letters, digits, '-' or '_'");
		return false;
	}
	if (digits == n && (n == 8 || n == 9)) {
		contract_errors_add(errs, at, "looks like a BSN: send a pseudonymous reference, never a BSN");
		return false;
	}
	memcpy(dst, s, n + 1);
	return true;
}

static bool read_currency(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	if (!json_is_string(v) || strcmp(json_string_value(v), "EUR") != 0) {
		contract_errors_add(errs, at, "must be \"EUR\"");
		return false;
	}
	return true;
}

static bool read_phase(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	if (!json_is_string(v) || !phase_parse(json_string_value(v), dst)) {
		contract_errors_add(errs, at, "must be \"amicable\" or \"judicial\"");
		return false;
	}
	return true;
}

static bool read_flags(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	uint32_t flags = 0, bit;
	size_t i;
	json_t *item;
	char p[128];
	if (!json_is_array(v)) {
		contract_errors_add(errs, at, "must be an array of flag names");
		return false;
	}
	json_array_foreach(v, i, item) {
		snprintf(p, sizeof(p), "%s/%zu", at, i);
		if (!json_is_string(item) || !dossier_flag_parse(json_string_value(item), &bit)) {
			contract_errors_add(errs, p, "must be one of vulnerable, debt_help, dispute, financial_problems");
			return false;
		}
		if (flags & bit) {
			contract_errors_add(errs, p, "is listed twice");
			return false;
		}
		flags |= bit;
	}
	*(uint32_t *)dst = flags;
	return true;
}

json_t *flags_to_json(uint32_t flags)
{
	json_t *a = json_array();
	for (uint32_t bit = 1; bit && bit <= DOSSIER_FLAG_FINANCIAL_PROBLEMS; bit <<= 1)
		if ((flags & bit) && dossier_flag_name(bit))
			json_array_append_new(a, json_string(dossier_flag_name(bit)));
	return a;
}

static void not_future(const char *at, int64_t t, int64_t now, struct contract_errors *errs)
{
	if (t > now + 60) /* a minute of clock skew */
		contract_errors_add(errs, at, "lies in the future");
}

bool handover_read(const json_t *body, int64_t now, struct handover *out,
		   struct contract_errors *errs)
{
	memset(out, 0, sizeof(*out));
	out->handed_over_at = now;
	const struct contract_field f[] = {
		{FIELD("id", CFIELD_ID, true, out->id)},
		{FIELD("partner_id", CFIELD_ID, true, out->partner_id)},
		{FIELD("contract_id", CFIELD_ID, true, out->contract_id)},
		{FIELD("debtor_ref", CFIELD_CUSTOM, true, out->debtor_ref), .read = read_debtor_ref},
		{FIELD("principal_cents", CFIELD_INT64, true, &out->principal_cents), .min = 1, .max = CENTS_MAX},
		{FIELD("currency", CFIELD_CUSTOM, true, NULL), .read = read_currency},
		{FIELD("due_date", CFIELD_DATE, true, &out->due_date)},
		{FIELD("phase", CFIELD_CUSTOM, true, &out->phase), .read = read_phase},
		{FIELD("shortened_amicable_track", CFIELD_BOOL, true, &out->shortened_track)},
		{FIELD("flags", CFIELD_CUSTOM, false, &out->flags), .read = read_flags},
		{FIELD("handed_over_at", CFIELD_CUSTOM, false, &out->handed_over_at), .read = read_timestamp},
	};
	contract_errors_init(errs);
	contract_fields_read(body, "", f, N(f), errs);
	out->has_handed_over_at = json_object_get(body, "handed_over_at") != NULL;
	if (errs->count == 0)
		not_future("/handed_over_at", out->handed_over_at, now, errs);
	return errs->count == 0;
}

static bool read_enum(const json_t *v, const char *at, bool (*parse)(const char *, void *),
		      void *dst, const char *allowed, struct contract_errors *errs)
{
	if (!json_is_string(v) || !parse(json_string_value(v), dst)) {
		contract_errors_add(errs, at, "must be one of %s", allowed);
		return false;
	}
	return true;
}

#define ENUM_READER(fn, parser, type, allowed)                                                   \
	static bool fn(const json_t *v, const char *at, void *dst, struct contract_errors *errs) \
	{                                                                                        \
		return read_enum(v, at, (bool (*)(const char *, void *))parser, dst, allowed,    \
				 errs);                                                          \
	}
ENUM_READER(read_letter_kind, letter_kind_parse, enum letter_kind, "reminder, fourteen_day_letter, other")
ENUM_READER(read_channel, channel_parse, enum channel, "phone, visit, video, email, sms, letter")
ENUM_READER(read_referral, referral_to_parse, enum referral_to,
	    "geldfit, budget_coach, municipality, vroeg_eropaf, debt_help_provider")
ENUM_READER(read_debt_help, debt_help_kind_parse, enum debt_help_kind, "debt_help, moratorium, wsnp")
ENUM_READER(read_action, action_parse, enum action,
	    "collection_costs, transfer_to_bailiff, summons, wage_garnishment, goods_seizure, "
	    "bank_seizure, eviction, credit_registration, extend_duration")

#define COMMON_FIELDS(ev)                                                                          \
	{FIELD("type", CFIELD_CUSTOM, true, NULL), .read = read_type_ok},                                 \
	{FIELD("occurred_at", CFIELD_CUSTOM, true, &(ev)->occurred_at), .read = read_timestamp}

static bool read_type_ok(const json_t *v, const char *at, void *dst, struct contract_errors *errs)
{
	return true; /* checked before the table is chosen */
}

/* The members each type of fact has besides type and occurred_at. */
static int type_fields(struct event *ev, struct contract_field *f)
{
	int n = 0;
	switch (ev->type) {
	case EVENT_LETTER_SENT:
		f[n++] = (struct contract_field){FIELD("template", CFIELD_ID, true, ev->template_id)};
		f[n++] = (struct contract_field){FIELD("kind", CFIELD_CUSTOM, true, &ev->letter_kind), .read = read_letter_kind};
		f[n++] = (struct contract_field){FIELD("received_on", CFIELD_DATE, false, &ev->received_on)};
		break;
	case EVENT_CONTACT_ATTEMPT:
		f[n++] = (struct contract_field){FIELD("channel", CFIELD_CUSTOM, true, &ev->channel), .read = read_channel};
		f[n++] = (struct contract_field){FIELD("reached", CFIELD_BOOL, true, &ev->reached)};
		break;
	case EVENT_PERSONAL_CONTACT:
		f[n++] = (struct contract_field){FIELD("channel", CFIELD_CUSTOM, true, &ev->channel), .read = read_channel};
		break;
	case EVENT_ARRANGEMENT_AGREED:
		f[n++] = (struct contract_field){FIELD("installment_cents", CFIELD_INT64, true, &ev->amount_cents), .min = 1, .max = CENTS_MAX};
		f[n++] = (struct contract_field){FIELD("installments", CFIELD_INT, true, &ev->installments), .min = 1, .max = 600};
		break;
	case EVENT_PAYMENT:
	case EVENT_COSTS_CHARGED:
		f[n++] = (struct contract_field){FIELD("amount_cents", CFIELD_INT64, true, &ev->amount_cents), .min = 1, .max = CENTS_MAX};
		break;
	case EVENT_REFERRAL:
		f[n++] = (struct contract_field){FIELD("to", CFIELD_CUSTOM, true, &ev->referral_to), .read = read_referral};
		break;
	case EVENT_DEBT_HELP_STARTED:
		f[n++] = (struct contract_field){FIELD("kind", CFIELD_CUSTOM, true, &ev->debt_help), .read = read_debt_help};
		break;
	case EVENT_OTHER_ARREARS_SHARED:
		f[n++] = (struct contract_field){FIELD("creditors", CFIELD_INT, true, &ev->creditors), .min = 1, .max = 1000};
		f[n++] = (struct contract_field){FIELD("total_cents", CFIELD_INT64, true, &ev->amount_cents), .min = 1, .max = CENTS_MAX};
		break;
	case EVENT_JUDGMENT:
		f[n++] = (struct contract_field){FIELD("awarded_cents", CFIELD_INT64, true, &ev->amount_cents), .min = 0, .max = CENTS_MAX};
		break;
	case EVENT_CREDITOR_APPROVAL:
		f[n++] = (struct contract_field){FIELD("action", CFIELD_CUSTOM, true, &ev->approved_action), .read = read_action};
		break;
	default:
		break; /* the type and the time say it all */
	}
	return n;
}

bool event_read(const json_t *body, int64_t now, struct event *out, struct contract_errors *errs)
{
	memset(out, 0, sizeof(*out));
	out->received_on = CALDATE_NONE;
	contract_errors_init(errs);
	const json_t *type = json_object_get(body, "type");
	if (!json_is_string(type) || !event_type_parse(json_string_value(type), &out->type)) {
		contract_errors_add(errs, "/type", "must be one of letter_sent, contact_attempt, personal_contact, "
				    "arrangement_agreed, arrangement_broken, payment, referral, debt_help_started, "
				    "debt_help_ended, dispute_opened, dispute_resolved, other_arrears_shared, "
				    "costs_charged, summons_served, judgment, creditor_approval");
		return false;
	}
	struct contract_field f[8] = {COMMON_FIELDS(out)};
	int n = 2 + type_fields(out, f + 2);
	contract_fields_read(body, "", f, n, errs);
	if (errs->count == 0)
		not_future("/occurred_at", out->occurred_at, now, errs);
	return errs->count == 0;
}

bool escalation_read(const json_t *body, struct escalation_request *out,
		     struct contract_errors *errs)
{
	char note[512];
	memset(out, 0, sizeof(*out));
	const struct contract_field f[] = {
		{FIELD("action", CFIELD_CUSTOM, true, &out->action), .read = read_action},
		{FIELD("amount_cents", CFIELD_INT64, false, &out->amount_cents), .min = 1, .max = CENTS_MAX},
		{FIELD("expected_costs_cents", CFIELD_INT64, false, &out->expected_costs_cents), .min = 0, .max = CENTS_MAX},
		{FIELD("extend_days", CFIELD_INT, false, &out->extend_days), .min = 1, .max = 365},
		{FIELD("note", CFIELD_TEXT, false, note), sizeof(note)},
	};
	contract_errors_init(errs);
	contract_fields_read(body, "", f, N(f), errs);
	out->has_amount = json_object_get(body, "amount_cents") != NULL;
	out->has_expected_costs = json_object_get(body, "expected_costs_cents") != NULL;
	return errs->count == 0;
}
