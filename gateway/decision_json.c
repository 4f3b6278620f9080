/* decision_json.c - the JSON forms of decisions, reasons and dossier state. */
#include "decision_json.h"

#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "mem.h"
#include "str.h"

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
	size_t n = str_add(out, len, 0, "{");
	const char *sep = "";
	for (int i = 0; i < d->n_reasons && n < len; i++) {
		if (d->reasons[i].waived)
			continue;
		n = str_add(out, len, n, sep);
		n = str_add(out, len, n, rule_code(d->reasons[i].rule));
		sep = ",";
	}
	if (n < len)
		str_add(out, len, n, "}");
}

/* ---- the decision's body, written without a tree ---- */

struct out {
	char *buf;
	size_t len, cap;
};

static void out_room(struct out *o, size_t n)
{
	if (o->len + n + 1 <= o->cap)
		return;
	while (o->len + n + 1 > o->cap)
		o->cap = o->cap ? 2 * o->cap : 2048;
	o->buf = xrealloc(o->buf, o->cap);
}

static void out_raw(struct out *o, const char *s, size_t n)
{
	out_room(o, n);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_lit(struct out *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

/* A JSON string as jansson dumps it: \" \\ \b \f \n \r \t, other controls \u00XX, the rest as is. */
static void out_str(struct out *o, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	out_raw(o, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[7] = "\\u00";
		size_t n = 2;
		if (*p == '"' || *p == '\\')
			esc[1] = (char)*p;
		else if (*p >= 0x20)
			continue;
		else if (*p == '\b' || *p == '\f' || *p == '\n' || *p == '\r' || *p == '\t')
			esc[1] = *p == '\b' ? 'b' : *p == '\f' ? 'f' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		else {
			esc[4] = hexd[*p >> 4];
			esc[5] = hexd[*p & 15];
			n = 6;
		}
		out_raw(o, run, (size_t)((const char *)p - run));
		out_raw(o, esc, n);
		run = (const char *)p + 1;
	}
	out_lit(o, run);
	out_raw(o, "\"", 1);
}

/* ,"key": with the key as given (the callers' keys need no escaping) */
static void out_key(struct out *o, const char *sep, const char *key)
{
	out_lit(o, sep);
	out_raw(o, "\"", 1);
	out_lit(o, key);
	out_raw(o, "\":", 2);
}

static void out_num(struct out *o, long long v)
{
	char buf[STR_LL_MAX];
	out_raw(o, buf, str_ll(buf, v));
}

/* one reason, its keys in sorted order as reason_to_json's under JSON_SORT_KEYS */
static void out_reason(struct out *o, const struct reason *r)
{
	out_key(o, "{", "clause");
	out_str(o, r->clause ? r->clause : "");
	if (r->waived) {
		out_key(o, ",", "exception_id");
		out_str(o, r->exception_id);
	}
	out_key(o, ",", "message_en");
	out_str(o, r->message_en);
	out_key(o, ",", "message_nl");
	out_str(o, r->message_nl);
	out_key(o, ",", "name");
	out_str(o, rule_name(r->rule));
	out_key(o, ",", "remedy");
	out_str(o, r->remedy_en);
	out_key(o, ",", "remedy_nl");
	out_str(o, r->remedy_nl);
	out_key(o, ",", "rule");
	out_str(o, rule_code(r->rule));
	out_key(o, ",", "waived");
	out_lit(o, r->waived ? "true}" : "false}");
}

char *decision_body_json(const struct decision_body *b, const struct decision *d)
{
	struct out o = {0};
	out_key(&o, "{", "action");
	out_str(&o, b->action);
	out_key(&o, ",", "audit_chain");
	out_num(&o, b->audit_chain);
	out_key(&o, ",", "audit_seq");
	out_num(&o, b->audit_seq);
	out_key(&o, ",", "contract");
	out_key(&o, "{", "id");
	out_str(&o, b->contract_id);
	out_key(&o, ",", "version");
	out_num(&o, b->contract_version);
	out_key(&o, "},", "decided_at");
	out_str(&o, b->decided_at);
	out_key(&o, ",", "decision");
	out_str(&o, d->allow ? "allow" : "deny");
	out_key(&o, ",", "decision_id");
	out_str(&o, b->decision_id);
	out_key(&o, ",", "dossier_id");
	out_str(&o, b->dossier_id);
	out_key(&o, ",", "reasons");
	out_raw(&o, "[", 1);
	for (int i = 0; i < d->n_reasons; i++) {
		if (i)
			out_raw(&o, ",", 1);
		out_reason(&o, &d->reasons[i]);
	}
	out_raw(&o, "]}", 2);
	return o.buf;
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
