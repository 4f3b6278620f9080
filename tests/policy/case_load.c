/* case_load.c - reads cases.json into contracts, partners, dossiers and requests (test
 * support). */
#include "case_load.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "caldate.h"

#define FAIL(...)                                                                              \
	do {                                                                                   \
		snprintf(err, cap, __VA_ARGS__);                                               \
		return false;                                                                  \
	} while (0)

static void copy_id(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

static bool get_time(const json_t *o, const char *key, int64_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL && timestamp_parse(s, out);
}

static bool get_day(const json_t *o, const char *key, int32_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL && caldate_parse(s, out);
}

/* Reads the contact term; only fields present change *ct. */
static bool read_contact(const json_t *o, struct contact_terms *ct, char *err, size_t cap)
{
	json_t *v, *ch;
	size_t i;
	if ((v = json_object_get(o, "required")))
		ct->required = json_is_true(v);
	if ((v = json_object_get(o, "min_attempts")))
		ct->min_attempts = (int)json_integer_value(v);
	if ((v = json_object_get(o, "within_days")))
		ct->within_days = (int)json_integer_value(v);
	if ((v = json_object_get(o, "channels"))) {
		ct->channels = 0;
		json_array_foreach(v, i, ch)
		{
			enum channel c;
			if (!channel_parse(json_string_value(ch), &c))
				FAIL("unknown channel");
			ct->channels |= 1u << c;
		}
	}
	return true;
}

/* Reads the lists of a terms object: allowed actions and templates. */
static bool read_lists(const json_t *o, struct contract_terms *t, char *err, size_t cap)
{
	json_t *v, *x;
	size_t i;
	if ((v = json_object_get(o, "allowed_actions"))) {
		t->allowed_actions = 0;
		json_array_foreach(v, i, x)
		{
			enum action a;
			if (!action_parse(json_string_value(x), &a))
				FAIL("unknown action %s", json_string_value(x));
			t->allowed_actions |= 1u << a;
		}
	}
	if ((v = json_object_get(o, "approved_letter_templates"))) {
		t->n_templates = 0;
		json_array_foreach(v, i, x) copy_id(t->templates[t->n_templates++],
		                                    CONTRACT_ID_MAX, json_string_value(x));
	}
	return true;
}

/* Reads the terms object of the DESIGN.md contract document over *t. */
static bool read_terms(const json_t *o, struct contract_terms *t, char *err, size_t cap)
{
	json_t *v;
	if ((v = json_object_get(o, "fee_model")) &&
	    !fee_model_parse(json_string_value(v), &t->fee_model))
		FAIL("unknown fee_model");
	if ((v = json_object_get(o, "bank_seizure_allowed")))
		t->bank_seizure_allowed = json_is_true(v);
	if ((v = json_object_get(o, "max_duration_days")))
		t->max_duration_days = (int)json_integer_value(v);
	if ((v = json_object_get(o, "shortened_amicable_days")))
		t->shortened_amicable_days = (int)json_integer_value(v);
	if ((v = json_object_get(o, "collection_costs")))
		t->costs_vat = json_is_true(json_object_get(v, "vat"));
	if ((v = json_object_get(o, "summons_min_principal_cents")))
		t->summons_min_principal_cents = json_integer_value(v);
	if ((v = json_object_get(o, "judicial_cost_ratio_max")))
		t->judicial_cost_ratio_max_milli =
		    (int32_t)llround(json_number_value(v) * 1000);
	if ((v = json_object_get(o, "personal_contact_before_summons")) &&
	    !read_contact(v, &t->contact, err, cap))
		return false;
	return read_lists(o, t, err, cap);
}

/* The case's contract: a name from "contracts", or {"base": name, "terms": {...}}. */
static bool read_contract(const json_t *root, const json_t *spec, struct policy_case *pc,
                          char *err, size_t cap)
{
	const json_t *named = json_object_get(root, "contracts");
	const char *base = json_is_string(spec)
	                       ? json_string_value(spec)
	                       : json_string_value(json_object_get(spec, "base"));
	const json_t *doc = json_object_get(named, base ? base : "");
	if (doc == NULL)
		FAIL("unknown contract %s", base ? base : "(none)");
	memset(&pc->contract, 0, sizeof pc->contract);
	copy_id(pc->contract.id, CONTRACT_ID_MAX, base);
	pc->contract.version = 1;
	pc->contract.valid_to = CALDATE_NONE;
	if (!read_terms(json_object_get(doc, "terms"), &pc->contract.terms, err, cap))
		return false;
	if (json_is_object(spec) && json_object_get(spec, "terms") &&
	    !read_terms(json_object_get(spec, "terms"), &pc->contract.terms, err, cap))
		return false;
	return true;
}

static bool read_partner(const json_t *root, const json_t *spec, struct partner *p, char *err,
                         size_t cap)
{
	const char *name = json_string_value(spec);
	const json_t *doc =
	    json_object_get(json_object_get(root, "partners"), name ? name : "");
	if (doc == NULL)
		FAIL("unknown partner");
	memset(p, 0, sizeof *p);
	copy_id(p->id, sizeof p->id, name);
	if (!partner_kind_parse(json_string_value(json_object_get(doc, "kind")), &p->kind))
		FAIL("bad partner kind");
	p->has_wki = get_day(doc, "wki_valid_until", &p->wki_valid_until);
	return true;
}

/* The type-specific fields of an event. */
static bool read_event_fields(const json_t *o, struct event *ev, char *err, size_t cap)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *s;
	copy_id(ev->template_id, sizeof ev->template_id,
	        json_string_value(json_object_get(o, "template")));
	if (ev->type == EVENT_LETTER_SENT && kind && !letter_kind_parse(kind, &ev->letter_kind))
		FAIL("bad letter kind");
	if (ev->type == EVENT_DEBT_HELP_STARTED && kind &&
	    !debt_help_kind_parse(kind, &ev->debt_help))
		FAIL("bad debt help kind");
	if ((s = json_string_value(json_object_get(o, "channel"))) &&
	    !channel_parse(s, &ev->channel))
		FAIL("bad channel");
	if ((s = json_string_value(json_object_get(o, "to"))) &&
	    !referral_to_parse(s, &ev->referral_to))
		FAIL("bad referral");
	if ((s = json_string_value(json_object_get(o, "action"))) &&
	    !action_parse(s, &ev->approved_action))
		FAIL("bad action");
	if (json_object_get(o, "received_on") && !get_day(o, "received_on", &ev->received_on))
		FAIL("bad received_on");
	ev->reached = json_is_true(json_object_get(o, "reached"));
	/* The API names the amount by type: amount_cents, total_cents, awarded_cents,
	 * installment_cents. */
	static const char *const amount_keys[] = {"amount_cents", "total_cents",
	                                          "awarded_cents", "installment_cents"};
	for (size_t i = 0; i < 4 && ev->amount_cents == 0; i++)
		ev->amount_cents = json_integer_value(json_object_get(o, amount_keys[i]));
	ev->creditors = (int)json_integer_value(json_object_get(o, "creditors"));
	ev->installments = (int)json_integer_value(json_object_get(o, "installments"));
	return true;
}

