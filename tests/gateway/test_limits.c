/*
 * test_limits.c - end to end: per-principal rate limits (429, Retry-After), slow clients, and how
 * replies leave a connection (pipelined requests, a reader too slow for the replies, Connection: close).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gw.h"

#define TIMEOUT_S 2 /* request_timeout_s of the gateway under test */

static struct gw g;
static const char *binary;
static char limited[80], neighbour[80];

static int setup(void **state)
{
	const char *env[] = {"FAIRGATE_RATE_LIMIT_PER_S=1", "FAIRGATE_RATE_LIMIT_BURST=3",
			     "FAIRGATE_REQUEST_TIMEOUT_S=2", NULL};
	if (!gw_start(&g, binary, env))
		return -1;
	bool ok = gw_token(&g, "admin", "limited", NULL, NULL, limited) &&
		  gw_token(&g, "admin", "neighbour", NULL, NULL, neighbour);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	return gw_stop(&g) ? 0 : -1;
}

static int connect_gw(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* One GET as token over a raw socket; the whole answer with headers in out. */
static void raw_get(const char *token, char *out, size_t len)
{
	char req[256];
	int fd = connect_gw();
	int n = snprintf(req, sizeof(req),
			 "GET /v1/partners/none HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
			 "Authorization: Bearer %s\r\n\r\n", token);
	assert_int_equal(write(fd, req, (size_t)n), n);
	size_t got = 0;
	ssize_t k;
	while (got + 1 < len && (k = read(fd, out + got, len - got - 1)) > 0)
		got += (size_t)k;
	out[got] = '\0';
	close(fd);
}

static void test_rate_limit(void **state)
{
	char ans[2048];
	for (int i = 0; i < 3; i++) { /* the burst */
		raw_get(limited, ans, sizeof(ans));
		assert_non_null(strstr(ans, "HTTP/1.1 404"));
	}
	raw_get(limited, ans, sizeof(ans));
	assert_non_null(strstr(ans, "HTTP/1.1 429"));
	assert_non_null(strstr(ans, "Retry-After: 1\r\n"));
	assert_non_null(strstr(ans, "application/problem+json"));
	assert_non_null(strstr(ans, "\"code\":\"rate_limited\""));
	raw_get(neighbour, ans, sizeof(ans)); /* another principal has its own bucket */
	assert_non_null(strstr(ans, "HTTP/1.1 404"));
	usleep(1100 * 1000);
	raw_get(limited, ans, sizeof(ans));
	assert_non_null(strstr(ans, "HTTP/1.1 404"));
}

/* A client that sends half its headers and then nothing is cut off after the timeout. */
static void test_stalled_client_disconnected(void **state)
{
	static const char half[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ";
	int fd = connect_gw();
	double t0 = gw_now_s();
	assert_int_equal(write(fd, half, sizeof(half) - 1), (ssize_t)(sizeof(half) - 1));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;
	assert_int_equal(poll(&p, 1, (TIMEOUT_S + 5) * 1000), 1);
	assert_true(read(fd, &c, 1) <= 0 || c == 'H'); /* closed, or a 408-like answer first */
	double waited = gw_now_s() - t0;
	close(fd);
	assert_true(waited >= TIMEOUT_S - 0.5 && waited < TIMEOUT_S + 3);
}

static void healthz_answers(void)
{
	struct http_reply r;
	assert_true(gw_http(&g, "GET", "/healthz", NULL, NULL, NULL, &r));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
}

/*
 * A client trickling its headers a byte every half second (so the idle timeout never fires) is
 * cut off request_timeout_s after it connected; another client is served meanwhile.
 */
static void test_trickling_client_disconnected(void **state)
{
	static const char slow[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaa";
	int fd = connect_gw();
	double t0 = gw_now_s();
	double closed =
		gw_trickle(fd, t0, slow, sizeof(slow) - 1, 500, TIMEOUT_S + 4, healthz_answers);
	close(fd);
	if (closed < 0)
		fail_msg("still connected after %d s of trickling", TIMEOUT_S + 4);
	assert_true(closed >= TIMEOUT_S - 0.5 && closed < TIMEOUT_S + 2);
}

/* Waits up to 5 s for bytes on fd and reads them; what recv returned, -1 on a timeout. */
static ssize_t recv_some(int fd, char *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 5000) == 1 ? recv(fd, buf, len, 0) : -1;
}

/* Reads one answer (headers and Content-Length body) on a keep-alive connection: its status. */
static int read_answer(int fd)
{
	char buf[4096], scratch[4096];
	size_t got = 0;
	char *end = NULL;
	while (!end) {
		ssize_t k = -1;
		if (got + 1 < sizeof(buf))
			k = recv_some(fd, buf + got, sizeof(buf) - got - 1);
		if (k <= 0)
			return -1;
		got += (size_t)k;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	int status = strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1;
	const char *cl = strstr(buf, "Content-Length: ");
	size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
	size_t have = got - (size_t)(end + 4 - buf);
	while (have < body) {
		ssize_t k = recv_some(fd, scratch, sizeof(scratch));
		if (k <= 0)
			return -1;
		have += (size_t)k;
	}
	return status;
}

/* A keep-alive client that asks again within the timeout is kept: each reply restarts it. */
static void test_keepalive_client_kept(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd = connect_gw();
	double t0 = gw_now_s();
	int answered = 0;
	while (gw_now_s() - t0 < 2.5 * TIMEOUT_S) {
		ssize_t n = send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
		assert_int_equal(n, (ssize_t)(sizeof(req) - 1));
		int status = read_answer(fd);
		if (status != 200)
			fail_msg("answer %d after %.1f s on one connection", status,
				 gw_now_s() - t0);
		answered++;
		usleep(600 * 1000);
	}
	close(fd);
	assert_true(answered >= 6);
}

/* Reads until EOF (5 s at most per wait); what came, NUL-terminated, in out. */
static size_t read_to_eof(int fd, char *out, size_t len)
{
	size_t got = 0;
	ssize_t k;
	while (got + 1 < len && (k = recv_some(fd, out + got, len - got - 1)) > 0)
		got += (size_t)k;
	out[got] = '\0';
	return got;
}

/*
 * Two requests in one write on a keep-alive connection, the first answered after a database
 * read, the second at once: both answered, in order (evhttp reads the second only after the
 * first's reply is out, which the gateway writes as soon as it has it).
 */
static void test_pipelined_requests_answered_in_order(void **state)
{
	char req[512], ans[8192];
	int fd = connect_gw();
	int n = snprintf(req, sizeof(req),
			 "GET /v1/partners/none HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n"
			 "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", neighbour);
	assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	read_to_eof(fd, ans, sizeof(ans));
	close(fd);
	const char *first = strstr(ans, "HTTP/1.1 "), *second = first ? strstr(first + 1, "HTTP/1.1 ") : NULL;
	if (!first || !second)
		fail_msg("expected two answers, got: %.300s", ans);
	assert_int_equal(atoi(first + 9), 404);
	assert_int_equal(atoi(second + 9), 200);
	assert_null(strstr(second + 1, "HTTP/1.1 "));
}

/*
 * A client that sends 100 requests for the 46 KB document in one write and reads nothing for
 * 300 ms: the replies (4.6 MB) fill the socket's send buffer (the kernel's grows to ~4 MB), so
 * some reply is written only in part and its rest later, when the client reads. Every reply
 * arrives whole and in order: 100 documents that parse, and nothing more.
 */
#define PIPELINED 100
static void test_slow_reader_gets_whole_replies(void **state)
{
	static const char one[] = "GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char last[] = "GET /openapi.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	static char reqs[PIPELINED * sizeof(last)];
	size_t n = 0;
	for (int i = 0; i < PIPELINED - 1; i++) {
		memcpy(reqs + n, one, sizeof(one) - 1);
		n += sizeof(one) - 1;
	}
	memcpy(reqs + n, last, sizeof(last) - 1);
	n += sizeof(last) - 1;
	int fd = connect_gw();
	assert_int_equal(send(fd, reqs, n, MSG_NOSIGNAL), (ssize_t)n);
	usleep(300 * 1000);
	static char buf[8u << 20];
	size_t got = read_to_eof(fd, buf, sizeof(buf));
	close(fd);
	const char *p = buf;
	for (int i = 0; i < PIPELINED; i++) {
		const char *end = strstr(p, "\r\n\r\n"), *cl = strstr(p, "Content-Length: ");
		if (strncmp(p, "HTTP/1.1 200", 12) != 0 || !end || !cl || cl > end)
			fail_msg("reply %d of %d is not a whole 200 (%zu bytes read in all)", i + 1,
				 PIPELINED, got);
		size_t body = strtoul(cl + 16, NULL, 10);
		assert_true(body > 40000);
		assert_true((size_t)(end + 4 - buf) + body <= got);
		json_t *doc = json_loadb(end + 4, body, 0, NULL);
		if (!doc)
			fail_msg("reply %d's body does not parse", i + 1);
		json_decref(doc);
		p = end + 4 + body;
	}
	assert_int_equal((size_t)(p - buf), got); /* nothing after the last */
}

/* Connection: close on an answer given at once: the answer, then the gateway closes. */
static void test_close_after_immediate_answer(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char ans[4096];
	for (int i = 0; i < 3; i++) {
		int fd = connect_gw();
		assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
		read_to_eof(fd, ans, sizeof(ans)); /* ends: the gateway closed */
		close(fd);
		assert_int_equal(strncmp(ans, "HTTP/1.1 200", 12), 0);
	}
	healthz_answers(); /* and it still serves */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAIRGATE_BINARY\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_stalled_client_disconnected),
		cmocka_unit_test(test_trickling_client_disconnected),
		cmocka_unit_test(test_keepalive_client_kept),
		cmocka_unit_test(test_pipelined_requests_answered_in_order),
		cmocka_unit_test(test_slow_reader_gets_whole_replies),
		cmocka_unit_test(test_close_after_immediate_answer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
