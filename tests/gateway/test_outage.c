/* test_outage.c - end to end: PostgreSQL stopped under load and started again; a database too slow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

#define DOSSIERS 4
#define BEFORE 20
#define MAX_CALLS 400
#define OUTAGE_LOAD_MS 2500

static struct gw g;
static const char *binary;
static PGconn *db;
static bool db_stopped;
static char admin[80], creditor[80], agency[80];
static char cred_id[64], partner_id[64], contract_id[64], dossier[DOSSIERS][64];
static char before_ids[BEFORE][40];
static struct gw_call calls[MAX_CALLS];
static int n_calls;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fixtures(void)
{
	long long now = (long long)time(NULL);
	gw_post_created(&g, admin, "/v1/partners",
		gw_fmt("{\"id\":\"%s\",\"kind\":\"agency\",\"name\":\"Incasso Noord\",\"wki_registration\":"
		    "{\"number\":\"WKI-00123\",\"valid_until\":\"2099-12-31\"}}", partner_id));
	gw_post_created(&g, creditor, "/v1/contracts",
		gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"version\":1,\"valid_from\":\"2020-01-01\","
		    "\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",\"allowed_actions\":"
		    "[\"collection_costs\",\"transfer_to_bailiff\",\"summons\"],\"bank_seizure_allowed\":false,"
		    "\"personal_contact_before_summons\":{\"required\":true,\"channels\":[\"phone\",\"visit\"],"
		    "\"min_attempts\":1,\"within_days\":90},\"max_duration_days\":120,\"shortened_amicable_days\":14,"
		    "\"collection_costs\":{\"scale\":\"wik\",\"vat\":false},\"summons_min_principal_cents\":25000,"
		    "\"judicial_cost_ratio_max\":1.0,\"approved_letter_templates\":[\"herinnering-v3\"]}}",
		    contract_id, partner_id));
	for (int i = 0; i < DOSSIERS; i++)
		gw_post_created(&g, creditor, "/v1/dossiers",
			gw_fmt("{\"id\":\"%s\",\"partner_id\":\"%s\",\"contract_id\":\"%s\",\"debtor_ref\":"
			    "\"deb-%s-%d-q\",\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":"
			    "\"2020-06-01\",\"phase\":\"amicable\",\"shortened_amicable_track\":false,\"flags\":[],"
			    "\"handed_over_at\":\"%s\"}",
			    dossier[i], partner_id, contract_id, gw_run_id(), i, gw_stamp(now - 30 * 86400)));
}

/* Whatever happens, the shared test cluster runs again when this program ends. */
static void db_up(void)
{
	if (db_stopped && gw_db(&g, "start") == 0)
		db_stopped = false;
}

static int restart_db(void **state)
{
	db_up();
	return db_stopped ? -1 : 0;
}

static int setup(void **state)
{
	const char *run = gw_run_id();
	const char *env[] = {"FAIRGATE_STATEMENT_TIMEOUT_MS=500", NULL};
	if (!getenv("FAIRGATE_DATA_DIR") || !getenv("FAIRGATE_PRIVATE_PG_PORT")) {
		fprintf(stderr, "FAIRGATE_DATA_DIR and FAIRGATE_PRIVATE_PG_PORT must name the test cluster "
				"(./ops/test exports them)\n");
		return -1;
	}
	snprintf(cred_id, sizeof(cred_id), "outage-cr-%s", run);
	snprintf(partner_id, sizeof(partner_id), "outage-p-%s", run);
	snprintf(contract_id, sizeof(contract_id), "outage-k-%s", run);
	for (int i = 0; i < DOSSIERS; i++)
		snprintf(dossier[i], sizeof(dossier[i]), "outage-d-%s-%d", run, i);
	if (atexit(db_up) != 0 || !gw_start(&g, binary, env))
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
	db_up();
	PQfinish(db);
	gw_calls_free(calls, n_calls);
	bool stopped = g.pid > 0 && gw_stop(&g);
	return stopped && !db_stopped ? 0 : -1;
}

/* An escalation; returns the status and copies decision_id (may be NULL). */
static long escalate(const char *d, const char *action, char id[40], double *ms)
{
	struct http_reply r;
	double t0 = now_ms();
	const char *body = gw_fmt("{\"action\":\"%s\"}", action);
	assert_true(gw_http(&g, "POST", gw_fmt("/v1/dossiers/%s/escalations", d), agency, body, NULL, &r));
	if (ms)
		*ms = now_ms() - t0;
	long st = r.status;
	if (id)
		snprintf(id, 40, "%s", json_string_value(json_object_get(r.json, "decision_id")) ?: "");
	if (st == 201)
		assert_non_null(json_object_get(r.json, "decision"));
	http_reply_free(&r);
	return st;
}

static long readyz(void)
{
	struct http_reply r;
	assert_true(gw_http(&g, "GET", "/readyz", NULL, NULL, NULL, &r));
	long st = r.status;
	if (st == 503)
		assert_true(json_is_false(json_object_get(r.json, "ready")));
	http_reply_free(&r);
	return st;
}

/* Polls /readyz until it answers want; returns the milliseconds it took, or -1. */
static double readyz_becomes(long want, double limit_ms)
{
	double t0 = now_ms();
	while (now_ms() - t0 < limit_ms) {
		if (readyz() == want)
			return now_ms() - t0;
		usleep(100 * 1000);
	}
	return -1;
}

