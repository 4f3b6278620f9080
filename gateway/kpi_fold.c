/* kpi_fold.c - a timer that folds the pending KPI counts into the daily counters. */
#include "kpi_fold.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "pgpool.h"
#include "server.h"

/*
 * About this often the fold's job also vacuums kpi_pending. New rows are
 * appended after the ones the folds deleted until a vacuum frees their
 * space, and autovacuum comes about once a minute (autovacuum_naptime): in
 * the benchmark's soak (8,000 counts a second) the table grew to 30-57 MB
 * between its visits. Vacuumed every 10 seconds (~4 ms), it holds about that
 * much. A fold costs ~2.7 us per row it moves, so the default interval is
 * short: a fold of a second's counts took ~20 ms, a pipeline slot that a
 * commit batch may wait behind.
 */
#define KPI_FOLD_VACUUM_MS 10000

struct kpi_fold {
	struct server *srv;
	struct event *timer;
	unsigned long folds;
	unsigned long vacuum_every; /* folds */
	bool vacuuming;             /* the fold out also vacuums */
	bool failing;               /* the last fold failed: said once, not every tick */
	bool running;               /* a fold is out: its callback owns the struct once closing */
	bool closing;               /* kpi_fold_free was called while running */
};

static void folded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct kpi_fold *f = arg;
	/* not a transaction: the fold and the vacuum succeed or fail apart */
	const PGresult *fold = pgjob_result(job, 0), *vacuum = pgjob_result(job, 1);
	(void)st;
	f->running = false;
	if (f->closing) {
		free(f); /* freed while the fold was out (server shutdown) */
		return;
	}
	if (!fold || PQresultStatus(fold) != PGRES_TUPLES_OK || PQntuples(fold) != 1) {
		if (!f->failing)
			log_warn("kpi: folding the pending counts failed; they stay pending, counted, "
				 "until a fold succeeds");
		f->failing = true;
		return;
	}
	if (f->failing)
		log_info("kpi: folding the pending counts again");
	f->failing = false;
	log_debug("kpi: %s pending count(s) folded", PQgetvalue(fold, 0, 0));
	if (f->vacuuming && (!vacuum || PQresultStatus(vacuum) != PGRES_COMMAND_OK))
		log_warn("kpi: vacuuming kpi_pending failed; autovacuum will");
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
	/* not a transaction: each statement commits on its own, and VACUUM runs outside one */
	f->vacuuming = f->folds++ % f->vacuum_every == 0; /* the first fold too */
	if (f->vacuuming)
		pgjob_add(job, "VACUUM kpi_pending", 0, NULL);
	pgpool_submit(f->srv->pool, job, folded, f);
}

struct kpi_fold *kpi_fold_create(struct server *srv)
{
	struct kpi_fold *f = xcalloc(1, sizeof(*f));
	int ms = srv->cfg->kpi_fold_interval_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	f->srv = srv;
	f->vacuum_every = ms < KPI_FOLD_VACUUM_MS ? (unsigned long)(KPI_FOLD_VACUUM_MS / ms) : 1;
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
