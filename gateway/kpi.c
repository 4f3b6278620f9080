/* kpi.c - KPI scope, period and figures from the counters (the view kpi_counts, sql/014). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "kpi.h"

bool kpi_scope(struct req *r, struct kpi_query *q)
{
	const char *own = r->who.creditor_id;
	if (r->who.role != ROLE_CREDITOR && r->who.role != ROLE_MONITOR) {
		req_problem(r, 403, "forbidden", "only a creditor or its monitor reads KPIs", NULL);
		return false;
	}
	if (!q->creditor_id[0])
		snprintf(q->creditor_id, sizeof(q->creditor_id), "%s", own);
	if (strcmp(q->creditor_id, own) == 0)
		return true;
	if (r->who.role == ROLE_MONITOR)
		req_problem(r, 403, "forbidden", "you are not granted this creditor", NULL);
	else
		req_problem(r, 404, "not_found", "no such creditor visible to you", NULL);
	return false;
}

void kpi_add_statements(struct pgjob *job, const struct kpi_query *q)
{
	const char *p[] = {q->creditor_id, q->from, q->to, q->partner_id};
	pgjob_add(job, "SELECT partner_id, metric, key, sum(value)::bigint FROM kpi_counts "
		       "WHERE creditor_id = $1 AND day BETWEEN $2::date AND $3::date "
		       "AND ($4 = '' OR partner_id = $4) GROUP BY 1, 2, 3", 4, p);
	pgjob_add(job, "SELECT partner_id, sum(CASE metric WHEN 'handed_over' THEN value ELSE -value END)::bigint "
		       "FROM kpi_counts WHERE creditor_id = $1 AND metric IN ('handed_over', 'closed') "
		       "AND day <= $3::date AND ($4 = '' OR partner_id = $4) AND $2 <> '' GROUP BY 1", 4, p);
}

json_t *kpi_metrics(const PGresult *sums, const char *partner)
{
	json_t *m = json_object();
	for (int i = 0; i < PQntuples(sums); i++) {
		if (partner && strcmp(partner, PQgetvalue(sums, i, 0)) != 0)
			continue;
		const char *metric = PQgetvalue(sums, i, 1), *key = PQgetvalue(sums, i, 2);
		json_t *keys = json_object_get(m, metric);
		if (!keys) {
			keys = json_object();
			json_object_set_new(m, metric, keys);
		}
		long long v = atoll(PQgetvalue(sums, i, 3));
		v += (long long)json_integer_value(json_object_get(keys, key));
		json_object_set_new(keys, key, json_integer(v));
	}
	return m;
}

long long kpi_active(const PGresult *active, const char *partner)
{
	long long n = 0;
	for (int i = 0; i < PQntuples(active); i++)
		if (!partner || strcmp(partner, PQgetvalue(active, i, 0)) == 0)
			n += atoll(PQgetvalue(active, i, 1));
	return n;
}

long long kpi_get(const json_t *m, const char *metric, const char *key)
{
	json_t *keys = json_object_get(m, metric);
	if (key)
		return (long long)json_integer_value(json_object_get(keys, key));
	const char *k;
	json_t *v;
	long long n = 0;
	json_object_foreach(keys, k, v)
		n += (long long)json_integer_value(v);
	return n;
}

/* The value at 0-based rank `rank` of a histogram given as (days, count) pairs sorted by days. */
static long long hist_at(const long long (*h)[2], size_t n, long long rank)
{
	for (size_t i = 0; i < n; i++) {
		if (rank < h[i][1])
			return h[i][0];
		rank -= h[i][1];
	}
	return n ? h[n - 1][0] : 0;
}

static int cmp_days(const void *a, const void *b)
{
	const long long *x = a, *y = b;
	return (x[0] > y[0]) - (x[0] < y[0]);
}

json_t *kpi_median(const json_t *m, const char *metric)
{
	json_t *keys = json_object_get(m, metric), *v;
	size_t n = json_object_size(keys), i = 0;
	if (!n)
		return json_null();
	long long (*h)[2] = calloc(n, sizeof(*h)), total = 0;
	if (!h)
		abort();
	const char *k;
	json_object_foreach(keys, k, v) {
		h[i][0] = atoll(k);
		h[i][1] = (long long)json_integer_value(v);
		total += h[i++][1];
	}
	qsort(h, n, sizeof(*h), cmp_days);
	double med = total ? (hist_at((const long long (*)[2])h, n, (total - 1) / 2) +
			      hist_at((const long long (*)[2])h, n, total / 2)) / 2.0 : 0;
	free(h);
	return total ? json_real(med) : json_null();
}

