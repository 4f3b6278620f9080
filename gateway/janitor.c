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
#include "outbox.h"
#include "pgtick.h"
#include "policy.h"
#include "server.h"

#define JANITOR_BATCH 100

struct janitor {
	struct server *srv;
	struct pgtick *tick;
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
	pgpool_submit(j->srv->pool, job, purged, NULL);
}

/* A tick: the purge goes out on its own, the query for due dossiers is the tick's job. */
static struct pgjob *due_job(void *arg)
{
	struct janitor *j = arg;
	char today[11], limit[16];
	purge_idempotency_keys(j);
	caldate_format(amsterdam_day((int64_t)time(NULL)), today);
	snprintf(limit, sizeof(limit), "%d", JANITOR_BATCH);
	const char *p[] = {today, limit};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT d.id, d.creditor_id, d.partner_id, d.deadline::text, "
		       "coalesce(c.webhook_url, ''), coalesce(p.webhook_url, '') FROM dossiers d "
		       "JOIN partners p ON p.id = d.partner_id LEFT JOIN creditors c ON c.id = d.creditor_id "
		       "WHERE d.deadline < $1::date AND d.flagged_for_return_at IS NULL "
		       "ORDER BY d.deadline LIMIT $2::int", 2, p);
	return job;
}

struct janitor *janitor_create(struct server *srv)
{
	struct janitor *j = xcalloc(1, sizeof(*j));
	j->srv = srv;
	j->tick = pgtick_create(srv, srv->cfg->janitor_interval_ms, "max_duration", due_job, due_loaded, j);
	if (!j->tick)
		abort();
	return j;
}

void janitor_free(struct janitor *j)
{
	if (!j)
		return;
	pgtick_free(j->tick); /* a query still out is dropped: due_loaded never sees j again */
	free(j);
}
