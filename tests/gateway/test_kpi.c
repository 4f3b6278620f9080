/* test_kpi.c - end to end: KPIs, scorecard and self-assessment equal what was done through the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

static struct gw g;
static char admin[80], creditor[80], agency[80], other_creditor[80], monitor[80], other_monitor[80];
static char cred_id[64], pa[64], pb[64], ca[64], cb[64], denied_id[64];
static const char *binary;

/* What the test did, counted on its own. */
static struct {
	int handed_a, handed_b, requested, allowed, denied, r16, attempts, reached, refused_r18;
	long long costs;
} did;

static long req(const char *method, const char *token, const char *path, const char *body, struct http_reply *r)
{
	assert_true(gw_http(&g, method, path, token, body, NULL, r));
	return r->status;
}

static const char *stamp(time_t t)
{
	char *b = gw_fmt("%s", "");
	strftime(b, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return b;
}

static const char *day(time_t t)
{
	char *b = gw_fmt("%s", "");
	strftime(b, 16, "%Y-%m-%d", gmtime(&t));
	return b;
}

/* Noon UTC on the latest Tuesday to Thursday at least `back` days ago: inside contact hours. */
static time_t weekday_noon(int back)
{
	time_t t = time(NULL) - (time_t)back * 86400;
	t -= t % 86400;
	for (;;) {
		struct tm tm;
		gmtime_r(&t, &tm);
		if (tm.tm_wday >= 2 && tm.tm_wday <= 4)
			return t + 12 * 3600;
		t -= 86400;
	}
}

static json_t *at(json_t *o, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

static long long num(json_t *o, const char *path)
{
	return (long long)json_integer_value(at(o, path));
}

static const char *contract_doc(const char *id, const char *partner)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		   "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":[\"collection_costs\","
		   "\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\",\"extend_duration\"],"
		   "\"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,"
		   "\"channels\":[\"phone\",\"visit\"],\"min_attempts\":1,\"within_days\":90},"
		   "\"max_duration_days\":120,\"shortened_amicable_days\":14,\"collection_costs\":"
		   "{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		   "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"herinnering-v3\"]}}",
		   id, partner);
}

static void handover(const char *id, const char *partner, const char *contract)
{
	struct http_reply r;
	const char *doc = gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":\"deb-%s\","
			      "\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"%s\",\"phase\":\"amicable\","
			      "\"shortened_amicable_track\":false,\"flags\":[],\"handed_over_at\":\"%s\"}",
			      id, partner, contract, id, day(time(NULL) - 40 * 86400), stamp(time(NULL) - 20 * 86400));
	assert_int_equal(req("POST", creditor, "/v1/dossiers", doc, &r), 201);
	http_reply_free(&r);
}

static long fact(const char *did_, const char *body)
{
	struct http_reply r;
	long st = req("POST", agency, gw_fmt("/v1/dossiers/%s/events", did_), body, &r);
	http_reply_free(&r);
	return st;
}

/* Asks for an escalation and counts its outcome and denying rules. */
static void escalate(const char *did_, const char *action)
{
	struct http_reply r;
	assert_int_equal(req("POST", agency, gw_fmt("/v1/dossiers/%s/escalations", did_),
			     gw_fmt("{\"action\":\"%s\"}", action), &r), 201);
	did.requested++;
	bool deny = strcmp(json_string_value(json_object_get(r.json, "decision")), "deny") == 0;
	deny ? did.denied++ : did.allowed++;
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(r.json, "reasons"), i, x)
		if (deny && !json_is_true(json_object_get(x, "waived")) &&
		    !strcmp(json_string_value(json_object_get(x, "rule")), "R16"))
			did.r16++;
	if (deny && !denied_id[0])
		snprintf(denied_id, sizeof(denied_id), "%s", json_string_value(json_object_get(r.json, "decision_id")));
	http_reply_free(&r);
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(cred_id, sizeof(cred_id), "kpi-%s", run);
	snprintf(pa, sizeof(pa), "kpi-a-%s", run);
	snprintf(pb, sizeof(pb), "kpi-b-%s", run);
	snprintf(ca, sizeof(ca), "kpi-ca-%s", run);
	snprintf(cb, sizeof(cb), "kpi-cb-%s", run);
	/* no fold while the figures are first read: every decision's counts are still pending */
	const char *env[] = {"FAIRGATE_KPI_FOLD_INTERVAL_MS=3600000", NULL};
	if (!gw_start(&g, binary, env))
		return -1;
	return gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
			       gw_token(&g, "creditor", "kpi", cred_id, NULL, creditor) &&
			       gw_token(&g, "creditor", "other", gw_fmt("kpi-other-%s", run), NULL, other_creditor) &&
			       gw_token(&g, "monitor", "mon", cred_id, NULL, monitor) &&
			       gw_token(&g, "monitor", "mon2", gw_fmt("kpi-other-%s", run), NULL, other_monitor) &&
			       gw_token(&g, "agency", "a", NULL, pa, agency)
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	return gw_stop(&g) ? 0 : -1;
}

