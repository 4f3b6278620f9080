/* test_pgpool.c - pgpool against a real PostgreSQL: concurrency, transactions, timeouts, lost
 * backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <event2/event.h>
#include <string.h>

#include "dbtest.h"
#include "pgpool.h"

/* What a test job's callback records. */
struct outcome {
	int done;
	enum pgjob_status status;
	char value[64];
	char sqlstate[6];
	long long at_ms;
	int *counter; /* shared completion counter, may be NULL */
	int *wrong;   /* incremented when value differs from expect */
	char expect[64];
};

static void on_job(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct outcome *o = arg;
	const PGresult *r = pgjob_result(job, 0);

	o->done++;
	o->status = status;
	o->at_ms = dbtest_now_ms();
	snprintf(o->sqlstate, sizeof(o->sqlstate), "%s", pgjob_sqlstate(job));
	if (status == PGJOB_OK && r != NULL && PQntuples(r) > 0)
		snprintf(o->value, sizeof(o->value), "%s", PQgetvalue(r, 0, 0));
	if (o->counter != NULL)
		(*o->counter)++;
	if (o->wrong != NULL && strcmp(o->value, o->expect) != 0)
		(*o->wrong)++;
}

/* Runs the loop until *count reaches target or ms pass; true if reached. */
static bool loop_until(struct event_base *base, const int *count, int target, int ms)
{
	long long end = dbtest_now_ms() + ms;

	while (*count < target && dbtest_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(*count < target ? 200 : 0);
	return *count >= target;
}

static struct pgpool *make_pool(struct event_base *base, int size, int timeout_ms, int qmax)
{
	const char *url = dbtest_url();
	struct pgpool_config cfg = {.conninfo = url,
	                            .size = size,
	                            .statement_timeout_ms = timeout_ms,
	                            .queue_max = qmax};

	if (url == NULL)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	struct pgpool *pool = pgpool_create(base, &cfg);
	assert_non_null(pool);
	return pool;
}

static void submit_sql(struct pgpool *pool, const char *sql, int n, const char *const *params,
                       struct outcome *o)
{
	struct pgjob *job = pgjob_create(false);

	pgjob_add(job, sql, n, params);
	pgpool_submit(pool, job, on_job, o);
}

/* 2000 jobs on a pool of 4: every answer right, every callback once. */
static void test_many_jobs(void **state)
{
	enum { N = 2000 };
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 4, 5000, N);
	static struct outcome o[N];
	int count = 0, wrong = 0;
	char param[N][16];
	struct pgpool_stats st;

	memset(o, 0, sizeof(o));
	long long t0 = dbtest_now_ms();
	for (int i = 0; i < N; i++) {
		const char *p[1] = {param[i]};
		snprintf(param[i], sizeof(param[i]), "%d", i);
		o[i].counter = &count;
		o[i].wrong = &wrong;
		snprintf(o[i].expect, sizeof(o[i].expect), "%d", i * 2);
		submit_sql(pool, "SELECT $1::int * 2", 1, p, &o[i]);
	}
	assert_int_equal(count, 0); /* never called back inside pgpool_submit */
	assert_true(loop_until(base, &count, N, 20000));
	fprintf(stderr, "# 2000 jobs on 4 connections: %lld ms\n", dbtest_now_ms() - t0);
	assert_int_equal(wrong, 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(o[i].done, 1);
	pgpool_stats(pool, &st);
	assert_int_equal(st.jobs_ok, N);
	assert_int_equal(st.connected, 4);
	assert_true(pgpool_ready(pool));
	pgpool_free(pool);
	event_base_free(base);
}

/* A transactional job with a failing statement commits nothing; the connection recovers. */
static void test_transaction_rollback(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 1, 5000, 100);
	char table[96], sql[256];
	struct outcome o[4] = {0};
	int count = 0;

	dbtest_unique(table, sizeof(table), "fgt_tx");
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id int)", table);
	PQclear(dbtest_exec(dbtest_url(), sql));
	for (int i = 0; i < 4; i++)
		o[i].counter = &count;
	struct pgjob *bad = pgjob_create(true);
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (1)", table);
	pgjob_add(bad, sql, 0, NULL);
	pgjob_add(bad, "SELECT 1 / 0", 0, NULL);
	pgjob_add(bad, sql, 0, NULL);
	pgpool_submit(pool, bad, on_job, &o[0]);
	struct pgjob *good = pgjob_create(true);
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (2)", table);
	pgjob_add(good, sql, 0, NULL);
	pgjob_add(good, sql, 0, NULL);
	pgpool_submit(pool, good, on_job, &o[1]);
	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(id), 0) FROM %s", table);
	submit_sql(pool, sql, 0, NULL, &o[2]);
	assert_true(loop_until(base, &count, 3, 10000));
	assert_int_equal(o[0].status, PGJOB_SQL_ERROR);
	assert_string_equal(o[0].sqlstate, "22012");
	assert_int_equal(o[1].status, PGJOB_OK);
	assert_int_equal(o[2].status, PGJOB_OK);
	assert_string_equal(o[2].value, "4"); /* only the good job's two rows */
	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	PQclear(dbtest_exec(dbtest_url(), sql));
	pgpool_free(pool);
	event_base_free(base);
}