static void assert_stored(const char *id)
{
	const char *p[] = {id};
	assert_string_equal(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE id = $1", 1, p), "1");
}

/* ---- the outage ---- */

struct stopper {
	double at_ms, stopped_ms;
	pid_t pid;
};

/* Stops the cluster from a child process at at_ms; keeps the load going a while after. */
static bool stop_tick(void *arg, double ms)
{
	struct stopper *s = arg;
	int status;
	if (!s->pid && ms >= s->at_ms) {
		s->pid = fork();
		assert_true(s->pid >= 0);
		if (s->pid == 0)
			_exit(gw_db(&g, "stop"));
		db_stopped = true;
	}
	if (s->pid > 0 && s->stopped_ms < 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		s->stopped_ms = ms;
	}
	return s->stopped_ms < 0 || ms < s->stopped_ms + OUTAGE_LOAD_MS;
}

static void make_calls(void)
{
	n_calls = MAX_CALLS;
	for (int i = 0; i < n_calls; i++) {
		struct gw_call *c = &calls[i];
		memset(c, 0, sizeof(*c));
		c->g = &g;
		c->method = "POST";
		c->token = agency;
		char key[64];
		snprintf(key, sizeof(key), "outage-%s-%d", gw_run_id(), i);
		snprintf(c->idem_key, sizeof(c->idem_key), "%s", key);
		snprintf(c->path, sizeof(c->path), "/v1/dossiers/%s/escalations", dossier[i % DOSSIERS]);
		snprintf(c->body, sizeof(c->body), "{\"action\":\"transfer_to_bailiff\",\"note\":\"%s\"}", key);
	}
}

/* Every call got an answer; none started after the stop completed got anything but 503. */
static int check_outage_answers(const struct stopper *s)
{
	int during = 0;
	for (int i = 0; i < n_calls; i++) {
		const struct gw_call *c = &calls[i];
		if (!c->resp)
			fail_msg("%s: no answer (curl %d): the gateway hung or dropped it", c->idem_key, c->curl_rc);
		if (c->started_ms > s->stopped_ms) {
			during++;
			if (c->status != 503)
				fail_msg("%s during the outage: %ld %s", c->idem_key, c->status, c->resp);
		}
	}
	return during;
}

static void test_database_outage(void **state)
{
	char id[40];
	fixtures();
	for (int i = 0; i < BEFORE; i++) {
		assert_int_equal(escalate(dossier[i % DOSSIERS], "transfer_to_bailiff", before_ids[i], NULL), 201);
		assert_true(before_ids[i][0]);
	}
	make_calls();
	struct stopper s = {300, -1, 0};
	n_calls = gw_http_batch(calls, n_calls, 8, stop_tick, &s);
	while (s.stopped_ms < 0 && stop_tick(&s, s.stopped_ms))
		usleep(50 * 1000);
	assert_true(db_stopped);
	int during = check_outage_answers(&s);
	assert_true(during > 0);

	/* still down: not ready, and an escalation is refused quickly, never allowed */
	assert_true(readyz_becomes(503, 5000) >= 0);
	double ms;
	assert_int_equal(escalate(dossier[0], "transfer_to_bailiff", id, &ms), 503);
	assert_true(ms < 5000);

	double t0 = now_ms();
	assert_int_equal(gw_db(&g, "start"), 0);
	db_stopped = false;
	double started = now_ms() - t0;
	double ready = readyz_becomes(200, 10000);
	assert_true(ready >= 0);
	assert_int_equal(escalate(dossier[1], "transfer_to_bailiff", id, NULL), 201);
	fprintf(stderr, "outage: %d calls, %d during the outage all 503; cluster restart %.0f ms, "
			"ready again %.0f ms later\n", n_calls, during, started, ready);

	PQreset(db);
	assert_int_equal(PQstatus(db), CONNECTION_OK);
	assert_stored(id);
	for (int i = 0; i < BEFORE; i++)
		assert_stored(before_ids[i]);
	for (int i = 0; i < n_calls; i++) {
		if (calls[i].status != 201)
			continue;
		json_t *j = json_loads(calls[i].resp, 0, NULL);
		assert_non_null(j);
		assert_stored(json_string_value(json_object_get(j, "decision_id")));
		json_decref(j);
	}
	char out[512];
	const char *args[] = {"audit", "verify", NULL};
	assert_int_equal(gw_cli(&g, args, out, sizeof(out)), 0);
}

/* ---- a database too slow to answer ---- */

static void lock_dossier(PGconn *lk, const char *d)
{
	PGresult *r = PQexec(lk, "BEGIN");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	const char *p[] = {d};
	r = PQexecParams(lk, "SELECT id FROM dossiers WHERE id = $1 FOR UPDATE", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	PQclear(r);
}

static void test_slow_database(void **state)
{
	double ms;
	char id[40];
	const char *d = dossier[2];
	const char *p[] = {d};
	PGconn *lk = PQconnectdb(g.db_url);
	assert_int_equal(PQstatus(lk), CONNECTION_OK);
	long long before = atoll(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE dossier_id = $1", 1, p));
	lock_dossier(lk, d);
	assert_int_equal(escalate(d, "transfer_to_bailiff", id, &ms), 503);
	fprintf(stderr, "slow database: 503 after %.0f ms with the dossier locked\n", ms);
	assert_true(ms < 4000);
	/* other dossiers are decided meanwhile: the committer is not stuck */
	assert_int_equal(escalate(dossier[3], "transfer_to_bailiff", id, NULL), 201);
	PGresult *r = PQexec(lk, "ROLLBACK");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(lk);
	assert_int_equal(atoll(gw_sql_value(db, "SELECT count(*) FROM decisions WHERE dossier_id = $1", 1, p)), before);
	assert_int_equal(escalate(d, "transfer_to_bailiff", id, NULL), 201);
	assert_stored(id);
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
	bool refused = strstr(log, "\"status\":503") != NULL;
	free(log);
	assert_true(refused); /* the log of this run holds the outage's 503s */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_database_outage, restart_db),
		cmocka_unit_test(test_slow_database),
		cmocka_unit_test(test_log_has_no_secrets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