/* Partners, contracts, four dossiers, facts and decisions, each counted in `did`. */
static void test_story(void **state)
{
	struct http_reply r;
	const char *parts[] = {pa, pb};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(req("POST", admin, "/v1/partners", gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"P\","
			"\"wki_registration\":{\"number\":\"WKI-1\",\"valid_until\":\"2035-12-31\"}}", parts[i]), &r), 201);
		http_reply_free(&r);
	}
	assert_int_equal(req("POST", creditor, "/v1/contracts", contract_doc(ca, pa), &r), 201);
	http_reply_free(&r);
	assert_int_equal(req("POST", creditor, "/v1/contracts", contract_doc(cb, pb), &r), 201);
	http_reply_free(&r);
	char d1[80], d2[80], d3[80], d4[80];
	snprintf(d1, sizeof(d1), "%s-1", ca);
	snprintf(d2, sizeof(d2), "%s-2", ca);
	snprintf(d3, sizeof(d3), "%s-3", ca);
	snprintf(d4, sizeof(d4), "%s-1", cb);
	handover(d1, pa, ca);
	handover(d2, pa, ca);
	handover(d3, pa, ca);
	handover(d4, pb, cb);
	did.handed_a = 3, did.handed_b = 1;
	time_t t = weekday_noon(3);
	const char *ca1 = "{\"type\":\"contact_attempt\",\"occurred_at\":\"%s\",\"channel\":\"phone\",\"reached\":%s}";
	assert_int_equal(fact(d1, gw_fmt(ca1, stamp(t), "true")), 201);
	assert_int_equal(fact(d2, gw_fmt(ca1, stamp(t), "false")), 201);
	did.attempts = 2, did.reached = 1;
	assert_int_equal(fact(d2, gw_fmt(ca1, stamp(t - 13 * 3600), "false")), 422); /* 23:00 Amsterdam: R18 */
	did.refused_r18 = 1;
	assert_int_equal(fact(d1, gw_fmt("{\"type\":\"referral\",\"occurred_at\":\"%s\",\"to\":\"geldfit\"}", stamp(t))), 201);
	assert_int_equal(fact(d1, gw_fmt("{\"type\":\"arrangement_agreed\",\"occurred_at\":\"%s\","
				      "\"installment_cents\":5000,\"installments\":6}", stamp(t))), 201);
	assert_int_equal(fact(d3, gw_fmt("{\"type\":\"costs_charged\",\"occurred_at\":\"%s\",\"amount_cents\":5000}",
				      stamp(t))), 201);
	did.costs = 5000;
	escalate(d2, "summons");             /* an agency never summons: R16 */
	escalate(d3, "transfer_to_bailiff");
	escalate(d3, "bank_seizure");
}

static json_t *get_ok(const char *token, const char *path)
{
	struct http_reply r;
	assert_int_equal(req("GET", token, path, NULL, &r), 200);
	json_t *j = json_incref(r.json);
	http_reply_free(&r);
	return j;
}

static const char *period(void)
{
	return gw_fmt("from=%s&to=%s", day(time(NULL) - 60 * 86400), day(time(NULL) + 86400));
}

