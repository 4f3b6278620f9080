/* test_kpi_fold.c - a decision's KPI counts wait in kpi_pending until fairgate_kpi_fold()
 * (sql/014) moves them into kpi_daily: the view kpi_counts gives the same sums before and
 * after, the fold adds to the counters already there (of any shard), and two folds at once
 * count every pending row once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "dbtest_cmocka.h"

/* Every counter of kpi_counts, summed, as "day metric key value;..." in key order. */
#define SUMS                                                                                       \
	"SELECT coalesce(string_agg(day || ' ' || metric || ' ' || key || ' ' || v, ';' "          \
	"ORDER BY day, metric, key), '') FROM (SELECT day, metric, key, sum(value) AS v "          \
	"FROM kpi_counts WHERE creditor_id = 'c' GROUP BY 1, 2, 3) s"

static int setup(void **state)
{
	struct dbtest_fx *fx = dbtest_fx_open("fgt_kpi", FAIRGATE_SQL_DIR);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	dbtest_fx_close(*state);
	return 0;
}

static void pending(PGconn *c, const char *day, const char *metric, const char *key, int value)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO kpi_pending (creditor_id, partner_id, day, metric, key, value) "
		 "VALUES ('c', 'p', '%s', '%s', '%s', %d)", day, metric, key, value);
	dbtest_ok(c, sql);
}

static void expect_text(PGconn *c, const char *sql, const char *want)
{
	char *got = dbtest_text1(c, sql, NULL);
	assert_string_equal(got, want);
	free(got);
}

static void test_fold_keeps_sums(void **state)
{
	struct dbtest_fx *fx = *state;
	PGconn *c = fx->c;
	/* counters a batch of the previous release upserted, on its lane's shard */
	dbtest_ok(c, "INSERT INTO kpi_daily (creditor_id, partner_id, day, metric, key, shard, value) VALUES "
		     "('c', 'p', '2026-11-30', 'requested', 'summons', 3, 5), "
		     "('c', 'p', '2026-11-30', 'denied_rule', 'R16', 0, 2)");
	pending(c, "2026-11-30", "requested", "summons", 2);
	pending(c, "2026-11-30", "requested", "summons", 1);
	pending(c, "2026-11-30", "denied_rule", "R16", 4);
	pending(c, "2026-12-01", "requested", "summons", 7);
	const char *want = "2026-11-30 denied_rule R16 6;2026-11-30 requested summons 8;"
			   "2026-12-01 requested summons 7";
	expect_text(c, SUMS, want);
	expect_text(c, "SELECT fairgate_kpi_fold()", "4");
	expect_text(c, "SELECT count(*) FROM kpi_pending", "0");
	expect_text(c, SUMS, want);
	/* each counter once on shard 0, added to what was there */
	expect_text(c, "SELECT string_agg(day || ' ' || key || ' ' || shard || ' ' || value, ';' "
		       "ORDER BY day, key, shard) FROM kpi_daily",
		    "2026-11-30 R16 0 6;2026-11-30 summons 0 3;2026-11-30 summons 3 5;2026-12-01 summons 0 7");
	/* nothing pending: nothing folded, nothing changed */
	expect_text(c, "SELECT fairgate_kpi_fold()", "0");
	expect_text(c, SUMS, want);
}

/*
 * A fold is open when a second one starts: the second waits for the first's deleted rows,
 * then skips them and folds only what came later. Every row is counted once.
 */
static void test_concurrent_folds_count_once(void **state)
{
	struct dbtest_fx *fx = *state;
	PGconn *a = fx->c, *b = dbtest_connect(fx->db.conninfo);
	pending(a, "2026-11-30", "allowed", "summons", 1);
	pending(a, "2026-11-30", "allowed", "summons", 2);
	dbtest_ok(a, "BEGIN");
	expect_text(a, "SELECT fairgate_kpi_fold()", "2");
	pending(b, "2026-11-30", "allowed", "summons", 4); /* an insert is never held by a fold */
	assert_int_equal(PQsendQuery(b, "SELECT fairgate_kpi_fold()"), 1);
	for (int i = 0; i < 20; i++) { /* b is held while a is open */
		usleep(10000);
		assert_int_equal(PQconsumeInput(b), 1);
		assert_int_equal(PQisBusy(b), 1);
	}
	dbtest_ok(a, "COMMIT");
	PGresult *r = PQgetResult(b);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	PQclear(r);
	assert_null(PQgetResult(b));
	PQfinish(b);
	expect_text(a, SUMS, "2026-11-30 allowed summons 7");
	expect_text(a, "SELECT count(*) || ' ' || sum(value) FROM kpi_daily", "1 7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fold_keeps_sums, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_folds_count_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
