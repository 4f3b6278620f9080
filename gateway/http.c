/* http.c - one request's life: route, authenticate, parse, reply, log. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_deadline.h"
#include "headers.h"
#include "idempotency.h"
#include "json_fast.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "query.h"
#include "ratelimit.h"
#include "server.h"
#include "str.h"
#include "tls.h"

static const char *status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Microseconds since start (printed as milliseconds with three decimals, no floating point). */
static long long elapsed_us(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long us = (long long)(now.tv_sec - start->tv_sec) * 1000000 + (now.tv_nsec - start->tv_nsec) / 1000;
	return us < 0 ? 0 : us;
}

/* One JSON line per request: no path, token or debtor reference, only the route. */
static void access_log(struct req *r, size_t bytes, long long us)
{
	char line[512];
	const char *method = "OTHER";
	if (r->ev) {
		enum evhttp_cmd_type m = evhttp_request_get_command(r->ev);
		method = m == EVHTTP_REQ_GET ? "GET" : m == EVHTTP_REQ_POST ? "POST" : method;
	}
	char status[STR_LL_MAX], ms[STR_LL_MAX], who[STR_LL_MAX], len[STR_LL_MAX], frac[4];
	str_pad3(frac, (int)(us % 1000)); /* us >= 0 (elapsed_us): "%03lld" */
	str_ll(status, r->status);
	str_ll(ms, us / 1000);
	str_ll(who, r->who.id);
	str_ll(len, (long long)bytes); /* fits: no reply exceeds PTRDIFF_MAX bytes */
	const char *parts[] = {
		"{\"type\":\"access\",\"req\":\"", r->id,
		"\",\"method\":\"", method,
		"\",\"route\":\"", r->route ? r->route->name : "none",
		"\",\"status\":", status,
		",\"ms\":", ms, ".", frac,
		",\"principal\":", who,
		",\"bytes\":", len,
		r->ev ? "}" : ",\"client_gone\":true}",
	};
	str_join(line, sizeof(line), parts, sizeof(parts) / sizeof(parts[0]));
	log_json_line(line);
}

static void req_free(struct req *r)
{
	idem_end(r);
	if (r->conn)
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
	if (r->state_free && r->state)
		r->state_free(r->state);
	if (r->has_query)
		evhttp_clear_headers(&r->query);
	json_decref(r->body);
	free(r);
}

/*
 * Writes a reply evhttp has just queued on a plain socket now, instead of
 * when the loop next finds the socket writable, and finishes it as evhttp
 * would then (its write callback: the request freed, the connection reading
 * the next one or closed). evhttp turns the socket's write interest on for the
 * reply and off once it is out; done in one loop turn, the two cancel in
 * libevent's changelist: one epoll_ctl per request fewer (3 to 2, measured
 * with perf stat's syscall counts) and no wake-up for writability. A partial
 * write leaves the rest to the bufferevent as before; an error too (it meets
 * the error again and reports it). TLS connections are left alone: their bytes
 * go through OpenSSL. Holds a reference, as the connection may be freed inside.
 */
static void reply_write_now(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);
	if (fd >= 0 && evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0 &&
	    evbuffer_get_length(out) == 0)
		bufferevent_trigger(bev, EV_WRITE, 0);
	bufferevent_decref(bev);
}

void req_reply_raw(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
	struct bufferevent *now = NULL; /* a plain connection's, written at the end */
	r->status = status;
	if (r->ev) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
		struct bufferevent *bev = evhttp_connection_get_bufferevent(r->conn);
		conn_deadline_idle(r->srv->deadline, bev); /* the next request is due from now */
		struct evbuffer *buf = evbuffer_new();
		if (!buf || evbuffer_add(buf, body, len) != 0)
			abort();
		evhttp_add_header(h, "Content-Type", ctype);
		evhttp_add_header(h, "X-Request-Id", r->id);
		evhttp_add_header(h, "Cache-Control", "no-store");
		evhttp_send_reply(r->ev, status, status_title(status), buf);
		evbuffer_free(buf);
		if (!tls_bev_is_tls(bev)) {
			now = bev;
			bufferevent_incref(now);
		}
	}
	long long us = elapsed_us(&r->start);
	access_log(r, len, us);
	metrics_request(r->srv->metrics, r->route ? r->route->name : "none", status, (double)us / 1e6);
	req_free(r); /* first: it clears the connection's close callback, which names r */
	if (now)
		reply_write_now(now);
}

