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
