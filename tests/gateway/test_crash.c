/* test_crash.c - end to end: kill -9 under load, again and again; nothing acknowledged is lost or doubled. */
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

#define KILLS 20
#define DOSSIERS 8
#define PARALLEL 16
#define MAX_CALLS 1500
#define RETRY_TRIES 40

static struct gw g;
static const char *binary;
static PGconn *db;
static char admin[80], creditor[80], agency[80];
static char cred_id[64], partner_id[64], contract_id[64], dossier[DOSSIERS][64];
static struct gw_call calls[MAX_CALLS];
static int n_calls;
static long long event_base_s; /* occurred_at of event n is this plus n seconds */
static int event_seq;
static int total_acked, total_retried;

static const char *contract_doc(void)
{
	return gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		   "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":[\"collection_costs\","
		   "\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\",\"extend_duration\"],"
		   "\"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,"
		   "\"channels\":[\"phone\",\"visit\"],\"min_attempts\":1,\"within_days\":90},"
		   "\"max_duration_days\":120,\"shortened_amicable_days\":14,\"collection_costs\":"
		   "{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		   "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"herinnering-v3\","
		   "\"veertiendagenbrief-v2\"]}}",
		   contract_id, partner_id);
}

static bool fixtures(void)
{
	long long now = (long long)time(NULL);
	gw_post_created(&g, admin, "/v1/partners",
		gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Noord\",\"wki_registration\":"
		    "{\"number\":\"WKI-00123\",\"valid_until\":\"2099-12-31\"}}", partner_id));
	gw_post_created(&g, creditor, "/v1/contracts", contract_doc());
	for (int i = 0; i < DOSSIERS; i++)
		gw_post_created(&g, creditor, "/v1/dossiers",
			gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":"
			    "\"deb-%s-%d-q\",\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":"
			    "\"2020-06-01\",\"phase\":\"amicable\",\"shortened_amicable_track\":false,\"flags\":[],"
			    "\"handed_over_at\":\"%s\"}",
			    dossier[i], partner_id, contract_id, gw_run_id(), i, gw_stamp(now - 30 * 86400)));
	event_base_s = now - 25 * 86400;
	return true;
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	snprintf(cred_id, sizeof(cred_id), "crash-cr-%s", run);
	snprintf(partner_id, sizeof(partner_id), "crash-p-%s", run);
	snprintf(contract_id, sizeof(contract_id), "crash-k-%s", run);
	for (int i = 0; i < DOSSIERS; i++)
		snprintf(dossier[i], sizeof(dossier[i]), "crash-d-%s-%d", run, i);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (!gw_start(&g, binary, NULL))
		return -1;
	db = PQconnectdb(g.db_url);
	if (PQstatus(db) != CONNECTION_OK)
		return -1;
	bool ok = gw_token(&g, "admin", "ops", NULL, NULL, admin) &&
		  gw_token(&g, "creditor", "ws", cred_id, NULL, creditor) &&
		  gw_token(&g, "agency", "noord", NULL, partner_id, agency);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	PQfinish(db);
	gw_calls_free(calls, n_calls);
	return g.pid > 0 && gw_stop(&g) ? 0 : -1;
}

/* ---- the load: escalations (two in three) and letters, each with its own key ---- */

static bool is_event(const struct gw_call *c)
{
	return strstr(c->path, "/events") != NULL;
}

static void make_call(struct gw_call *c, int round, int i)
{
	memset(c, 0, sizeof(*c));
	c->g = &g;
	c->method = "POST";
	c->token = agency;
	snprintf(c->idem_key, sizeof(c->idem_key), "crash-%s-%d-%d", gw_run_id(), round, i);
	const char *d = dossier[rand() % DOSSIERS];
	if (i % 3 == 2) {
		snprintf(c->path, sizeof(c->path), "/v1/dossiers/%s/events", d);
		snprintf(c->body, sizeof(c->body),
			 "{\"type\":\"letter_sent\",\"occurred_at\":\"%s\",\"template\":\"herinnering-v3\","
			 "\"kind\":\"reminder\"}", gw_stamp(event_base_s + event_seq++));
	} else {
		snprintf(c->path, sizeof(c->path), "/v1/dossiers/%s/escalations", d);
		snprintf(c->body, sizeof(c->body), "{\"action\":\"%s\",\"note\":\"%s\"}",
			 i % 3 ? "summons" : "transfer_to_bailiff", c->idem_key);
	}
}

struct killer {
	double at_ms;
	bool killed;
};

static bool kill_tick(void *arg, double ms)
{
	struct killer *k = arg;
	if (ms < k->at_ms)
		return true;
	assert_true(gw_kill9(&g));
	k->killed = true;
	return false;
}

/* ---- what must hold after a restart ---- */

