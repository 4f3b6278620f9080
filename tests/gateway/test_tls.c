/* test_tls.c - end to end: the TLS listener, its protocol floor, and client certificates bound to principals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

#define TIMEOUT_S 3 /* request_timeout_s of the gateway under test */

static struct gw g;
static const char *binary;
static char dir[128], url[96], bound[80], other[80];
static int tls_port;
static char env_listen[160], env_cert[300], env_key[300], env_ca[300];

static char *path_of(const char *file)
{
	static char bufs[8][256];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 256, "%s/%s", dir, file);
	return b;
}

/* The client holding the certificate named (client, stranger, expired), or none. */
static struct gw_tls_client client(const char *name)
{
	struct gw_tls_client c = {.ca = path_of("ca.pem")};
	if (name) {
		char cert[64], key[64];
		snprintf(cert, sizeof(cert), "%s.pem", name);
		snprintf(key, sizeof(key), "%s.key", name);
		c.cert = path_of(cert);
		c.key = path_of(key);
	}
	return c;
}

/* The id of the principal named name, from the database. */
static char *principal_id(const char *name)
{
	static char id[32];
	const char *params[] = {name};
	PGconn *c = PQconnectdb(getenv("FAIRGATE_TEST_DATABASE_URL"));
	PGresult *r = PQexecParams(c, "SELECT max(id) FROM principals WHERE name = $1", 1, NULL,
				   params, NULL, NULL, 0);
	snprintf(id, sizeof(id), "%s",
		 PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return id;
}

static int setup(void **state)
{
	char cmd[400], name[64];
	snprintf(dir, sizeof(dir), "/tmp/fairgate-tls-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "sh %s %s", TLS_CERTS_SH, dir);
	if (system(cmd) != 0)
		return -1;
	tls_port = gw_free_port();
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", tls_port);
	snprintf(env_listen, sizeof(env_listen), "FAIRGATE_TLS_LISTEN=127.0.0.1:%d", tls_port);
	snprintf(env_cert, sizeof(env_cert), "FAIRGATE_TLS_CERT=%s", path_of("server.pem"));
	snprintf(env_key, sizeof(env_key), "FAIRGATE_TLS_KEY=%s", path_of("server.key"));
	snprintf(env_ca, sizeof(env_ca), "FAIRGATE_TLS_CLIENT_CA=%s", path_of("ca.pem"));
	const char *env[] = {env_listen, env_cert, env_key, env_ca,
			     "FAIRGATE_REQUEST_TIMEOUT_S=3", NULL};
	if (!gw_start(&g, binary, env))
		return -1;
	snprintf(name, sizeof(name), "tls-bound-%s", gw_run_id());
	if (!gw_token(&g, "admin", name, NULL, NULL, bound) ||
	    !gw_token(&g, "admin", "tls-other", NULL, NULL, other))
		return -1;
	const char *bind[] = {"principal", "bind-cert", "--id", principal_id(name), "--cert",
			      path_of("client.pem"), NULL};
	return gw_cli(&g, bind, NULL, 0) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return gw_stop(&g) ? 0 : -1;
}

/* GET path on the TLS listener as c; the CURLcode, the status in *status. */
static int get(const struct gw_tls_client *c, const char *path, const char *token, long *status)
{
	char u[256];
	struct http_reply r;
	snprintf(u, sizeof(u), "%s%s", url, path);
	int rc = gw_https(c, u, token, &r);
	*status = r.status;
	http_reply_free(&r);
	return rc;
}

static void test_modern_tls_works(void **state)
{
	long status;
	struct gw_tls_client c = client("client");
	assert_int_equal(get(&c, "/healthz", NULL, &status), 0);
	assert_int_equal(status, 200);
	c.tls12 = true;
	assert_int_equal(get(&c, "/healthz", NULL, &status), 0);
	assert_int_equal(status, 200);
}

static void test_old_tls_refused(void **state)
{
	long status;
	struct gw_tls_client c = client("client");
	c.old_tls = true;
	assert_int_not_equal(get(&c, "/healthz", NULL, &status), 0);
	assert_int_equal(status, 0);
}

static void test_bound_cert_authenticates(void **state)
{
	long status;
	struct gw_tls_client c = client("client");
	/* 404 from the handler: authenticated as the bound admin, no token needed */
	assert_int_equal(get(&c, "/v1/partners/none", NULL, &status), 0);
	assert_int_equal(status, 404);
	assert_int_equal(get(&c, "/v1/partners/none", bound, &status), 0);
	assert_int_equal(status, 404);
	/* a token of another principal on the same connection */
	assert_int_equal(get(&c, "/v1/partners/none", other, &status), 0);
	assert_int_equal(status, 401);
}

static void test_bad_certs_refused_at_handshake(void **state)
{
	const char *names[] = {"stranger", "expired", NULL};
	long status;
	for (int i = 0; i < 3; i++) {
		struct gw_tls_client c = client(names[i]);
		assert_int_not_equal(get(&c, "/healthz", bound, &status), 0);
		assert_int_equal(status, 0);
	}
}

static void test_plain_http_to_tls_port(void **state)
{
	struct gw plain = g;
	struct http_reply r;
	int n = snprintf(plain.base, sizeof(plain.base), "http://%.56s", url + strlen("https://"));
	assert_true(n > 0 && (size_t)n < sizeof(plain.base));
	bool answered = gw_http(&plain, "GET", "/healthz", NULL, NULL, NULL, &r);
	assert_false(answered && r.status != 0);
	http_reply_free(&r);
}

static bool served_over_tls;

static void healthz_over_tls(void)
{
	long status;
	struct gw_tls_client c = client("client");
	assert_int_equal(get(&c, "/healthz", NULL, &status), 0);
	assert_int_equal(status, 200);
	served_over_tls = true;
}

/*
 * A client trickling its TLS handshake a byte every half second (so the idle timeout never
 * fires: OpenSSL waits for the whole 512-byte record) is cut off request_timeout_s after it
 * connected; a client with a certificate is served meanwhile.
 */
static void test_trickled_handshake_disconnected(void **state)
{
	/* a TLS record header announcing a 512-byte ClientHello, then its first bytes */
	static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
					      0xfc, 0x03, 0x03, 0,    0,    0,    0,    0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tls_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	served_over_tls = false;
	double closed = gw_trickle(fd, gw_now_s(), hello, sizeof(hello), 500, TIMEOUT_S + 4,
				   healthz_over_tls);
	close(fd);
	if (closed < 0)
		fail_msg("still connected after %d s of a trickled handshake", TIMEOUT_S + 4);
	assert_true(served_over_tls);
	assert_true(closed >= TIMEOUT_S - 0.5 && closed < TIMEOUT_S + 2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_tls_works),
		cmocka_unit_test(test_old_tls_refused),
		cmocka_unit_test(test_bound_cert_authenticates),
		cmocka_unit_test(test_bad_certs_refused_at_handshake),
		cmocka_unit_test(test_plain_http_to_tls_port),
		cmocka_unit_test(test_trickled_handshake_disconnected),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