void req_reply_json(struct req *r, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		abort();
	req_reply_raw(r, status, "application/json", text, strlen(text));
	free(text);
}

char *problem_text(struct req *r, int status, const char *code, const char *detail, json_t *extra)
{
	json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title",
			      status_title(status), "status", status, "code", code, "detail", detail);
	if (!p)
		abort();
	if (extra) {
		json_object_update(p, extra);
		json_decref(extra);
	}
	json_object_set_new(p, "request_id", json_string(r->id));
	char *text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (!text)
		abort();
	return text;
}

void req_problem(struct req *r, int status, const char *code, const char *detail, json_t *extra)
{
	char *text = problem_text(r, status, code, detail, extra);
	req_reply_raw(r, status, "application/problem+json", text, strlen(text));
	free(text);
}

void req_field_error(struct req *r, const char *pointer, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *extra = json_pack("{s:[{s:s, s:s}]}", "errors", "pointer", pointer, "message", msg);
	req_problem(r, 422, "validation_failed", msg, extra);
}

const char *req_query_string(struct req *r)
{
	const struct evhttp_uri *uri = r->ev ? evhttp_request_get_evhttp_uri(r->ev) : NULL;
	return uri ? evhttp_uri_get_query(uri) : NULL;
}

void req_bad_query(struct req *r, const struct query_error *err)
{
	json_t *extra = err->parameter[0] ? json_pack("{s:s}", "parameter", err->parameter) : NULL;
	req_problem(r, 400, "bad_query", err->detail, extra);
}

/* ---- routing ---- */

static bool match(const char *pattern, const char *path, struct req *r)
{
	int np = 0;
	while (*pattern && *path) {
		if (*pattern == '*') {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);
			if (n == 0 || n > CONTRACT_ID_MAX || np >= REQ_MAX_PARAMS)
				return false;
			memcpy(r->params[np], path, n);
			r->params[np++][n] = '\0';
			path += n;
			pattern++;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

/* Finds the route; *path_known tells 405 from 404. */
static const struct route *find_route(struct req *r, const char *path, bool *path_known)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(r->ev);
	*path_known = false;
	for (size_t i = 0; i < n_routes; i++) {
		if (!match(routes[i].pattern, path, r))
			continue;
		*path_known = true;
		if (routes[i].method == m)
			return &routes[i];
	}
	return NULL;
}

/* Refuses nesting deeper than max before jansson's recursive parser sees it. */
static bool depth_ok(const char *s, size_t n, int max)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

/* Reads and parses a POST body; replies and returns false on any problem. */
static bool read_body(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t n = evbuffer_get_length(in);
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
	if (!header_is_json(ctype)) {
		req_problem(r, 415, "unsupported_media_type", "send the body as application/json", NULL);
		return false;
	}
	r->raw_body = (const char *)evbuffer_pullup(in, -1);
	r->raw_len = n;
	if (n == 0 || !r->raw_body) {
		req_problem(r, 400, "body_missing", "a JSON body is required", NULL);
		return false;
	}
	if (!depth_ok(r->raw_body, n, r->srv->cfg->max_json_depth)) {
		req_problem(r, 400, "json_too_deep", "the JSON nests deeper than allowed", NULL);
		return false;
	}
	/* JSON has no NUL byte; jansson's json_loadb skips one after some tokens and accepts the rest */
	const char *nul = memchr(r->raw_body, '\0', n);
	if (nul) {
		char detail[120];
		snprintf(detail, sizeof(detail), "malformed JSON: a NUL byte at offset %zu",
			 (size_t)(nul - r->raw_body));
		req_problem(r, 400, "malformed_json", detail, NULL);
		return false;
	}
	/* the fast reader first; jansson's for a refused body, to say where it went wrong */
	json_error_t jerr;
	r->body = json_fast_loadb(r->raw_body, n);
	if (!r->body)
		r->body = json_loadb(r->raw_body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->body) {
		char detail[300];
		snprintf(detail, sizeof(detail), "malformed JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		req_problem(r, 400, "malformed_json", detail, NULL);
		return false;
	}
	if (!json_is_object(r->body)) {
		req_field_error(r, "", "the body must be a JSON object");
		return false;
	}
	return true;
}

static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
	struct req *r = arg;
	r->ev = NULL; /* evhttp frees the request; we answer no one */
	r->conn = NULL;
	r->raw_body = NULL;
}

/* The principal's token bucket (rate_limit_per_s); 429 with Retry-After when it is empty. */
static bool limit_ok(struct req *r)
{
	char secs[16];
	int retry = 1;
	if (ratelimit_take(r->srv->ratelimit, r->who.id, &retry))
		return true;
	snprintf(secs, sizeof(secs), "%d", retry);
	if (r->ev)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", secs);
	req_problem(r, 429, "rate_limited", "too many requests; retry after the given seconds", NULL);
	return false;
}

static void authenticated(void *arg, const struct principal *p, bool unavailable)
{
	struct req *r = arg;
	if (unavailable) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
	} else if (!p) {
		req_problem(r, 401, "unauthorized", "the bearer token is unknown or revoked", NULL);
	} else if (!(p->role & r->route->roles)) {
		r->who = *p;
		req_problem(r, 403, "forbidden", "this role may not use this call", NULL);
	} else {
		r->who = *p;
		if (!limit_ok(r))
			return;
		if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_POST && !idem_begin(r, r->route->fn))
			return; /* answered, or the handler runs after the key lookup */
		r->route->fn(r);
	}
}