/* How many rows the request left: decisions by the note carrying its key, events by their moment. */
static int rows_of(const struct gw_call *c)
{
	if (is_event(c)) {
		const char *at = strstr(c->body, "\"occurred_at\":\"") + 15;
		char moment[32];
		snprintf(moment, sizeof(moment), "%.*s", (int)(strchr(at, '"') - at), at);
		const char *p[] = {moment, partner_id};
		return atoi(gw_sql_value(db, "SELECT count(*) FROM events e JOIN dossiers d ON d.id = e.dossier_id "
				      "WHERE e.occurred_at = $1::timestamptz AND d.partner_id = $2", 2, p));
	}
	const char *p[] = {c->idem_key};
	return atoi(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE request->>'note' = $1", 1, p));
}

/* An acknowledged decision is stored once, exactly as it was answered. */
static void check_decision_stored(const struct gw_call *c)
{
	json_t *j = json_loads(c->resp, 0, NULL);
	assert_non_null(j);
	const char *id = json_string_value(json_object_get(j, "decision_id"));
	assert_non_null(id);
	const char *p[] = {id};
	assert_string_equal(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE id = $1", 1, p), "1");
	/* once: as its audit record's payload, which the decision's row names (sql/015) */
	assert_string_equal(gw_sql_value(db, "SELECT fairgate_decision_body($1)", 1, p), c->resp);
	assert_string_equal(gw_sql_value(db, "SELECT (body IS NULL)::text FROM decisions WHERE id = $1", 1, p),
			    "true");
	json_decref(j);
}

/* Sends the call again with its key until an answer other than 409/503 comes. */
static void resend(struct gw_call *c, struct http_reply *r)
{
	const char *hdr[] = {gw_fmt("Idempotency-Key: %s", c->idem_key), NULL};
	for (int t = 0; t < RETRY_TRIES; t++) {
		assert_true(gw_http(&g, "POST", c->path, c->token, c->body, hdr, r));
		if (r->status != 409 && r->status != 503)
			return;
		http_reply_free(r);
		usleep(50 * 1000);
	}
	fail_msg("%s: no settled answer after %d tries", c->idem_key, RETRY_TRIES);
}

/* An acknowledged request: once in the database, and its retry replays the answer byte for byte. */
static void check_acked(struct gw_call *c)
{
	struct http_reply r;
	assert_int_equal(rows_of(c), 1);
	if (!is_event(c))
		check_decision_stored(c);
	resend(c, &r);
	assert_int_equal(r.status, c->status);
	assert_string_equal(r.body, c->resp);
	http_reply_free(&r);
	total_acked++;
}

/* An unanswered request: at most once in the database; its retry settles it to exactly once. */
static void check_unacked(struct gw_call *c)
{
	struct http_reply r;
	assert_true(rows_of(c) <= 1);
	resend(c, &r);
	assert_int_equal(r.status, 201);
	free(c->resp);
	c->resp = strdup(r.body);
	c->status = r.status;
	http_reply_free(&r);
	assert_int_equal(rows_of(c), 1);
	if (!is_event(c))
		check_decision_stored(c);
	total_retried++;
}

static void check_audit(void)
{
	char out[512];
	const char *args[] = {"audit", "verify", NULL};
	int rc = gw_cli(&g, args, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "audit verify: %s\n", out);
	assert_int_equal(rc, 0);
}

static void test_kill9_under_load(void **state)
{
	struct timespec t0, t1;
	assert_true(fixtures());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < KILLS; round++) {
		struct killer k = {50 + rand() % 450, false};
		gw_calls_free(calls, n_calls);
		n_calls = MAX_CALLS;
		for (int i = 0; i < n_calls; i++)
			make_call(&calls[i], round, i);
		n_calls = gw_http_batch(calls, n_calls, PARALLEL, kill_tick, &k);
		if (!k.killed)
			assert_true(gw_kill9(&g));
		assert_true(gw_restart(&g, NULL));
		int acked = 0;
		for (int i = 0; i < n_calls; i++) {
			if (gw_call_acked(&calls[i])) {
				acked++;
				check_acked(&calls[i]);
			} else {
				check_unacked(&calls[i]);
			}
		}
		check_audit();
		fprintf(stderr, "round %d: killed after %.0f ms, %d sent, %d acknowledged\n", round + 1,
			k.at_ms, n_calls, acked);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%d kills, %d acknowledged and %d unanswered requests checked in %.1f s\n", KILLS,
		total_acked, total_retried, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_true(total_acked > KILLS);
}

static void test_log_has_no_secrets(void **state)
{
	char deb[64];
	snprintf(deb, sizeof(deb), "deb-%s-", gw_run_id());
	const char *secrets[] = {admin, creditor, agency, deb, NULL};
	const char *leak = gw_log_leak(&g, secrets);
	if (leak)
		fail_msg("the gateway log contains a secret: %.12s...", leak);
	char *log = gw_read_log(&g);
	assert_non_null(strstr(log, "\"type\":\"access\""));
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
		cmocka_unit_test(test_kill9_under_load),
		cmocka_unit_test(test_log_has_no_secrets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
