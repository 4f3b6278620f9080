/* test_pgcluster.c - pgcluster: initdb, start, reuse, stop a private PostgreSQL in a temp dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dbtest.h"
#include "pgcluster.h"

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Start creates the cluster and database; a second start reuses it; stop stops it. */
static void test_start_reuse_stop(void **state)
{
	char dir[] = "/tmp/fgt_cluster_XXXXXX", conninfo[1024], again[1024], err[2048];
	int port = free_port();

	assert_non_null(mkdtemp(dir));
	long long t0 = dbtest_now_ms();
	if (!pgcluster_start(dir, port, conninfo, sizeof(conninfo), err, sizeof(err)))
		fail_msg("pgcluster_start: %s", err);
	fprintf(stderr, "# initdb + start: %lld ms; %s\n", dbtest_now_ms() - t0, conninfo);
	PGresult *r =
	    dbtest_exec(conninfo, "SELECT current_database(), current_setting('fsync')");
	assert_non_null(r);
	assert_string_equal(PQgetvalue(r, 0, 0), "fairgate");
	assert_string_equal(PQgetvalue(r, 0, 1), "on");
	PQclear(r);
	t0 = dbtest_now_ms();
	assert_true(pgcluster_start(dir, port, again, sizeof(again), err, sizeof(err)));
	assert_string_equal(again, conninfo);
	assert_true(dbtest_now_ms() - t0 < 3000); /* reused, not restarted */
	if (!pgcluster_stop(dir, err, sizeof(err)))
		fail_msg("pgcluster_stop: %s", err);
	assert_true(pgcluster_stop(dir, err, sizeof(err))); /* already stopped */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* As root, a parent the server's user cannot traverse is named in the error. */
static void test_untraversable_parent(void **state)
{
	char parent[] = "/tmp/fgt_closed_XXXXXX", dir[256], conninfo[1024], err[2048];

	if (geteuid() != 0)
		return; /* the check only applies when dropping privileges */
	assert_non_null(mkdtemp(parent));
	assert_int_equal(chmod(parent, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/db", parent);
	assert_false(
	    pgcluster_start(dir, free_port(), conninfo, sizeof(conninfo), err, sizeof(err)));
	assert_non_null(strstr(err, "not traversable"));
	assert_non_null(strstr(err, parent));
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", parent);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_reuse_stop),
	    cmocka_unit_test(test_untraversable_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