/*
 * Named statements: a statement is planned once per connection and reused; a
 * Parse that fails, or that an earlier error skipped, leaves no name behind,
 * so the same text later runs (or fails) for its own reason, never with
 * "prepared statement does not exist"; a new session prepares again.
 */
static void test_prepared_statements(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 1, 5000, 100);
	struct outcome o[8] = {0};
	int count = 0;
	const char *p7[] = {"7"};

	for (int i = 0; i < 8; i++)
		o[i].counter = &count;
	/* 1: a Parse error, twice: the same error both times */
	submit_sql(pool, "SELECT no_such_column_xyz", 0, NULL, &o[0]);
	submit_sql(pool, "SELECT no_such_column_xyz", 0, NULL, &o[1]);
	/* 2: a Parse skipped because an earlier statement of the job failed */
	struct pgjob *job = pgjob_create(true);
	pgjob_add(job, "SELECT 1 / 0", 0, NULL);
	pgjob_add(job, "SELECT $1::int + 1000", 1, p7);
	pgpool_submit(pool, job, on_job, &o[2]);
	submit_sql(pool, "SELECT $1::int + 1000", 1, p7, &o[3]);
	/* 3: reuse, then a new session after the backend is gone */
	submit_sql(pool, "SELECT $1::int + 1000", 1, p7, &o[4]);
	assert_true(loop_until(base, &count, 5, 10000));
	assert_int_equal(o[0].status, PGJOB_SQL_ERROR);
	assert_string_equal(o[0].sqlstate, "42703");
	assert_int_equal(o[1].status, PGJOB_SQL_ERROR);
	assert_string_equal(o[1].sqlstate, "42703");
	assert_int_equal(o[2].status, PGJOB_SQL_ERROR);
	assert_string_equal(o[2].sqlstate, "22012");
	assert_int_equal(o[3].status, PGJOB_OK);
	assert_string_equal(o[3].value, "1007");
	assert_int_equal(o[4].status, PGJOB_OK);
	assert_string_equal(o[4].value, "1007");
	PQclear(dbtest_exec(dbtest_url(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
					  "WHERE datname = current_database() AND pid <> pg_backend_pid() "
					  "AND query LIKE '%+ 1000%'"));
	for (int tries = 0; tries < 50 && (o[5].done == 0 || o[5].status != PGJOB_OK); tries++) {
		int before = count;
		memset(&o[5], 0, sizeof(o[5]));
		o[5].counter = &count;
		submit_sql(pool, "SELECT $1::int + 1000", 1, p7, &o[5]);
		assert_true(loop_until(base, &count, before + 1, 10000));
		if (o[5].status != PGJOB_OK)
			usleep(100 * 1000); /* the pool reconnects with backoff */
	}
	assert_int_equal(o[5].status, PGJOB_OK);
	assert_string_equal(o[5].value, "1007");
	pgpool_free(pool);
	event_base_free(base);
}

