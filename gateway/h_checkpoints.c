/* h_checkpoints.c - GET /v1/audit/checkpoints: the signed checkpoints and the public key. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "handlers.h"
#include "params.h"
#include "server.h"

static json_t *checkpoint_json(const PGresult *res, int i)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)atoll(PQgetvalue(res, i, 0)),
			 "created_at", PQgetvalue(res, i, 1), "body", PQgetvalue(res, i, 2), "signature",
			 PQgetvalue(res, i, 3), "public_key", PQgetvalue(res, i, 4));
}

static void checkpoints_loaded(struct pgjob *job, enum pgjob_status st, void *arg)
{
	struct req *r = arg;
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	if (!res) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
		return;
	}
	json_t *list = json_array();
	int n = PQntuples(res);
	for (int i = 0; i < n; i++)
		json_array_append_new(list, checkpoint_json(res, i));
	const char *pem = r->srv->checkpoint ? checkpoint_public_pem(r->srv->checkpoint) : "";
	json_t *o = json_pack("{s:s, s:o}", "public_key", pem, "checkpoints", list);
	if (n > 0)
		json_object_set_new(o, "next", json_pack("{s:I}", "after_id",
							 (json_int_t)atoll(PQgetvalue(res, n - 1, 0))));
	req_reply_json(r, 200, o);
}

/* GET /v1/audit/checkpoints?after_id=N&limit=L: checkpoints in id order after N. */
void h_audit_checkpoints(struct req *r)
{
	struct checkpoint_params p;
	struct query_error err;
	if (!params_checkpoints(req_query_string(r), &p, &err)) {
		req_bad_query(r, &err);
		return;
	}
	char as[24], ls[24];
	snprintf(as, sizeof(as), "%lld", p.after_id);
	snprintf(ls, sizeof(ls), "%lld", p.limit);
	const char *params[] = {as, ls};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT id, " AUDIT_TS_SQL("created_at") ", body, signature, public_key "
		  "FROM audit_checkpoints WHERE id > $1::bigint ORDER BY id LIMIT $2::int", 2, params);
	pgpool_submit(r->srv->pool, job, checkpoints_loaded, r);
}
