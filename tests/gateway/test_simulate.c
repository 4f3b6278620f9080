/* test_simulate.c - end to end: POST /v1/simulate and `fairgate simulate` record nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

#define DAY (24 * 3600)

static struct gw g;
static const char *binary;
static char admin[80], creditor[80], monitor[80], other_creditor[80], bailiff[80];
static char cred_id[64], partner_id[64], contract_id[64], dossier_id[64];
static char v1_path[256], v2_path[256];
/* The recorded decisions: A before the judgment was recorded, then B, C (allowed), D. */
static char dec_a[48], dec_b[48], dec_c[48], dec_d[48];

/* An RFC 3339 UTC time, days_ago days before now. */
static const char *ago(int days_ago)
{
	time_t t = time(NULL) - (time_t)days_ago * DAY;
	struct tm tm;
	char *b = gw_fmt("%s", "");
	gmtime_r(&t, &tm);
	strftime(b, 4096, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return b;
}

static long post(const char *token, const char *path, const char *body, struct http_reply *r)
{
	assert_true(gw_http(&g, "POST", path, token, body, NULL, r));
	return r->status;
}

/* Rows of this run's creditor: other tests may write to the same database meanwhile. */
static long long count_rows(const char *table)
{
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	const char *params[] = {cred_id};
	PGresult *r =
	    PQexecParams(c, gw_fmt("SELECT count(*) FROM %s WHERE creditor_id = $1", table), 1,
	                 NULL, params, NULL, NULL, 0);
	long long n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return n;
}

/* v1 forbids bank seizure; v2 (the draft) allows it and lists it. */
static const char *contract_doc(int version, const char *partner, const char *fee_model)
{
	bool v2 = version >= 2;
	return gw_fmt(
	    "{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":%d,\"valid_from\":\"2026-01-01\","
	    "\"valid_to\":null,\"terms\":{\"fee_model\":\"%s\",\"allowed_actions\":["
	    "\"summons\","
	    "\"wage_garnishment\",\"goods_seizure\"%s],\"bank_seizure_allowed\":%s,"
	    "\"personal_contact_before_summons\":{\"required\":true,\"channels\":[\"phone\","
	    "\"visit\"],"
	    "\"min_attempts\":1,\"within_days\":90},\"max_duration_days\":120,"
	    "\"shortened_amicable_days\":14,\"collection_costs\":{\"scale\":\"wik\",\"vat\":"
	    "false},"
	    "\"summons_min_principal_cents\":25000,\"judicial_cost_ratio_max\":1.0,"
	    "\"approved_letter_templates\":[\"herinnering-v3\"]}}",
	    contract_id, partner, version, fee_model, v2 ? ",\"bank_seizure\"" : "",
	    v2 ? "true" : "false");
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(cred_id, sizeof(cred_id), "woonstad-%s", run);
	snprintf(partner_id, sizeof(partner_id), "dw-oost-%s", run);
	snprintf(contract_id, sizeof(contract_id), "ws-oost-%s", run);
	snprintf(dossier_id, sizeof(dossier_id), "d-%s-sim", run);
	snprintf(v1_path, sizeof(v1_path), "/tmp/fg-sim-%s-v1.json", run);
	snprintf(v2_path, sizeof(v2_path), "/tmp/fg-sim-%s-v2.json", run);
	if (!write_file(v1_path, contract_doc(1, partner_id, "fixed_fee")) ||
	    !write_file(v2_path, contract_doc(2, partner_id, "fixed_fee")) ||
	    !gw_start(&g, binary, NULL))
		return -1;
	bool ok =
	    gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
	    gw_token(&g, "creditor", "ws", cred_id, NULL, creditor) &&
	    gw_token(&g, "monitor", "assessor", cred_id, NULL, monitor) &&
	    gw_token(&g, "creditor", "other", gw_fmt("other-%s", run), NULL, other_creditor) &&
	    gw_token(&g, "bailiff", "oost", NULL, partner_id, bailiff);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	unlink(v1_path);
	unlink(v2_path);
	return gw_stop(&g) ? 0 : -1;
}

/* The bailiff asks for action; returns the decision id and checks the outcome. */
static void escalate(const char *action, const char *outcome, char id[48])
{
	struct http_reply r;
	assert_int_equal(post(bailiff, gw_fmt("/v1/dossiers/%s/escalations", dossier_id),
	                      gw_fmt("{\"action\":\"%s\"}", action), &r),
	                 201);
	assert_string_equal(gw_jstr(r.json, "decision"), outcome);
	snprintf(id, 48, "%s", gw_jstr(r.json, "decision_id"));
	http_reply_free(&r);
}

static void test_history(void **state)
{
	struct http_reply r;
	assert_int_equal(
	    post(admin, "/v1/partners",
	         gw_fmt("{\"id\":\"%s\",\"kind\":\"bailiff\",\"name\":\"Deurwaarders Oost\"}",
	             partner_id),
	         &r),
	    201);
	http_reply_free(&r);
	assert_int_equal(
	    post(creditor, "/v1/contracts", contract_doc(1, partner_id, "fixed_fee"), &r), 201);
	http_reply_free(&r);
	assert_int_equal(
	    post(
	        creditor, "/v1/dossiers",
	        gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_"
	            "ref\":"
	            "\"deb-%s-q7\",\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":"
	            "\"2026-06-01\",\"phase\":\"judicial\",\"shortened_amicable_track\":false,"
	            "\"flags\":[],\"handed_over_at\":\"%s\"}",
	            dossier_id, partner_id, contract_id, gw_run_id(), ago(30)),
	        &r),
	    201);
	http_reply_free(&r);
	escalate("bank_seizure", "deny",
	         dec_a); /* R01, R14 and R17: no judgment recorded yet */
	/* the judgment is reported after A, though it happened before */
	assert_int_equal(
	    post(creditor, gw_fmt("/v1/dossiers/%s/events", dossier_id),
	         gw_fmt("{\"type\":\"judgment\",\"occurred_at\":\"%s\",\"awarded_cents\":84000}",
	             ago(20)),
	         &r),
	    201);
	http_reply_free(&r);
	escalate("bank_seizure", "deny", dec_b);
	escalate("wage_garnishment", "allow", dec_c);
	escalate("bank_seizure", "deny", dec_d);
}

