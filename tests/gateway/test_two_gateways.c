/* test_two_gateways.c - end to end: two gateway processes on one database never allow the same thing twice. */
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

#define ROUNDS 6
#define PER_GW 8
#define SAME_KEYS 10
#define RETRY_TRIES 40

static struct gw g1, g2;
static const char *binary;
static PGconn *db;
static char admin[80], creditor[80], agency[80];
static char cred_id[64], partner_id[64], contract_id[64];
static struct gw_call calls[2 * PER_GW];

static const char *contract_doc(void)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		   "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":"
		   "[\"collection_costs\",\"transfer_to_bailiff\",\"summons\"],\"bank_seizure_allowed\":false,"
		   "\"personal_contact_before_summons\":{\"required\":true,\"channels\":[\"phone\",\"visit\"],"
		   "\"min_attempts\":1,\"within_days\":90},\"max_duration_days\":120,\"shortened_amicable_days\":14,"
		   "\"collection_costs\":{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		   "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"veertiendagenbrief-v2\"]}}",
		   contract_id, partner_id);
}

/* A dossier handed over 40 days ago whose fourteen-day letter went out 35 days ago. */
static void dossier_with_expired_letter(const char *did)
{
	long long now = (long long)time(NULL);
	gw_post_created(&g1, creditor, "/v1/dossiers",
		gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":\"deb-%s-q\","
		    "\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"2020-06-01\",\"phase\":"
		    "\"amicable\",\"shortened_amicable_track\":false,\"flags\":[],\"handed_over_at\":\"%s\"}",
		    did, partner_id, contract_id, did, gw_stamp(now - 40 * 86400)));
	gw_post_created(&g1, agency, gw_fmt("/v1/dossiers/%s/events", did),
		gw_fmt("{\"type\":\"letter_sent\",\"occurred_at\":\"%s\",\"template\":\"veertiendagenbrief-v2\","
		    "\"kind\":\"fourteen_day_letter\"}", gw_stamp(now - 35 * 86400 + 3600)));
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(cred_id, sizeof(cred_id), "two-cr-%s", run);
	snprintf(partner_id, sizeof(partner_id), "two-p-%s", run);
	snprintf(contract_id, sizeof(contract_id), "two-k-%s", run);
	/*
	 * g1 with its two lanes chosen by the dossier's hash (commit_relief_us 0), g2
	 * with relief routing over three lanes and a bound test_relief_lane can outwait
	 */
	const char *hashed[] = {"FAIRGATE_COMMIT_RELIEF_US=0", NULL};
	const char *relief[] = {"FAIRGATE_COMMIT_LANES=3", "FAIRGATE_COMMIT_RELIEF_US=50000", NULL};
	if (!gw_start(&g1, binary, hashed) || !gw_start(&g2, binary, relief))
		return -1;
	db = PQconnectdb(g1.db_url);
	if (PQstatus(db) != CONNECTION_OK)
		return -1;
	bool ok = gw_token(&g1, "admin", "ops", NULL, NULL, admin) &&
		  gw_token(&g1, "creditor", "ws", cred_id, NULL, creditor) &&
		  gw_token(&g1, "agency", "noord", NULL, partner_id, agency);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	PQfinish(db);
	bool a = g1.pid > 0 && gw_stop(&g1), b = g2.pid > 0 && gw_stop(&g2);
	return a && b ? 0 : -1;
}

static void test_parties(void **state)
{
	gw_post_created(&g1, admin, "/v1/partners",
		gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Noord\",\"wki_registration\":"
		    "{\"number\":\"WKI-00123\",\"valid_until\":\"2099-12-31\"}}", partner_id));
	gw_post_created(&g1, creditor, "/v1/contracts", contract_doc());
}

static void make_call(struct gw_call *c, const struct gw *g, const char *did, const char *key)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	c->method = "POST";
	c->token = agency;
	snprintf(c->idem_key, sizeof(c->idem_key), "%s", key);
	snprintf(c->path, sizeof(c->path), "/v1/dossiers/%s/escalations", did);
	snprintf(c->body, sizeof(c->body), "{\"action\":\"collection_costs\",\"amount_cents\":12600,\"note\":\"%s\"}",
		 key);
}