_Static_assert(HEADER_TOKEN_LEN == AUTH_TOKEN_LEN, "headers.c reads the tokens auth.c makes");

/* A bearer token, or a verified client certificate (TLS listener), or both. */
static void authenticate(struct req *r)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Authorization");
	const char *token = NULL;
	char fp[TLS_FP_HEX];
	bool cert = tls_peer_fingerprint(r->conn, fp);
	if ((h || !cert) && !header_bearer(h, &token)) {
		req_problem(r, 401, "unauthorized", "send Authorization: Bearer <token>", NULL);
		return;
	}
	auth_resolve(r->srv->auth, cert ? fp : NULL, token, authenticated, r);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct server *srv = arg;
	struct req *r = xcalloc(1, sizeof(*r));
	r->srv = srv;
	r->ev = ev;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	str_hex64(r->id, ++srv->next_req_id);
	r->conn = evhttp_request_get_connection(ev);
	evhttp_connection_set_closecb(r->conn, on_conn_close, r);
	conn_deadline_busy(srv->deadline, evhttp_connection_get_bufferevent(r->conn));

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	if (!path) {
		req_problem(r, 400, "bad_request", "the request target is not a valid URI", NULL);
		return;
	}
	if (query) {
		if (evhttp_parse_query_str(query, &r->query) != 0) {
			req_problem(r, 400, "bad_query", "the query string is malformed", NULL);
			return;
		}
		r->has_query = true;
	}
	bool known;
	r->route = find_route(r, path, &known);
	if (!r->route) {
		req_problem(r, known ? 405 : 404, known ? "method_not_allowed" : "not_found",
			    known ? "this method is not allowed here" : "no such resource", NULL);
		return;
	}
	if (evhttp_request_get_command(ev) == EVHTTP_REQ_POST && !read_body(r))
		return;
	if (r->route->roles == 0)
		r->route->fn(r);
	else
		authenticate(r);
}

void http_setup(struct server *srv, struct evhttp *http)
{
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_max_body_size(http, (ev_ssize_t)srv->cfg->max_body_bytes);
	evhttp_set_max_headers_size(http, (ev_ssize_t)srv->cfg->max_header_bytes);
	evhttp_set_timeout(http, srv->cfg->request_timeout_s);
	evhttp_set_default_content_type(http, "application/json");
	evhttp_set_gencb(http, on_request, srv);
}
