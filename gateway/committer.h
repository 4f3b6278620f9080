/* committer.h - group commit: many state changes, one transaction, one audit chain writer. */
#ifndef FAIRGATE_COMMITTER_H
#define FAIRGATE_COMMITTER_H

#include <event2/event.h>
#include <stdbool.h>

#include "pgpool.h"

/*
 * Every state change goes through the committer. Units submitted during one
 * loop pass (or while the previous batch is in flight) are written in ONE
 * transaction, each with its audit record, whose seq and hash the committer
 * assigns in order: the chain lives in this process, never as a locked row.
 * A unit is built late, when its batch is formed, because its rows may quote
 * its own audit seq (a decision does).
 *
 * A batch is one transactional job (pgpool.h: its statements and one sync,
 * which the server commits as one implicit transaction): every unit's own
 * statements, in unit order; then one statement per rowset (commit_rows:
 * rows of many units sent as arrays, lowest rowset_def.order first), the
 * version checks first and the audit records last. So a batch of N decisions
 * costs a handful of statements.
 *
 * Optimistic concurrency: a unit submitted with committer_submit_checked
 * names a key (a dossier) and the version it was decided on; the batch bumps
 * that version or, if it moved, fails that unit alone with COMMIT_CONFLICT
 * (the other units are batched again). Two units with one key never share a
 * batch: the later one waits and, once the earlier commits, gets
 * COMMIT_CONFLICT without a round trip.
 *
 * If a batch fails with another SQL error, its units are retried one by one,
 * so one bad unit never fails the others; if the database is unavailable
 * every unit of the batch fails and the chain head is re-read before the
 * next batch.
 */
struct committer;
struct commit_lane;
struct rowset_def;

/* What a unit learns when it is built into a batch. */
struct commit_ctx {
	int chain;
	long long seq;           /* this unit's audit seq */
	const char *recorded_at; /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", UTC */
	struct pgjob *job;       /* add the unit's own statements here */
	struct commit_lane *lane;
};

/* Adds one row to the batch's rowset for def (see rowset.h); from build() only. */
void commit_rows(const struct commit_ctx *ctx, const struct rowset_def *def,
		 const char *const *values);

enum commit_status {
	COMMIT_OK,
	COMMIT_CONFLICT,     /* SQLSTATE 40001: re-read and decide again */
	COMMIT_DUPLICATE,    /* unique violation (23505) */
	COMMIT_REJECTED,     /* another SQL error from this unit */
	COMMIT_UNAVAILABLE,  /* database down, timed out: nothing may be assumed committed */
};

struct commit_unit_ops {
	/*
	 * Adds the unit's statements to ctx->job and returns the audit record's
	 * kind, subject, creditor (may be NULL) and payload (JSON text the unit
	 * keeps alive until done() runs). May run more than once (retries).
	 */
	void (*build)(void *arg, const struct commit_ctx *ctx, const char **kind,
		      const char **subject, const char **creditor_id, const char **payload);
	/* Runs exactly once with the outcome; seq/recorded_at valid only on COMMIT_OK. */
	void (*done)(void *arg, enum commit_status st, const struct commit_ctx *ctx,
		     const char *sqlstate, const char *error);
};

/*
 * Lanes: n_chains committers side by side, each with its own audit chain and
 * one batch in flight, so one batch executes while another waits for its
 * commit to reach the disk. With relief_us 0, a unit with a key always takes
 * the lane of its key's hash, other units the least busy lane. With relief_us
 * > 0 (relief routing), a new unit takes the first lane that is idle or whose
 * batch has been in flight less than relief_us, so the later lanes relieve the
 * first only while it is slow; a key's units stay in one lane while any of
 * them is in the committer. NULL if n_chains < 1 or relief_us < 0.
 */
struct committer *committer_create(struct event_base *base, struct pgpool *pool, const int *chains,
				   int n_chains, int batch_max, int relief_us);
/*
 * Shutdown: committer_close fails queued units and refuses new ones; then free
 * the pool (which fails the batch in flight through its callback); then
 * committer_free.
 */
void committer_close(struct committer *c);
void committer_free(struct committer *c);
/* Queues a unit; done() runs later from the loop. */
void committer_submit(struct committer *c, const struct commit_unit_ops *ops, void *arg);
/*
 * What a checked unit changes on its dossier's row besides the version, in the
 * same UPDATE (sql/013): an entry appended to the dossier's allowed escalations
 * ("" for none) and the days its deadline moves (0 for none).
 */
#define COMMIT_ALLOWED_ENTRY_MAX 96
struct dossier_change {
	char allowed_entry[COMMIT_ALLOWED_ENTRY_MAX];
	int extend_days;
};
/*
 * Queues a unit that commits only if dossier key is still at version (and
 * bumps it, applying change; NULL changes nothing else).
 */
void committer_submit_checked(struct committer *c, const struct commit_unit_ops *ops, void *arg,
			      const char *key, long long version, const struct dossier_change *change);

struct committer_stats {
	unsigned long long batches, units, failed_units, conflicts;
	unsigned long long relieved; /* units relief routing sent past the first lane */
	double batch_seconds;   /* from a batch's submit to its outcome, summed */
	long long head_seq; /* a lane's own; committer_stats leaves it 0 (committer_lane_head) */
	int lanes;
};
/* Summed over the lanes. */
void committer_stats(const struct committer *c, struct committer_stats *out);
/* Lane i's chain and head seq; false past the last lane. */
bool committer_lane_head(const struct committer *c, int i, int *chain, long long *seq);

#endif
