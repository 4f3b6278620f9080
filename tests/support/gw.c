/* gw.c - test support: run the real fairgate binary and talk HTTP to it over a socket. */
#include "gw.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

static void child_exec(const struct gw *g, const char *const *env)
{
	char listen[64];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", g->port);
	int fd = open(g->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
	g->pid = fork();
	if (g->pid == 0)
		child_exec(g, env);
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

int gw_cli(const struct gw *g, const char *const *args, char *out, size_t outlen)
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
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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

bool gw_http(const struct gw *g, const char *method, const char *path, const char *token,
	     const char *body, const char *const *headers, struct http_reply *out)
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