/* Sends a call again (same gateway, same key) until it is answered 201. */
static void settle(struct gw_call *c)
{
	for (int t = 0; t < RETRY_TRIES && c->status != 201; t++) {
		struct http_reply r;
		const char *hdr[] = {gw_fmt("Idempotency-Key: %s", c->idem_key), NULL};
		usleep(20 * 1000);
		assert_true(gw_http(c->g, "POST", c->path, c->token, c->body, hdr, &r));
		assert_true(r.status == 201 || r.status == 409);
		free(c->resp);
		c->resp = strdup(r.body);
		c->status = r.status;
		http_reply_free(&r);
	}
	assert_int_equal(c->status, 201);
}

static bool denied_by_r10(json_t *j)
{
	json_t *reasons = json_object_get(j, "reasons");
	for (size_t i = 0; i < json_array_size(reasons); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(reasons, i), "rule")) ?: "", "R10") == 0)
			return true;
	return false;
}

/* Collection costs asked through both gateways at once: one allow, every other one denied by R10. */
static void test_charged_once(void **state)
{
	int conflicts = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char did[64];
		snprintf(did, sizeof(did), "two-d-%s-%d", gw_run_id(), round);
		dossier_with_expired_letter(did);
		for (int i = 0; i < 2 * PER_GW; i++)
			make_call(&calls[i], i % 2 ? &g2 : &g1, did, gw_fmt("two-%s-%d-%d", gw_run_id(), round, i));
		assert_int_equal(gw_http_batch(calls, 2 * PER_GW, 2 * PER_GW, NULL, NULL), 2 * PER_GW);
		int allows = 0;
		for (int i = 0; i < 2 * PER_GW; i++) {
			conflicts += calls[i].status == 409;
			settle(&calls[i]);
			json_t *j = json_loads(calls[i].resp, 0, NULL);
			assert_non_null(j);
			const char *d = json_string_value(json_object_get(j, "decision"));
			assert_non_null(d);
			if (strcmp(d, "allow") == 0)
				allows++;
			else
				assert_true(denied_by_r10(j));
			json_decref(j);
		}
		assert_int_equal(allows, 1);
		const char *p[] = {did};
		assert_string_equal(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE dossier_id = $1 AND "
					      "action = 'collection_costs' AND outcome = 'allow'", 1, p), "1");
		/* both processes decided (each has its own audit chains, one per commit lane) */
		assert_string_equal(gw_sql_value(db, "SELECT count(DISTINCT c.pid) FROM decisions d JOIN audit_chains c "
					      "ON c.id = d.audit_chain WHERE d.dossier_id = $1", 1, p), "2");
		gw_calls_free(calls, 2 * PER_GW);
	}
	fprintf(stderr, "%d rounds of %d concurrent requests through two gateways: one allow each; "
			"%d answered 409 first and were retried\n", ROUNDS, 2 * PER_GW, conflicts);
}

/* One key sent to both processes at once: one recorded decision, the same answer from both. */
static void test_same_key_both_gateways(void **state)
{
	char did[64];
	snprintf(did, sizeof(did), "two-d-%s-key", gw_run_id());
	dossier_with_expired_letter(did);
	for (int k = 0; k < SAME_KEYS; k++) {
		const char *key = gw_fmt("same-%s-%d", gw_run_id(), k);
		make_call(&calls[0], &g1, did, key);
		make_call(&calls[1], &g2, did, key);
		assert_int_equal(gw_http_batch(calls, 2, 2, NULL, NULL), 2);
		settle(&calls[0]);
		settle(&calls[1]);
		assert_string_equal(calls[0].resp, calls[1].resp);
		const char *p[] = {key};
		assert_string_equal(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE request->>'note' = $1", 1, p), "1");
		gw_calls_free(calls, 2);
	}
	const char *p[] = {did};
	assert_string_equal(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE dossier_id = $1 AND outcome = 'allow'",
				      1, p), "1");
}

/* test_relief_lane's tick: sees the first decision's batch wait, starts the second, then unlocks. */
struct stall {
	struct gw_call *calls;
	bool waited;          /* the first decision's batch was seen waiting for the lock */
	double released_ms;   /* when the lock was released, or -1 */
};

