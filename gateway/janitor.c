/* janitor.c - timers for deadlines: dossiers past their maximum duration. */
#include "janitor.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "committer.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "outbox.h"
#include "policy.h"
#include "server.h"

#define JANITOR_BATCH 100

struct janitor {
	struct server *srv;
	struct event *timer;
	bool running; /* a query is out: its callback owns the janitor once closing */
	bool closing; /* janitor_free was called while running */
};

/* One dossier to flag, as one commit unit. */
struct flag {
	struct server *srv; /* not the janitor: a unit may finish after janitor_free */
	char id[CONTRACT_ID_MAX], creditor[CONTRACT_ID_MAX], partner[CONTRACT_ID_MAX];
	char deadline[11], creditor_url[256], partner_url[256];
	char *payload;
};

static void flag_build(void *arg, const struct commit_ctx *cc, const char **kind, const char **subject,
		       const char **creditor, const char **payload)
{
	struct flag *f = arg;
	const char *p[] = {f->id};
	free(f->payload);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "dossier_id", f->id, "creditor_id", f->creditor,
			      "partner_id", f->partner, "max_duration_until", f->deadline, "flagged_at",
			      cc->recorded_at);
	f->payload = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	pgjob_add(cc->job, "UPDATE dossiers SET flagged_for_return_at = now() WHERE id = $1 "
			   "AND flagged_for_return_at IS NULL", 1, p);
	outbox_enqueue_batch(cc, "creditor", f->creditor, f->creditor_url, "dossier.past_max_duration", f->payload);
	outbox_enqueue_batch(cc, "partner", f->partner, f->partner_url, "dossier.past_max_duration", f->payload);
	*kind = "dossier.flagged_for_return";
	*subject = f->id;
	*creditor = f->creditor;
	*payload = f->payload;
}

static void flag_done(void *arg, enum commit_status st, const struct commit_ctx *cc,
		      const char *sqlstate, const char *error)
{
	struct flag *f = arg;
	if (st != COMMIT_OK)
		log_warn("janitor: flagging a dossier failed (%s); it is retried on the next run", sqlstate);
	else if (f->srv->outbox)
		outbox_kick(f->srv->outbox);
	free(f->payload);
	free(f);
}

static const struct commit_unit_ops flag_ops = {flag_build, flag_done};

static void due_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct janitor *j = arg;
	const PGresult *r = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	j->running = false;
	if (j->closing) {
		free(j); /* freed while the query was out (server shutdown) */
		return;
	}
	if (!r)
		return; /* the database is away; the next run tries again */
	for (int i = 0; i < PQntuples(r); i++) {
		struct flag *f = xcalloc(1, sizeof(*f));
		f->srv = j->srv;
		snprintf(f->id, sizeof(f->id), "%s", PQgetvalue(r, i, 0));
		snprintf(f->creditor, sizeof(f->creditor), "%s", PQgetvalue(r, i, 1));
		snprintf(f->partner, sizeof(f->partner), "%s", PQgetvalue(r, i, 2));
		snprintf(f->deadline, sizeof(f->deadline), "%s", PQgetvalue(r, i, 3));
		snprintf(f->creditor_url, sizeof(f->creditor_url), "%s", PQgetvalue(r, i, 4));
		snprintf(f->partner_url, sizeof(f->partner_url), "%s", PQgetvalue(r, i, 5));
		committer_submit(j->srv->committer, &flag_ops, f);
	}
	if (PQntuples(r) > 0)
		log_info("janitor: %d dossier(s) past their maximum duration flagged for return", PQntuples(r));
}

static void purged(struct pgjob *job, enum pgjob_status st, void *arg)
{
	if (st != PGJOB_OK)
		log_warn("janitor: purging old idempotency keys failed; retried on the next run");
}

/* Keys are kept at least 24 hours (the draft's advice); older than 48 hours they go. */
static void purge_idempotency_keys(struct janitor *j)
{
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "DELETE FROM idempotency_keys WHERE created_at < now() - interval '48 hours'", 0, NULL);
	pgpool_submit(j->srv->pool, job, purged, j);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct janitor *j = arg;
	char today[11], limit[16];
	if (j->running)
		return;
	j->running = true;
	metrics_timer_run(j->srv->metrics, "max_duration");
	caldate_format(amsterdam_day((int64_t)time(NULL)), today);
	snprintf(limit, sizeof(limit), "%d", JANITOR_BATCH);
	const char *p[] = {today, limit};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT d.id, d.creditor_id, d.partner_id, d.deadline::text, "
		       "coalesce(c.webhook_url, ''), coalesce(p.webhook_url, '') FROM dossiers d "
		       "JOIN partners p ON p.id = d.partner_id LEFT JOIN creditors c ON c.id = d.creditor_id "
		       "WHERE d.deadline < $1::date AND d.flagged_for_return_at IS NULL "
		       "ORDER BY d.deadline LIMIT $2::int", 2, p);
	pgpool_submit(j->srv->pool, job, due_loaded, j);
	purge_idempotency_keys(j);
}

struct janitor *janitor_create(struct server *srv)
{
	struct janitor *j = xcalloc(1, sizeof(*j));
	j->srv = srv;
	j->timer = event_new(srv->base, -1, EV_PERSIST, on_timer, j);
	struct timeval tv = {srv->cfg->janitor_interval_ms / 1000, (srv->cfg->janitor_interval_ms % 1000) * 1000};
	if (!j->timer || event_add(j->timer, &tv) != 0)
		abort();
	return j;
}

void janitor_free(struct janitor *j)
{
	if (!j)
		return;
	event_free(j->timer);
	if (j->running)
		j->closing = true; /* due_loaded frees it when the pool hands the query back */
	else
		free(j);
}
