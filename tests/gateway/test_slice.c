/* test_slice.c - end to end: the first vertical slice over HTTP against the real binary and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

static struct gw g;
static char admin[80], creditor[80], agency[80], other_agency[80], other_creditor[80];
static char cred_id[64], partner_id[64], partner2_id[64], contract_id[64], dossier_id[64];
static const char *binary;

static long post(const char *token, const char *path, const char *body, struct http_reply *r)
{
	assert_true(gw_http(&g, "POST", path, token, body, NULL, r));
	return r->status;
}

static long long count_rows(const char *table)
{
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	PGresult *r = PQexec(c, gw_fmt("SELECT count(*) FROM %s", table));
	long long n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return n;
}

static const char *contract_doc(const char *fee_model)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2026-01-01\","
		   "\"valid_to\":null,\"terms\":{\"fee_model\":\"%s\",\"allowed_actions\":[\"collection_costs\","
		   "\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\",\"extend_duration\"],"
		   "\"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,"
		   "\"channels\":[\"phone\",\"visit\"],\"min_attempts\":1,\"within_days\":90},"
		   "\"max_duration_days\":120,\"shortened_amicable_days\":14,\"collection_costs\":"
		   "{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		   "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"herinnering-v3\","
		   "\"veertiendagenbrief-v2\"]}}",
		   contract_id, partner_id, fee_model);
}

static const char *dossier_doc(const char *id)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":\"deb-%s-x9\","
		   "\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"2026-09-01\","
		   "\"phase\":\"amicable\",\"shortened_amicable_track\":false,\"flags\":[]}",
		   id, partner_id, contract_id, gw_run_id());
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(cred_id, sizeof(cred_id), "woonstad-%s", run);
	snprintf(partner_id, sizeof(partner_id), "noord-%s", run);
	snprintf(partner2_id, sizeof(partner2_id), "zuid-%s", run);
	snprintf(contract_id, sizeof(contract_id), "ws-noord-%s", run);
	snprintf(dossier_id, sizeof(dossier_id), "d-%s-1", run);
	if (!gw_start(&g, binary, NULL))
		return -1;
	bool ok = gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
		  gw_token(&g, "creditor", "ws", cred_id, NULL, creditor) &&
		  gw_token(&g, "creditor", "other", gw_fmt("other-%s", run), NULL, other_creditor) &&
		  gw_token(&g, "agency", "noord", NULL, partner_id, agency) &&
		  gw_token(&g, "agency", "zuid", NULL, partner2_id, other_agency);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	return gw_stop(&g) ? 0 : -1;
}

static void test_probes(void **state)
{
	struct http_reply r;
	assert_true(gw_http(&g, "GET", "/healthz", NULL, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_true(gw_http(&g, "GET", "/readyz", NULL, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "ready")));
	http_reply_free(&r);
}

static void test_unauthorized(void **state)
{
	struct http_reply r;
	assert_true(gw_http(&g, "GET", "/v1/partners/x", NULL, NULL, NULL, &r));
	assert_int_equal(r.status, 401);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_string_equal(gw_jstr(r.json, "code"), "unauthorized");
	http_reply_free(&r);
	const char *wrong = "fg_0000000000000000000000000000000000000000000000000000000000000000";
	assert_true(gw_http(&g, "GET", "/v1/partners/x", wrong, NULL, NULL, &r));
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
}

static void test_register_partners(void **state)
{
	struct http_reply r;
	const char *p1 = gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Noord\","
			     "\"wki_registration\":{\"number\":\"WKI-00123\",\"valid_until\":\"2030-12-31\"}}",
			     partner_id);
	assert_int_equal(post(admin, "/v1/partners", p1, &r), 201);
	http_reply_free(&r);
	assert_int_equal(post(admin, "/v1/partners", p1, &r), 409);
	assert_string_equal(gw_jstr(r.json, "code"), "partner_exists");
	http_reply_free(&r);
	const char *p2 = gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Zuid\","
			     "\"wki_registration\":{\"number\":\"WKI-00456\",\"valid_until\":\"2030-12-31\"}}",
			     partner2_id);
	assert_int_equal(post(admin, "/v1/partners", p2, &r), 201);
	http_reply_free(&r);
	/* a creditor may not register partners */
	assert_int_equal(post(creditor, "/v1/partners", p2, &r), 403);
	http_reply_free(&r);
}

static void test_contract(void **state)
{
	struct http_reply r;
	assert_int_equal(post(creditor, "/v1/contracts", contract_doc("no_cure_no_pay"), &r), 422);
	json_t *errs = json_object_get(r.json, "errors");
	assert_true(json_array_size(errs) >= 1);
	assert_string_equal(gw_jstr(json_array_get(errs, 0), "pointer"), "/terms/fee_model");
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/contracts", contract_doc("fixed_fee"), &r), 201);
	assert_string_equal(gw_jstr(r.json, "creditor_id"), cred_id);
	http_reply_free(&r);
}

