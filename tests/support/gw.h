/* gw.h - test support: run the real fairgate binary and talk HTTP to it over a socket. */
#ifndef FAIRGATE_TEST_GW_H
#define FAIRGATE_TEST_GW_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

struct gw {
	pid_t pid;
	int port;
	char base[64];      /* http://127.0.0.1:PORT */
	char log_path[256]; /* the gateway's stderr */
	const char *binary;
	const char *db_url;
};

struct http_reply {
	long status;
	char *body;         /* NUL-terminated, owned */
	json_t *json;       /* parsed body or NULL */
	char content_type[128];
};

/*
 * Starts `fairgate serve` on a free port against $FAIRGATE_TEST_DATABASE_URL
 * with extra "NAME=VALUE" environment settings (NULL-terminated, may be
 * NULL), and waits until /readyz answers 200. Returns false with a message
 * on stderr.
 */
bool gw_start(struct gw *g, const char *binary, const char *const *env);
/* SIGTERM and wait; true when it exited with status 0. */
bool gw_stop(struct gw *g);
/* Starts the stopped gateway again on the same port, appending to the same log. */
bool gw_restart(struct gw *g, const char *const *env);
/* SIGKILL and reap: a crash, nothing flushed, no shutdown path runs. */
bool gw_kill9(struct gw *g);
/*
 * Runs `fairgate db start|stop` on the private cluster named by the inherited
 * FAIRGATE_DATA_DIR and FAIRGATE_PRIVATE_PG_PORT (no database URL); exit status.
 */
int gw_db(const struct gw *g, const char *verb);
/* Runs `fairgate principal add ...` and returns the token (static buffer per call site copy). */
bool gw_token(const struct gw *g, const char *role, const char *name, const char *creditor,
	      const char *partner, char token[80]);
/* One request; body may be NULL; extra header lines may be NULL. */
bool gw_http(const struct gw *g, const char *method, const char *path, const char *token,
	     const char *body, const char *const *headers, struct http_reply *out);
/* The same with a body of len bytes, which may hold NUL bytes. */
bool gw_http_bytes(const struct gw *g, const char *method, const char *path, const char *token,
		   const char *body, size_t len, struct http_reply *out);
void http_reply_free(struct http_reply *r);
/* A short random suffix so ids of one run never collide with another's. */
const char *gw_run_id(void);
/* Runs the fairgate binary with args; returns its exit status; stdout into out (may be NULL). */
int gw_cli(const struct gw *g, const char *const *args, char *out, size_t outlen);
/* The whole log file of the gateway (owned). */
char *gw_read_log(const struct gw *g);
/* The first of the NULL-terminated secrets that occurs in the gateway's log, or NULL. */
const char *gw_log_leak(const struct gw *g, const char *const *secrets);

/* One request of a concurrent batch; the test fills the first block. */
struct gw_call {
	const struct gw *g;
	const char *method;
	const char *token;
	char path[160];
	char body[512];     /* empty: no body */
	char idem_key[64];  /* empty: no Idempotency-Key */
	double start_at_ms; /* not started before this many ms into the batch (a tick may change it) */
	bool started;       /* sent (the batch may stop before) */
	int curl_rc;        /* CURLcode of the transfer */
	long status;        /* 0 when no answer came */
	char *resp;         /* the answer's body (owned), NULL without an answer */
	double started_ms;  /* since the batch began */
	double ended_ms;
};

/*
 * Runs the calls with at most `parallel` in flight (libcurl multi). Before
 * each poll, tick(arg, ms since start) runs when given; once it returns false
 * no further call starts, and the batch ends when the started ones are done.
 * Returns the number of calls started.
 */
int gw_http_batch(struct gw_call *calls, int n, int parallel, bool (*tick)(void *arg, double ms),
		  void *arg);
/* Frees the answers of n calls. */
void gw_calls_free(struct gw_call *calls, int n);
/* A 2xx answer came. */
bool gw_call_acked(const struct gw_call *c);

/* ---- TLS (gateway/tls.c) ---- */

/* A free TCP port on 127.0.0.1 (for a second listener such as tls_listen). */
int gw_free_port(void);

/* How a TLS client identifies itself; NULL cert and key: no client certificate. */
struct gw_tls_client {
	const char *ca;   /* PEM CA the server certificate must chain to */
	const char *cert; /* PEM client certificate, or NULL */
	const char *key;  /* its PEM key, or NULL */
	bool old_tls;     /* offer only TLS 1.0 and 1.1 (at OpenSSL security level 0) */
	bool tls12;       /* offer only TLS 1.2 */
};

/* GET url over https with c; returns the CURLcode (0: an answer came, in out). */
int gw_https(const struct gw_tls_client *c, const char *url, const char *token,
	     struct http_reply *out);
/* printf into one of 16 rotating 4 KiB buffers: for building paths and bodies inline. */
char *gw_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* POSTs body and asserts (cmocka) that it was answered 201; prints the answer when not. */
void gw_post_created(const struct gw *g, const char *token, const char *path, const char *body);
/* "YYYY-MM-DDTHH:MM:SSZ" of a UTC time, in a gw_fmt buffer. */
const char *gw_stamp(long long t);
/* One value of a one-row query with text parameters ("" on no row, "ERR ..." on error). */
const char *gw_sql_value(PGconn *db, const char *sql, int n, const char *const *params);
/* A counter or gauge of g's /metrics (its "name value" line), or -1 when absent. */
long long gw_metric(const struct gw *g, const char *name);
/* A string member of a JSON object, or "" when absent. */
const char *gw_jstr(json_t *o, const char *key);

/* ---- slow clients ---- */

/* Seconds on the monotonic clock. */
double gw_now_s(void);
/*
 * Sends bytes one at a time, one every step_ms, on a connected socket until the
 * peer closes it or give_up_s have passed since t0; once, a second after t0,
 * calls meanwhile (when not NULL). Returns the seconds from t0 until the close,
 * or -1 when the connection was still open.
 */
double gw_trickle(int fd, double t0, const void *bytes, size_t n, int step_ms, double give_up_s,
		  void (*meanwhile)(void));

#endif
