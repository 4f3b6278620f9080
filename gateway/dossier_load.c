/* dossier_load.c - reads a dossier with its contract, partner and history in one round trip. */
#include "dossier_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "http.h"
#include "idempotency.h"
#include "log.h"
#include "mem.h"
#include "server.h"

/*
 * Statement order in the job; the first sets a consistent snapshot. simulate.c
 * selects the same columns as of a past decision: keep the two in step.
 */
enum { Q_SNAPSHOT, Q_DOSSIER, Q_CONTRACT, Q_PARTNER, Q_EVENTS, Q_ALLOWED, Q_EXCEPTIONS };

static const char *const SQL[] = {
	[Q_SNAPSHOT] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	[Q_DOSSIER] = "SELECT d.creditor_id, d.debtor_ref, d.principal_cents, d.due_date::text, d.phase, "
		      "d.shortened_track, d.flags, extract(epoch FROM d.handed_over_at)::bigint, "
		      "d.version, coalesce(d.deadline::text, ''), d.flagged_for_return_at IS NOT NULL, "
		      "coalesce(c.webhook_url, '') FROM dossiers d LEFT JOIN creditors c "
		      "ON c.id = d.creditor_id WHERE d.id = $1",
	[Q_CONTRACT] = "SELECT c.doc, c.creditor_id FROM contracts c JOIN dossiers d ON d.contract_id = c.id "
		       "WHERE d.id = $1 AND c.valid_from <= $2::date "
		       "AND (c.valid_to IS NULL OR c.valid_to >= $2::date) ORDER BY c.version DESC LIMIT 1",
	[Q_PARTNER] = "SELECT p.doc FROM partners p JOIN dossiers d ON d.partner_id = p.id WHERE d.id = $1",
	[Q_EVENTS] = "SELECT e.id, e.body, e.reporter, e.recorded_at FROM events e "
		     "WHERE e.dossier_id = $1 ORDER BY e.occurred_at, e.id",
	[Q_ALLOWED] = "SELECT action, extract(epoch FROM decided_at)::bigint, coalesce(amount_cents, 0), "
		      "coalesce((request->>'extend_days')::int, 0) FROM decisions WHERE dossier_id = $1 AND outcome = 'allow' ORDER BY decided_at",
	[Q_EXCEPTIONS] = "SELECT DISTINCT ON (x.id) x.doc FROM contract_exceptions x JOIN dossiers d "
			 "ON d.contract_id = x.contract_id AND d.partner_id = x.partner_id "
			 "WHERE d.id = $1 ORDER BY x.id, x.version DESC",
};