static void test_handover(void **state)
{
	struct http_reply r;
	assert_int_equal(post(creditor, "/v1/dossiers", dossier_doc(dossier_id), &r), 201);
	assert_string_equal(gw_jstr(r.json, "id"), dossier_id);
	assert_true(json_integer_value(json_object_get(r.json, "audit_seq")) > 0);
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/dossiers", dossier_doc(dossier_id), &r), 409);
	http_reply_free(&r);
}

static void test_bad_input_writes_nothing(void **state)
{
	struct http_reply r;
	long long audit = count_rows("audit_log"), dossiers = count_rows("dossiers");
	assert_int_equal(post(creditor, "/v1/dossiers", "{\"id\": ", &r), 400);
	assert_string_equal(gw_jstr(r.json, "code"), "malformed_json");
	/* where it went wrong: jansson's reader, after the fast one refused the body */
	assert_non_null(strstr(gw_jstr(r.json, "detail"), "malformed JSON at line 1 column"));
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/dossiers", "{\"id\": \"d\", \"id\": \"e\"}", &r), 400);
	assert_non_null(strstr(gw_jstr(r.json, "detail"), "duplicate object key"));
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/dossiers",
			      gw_fmt("{\"id\":\"d-%s-2\",\"partner_id\":\"%s\",\"contract_id\":\"%s\","
				  "\"debtor_ref\":\"deb-1234\",\"currency\":\"EUR\",\"due_date\":\"2026-09-01\","
				  "\"phase\":\"amicable\",\"shortened_amicable_track\":false}",
				  gw_run_id(), partner_id, contract_id), &r), 422);
	assert_string_equal(gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"),
			    "/principal_cents");
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/dossiers",
			      gw_fmt("{\"id\":\"d-%s-3\",\"partner_id\":\"%s\",\"contract_id\":\"%s\","
				  "\"debtor_ref\":\"deb-1234\",\"principal_cents\":\"lots\",\"currency\":\"EUR\","
				  "\"due_date\":\"2026-09-01\",\"phase\":\"amicable\",\"shortened_amicable_track\":false}",
				  gw_run_id(), partner_id, contract_id), &r), 422);
	assert_string_equal(gw_jstr(json_array_get(json_object_get(r.json, "errors"), 0), "pointer"),
			    "/principal_cents");
	http_reply_free(&r);
	assert_int_equal(post(creditor, "/v1/dossiers",
			      gw_fmt("{\"id\":\"d-%s-4\",\"partner_id\":\"%s\",\"contract_id\":\"%s\","
				  "\"debtor_ref\":\"123456782\",\"principal_cents\":100,\"currency\":\"EUR\","
				  "\"due_date\":\"2026-09-01\",\"phase\":\"amicable\",\"shortened_amicable_track\":false}",
				  gw_run_id(), partner_id, contract_id), &r), 422);
	http_reply_free(&r);
	/* a NUL byte is no JSON; jansson's json_loadb skips one after a number and would read a
	 * valid dossier here */
	const char *doc = dossier_doc(gw_fmt("d-%s-5", gw_run_id()));
	const char *num = strstr(doc, "84000") + 5;
	char *bytes = gw_fmt("%.*s%c%s", (int)(num - doc), doc, 'N', num);
	bytes[num - doc] = '\0';
	assert_true(gw_http_bytes(&g, "POST", "/v1/dossiers", creditor, bytes, strlen(doc) + 1, &r));
	assert_int_equal(r.status, 400);
	assert_string_equal(gw_jstr(r.json, "code"), "malformed_json");
	assert_non_null(strstr(gw_jstr(r.json, "detail"), gw_fmt("a NUL byte at offset %d", (int)(num - doc))));
	http_reply_free(&r);
	assert_int_equal(count_rows("audit_log"), audit);
	assert_int_equal(count_rows("dossiers"), dossiers);
}

static void test_bank_seizure_denied(void **state)
{
	struct http_reply r, again;
	assert_int_equal(post(agency, gw_fmt("/v1/dossiers/%s/escalations", dossier_id),
			      "{\"action\":\"bank_seizure\"}", &r), 201);
	assert_string_equal(gw_jstr(r.json, "decision"), "deny");
	assert_string_equal(gw_jstr(r.json, "dossier_id"), dossier_id);
	assert_string_equal(gw_jstr(json_object_get(r.json, "contract"), "id"), contract_id);
	json_t *reasons = json_object_get(r.json, "reasons");
	bool r01 = false;
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		json_t *x = json_array_get(reasons, i);
		if (strcmp(gw_jstr(x, "rule"), "R01") == 0) {
			r01 = true;
			assert_true(strlen(gw_jstr(x, "message_nl")) > 10);
			assert_true(strlen(gw_jstr(x, "message_en")) > 10);
			assert_true(strlen(gw_jstr(x, "remedy")) > 5);
		}
	}
	assert_true(r01);
	assert_true(json_integer_value(json_object_get(r.json, "audit_seq")) > 0);
	/* the recorded decision is the one answered */
	assert_true(gw_http(&g, "GET", gw_fmt("/v1/decisions/%s", gw_jstr(r.json, "decision_id")), creditor, NULL,
			    NULL, &again));
	assert_int_equal(again.status, 200);
	assert_string_equal(again.body, r.body);
	http_reply_free(&again);
	http_reply_free(&r);
}