static void expect_figures(void)
{
	json_t *k = get_ok(creditor, gw_fmt("/v1/kpi?%s", period()));
	assert_int_equal(num(k, "dossiers.handed_over"), did.handed_a + did.handed_b);
	assert_int_equal(num(k, "dossiers.active"), did.handed_a + did.handed_b);
	assert_int_equal(num(k, "escalations.requested.total"), did.requested);
	assert_int_equal(num(k, "escalations.allowed.total"), did.allowed);
	assert_int_equal(num(k, "escalations.denied.total"), did.denied);
	assert_int_equal(num(k, "escalations.denied_by_rule.R16"), did.r16);
	assert_int_equal(num(k, "contact.attempts"), did.attempts);
	assert_int_equal(num(k, "contact.reached"), did.reached);
	assert_true(json_real_value(at(k, "contact.right_party_contact_rate")) == 0.5);
	assert_int_equal(num(k, "referrals.total"), 1);
	assert_int_equal(num(k, "referrals.geldfit"), 1);
	assert_int_equal(num(k, "arrangements.agreed"), 1);
	assert_int_equal(num(k, "costs.charged_cents"), did.costs);
	assert_int_equal(num(k, "costs.wik_cap_cents"), 12600); /* 15% of EUR 840 */
	assert_int_equal(num(k, "refused_facts.R18"), did.refused_r18);
	assert_int_equal(num(k, gw_fmt("refused_facts_by_partner.%s.R18", pa)), did.refused_r18);
	assert_true(json_real_value(at(k, "contact.median_days_to_first_contact")) > 0);
	json_decref(k);
	k = get_ok(monitor, gw_fmt("/v1/kpi?creditor_id=%s&partner_id=%s&%s", cred_id, pb, period()));
	assert_int_equal(num(k, "dossiers.handed_over"), did.handed_b);
	assert_int_equal(num(k, "escalations.requested.total"), 0);
	json_decref(k);
}

/* The rows of kpi_pending (sql/014) or kpi_daily of this run's creditor that meet cond. */
static int kpi_rows(PGconn *db, const char *table, const char *cond)
{
	const char *p[] = {cred_id};
	const char *q = gw_fmt("SELECT count(*) FROM %s WHERE creditor_id = $1 AND (%s)", table, cond);
	const char *v = gw_sql_value(db, q, 1, p);
	assert_null(strstr(v, "ERR"));
	return atoi(v);
}

/* Read while the decisions' counts wait in kpi_pending, the figures are already whole. */
static void test_kpi_figures(void **state)
{
	PGconn *db = PQconnectdb(g.db_url);
	assert_int_equal(PQstatus(db), CONNECTION_OK);
	assert_true(kpi_rows(db, "kpi_pending", "true") > 0);
	assert_int_equal(kpi_rows(db, "kpi_daily", "metric IN ('requested', 'allowed', 'denied')"), 0);
	PQfinish(db);
	expect_figures();
}

/* Restarted with a short fold interval, the gateway folds them into kpi_daily: the same figures. */
static void test_kpi_folded(void **state)
{
	const char *env[] = {"FAIRGATE_KPI_FOLD_INTERVAL_MS=50", NULL};
	/* the first fold after a start also vacuums kpi_pending (vacuum_count: manual vacuums only) */
	const char *vacuums = "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'kpi_pending'::regclass";
	PGconn *db = PQconnectdb(g.db_url);
	assert_int_equal(PQstatus(db), CONNECTION_OK);
	long long before = atoll(gw_sql_value(db, vacuums, 0, NULL));
	assert_true(gw_stop(&g));
	assert_true(gw_restart(&g, env));
	for (int i = 0; i < 200 && kpi_rows(db, "kpi_pending", "true") > 0; i++)
		usleep(25000);
	assert_int_equal(kpi_rows(db, "kpi_pending", "true"), 0);
	assert_true(kpi_rows(db, "kpi_daily", "metric = 'requested'") > 0);
	for (int i = 0; i < 100 && atoll(gw_sql_value(db, vacuums, 0, NULL)) <= before; i++) {
		usleep(50000);
		PQclear(PQexec(db, "SELECT pg_stat_clear_snapshot()"));
	}
	assert_true(atoll(gw_sql_value(db, vacuums, 0, NULL)) > before);
	PQfinish(db);
	char *log = gw_read_log(&g);
	assert_null(strstr(log, "kpi: folding"));
	assert_null(strstr(log, "kpi: vacuuming"));
	free(log);
	expect_figures();
}