static bool read_event(const json_t *o, struct event *ev, char *err, size_t cap)
{
	memset(ev, 0, sizeof *ev);
	ev->received_on = CALDATE_NONE;
	if (!event_type_parse(json_string_value(json_object_get(o, "type")), &ev->type))
		FAIL("bad event type");
	if (!get_time(o, "occurred_at", &ev->occurred_at))
		FAIL("bad occurred_at");
	const char *rep = json_string_value(json_object_get(o, "reporter"));
	ev->reporter =
	    ev->type == EVENT_CREDITOR_APPROVAL ? REPORTER_CREDITOR : REPORTER_PARTNER;
	if (rep != NULL)
		ev->reporter =
		    strcmp(rep, "creditor") == 0 ? REPORTER_CREDITOR : REPORTER_PARTNER;
	return read_event_fields(o, ev, err, cap);
}

/* Events and escalations allowed before. */
static bool read_history(const json_t *d, struct policy_case *pc, char *err, size_t cap)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(d, "events"), i, x)
	{
		if (i >= CASE_EVENTS_MAX || !read_event(x, &pc->events[i], err, cap))
			return false;
		pc->dossier.n_events = i + 1;
	}
	json_array_foreach(json_object_get(d, "allowed"), i, x)
	{
		struct prior_escalation *p = &pc->allowed[i];
		if (i >= CASE_ALLOWED_MAX ||
		    !action_parse(json_string_value(json_object_get(x, "action")),
		                  &p->action) ||
		    !get_time(x, "decided_at", &p->decided_at))
			FAIL("bad allowed escalation");
		p->amount_cents = json_integer_value(json_object_get(x, "amount_cents"));
		p->extend_days = (int)json_integer_value(json_object_get(x, "extend_days"));
		pc->dossier.n_allowed = i + 1;
	}
	return true;
}

static bool read_dossier(const json_t *d, struct policy_case *pc, char *err, size_t cap)
{
	struct dossier *ds = &pc->dossier;
	json_t *x;
	size_t i;
	memset(ds, 0, sizeof *ds);
	copy_id(ds->id, sizeof ds->id, "d-1");
	if (!get_time(d, "handed_over_at", &ds->handed_over_at))
		FAIL("bad handed_over_at");
	const char *ph = json_string_value(json_object_get(d, "phase"));
	if (ph != NULL && !phase_parse(ph, &ds->phase))
		FAIL("bad phase");
	ds->shortened_track = json_is_true(json_object_get(d, "shortened_track"));
	ds->principal_cents = json_integer_value(json_object_get(d, "principal_cents"));
	json_array_foreach(json_object_get(d, "flags"), i, x)
	{
		uint32_t bit;
		if (!dossier_flag_parse(json_string_value(x), &bit))
			FAIL("bad flag");
		ds->flags |= bit;
	}
	ds->events = pc->events;
	ds->allowed = pc->allowed;
	return read_history(d, pc, err, cap);
}

