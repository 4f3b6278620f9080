/* test_plans.c - the generic plans of the hot reads probe an index per key on a new, empty,
 * never analyzed schema: a connection keeps the plan it caches at start until the table is
 * analyzed again, so a plan that scans the whole table would grow slower with it. Both
 * statements had such plans once (a hash join over idempotency_keys; a sequential scan of
 * dossiers for WHERE id = ANY($1)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "dbtest.h"
#include "dossier_load.h"
#include "idempotency.h"
#include "migrate.h"

/* EXPLAIN of the generic plan of sql with these parameter types and arguments, one text. */
static char *generic_plan(PGconn *c, const char *types, const char *sql, const char *args)
{
	size_t cap = strlen(sql) + 256;
	char *prep = malloc(cap);
	assert_non_null(prep);
	snprintf(prep, cap, "PREPARE p(%s) AS %s", types, sql);
	PGresult *r = PQexec(c, prep);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", prep, PQerrorMessage(c));
	PQclear(r);
	free(prep);
	char explain[512];
	snprintf(explain, sizeof(explain), "EXPLAIN EXECUTE p(%s)", args);
	r = PQexec(c, explain);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", explain, PQerrorMessage(c));
	size_t len = 1;
	for (int i = 0; i < PQntuples(r); i++)
		len += (size_t)PQgetlength(r, i, 0) + 1;
	char *plan = calloc(1, len);
	assert_non_null(plan);
	for (int i = 0; i < PQntuples(r); i++) {
		strcat(plan, PQgetvalue(r, i, 0));
		strcat(plan, "\n");
	}
	PQclear(r);
	PQclear(PQexec(c, "DEALLOCATE p"));
	return plan;
}

static void expect(const char *plan, const char *must, const char *must_not)
{
	if (!strstr(plan, must) || strstr(plan, must_not))
		fail_msg("the plan should have \"%s\" and no \"%s\":\n%s", must, must_not, plan);
}

static void test_generic_plans_probe_indexes(void **state)
{
	(void)state;
	const char *url = dbtest_url();
	if (!url)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	struct dbtest_schema db;
	char err[512];
	int applied = 0;
	assert_true(dbtest_schema_create(&db, url, "fgt_plans"));
	if (!migrate_run(db.conninfo, FAIRGATE_SQL_DIR, &applied, err, sizeof(err)))
		fail_msg("migrate: %s", err);
	assert_true(applied >= 10);

	PGconn *c = PQconnectdb(db.conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQclear(PQexec(c, "SET plan_cache_mode = force_generic_plan"));

	char *plan = generic_plan(c, "text[], text[]", dossier_read_sql(), "'{a,b}', '{2026-12-01,2026-12-01}'");
	expect(plan, "Index Scan using dossiers_pkey", "Seq Scan on dossiers");
	expect(plan, "Index Scan using dossier_facts_pkey", "Seq Scan on dossier_facts");
	expect(plan, "contracts_pkey", "Seq Scan on contracts");
	expect(plan, "Index Scan using creditors_pkey", "Seq Scan on creditors");
	expect(plan, "Index Scan using partners_pkey", "Seq Scan on partners");
	free(plan);

	plan = generic_plan(c, "text[], text[]", idem_lookup_sql(), "'{1,2}', '{a,b}'");
	expect(plan, "Index Scan using idempotency_keys_pkey", "Seq Scan on idempotency_keys");
	expect(plan, "Index Scan using idempotency_keys_pkey", "Hash Join");
	free(plan);

	PQfinish(c);
	dbtest_schema_drop(&db, url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generic_plans_probe_indexes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