static void test_allowed_action(void **state)
{
	struct http_reply r;
	assert_int_equal(post(agency, gw_fmt("/v1/dossiers/%s/escalations", dossier_id),
			      "{\"action\":\"transfer_to_bailiff\"}", &r), 201);
	assert_string_equal(gw_jstr(r.json, "decision"), "allow");
	http_reply_free(&r);
}

/*
 * With the contract's only version changed by `change` so that none is in force
 * today, an escalation gets 409 no_contract_in_force and records nothing; the
 * version is put back by `restore` before anything is asserted.
 */
static void expect_no_contract_in_force(const char *change, const char *restore)
{
	struct http_reply r;
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	const char *params[] = {contract_id};
	assert_string_equal(gw_sql_value(c, change, 1, params), "ok");
	long long decisions = count_rows("decisions");
	long rc = post(agency, gw_fmt("/v1/dossiers/%s/escalations", dossier_id), "{\"action\":\"summons\"}", &r);
	assert_string_equal(gw_sql_value(c, restore, 1, params), "ok");
	PQfinish(c);
	assert_int_equal(rc, 409);
	assert_string_equal(gw_jstr(r.json, "code"), "no_contract_in_force");
	assert_int_equal(count_rows("decisions"), decisions);
	http_reply_free(&r);
}

/* An operator ended the version: nothing is decided. */
static void test_no_contract_in_force(void **state)
{
	expect_no_contract_in_force("UPDATE contracts SET valid_to = '2026-01-31' WHERE id = $1 RETURNING 'ok'",
				    "UPDATE contracts SET valid_to = NULL WHERE id = $1 RETURNING 'ok'");
}

/* A version that starts after today is not in force yet: nothing is decided on it either. */
static void test_contract_not_yet_in_force(void **state)
{
	expect_no_contract_in_force("UPDATE contracts SET valid_from = '2099-01-01' WHERE id = $1 RETURNING 'ok'",
				    "UPDATE contracts SET valid_from = '2026-01-01' WHERE id = $1 RETURNING 'ok'");
}

static void test_scoping(void **state)
{
	struct http_reply r;
	assert_int_equal(post(other_agency, gw_fmt("/v1/dossiers/%s/escalations", dossier_id),
			      "{\"action\":\"summons\"}", &r), 404);
	http_reply_free(&r);
	assert_true(gw_http(&g, "GET", gw_fmt("/v1/dossiers/%s", dossier_id), other_creditor, NULL, NULL, &r));
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	assert_true(gw_http(&g, "GET", gw_fmt("/v1/dossiers/%s", dossier_id), agency, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	/* a creditor does not request escalations */
	assert_int_equal(post(creditor, gw_fmt("/v1/dossiers/%s/escalations", dossier_id),
			      "{\"action\":\"summons\"}", &r), 403);
	http_reply_free(&r);
}

/* A revoked token stops working at once, not after the cache's lifetime. */
static void test_revocation_is_immediate(void **state)
{
	char token[80], id[32];
	struct http_reply r;
	const char *name = gw_fmt("to-revoke-%s", gw_run_id());
	assert_true(gw_token(&g, "agency", name, NULL, partner_id, token));
	assert_true(gw_http(&g, "GET", "/v1/partners/none", token, NULL, NULL, &r));
	assert_int_equal(r.status, 404); /* authenticated, and now in the cache */
	http_reply_free(&r);
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	const char *params[] = {name};
	snprintf(id, sizeof(id), "%s", gw_sql_value(c, "SELECT id FROM principals WHERE name = $1", 1, params));
	PQfinish(c);
	const char *args[] = {"principal", "revoke", "--id", id, NULL};
	assert_int_equal(gw_cli(&g, args, NULL, 0), 0);
	assert_true(gw_http(&g, "GET", "/v1/partners/none", token, NULL, NULL, &r));
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
}

static void test_audit_verifies_and_log_is_clean(void **state)
{
	char out[512];
	const char *args[] = {"audit", "verify", NULL};
	assert_int_equal(gw_cli(&g, args, out, sizeof(out)), 0);
	char *log = gw_read_log(&g);
	assert_non_null(strstr(log, "\"type\":\"access\""));
	assert_null(strstr(log, agency));
	assert_null(strstr(log, creditor));
	assert_null(strstr(log, gw_fmt("deb-%s-x9", gw_run_id())));
	free(log);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_unauthorized),
		cmocka_unit_test(test_register_partners),
		cmocka_unit_test(test_contract),
		cmocka_unit_test(test_handover),
		cmocka_unit_test(test_bad_input_writes_nothing),
		cmocka_unit_test(test_bank_seizure_denied),
		cmocka_unit_test(test_allowed_action),
		cmocka_unit_test(test_no_contract_in_force),
		cmocka_unit_test(test_contract_not_yet_in_force),
		cmocka_unit_test(test_scoping),
		cmocka_unit_test(test_revocation_is_immediate),
		cmocka_unit_test(test_audit_verifies_and_log_is_clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
