/* h_dossiers.c - handing dossiers over, reading them, and recording facts on them. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "decision_json.h"
#include "dossier_load.h"
#include "handlers.h"
#include "input.h"
#include "mem.h"
#include "server.h"
#include "write.h"

/* ---- POST /v1/dossiers ---- */

struct handover_state {
	struct handover h;
	int64_t now;
	struct contract contract;
	struct partner partner;
};

static json_t *dossier_json(const struct handover *h, const struct contract *c, const char *creditor,
			    int32_t deadline, bool with_ref)
{
	char due[11], at[21];
	caldate_format(h->due_date, due);
	timestamp_format(h->handed_over_at, at);
	json_t *o = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}, s:I, s:s, s:s, s:s, s:b, s:o, s:s}",
			      "id", h->id, "creditor_id", creditor, "partner_id", h->partner_id,
			      "contract", "id", c->id, "version", c->version, "principal_cents",
			      (json_int_t)h->principal_cents, "currency", "EUR", "due_date", due, "phase",
			      phase_name(h->phase), "shortened_amicable_track", h->shortened_track,
			      "flags", flags_to_json(h->flags), "handed_over_at", at);
	char dl[11];
	if (deadline != CALDATE_NONE)
		caldate_format(deadline, dl);
	json_object_set_new(o, "max_duration_until", deadline != CALDATE_NONE ? json_string(dl) : json_null());
	if (with_ref)
		json_object_set_new(o, "debtor_ref", json_string(h->debtor_ref));
	return o;
}

/* Rows for the new dossier, its audit record (no debtor_ref) and the partner's notification. */
static void handover_commit(struct req *r, struct handover_state *s, int32_t deadline)
{
	const struct handover *h = &s->h;
	char cents[24], due[11], at[21], dl[11];
	snprintf(cents, sizeof(cents), "%lld", (long long)h->principal_cents);
	caldate_format(h->due_date, due);
	timestamp_format(h->handed_over_at, at);
	if (deadline != CALDATE_NONE)
		caldate_format(deadline, dl);
	json_t *flags = flags_to_json(h->flags);
	char flag_lit[128] = "{";
	for (size_t i = 0; i < json_array_size(flags); i++)
		snprintf(flag_lit + strlen(flag_lit), sizeof(flag_lit) - strlen(flag_lit), "%s%s",
			 i ? "," : "", json_string_value(json_array_get(flags, i)));
	strcat(flag_lit, "}");
	json_decref(flags);
	const char *cr = r->who.creditor_id;
	const char *p[] = {h->id, cr, h->partner_id, h->contract_id, h->debtor_ref, cents, due,
			   phase_name(h->phase), h->shortened_track ? "true" : "false", flag_lit, at,
			   deadline != CALDATE_NONE ? dl : NULL};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, "INSERT INTO dossiers (id, creditor_id, partner_id, contract_id, debtor_ref, "
			"principal_cents, currency, due_date, phase, shortened_track, flags, handed_over_at, "
			"deadline) VALUES ($1, $2, $3, $4, $5, $6::bigint, 'EUR', $7::date, $8, $9::boolean, "
			"$10::text[], $11::timestamptz, $12::date)", 12, p);
	write_op_sql(w, "SELECT fairgate_kpi_handover($1)", 1, p); /* KPI counters (sql/003_kpi.sql) */
	write_op_audit(w, "dossier.handed_over", h->id, cr,
		       dossier_json(h, &s->contract, cr, deadline, false));
	write_op_notify(w, "partner", s->partner.id, s->partner.webhook_url, "dossier.handed_over",
			dossier_json(h, &s->contract, cr, deadline, true));
	write_op_on_duplicate(w, "dossier_exists", "a dossier with this id exists already");
	write_op_commit(w, 201, dossier_json(h, &s->contract, cr, deadline, true));
}

/* Reads the contract and partner rows; replies and returns false when they do not fit. */
static bool handover_read_rows(struct req *r, struct pgjob *job, struct handover_state *s)
{
	struct contract_errors errs;
	const PGresult *c = pgjob_result(job, 0), *p = pgjob_result(job, 1);
	json_t *cdoc = PQntuples(c) == 1 ? json_loads(PQgetvalue(c, 0, 0), 0, NULL) : NULL;
	json_t *pdoc = PQntuples(p) == 1 ? json_loads(PQgetvalue(p, 0, 0), 0, NULL) : NULL;
	bool ok = cdoc && contract_from_json(cdoc, &s->contract, &errs);
	json_decref(cdoc);
	if (!ok) {
		json_decref(pdoc);
		req_field_error(r, "/contract_id", "no version of this contract of yours is in force on the handover day");
		return false;
	}
	ok = pdoc && partner_from_json(pdoc, &s->partner, &errs);
	json_decref(pdoc);
	if (!ok || strcmp(s->contract.partner_id, s->h.partner_id) != 0) {
		req_field_error(r, "/partner_id", "must be the partner of contract %s", s->contract.id);
		return false;
	}
	return true;
}