json_t *kpi_ratio(long long a, long long b)
{
	return b ? json_real(round((double)a / (double)b * 10000.0) / 10000.0) : json_null();
}

/* A metric's keys as an object with a "total". */
static json_t *by_key(const json_t *m, const char *metric)
{
	json_t *o = json_deep_copy(json_object_get(m, metric));
	if (!o)
		o = json_object();
	json_object_set_new(o, "total", json_integer(kpi_get(m, metric, NULL)));
	return o;
}

static json_t *dossier_figures(const json_t *m, long long active)
{
	return json_pack("{s:I, s:I, s:{s:I, s:I, s:n, s:n, s:n}, s:[s, s, s]}", "handed_over",
			 (json_int_t)kpi_get(m, "handed_over", ""), "active", (json_int_t)active,
			 "closed", "paid", (json_int_t)kpi_get(m, "closed", "paid"), "returned",
			 (json_int_t)kpi_get(m, "closed", "returned"), "arrangement", "referred", "written_off",
			 "not_derivable", "closed.arrangement: no fact says an arrangement was paid off",
			 "closed.referred: a referral does not close a dossier in the event vocabulary",
			 "closed.written_off: there is no write-off fact yet");
}

static json_t *contact_figures(const json_t *m)
{
	long long att = kpi_get(m, "contact_attempts", ""), reached = kpi_get(m, "contact_reached", "");
	long long sa = kpi_get(m, "summons_allowed", ""), sc = kpi_get(m, "summons_after_contact", "");
	return json_pack("{s:{s:I, s:I, s:o}, s:{s:I, s:I, s:o, s:o}, s:o}", "summons", "allowed",
			 (json_int_t)sa, "preceded_by_contact", (json_int_t)sc, "share_preceded_by_contact",
			 kpi_ratio(sc, sa), "contact", "attempts", (json_int_t)att, "reached",
			 (json_int_t)reached, "right_party_contact_rate", kpi_ratio(reached, att),
			 "median_days_to_first_contact", kpi_median(m, "first_contact_days"),
			 "personal_contacts", by_key(m, "personal_contacts"));
}

static json_t *money_figures(const json_t *m)
{
	long long agreed = kpi_get(m, "arrangements_agreed", ""), broken = kpi_get(m, "arrangements_broken", "");
	long long costs = kpi_get(m, "costs_charged_cents", ""), cap = kpi_get(m, "wik_cap_cents", "");
	return json_pack("{s:{s:I, s:I, s:o}, s:o, s:{s:I, s:I, s:I}}", "costs", "charged_cents",
			 (json_int_t)costs, "wik_cap_cents", (json_int_t)cap, "share_of_wik_cap",
			 kpi_ratio(costs, cap), "referrals", by_key(m, "referrals"), "arrangements", "agreed",
			 (json_int_t)agreed, "broken", (json_int_t)broken, "kept",
			 (json_int_t)(agreed > broken ? agreed - broken : 0));
}

json_t *kpi_figures(const json_t *m, long long active)
{
	json_t *o = json_pack("{s:o, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:I, s:I}, s:o}", "dossiers",
			      dossier_figures(m, active), "escalations", "requested", by_key(m, "requested"),
			      "allowed", by_key(m, "allowed"), "denied", by_key(m, "denied"), "denied_by_rule",
			      by_key(m, "denied_rule"), "duration", "median_days_amicable",
			      kpi_median(m, "amicable_days"), "amicable_phases_ended",
			      (json_int_t)kpi_get(m, "amicable_days", NULL), "past_max_duration",
			      (json_int_t)kpi_get(m, "returned_past_max", ""), "refused_facts",
			      by_key(m, "refused_facts"));
	json_object_update_new(o, contact_figures(m));
	json_object_update_new(o, money_figures(m));
	return o;
}
