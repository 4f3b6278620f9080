/* h_contracts.c - contract versions and written exceptions, registered by creditors. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caldate.h"
#include "exception.h"
#include "handlers.h"
#include "params.h"
#include "policy.h"
#include "server.h"
#include "write.h"

static json_t *with_meta(json_t *doc, const char *creditor_id)
{
	json_object_set_new(doc, "creditor_id", json_string(creditor_id));
	return doc;
}

void h_contract_create(struct req *r)
{
	struct contract c;
	struct contract_errors errs;
	if (!contract_from_json(r->body, &c, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	char version[16], from[11], to[11];
	snprintf(version, sizeof(version), "%d", c.version);
	caldate_format(c.valid_from, from);
	if (c.valid_to != CALDATE_NONE)
		caldate_format(c.valid_to, to);
	json_t *doc = contract_to_json(&c);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	const char *cr = r->who.creditor_id;
	const char *check[] = {c.id, version, cr};
	const char *ins[] = {c.id, version, cr, c.partner_id, from,
			     c.valid_to != CALDATE_NONE ? to : NULL, text};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, "SELECT fairgate_contract_check($1, $2::int, $3)", 3, check);
	write_op_sql(w, "INSERT INTO contracts (id, version, creditor_id, partner_id, valid_from, valid_to, doc) "
			"VALUES ($1, $2::int, $3, $4, $5::date, $6::date, $7::jsonb)", 7, ins);
	write_op_audit(w, "contract.registered", c.id, cr, json_incref(doc));
	write_op_on_error(w, "FG001", 409, "contract_owned_elsewhere");
	write_op_on_error(w, "FG002", 409, "version_conflict");
	write_op_on_error(w, "23503", 422, "unknown_partner");
	write_op_on_duplicate(w, "version_exists", "this contract version exists already; versions are immutable");
	free(text);
	write_op_commit(w, 201, with_meta(doc, cr));
}

static void contract_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const PGresult *res = scoped_row(r, job, st, "contract (or version)");
	if (!res)
		return;
	json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (!doc) {
		req_problem(r, 500, "corrupt", "the stored contract could not be read", NULL);
		return;
	}
	json_object_set_new(doc, "in_force_today", json_boolean(PQgetvalue(res, 0, 3)[0] == 't'));
	req_reply_json(r, 200, with_meta(doc, PQgetvalue(res, 0, 1)));
}

/* GET /v1/contracts/{id}[?version=N]: the version in force today, else the newest. */
void h_contract_get(struct req *r)
{
	int version;
	struct query_error err;
	if (!params_contract(req_query_string(r), &version, &err)) {
		req_bad_query(r, &err);
		return;
	}
	char vs[16], today[11];
	snprintf(vs, sizeof(vs), "%d", version);
	caldate_format(amsterdam_day((int64_t)time(NULL)), today);
	const char *params[] = {r->params[0], vs, today};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job,
		  "SELECT doc::text, creditor_id, partner_id, "
		  "(valid_from <= $3::date AND (valid_to IS NULL OR valid_to >= $3::date)) AS in_force "
		  "FROM contracts WHERE id = $1 AND ($2::int = 0 OR version = $2::int) "
		  "ORDER BY ($2::int = 0 AND valid_from <= $3::date AND "
		  "(valid_to IS NULL OR valid_to >= $3::date)) DESC, version DESC LIMIT 1",
		  3, params);
	pgpool_submit(r->srv->pool, job, contract_loaded, r);
}

/* POST /v1/exceptions: a written, time-bound waiver of one rule (seed 002, section 1.4). */
void h_exception_create(struct req *r)
{
	struct contract_exception e;
	struct contract_errors errs;
	if (!exception_from_json(r->body, &e, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	char version[16], from[11], until[11];
	snprintf(version, sizeof(version), "%d", e.version);
	caldate_format(e.valid_from, from);
	caldate_format(e.valid_until, until);
	json_t *doc = exception_to_json(&e);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	const char *cr = r->who.creditor_id;
	const char *check[] = {e.id, version, cr, e.contract_id, e.partner_id};
	const char *ins[] = {e.id, version, cr, e.contract_id, e.partner_id, e.rule, from, until, text};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, "SELECT fairgate_exception_check($1, $2::int, $3, $4, $5)", 5, check);
	write_op_sql(w, "INSERT INTO contract_exceptions (id, version, creditor_id, contract_id, partner_id, "
			"rule, valid_from, valid_until, doc) VALUES ($1, $2::int, $3, $4, $5, $6, $7::date, "
			"$8::date, $9::jsonb)", 9, ins);
	write_op_audit(w, "exception.registered", e.id, cr, json_incref(doc));
	write_op_on_error(w, "FG001", 409, "exception_owned_elsewhere");
	write_op_on_error(w, "FG002", 409, "version_conflict");
	write_op_on_error(w, "FG003", 422, "unknown_contract");
	write_op_on_duplicate(w, "version_exists", "this exception version exists already");
	free(text);
	write_op_commit(w, 201, with_meta(doc, cr));
}
