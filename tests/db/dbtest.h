/* dbtest.h - shared helpers of the database integration tests (header-only, static). */
#ifndef FAIRGATE_DBTEST_H
#define FAIRGATE_DBTEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The database under test; the test fails (never skips) without it. */
static inline const char *dbtest_url(void)
{
	const char *url = getenv("FAIRGATE_TEST_DATABASE_URL");

	if (url == NULL || *url == '\0') {
		fprintf(stderr,
		        "FAIRGATE_TEST_DATABASE_URL is not set: run ./ops/test, or start "
		        "a database (tests/db/pgcluster_tool start /tmp/fg-db-dev 55439) "
		        "and export its connection string\n");
		return NULL;
	}
	return url;
}

static inline long long dbtest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A name no other run uses: prefix_pid_time. */
static inline void dbtest_unique(char *out, size_t len, const char *prefix)
{
	static int seq;

	snprintf(out, len, "%s_%d_%lld_%d", prefix, (int)getpid(), dbtest_now_ms() % 100000000,
	         ++seq);
}

static inline void dbtest_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The database's connection string with options=-csearch_path=SCHEMA instead of its own options. */
static inline void dbtest_conninfo_with_schema(const char *url, const char *schema, char *out, size_t len)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
	size_t n = 0;

	out[0] = '\0';
	if (opts == NULL) {
		PQfreemem(errmsg);
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL && n < len; o++) {
		if (o->val == NULL || strcmp(o->keyword, "options") == 0)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s='%s' ", o->keyword, o->val);
	}
	if (n < len)
		snprintf(out + n, len - n, "options='-csearch_path=%s'", schema);
	PQconninfoFree(opts);
}

/* Runs one statement synchronously on a fresh connection; returns its result or NULL. */
static inline PGresult *dbtest_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = NULL;

	if (PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, dbtest_quiet, NULL);
		r = PQexec(c, sql);
	} else
		fprintf(stderr, "dbtest_exec: %s", PQerrorMessage(c));
	PQfinish(c);
	return r;
}

/*
 * A schema of its own for one test: created as prefix_pid_time_n, and a
 * connection string whose search_path is it. False when either fails.
 */
struct dbtest_schema {
	char name[96];
	char conninfo[4096];
};

static inline bool dbtest_schema_create(struct dbtest_schema *s, const char *url, const char *prefix)
{
	char sql[160];
	dbtest_unique(s->name, sizeof(s->name), prefix);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", s->name);
	PGresult *r = dbtest_exec(url, sql);
	bool ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	dbtest_conninfo_with_schema(url, s->name, s->conninfo, sizeof(s->conninfo));
	return ok && s->conninfo[0] != '\0';
}

static inline void dbtest_schema_drop(const struct dbtest_schema *s, const char *url)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", s->name);
	PQclear(dbtest_exec(url, sql));
}

#endif
