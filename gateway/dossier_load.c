/* dossier_load.c - reads a dossier with its contract, partner and history in one statement. */
#include "dossier_load.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "doc_cache.h"
#include "http.h"
#include "idempotency.h"
#include "json_arena.h"
#include "json_fast.h"
#include "log.h"
#include "mem.h"
#include "monotime.h"
#include "rowset.h"
#include "server.h"
#include "str.h"

/*
 * Dossiers in one statement, so one snapshot without a transaction: for each
 * id of the array $1, the dossier's row, then the contract in force on the
 * batch's day (the first of $2: load() gives a batch one day, so every row of
 * $2 is the same), the partner, and the history as JSON arrays (one parse
 * each, no statement per table), and last the id (column DC__COUNT). An id
 * asked twice in a batch gives two equal rows; row_of takes the first. The
 * loads of one loop turn share it: under load one statement reads a turn's
 * dozens of dossiers (one executor start, one Bind, one result), measured ~30%
 * cheaper per dossier than a statement each.
 * Each id is an index probe of its own (a LATERAL subquery with a LIMIT is
 * never turned into a join): `WHERE d.id = ANY($1)` got a sequential scan as
 * its generic plan while dossiers was new and small, and a connection keeps
 * that plan until the table is analyzed again. The creditor and the partner
 * are probed the same way.
 * The dossiers of a turn share a few contracts: the contract in force and the
 * exceptions are looked up once per distinct contract and (contract, partner)
 * of the turn (ct, ex), the contract's document turned into text there, once.
 * Per dossier, that lookup (a bitmap scan and a sort) and the jsonb output of
 * the 865-byte document had cost ~8 us (pgbench, one client, 10 dossiers per
 * statement: 0.50 -> 0.42 ms). Each row takes its contract and exceptions from
 * those by a LATERAL probe with a LIMIT too: joined, they had been two hash
 * tables built per statement, and the ids' DISTINCT a third (pgbench, 9 random
 * dossiers per statement, generic plans, 2 clients, 6 alternations: 5,997 ->
 * 6,590 statements/s by the medians, faster in all 6).
 * simulate.c selects the same columns as of a past decision
 * (dossier_ctx_read names them): keep the two in step.
 */
static const char SQL_DOSSIERS[] =
	"WITH d AS MATERIALIZED (SELECT x.* FROM unnest($1::text[]) AS u(id) "
	"CROSS JOIN LATERAL (SELECT * FROM dossiers x WHERE x.id = u.id LIMIT 1) x), "
	"ct AS MATERIALIZED (SELECT w.contract_id, k.doc::text AS doc, k.creditor_id "
	"FROM (SELECT DISTINCT d.contract_id FROM d) w "
	"CROSS JOIN LATERAL (SELECT k.doc, k.creditor_id FROM contracts k WHERE k.id = w.contract_id "
	"AND k.valid_from <= ($2::text[])[1]::date "
	"AND (k.valid_to IS NULL OR k.valid_to >= ($2::text[])[1]::date) "
	"ORDER BY k.version DESC LIMIT 1) k), "
	"ex AS MATERIALIZED (SELECT w.contract_id, w.partner_id, "
	"(SELECT json_agg(l.doc) FROM (SELECT DISTINCT ON (x.id) x.doc FROM contract_exceptions x "
	"WHERE x.contract_id = w.contract_id AND x.partner_id = w.partner_id "
	"ORDER BY x.id, x.version DESC) l) AS docs "
	"FROM (SELECT DISTINCT d.contract_id, d.partner_id FROM d) w) "
	"SELECT " DOSSIER_ROW_COLUMNS ", t.doc, t.creditor_id, p.doc, "
	/* the facts' JSON as built when they were written (sql/012_dossier_facts.sql) */
	"(SELECT f.facts FROM dossier_facts f WHERE f.dossier_id = d.id), "
	/* the allowed escalations as appended by their batches (sql/013_dossier_allowed.sql) */
	"CASE WHEN d.allowed = '' THEN NULL ELSE '[' || d.allowed || ']' END, e.docs, d.id FROM d "
	"LEFT JOIN LATERAL (SELECT c.webhook_url FROM creditors c WHERE c.id = d.creditor_id LIMIT 1) c "
	"ON true "
	"LEFT JOIN LATERAL (SELECT p.doc FROM partners p WHERE p.id = d.partner_id LIMIT 1) p ON true "
	"LEFT JOIN LATERAL (SELECT ct.doc, ct.creditor_id FROM ct WHERE ct.contract_id = d.contract_id "
	"LIMIT 1) t ON true "
	"LEFT JOIN LATERAL (SELECT ex.docs FROM ex WHERE ex.contract_id = d.contract_id "
	"AND ex.partner_id = d.partner_id LIMIT 1) e ON true";

