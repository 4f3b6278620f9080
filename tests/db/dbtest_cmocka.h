/* dbtest_cmocka.h - synchronous libpq helpers that fail the cmocka test on error
 * (header-only, static; include after <cmocka.h>). */
#ifndef FAIRGATE_DBTEST_CMOCKA_H
#define FAIRGATE_DBTEST_CMOCKA_H

#include "dbtest.h"
#include "migrate.h"

static inline PGconn *dbtest_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQsetNoticeProcessor(c, dbtest_quiet, NULL);
	return c;
}

/* Runs sql; fails the test when it errs. */
static inline void dbtest_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/* One text value of a query with at most one parameter (owned); "" for SQL NULL or no row. */
static inline char *dbtest_text1(PGconn *c, const char *sql, const char *param)
{
	const char *p[] = {param};
	PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, param ? p : NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	char *v = strdup(PQntuples(r) && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
	assert_non_null(v);
	PQclear(r);
	return v;
}

/* A schema of its own, migrated from the real migrations in sql_dir, and a connection to it. */
struct dbtest_fx {
	struct dbtest_schema db;
	PGconn *c;
};

static inline struct dbtest_fx *dbtest_fx_open(const char *prefix, const char *sql_dir)
{
	struct dbtest_fx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	const char *url = dbtest_url();
	if (!url)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	char err[512];
	int applied = 0;
	assert_true(dbtest_schema_create(&fx->db, url, prefix));
	if (!migrate_run(fx->db.conninfo, sql_dir, &applied, err, sizeof(err)))
		fail_msg("migrate: %s", err);
	fx->c = dbtest_connect(fx->db.conninfo);
	return fx;
}

static inline void dbtest_fx_close(struct dbtest_fx *fx)
{
	PQfinish(fx->c);
	dbtest_schema_drop(&fx->db, dbtest_url());
	free(fx);
}

#endif