static bool has_rule(json_t *reasons, const char *rule)
{
	for (size_t i = 0; i < json_array_size(reasons); i++)
		if (strcmp(gw_jstr(json_array_get(reasons, i), "rule"), rule) == 0)
			return true;
	return false;
}

static const char *sim_body(const char *contract, const char *at)
{
	return gw_fmt(
	    "{\"dossier_id\":\"%s\",\"request\":{\"action\":\"bank_seizure\"}%s%s%s%s%s}",
	    dossier_id, contract ? ",\"contract\":" : "", contract ? contract : "",
	    at ? ",\"at\":\"" : "", at ? at : "", at ? "\"" : "");
}

static void test_simulate_records_nothing(void **state)
{
	struct http_reply r;
	long long decisions = count_rows("decisions"), audit = count_rows("audit_log");
	assert_true(decisions >= 4 && audit > decisions);
	assert_int_equal(post(creditor, "/v1/simulate",
	                      sim_body(contract_doc(2, partner_id, "fixed_fee"), NULL), &r),
	                 200);
	assert_string_equal(gw_jstr(r.json, "decision"), "allow");
	assert_string_equal(gw_jstr(r.json, "dossier_id"), dossier_id);
	assert_string_equal(gw_jstr(r.json, "action"), "bank_seizure");
	assert_true(json_is_true(json_object_get(r.json, "simulated")));
	json_t *c = json_object_get(r.json, "contract");
	assert_string_equal(gw_jstr(c, "id"), contract_id);
	assert_int_equal(json_integer_value(json_object_get(c, "version")), 2);
	assert_true(json_is_true(json_object_get(c, "draft")));
	assert_null(json_object_get(r.json, "decision_id"));
	http_reply_free(&r);
	/* the stored version in force still denies */
	assert_int_equal(post(creditor, "/v1/simulate", sim_body(NULL, NULL), &r), 200);
	assert_string_equal(gw_jstr(r.json, "decision"), "deny");
	assert_true(has_rule(json_object_get(r.json, "reasons"), "R01"));
	assert_true(
	    json_is_false(json_object_get(json_object_get(r.json, "contract"), "draft")));
	http_reply_free(&r);
	/* a monitor of the creditor may simulate too */
	assert_int_equal(post(monitor, "/v1/simulate",
	                      sim_body(contract_doc(2, partner_id, "fixed_fee"), NULL), &r),
	                 200);
	assert_string_equal(gw_jstr(r.json, "decision"), "allow");
	http_reply_free(&r);
	assert_int_equal(count_rows("decisions"), decisions);
	assert_int_equal(count_rows("audit_log"), audit);
}

