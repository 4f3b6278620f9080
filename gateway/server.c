/* server.c - start-up and shutdown of the running gateway. */
#include "server.h"

#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "conn_deadline.h"
#include "doc_cache.h"
#include "dossier_load.h"
#include "http.h"
#include "idempotency.h"
#include "janitor.h"
#include "json_arena.h"
#include "kpi_fold.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "tls.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(srv->base, NULL);
}

/* Splits "HOST:PORT"; false when it is not one. */
static bool split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= hostlen)
		return false;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return false;
	*port = (int)p;
	return true;
}

static bool start_http(struct server *srv)
{
	char host[96];
	int port;
	if (!split_listen(srv->cfg->listen, host, sizeof(host), &port)) {
		log_error("listen: expected HOST:PORT, got '%s'", srv->cfg->listen);
		return false;
	}
	srv->http = evhttp_new(srv->base);
	if (!srv->http || evhttp_bind_socket(srv->http, host, (ev_uint16_t)port) != 0) {
		log_error("cannot listen on %s", srv->cfg->listen);
		return false;
	}
	conn_deadline_watch(srv->deadline, srv->http, NULL, NULL);
	http_setup(srv, srv->http);
	log_info("listening on %s", srv->cfg->listen);
	return true;
}

/* The TLS listener, when tls_listen is set: a second evhttp with the same routes. */
static bool start_https(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	char host[96], err[512];
	int port;
	if (!cfg->tls_listen[0])
		return true;
	if (!split_listen(cfg->tls_listen, host, sizeof(host), &port) || !cfg->tls_cert[0] ||
	    !cfg->tls_key[0]) {
		log_error("tls_listen: expected HOST:PORT with tls_cert and tls_key set");
		return false;
	}
	srv->tls = tls_create(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca, err, sizeof(err));
	if (!srv->tls) {
		log_error("%s", err);
		return false;
	}
	srv->https = evhttp_new(srv->base);
	if (!srv->https || evhttp_bind_socket(srv->https, host, (ev_uint16_t)port) != 0) {
		log_error("cannot listen on %s", cfg->tls_listen);
		return false;
	}
	conn_deadline_watch(srv->deadline, srv->https, tls_bev_new, srv->tls);
	http_setup(srv, srv->https);
	log_info("listening with TLS on %s%s", cfg->tls_listen,
		 cfg->tls_client_ca[0] ? " (client certificates required)" : "");
	return true;
}

static void start_outbox(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct outbox_config oc = {
		.signing_secret = cfg->webhook_secret,
		.max_attempts = cfg->outbox_max_attempts,
		.base_delay_ms = cfg->outbox_base_delay_ms,
		.max_delay_ms = cfg->outbox_max_delay_ms,
		.poll_interval_ms = cfg->outbox_poll_ms,
		.batch = 64,
		.timeout_ms = 10000,
	};
	srv->outbox = outbox_create(srv->base, srv->pool, &oc);
}

static bool start(struct server *srv, const char *conninfo)
{
	char err[512];
	int chains[8];
	int lanes = srv->cfg->commit_lanes;
	if (lanes < 1 || lanes > (int)(sizeof(chains) / sizeof(chains[0])))
		return false;
	for (int i = 0; i < lanes; i++) {
		chains[i] = audit_chain_open(conninfo, err, sizeof(err));
		if (chains[i] < 0) {
			log_error("%s", err);
			return false;
		}
	}
	srv->chain = chains[0];
	struct pgpool_config pc = {conninfo, srv->cfg->pool_size, srv->cfg->statement_timeout_ms,
				   srv->cfg->pool_queue_max};
	srv->pool = pgpool_create(srv->base, &pc);
	if (!srv->pool)
		return false;
	srv->committer = committer_create(srv->base, srv->pool, chains, lanes, srv->cfg->commit_batch_max,
					  srv->cfg->commit_relief_us);
	if (!srv->committer)
		return false;
	srv->reads = dossier_reader_create(srv->base, srv->pool, srv->cfg->read_in_flight_max);
	if (!srv->reads)
		return false;
	srv->auth = auth_create(srv->pool, 2000);
	if (!auth_listen(srv->auth, srv->base, conninfo))
		log_warn("auth: cannot listen for principal changes; tokens are checked on every request");
	srv->metrics = metrics_create();
	srv->idem = idem_table_create();
	srv->ratelimit = ratelimit_create(srv->cfg->rate_limit_per_s, srv->cfg->rate_limit_burst);
	start_outbox(srv);
	srv->janitor = janitor_create(srv);
	srv->kpi_fold = kpi_fold_create(srv);
	if (!srv->kpi_fold)
		return false;
	srv->checkpoint = checkpoint_create(srv);
	if (!srv->checkpoint)
		return false;
	srv->sigint = evsignal_new(srv->base, SIGINT, on_signal, srv);
	srv->sigterm = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	if (!srv->sigint || !srv->sigterm || event_add(srv->sigint, NULL) || event_add(srv->sigterm, NULL))
		return false;
	log_info("audit chains %d to %d opened (%d commit lanes)", chains[0], chains[lanes - 1], lanes);
	srv->deadline = conn_deadline_create(srv->base, srv->cfg->request_timeout_s);
	if (!srv->deadline) {
		log_error("cannot start the connection deadline timer");
		return false;
	}
	return start_http(srv) && start_https(srv);
}

static void stop(struct server *srv)
{
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->https)
		evhttp_free(srv->https);
	conn_deadline_free(srv->deadline); /* after the listeners, before event_base_free */
	tls_free(srv->tls);
	ratelimit_free(srv->ratelimit);
	janitor_free(srv->janitor);
	kpi_fold_free(srv->kpi_fold);
	checkpoint_final(srv->checkpoint);
	if (srv->committer)
		committer_close(srv->committer);
	outbox_free(srv->outbox);
	dossier_reader_free(srv->reads); /* before the pool, which answers what it sends */
	if (srv->pool)
		pgpool_free(srv->pool);
	checkpoint_free(srv->checkpoint);
	committer_free(srv->committer);
	auth_free(srv->auth);
	metrics_free(srv->metrics);
	idem_table_free(srv->idem);
	doc_cache_clear();
	json_arena_release();
	if (srv->sigint)
		event_free(srv->sigint);
	if (srv->sigterm)
		event_free(srv->sigterm);
}

int server_run(const struct config *cfg, const char *conninfo)
{
	struct server srv;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	/*
	 * epoll with a change list: evhttp turns a connection's read and write
	 * interest off and on around every request; the change list folds those
	 * into at most one epoll_ctl per descriptor and loop pass (we never dup
	 * descriptors, the case the change list cannot handle).
	 */
	struct event_config *ec = event_config_new();
	if (!ec)
		return 1;
	if (event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0) {
		event_config_free(ec);
		return 1;
	}
	srv.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (!srv.base)
		return 1;
	int rc = 0;
	if (start(&srv, conninfo)) {
		event_base_dispatch(srv.base);
	} else {
		rc = 1;
	}
	stop(&srv);
	event_base_free(srv.base);
	return rc;
}
