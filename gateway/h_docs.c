/* h_docs.c - GET /openapi.json (the embedded API document) and GET /v1/outbox (deliveries). */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "outbox.h"
#include "params.h"
#include "server.h"

extern const char openapi_doc[];
extern const size_t openapi_doc_len;

void h_openapi(struct req *r)
{
	req_reply_raw(r, 200, "application/json", openapi_doc, openapi_doc_len);
}

static void outbox_listed(json_t *rows, const char *error, void *arg)
{
	struct req *r = arg;
	if (!rows) {
		req_problem(r, 503, "unavailable", error ? error : "the database is unavailable", NULL);
		return;
	}
	req_reply_json(r, 200, json_pack("{s:O}", "deliveries", rows)); /* rows are borrowed */
}

/*
 * GET /v1/outbox?status=&after_id=&limit=: admin sees all deliveries, creditors
 * and partners their own; rows carry no url and no payload (no debtor data).
 */
void h_outbox_list(struct req *r)
{
	struct outbox_params p;
	struct query_error err;
	if (!params_outbox(req_query_string(r), &p, &err)) {
		req_bad_query(r, &err);
		return;
	}
	struct outbox_query q = {.status = p.status, .after_id = p.after_id, .limit = p.limit};
	if (r->who.role == ROLE_CREDITOR) {
		q.target_kind = "creditor";
		q.target_id = r->who.creditor_id;
	} else if (r->who.role & ROLE_PARTNER) {
		q.target_kind = "partner";
		q.target_id = r->who.partner_id;
	}
	/* the parameters are checked: a refusal now means no outbox is running */
	if (!r->srv->outbox || !outbox_list(r->srv->outbox, &q, outbox_listed, r))
		req_problem(r, 503, "unavailable", "the outbox is not running; try again", NULL);
}
