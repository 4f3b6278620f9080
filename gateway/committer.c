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
#include "monotime.h"
#include "rowset.h"
#include "str.h"

#define COMMIT_KEY_MAX 72      /* a dossier id (CONTRACT_ID_MAX) and then some */
#define COMMIT_MAX_ROWSETS 8   /* distinct rowset_defs in one batch */

struct unit {
	const struct commit_unit_ops *ops;
	void *arg;
	struct commit_ctx ctx;  /* as built into the current batch */
	char recorded_at[32];
	char hash[AUDIT_HASH_HEX];
	char key[COMMIT_KEY_MAX]; /* "" when the unit checks no version */
	long long version;
	struct dossier_change change; /* applied with the version bump */
	bool deferred;            /* left out of the batch in flight: its key is in it */
	int check_pos;            /* its row among the batch's version checks, or -1 */
	struct unit *next;
};

/*
 * The version checks of a batch, one row per checked unit, first of its
 * statements. fairgate_expect_versions (sql/013_dossier_allowed.sql) bumps
 * them all, applying each unit's dossier_change, or raises 40001 naming the
 * stale rows' positions.
 */
static const struct rowset_def VERSION_ROWS = {
	"SELECT fairgate_expect_versions($1::text[], $2::text[]::bigint[], $3::text[], $4::text[]::int[])",
	4, 0};

static const struct rowset_def AUDIT_ROWS = {
	"INSERT INTO audit_log (chain, seq, prev_hash, hash, kind, subject, creditor_id, "
	"recorded_at, payload) SELECT c::int, s::bigint, h0, h, k, sj, cr, r::timestamptz, p "
	"FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
	"$7::text[], $8::text[], $9::text[]) AS u(c, s, h0, h, k, sj, cr, r, p)", 9, 1000};

struct batch_rows {
	const struct rowset_def *def;
	struct rowset rs;
};

/* The committer's states: idle, a batch in flight, or re-reading the head. */
enum committer_state {
	CS_IDLE,     /* no batch in flight; pending units wait for the flush event */
	CS_FLIGHT,   /* one batch in flight; new units queue in pending */
	CS_RESYNC,   /* the head is unknown after a failure; re-reading it */
};

struct commit_lane {
	struct committer *owner;      /* for the pins of relief routing */
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
	struct timespec flight_start; /* when it was submitted */
	int n_flight;
	int n_checked;                /* version check rows of the flight */
	int n_deferred;               /* pending units marked deferred */
	unsigned *keyset;             /* open addressing: key hashes of the flight */
	int keyset_size;
	struct batch_rows rows[COMMIT_MAX_ROWSETS]; /* buffers reused batch after batch */
	int n_rows;
	struct committer_stats stats;
};

static void flush(struct commit_lane *c);
static void unpin(struct committer *c, const char *key);

static void now_recorded_at(char *out, size_t len)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%06ldZ", (long)tv.tv_usec);
}

static void schedule_flush(struct commit_lane *c)
{
	if (c->state == CS_IDLE && !event_pending(c->flush_ev, EV_TIMEOUT, NULL)) {
		struct timeval zero = {0, 0};
		event_add(c->flush_ev, &zero);
	}
}

static void enqueue(struct commit_lane *c, struct unit *u)
{
	*c->pending_tail = u;
	c->pending_tail = &u->next;
	c->n_pending++;
	schedule_flush(c);
}

static void lane_submit(struct commit_lane *c, const struct commit_unit_ops *ops, void *arg)
{
	struct unit *u = xcalloc(1, sizeof(*u));
	u->ops = ops;
	u->arg = arg;
	enqueue(c, u);
}

static void lane_submit_checked(struct commit_lane *c, const struct commit_unit_ops *ops, void *arg,
				const char *key, long long version, const struct dossier_change *change)
{
	struct unit *u = xcalloc(1, sizeof(*u));
	u->ops = ops;
	u->arg = arg;
	if (str_copy(u->key, sizeof(u->key), key) >= sizeof(u->key) || !key[0])
		abort(); /* a programming error: keys are validated ids */
	u->version = version;
	if (change)
		u->change = *change;
	enqueue(c, u);
}

/* ---- the rowsets of the batch being built ---- */