/*
 * Pipelining: jobs submitted in one turn share a connection's pipeline, up to
 * its depth, in order; a failing job fails alone, a failed transaction rolls
 * back at its own sync, and the jobs after it still run.
 */
static void test_pipelined_jobs(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 1, 5000, 100);
	struct outcome o[9] = {0};
	int count = 0;
	char param[9][16];
	struct pgpool_stats st;

	for (int i = 0; i < 9; i++) {
		o[i].counter = &count;
		snprintf(param[i], sizeof(param[i]), "%d", i);
	}
	/* queued before the connection is up: handed out together after its setup */
	for (int i = 0; i < 9; i++) {
		const char *p[] = {param[i]};
		if (i == 3) {
			submit_sql(pool, "SELECT 1 / ($1::int - 3)", 1, p, &o[i]); /* 22012 */
		} else if (i == 5) {
			struct pgjob *tx = pgjob_create(true);
			pgjob_add(tx, "SELECT $1::int * 10", 1, p);
			pgjob_add(tx, "SELECT 1 / 0", 0, NULL);
			pgpool_submit(pool, tx, on_job, &o[i]);
		} else {
			submit_sql(pool, "SELECT $1::int * 10", 1, p, &o[i]);
		}
	}
	assert_true(loop_until(base, &count, 9, 10000));
	long long prev = 0;
	for (int i = 0; i < 9; i++) {
		char want[16];
		snprintf(want, sizeof(want), "%d", i * 10);
		assert_int_equal(o[i].done, 1);
		assert_true(o[i].at_ms >= prev); /* one connection: answered in order */
		prev = o[i].at_ms;
		if (i == 3 || i == 5) {
			assert_int_equal(o[i].status, PGJOB_SQL_ERROR);
			assert_string_equal(o[i].sqlstate, "22012");
		} else {
			assert_int_equal(o[i].status, PGJOB_OK);
			assert_string_equal(o[i].value, want);
		}
	}
	pgpool_stats(pool, &st);
	assert_true(st.pipelined >= 3); /* jobs 1-3 behind job 0 at least */
	assert_int_equal(st.connected, 1);
	assert_int_equal(st.jobs_ok, 7);
	assert_int_equal(st.jobs_failed, 2);
	pgpool_free(pool);
	event_base_free(base);
}

/* pg_sleep past statement_timeout fails within the client deadline. */
static void test_statement_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 1, 300, 100);
	struct outcome o = {0};

	long long t0 = dbtest_now_ms();
	submit_sql(pool, "SELECT pg_sleep(10)", 0, NULL, &o);
	assert_true(loop_until(base, &o.done, 1, 8000));
	long long took = o.at_ms - t0;
	fprintf(stderr,
	        "# pg_sleep(10) with statement_timeout 300 ms: status %d after %lld ms\n",
	        o.status, took);
	assert_true(o.status == PGJOB_SQL_ERROR || o.status == PGJOB_UNAVAILABLE);
	assert_true(took < 300 + 2000 + 1000);
	/* the pool still serves */
	struct outcome after = {0};
	submit_sql(pool, "SELECT 7", 0, NULL, &after);
	assert_true(loop_until(base, &after.done, 1, 5000));
	assert_int_equal(after.status, PGJOB_OK);
	pgpool_free(pool);
	event_base_free(base);
}

/* Blocking is fine in a test: terminate the pool's backend from another connection. */
static void terminate_cb(evutil_socket_t fd, short what, void *arg)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", (const char *)arg);
	PQclear(dbtest_exec(dbtest_url(), sql));
}