struct load {
	struct server *srv;
	dossier_load_cb cb;
	void *arg;
	int64_t now;
	char id[CONTRACT_ID_MAX];
	struct req *idem_req; /* with idem_stmt: the request whose key is looked up too */
	int idem_stmt;
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

static json_t *parse_doc(const char *text)
{
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

/* Reads the dossier row; false when it is corrupt. */
static bool read_dossier(const PGresult *r, struct dossier_ctx *c)
{
	struct dossier *d = &c->dossier;
	uint32_t bit;
	snprintf(c->creditor_id, sizeof(c->creditor_id), "%s", PQgetvalue(r, 0, 0));
	snprintf(c->debtor_ref, sizeof(c->debtor_ref), "%s", PQgetvalue(r, 0, 1));
	d->principal_cents = atoll(PQgetvalue(r, 0, 2));
	if (!caldate_parse(PQgetvalue(r, 0, 3), &d->due_date) || !phase_parse(PQgetvalue(r, 0, 4), &d->phase))
		return false;
	d->shortened_track = PQgetvalue(r, 0, 5)[0] == 't';
	/* flags come as a PostgreSQL array literal: {vulnerable,dispute} */
	char flags[256];
	snprintf(flags, sizeof(flags), "%s", PQgetvalue(r, 0, 6));
	for (char *save = NULL, *tok = strtok_r(flags, "{},", &save); tok; tok = strtok_r(NULL, "{},", &save))
		if (dossier_flag_parse(tok, &bit))
			d->flags |= bit;
	d->handed_over_at = atoll(PQgetvalue(r, 0, 7));
	c->version = atoll(PQgetvalue(r, 0, 8));
	c->deadline = CALDATE_NONE;
	if (PQgetvalue(r, 0, 9)[0] && !caldate_parse(PQgetvalue(r, 0, 9), &c->deadline))
		return false;
	c->flagged_for_return = PQgetvalue(r, 0, 10)[0] == 't';
	snprintf(c->creditor_webhook, sizeof(c->creditor_webhook), "%s", PQgetvalue(r, 0, 11));
	return true;
}

static bool read_contract(const PGresult *r, struct dossier_ctx *c)
{
	struct contract_errors errs;
	if (PQntuples(r) == 0)
		return true; /* none in force: decisions say so */
	json_t *doc = parse_doc(PQgetvalue(r, 0, 0));
	bool ok = doc && contract_from_json(doc, &c->contract, &errs);
	json_decref(doc);
	snprintf(c->contract.creditor_id, sizeof(c->contract.creditor_id), "%s", PQgetvalue(r, 0, 1));
	c->has_contract = ok;
	return ok;
}

static bool read_partner(const PGresult *r, struct dossier_ctx *c)
{
	struct contract_errors errs;
	json_t *doc = PQntuples(r) == 1 ? parse_doc(PQgetvalue(r, 0, 0)) : NULL;
	bool ok = doc && partner_from_json(doc, &c->partner, &errs);
	json_decref(doc);
	return ok;
}

/* One stored fact: the policy's struct and the timeline's JSON. */
static bool read_event(const PGresult *r, int i, struct dossier_ctx *c, int64_t now)
{
	struct contract_errors errs;
	json_t *body = parse_doc(PQgetvalue(r, i, 1));
	bool ok = body && event_read(body, now + 86400, &c->events[i], &errs);
	if (ok) {
		c->events[i].reporter = strcmp(PQgetvalue(r, i, 2), "creditor") == 0 ? REPORTER_CREDITOR
										       : REPORTER_PARTNER;
		json_object_set_new(body, "id", json_integer(atoll(PQgetvalue(r, i, 0))));
		json_object_set_new(body, "reporter", json_string(PQgetvalue(r, i, 2)));
		json_array_append(c->timeline, body);
	}
	json_decref(body);
	return ok;
}

static bool read_events(const PGresult *r, struct dossier_ctx *c, int64_t now)
{
	int n = PQntuples(r);
	c->events = xcalloc((size_t)n, sizeof(struct event));
	c->timeline = json_array();
	for (int i = 0; i < n; i++)
		if (!read_event(r, i, c, now))
			return false;
	c->dossier.events = c->events;
	c->dossier.n_events = (size_t)n;
	return true;
}

static bool read_allowed(const PGresult *r, struct dossier_ctx *c)
{
	int n = PQntuples(r);
	c->allowed = xcalloc((size_t)n, sizeof(struct prior_escalation));
	for (int i = 0; i < n; i++) {
		if (!action_parse(PQgetvalue(r, i, 0), &c->allowed[i].action))
			return false;
		c->allowed[i].decided_at = atoll(PQgetvalue(r, i, 1));
		c->allowed[i].amount_cents = atoll(PQgetvalue(r, i, 2));
		c->allowed[i].extend_days = atoi(PQgetvalue(r, i, 3));
		if (c->allowed[i].action == ACTION_EXTEND_DURATION && c->allowed[i].extend_days == 0)
			c->allowed[i].extend_days = POLICY_EXTEND_DEFAULT_DAYS;
	}
	c->dossier.allowed = c->allowed;
	c->dossier.n_allowed = (size_t)n;
	return true;
}

static bool read_exceptions(const PGresult *r, struct dossier_ctx *c)
{
	struct contract_errors errs;
	int n = PQntuples(r);
	c->exceptions = xcalloc((size_t)n, sizeof(struct contract_exception));
	for (int i = 0; i < n; i++) {
		json_t *doc = parse_doc(PQgetvalue(r, i, 0));
		bool ok = doc && exception_from_json(doc, &c->exceptions[i], &errs);
		json_decref(doc);
		if (!ok)
			return false;
	}
	c->n_exceptions = (size_t)n;
	return true;
}

enum load_status dossier_ctx_read(const char *id, const struct dossier_rows *rows, int64_t bound,
				  struct dossier_ctx **out)
{
	struct dossier_ctx *c = xcalloc(1, sizeof(*c));
	enum load_status ls = LOAD_OK;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dossier.id, sizeof(c->dossier.id), "%s", id);
	if (!rows->dossier || PQntuples(rows->dossier) != 1)
		ls = LOAD_NOT_FOUND;
	else if (!read_dossier(rows->dossier, c) || (rows->contract && !read_contract(rows->contract, c)) ||
		 !read_partner(rows->partner, c) || !read_events(rows->events, c, bound) ||
		 !read_allowed(rows->allowed, c) || !read_exceptions(rows->exceptions, c))
		ls = LOAD_CORRUPT;
	if (ls != LOAD_OK) {
		dossier_ctx_free(c);
		c = NULL;
	}
	*out = c;
	return ls;
}

static void loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct load *l = arg;
	struct dossier_ctx *c = NULL;
	enum load_status ls = LOAD_UNAVAILABLE;
	if (st == PGJOB_OK && l->idem_stmt >= 0 &&
	    idem_lookup_answered(l->idem_req, pgjob_result(job, l->idem_stmt))) {
		free(l); /* answered from the store: the request is gone */
		return;
	}
	if (st == PGJOB_OK) {
		struct dossier_rows rows = {pgjob_result(job, Q_DOSSIER), pgjob_result(job, Q_CONTRACT),
					    pgjob_result(job, Q_PARTNER), pgjob_result(job, Q_EVENTS),
					    pgjob_result(job, Q_ALLOWED), pgjob_result(job, Q_EXCEPTIONS)};
		/* Stored facts were checked against the clock when recorded, so they are
		 * bounded by the clock, not by now: a simulation loads as of a past moment. */
		ls = dossier_ctx_read(l->id, &rows, (int64_t)time(NULL), &c);
		if (ls == LOAD_CORRUPT)
			log_error("dossier could not be read back from the database (corrupt row)");
	}
	l->cb(l->arg, ls, c);
	free(l);
}