static bool read_exceptions(const json_t *arr, struct policy_case *pc, char *err, size_t cap)
{
	json_t *x;
	size_t i;
	json_array_foreach(arr, i, x)
	{
		struct contract_exception *e = &pc->exceptions[i];
		const char *cid = json_string_value(json_object_get(x, "contract_id"));
		const char *pid = json_string_value(json_object_get(x, "partner_id"));
		if (i >= CASE_EXCEPTIONS_MAX)
			FAIL("too many exceptions");
		memset(e, 0, sizeof *e);
		copy_id(e->id, sizeof e->id, json_string_value(json_object_get(x, "id")));
		copy_id(e->rule, sizeof e->rule, json_string_value(json_object_get(x, "rule")));
		copy_id(e->contract_id, sizeof e->contract_id, cid ? cid : pc->contract.id);
		copy_id(e->partner_id, sizeof e->partner_id, pid ? pid : pc->partner.id);
		if (!get_day(x, "valid_from", &e->valid_from) ||
		    !get_day(x, "valid_until", &e->valid_until))
			FAIL("bad exception dates");
		pc->n_exceptions = i + 1;
	}
	return true;
}

static bool read_request(const json_t *q, struct escalation_request *r, char *err, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (q == NULL)
		return true;
	if (!action_parse(json_string_value(json_object_get(q, "action")), &r->action))
		FAIL("bad request action");
	r->has_amount = json_object_get(q, "amount_cents") != NULL;
	r->amount_cents = json_integer_value(json_object_get(q, "amount_cents"));
	r->has_expected_costs = json_object_get(q, "expected_costs_cents") != NULL;
	r->expected_costs_cents =
	    json_integer_value(json_object_get(q, "expected_costs_cents"));
	r->extend_days = (int)json_integer_value(json_object_get(q, "extend_days"));
	return true;
}

/* A list of rule codes to a bit set. */
static bool read_rules(const json_t *arr, uint32_t *out, char *err, size_t cap)
{
	json_t *x;
	size_t i;
	*out = 0;
	json_array_foreach(arr, i, x)
	{
		enum rule_id r;
		if (!rule_parse(json_string_value(x), &r))
			FAIL("bad rule id");
		*out |= 1u << r;
	}
	return true;
}

static bool read_expect(const json_t *e, struct policy_case *pc, char *err, size_t cap)
{
	const char *d = json_string_value(json_object_get(e, "decision"));
	if (d == NULL || (strcmp(d, "allow") != 0 && strcmp(d, "deny") != 0))
		FAIL("expect.decision must be allow or deny");
	pc->expect_allow = strcmp(d, "allow") == 0;
	return read_rules(json_object_get(e, "rules"), &pc->expect_rules, err, cap) &&
	       read_rules(json_object_get(e, "waived"), &pc->expect_waived, err, cap);
}

static bool read_check(const json_t *c, struct policy_case *pc, char *err, size_t cap)
{
	const char *check = json_string_value(json_object_get(c, "check"));
	pc->check = CASE_DECIDE;
	if (check != NULL && strcmp(check, "event") == 0)
		pc->check = CASE_EVENT;
	else if (check != NULL && strcmp(check, "handover") == 0)
		pc->check = CASE_HANDOVER;
	else if (check != NULL && strcmp(check, "decide") != 0)
		FAIL("bad check");
	if (pc->check == CASE_EVENT &&
	    !read_event(json_object_get(c, "event"), &pc->event, err, cap))
		return false;
	return true;
}

bool case_load(const json_t *root, const json_t *c, struct policy_case *out, char *err,
               size_t cap)
{
	memset(out, 0, sizeof *out);
	out->description = json_string_value(json_object_get(c, "description"));
	if (out->description == NULL)
		FAIL("no description");
	if (!get_time(c, "now", &out->now))
		FAIL("bad now");
	return read_contract(root, json_object_get(c, "contract"), out, err, cap) &&
	       read_partner(root, json_object_get(c, "partner"), &out->partner, err, cap) &&
	       read_dossier(json_object_get(c, "dossier"), out, err, cap) &&
	       read_exceptions(json_object_get(c, "exceptions"), out, err, cap) &&
	       read_request(json_object_get(c, "request"), &out->request, err, cap) &&
	       read_check(c, out, err, cap) &&
	       read_expect(json_object_get(c, "expect"), out, err, cap);
}