/* One dossier to read, waiting in the reader or in its batch's job. */
struct load {
	dossier_load_cb cb;
	void *arg;
	char id[CONTRACT_ID_MAX];
	struct req *idem_req; /* the request whose key is looked up too, or NULL */
	bool timeline;        /* build ctx->timeline */
	int idem_pos;         /* its position in the batch's lookup (READ_KEYS), 0 for none */
	struct load *next;
};

void dossier_ctx_free(struct dossier_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->events);
	free(ctx->allowed);
	free(ctx->exceptions);
	json_decref(ctx->timeline);
	free(ctx);
}

/* The dossier's own columns (DOSSIER_ROW_COLUMNS); false when they are corrupt. */
static bool read_dossier(const PGresult *r, int row, struct dossier_ctx *c)
{
	struct dossier *d = &c->dossier;
	uint32_t bit;
	str_copy(c->creditor_id, sizeof(c->creditor_id), PQgetvalue(r, row, 0));
	str_copy(c->debtor_ref, sizeof(c->debtor_ref), PQgetvalue(r, row, 1));
	d->principal_cents = atoll(PQgetvalue(r, row, 2));
	if (!caldate_parse(PQgetvalue(r, row, 3), &d->due_date) || !phase_parse(PQgetvalue(r, row, 4), &d->phase))
		return false;
	d->shortened_track = PQgetvalue(r, row, 5)[0] == 't';
	/* flags come as a PostgreSQL array literal: {vulnerable,dispute} */
	char flags[256];
	str_copy(flags, sizeof(flags), PQgetvalue(r, row, 6));
	for (char *save = NULL, *tok = strtok_r(flags, "{},", &save); tok; tok = strtok_r(NULL, "{},", &save))
		if (dossier_flag_parse(tok, &bit))
			d->flags |= bit;
	d->handed_over_at = atoll(PQgetvalue(r, row, 7));
	c->version = atoll(PQgetvalue(r, row, 8));
	c->deadline = CALDATE_NONE;
	if (PQgetvalue(r, row, 9)[0] && !caldate_parse(PQgetvalue(r, row, 9), &c->deadline))
		return false;
	c->flagged_for_return = PQgetvalue(r, row, 10)[0] == 't';
	str_copy(c->creditor_webhook, sizeof(c->creditor_webhook), PQgetvalue(r, row, 11));
	return true;
}

/*
 * A JSON column; an SQL NULL (json_agg of no rows) is an empty array. NULL when
 * corrupt. Read by json_fast_loads: jansson's json_loads of a dossier's facts had
 * been the gateway's largest single cost (~15% of its samples).
 */
static json_t *json_column(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_array();
	return json_fast_loads(PQgetvalue(r, row, col));
}

static bool read_contract(const PGresult *r, int row, struct dossier_ctx *c)
{
	if (PQgetisnull(r, row, DC_CONTRACT))
		return true; /* none in force (or the caller supplies one): decisions say so */
	bool ok = doc_cache_contract(PQgetvalue(r, row, DC_CONTRACT), (size_t)PQgetlength(r, row, DC_CONTRACT),
				     &c->contract);
	str_copy(c->contract.creditor_id, sizeof(c->contract.creditor_id), PQgetvalue(r, row, DC_CONTRACT_CREDITOR));
	c->has_contract = ok;
	return ok;
}

static bool read_partner(const PGresult *r, int row, struct dossier_ctx *c)
{
	return !PQgetisnull(r, row, DC_PARTNER) &&
	       doc_cache_partner(PQgetvalue(r, row, DC_PARTNER), (size_t)PQgetlength(r, row, DC_PARTNER), &c->partner);
}

/* One stored fact {id, reporter, body}: the policy's struct, and the timeline's JSON when one is built. */
static bool read_event(json_t *item, struct event *ev, json_t *timeline, int64_t bound)
{
	struct contract_errors errs;
	json_t *id = json_object_get(item, "id"), *reporter = json_object_get(item, "reporter");
	json_t *body = json_object_get(item, "body");
	if (!json_is_integer(id) || !json_is_string(reporter) || !json_is_object(body) ||
	    !event_read(body, bound + 86400, ev, &errs))
		return false;
	ev->reporter = strcmp(json_string_value(reporter), "creditor") == 0 ? REPORTER_CREDITOR : REPORTER_PARTNER;
	if (!timeline)
		return true;
	return json_object_set(body, "id", id) == 0 && json_object_set(body, "reporter", reporter) == 0 &&
	       json_array_append(timeline, body) == 0;
}

