/* kpi_fold.c - a timer that folds the pending KPI counts into the daily counters. */
#include "kpi_fold.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"
#include "pgtick.h"
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
	struct pgtick *tick;
	unsigned long folds;
	unsigned long vacuum_every; /* folds */
	bool vacuuming;             /* the fold out also vacuums */
	bool failing;               /* the last fold failed: said once, not every tick */
};

static void folded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct kpi_fold *f = arg;
	/* not a transaction: the fold and the vacuum succeed or fail apart */
	const PGresult *fold = pgjob_result(job, 0), *vacuum = pgjob_result(job, 1);
	(void)st;
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

static struct pgjob *fold_job(void *arg)
{
	struct kpi_fold *f = arg;
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT fairgate_kpi_fold()", 0, NULL);
	/* not a transaction: each statement commits on its own, and VACUUM runs outside one */
	f->vacuuming = f->folds++ % f->vacuum_every == 0; /* the first fold too */
	if (f->vacuuming)
		pgjob_add(job, "VACUUM kpi_pending", 0, NULL);
	return job;
}

struct kpi_fold *kpi_fold_create(struct server *srv)
{
	struct kpi_fold *f = xcalloc(1, sizeof(*f));
	int ms = srv->cfg->kpi_fold_interval_ms;
	f->vacuum_every = ms < KPI_FOLD_VACUUM_MS ? (unsigned long)(KPI_FOLD_VACUUM_MS / ms) : 1;
	f->tick = pgtick_create(srv, ms, "kpi_fold", fold_job, folded, f);
	if (!f->tick) {
		free(f);
		return NULL;
	}
	return f;
}

void kpi_fold_free(struct kpi_fold *f)
{
	if (!f)
		return;
	pgtick_free(f->tick); /* a fold still out is dropped: folded() never sees f again */
	free(f);
}
