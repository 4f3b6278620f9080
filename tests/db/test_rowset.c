/* test_rowset.c - rowsets against a real PostgreSQL: any text survives the binary array, NULL
 * stays NULL, a long value arrives whole, and one statement carries every row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <event2/event.h>
#include <string.h>

#include "dbtest.h"
#include "pgpool.h"
#include "rowset.h"

/* Values an array literal would have to escape; a binary array must carry them as they are. */
static const char *const TRICKY[] = {
    "plain", "", "NULL", "null", "a,b", "{braces}", "\"quoted\"", "back\\slash", "\\\"",
    "  spaces  ", "new\nline", "tab\there", "caf\xc3\xa9 \xe2\x82\xac", "}{,\"\\", "'single'",
};
#define N_TRICKY (sizeof(TRICKY) / sizeof(TRICKY[0]))

struct result {
	int done;
	enum pgjob_status status;
	int nstmts_seen;
	char error[256];
	PGresult *rows; /* the SELECT's result, kept */
};

static void on_job(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct result *r = arg;
	r->done = 1;
	r->status = status;
	snprintf(r->error, sizeof(r->error), "%s", pgjob_error(job));
	for (int i = 0; pgjob_result(job, i); i++)
		r->nstmts_seen = i + 1;
}

static void run(struct event_base *base, struct result *r)
{
	long long end = dbtest_now_ms() + 10000;
	while (!r->done && dbtest_now_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(200);
	}
	assert_true(r->done);
}

static void test_round_trip(void **state)
{
	const char *url = dbtest_url();
	if (!url)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	char table[96], sql[512], insert[512];
	dbtest_unique(table, sizeof(table), "fgt_rowset");
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (n int, t text, b bigint)", table);
	PQclear(dbtest_exec(url, sql));

	struct event_base *base = event_base_new();
	struct pgpool_config cfg = {.conninfo = url, .size = 1, .statement_timeout_ms = 5000, .queue_max = 10};
	struct pgpool *pool = pgpool_create(base, &cfg);
	assert_non_null(pool);

	snprintf(insert, sizeof(insert),
		 "INSERT INTO %s (n, t, b) SELECT n::int, t, b::bigint "
		 "FROM unnest($1::text[], $2::text[], $3::text[]) AS u(n, t, b)", table);
	struct rowset_def def = {insert, 3, 0};
	struct rowset rs;
	rowset_init(&rs, &def);
	for (size_t i = 0; i < N_TRICKY; i++) {
		char n[16], b[24];
		snprintf(n, sizeof(n), "%zu", i);
		snprintf(b, sizeof(b), "%lld", (long long)i * 10000000000LL);
		const char *v[] = {n, TRICKY[i], i % 3 == 0 ? NULL : b};
		assert_int_equal(rowset_add(&rs, v), (int)i);
	}
	const char *vnull[] = {"99", NULL, NULL};
	rowset_add(&rs, vnull);
	/* a value longer than any buffer's first size, with every byte value but NUL */
	static char long_text[70000];
	for (size_t i = 0; i < sizeof(long_text) - 1; i++)
		long_text[i] = (char)(1 + i % 127);
	const char *vlong[] = {"100", long_text, "-1"};
	rowset_add(&rs, vlong);
	struct pgjob *job = pgjob_create(true);
	assert_int_equal(rowset_flush(&rs, job), 0);
	assert_int_equal(rs.nrows, 0);
	assert_int_equal(rowset_flush(&rs, job), -1); /* nothing left: no statement */
	struct result res = {0};
	pgpool_submit(pool, job, on_job, &res);
	run(base, &res);
	assert_int_equal(res.status, PGJOB_OK);
	assert_int_equal(res.nstmts_seen, 1);

	snprintf(sql, sizeof(sql), "SELECT n, t, b FROM %s ORDER BY n", table);
	PGresult *rows = dbtest_exec(url, sql);
	assert_int_equal(PQntuples(rows), (int)N_TRICKY + 2);
	for (size_t i = 0; i < N_TRICKY; i++) {
		assert_int_equal(atoi(PQgetvalue(rows, (int)i, 0)), (int)i);
		assert_string_equal(PQgetvalue(rows, (int)i, 1), TRICKY[i]);
		assert_false(PQgetisnull(rows, (int)i, 1));
		assert_int_equal(PQgetisnull(rows, (int)i, 2), i % 3 == 0);
		if (i % 3)
			assert_int_equal(atoll(PQgetvalue(rows, (int)i, 2)), (long long)i * 10000000000LL);
	}
	assert_true(PQgetisnull(rows, (int)N_TRICKY, 1));
	assert_true(PQgetisnull(rows, (int)N_TRICKY, 2));
	assert_string_equal(PQgetvalue(rows, (int)N_TRICKY + 1, 1), long_text);
	assert_string_equal(PQgetvalue(rows, (int)N_TRICKY + 1, 2), "-1");
	PQclear(rows);

	/* the buffers are reused after a flush: a second batch holds only its own rows */
	const char *v2[] = {"101", "second", "1"};
	rowset_add(&rs, v2);
	job = pgjob_create(true);
	rowset_flush(&rs, job);
	memset(&res, 0, sizeof(res));
	pgpool_submit(pool, job, on_job, &res);
	run(base, &res);
	if (res.status != PGJOB_OK)
		fail_msg("second batch: %s", res.error);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	rows = dbtest_exec(url, sql);
	assert_string_equal(PQgetvalue(rows, 0, 0), "18");
	PQclear(rows);

	rowset_free(&rs);
	pgpool_free(pool);
	event_base_free(base);
	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	PQclear(dbtest_exec(url, sql));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