void commit_rows(const struct commit_ctx *ctx, const struct rowset_def *def,
		 const char *const *values)
{
	struct commit_lane *c = ctx->lane;
	struct batch_rows *b = NULL;
	for (int i = 0; i < c->n_rows && !b; i++)
		if (c->rows[i].def == def)
			b = &c->rows[i];
	if (!b) {
		if (c->n_rows == COMMIT_MAX_ROWSETS)
			abort(); /* a programming error: raise COMMIT_MAX_ROWSETS */
		b = &c->rows[c->n_rows++];
		b->def = def;
		rowset_init(&b->rs, def);
	}
	rowset_add(&b->rs, values);
}

/* Adds every non-empty rowset to the job, lowest order first; empties them. */
static void flush_rows(struct commit_lane *c, struct pgjob *job)
{
	for (;;) {
		struct batch_rows *next = NULL;
		for (int i = 0; i < c->n_rows; i++)
			if (c->rows[i].rs.nrows > 0 && (!next || c->rows[i].def->order < next->def->order))
				next = &c->rows[i];
		if (!next)
			return;
		rowset_flush(&next->rs, job);
	}
}

/* ---- the keys of the batch in flight ---- */

static unsigned key_hash(const char *k)
{
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h | 1u; /* 0 marks an empty slot */
}

/* True if k's hash was in the set already (a collision is only a needless deferral). */
static bool keyset_add(struct commit_lane *c, const char *k)
{
	unsigned h = key_hash(k), mask = (unsigned)c->keyset_size - 1;
	for (unsigned i = h & mask;; i = (i + 1) & mask) {
		if (c->keyset[i] == h)
			return true;
		if (c->keyset[i] == 0) {
			c->keyset[i] = h;
			return false;
		}
	}
}