static void test_simulate_at(void **state)
{
	struct http_reply r;
	/* 25 days ago the judgment (20 days ago) had not happened */
	assert_int_equal(post(creditor, "/v1/simulate",
	                      sim_body(contract_doc(2, partner_id, "fixed_fee"), ago(25)), &r),
	                 200);
	assert_string_equal(gw_jstr(r.json, "decision"), "deny");
	assert_true(has_rule(json_object_get(r.json, "reasons"), "R17"));
	assert_false(has_rule(json_object_get(r.json, "reasons"), "R01"));
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/simulate", sim_body(NULL, ago(-2)), &r), 422);
	assert_string_equal(
	    gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"), "/at");
	http_reply_free(&r);
}

static void test_simulate_refusals(void **state)
{
	struct http_reply r;
	assert_int_equal(post(other_creditor, "/v1/simulate", sim_body(NULL, NULL), &r), 404);
	http_reply_free(&r);
	assert_int_equal(post(bailiff, "/v1/simulate", sim_body(NULL, NULL), &r), 403);
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/simulate",
	                      sim_body(contract_doc(2, partner_id, "no_cure_no_pay"), NULL),
	                      &r),
	                 422);
	assert_string_equal(
	    gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"),
	    "/contract/terms/fee_model");
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/simulate",
	                      sim_body(contract_doc(2, "elsewhere", "fixed_fee"), NULL), &r),
	                 422);
	assert_string_equal(
	    gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"),
	    "/contract/partner_id");
	http_reply_free(&r);
	assert_int_equal(
	    post(creditor, "/v1/simulate",
	         gw_fmt("{\"dossier_id\":\"%s\",\"request\":{\"action\":\"fly\"}}", dossier_id),
	         &r),
	    422);
	assert_string_equal(
	    gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"),
	    "/request/action");
	http_reply_free(&r);
}

static void test_cli_replay_draft(void **state)
{
	static char out[16384];
	const char *args[] = {"simulate", "--contract", v2_path, NULL};
	long long decisions = count_rows("decisions"), audit = count_rows("audit_log");
	assert_true(decisions >= 4 && audit > decisions);
	assert_int_equal(gw_cli(&g, args, out, sizeof(out)), 0);
	assert_non_null(strstr(
	    out, gw_fmt("%s dossier %s bank_seizure: v1 deny {R01,R14,R17} -> v2 deny {R17}: "
	             "would change",
	             dec_a, dossier_id)));
	assert_non_null(strstr(
	    out,
	    gw_fmt("%s dossier %s bank_seizure: v1 deny {R01,R14} -> v2 allow {}: would change",
	        dec_b, dossier_id)));
	assert_non_null(strstr(
	    out,
	    gw_fmt("%s dossier %s bank_seizure: v1 deny {R01,R14} -> v2 allow {}: would change",
	        dec_d, dossier_id)));
	assert_null(strstr(out, dec_c));
	assert_non_null(strstr(out, "4 decisions replayed, 3 would change\n"));
	assert_null(strstr(out, gw_fmt("deb-%s-q7", gw_run_id())));
	assert_int_equal(count_rows("decisions"), decisions);
	assert_int_equal(count_rows("audit_log"), audit);
}

static void test_cli_replay_same_contract(void **state)
{
	static char out[16384];
	const char *same[] = {"simulate", "--contract", v1_path, NULL};
	assert_int_equal(gw_cli(&g, same, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "4 decisions replayed, 0 would change\n"));
	const char *later[] = {"simulate", "--contract", v2_path,
	                       "--since",  "2999-01-01", NULL};
	assert_int_equal(gw_cli(&g, later, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "0 decisions replayed, 0 would change\n"));
	const char *bad[] = {"simulate", "--contract", v2_path, "--since", "yesterday", NULL};
	assert_int_equal(gw_cli(&g, bad, out, sizeof(out)), 2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_simulate_records_nothing),
	    cmocka_unit_test(test_simulate_at),
	    cmocka_unit_test(test_simulate_refusals),
	    cmocka_unit_test(test_cli_replay_draft),
	    cmocka_unit_test(test_cli_replay_same_contract),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
