/* gw.h - test support: run the real fairgate binary and talk HTTP to it over a socket. */
#ifndef FAIRGATE_TEST_GW_H
#define FAIRGATE_TEST_GW_H

#include <jansson.h>
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
/* Runs `fairgate principal add ...` and returns the token (static buffer per call site copy). */
bool gw_token(const struct gw *g, const char *role, const char *name, const char *creditor,
	      const char *partner, char token[80]);
/* One request; body may be NULL; extra header lines may be NULL. */
bool gw_http(const struct gw *g, const char *method, const char *path, const char *token,
	     const char *body, const char *const *headers, struct http_reply *out);
void http_reply_free(struct http_reply *r);
/* A short random suffix so ids of one run never collide with another's. */
const char *gw_run_id(void);
/* Runs the fairgate binary with args; returns its exit status; stdout into out (may be NULL). */
int gw_cli(const struct gw *g, const char *const *args, char *out, size_t outlen);
/* The whole log file of the gateway (owned). */
char *gw_read_log(const struct gw *g);

#endif
