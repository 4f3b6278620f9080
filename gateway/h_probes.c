/* h_probes.c - liveness, readiness and Prometheus metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "handlers.h"
#include "metrics.h"
#include "pgpool.h"
#include "server.h"

void h_healthz(struct req *r)
{
	req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Ready when the database is reachable: a pool connection is up. */
void h_readyz(struct req *r)
{
	bool ready = pgpool_ready(r->srv->pool);
	req_reply_json(r, ready ? 200 : 503,
		       json_pack("{s:b, s:s}", "ready", ready, "database", ready ? "up" : "down"));
}

void h_metrics(struct req *r)
{
	size_t len;
	char *text = metrics_render(r->srv, &len);
	req_reply_raw(r, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}

void reply_errors(struct req *r, const struct contract_errors *errs)
{
	char detail[400];
	snprintf(detail, sizeof(detail), "%s: %s", errs->count ? errs->items[0].pointer : "",
		 errs->count ? errs->items[0].message : "invalid");
	req_problem(r, 422, "validation_failed", detail,
		    json_pack("{s:o}", "errors", contract_errors_to_json(errs)));
}

void reply_refusal(struct req *r, const char *code, const char *detail, json_t *reasons)
{
	req_problem(r, 422, code, detail, json_pack("{s:o}", "reasons", reasons));
}

const PGresult *scoped_row(struct req *r, struct pgjob *job, enum pgjob_status st, const char *what)
{
	const PGresult *res = st == PGJOB_OK ? pgjob_result(job, 0) : NULL;
	char detail[96];
	if (!res) {
		req_problem(r, 503, "unavailable", "the database is unavailable; try again", NULL);
		return NULL;
	}
	if (PQntuples(res) != 1 || !principal_sees(&r->who, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2))) {
		snprintf(detail, sizeof(detail), "no such %s visible to you", what);
		req_problem(r, 404, "not_found", detail, NULL);
		return NULL;
	}
	return res;
}
