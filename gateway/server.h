/* server.h - the running gateway: its loop, pool, committer, caches and counters. */
#ifndef FAIRGATE_SERVER_H
#define FAIRGATE_SERVER_H

#include <event2/event.h>
#include <event2/http.h>

#include "auth.h"
#include "committer.h"
#include "config.h"
#include "outbox.h"
#include "pgpool.h"

struct metrics;
struct janitor;
struct kpi_fold;
struct idem_table;
struct checkpoint;
struct tls;
struct ratelimit;
struct conn_deadline;

struct server {
	const struct config *cfg;
	struct event_base *base;
	struct evhttp *http;
	struct pgpool *pool;
	struct committer *committer;
	struct dossier_reader *reads;  /* a loop turn's dossier reads, one statement */
	struct auth *auth;
	struct outbox *outbox;
	struct metrics *metrics;
	struct janitor *janitor;
	struct kpi_fold *kpi_fold;
	struct idem_table *idem;
	struct checkpoint *checkpoint; /* signed audit checkpoints */
	struct event *sigint, *sigterm;
	struct evhttp *https;          /* the TLS listener (tls_listen), or NULL */
	struct tls *tls;
	struct ratelimit *ratelimit;   /* per-principal token buckets */
	struct conn_deadline *deadline; /* request_timeout_s per connection, both listeners */
	unsigned long long next_req_id;
	int chain;                 /* the first lane's; every lane has its own */
};

/* Runs the gateway against conninfo until SIGINT/SIGTERM. Returns an exit code. */
int server_run(const struct config *cfg, const char *conninfo);

#endif
