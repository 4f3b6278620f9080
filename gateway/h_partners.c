/* h_partners.c - registering and reading collection agencies and bailiffs (admin). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caldate.h"
#include "handlers.h"
#include "partner.h"
#include "server.h"
#include "write.h"

void h_partner_create(struct req *r)
{
	struct partner p;
	struct contract_errors errs;
	if (!partner_from_json(r->body, &p, &errs)) {
		reply_errors(r, &errs);
		return;
	}
	char until[11] = "";
	if (p.has_wki)
		caldate_format(p.wki_valid_until, until);
	json_t *doc = partner_to_json(&p);
	char *doc_text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	const char *params[] = {p.id, partner_kind_name(p.kind), p.name, p.has_wki ? p.wki_number : NULL,
				p.has_wki ? until : NULL, p.webhook_url[0] ? p.webhook_url : NULL, doc_text};
	struct write_op *w = write_op_new(r);
	write_op_sql(w, "INSERT INTO partners (id, kind, name, wki_number, wki_valid_until, webhook_url, doc) "
			"VALUES ($1, $2, $3, $4, $5::date, $6, $7::jsonb)", 7, params);
	write_op_audit(w, "partner.registered", p.id, NULL, json_incref(doc));
	write_op_on_duplicate(w, "partner_exists", "a partner with this id is registered already");
	free(doc_text);
	write_op_commit(w, 201, doc);
}

static void partner_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	if (st != PGJOB_OK) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		req_problem(r, 404, "not_found", "no such partner", NULL);
		return;
	}
	req_reply_raw(r, 200, "application/json", PQgetvalue(res, 0, 0),
		      (size_t)PQgetlength(res, 0, 0));
}

/* Any authenticated principal may read a partner's public registration. */
void h_partner_get(struct req *r)
{
	const char *params[] = {r->params[0]};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT doc::text FROM partners WHERE id = $1", 1, params);
	pgpool_submit(r->srv->pool, job, partner_loaded, r);
}
