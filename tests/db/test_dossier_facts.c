/* test_dossier_facts.c - the dossier's history kept for its read: dossier_facts (sql/012)
 * holds, for every dossier, exactly the facts array that aggregating its events gives,
 * whatever writes the events: single and multi-row inserts out of time order, updates that
 * move a fact, deletes, TRUNCATE, and two transactions adding facts to one dossier at once;
 * and a batch's version check (sql/013) appends each allow to dossiers.allowed and moves an
 * extension's deadline in the same UPDATE, or changes nothing when a version is stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "dbtest_cmocka.h"

/* The array as the read built it from events before sql/012, for one dossier. */
#define AGGREGATE                                                                                  \
	"SELECT '[' || string_agg('{\"id\":' || e.id || ',\"reporter\":\"' || e.reporter || "       \
	"'\",\"body\":' || e.body::text || '}', ',' ORDER BY e.occurred_at, e.id) || ']' "           \
	"FROM events e WHERE e.dossier_id = $1"

/* dossier_facts' row for id is the aggregate of its events (both absent when it has none). */
static void expect_in_step(PGconn *c, const char *id)
{
	char *kept = dbtest_text1(c, "SELECT facts FROM dossier_facts WHERE dossier_id = $1", id);
	char *built = dbtest_text1(c, AGGREGATE, id);
	if (strcmp(kept, built) != 0)
		fail_msg("dossier %s: dossier_facts has\n  %s\nevents give\n  %s", id, kept, built);
	free(kept);
	free(built);
}

static void event(PGconn *c, const char *dossier, const char *at, const char *body)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO events (dossier_id, type, occurred_at, reporter, principal_id, body) "
		 "VALUES ('%s', 'payment', '%s', 'partner', 1, '%s')", dossier, at, body);
	dbtest_ok(c, sql);
}

static int setup(void **state)
{
	struct dbtest_fx *fx = dbtest_fx_open("fgt_facts", FAIRGATE_SQL_DIR);
	dbtest_ok(fx->c, "INSERT INTO partners (id, kind, name, doc) VALUES ('p', 'agency', 'P', '{}')");
	dbtest_ok(fx->c, "INSERT INTO dossiers (id, creditor_id, partner_id, contract_id, debtor_ref, "
		  "principal_cents, currency, due_date, phase, shortened_track, handed_over_at) "
		  "SELECT 'd' || i, 'c', 'p', 'k', 'deb-' || i, 10000, 'EUR', '2026-01-01', 'amicable', "
		  "false, '2026-02-01' FROM generate_series(1, 3) i");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	dbtest_fx_close(*state);
	return 0;
}

/* Inserts one by one and several at once, out of time order; updates; deletes; TRUNCATE. */
static void test_facts_follow_events(void **state)
{
	struct dbtest_fx *fx = *state;
	PGconn *c = fx->c;
	expect_in_step(c, "d1"); /* no facts: no row, as the aggregate gives NULL */
	event(c, "d1", "2026-03-03T10:00:00Z", "{\"n\": 3, \"note\": \"caf\xc3\xa9 \\\"q\\\"\"}");
	event(c, "d1", "2026-03-01T10:00:00Z", "{\"n\": 1}");
	event(c, "d1", "2026-03-02T10:00:00Z", "{\"n\": 2}");
	expect_in_step(c, "d1");
	char *facts = dbtest_text1(c, "SELECT facts FROM dossier_facts WHERE dossier_id = 'd1'", NULL);
	char *one = strstr(facts, "\"n\": 1"), *two = strstr(facts, "\"n\": 2"), *three = strstr(facts, "\"n\": 3");
	assert_true(one && two && three && one < two && two < three); /* in occurred_at order */
	free(facts);

	dbtest_ok(c, "INSERT INTO events (dossier_id, type, occurred_at, reporter, principal_id, body) VALUES "
	      "('d1', 'payment', '2026-03-01T10:00:00Z', 'creditor', 1, '{\"n\": 0}'), "
	      "('d2', 'payment', '2026-03-05T10:00:00Z', 'partner', 1, '{\"n\": 5}'), "
	      "('d2', 'payment', '2026-03-04T10:00:00Z', 'partner', 1, '{\"n\": 4}')");
	expect_in_step(c, "d1");
	expect_in_step(c, "d2");
	expect_in_step(c, "d3");

	dbtest_ok(c, "UPDATE events SET body = '{\"n\": 22}' WHERE body->>'n' = '2'");
	expect_in_step(c, "d1");
	dbtest_ok(c, "UPDATE events SET dossier_id = 'd3' WHERE dossier_id = 'd2' AND body->>'n' = '4'");
	expect_in_step(c, "d2");
	expect_in_step(c, "d3");
	dbtest_ok(c, "DELETE FROM events WHERE dossier_id IN ('d2', 'd3')");
	expect_in_step(c, "d2");
	expect_in_step(c, "d3");
	char *n = dbtest_text1(c, "SELECT count(*) FROM dossier_facts WHERE dossier_id IN ('d2', 'd3')", NULL);
	assert_string_equal(n, "0");
	free(n);

	dbtest_ok(c, "TRUNCATE events");
	n = dbtest_text1(c, "SELECT count(*) FROM dossier_facts", NULL);
	assert_string_equal(n, "0");
	free(n);
}