/*
 * The facts, and their timeline only when asked for: the escalation path reads
 * the facts of every decision and shows none of them. Adding id and reporter to
 * each body and keeping the tree until the context is freed had cost ~2 us.
 */
static bool read_events(const PGresult *r, int row, struct dossier_ctx *c, int64_t bound, bool timeline)
{
	json_t *list = json_column(r, row, DC_EVENTS);
	size_t n = json_array_size(list);
	bool ok = json_is_array(list);
	c->events = xcalloc(n ? n : 1, sizeof(struct event));
	if (timeline)
		ok = ok && (c->timeline = json_array()) != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = read_event(json_array_get(list, i), &c->events[i], c->timeline, bound);
	json_decref(list);
	c->dossier.events = c->events;
	c->dossier.n_events = ok ? n : 0;
	return ok;
}

/* [[action, decided_at epoch, amount_cents, extend_days], ...] */
static bool read_allowed(const PGresult *r, int row, struct dossier_ctx *c)
{
	json_t *list = json_column(r, row, DC_ALLOWED);
	size_t n = json_array_size(list);
	bool ok = json_is_array(list);
	c->allowed = xcalloc(n ? n : 1, sizeof(struct prior_escalation));
	for (size_t i = 0; ok && i < n; i++) {
		json_t *a = json_array_get(list, i);
		struct prior_escalation *p = &c->allowed[i];
		ok = json_array_size(a) == 4 && json_is_string(json_array_get(a, 0)) &&
		     action_parse(json_string_value(json_array_get(a, 0)), &p->action) &&
		     json_is_integer(json_array_get(a, 1)) && json_is_integer(json_array_get(a, 2)) &&
		     json_is_integer(json_array_get(a, 3));
		if (!ok)
			break;
		p->decided_at = json_integer_value(json_array_get(a, 1));
		p->amount_cents = json_integer_value(json_array_get(a, 2));
		p->extend_days = (int)json_integer_value(json_array_get(a, 3)); /* as asked: 0 for the default */
	}
	json_decref(list);
	c->dossier.allowed = c->allowed;
	c->dossier.n_allowed = ok ? n : 0;
	return ok;
}

static bool read_exceptions(const PGresult *r, int row, struct dossier_ctx *c)
{
	struct contract_errors errs;
	json_t *list = json_column(r, row, DC_EXCEPTIONS);
	size_t n = json_array_size(list);
	bool ok = json_is_array(list);
	c->exceptions = xcalloc(n ? n : 1, sizeof(struct contract_exception));
	for (size_t i = 0; ok && i < n; i++)
		ok = exception_from_json(json_array_get(list, i), &c->exceptions[i], &errs);
	json_decref(list);
	c->n_exceptions = ok ? n : 0;
	return ok;
}

/*
 * The facts, the allowed escalations and the exceptions. Their trees are built
 * and dropped here, so without a timeline (which keeps the facts' bodies)
 * jansson takes their nodes from the arena: ~120 mallocs and frees of small
 * nodes per decision had been ~10% of the gateway's instructions. Nothing in
 * the window keeps a value: the readers copy what they read into C structs.
 */
static bool read_lists(const PGresult *r, int row, struct dossier_ctx *c, int64_t bound, bool timeline)
{
	if (!timeline)
		json_arena_begin();
	bool ok = read_events(r, row, c, bound, timeline) && read_allowed(r, row, c) && read_exceptions(r, row, c);
	if (!timeline)
		json_arena_end();
	return ok;
}

enum load_status dossier_ctx_read(const char *id, const PGresult *res, int row, int64_t bound, bool timeline,
				  struct dossier_ctx **out)
{
	struct dossier_ctx *c = xcalloc(1, sizeof(*c));
	enum load_status ls = LOAD_OK;
	str_copy(c->id, sizeof(c->id), id);
	str_copy(c->dossier.id, sizeof(c->dossier.id), id);
	if (!res || row < 0 || row >= PQntuples(res))
		ls = LOAD_NOT_FOUND;
	else if (PQnfields(res) < DC__COUNT || !read_dossier(res, row, c) || !read_contract(res, row, c) ||
		 !read_partner(res, row, c) || !read_lists(res, row, c, bound, timeline))
		ls = LOAD_CORRUPT;
	if (ls != LOAD_OK) {
		dossier_ctx_free(c);
		c = NULL;
	}
	*out = c;
	return ls;
}