static void test_scorecard(void **state)
{
	json_t *s = get_ok(monitor, gw_fmt("/v1/scorecard?creditor_id=%s&%s", cred_id, period()));
	json_t *rows = json_object_get(s, "partners"), *row;
	size_t i;
	int seen = 0;
	json_array_foreach(rows, i, row) {
		const char *p = json_string_value(json_object_get(row, "partner_id"));
		if (!strcmp(p, pa)) {
			seen++;
			assert_int_equal(num(row, "requests"), did.requested);
			assert_int_equal(num(row, "denied"), did.denied);
			assert_int_equal(num(row, "refused_facts"), did.refused_r18);
			assert_int_equal(num(row, "referrals"), 1);
			assert_int_equal(num(row, "arrangements_agreed"), 1);
		} else if (!strcmp(p, pb)) {
			seen++;
			assert_int_equal(num(row, "requests"), 0);
		}
	}
	assert_int_equal(seen, 2);
	json_decref(s);
}

static void expect(const char *token, const char *path, long status, const char *param)
{
	struct http_reply r;
	assert_int_equal(req("GET", token, path, NULL, &r), status);
	assert_string_equal(r.content_type, "application/problem+json");
	if (param)
		assert_string_equal(json_string_value(json_object_get(r.json, "parameter")), param);
	http_reply_free(&r);
}

static void test_scope_and_params(void **state)
{
	expect(other_creditor, gw_fmt("/v1/kpi?creditor_id=%s&%s", cred_id, period()), 404, NULL);
	expect(other_monitor, gw_fmt("/v1/kpi?creditor_id=%s&%s", cred_id, period()), 403, NULL);
	expect(other_monitor, gw_fmt("/v1/scorecard?creditor_id=%s&%s", cred_id, period()), 403, NULL);
	expect(other_monitor, gw_fmt("/v1/reports/self-assessment?creditor_id=%s&year=2026", cred_id), 403, NULL);
	expect(agency, gw_fmt("/v1/kpi?%s", period()), 403, NULL);
	expect(creditor, "/v1/kpi?to=2026-01-01", 400, "from");
	expect(creditor, "/v1/kpi?from=2026-01-01&to=2026-13-01", 400, "to");
	expect(creditor, "/v1/kpi?from=2026-02-01&to=2026-01-01", 400, "to");
	expect(creditor, "/v1/kpi?from=2024-01-01&to=2026-01-01", 400, "to");
	expect(creditor, "/v1/reports/self-assessment?year=twenty", 400, "year");
	expect(creditor, "/v1/reports/self-assessment?year=2026&format=pdf", 400, "format");
	json_t *other = get_ok(other_creditor, gw_fmt("/v1/kpi?%s", period()));
	assert_int_equal(num(other, "dossiers.handed_over"), 0);
	json_decref(other);
}

static void test_self_assessment(void **state)
{
	char year[8];
	snprintf(year, sizeof(year), "%.4s", day(time(NULL)));
	json_t *j = get_ok(monitor, gw_fmt("/v1/reports/self-assessment?creditor_id=%s&year=%s", cred_id, year));
	json_t *secs = json_object_get(j, "sections"), *s;
	size_t i;
	assert_int_equal(json_array_size(secs), 7);
	char *all = json_dumps(j, 0);
	json_array_foreach(secs, i, s) {
		assert_string_equal(json_string_value(json_object_get(s, "id")), gw_fmt("K%zu", i + 1));
		assert_string_equal(json_string_value(json_object_get(s, "explanation")), "");
	}
	assert_non_null(strstr(all, denied_id));
	assert_null(strstr(all, "deb-")); /* never a debtor_ref */
	free(all);
	json_decref(j);
	const char *fmts[] = {"csv", "html"}, *types[] = {"text/csv; charset=utf-8", "text/html; charset=utf-8"};
	for (int f = 0; f < 2; f++) {
		struct http_reply r;
		assert_int_equal(req("GET", creditor, gw_fmt("/v1/reports/self-assessment?year=%s&format=%s", year, fmts[f]),
				     NULL, &r), 200);
		assert_string_equal(r.content_type, types[f]);
		for (int k = 1; k <= 7; k++)
			assert_non_null(strstr(r.body, gw_fmt("K%d", k)));
		assert_non_null(strstr(r.body, denied_id));
		assert_null(strstr(r.body, "http"));  /* printable, no external assets */
		http_reply_free(&r);
	}
}

int main(int argc, char **argv)
{
	binary = argc > 1 ? argv[1] : "fairgate";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story),
		cmocka_unit_test(test_kpi_figures),
		cmocka_unit_test(test_kpi_folded),
		cmocka_unit_test(test_scorecard),
		cmocka_unit_test(test_scope_and_params),
		cmocka_unit_test(test_self_assessment),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
