/* dossier_load.h - reads a dossier with its contract, partner and history in one round trip. */
#ifndef FAIRGATE_DOSSIER_LOAD_H
#define FAIRGATE_DOSSIER_LOAD_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "input.h"
#include "policy.h"

struct server;

/* A dossier as the policy and the handlers need it. Owned by the loader's caller. */
struct dossier_ctx {
	char id[CONTRACT_ID_MAX];
	char creditor_id[CONTRACT_ID_MAX];
	char debtor_ref[DEBTOR_REF_MAX];
	char creditor_webhook[256];
	long long version;            /* bumped by every fact and decision */
	int32_t deadline;             /* caldate: last day with the partner */
	bool flagged_for_return;
	bool has_contract;            /* a version is in force at now */
	struct contract contract;
	struct partner partner;
	struct dossier dossier;       /* events and allowed point into the arrays below */
	struct event *events;
	json_t *timeline;             /* [{id, type, occurred_at, reporter, ...}] */
	struct prior_escalation *allowed;
	struct contract_exception *exceptions;
	size_t n_exceptions;
};

enum load_status { LOAD_OK, LOAD_NOT_FOUND, LOAD_UNAVAILABLE, LOAD_CORRUPT };

typedef void (*dossier_load_cb)(void *arg, enum load_status st, struct dossier_ctx *ctx);

/* Loads dossier id as of now; the callback owns ctx (free with dossier_ctx_free). */
void dossier_load(struct server *srv, const char *id, int64_t now, dossier_load_cb cb, void *arg);
/*
 * The same for request r, with r's Idempotency-Key lookup in the same round
 * trip when one is due (ROUTE_IDEM_IN_HANDLER): if the key's answer is
 * stored, r is answered with it and freed, and cb never runs.
 */
struct req;
void dossier_load_for(struct req *r, const char *id, int64_t now, dossier_load_cb cb, void *arg);
void dossier_ctx_free(struct dossier_ctx *ctx);
/*
 * The rows a dossier is built from, one result per statement of dossier_load.c
 * and with its columns (simulate.c selects them as of a past decision).
 * contract may be NULL: the caller then supplies the contract itself.
 */
struct dossier_rows {
	const PGresult *dossier, *contract, *partner, *events, *allowed, *exceptions;
};
/*
 * Builds a dossier from its rows; no stored fact may lie beyond bound (plus a
 * day). On LOAD_OK *out is the caller's; otherwise *out is NULL.
 */
enum load_status dossier_ctx_read(const char *id, const struct dossier_rows *rows, int64_t bound,
				  struct dossier_ctx **out);
/* True when principal p may read this dossier (creditor, its partner, a granted monitor). */
bool dossier_visible(const struct dossier_ctx *ctx, const struct principal *p);
/* The policy input for this dossier at now. */
void dossier_policy_input(const struct dossier_ctx *ctx, int64_t now, struct policy_input *in);

#endif
