/* h_audit.c - GET /v1/audit: the chain for export and verification, redacted per creditor. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "handlers.h"
#include "params.h"
#include "server.h"

static json_t *record_json(const PGresult *res, int i, const struct principal *who)
{
	const char *subject = PQgetvalue(res, i, 5), *payload = PQgetvalue(res, i, 8);
	const char *creditor = PQgetvalue(res, i, 6);
	char content[AUDIT_HASH_HEX];
	audit_content_hash(subject, payload, content);
	/* A monitor sees its creditor's records whole; of the rest only what links the chain. */
	bool whole = who->role == ROLE_ADMIN ? !creditor[0] : strcmp(creditor, who->creditor_id) == 0;
	json_t *o = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:s}", "chain", atoi(PQgetvalue(res, i, 0)),
			      "seq", (json_int_t)atoll(PQgetvalue(res, i, 1)), "prev_hash",
			      PQgetvalue(res, i, 2), "hash", PQgetvalue(res, i, 3), "kind",
			      PQgetvalue(res, i, 4), "recorded_at", PQgetvalue(res, i, 7), "content_sha256",
			      content);
	if (whole) {
		json_object_set_new(o, "subject", json_string(subject));
		json_object_set_new(o, "creditor_id", creditor[0] ? json_string(creditor) : json_null());
		json_object_set_new(o, "payload", json_string(payload));
	}
	return o;
}

static void audit_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	if (!res) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
		return;
	}
	json_t *records = json_array();
	int n = PQntuples(res);
	for (int i = 0; i < n; i++)
		json_array_append_new(records, record_json(res, i, &r->who));
	json_t *o = json_pack("{s:o}", "records", records);
	if (n > 0) {
		json_object_set_new(o, "next", json_pack("{s:i, s:I}", "chain", atoi(PQgetvalue(res, n - 1, 0)),
							 "after_seq", (json_int_t)atoll(PQgetvalue(res, n - 1, 1))));
	}
	req_reply_json(r, 200, o);
}

/* GET /v1/audit?chain=C&after_seq=N&limit=L: records in (chain, seq) order after (C, N). */
void h_audit_list(struct req *r)
{
	struct audit_params p;
	struct query_error err;
	if (!params_audit(req_query_string(r), &p, &err)) {
		req_bad_query(r, &err);
		return;
	}
	char cs[24], as[24], ls[24];
	snprintf(cs, sizeof(cs), "%lld", p.chain);
	snprintf(as, sizeof(as), "%lld", p.after_seq);
	snprintf(ls, sizeof(ls), "%lld", p.limit);
	const char *params[] = {cs, as, ls};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT chain, seq, prev_hash, hash, kind, subject, coalesce(creditor_id, ''), "
		  AUDIT_TS_SQL("recorded_at") ", payload FROM audit_log "
		  "WHERE (chain, seq) > ($1::int, $2::bigint) ORDER BY chain, seq LIMIT $3::int", 3, params);
	pgpool_submit(r->srv->pool, job, audit_loaded, r);
}