/*
 * Two transactions add a fact to one dossier at once: the second waits for the first
 * (the dossier's row is locked before the array is rebuilt) and keeps both facts.
 */
static void test_concurrent_facts_both_kept(void **state)
{
	struct dbtest_fx *fx = *state;
	PGconn *a = fx->c, *b = dbtest_connect(fx->db.conninfo);
	event(a, "d1", "2026-03-01T10:00:00Z", "{\"n\": 1}");
	dbtest_ok(a, "BEGIN");
	event(a, "d1", "2026-03-02T10:00:00Z", "{\"n\": \"first\"}");
	assert_int_equal(PQsendQuery(b, "INSERT INTO events (dossier_id, type, occurred_at, reporter, "
					"principal_id, body) VALUES ('d1', 'payment', '2026-03-03T10:00:00Z', "
					"'partner', 1, '{\"n\": \"second\"}')"),
			 1);
	/* b is held while a is open */
	for (int i = 0; i < 20; i++) {
		usleep(10000);
		assert_int_equal(PQconsumeInput(b), 1);
		assert_int_equal(PQisBusy(b), 1);
	}
	dbtest_ok(a, "COMMIT");
	PGresult *r;
	int results = 0;
	while ((r = PQgetResult(b)) != NULL) {
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
		results++;
	}
	assert_int_equal(results, 1);
	PQfinish(b);
	char *facts = dbtest_text1(a, "SELECT facts FROM dossier_facts WHERE dossier_id = 'd1'", NULL);
	if (!strstr(facts, "\"first\"") || !strstr(facts, "\"second\""))
		fail_msg("both facts should be kept: %s", facts);
	free(facts);
	expect_in_step(a, "d1");
}

/* Dossier id's row is want: "version|allowed|deadline|flagged". */
static void expect_row(PGconn *c, const char *id, const char *want)
{
	char *row = dbtest_text1(c, "SELECT version || '|' || allowed || '|' || coalesce(deadline::text, '-') || "
			     "'|' || (flagged_for_return_at IS NOT NULL) FROM dossiers WHERE id = $1", id);
	assert_string_equal(row, want);
	free(row);
}

static void test_version_bump_applies_change(void **state)
{
	struct dbtest_fx *fx = *state;
	PGconn *c = fx->c;
	dbtest_ok(c, "UPDATE dossiers SET deadline = '2026-06-01', flagged_for_return_at = now() WHERE id = 'd2'");
	dbtest_ok(c, "UPDATE dossiers SET deadline = '2026-06-01' WHERE id = 'd3'");
	/* d1: an allow without a deadline change; d2: an extension by 30 days; d3: a bare bump */
	dbtest_ok(c, "SELECT fairgate_expect_versions('{d1,d2,d3}', '{0,0,0}', "
	      "'{\"[\\\"transfer_to_bailiff\\\",1,0,0]\",\"[\\\"extend_duration\\\",2,0,30]\",\"\"}', '{0,30,0}')");
	expect_row(c, "d1", "1|[\"transfer_to_bailiff\",1,0,0]|-|false");
	expect_row(c, "d2", "1|[\"extend_duration\",2,0,30]|2026-07-01|false");
	expect_row(c, "d3", "1||2026-06-01|false");
	/* a second allow is appended after the first */
	dbtest_ok(c, "SELECT fairgate_expect_versions('{d1}', '{1}', '{\"[\\\"collection_costs\\\",3,4000,0]\"}', '{0}')");
	expect_row(c, "d1", "2|[\"transfer_to_bailiff\",1,0,0],[\"collection_costs\",3,4000,0]|-|false");
	/* a stale version: 40001 naming its position, and no row changed */
	PGresult *r = PQexec(c, "SELECT fairgate_expect_versions('{d3,d1}', '{1,1}', "
				"'{\"\",\"[\\\"summons\\\",4,0,0]\"}', '{5,0}')");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "40001");
	assert_non_null(strstr(PQresultErrorMessage(r), "stale dossier versions at {2}"));
	PQclear(r);
	expect_row(c, "d3", "1||2026-06-01|false");
	expect_row(c, "d1", "2|[\"transfer_to_bailiff\",1,0,0],[\"collection_costs\",3,4000,0]|-|false");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_facts_follow_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_facts_both_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_bump_applies_change, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
