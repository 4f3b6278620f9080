/* test_migrate.c - migrate_run against a real PostgreSQL, each run in a schema of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>
#include <sys/stat.h>

#include "dbtest.h"
#include "migrate.h"

/* A private schema, a connection string whose search_path is it, and a file directory. */
struct fixture {
	struct dbtest_schema db;
	char dir[128];
};

static void write_sql(const struct fixture *f, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* One value of a query in the fixture's schema, as text ("" when no row). */
static void query1(const struct fixture *f, const char *sql, char *out, size_t len)
{
	PGresult *r = dbtest_exec(f->db.conninfo, sql);

	assert_non_null(r);
	snprintf(out, len, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
}

static int setup(void **state)
{
	const char *url = dbtest_url();
	struct fixture *f = calloc(1, sizeof(*f));

	if (url == NULL)
		fail_msg("FAIRGATE_TEST_DATABASE_URL is not set");
	assert_true(dbtest_schema_create(&f->db, url, "fgt_mig"));
	snprintf(f->dir, sizeof(f->dir), "/tmp/fgt_mig_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	dbtest_schema_drop(&f->db, dbtest_url());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Files apply in NNN order (10 after 2), once; a second run applies nothing. */
static void test_applies_in_order_once(void **state)
{
	struct fixture *f = *state;
	char err[1024], v[64];
	int applied = -1;

	write_sql(f, "001_first.sql", "CREATE TABLE t1 (id int);\n");
	write_sql(f, "002_second.sql",
	          "INSERT INTO t1 VALUES (2);\nCREATE TABLE t2 (x text);\n");
	write_sql(f, "010_tenth.sql", "INSERT INTO t1 SELECT max(id) * 5 FROM t1;\n");
	write_sql(f, "README.txt", "not a migration\n");
	assert_true(migrate_run(f->db.conninfo, f->dir, &applied, err, sizeof(err)));
	assert_int_equal(applied, 3);
	query1(f, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t1", v, sizeof(v));
	assert_string_equal(v, "2,10");
	query1(f,
	       "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations",
	       v, sizeof(v));
	assert_string_equal(v, "1,2,10");
	assert_true(migrate_run(f->db.conninfo, f->dir, &applied, err, sizeof(err)));
	assert_int_equal(applied, 0);
}

/* A broken file names file:line, and nothing of it stays. */
static void test_broken_file_reports_line(void **state)
{
	struct fixture *f = *state;
	char err[1024], want[256], v[64];
	int applied = -1;

	write_sql(f, "001_ok.sql", "CREATE TABLE base (id int);\n");
	write_sql(f, "002_broken.sql",
	          "-- a comment, é and ü before the error\n"
	          "CREATE TABLE half (id int);\n"
	          "INSERT INTO base VALUES (1);\n"
	          "SELEC 1;\n");
	assert_false(migrate_run(f->db.conninfo, f->dir, &applied, err, sizeof(err)));
	assert_int_equal(applied, 1);
	snprintf(want, sizeof(want), "%s/002_broken.sql:4: syntax error", f->dir);
	fprintf(stderr, "# %s\n", err);
	assert_non_null(strstr(err, want));
	query1(f,
	       "SELECT count(*) FROM pg_tables WHERE tablename = 'half' AND schemaname = "
	       "current_schema()",
	       v, sizeof(v));
	assert_string_equal(v, "0");
	query1(f, "SELECT count(*) FROM base", v, sizeof(v));
	assert_string_equal(v, "0");
	query1(f, "SELECT count(*) FROM schema_migrations", v, sizeof(v));
	assert_string_equal(v, "1");
}

/* An applied file that changed afterwards stops migration; nothing new is applied. */
static void test_changed_file_refused(void **state)
{
	struct fixture *f = *state;
	char err[1024], v[64];
	int applied = -1;

	write_sql(f, "001_a.sql", "CREATE TABLE a (id int);\n");
	assert_true(migrate_run(f->db.conninfo, f->dir, &applied, err, sizeof(err)));
	write_sql(f, "001_a.sql", "CREATE TABLE a (id bigint);\n");
	write_sql(f, "002_b.sql", "CREATE TABLE b (id int);\n");
	assert_false(migrate_run(f->db.conninfo, f->dir, &applied, err, sizeof(err)));
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err, "001_a.sql was changed after it was applied"));
	query1(f, "SELECT count(*) FROM schema_migrations", v, sizeof(v));
	assert_string_equal(v, "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_applies_in_order_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_file_reports_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_file_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