/* ---- the reads of one loop turn (or of the turns a statement was out), in one statement ---- */

#define READ_BATCH_MAX 64

/* A batch's job: the dossiers, then (when any load has a key to look up) the keys. */
enum { READ_DOSSIERS, READ_KEYS };

/* The batch's rows (id, day), sent as rowset.h's binary arrays. */
static const struct rowset_def READ_ROWS = {SQL_DOSSIERS, 2, 0};

struct dossier_reader {
	struct pgpool *pool;
	struct rowset rows;   /* reused batch after batch */
	struct event *ev;     /* active while loads wait: sends them after this turn's callbacks */
	struct load *head, **tail;
	int n;
	int in_flight;        /* statements sent and not yet answered */
	int in_flight_max;    /* 0: no limit */
	bool closing;         /* dossier_reader_free: send at once, whatever is in flight */
	char today[11];       /* every waiting load's: the contract in force is chosen on it */
	unsigned long long reads, statements;
	double seconds;       /* statements' time from sending to their answer, summed */
};

/* One statement's loads, and the reader to tell when it is answered. */
struct read_batch {
	struct dossier_reader *rd;
	struct load *head;
	struct timespec sent;
};

/* The row of id in the batch's result (DC__COUNT holds d.id), or -1. */
static int row_of(const PGresult *res, const char *id)
{
	for (int i = 0, n = res ? PQntuples(res) : 0; i < n; i++)
		if (strcmp(PQgetvalue(res, i, DC__COUNT), id) == 0)
			return i;
	return -1;
}

static void reader_release(struct dossier_reader *rd);

static void batch_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct read_batch *b = arg;
	struct dossier_reader *rd = b->rd;
	struct load *l = b->head, *next;
	rd->seconds += mono_seconds_since(&b->sent);
	free(b);
	rd->in_flight--;
	if (rd->closing && rd->in_flight == 0)
		reader_release(rd); /* freed while this was out; closing sent the rest at once */
	else if (rd->head)
		event_active(rd->ev, 0, 0); /* the loads that waited for this answer, at the turn's end */
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, READ_DOSSIERS) : NULL;
	/* Stored facts were checked against the clock when recorded, so they are
	 * bounded by the clock, not by now: a simulation loads as of a past moment. */
	int64_t bound = (int64_t)time(NULL);
	for (; l; l = next) {
		next = l->next;
		struct dossier_ctx *c = NULL;
		enum load_status ls = LOAD_UNAVAILABLE;
		if (st == PGJOB_OK && l->idem_pos > 0 &&
		    idem_lookup_answered(l->idem_req, pgjob_result(job, READ_KEYS), l->idem_pos)) {
			free(l); /* answered from the store: the request is gone */
			continue;
		}
		if (st == PGJOB_OK) {
			ls = dossier_ctx_read(l->id, res, row_of(res, l->id), bound, l->timeline, &c);
			if (ls == LOAD_CORRUPT)
				log_error("dossier could not be read back from the database (corrupt row)");
		}
		l->cb(l->arg, ls, c);
		free(l);
	}
}

/* Sends the waiting loads as one job: the dossiers' statement, then their key lookups. */
static void reader_send(struct dossier_reader *rd)
{
	struct load *head = rd->head;
	if (!head)
		return;
	struct pgjob *job = pgjob_create(false); /* one statement, one snapshot */
	for (struct load *l = head; l; l = l->next) {
		const char *row[] = {l->id, rd->today};
		rowset_add(&rd->rows, row);
	}
	rowset_flush(&rd->rows, job); /* READ_DOSSIERS */
	struct idem_lookups *keys = idem_lookups_new();
	for (struct load *l = head; l; l = l->next)
		if (l->idem_req)
			l->idem_pos = idem_lookups_add(keys, l->idem_req);
	idem_lookups_flush(keys, job); /* READ_KEYS, when a position was handed out */
	rd->reads += (unsigned long long)rd->n;
	rd->statements++;
	rd->head = NULL;
	rd->tail = &rd->head;
	rd->n = 0;
	rd->in_flight++;
	struct read_batch *b = xmalloc(sizeof(*b));
	*b = (struct read_batch){rd, head, {0, 0}};
	clock_gettime(CLOCK_MONOTONIC, &b->sent);
	pgpool_submit(rd->pool, job, batch_loaded, b);
}

