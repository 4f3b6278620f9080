/* h_checkpoints.c - GET /v1/audit/checkpoints: the signed checkpoints and the public key. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "handlers.h"
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

/* An optional integer query parameter in [lo, hi]; false after a 400. */
static bool query_int(struct req *r, const char *name, long long def, long long hi, long long *out)
{
	const char *v = req_query(r, name);
	char *end;
	*out = def;
	if (!v)
		return true;
	*out = strtoll(v, &end, 10);
	if (*v && !*end && *out >= 0 && *out <= hi && (*out > 0 || def == 0))
		return true;
	req_problem(r, 400, "bad_query", "after_id and limit must be non-negative integers (limit 1 to 1000)",
		    json_pack("{s:s}", "parameter", name));
	return false;
}

/* GET /v1/audit/checkpoints?after_id=N&limit=L: checkpoints in id order after N. */
void h_audit_checkpoints(struct req *r)
{
	long long after, limit;
	if (!query_int(r, "after_id", 0, 9223372036854775807LL, &after) ||
	    !query_int(r, "limit", 100, 1000, &limit))
		return;
	char as[24], ls[24];
	snprintf(as, sizeof(as), "%lld", after);
	snprintf(ls, sizeof(ls), "%lld", limit);
	const char *params[] = {as, ls};
	struct pgjob *job = pgjob_create(false);
	pgjob_add(job, "SELECT id, " AUDIT_TS_SQL("created_at") ", body, signature, public_key "
		  "FROM audit_checkpoints WHERE id > $1::bigint ORDER BY id LIMIT $2::int", 2, params);
	pgpool_submit(r->srv->pool, job, checkpoints_loaded, r);
}
