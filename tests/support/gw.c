/* gw.c - test support: run the real fairgate binary and talk HTTP to it over a socket. */
#include "gw.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

const char *gw_run_id(void)
{
	static char id[16];
	if (!id[0]) {
		srand((unsigned)time(NULL) ^ (unsigned)getpid());
		snprintf(id, sizeof(id), "%06x", rand() & 0xffffff);
	}
	return id;
}

static void child_exec(const struct gw *g, const char *const *env, bool append)
{
	char listen[64];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", g->port);
	int fd = open(g->log_path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	setenv("FAIRGATE_DATABASE_URL", g->db_url, 1);
	setenv("FAIRGATE_LISTEN", listen, 1);
	for (int i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	execl(g->binary, g->binary, "serve", (char *)NULL);
	_exit(127);
}

static bool spawn_ready(struct gw *g, const char *const *env, bool append);

bool gw_start(struct gw *g, const char *binary, const char *const *env)
{
	memset(g, 0, sizeof(*g));
	g->binary = binary;
	g->db_url = getenv("FAIRGATE_TEST_DATABASE_URL");
	if (!g->db_url) {
		fprintf(stderr, "FAIRGATE_TEST_DATABASE_URL is not set: run the tests through ./ops/test\n");
		return false;
	}
	g->port = free_port();
	snprintf(g->base, sizeof(g->base), "http://127.0.0.1:%d", g->port);
	snprintf(g->log_path, sizeof(g->log_path), "/tmp/fairgate-test-%d-%d.log", (int)getpid(), g->port);
	return spawn_ready(g, env, false);
}

/* Forks the gateway on g->port and waits until /readyz answers 200. */
static bool spawn_ready(struct gw *g, const char *const *env, bool append)
{
	g->pid = fork();
	if (g->pid < 0)
		return false;
	if (g->pid == 0)
		child_exec(g, env, append);
	for (int i = 0; i < 300; i++) {
		struct http_reply r;
		if (gw_http(g, "GET", "/readyz", NULL, NULL, NULL, &r) && r.status == 200) {
			http_reply_free(&r);
			return true;
		}
		http_reply_free(&r);
		if (waitpid(g->pid, NULL, WNOHANG) == g->pid) {
			fprintf(stderr, "the gateway exited at start-up; see %s\n", g->log_path);
			return false;
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "the gateway did not become ready; see %s\n", g->log_path);
	return false;
}

bool gw_stop(struct gw *g)
{
	int status = -1;
	if (g->pid <= 0)
		return false;
	kill(g->pid, SIGTERM);
	if (waitpid(g->pid, &status, 0) != g->pid)
		return false;
	g->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool gw_restart(struct gw *g, const char *const *env)
{
	if (g->pid > 0)
		return false;
	return spawn_ready(g, env, true);
}

bool gw_kill9(struct gw *g)
{
	if (g->pid <= 0 || kill(g->pid, SIGKILL) != 0 || waitpid(g->pid, NULL, 0) != g->pid)
		return false;
	g->pid = 0;
	return true;
}

/* Runs the fairgate binary with args and, when private, without a database URL. */
static int run_cli(const struct gw *g, const char *const *args, char *out, size_t outlen, bool private_db)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		const char *argv[32] = {g->binary};
		for (int i = 0; args[i] && i < 30; i++)
			argv[i + 1] = args[i];
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]); /* else a server started by `db start` keeps it and the read never ends */
		if (private_db)
			unsetenv("FAIRGATE_DATABASE_URL");
		else
			setenv("FAIRGATE_DATABASE_URL", g->db_url, 1);
		execv(g->binary, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t n = 0;
	ssize_t k;
	char sink[256];
	while ((k = read(pipefd[0], out && n + 1 < outlen ? out + n : sink,
			 out && n + 1 < outlen ? outlen - n - 1 : sizeof(sink))) > 0)
		if (out && n + 1 < outlen)
			n += (size_t)k;
	if (out)
		out[n] = '\0';
	close(pipefd[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int gw_db(const struct gw *g, const char *verb)
{
	const char *args[] = {"db", verb, NULL};
	return run_cli(g, args, NULL, 0, true);
}

int gw_cli(const struct gw *g, const char *const *args, char *out, size_t outlen)
{
	return run_cli(g, args, out, outlen, false);
}

bool gw_token(const struct gw *g, const char *role, const char *name, const char *creditor,
	      const char *partner, char token[80])
{
	const char *args[12] = {"principal", "add", "--role", role, "--name", name};
	int n = 6;
	if (creditor) {
		args[n++] = "--creditor";
		args[n++] = creditor;
	}
	if (partner) {
		args[n++] = "--partner";
		args[n++] = partner;
	}
	args[n] = NULL;
	if (gw_cli(g, args, token, 80) != 0)
		return false;
	token[strcspn(token, "\n")] = '\0';
	return strlen(token) > 10;
}

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	b->data = realloc(b->data, b->len + size * n + 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static bool http_do(const struct gw *g, const char *method, const char *path, const char *token,
		    const char *body, size_t len, const char *const *headers, struct http_reply *out)
{
	char url[512], auth[160];
	struct buf b = {calloc(1, 1), 0};
	struct curl_slist *h = NULL;
	memset(out, 0, sizeof(*out));
	CURL *c = curl_easy_init();
	snprintf(url, sizeof(url), "%s%s", g->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	for (int i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(c);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	out->body = b.data;
	out->json = json_loads(b.data, 0, NULL);
	return rc == CURLE_OK;
}

bool gw_http(const struct gw *g, const char *method, const char *path, const char *token,
	     const char *body, const char *const *headers, struct http_reply *out)
{
	return http_do(g, method, path, token, body, body ? strlen(body) : 0, headers, out);
}

bool gw_http_bytes(const struct gw *g, const char *method, const char *path, const char *token,
		   const char *body, size_t len, struct http_reply *out)
{
	return http_do(g, method, path, token, body, len, NULL, out);
}

void http_reply_free(struct http_reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

char *gw_read_log(const struct gw *g)
{
	FILE *f = fopen(g->log_path, "r");
	if (!f)
		return calloc(1, 1);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}

const char *gw_log_leak(const struct gw *g, const char *const *secrets)
{
	char *log = gw_read_log(g);
	const char *found = NULL;
	for (int i = 0; log && secrets[i] && !found; i++)
		if (secrets[i][0] && strstr(log, secrets[i]))
			found = secrets[i];
	free(log);
	return found;
}

/* ---- concurrent batches over libcurl multi ---- */

struct pending {
	struct gw_call *call;
	struct buf b;
	struct curl_slist *h;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static CURL *call_handle(struct gw_call *c, struct pending *p)
{
	char url[256], auth[160], key[96];
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", c->g->base, c->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &p->b);
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		p->h = curl_slist_append(p->h, auth);
	}
	if (c->body[0]) {
		p->h = curl_slist_append(p->h, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	}
	if (c->idem_key[0]) {
		snprintf(key, sizeof(key), "Idempotency-Key: %s", c->idem_key);
		p->h = curl_slist_append(p->h, key);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->h);
	return h;
}

/* Files the outcome of every finished transfer; returns how many finished. */
static int reap(CURLM *m, const struct timespec *t0)
{
	int left, done = 0;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct pending *p = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		struct gw_call *c = p->call;
		c->curl_rc = (int)msg->data.result;
		c->ended_ms = ms_since(t0);
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &c->status);
			c->resp = p->b.data;
		} else {
			free(p->b.data);
		}
		curl_multi_remove_handle(m, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
		curl_slist_free_all(p->h);
		free(p);
		done++;
	}
	return done;
}

int gw_http_batch(struct gw_call *calls, int n, int parallel, bool (*tick)(void *arg, double ms),
		  void *arg)
{
	struct timespec t0;
	CURLM *m = curl_multi_init();
	int next = 0, flight = 0, running = 0;
	bool adding = true;
	if (!m)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (flight > 0 || (adding && next < n)) {
		if (tick && adding && !tick(arg, ms_since(&t0)))
			adding = false;
		while (adding && next < n && flight < parallel && calls[next].start_at_ms <= ms_since(&t0)) {
			struct pending *p = calloc(1, sizeof(*p));
			struct gw_call *c = &calls[next++];
			p->call = c;
			p->b.data = calloc(1, 1);
			CURL *h = call_handle(c, p);
			if (!p->b.data || !h || curl_multi_add_handle(m, h) != CURLM_OK)
				abort(); /* the test cannot run at all */
			c->started = true;
			c->started_ms = ms_since(&t0);
			flight++;
		}
		curl_multi_perform(m, &running);
		flight -= reap(m, &t0);
		if (flight > 0 || (adding && next < n))
			curl_multi_poll(m, NULL, 0, 5, NULL); /* with no transfer: waits for a call's start_at_ms */
	}
	curl_multi_cleanup(m);
	return next;
}

void gw_calls_free(struct gw_call *calls, int n)
{
	for (int i = 0; i < n; i++) {
		free(calls[i].resp);
		calls[i].resp = NULL;
	}
}

bool gw_call_acked(const struct gw_call *c)
{
	return c->resp && c->status >= 200 && c->status < 300;
}

/* ---- TLS ---- */

int gw_free_port(void)
{
	return free_port();
}

int gw_https(const struct gw_tls_client *c, const char *url, const char *token,
	     struct http_reply *out)
{
	char auth[160];
	struct buf b = {calloc(1, 1), 0};
	struct curl_slist *h = NULL;
	memset(out, 0, sizeof(*out));
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
	if (c->cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
	}
	if (c->old_tls) {
		curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1);
		curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, "DEFAULT@SECLEVEL=0");
	} else if (c->tls12) {
		curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2);
	}
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	out->body = b.data;
	out->json = json_loads(b.data, 0, NULL);
	return (int)rc;
}

char *gw_fmt(const char *f, ...)
{
	static char bufs[16][4096];
	static int i;
	char *b = bufs[i++ % 16];
	va_list ap;
	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

long long gw_metric(const struct gw *g, const char *name)
{
	struct http_reply r;
	long long v = -1;
	if (!gw_http(g, "GET", "/metrics", NULL, NULL, NULL, &r))
		return -1;
	size_t n = strlen(name);
	for (const char *p = r.status == 200 ? r.body : NULL; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			v = atoll(p + n + 1);
	http_reply_free(&r);
	return v;
}

const char *gw_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

const char *gw_stamp(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char *b = gw_fmt("%s", "");
	gmtime_r(&tt, &tm);
	strftime(b, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return b;
}

const char *gw_sql_value(PGconn *db, const char *sql, int n, const char *const *params)
{
	static char out[16384];
	PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		snprintf(out, sizeof(out), "ERR %s", PQerrorMessage(db));
	else
		snprintf(out, sizeof(out), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return out;
}

void gw_post_created(const struct gw *g, const char *token, const char *path, const char *body)
{
	struct http_reply r;
	assert_true(gw_http(g, "POST", path, token, body, NULL, &r));
	if (r.status != 201)
		fprintf(stderr, "POST %s: %ld %s\n", path, r.status, r.body);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
}

double gw_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double gw_trickle(int fd, double t0, const void *bytes, size_t n, int step_ms, double give_up_s,
		  void (*meanwhile)(void))
{
	const char *b = bytes;
	size_t sent = 0;
	while (gw_now_s() - t0 < give_up_s) {
		if (meanwhile && gw_now_s() - t0 >= 1.0) {
			meanwhile();
			meanwhile = NULL;
		}
		if (sent < n && send(fd, b + sent++, 1, MSG_NOSIGNAL) != 1)
			return gw_now_s() - t0; /* reset by the peer */
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[256];
		if (poll(&p, 1, step_ms) == 1 && recv(fd, buf, sizeof(buf), 0) <= 0)
			return gw_now_s() - t0; /* EOF or reset */
	}
	return -1;
}