/* A killed backend fails its in-flight job; the pool reconnects and serves again. */
static void test_backend_killed(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool *pool = make_pool(base, 1, 20000, 100);
	struct outcome pid = {0}, sleeping = {0}, after = {0};
	struct pgpool_stats st;

	submit_sql(pool, "SELECT pg_backend_pid()", 0, NULL, &pid);
	assert_true(loop_until(base, &pid.done, 1, 5000));
	assert_int_equal(pid.status, PGJOB_OK);
	submit_sql(pool, "SELECT pg_sleep(10)", 0, NULL, &sleeping);
	struct timeval tv = {0, 200000};
	assert_int_equal(event_base_once(base, -1, EV_TIMEOUT, terminate_cb, pid.value, &tv),
	                 0);
	long long t0 = dbtest_now_ms();
	assert_true(loop_until(base, &sleeping.done, 1, 5000));
	assert_int_equal(sleeping.status, PGJOB_UNAVAILABLE);
	assert_true(sleeping.at_ms - t0 < 2000);
	submit_sql(pool, "SELECT pg_backend_pid()", 0, NULL, &after);
	assert_true(loop_until(base, &after.done, 1, 5000));
	assert_int_equal(after.status, PGJOB_OK);
	assert_string_not_equal(after.value, pid.value);
	pgpool_stats(pool, &st);
	assert_true(st.reconnects >= 1);
	pgpool_free(pool);
	event_base_free(base);
}

/* Beyond queue_max a job fails, from the loop; with no server, queued jobs fail fast. */
static void test_queue_full_and_no_server(void **state)
{
	struct event_base *base = event_base_new();
	struct pgpool_config cfg = {.conninfo =
	                                "host=127.0.0.1 port=1 dbname=x connect_timeout=1",
	                            .size = 2,
	                            .statement_timeout_ms = 1000,
	                            .queue_max = 2};
	struct pgpool *pool = pgpool_create(base, &cfg);
	struct outcome o[3] = {0};
	int count = 0;

	assert_non_null(pool);
	for (int i = 0; i < 3; i++) {
		o[i].counter = &count;
		submit_sql(pool, "SELECT 1", 0, NULL, &o[i]);
	}
	assert_int_equal(count, 0);
	long long t0 = dbtest_now_ms();
	assert_true(loop_until(base, &count, 3, 5000));
	for (int i = 0; i < 3; i++)
		assert_int_equal(o[i].status, PGJOB_UNAVAILABLE);
	assert_true(o[2].at_ms <= o[0].at_ms); /* the overflow failed first, not after grace */
	assert_true(dbtest_now_ms() - t0 < 3000);
	assert_false(pgpool_ready(pool));
	pgpool_free(pool);
	event_base_free(base);
}

/* The pool frees itself from a job's callback; an empty job is a ping. */
struct freeing {
	struct pgpool *pool;
	int done;
	enum pgjob_status status;
};

static void free_from_callback(struct pgjob *job, enum pgjob_status status, void *arg)
{
	struct freeing *f = arg;

	f->done++;
	f->status = status;
	pgpool_free(f->pool); /* takes effect after this callback returns */
}

static void test_free_inside_callback(void **state)
{
	struct event_base *base = event_base_new();
	struct freeing f = {.pool = make_pool(base, 2, 1000, 10)};
	struct outcome queued = {0};

	pgpool_submit(f.pool, pgjob_create(true), free_from_callback, &f);
	submit_sql(f.pool, "SELECT pg_sleep(0.5)", 0, NULL, &queued);
	assert_true(loop_until(base, &f.done, 1, 5000));
	assert_int_equal(f.status, PGJOB_OK);
	assert_true(loop_until(base, &queued.done, 1, 5000));
	assert_int_equal(queued.status, PGJOB_UNAVAILABLE); /* failed by pgpool_free */
	event_base_free(base);
}

static int need_url(void **state)
{
	if (dbtest_url() == NULL)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_many_jobs, need_url),
	    cmocka_unit_test_setup(test_transaction_rollback, need_url),
	    cmocka_unit_test_setup(test_prepared_statements, need_url),
	    cmocka_unit_test_setup(test_pipelined_jobs, need_url),
	    cmocka_unit_test_setup(test_statement_timeout, need_url),
	    cmocka_unit_test_setup(test_backend_killed, need_url),
	    cmocka_unit_test_setup(test_queue_full_and_no_server, need_url),
	    cmocka_unit_test_setup(test_free_inside_callback, need_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
