/* http.h - one request's life: route, authenticate, parse, reply, log. */
#ifndef FAIRGATE_HTTP_H
#define FAIRGATE_HTTP_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "auth.h"

struct server;
struct req;
struct query_error;

typedef void (*route_fn)(struct req *r);

/* One row of the routing table (routes.c). '*' matches one path segment. */
struct route {
	enum evhttp_cmd_type method;
	const char *pattern;  /* e.g. "/v1/dossiers/ * /events" without spaces */
	int roles;            /* ROLE_x mask allowed; 0 = public probe */
	route_fn fn;
	const char *name;     /* for logs and metrics */
	unsigned flags;       /* ROUTE_x */
};
/* The handler folds the Idempotency-Key lookup into its first read (idem_lookups_add). */
#define ROUTE_IDEM_IN_HANDLER 1u

#define REQ_MAX_PARAMS 2

/*
 * A request we own. evhttp owns the evhttp_request; if the client goes away
 * before we answer, ev becomes NULL and the eventual reply only frees us.
 * Every path through a handler ends in exactly one req_reply_* call.
 */
struct req {
	struct server *srv;
	struct evhttp_request *ev;
	struct evhttp_connection *conn;
	const struct route *route;
	char id[17];                         /* request id, also X-Request-Id */
	char params[REQ_MAX_PARAMS][CONTRACT_ID_MAX + 1]; /* '*' segments */
	struct evkeyvalq query;
	bool has_query;
	json_t *body;                        /* parsed POST body, or NULL */
	const char *raw_body;                /* valid while ev is */
	size_t raw_len;
	struct principal who;
	int status;
	struct timespec start;
	char idem_key[256];                  /* Idempotency-Key, or "" */
	char idem_hash[65];                  /* SHA-256 of method, path and body */
	bool idem_inflight;                  /* registered in the in-flight set */
	bool idem_lookup_due;                /* ROUTE_IDEM_IN_HANDLER: the handler looks the key up */
	void *state;                         /* the handler's; freed by state_free */
	void (*state_free)(void *state);
};

/* Registers the generic callback on an evhttp with the server's limits. */
void http_setup(struct server *srv, struct evhttp *http);

/* Replies (status, JSON body stolen) and frees r. */
void req_reply_json(struct req *r, int status, json_t *body);
/* Replies with a raw body (copied) of the given content type and frees r. */
void req_reply_raw(struct req *r, int status, const char *ctype, const char *body, size_t len);
/*
 * RFC 9457 problem+json: type/title/status/detail plus a stable "code";
 * extra (stolen, may be NULL) is merged in (e.g. "errors", "reasons").
 */
void req_problem(struct req *r, int status, const char *code, const char *detail, json_t *extra);
/* The problem+json text req_problem would send (caller frees). */
char *problem_text(struct req *r, int status, const char *code, const char *detail, json_t *extra);
/* 422 with one field error: {"errors":[{"pointer":..,"message":..}]}. */
void req_field_error(struct req *r, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The raw query string (for params.h), or NULL when there is none or the client is gone. */
const char *req_query_string(struct req *r);
/* 400 bad_query with err's detail and, when it names one, "parameter". */
void req_bad_query(struct req *r, const struct query_error *err);

/* The route table, searched in order. */
extern const struct route routes[];
extern const size_t n_routes;

#endif
