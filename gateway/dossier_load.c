/* dossier_load.c - reads a dossier with its contract, partner and history in one statement. */
#include "dossier_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "doc_cache.h"
#include "http.h"
#include "idempotency.h"
#include "log.h"
#include "mem.h"
#include "server.h"

/*
 * The dossier in one statement, so one snapshot without a transaction: the
 * row, then the contract in force on $2, the partner, and the history as JSON
 * arrays (one parse each, no statement per table). simulate.c selects the same
 * columns as of a past decision (dossier_ctx_read names them): keep the two in
 * step.
 */
static const char SQL_DOSSIER[] =
	"SELECT " DOSSIER_ROW_COLUMNS ", ct.doc, ct.creditor_id, p.doc, "
	/* the facts' JSON built as text: no per-value type dispatch (reporter is checked) */
	"(SELECT '[' || string_agg('{\"id\":' || e.id || ',\"reporter\":\"' || e.reporter || "
	"'\",\"body\":' || e.body::text || '}', ',' ORDER BY e.occurred_at, e.id) || ']' "
	"FROM events e WHERE e.dossier_id = d.id), "
	"(SELECT json_agg(json_build_array(a.action, extract(epoch FROM a.decided_at)::bigint, "
	"coalesce(a.amount_cents, 0), coalesce((a.request->>'extend_days')::int, 0)) "
	"ORDER BY a.decided_at) FROM decisions a WHERE a.dossier_id = d.id AND a.outcome = 'allow'), "
	"(SELECT json_agg(l.doc) FROM (SELECT DISTINCT ON (x.id) x.doc FROM contract_exceptions x "
	"WHERE x.contract_id = d.contract_id AND x.partner_id = d.partner_id "
	"ORDER BY x.id, x.version DESC) l) "
	"FROM dossiers d LEFT JOIN creditors c ON c.id = d.creditor_id "
	"LEFT JOIN partners p ON p.id = d.partner_id "
	"LEFT JOIN LATERAL (SELECT k.doc, k.creditor_id FROM contracts k WHERE k.id = d.contract_id "
	"AND k.valid_from <= $2::date AND (k.valid_to IS NULL OR k.valid_to >= $2::date) "
	"ORDER BY k.version DESC LIMIT 1) ct ON true WHERE d.id = $1";

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

/* The dossier's own columns (DOSSIER_ROW_COLUMNS); false when they are corrupt. */
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

/* A JSON column; an SQL NULL (json_agg of no rows) is an empty array. NULL when corrupt. */
static json_t *json_column(const PGresult *r, int col)
{
	if (PQgetisnull(r, 0, col))
		return json_array();
	return json_loads(PQgetvalue(r, 0, col), JSON_REJECT_DUPLICATES, NULL);
}

static bool read_contract(const PGresult *r, struct dossier_ctx *c)
{
	if (PQgetisnull(r, 0, DC_CONTRACT))
		return true; /* none in force (or the caller supplies one): decisions say so */
	bool ok = doc_cache_contract(PQgetvalue(r, 0, DC_CONTRACT), (size_t)PQgetlength(r, 0, DC_CONTRACT),
				     &c->contract);
	snprintf(c->contract.creditor_id, sizeof(c->contract.creditor_id), "%s",
		 PQgetvalue(r, 0, DC_CONTRACT_CREDITOR));
	c->has_contract = ok;
	return ok;
}

static bool read_partner(const PGresult *r, struct dossier_ctx *c)
{
	return !PQgetisnull(r, 0, DC_PARTNER) &&
	       doc_cache_partner(PQgetvalue(r, 0, DC_PARTNER), (size_t)PQgetlength(r, 0, DC_PARTNER), &c->partner);
}

/* One stored fact {id, reporter, body}: the policy's struct and the timeline's JSON. */
static bool read_event(json_t *item, struct event *ev, json_t *timeline, int64_t bound)
{
	struct contract_errors errs;
	json_t *id = json_object_get(item, "id"), *reporter = json_object_get(item, "reporter");
	json_t *body = json_object_get(item, "body");
	if (!json_is_integer(id) || !json_is_string(reporter) || !json_is_object(body) ||
	    !event_read(body, bound + 86400, ev, &errs))
		return false;
	ev->reporter = strcmp(json_string_value(reporter), "creditor") == 0 ? REPORTER_CREDITOR : REPORTER_PARTNER;
	json_object_set(body, "id", id);
	json_object_set(body, "reporter", reporter);
	json_array_append(timeline, body);
	return true;
}

static bool read_events(const PGresult *r, struct dossier_ctx *c, int64_t bound)
{
	json_t *list = json_column(r, DC_EVENTS);
	size_t n = json_array_size(list);
	bool ok = json_is_array(list);
	c->events = xcalloc(n ? n : 1, sizeof(struct event));
	c->timeline = json_array();
	for (size_t i = 0; ok && i < n; i++)
		ok = read_event(json_array_get(list, i), &c->events[i], c->timeline, bound);
	json_decref(list);
	c->dossier.events = c->events;
	c->dossier.n_events = ok ? n : 0;
	return ok;
}

/* [[action, decided_at epoch, amount_cents, extend_days], ...] */
static bool read_allowed(const PGresult *r, struct dossier_ctx *c)
{
	json_t *list = json_column(r, DC_ALLOWED);
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
		p->extend_days = (int)json_integer_value(json_array_get(a, 3));
		if (p->action == ACTION_EXTEND_DURATION && p->extend_days == 0)
			p->extend_days = POLICY_EXTEND_DEFAULT_DAYS;
	}
	json_decref(list);
	c->dossier.allowed = c->allowed;
	c->dossier.n_allowed = ok ? n : 0;
	return ok;
}

static bool read_exceptions(const PGresult *r, struct dossier_ctx *c)
{
	struct contract_errors errs;
	json_t *list = json_column(r, DC_EXCEPTIONS);
	size_t n = json_array_size(list);
	bool ok = json_is_array(list);
	c->exceptions = xcalloc(n ? n : 1, sizeof(struct contract_exception));
	for (size_t i = 0; ok && i < n; i++)
		ok = exception_from_json(json_array_get(list, i), &c->exceptions[i], &errs);
	json_decref(list);
	c->n_exceptions = ok ? n : 0;
	return ok;
}

enum load_status dossier_ctx_read(const char *id, const PGresult *row, int64_t bound, struct dossier_ctx **out)
{
	struct dossier_ctx *c = xcalloc(1, sizeof(*c));
	enum load_status ls = LOAD_OK;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dossier.id, sizeof(c->dossier.id), "%s", id);
	if (!row || PQntuples(row) != 1)
		ls = LOAD_NOT_FOUND;
	else if (PQnfields(row) != DC__COUNT || !read_dossier(row, c) || !read_contract(row, c) ||
		 !read_partner(row, c) || !read_events(row, c, bound) || !read_allowed(row, c) ||
		 !read_exceptions(row, c))
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
		/* Stored facts were checked against the clock when recorded, so they are
		 * bounded by the clock, not by now: a simulation loads as of a past moment. */
		ls = dossier_ctx_read(l->id, pgjob_result(job, 0), (int64_t)time(NULL), &c);
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
	const char *params[] = {id, today};
	struct load *l = xcalloc(1, sizeof(*l));
	*l = (struct load){srv, cb, arg, now, "", r, -1};
	snprintf(l->id, sizeof(l->id), "%s", id);
	struct pgjob *job = pgjob_create(false); /* one statement, one snapshot */
	pgjob_add(job, SQL_DOSSIER, 2, params);
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