static void load(struct server *srv, struct req *r, const char *id, int64_t now, dossier_load_cb cb,
		 void *arg)
{
	char today[11];
	caldate_format(amsterdam_day(now), today);
	const char *p1[] = {id}, *p2[] = {id, today};
	struct load *l = xcalloc(1, sizeof(*l));
	*l = (struct load){srv, cb, arg, now, "", r, -1};
	snprintf(l->id, sizeof(l->id), "%s", id);
	struct pgjob *job = pgjob_create(true);
	pgjob_add(job, SQL[Q_SNAPSHOT], 0, NULL);
	pgjob_add(job, SQL[Q_DOSSIER], 1, p1);
	pgjob_add(job, SQL[Q_CONTRACT], 2, p2);
	pgjob_add(job, SQL[Q_PARTNER], 1, p1);
	pgjob_add(job, SQL[Q_EVENTS], 1, p1);
	pgjob_add(job, SQL[Q_ALLOWED], 1, p1);
	pgjob_add(job, SQL[Q_EXCEPTIONS], 1, p1);
	if (r)
		l->idem_stmt = idem_lookup_add(r, job);
	pgpool_submit(srv->pool, job, loaded, l);
}

void dossier_load(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg)
{
	load(srv, NULL, id, now, cb, arg);
}

void dossier_load_for(struct req *r, const char *id, int64_t now, dossier_load_cb cb, void *arg)
{
	load(r->srv, r, id, now, cb, arg);
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