/*
 * The end of a turn with loads waiting: they go now, unless in_flight_max
 * statements are out already; then they wait for the first answer, and the
 * loads of the turns in between go with them, in one statement. Under load
 * the batch grows with the wait, so PostgreSQL's fixed cost per statement is
 * shared by more dossiers; an idle gateway sends at once. A full batch
 * (READ_BATCH_MAX) or another day's goes at once whatever is out (load()).
 */
static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	struct dossier_reader *rd = arg;
	(void)fd;
	(void)what;
	if (rd->closing || rd->in_flight_max == 0 || rd->in_flight < rd->in_flight_max)
		reader_send(rd);
}

struct dossier_reader *dossier_reader_create(struct event_base *base, struct pgpool *pool,
					     int in_flight_max)
{
	struct dossier_reader *rd = xcalloc(1, sizeof(*rd));
	rd->pool = pool;
	rd->in_flight_max = in_flight_max;
	rd->tail = &rd->head;
	rd->ev = event_new(base, -1, 0, on_turn, rd);
	if (!rd->ev) {
		free(rd);
		return NULL;
	}
	rowset_init(&rd->rows, &READ_ROWS);
	return rd;
}

const char *dossier_read_sql(void)
{
	return SQL_DOSSIERS;
}

void dossier_reader_stats(const struct dossier_reader *rd, unsigned long long *reads,
			  unsigned long long *statements, double *seconds, int *waiting)
{
	*waiting = rd ? rd->n : 0;
	*reads = rd ? rd->reads : 0;
	*statements = rd ? rd->statements : 0;
	*seconds = rd ? rd->seconds : 0;
}

static void reader_release(struct dossier_reader *rd)
{
	event_free(rd->ev);
	rowset_free(&rd->rows);
	free(rd);
}

void dossier_reader_free(struct dossier_reader *rd)
{
	if (!rd)
		return;
	rd->closing = true;
	reader_send(rd); /* the pool answers them (unavailable, once it is closed) */
	if (rd->in_flight == 0)
		reader_release(rd);
	/* else the last answer releases it (batch_loaded) */
}

static void load(struct server *srv, struct req *r, const char *id, int64_t now, bool timeline,
		 dossier_load_cb cb, void *arg)
{
	struct dossier_reader *rd = srv->reads;
	char today[11];
	caldate_format(amsterdam_day(now), today);
	if (rd->head && (strcmp(rd->today, today) != 0 || rd->n >= READ_BATCH_MAX))
		reader_send(rd); /* another day's contract, or a full batch: a statement of its own */
	struct load *l = xcalloc(1, sizeof(*l));
	*l = (struct load){cb, arg, "", r, timeline, 0, NULL};
	str_copy(l->id, sizeof(l->id), id);
	memcpy(rd->today, today, sizeof(today));
	*rd->tail = l;
	rd->tail = &l->next;
	if (rd->n++ == 0)
		event_active(rd->ev, 0, 0);
}

void dossier_load(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg)
{
	load(srv, NULL, id, now, false, cb, arg);
}

void dossier_load_timeline(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg)
{
	load(srv, NULL, id, now, true, cb, arg);
}

void dossier_load_for(struct req *r, const char *id, int64_t now, dossier_load_cb cb, void *arg)
{
	load(r->srv, r, id, now, false, cb, arg);
}

bool dossier_visible(const struct dossier_ctx *ctx, const struct principal *p)
{
	switch (p->role) {
	case ROLE_CREDITOR:
	case ROLE_MONITOR:
		return strcmp(p->creditor_id, ctx->creditor_id) == 0;
	case ROLE_AGENCY:
	case ROLE_BAILIFF:
		return strcmp(p->partner_id, ctx->partner.id) == 0;
	default:
		return false; /* the operator reads no debtor data */
	}
}

void dossier_policy_input(const struct dossier_ctx *ctx, int64_t now, struct policy_input *in)
{
	*in = (struct policy_input){
		.contract = &ctx->contract,
		.partner = &ctx->partner,
		.dossier = &ctx->dossier,
		.exceptions = ctx->exceptions,
		.n_exceptions = ctx->n_exceptions,
		.now = now,
	};
}
