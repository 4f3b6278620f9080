/* decision_json.c - the JSON forms of decisions, reasons and dossier state. */
#include "decision_json.h"

#include <stdio.h>
#include <string.h>

#include "caldate.h"

static json_t *reason_to_json(const struct reason *r)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s}", "rule", rule_code(r->rule),
			      "name", rule_name(r->rule), "clause", r->clause ? r->clause : "",
			      "waived", r->waived, "message_nl", r->message_nl, "message_en",
			      r->message_en, "remedy", r->remedy_en, "remedy_nl", r->remedy_nl);
	if (o && r->waived)
		json_object_set_new(o, "exception_id", json_string(r->exception_id));
	return o;
}

json_t *reasons_to_json(const struct decision *d)
{
	json_t *a = json_array();
	for (int i = 0; i < d->n_reasons; i++)
		json_array_append_new(a, reason_to_json(&d->reasons[i]));
	return a;
}

void denying_rules_literal(const struct decision *d, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "{");
	const char *sep = "";
	for (int i = 0; i < d->n_reasons && n < len; i++) {
		if (d->reasons[i].waived)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%s", sep, rule_code(d->reasons[i].rule));
		sep = ",";
	}
	if (n < len)
		snprintf(out + n, len - n, "}");
}

static json_t *date_or_null(int32_t day)
{
	char buf[11];
	if (day == CALDATE_NONE)
		return json_null();
	caldate_format(day, buf);
	return json_string(buf);
}

json_t *state_to_json(const struct dossier_state *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "max_duration_until", date_or_null(st->max_duration_until));
	json_object_set_new(o, "past_max_duration", json_boolean(st->past_max_duration));
	json_object_set_new(o, "extensions", json_integer(st->n_extensions));
	json_object_set_new(o, "debt_help_active", json_boolean(st->debt_help_active));
	json_object_set_new(o, "dispute_open", json_boolean(st->dispute_open));
	json_object_set_new(o, "arrangement_active", json_boolean(st->arrangement_active));
	json_object_set_new(o, "other_arrears_shared", json_boolean(st->other_arrears_shared));
	json_object_set_new(o, "financial_problems", json_boolean(st->financial_problems));
	json_object_set_new(o, "referral_recorded", json_boolean(st->referral_recorded));
	json_object_set_new(o, "fourteen_day_letter_sent", json_boolean(st->fourteen_day_letter_sent));
	json_object_set_new(o, "costs_allowed_from", date_or_null(st->fourteen_day_expires));
	json_object_set_new(o, "costs_charged_cents", json_integer(st->costs_charged_cents));
	json_object_set_new(o, "contact_attempts_counting", json_integer(st->contact_attempts_counting));
	json_object_set_new(o, "last_contact_day", date_or_null(st->last_contact_day));
	json_object_set_new(o, "personal_contact", json_boolean(st->personal_contact));
	json_object_set_new(o, "summons_served", json_boolean(st->summons_served));
	json_object_set_new(o, "judgment_recorded", json_boolean(st->judgment_recorded));
	json_object_set_new(o, "paid_cents", json_integer(st->paid_cents));
	json_object_set_new(o, "outstanding_cents", json_integer(st->outstanding_cents));
	return o;
}
