/* kpi_fold.c - a timer that folds the pending KPI counts into the daily counters. */
#include "kpi_fold.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "pgpool.h"
#include "server.h"

struct kpi_fold {
	struct server *srv;
	struct event *timer;
	bool running; /* a fold is out: its callback owns the struct once closing */
	bool closing; /* kpi_fold_free was called while running */
};

static void folded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct kpi_fold *f = arg;
	const PGresult *r = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	f->running = false;
	if (f->closing) {
		free(f); /* freed while the fold was out (server shutdown) */
		return;
	}
	if (!r || PQntuples(r) != 1)
		log_warn("kpi: folding the pending counts failed; they stay pending until the next run");
	else
		log_debug("kpi: %s pending count(s) folded", PQgetvalue(r, 0, 0));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct kpi_fold *f = arg;
	(void)fd;
	(void)what;
	if (f->running)
		return; /* the previous fold is still out: no pile-up when the database is slow */
	f->running = true;
	metrics_timer_run(f->srv->metrics, "kpi_fold");
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT fairgate_kpi_fold()", 0, NULL);
	pgpool_submit(f->srv->pool, job, folded, f);
}

struct kpi_fold *kpi_fold_create(struct server *srv)
{
	struct kpi_fold *f = xcalloc(1, sizeof(*f));
	int ms = srv->cfg->kpi_fold_interval_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	f->srv = srv;
	f->timer = event_new(srv->base, -1, EV_PERSIST, on_timer, f);
	if (!f->timer || event_add(f->timer, &tv) != 0) {
		if (f->timer)
			event_free(f->timer);
		free(f);
		return NULL;
	}
	return f;
}

void kpi_fold_free(struct kpi_fold *f)
{
	if (!f)
		return;
	event_free(f->timer);
	if (f->running)
		f->closing = true; /* folded() frees it when the pool hands the job back */
	else
		free(f);
}
