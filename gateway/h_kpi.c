/* h_kpi.c - GET /v1/kpi and GET /v1/scorecard: figures summed from the daily counters. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "kpi.h"
#include "mem.h"
#include "server.h"

/* The partners that appear in the period's sums, in order. */
static json_t *partners_of(const PGresult *sums)
{
	json_t *seen = json_object(), *list = json_array();
	for (int i = 0; i < PQntuples(sums); i++) {
		const char *p = PQgetvalue(sums, i, 0);
		if (json_object_get(seen, p))
			continue;
		json_object_set_new(seen, p, json_true());
		json_array_append_new(list, json_string(p));
	}
	json_decref(seen);
	return list;
}

/* Replies 503 and returns NULL when the job failed; else the i-th result. */
static const PGresult *result_or_503(struct req *r, struct pgjob *job, enum pgjob_status st, int i)
{
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, i) : NULL;
	if (!res)
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
	return res;
}

static json_t *period_json(const struct kpi_query *q)
{
	return json_pack("{s:s, s:s, s:s, s:s?}", "from", q->from, "to", q->to, "creditor_id", q->creditor_id,
			 "partner_id", q->partner_id[0] ? q->partner_id : NULL);
}

/* Refused facts (R13, R18) per partner: they count against the partner. */
static json_t *refused_by_partner(const PGresult *sums)
{
	json_t *parts = partners_of(sums), *o = json_object(), *p;
	size_t i;
	json_array_foreach(parts, i, p) {
		json_t *m = kpi_metrics(sums, json_string_value(p));
		json_object_set_new(o, json_string_value(p),
				    json_pack("{s:I, s:I}", "R13", (json_int_t)kpi_get(m, "refused_facts", "R13"),
					      "R18", (json_int_t)kpi_get(m, "refused_facts", "R18")));
		json_decref(m);
	}
	json_decref(parts);
	return o;
}

static void kpi_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const struct kpi_query *q = r->state;
	const PGresult *sums = result_or_503(r, job, st, 1), *active;
	if (!sums || !(active = result_or_503(r, job, st, 2)))
		return;
	if (q->partner_id[0] && PQntuples(pgjob_result(job, 0)) == 0) {
		req_problem(r, 404, "not_found", "no such partner", json_pack("{s:s}", "parameter", "partner_id"));
		return;
	}
	json_t *m = kpi_metrics(sums, NULL);
	json_t *o = kpi_figures(m, kpi_active(active, NULL));
	json_decref(m);
	json_object_set_new(o, "period", period_json(q));
	json_object_set_new(o, "refused_facts_by_partner", refused_by_partner(sums));
	req_reply_json(r, 200, o);
}

/* Reads the query (read: params_kpi or params_scorecard) into r->state; NULL when a reply was sent. */
static struct kpi_query *kpi_begin(struct req *r,
				   bool (*read)(const char *, struct kpi_query *, struct query_error *))
{
	struct kpi_query *q = xcalloc(1, sizeof(*q));
	struct query_error err;
	r->state = q;
	r->state_free = free;
	if (!read(req_query_string(r), q, &err)) {
		req_bad_query(r, &err);
		return NULL;
	}
	return kpi_scope(r, q) ? q : NULL;
}

void h_kpi(struct req *r)
{
	struct kpi_query *q = kpi_begin(r, params_kpi);
	if (!q)
		return;
	const char *pp[] = {q->partner_id};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT 1 FROM partners WHERE id = $1", 1, pp);
	kpi_add_statements(job, q);
	pgpool_submit(r->srv->pool, job, kpi_loaded, r);
}

/* ---- GET /v1/scorecard ---- */

/* Deny rate per rule: denials by that rule over all requests. */
static json_t *deny_rates(const json_t *m, long long requested)
{
	json_t *o = json_object(), *v, *rules = json_object_get(m, "denied_rule");
	const char *k;
	json_object_foreach(rules, k, v)
		json_object_set_new(o, k, kpi_ratio((long long)json_integer_value(v), requested));
	return o;
}

/* One comparable row of the scorecard. */
static json_t *scorecard_row(const char *partner, const json_t *m)
{
	long long req = kpi_get(m, "requested", NULL), denied = kpi_get(m, "denied", NULL);
	long long sa = kpi_get(m, "summons_allowed", ""), sc = kpi_get(m, "summons_after_contact", "");
	long long agreed = kpi_get(m, "arrangements_agreed", ""), broken = kpi_get(m, "arrangements_broken", "");
	return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I}",
			 "partner_id", partner, "requests", (json_int_t)req, "denied", (json_int_t)denied,
			 "deny_rate", kpi_ratio(denied, req), "deny_rate_by_rule", deny_rates(m, req),
			 "share_summons_preceded_by_contact", kpi_ratio(sc, sa), "median_days_to_first_contact",
			 kpi_median(m, "first_contact_days"), "returned_past_max_duration",
			 (json_int_t)kpi_get(m, "returned_past_max", ""), "costs_charged_cents",
			 (json_int_t)kpi_get(m, "costs_charged_cents", ""), "wik_cap_cents",
			 (json_int_t)kpi_get(m, "wik_cap_cents", ""), "share_of_wik_cap",
			 kpi_ratio(kpi_get(m, "costs_charged_cents", ""), kpi_get(m, "wik_cap_cents", "")),
			 "referrals", (json_int_t)kpi_get(m, "referrals", NULL), "arrangements_agreed",
			 (json_int_t)agreed, "arrangements_kept", (json_int_t)(agreed > broken ? agreed - broken : 0),
			 "refused_facts", (json_int_t)kpi_get(m, "refused_facts", NULL));
}

static void scorecard_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const struct kpi_query *q = r->state;
	const PGresult *sums = result_or_503(r, job, st, 0);
	if (!sums)
		return;
	json_t *parts = partners_of(sums), *rows = json_array(), *p;
	size_t i;
	json_array_foreach(parts, i, p) {
		json_t *m = kpi_metrics(sums, json_string_value(p));
		json_array_append_new(rows, scorecard_row(json_string_value(p), m));
		json_decref(m);
	}
	json_decref(parts);
	req_reply_json(r, 200, json_pack("{s:o, s:o}", "period", period_json(q), "partners", rows));
}

void h_scorecard(struct req *r)
{
	struct kpi_query *q = kpi_begin(r, params_scorecard); /* refuses a partner_id */
	if (!q)
		return;
	struct pgjob *job = pgjob_create(false);
	kpi_add_statements(job, q);
	pgpool_submit(r->srv->pool, job, scorecard_loaded, r);
}
