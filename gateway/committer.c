/* committer.c - group commit of state changes with their audit records. */
#include "committer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "audit.h"
#include "log.h"
#include "mem.h"

struct unit {
	const struct commit_unit_ops *ops;
	void *arg;
	struct commit_ctx ctx;  /* as built into the current batch */
	char recorded_at[32];
	char hash[AUDIT_HASH_HEX];
	struct unit *next;
};

/* The committer's states: idle, a batch in flight, or re-reading the head. */
enum committer_state {
	CS_IDLE,     /* no batch in flight; pending units wait for the flush event */
	CS_FLIGHT,   /* one batch in flight; new units queue in pending */
	CS_RESYNC,   /* the head is unknown after a failure; re-reading it */
};

struct committer {
	struct event_base *base;
	struct pgpool *pool;
	struct event *flush_ev;
	enum committer_state state;
	int chain;
	int batch_max;
	long long head_seq;
	char head_hash[AUDIT_HASH_HEX];
	bool head_unknown;
	bool closing;                 /* shutting down: fail what arrives */
	struct unit *pending, **pending_tail;
	int n_pending;
	struct unit *retry;           /* units to run one by one after a failed batch */
	struct unit *flight;          /* the batch in flight */
	int n_flight;
	struct committer_stats stats;
};

static void flush(struct committer *c);

static void now_recorded_at(char *out, size_t len)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%06ldZ", (long)tv.tv_usec);
}

static void schedule_flush(struct committer *c)
{
	if (c->state == CS_IDLE && !event_pending(c->flush_ev, EV_TIMEOUT, NULL)) {
		struct timeval zero = {0, 0};
		event_add(c->flush_ev, &zero);
	}
}

void committer_submit(struct committer *c, const struct commit_unit_ops *ops, void *arg)
{
	struct unit *u = xcalloc(1, sizeof(*u));
	u->ops = ops;
	u->arg = arg;
	*c->pending_tail = u;
	c->pending_tail = &u->next;
	c->n_pending++;
	schedule_flush(c);
}

static const char *const AUDIT_INSERT =
	"INSERT INTO audit_log (chain, seq, prev_hash, hash, kind, subject, creditor_id, "
	"recorded_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9)";

/* Builds one unit into the job, chaining its audit record after prev. */
static void build_unit(struct committer *c, struct unit *u, struct pgjob *job, long long seq,
		       const char *prev, const char *recorded_at)
{
	const char *kind = "", *subject = "", *creditor = NULL, *payload = "{}";
	char chain_s[16], seq_s[24];

	snprintf(u->recorded_at, sizeof(u->recorded_at), "%s", recorded_at);
	u->ctx = (struct commit_ctx){c->chain, seq, u->recorded_at, job};
	u->ops->build(u->arg, &u->ctx, &kind, &subject, &creditor, &payload);
	struct audit_record rec = {c->chain, seq, prev, kind, subject, u->recorded_at, payload};
	audit_hash(&rec, u->hash);
	snprintf(chain_s, sizeof(chain_s), "%d", c->chain);
	snprintf(seq_s, sizeof(seq_s), "%lld", seq);
	const char *params[] = {chain_s, seq_s, prev, u->hash, kind, subject, creditor,
				u->recorded_at, payload};
	pgjob_add(job, AUDIT_INSERT, 9, params);
}

static enum commit_status status_of(enum pgjob_status st, const char *sqlstate)
{
	if (st == PGJOB_OK)
		return COMMIT_OK;
	/* connection (08), resources (53) and operator intervention (57: shutdown, cancel) */
	if (st == PGJOB_UNAVAILABLE || strncmp(sqlstate, "08", 2) == 0 ||
	    strncmp(sqlstate, "53", 2) == 0 || strncmp(sqlstate, "57", 2) == 0)
		return COMMIT_UNAVAILABLE;
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
		return COMMIT_CONFLICT;
	if (strcmp(sqlstate, "23505") == 0)
		return COMMIT_DUPLICATE;
	return COMMIT_REJECTED;
}

/* Runs done() for every unit of a list and frees them. */
static void finish_list(struct committer *c, struct unit *list, enum commit_status st,
			const char *sqlstate, const char *error)
{
	while (list) {
		struct unit *next = list->next;
		if (st != COMMIT_OK)
			c->stats.failed_units++;
		list->ops->done(list->arg, st, &list->ctx, sqlstate, error);
		free(list);
		list = next;
	}
}