static bool stall_tick(void *arg, double ms)
{
	struct stall *s = arg;
	if (!s->waited && strcmp(gw_sql_value(db, "SELECT count(*) FROM pg_stat_activity "
					       "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))", 0, NULL), "0") != 0) {
		s->waited = true;
		s->calls[1].start_at_ms = ms + 150; /* past g2's commit_relief_us */
	}
	/* before the gateway's statement_timeout (5 s) would end the wait */
	if (s->released_ms < 0 && (s->calls[1].status != 0 || ms > 4000)) {
		PGresult *r = PQexec(db, "COMMIT");
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		s->released_ms = ms;
	}
	return true;
}

/*
 * Relief routing (g2): while the first lane's batch waits for a row lock
 * held here, a decision on another dossier commits through another lane;
 * the waiting one commits once the lock is gone.
 */
static void test_relief_lane(void **state)
{
	char da[64], db_[64];
	snprintf(da, sizeof(da), "two-d-%s-stall", gw_run_id());
	snprintf(db_, sizeof(db_), "two-d-%s-free", gw_run_id());
	dossier_with_expired_letter(da);
	dossier_with_expired_letter(db_);
	long long relieved0 = gw_metric(&g2, "fairgate_commit_relieved_units_total");
	assert_true(relieved0 >= 0);

	PGresult *r = PQexec(db, "BEGIN");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	const char *pa[] = {da};
	assert_string_equal(gw_sql_value(db, "SELECT id FROM dossiers WHERE id = $1 FOR UPDATE", 1, pa), da);
	make_call(&calls[0], &g2, da, gw_fmt("relief-a-%s", gw_run_id()));
	make_call(&calls[1], &g2, db_, gw_fmt("relief-b-%s", gw_run_id()));
	calls[1].start_at_ms = 1e9; /* until stall_tick has seen the first batch wait */
	struct stall s = {calls, false, -1};
	assert_int_equal(gw_http_batch(calls, 2, 2, stall_tick, &s), 2);

	assert_true(s.waited);
	assert_int_equal(calls[1].status, 201);
	assert_int_equal(calls[0].status, 201);
	fprintf(stderr, "relief lane: the second decision answered at %.0f ms, the lock released at %.0f ms, "
			"the first decision answered at %.0f ms\n", calls[1].ended_ms, s.released_ms, calls[0].ended_ms);
	/* the second was answered while the first lane's batch still waited; the first only after */
	assert_true(s.released_ms < 4000);
	assert_true(calls[1].ended_ms <= s.released_ms);
	assert_true(calls[0].ended_ms >= s.released_ms);
	for (int i = 0; i < 2; i++) {
		json_t *j = json_loads(calls[i].resp, 0, NULL);
		assert_non_null(j);
		assert_string_equal(gw_jstr(j, "decision"), "allow");
		json_decref(j);
	}
	assert_true(gw_metric(&g2, "fairgate_commit_relieved_units_total") > relieved0);
	const char *pab[] = {da, db_};
	assert_string_equal(gw_sql_value(db, "SELECT count(DISTINCT audit_chain) FROM decisions "
				      "WHERE dossier_id IN ($1, $2)", 2, pab), "2");
	gw_calls_free(calls, 2);
}

static void test_audit_and_logs(void **state)
{
	char out[512], deb[64];
	const char *args[] = {"audit", "verify", NULL};
	int rc = gw_cli(&g1, args, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "audit verify: %s\n", out);
	assert_int_equal(rc, 0);
	snprintf(deb, sizeof(deb), "deb-two-d-%s", gw_run_id());
	const char *secrets[] = {admin, creditor, agency, deb, NULL};
	const struct gw *gws[] = {&g1, &g2};
	for (int i = 0; i < 2; i++) {
		const char *leak = gw_log_leak(gws[i], secrets);
		if (leak)
			fail_msg("gateway %d's log contains a secret: %.12s...", i + 1, leak);
		char *log = gw_read_log(gws[i]);
		assert_non_null(strstr(log, "escalations.create"));
		free(log);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parties),
		cmocka_unit_test(test_charged_once),
		cmocka_unit_test(test_same_key_both_gateways),
		cmocka_unit_test(test_relief_lane),
		cmocka_unit_test(test_audit_and_logs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