static void handover_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	struct handover_state *s = r->state;
	if (st != PGJOB_OK) {
		req_problem(r, 503, "unavailable", "the database is unavailable; nothing was changed", NULL);
		return;
	}
	if (!handover_read_rows(r, job, s))
		return;
	struct dossier d = {.phase = s->h.phase, .shortened_track = s->h.shortened_track,
			    .flags = s->h.flags, .principal_cents = s->h.principal_cents,
			    .due_date = s->h.due_date, .handed_over_at = s->h.handed_over_at};
	snprintf(d.id, sizeof(d.id), "%s", s->h.id);
	struct policy_input in = {&s->contract, &s->partner, &d, NULL, 0, s->now};
	struct decision dec;
	if (!policy_check_handover(&in, &dec)) {
		reply_refusal(r, "handover_refused", "the handover breaks a rule", reasons_to_json(&dec));
		return;
	}
	struct dossier_state ds;
	dossier_derive(&s->contract, &d, s->now, &ds);
	handover_commit(r, s, ds.max_duration_until);
}

void h_dossier_create(struct req *r)
{
	struct contract_errors errs;
	struct handover_state *s = xcalloc(1, sizeof(*s));
	r->state = s;
	r->state_free = free;
	s->now = (int64_t)time(NULL);
	if (!handover_read(r->body, s->now, &s->h, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	char day[11];
	caldate_format(amsterdam_day(s->h.handed_over_at), day);
	const char *pc[] = {s->h.contract_id, r->who.creditor_id, day}, *pp[] = {s->h.partner_id};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT doc::text FROM contracts WHERE id = $1 AND creditor_id = $2 "
		       "AND valid_from <= $3::date AND (valid_to IS NULL OR valid_to >= $3::date) "
		       "ORDER BY version DESC LIMIT 1", 3, pc);
	pgjob_add(job, "SELECT doc::text FROM partners WHERE id = $1", 1, pp);
	pgpool_submit(r->srv->pool, job, handover_loaded, r);
}

/* ---- GET /v1/dossiers/{id} ---- */

static bool load_failed(struct req *r, enum load_status st, struct dossier_ctx *c)
{
	if (st == LOAD_UNAVAILABLE) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
	} else if (st == LOAD_CORRUPT) {
		req_problem(r, 500, "corrupt", "the dossier could not be read", NULL);
	} else if (st == LOAD_NOT_FOUND || !dossier_visible(c, &r->who)) {
		req_problem(r, 404, "not_found", "no such dossier visible to you", NULL);
	} else {
		return false;
	}
	dossier_ctx_free(c);
	return true;
}

static void dossier_got(void *arg, enum load_status st, struct dossier_ctx *c)
{
	struct req *r = arg;
	if (load_failed(r, st, c))
		return;
	int64_t now = (int64_t)time(NULL);
	struct dossier_state ds;
	char due[11], at[21];
	dossier_derive(&c->contract, &c->dossier, now, &ds);
	caldate_format(c->dossier.due_date, due);
	timestamp_format(c->dossier.handed_over_at, at);
	json_t *o = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}, s:s, s:I, s:s, s:s, s:s, s:b, s:o, s:s, s:b, s:o, s:O}",
			      "id", c->id, "creditor_id", c->creditor_id, "partner_id", c->partner.id,
			      "contract", "id", c->contract.id, "version", c->contract.version,
			      "debtor_ref", c->debtor_ref, "principal_cents", (json_int_t)c->dossier.principal_cents,
			      "currency", "EUR", "due_date", due, "phase", phase_name(c->dossier.phase),
			      "shortened_amicable_track", c->dossier.shortened_track, "flags",
			      flags_to_json(c->dossier.flags), "handed_over_at", at, "flagged_for_return",
			      c->flagged_for_return, "state", state_to_json(&ds), "timeline", c->timeline);
	dossier_ctx_free(c);
	req_reply_json(r, 200, o);
}

void h_dossier_get(struct req *r)
{
	dossier_load_timeline(r->srv, r->params[0], (int64_t)time(NULL), dossier_got, r);
}

/* ---- POST /v1/dossiers/{id}/events ---- */

static const char *const EVENT_INSERT =
	"INSERT INTO events (dossier_id, type, occurred_at, reporter, principal_id, body) "
	"VALUES ($1, $2, $3::timestamptz, $4, $5::bigint, $6::jsonb)";