static void batch_done(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct committer *c = arg;
	struct unit *batch = c->flight;
	int n = c->n_flight;
	c->flight = NULL;
	c->n_flight = 0;
	c->state = CS_IDLE;

	if (st == PGJOB_OK) {
		struct unit *last = batch;
		while (last->next)
			last = last->next;
		c->head_seq = last->ctx.seq;
		memcpy(c->head_hash, last->hash, AUDIT_HASH_HEX);
		c->stats.head_seq = c->head_seq;
		finish_list(c, batch, COMMIT_OK, "", NULL);
	} else if (st == PGJOB_SQL_ERROR && n > 1) {
		/* One unit spoiled the batch: run them one by one, in order. */
		struct unit **tail = &batch;
		while (*tail)
			tail = &(*tail)->next;
		*tail = c->retry;
		c->retry = batch;
	} else {
		if (st == PGJOB_UNAVAILABLE)
			c->head_unknown = true; /* the COMMIT may or may not have happened */
		/* SQLSTATE only: the server's text may quote key values */
		log_info("commit of %d unit(s) failed: SQLSTATE %s", n, pgjob_sqlstate(job)[0] ? pgjob_sqlstate(job) : "none");
		finish_list(c, batch, status_of(st, pgjob_sqlstate(job)), pgjob_sqlstate(job),
			    pgjob_error(job));
	}
	flush(c);
}

static void resync_done(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct committer *c = arg;
	c->state = CS_IDLE;
	if (st == PGJOB_OK) {
		const PGresult *r = pgjob_result(job, 0);
		if (r && PQntuples(r) == 1) {
			c->head_seq = atoll(PQgetvalue(r, 0, 0));
			snprintf(c->head_hash, sizeof(c->head_hash), "%s", PQgetvalue(r, 0, 1));
		} else {
			c->head_seq = 0;
			strcpy(c->head_hash, AUDIT_GENESIS);
		}
		c->head_unknown = false;
		c->stats.head_seq = c->head_seq;
		flush(c);
		return;
	}
	/*
	 * Still unavailable: fail what waits (fail closed) and try again later.
	 * That includes the units left to retry one by one: nothing else would
	 * ever flush them, and their clients would hang.
	 */
	struct unit *retry = c->retry, *list = c->pending;
	c->retry = NULL;
	c->pending = NULL;
	c->pending_tail = &c->pending;
	c->n_pending = 0;
	finish_list(c, retry, COMMIT_UNAVAILABLE, "", "database unavailable");
	finish_list(c, list, COMMIT_UNAVAILABLE, "", "database unavailable");
}

static void start_resync(struct committer *c)
{
	char chain_s[16];
	snprintf(chain_s, sizeof(chain_s), "%d", c->chain);
	const char *params[] = {chain_s};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT seq, hash FROM audit_log WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
		  1, params);
	c->state = CS_RESYNC;
	pgpool_submit(c->pool, job, resync_done, c);
}

/* Takes the next batch: one retried unit alone, or up to batch_max pending ones. */
static struct unit *take_batch(struct committer *c, int *n)
{
	struct unit *list;
	if (c->retry) {
		list = c->retry;
		c->retry = list->next;
		list->next = NULL;
		*n = 1;
		return list;
	}
	list = c->pending;
	struct unit **cut = &c->pending;
	for (*n = 0; *cut && *n < c->batch_max; (*n)++)
		cut = &(*cut)->next;
	c->pending = *cut;
	*cut = NULL;
	c->n_pending -= *n;
	if (!c->pending)
		c->pending_tail = &c->pending;
	return list;
}

static void flush(struct committer *c)
{
	if (c->closing) {
		struct unit *r = c->retry, *p = c->pending;
		c->retry = c->pending = NULL;
		c->pending_tail = &c->pending;
		c->n_pending = 0;
		finish_list(c, r, COMMIT_UNAVAILABLE, "", "shutting down");
		finish_list(c, p, COMMIT_UNAVAILABLE, "", "shutting down");
		return;
	}
	if (c->state != CS_IDLE || (!c->pending && !c->retry))
		return;
	if (c->head_unknown) {
		start_resync(c);
		return;
	}
	char recorded_at[32];
	int n;
	struct unit *batch = take_batch(c, &n);
	struct pgjob *job = pgjob_create(true);
	long long seq = c->head_seq;
	const char *prev = c->head_hash;
	now_recorded_at(recorded_at, sizeof(recorded_at));
	for (struct unit *u = batch; u; u = u->next) {
		build_unit(c, u, job, ++seq, prev, recorded_at);
		prev = u->hash;
	}
	c->flight = batch;
	c->n_flight = n;
	c->state = CS_FLIGHT;
	c->stats.batches++;
	c->stats.units += (unsigned long long)n;
	pgpool_submit(c->pool, job, batch_done, c);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush(arg);
}

struct committer *committer_create(struct event_base *base, struct pgpool *pool, int chain,
				   int batch_max)
{
	struct committer *c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->pool = pool;
	c->chain = chain;
	c->batch_max = batch_max;
	c->pending_tail = &c->pending;
	strcpy(c->head_hash, AUDIT_GENESIS);
	c->head_unknown = true; /* read the head before the first batch */
	c->flush_ev = evtimer_new(base, on_flush, c);
	if (!c->flush_ev)
		abort();
	return c;
}

void committer_close(struct committer *c)
{
	c->closing = true;
	flush(c);
}

void committer_free(struct committer *c)
{
	if (!c)
		return;
	c->closing = true;
	flush(c);
	event_free(c->flush_ev);
	free(c);
}

void committer_stats(const struct committer *c, struct committer_stats *out)
{
	*out = c->stats;
}