/* Builds one unit into the job, chaining its audit record after prev. */
static void build_unit(struct commit_lane *c, struct unit *u, struct pgjob *job, long long seq,
		       const char *prev, const char *recorded_at)
{
	const char *kind = "", *subject = "", *creditor = NULL, *payload = "{}";
	char chain_s[STR_LL_MAX], seq_s[STR_LL_MAX];

	str_copy(u->recorded_at, sizeof(u->recorded_at), recorded_at);
	u->ctx = (struct commit_ctx){c->chain, seq, u->recorded_at, job, c};
	if (u->key[0]) {
		char version_s[STR_LL_MAX], days_s[STR_LL_MAX];
		str_ll(version_s, u->version);
		str_ll(days_s, u->change.extend_days);
		const char *v[] = {u->key, version_s, u->change.allowed_entry, days_s};
		commit_rows(&u->ctx, &VERSION_ROWS, v);
		u->check_pos = c->n_checked++;
	} else {
		u->check_pos = -1;
	}
	u->ops->build(u->arg, &u->ctx, &kind, &subject, &creditor, &payload);
	struct audit_record rec = {c->chain, seq, prev, kind, subject, u->recorded_at, payload};
	audit_hash(&rec, u->hash);
	str_ll(chain_s, c->chain);
	str_ll(seq_s, seq);
	const char *values[] = {chain_s, seq_s, prev, u->hash, kind, subject, creditor,
				u->recorded_at, payload};
	commit_rows(&u->ctx, &AUDIT_ROWS, values);
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
static void finish_list(struct commit_lane *c, struct unit *list, enum commit_status st,
			const char *sqlstate, const char *error)
{
	while (list) {
		struct unit *next = list->next;
		if (st != COMMIT_OK)
			c->stats.failed_units++;
		if (list->key[0])
			unpin(c->owner, list->key); /* before done(), which may submit the key again */
		list->ops->done(list->arg, st, &list->ctx, sqlstate, error);
		free(list);
		list = next;
	}
}

/* Puts a list back at the head of pending, in order (their next batch rebuilds them). */
static void requeue_front(struct commit_lane *c, struct unit *list, int n)
{
	if (!list)
		return;
	struct unit *last = list;
	while (last->next)
		last = last->next;
	last->next = c->pending;
	if (!c->pending)
		c->pending_tail = &last->next;
	c->pending = list;
	c->n_pending += n;
}

/* Units left out of the committed batch because their key was in it: decided on a stale version. */
static void fail_deferred(struct commit_lane *c, bool committed)
{
	struct unit **pp = &c->pending, *stale = NULL, **stale_tail = &stale;
	if (c->n_deferred == 0)
		return;
	c->n_deferred = 0;
	while (*pp) {
		struct unit *u = *pp;
		if (!u->deferred) {
			pp = &u->next;
			continue;
		}
		u->deferred = false;
		if (!committed) {
			pp = &u->next;
			continue;
		}
		*pp = u->next;
		c->n_pending--;
		u->next = NULL;
		*stale_tail = u;
		stale_tail = &u->next;
	}
	c->pending_tail = pp;
	for (struct unit *u = stale; u; u = u->next)
		c->stats.conflicts++;
	finish_list(c, stale, COMMIT_CONFLICT, "40001", "changed by a unit of the same batch");
}

/*
 * The positions named by fairgate_expect_versions' error ("... at {2,7}"),
 * 1-based among the batch's check rows; sets stale[pos]. False if none.
 */
static bool mark_stale(struct commit_lane *c, const char *error, bool *stale)
{
	const char *p = error ? strstr(error, "stale dossier versions at {") : NULL;
	bool any = false;
	if (!p)
		return false;
	p += strlen("stale dossier versions at {");
	while (*p && *p != '}') {
		char *end;
		long i = strtol(p, &end, 10);
		if (end == p)
			return false;
		if (i >= 1 && i <= c->n_checked) {
			stale[i - 1] = true;
			any = true;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return any;
}

/* Stale units fail with COMMIT_CONFLICT; the others go back to the head of pending. */
static bool split_stale(struct commit_lane *c, struct unit *batch, const char *error)
{
	bool *stale = xcalloc((size_t)c->n_checked + 1, sizeof(bool));
	if (!mark_stale(c, error, stale)) {
		free(stale);
		return false;
	}
	struct unit *keep = NULL, **keep_tail = &keep, *lose = NULL, **lose_tail = &lose;
	int n_keep = 0;
	while (batch) {
		struct unit *u = batch;
		batch = u->next;
		u->next = NULL;
		if (u->check_pos >= 0 && stale[u->check_pos]) {
			*lose_tail = u;
			lose_tail = &u->next;
			c->stats.conflicts++;
		} else {
			*keep_tail = u;
			keep_tail = &u->next;
			n_keep++;
		}
	}
	free(stale);
	requeue_front(c, keep, n_keep);
	finish_list(c, lose, COMMIT_CONFLICT, "40001", "the dossier changed since it was read");
	return true;
}

static void batch_done(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct commit_lane *c = arg;
	struct unit *batch = c->flight;
	int n = c->n_flight;
	c->stats.batch_seconds += mono_seconds_since(&c->flight_start);
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
		fail_deferred(c, true);
		finish_list(c, batch, COMMIT_OK, "", NULL);
	} else if (st == PGJOB_SQL_ERROR && strcmp(pgjob_sqlstate(job), "40001") == 0 &&
		   split_stale(c, batch, pgjob_error(job))) {
		fail_deferred(c, false);
	} else if (st == PGJOB_SQL_ERROR && n > 1) {
		/* One unit spoiled the batch: run them one by one, in order. */
		fail_deferred(c, false);
		struct unit **tail = &batch;
		while (*tail)
			tail = &(*tail)->next;
		*tail = c->retry;
		c->retry = batch;
	} else {
		fail_deferred(c, false);
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
	struct commit_lane *c = arg;
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

static void start_resync(struct commit_lane *c)
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

/*
 * Takes the next batch: one retried unit alone, or up to batch_max pending
 * ones, leaving (deferred) any unit whose key is already in the batch.
 */
static struct unit *take_batch(struct commit_lane *c, int *n)
{
	struct unit *list = NULL, **tail = &list;
	memset(c->keyset, 0, (size_t)c->keyset_size * sizeof(*c->keyset));
	*n = 0;
	if (c->retry) {
		list = c->retry;
		c->retry = list->next;
		list->next = NULL;
		*n = 1;
		return list;
	}
	struct unit **pp = &c->pending;
	while (*pp && *n < c->batch_max) {
		struct unit *u = *pp;
		if (u->key[0] && keyset_add(c, u->key)) {
			if (!u->deferred)
				c->n_deferred++;
			u->deferred = true;
			pp = &u->next;
			continue;
		}
		*pp = u->next;
		u->next = NULL;
		*tail = u;
		tail = &u->next;
		(*n)++;
	}
	c->n_pending -= *n;
	if (!*pp)
		c->pending_tail = pp; /* walked to the end: the last kept unit (or none) is the tail */
	return list;
}

static void flush(struct commit_lane *c)
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
	if (!batch)
		return; /* only deferred units: they wait for the batch in flight */
	struct pgjob *job = pgjob_create(true);
	long long seq = c->head_seq;
	const char *prev = c->head_hash;
	now_recorded_at(recorded_at, sizeof(recorded_at));
	c->n_checked = 0;
	for (struct unit *u = batch; u; u = u->next) {
		build_unit(c, u, job, ++seq, prev, recorded_at);
		prev = u->hash;
	}
	flush_rows(c, job);
	c->flight = batch;
	c->n_flight = n;
	c->state = CS_FLIGHT;
	c->stats.batches++;
	c->stats.units += (unsigned long long)n;
	clock_gettime(CLOCK_MONOTONIC, &c->flight_start);
	pgpool_submit(c->pool, job, batch_done, c);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush(arg);
}

static struct commit_lane *lane_create(struct committer *owner, struct event_base *base,
				       struct pgpool *pool, int chain, int batch_max)
{
	struct commit_lane *c = xcalloc(1, sizeof(*c));
	c->owner = owner;
	c->base = base;
	c->pool = pool;
	c->chain = chain;
	c->batch_max = batch_max;
	c->pending_tail = &c->pending;
	for (c->keyset_size = 16; c->keyset_size < 4 * batch_max; c->keyset_size *= 2)
		;
	c->keyset = xcalloc((size_t)c->keyset_size, sizeof(*c->keyset));
	strcpy(c->head_hash, AUDIT_GENESIS);
	c->head_unknown = true; /* read the head before the first batch */
	c->flush_ev = evtimer_new(base, on_flush, c);
	if (!c->flush_ev)
		abort();
	return c;
}

static void lane_close(struct commit_lane *c)
{
	c->closing = true;
	flush(c);
}

static void lane_free(struct commit_lane *c)
{
	if (!c)
		return;
	c->closing = true;
	flush(c);
	event_free(c->flush_ev);
	for (int i = 0; i < c->n_rows; i++)
		rowset_free(&c->rows[i].rs);
	free(c->keyset);
	free(c);
}

/* ---- the committer: lanes side by side ---- */

/*
 * Relief routing (committer_create's relief_us > 0): the lane a key's units
 * are in while any of them is queued, in flight or retried, with their count.
 * Chained, with the freed pins kept for reuse.
 */
#define PIN_BUCKETS 4096 /* a power of two; pins are at most the units in the committer */

struct pin {
	char key[COMMIT_KEY_MAX];
	unsigned hash;
	int lane;
	int count;
	struct pin *next;
};

struct committer {
	struct commit_lane **lanes;
	int n;
	unsigned next;        /* round robin for units without a key */
	double relief_s;      /* 0: a key's lane is its hash's */
	struct pin **pins;    /* PIN_BUCKETS chains; NULL without relief routing */
	struct pin *free_pins;
	unsigned long long relieved; /* units relief routing sent past the first lane */
};

static struct pin *pin_find(const struct committer *c, const char *key, unsigned h)
{
	for (struct pin *p = c->pins[h & (PIN_BUCKETS - 1)]; p; p = p->next)
		if (p->hash == h && strcmp(p->key, key) == 0)
			return p;
	return NULL;
}

static void pin(struct committer *c, const char *key, unsigned h, int lane)
{
	struct pin *p = pin_find(c, key, h);
	if (p) {
		p->count++;
		return;
	}
	p = c->free_pins;
	if (p)
		c->free_pins = p->next;
	else
		p = xcalloc(1, sizeof(*p));
	str_copy(p->key, sizeof(p->key), key);
	p->hash = h;
	p->lane = lane;
	p->count = 1;
	p->next = c->pins[h & (PIN_BUCKETS - 1)];
	c->pins[h & (PIN_BUCKETS - 1)] = p;
}

static void unpin(struct committer *c, const char *key)
{
	if (!c->pins)
		return;
	unsigned h = key_hash(key);
	for (struct pin **pp = &c->pins[h & (PIN_BUCKETS - 1)]; *pp; pp = &(*pp)->next) {
		struct pin *p = *pp;
		if (p->hash != h || strcmp(p->key, key) != 0)
			continue;
		if (--p->count == 0) {
			*pp = p->next;
			p->next = c->free_pins;
			c->free_pins = p;
		}
		return;
	}
	abort(); /* a programming error: every keyed unit was pinned when submitted */
}

/*
 * The lane a new unit joins under relief routing: the first lane, in order,
 * that is idle or whose batch in flight is younger than relief_s (its units
 * wait for the next batch: the batches stay large), not retrying units one
 * by one and not full; else the lane with the least work. So the lanes after
 * the first take work only while the ones before are slow: one batch at a
 * time is cheaper per change for PostgreSQL, and a stalled batch holds back
 * only what had joined its lane before it stalled.
 */
static int relief_lane(const struct committer *c)
{
	int best = 0;
	for (int i = 0; i < c->n; i++) {
		const struct commit_lane *l = c->lanes[i], *b = c->lanes[best];
		if (l->retry || l->n_pending >= l->batch_max)
			;
		else if (l->state == CS_IDLE)
			return i;
		else if (l->state == CS_FLIGHT && mono_seconds_since(&l->flight_start) < c->relief_s)
			return i;
		if (l->n_pending + l->n_flight < b->n_pending + b->n_flight)
			best = i;
	}
	return best;
}

static void pin_list_free(struct pin *p)
{
	while (p) {
		struct pin *next = p->next;
		free(p);
		p = next;
	}
}

struct committer *committer_create(struct event_base *base, struct pgpool *pool, const int *chains,
				   int n_chains, int batch_max, int relief_us)
{
	if (n_chains < 1 || relief_us < 0)
		return NULL;
	struct committer *c = xcalloc(1, sizeof(*c));
	c->lanes = xcalloc((size_t)n_chains, sizeof(*c->lanes));
	c->n = n_chains;
	c->relief_s = relief_us / 1e6;
	if (relief_us > 0)
		c->pins = xcalloc(PIN_BUCKETS, sizeof(*c->pins));
	for (int i = 0; i < n_chains; i++)
		c->lanes[i] = lane_create(c, base, pool, chains[i], batch_max);
	return c;
}

void committer_close(struct committer *c)
{
	for (int i = 0; c && i < c->n; i++)
		lane_close(c->lanes[i]);
}

void committer_free(struct committer *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		lane_free(c->lanes[i]);
	free(c->lanes);
	for (int i = 0; c->pins && i < PIN_BUCKETS; i++)
		pin_list_free(c->pins[i]);
	pin_list_free(c->free_pins);
	free(c->pins);
	free(c);
}

/* Counts a unit that relief routing sent past the first lane. */
static int relieved(struct committer *c, int lane)
{
	if (lane > 0)
		c->relieved++;
	return lane;
}

/* A unit without a key: the lane with the least work queued, ties in turn; or relief routing's. */
void committer_submit(struct committer *c, const struct commit_unit_ops *ops, void *arg)
{
	if (c->pins) {
		lane_submit(c->lanes[relieved(c, relief_lane(c))], ops, arg);
		return;
	}
	int best = (int)(c->next++ % (unsigned)c->n);
	for (int i = 0; i < c->n; i++) {
		const struct commit_lane *l = c->lanes[i], *b = c->lanes[best];
		if (l->n_pending + l->n_flight < b->n_pending + b->n_flight)
			best = i;
	}
	lane_submit(c->lanes[best], ops, arg);
}

/*
 * A dossier's units never are in two lanes at once, so its version checks
 * never meet another lane's: without relief routing they always take the
 * lane of the key's hash; with it, the lane its units already in the
 * committer are in, or relief routing's when there are none.
 */
void committer_submit_checked(struct committer *c, const struct commit_unit_ops *ops, void *arg,
			      const char *key, long long version, const struct dossier_change *change)
{
	unsigned h = key_hash(key);
	int lane;
	if (c->pins) {
		const struct pin *p = pin_find(c, key, h);
		lane = p ? p->lane : relieved(c, relief_lane(c));
		pin(c, key, h, lane);
	} else {
		lane = (int)(h % (unsigned)c->n);
	}
	lane_submit_checked(c->lanes[lane], ops, arg, key, version, change);
}

void committer_stats(const struct committer *c, struct committer_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < c->n; i++) {
		const struct committer_stats *s = &c->lanes[i]->stats;
		out->batches += s->batches;
		out->units += s->units;
		out->failed_units += s->failed_units;
		out->conflicts += s->conflicts;
		out->batch_seconds += s->batch_seconds;
	}
	out->relieved = c->relieved;
	out->lanes = c->n;
}

bool committer_lane_head(const struct committer *c, int i, int *chain, long long *seq)
{
	if (i < 0 || i >= c->n)
		return false;
	*chain = c->lanes[i]->chain;
	*seq = c->lanes[i]->stats.head_seq;
	return true;
}