static const char *const REFUSED_INSERT =
	"INSERT INTO refused_events (dossier_id, partner_id, creditor_id, type, rules, occurred_at, body) "
	"VALUES ($1, $2, $3, $4, $5::text[], $6::timestamptz, $7::jsonb)";

/* A fact refused by a rule is kept (it counts against the partner) and answered 422. */
static void event_refused(struct req *r, struct dossier_ctx *c, const struct event *ev,
			  const struct decision *dec)
{
	char rules[128], at[21];
	denying_rules_literal(dec, rules, sizeof(rules));
	timestamp_format(ev->occurred_at, at);
	char *body = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
	const char *p[] = {c->id, c->partner.id, c->creditor_id, event_type_name(ev->type), rules, at, body};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, REFUSED_INSERT, 7, p);
	/* KPI counters (sql/003_kpi.sql), same parameters as the row */
	write_op_sql(w, "SELECT fairgate_kpi_refused($1, $2, $3, $4, $5::text[], $6::timestamptz, $7::jsonb)", 7, p);
	write_op_audit(w, "event.refused", c->id, c->creditor_id,
		       json_pack("{s:s, s:s, s:s}", "type", event_type_name(ev->type), "rules", rules,
				 "occurred_at", at));
	free(body);
	write_op_commit_refusal(w, reasons_to_json(dec));
}

/* Refusals by R13 (letters) and R18 (contact hours) are kept: they count against the partner. */
static bool refusal_counts(const struct decision *dec)
{
	for (int i = 0; i < dec->n_reasons; i++)
		if (!dec->reasons[i].waived &&
		    (dec->reasons[i].rule == RULE_R13 || dec->reasons[i].rule == RULE_R18))
			return true;
	return false;
}

static void event_accept(struct req *r, struct dossier_ctx *c, const struct event *ev)
{
	char at[21], pid[24];
	timestamp_format(ev->occurred_at, at);
	snprintf(pid, sizeof(pid), "%lld", r->who.id);
	const char *reporter = r->who.role == ROLE_CREDITOR ? "creditor" : "partner";
	char *body = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
	const char *p[] = {c->id, event_type_name(ev->type), at, reporter, pid, body};
	const char *pv[] = {c->id};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, EVENT_INSERT, 6, p);
	/* KPI counters (sql/003_kpi.sql), same parameters as the row */
	write_op_sql(w, "SELECT fairgate_kpi_event($1, $2, $3::timestamptz, $4, $5::bigint, $6::jsonb)", 6, p);
	write_op_sql(w, ev->type == EVENT_SUMMONS_SERVED
			    ? "UPDATE dossiers SET version = version + 1, deadline = NULL WHERE id = $1"
			    : "UPDATE dossiers SET version = version + 1 WHERE id = $1", 1, pv);
	json_t *audit = json_deep_copy(r->body);
	json_object_set_new(audit, "reporter", json_string(reporter));
	write_op_audit(w, "event.recorded", c->id, c->creditor_id, audit);
	free(body);
	write_op_commit(w, 201, json_pack("{s:s, s:s, s:s, s:s}", "dossier_id", c->id, "type",
					  event_type_name(ev->type), "occurred_at", at, "status", "recorded"));
}

static void event_dossier_loaded(void *arg, enum load_status st, struct dossier_ctx *c)
{
	struct req *r = arg;
	struct event ev;
	struct contract_errors errs;
	struct decision dec;
	struct policy_input in;
	if (load_failed(r, st, c))
		return;
	int64_t now = (int64_t)time(NULL);
	if (!event_read(r->body, now, &ev, &errs)) {
		reply_errors(r, &errs);
	} else if (ev.type == EVENT_CREDITOR_APPROVAL && r->who.role != ROLE_CREDITOR) {
		req_problem(r, 403, "forbidden", "only the creditor can approve an escalation", NULL);
	} else {
		ev.reporter = r->who.role == ROLE_CREDITOR ? REPORTER_CREDITOR : REPORTER_PARTNER;
		dossier_policy_input(c, now, &in);
		if (policy_check_event(&in, &ev, &dec))
			event_accept(r, c, &ev);
		else if (refusal_counts(&dec))
			event_refused(r, c, &ev, &dec);
		else
			reply_refusal(r, "fact_refused", "the fact cannot be recorded",
				      reasons_to_json(&dec));
	}
	dossier_ctx_free(c);
}

void h_event_create(struct req *r)
{
	dossier_load(r->srv, r->params[0], (int64_t)time(NULL), event_dossier_loaded, r);
}
